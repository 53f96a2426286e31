"""Shared fixtures and helpers: hand-made tables in real kecamatan, the CLI, the example runs.

Helper modules beside this file (``lp``, ``roadnet``, ``squares``, ``forms``, ``cdp``,
``mapui``) and this file itself are importable from every test folder (``pythonpath`` in
pyproject.toml): ``from conftest import EXAMPLES, run_cli``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import settings

from fakeosrm import osrm  # noqa: F401  (a fixture: a fake OSRM server on 127.0.0.1)

# CI (``.ci/run`` sets CI=1) runs the property tests on a fixed sequence of examples, so a run
# that lands is a run that repeats; at a desk they draw new examples each time and keep the
# failures they find in .hypothesis/ (replayed first).
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

if TYPE_CHECKING:
    import typer
    from typer.testing import Result

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"
DATA = REPO / "data"
GOLDEN = REPO / "tests" / "golden"

# Representative points (inside the packaged polygons) of a few kecamatan, (lat, lon).
PONTANG = (-6.020978, 106.253579)
TIRTAYASA = (-5.998566, 106.316794)
CIRUAS = (-6.094022, 106.238786)
KRAGILAN = (-6.147574, 106.27911)
ANYAR = (-6.094315, 105.915161)
KOTA_SERANG = (-6.108523, 106.165152)
SEA_NORTH_OF_PONTANG = (-5.90, 106.25)  # Java Sea, (lat, lon)

ALLOCATIONS_HEADER = (
    "producer_id,producer_name,store_id,store_name,product,quantity,distance_km,"
    "producer_kecamatan,store_kecamatan"
)

_RUNNER = None


def run_cli(*args: object, app: typer.Typer | None = None, **kwargs: Any) -> Result:
    """Run ``umkm-alloc ARGS...`` in this process and return Typer's ``Result``.

    Parameters
    ----------
    *args
        The command line after ``umkm-alloc``; paths and numbers are turned to text.
    app
        Another Typer application to run (a test application holding one command).
    **kwargs
        Passed to ``CliRunner.invoke`` (``input``, ``env``, ``catch_exceptions``).

    Returns
    -------
    Result
        ``exit_code``, ``stdout``, ``stderr`` (kept apart) and ``stdout_bytes``.
    """
    global _RUNNER
    from typer.testing import CliRunner

    if app is None:
        from umkm_alloc.cli import app
    if _RUNNER is None:
        _RUNNER = CliRunner()
    return _RUNNER.invoke(app, [str(a) for a in args], **kwargs)


def example_args(*extra: object) -> list[str]:
    """``assign`` on the bundled example tables (absolute paths), then ``extra``."""
    return ["assign", str(EXAMPLES / "producers.csv"), str(EXAMPLES / "stores.csv"), *extra]


# ------------------------------------------------------------------------- fixtures

#: Fixtures that run the whole example job: a test that uses one is marked slow.
EXAMPLE_RUNS = {"example_result", "example_csv", "demo_dir"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark slow every test that uses a run of the whole example (see ``EXAMPLE_RUNS``)."""
    for item in items:
        if EXAMPLE_RUNS & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def boundaries():
    """The packaged Banten kecamatan."""
    from umkm_alloc.geo.boundaries import load_boundaries

    return load_boundaries("banten")


@pytest.fixture
def write(tmp_path: Path):
    """Write text (or bytes) to a file in tmp_path and return its path."""

    def _write(name: str, content: str | bytes, encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        data = content.encode(encoding) if isinstance(content, str) else content
        path.write_bytes(data)
        return path

    return _write


PRODUCERS_CSV = f"""producer_id,name,lat,lon,product,capacity
P1,Bandeng Bu Enah,{PONTANG[0]},{PONTANG[1]},Sate Bandeng,50
P2,Emping Ciruas,{CIRUAS[0]},{CIRUAS[1]},Emping Melinjo,100
P3,Emping Kragilan,{KRAGILAN[0] + 0.01},{KRAGILAN[1]},Emping Melinjo,40
P4,Kue Anyar,{ANYAR[0]},{ANYAR[1]},Kue Cucur,25
"""

STORES_CSV = f"""store_id,name,chain,lat,lon,product,demand
IDM-1,Indomaret Ciruas,Indomaret,{CIRUAS[0] - 0.01},{CIRUAS[1]},Emping Melinjo,80
IDM-2,Indomaret Pontang,Indomaret,{PONTANG[0] - 0.005},{PONTANG[1]},Sate Bandeng,30
IDM-3,Indomaret Kragilan,Indomaret,{KRAGILAN[0]},{KRAGILAN[1]},Emping Melinjo,90
ALF-1,Alfamart Anyar,Alfamart,{ANYAR[0] - 0.01},{ANYAR[1]},Emping Melinjo,30
"""


@pytest.fixture
def small_job(write):
    """A four-producer, four-store job with known answers."""
    return write("producers.csv", PRODUCERS_CSV), write("stores.csv", STORES_CSV)


@pytest.fixture(scope="session")
def example_result():
    """``assign`` of the bundled example tables with the default options (no rules file)."""
    from umkm_alloc.allocate import assign
    from umkm_alloc.config import AssignConfig

    return assign(
        AssignConfig(producers=EXAMPLES / "producers.csv", stores=EXAMPLES / "stores.csv")
    )


@pytest.fixture(scope="session")
def example_csv() -> bytes:
    """The allocations CSV that ``umkm-alloc assign`` writes for the example tables."""
    result = run_cli(*example_args("-q"))
    assert result.exit_code == 0, result.stderr
    return result.stdout_bytes


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory) -> Path:
    """The folder of ``make demo``'s outputs (tables, summary.json and the --report files).

    Made once per session, as ``tests/golden/regen.py`` makes it; read it, never write to it.
    """
    if str(GOLDEN) not in sys.path:
        sys.path.insert(0, str(GOLDEN))
    from regen import make_demo

    out = tmp_path_factory.mktemp("demo") / "out"
    make_demo(out)
    return out


def offshore_point(boundaries, metres: float) -> tuple[float, float]:
    """A (lat, lon) point ``metres`` outside the coastline north of Pontang."""
    import numpy as np
    import shapely
    from pyproj import Transformer

    fwd = Transformer.from_crs("EPSG:4326", boundaries.metric_crs, always_xy=True)
    inv = Transformer.from_crs(boundaries.metric_crs, "EPSG:4326", always_xy=True)
    coverage = shapely.union_all(boundaries.metric_geometries)
    sx, sy = fwd.transform(SEA_NORTH_OF_PONTANG[1], SEA_NORTH_OF_PONTANG[0])
    sea = shapely.Point(sx, sy)
    _, shore = shapely.shortest_line(sea, coverage).coords
    bx, by = shore
    dx, dy = sx - bx, sy - by
    length = float(np.hypot(dx, dy))
    lon, lat = inv.transform(bx + dx / length * metres, by + dy / length * metres)
    return lat, lon
