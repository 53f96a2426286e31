"""The wheel carries the packaged boundaries, and an installed copy finds them."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import REPO

pytestmark = pytest.mark.slow  # builds and installs the wheel


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            str(REPO),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    (found,) = out.glob("umkm_alloc-*.whl")
    return found


def test_wheel_contains_data_and_notice(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert "umkm_alloc/data/kecamatan_boundaries.geojson" in names
    assert "umkm_alloc/data/NOTICE" in names
    assert "umkm_alloc/data/kecamatan_indonesia.parquet" in names
    assert "umkm_alloc/cli/assign.py" in names
    assert "umkm_alloc/report/static/leaflet/leaflet.js" in names
    assert "umkm_alloc/report/static/map/map.js" in names
    assert "umkm_alloc/report/static/leaflet/LICENSE" in names
    entry = next(n for n in names if n.endswith("entry_points.txt"))
    assert "umkm-alloc = umkm_alloc.cli:main" in zipfile.ZipFile(wheel).read(entry).decode()


def test_installed_wheel_reads_its_own_data(wheel, tmp_path):
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    code = (
        "import umkm_alloc.geo.boundaries as b; p = b.packaged_path('banten'); print(p); "
        "print(len(b.load_boundaries('banten').frame))"
    )
    proc = subprocess.run(
        [sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(site)!r}); {code}"],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    path, count = proc.stdout.split()
    assert Path(path).is_relative_to(site)
    assert count == "155"
