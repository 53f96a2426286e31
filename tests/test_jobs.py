"""``--jobs``: checked, never recorded, and never a change in the output."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from umkm_alloc import parallel
from umkm_alloc.allocate import solve as solve_module
from umkm_alloc.cli import app
from umkm_alloc.config import AssignConfig

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
runner = CliRunner()


def demo(out: Path, *args: str):
    return runner.invoke(
        app,
        [
            "assign",
            str(EXAMPLES / "producers.csv"),
            str(EXAMPLES / "stores.csv"),
            "--config",
            str(EXAMPLES / "serang.toml"),
            "--out-dir",
            str(out),
            "-q",
            *args,
        ],
    )


def test_jobs_below_one_is_a_usage_error(small_job):
    result = runner.invoke(app, ["assign", *map(str, small_job), "--jobs", "0"])
    assert result.exit_code == 2
    assert result.stderr == "error: --jobs 0 is not allowed; give 1 or more worker processes\n"


def test_jobs_from_the_job_file_and_not_in_the_summary(write, small_job):
    producers, stores = small_job
    job = write("job.toml", f'[assign]\nproducers = "{producers}"\nstores = "{stores}"\njobs = 3\n')
    config = AssignConfig.from_file(job)
    assert config.jobs == 3
    assert "jobs" not in config.params()


def test_output_is_byte_identical_for_every_jobs(tmp_path, monkeypatch):
    # force the parallel paths: worker processes for every solve, the network split in parts
    monkeypatch.setattr(parallel, "PARALLEL_MIN_WORK", 0.0)
    monkeypatch.setattr(parallel, "_cores", lambda: 2)
    monkeypatch.setattr(solve_module, "BATCH_ARCS", 1_000)
    runs = {}
    for jobs in ("1", "2"):
        result = demo(tmp_path / jobs, "--jobs", jobs)
        assert result.exit_code == 0, result.stderr
        runs[jobs] = {p.name: p.read_bytes() for p in sorted((tmp_path / jobs).iterdir())}
    assert runs["1"].keys() == runs["2"].keys()
    assert "allocations.csv" in runs["1"]
    for name, data in runs["1"].items():
        assert runs["2"][name] == data, name
    assert b'"jobs"' not in runs["1"]["summary.json"]
