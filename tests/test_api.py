"""The Python API, used as an analyst would use it from a notebook."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import umkm_alloc as ua
from conftest import EXAMPLES, REPO, run_cli
from umkm_alloc.errors import StrictError


def test_public_names_are_documented_and_complete():
    assert sorted(ua.__all__) == [
        "AssignConfig",
        "__version__",
        "assign",
        "explain",
        "load_boundaries",
        "write_result",
    ]
    for name in ua.__all__:
        value = getattr(ua, name)
        if name != "__version__":
            assert value.__doc__, name
            assert name in dir(ua)
    with pytest.raises(AttributeError, match="has no attribute 'solve'"):
        ua.solve  # noqa: B018


def test_explain_is_the_function_and_its_module_a_plain_module():
    import umkm_alloc.allocate.explain as module  # as the CLI imports it
    from umkm_alloc import explain

    assert callable(ua.explain) and ua.explain is explain is module.explain
    assert module.EXPLAIN_COLUMNS[0] == "store_id"
    assert type(ua) is type(module)  # no module-class override in the package
    for name in ua.__all__:  # no public name is shadowed by a submodule of the same name
        assert not isinstance(getattr(ua, name), type(module)), name


def test_import_is_lazy():
    """The CLI parses its options and reads the config (and starts the solve's workers)
    before pandas loads."""
    code = (
        "import sys, umkm_alloc, umkm_alloc.cli, umkm_alloc.config, umkm_alloc.distance, "
        "umkm_alloc.parallel; "
        "heavy = [m for m in ('pandas', 'numpy', 'geopandas', 'ortools') if m in sys.modules]; "
        "print(heavy)"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert out.stdout == "[]\n"


def test_a_job_from_python_equals_the_command_line(small_job, tmp_path):
    producers, stores = small_job
    config = ua.AssignConfig(producers=str(producers), stores=str(stores), max_km=20)
    result = ua.assign(config)
    assert isinstance(result.allocations, pd.DataFrame)
    assert int(result.allocations["quantity"].sum()) == 170
    assert set(result.allocations["producer_id"]) == {"P1", "P2", "P3"}
    why = ua.explain(result, store="ALF-1")
    assert list(why["producer_id"]) == ["P2", "P3"]
    assert set(why["rule_kind"]) == {"beyond_distance"}
    written = ua.write_result(result, out_dir=str(tmp_path / "out"))
    assert sorted(Path(p).name for p in written) == [
        "allocations.csv",
        "fixed_rows.csv",
        "rejected_rows.csv",
        "skipped_rows.csv",
        "summary.json",
        "unmet_demand.csv",
        "unused_supply.csv",
    ]
    cli = run_cli("assign", str(producers), str(stores), "-q")
    assert (tmp_path / "out" / "allocations.csv").read_bytes() == cli.stdout_bytes


def test_strict_raises_with_the_rejected_rows_before_solving(small_job, monkeypatch):
    from umkm_alloc.allocate import pipeline

    def no_solve(*_a, **_k):
        raise AssertionError("strict must stop before the solve")

    monkeypatch.setattr(pipeline, "AllocationStream", no_solve)
    producers, stores = small_job
    producers.write_text(producers.read_text() + "P9,Broken,,,Gipang,5\n")
    with pytest.raises(StrictError) as err:
        ua.assign(ua.AssignConfig(producers=producers, stores=stores, strict=True))
    assert err.value.exit_code == 4
    assert list(err.value.rejected_rows["id"]) == ["P9"]
    assert str(err.value).startswith("--strict: 1 input row(s) rejected, nothing written")


def test_a_job_file_from_python(small_job, write):
    producers, stores = small_job
    job = write(
        "job.toml",
        f'[assign]\nproducers = "{producers.name}"\nstores = "{stores.name}"\nmax_km = 0.5\n',
    )
    assert ua.assign(ua.AssignConfig.from_file(job)).allocations.empty
    assert len(ua.assign(ua.AssignConfig.from_file(job, max_km=20)).allocations) == 4


def test_load_boundaries():
    boundaries = ua.load_boundaries("banten")
    assert len(boundaries.frame) == 155


@pytest.mark.slow
def test_readme_notebook_example_runs(tmp_path, monkeypatch):
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Python API", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    assert len(code.strip().splitlines()) <= 10
    (tmp_path / "examples").symlink_to(EXAMPLES)
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "README.md", "exec"), {})
    out = tmp_path / "out" / "notebook"
    assert {"allocations.csv", "summary.json", "report.xlsx", "map.html"} <= {
        p.name for p in out.iterdir()
    }
