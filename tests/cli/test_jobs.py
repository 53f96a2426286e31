"""``--jobs``: checked, never recorded, and never a change in the output."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import EXAMPLES, run_cli
from umkm_alloc import parallel
from umkm_alloc.allocate import solve as solve_module
from umkm_alloc.config import AssignConfig
from umkm_alloc.routes import plan as route_plan


def demo(out: Path, *args: str):
    return run_cli(
        "assign",
        EXAMPLES / "producers.csv",
        EXAMPLES / "stores.csv",
        "--config",
        EXAMPLES / "serang.toml",
        "--out-dir",
        out,
        "-q",
        *args,
    )


def test_jobs_below_one_is_a_usage_error(small_job):
    result = run_cli("assign", *small_job, "--jobs", "0")
    assert result.exit_code == 2
    assert result.stderr == "error: --jobs 0 is not allowed; give 1 or more worker processes\n"


def test_jobs_from_the_job_file_and_not_in_the_summary(write, small_job):
    producers, stores = small_job
    job = write("job.toml", f'[assign]\nproducers = "{producers}"\nstores = "{stores}"\njobs = 3\n')
    config = AssignConfig.from_file(job)
    assert config.jobs == 3
    assert "jobs" not in config.params()


@pytest.mark.slow
def test_output_is_byte_identical_for_every_jobs(tmp_path, monkeypatch):
    # force the parallel paths: worker processes for every solve and the route planning, the
    # network split in parts, the producers' trips in chunks
    monkeypatch.setattr(parallel, "PARALLEL_MIN_WORK", 0.0)
    monkeypatch.setattr(parallel, "_cores", lambda: 2)
    monkeypatch.setattr(solve_module, "BATCH_ARCS", 1_000)
    monkeypatch.setattr(route_plan, "PARALLEL_MIN_WORK", 0.0)
    runs = {}
    for jobs in ("1", "2"):
        result = demo(tmp_path / jobs, "--jobs", jobs, "--routes")
        assert result.exit_code == 0, result.stderr
        runs[jobs] = {p.name: p.read_bytes() for p in sorted((tmp_path / jobs).iterdir())}
    assert runs["1"].keys() == runs["2"].keys()
    assert {"allocations.csv", "routes.csv", "trips.csv"} <= runs["1"].keys()
    for name, data in runs["1"].items():
        assert runs["2"][name] == data, name
    assert b'"jobs"' not in runs["1"]["summary.json"]
