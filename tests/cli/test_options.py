"""Options from one source: the job file's keys are assign's options; -o for every command."""

from __future__ import annotations

import csv
import io

import pytest

from conftest import run_cli


def _parameters(command) -> set[str]:
    import inspect

    return set(inspect.signature(command).parameters) - {"ctx"}


def test_every_job_option_is_an_assign_option_of_the_same_name():
    from umkm_alloc.cli.assign import assign_command
    from umkm_alloc.cli.explain import explain_command
    from umkm_alloc.cli.validate import validate_command
    from umkm_alloc.config import ASSIGN_KEYS

    assert _parameters(assign_command) == set(ASSIGN_KEYS) | {"config", "quiet", "verbose"}
    # the other commands' own options must not be named like a job option
    explain_own = {"store", "producer", "product", "fmt", "data_output", "verbose", "config"}
    explain_own.add("trips")
    assert _parameters(explain_command) - set(ASSIGN_KEYS) == explain_own
    validate_own = {"rejected_output", "quiet", "verbose", "config"}
    assert _parameters(validate_command) - set(ASSIGN_KEYS) == validate_own


def test_validate_and_explain_take_their_options_from_the_job_file(write, small_job):
    producers, stores = small_job
    producers.write_text(producers.read_text() + "P9,Broken,,,Gipang,5\n")
    job = write(
        "job.toml",
        f'[assign]\nproducers = "{producers.name}"\nstores = "{stores.name}"\nstrict = true\n'
        "max_km = 0.5\n",
    )
    checked = run_cli("validate", "--config", str(job), "-q")
    assert checked.exit_code == 4
    assert checked.stderr == "error: --strict: 1 input row(s) rejected\n"
    # explain ignores strict (a job file's strict is for assign) and uses max_km = 0.5
    why = run_cli("explain", "--config", str(job), "--store", "IDM-2", "--format", "csv")
    assert why.exit_code == 0, why.stderr
    rows = list(csv.DictReader(io.StringIO(why.stdout)))
    assert [(r["producer_id"], r["status"], r["rule_kind"]) for r in rows] == [
        ("P1", "excluded", "beyond_distance")
    ]


@pytest.mark.parametrize(
    "command",
    [
        ["assign", "-o"],
        ["validate", "-o"],
        ["explain", "--store", "IDM-1", "--format", "csv", "-o"],
    ],
)
def test_output_to_a_folder_is_a_usage_error_before_any_work(small_job, tmp_path, command):
    name, *options = command
    result = run_cli(name, *small_job, *options, str(tmp_path))
    assert result.exit_code == 2
    assert result.stderr == f"error: --output {tmp_path}: is a folder; give a file path or '-'\n"


def test_validate_and_explain_write_files_atomically(small_job, tmp_path):
    rejected = tmp_path / "deep" / "rejected.csv"
    checked = run_cli("validate", *small_job, "-q", "-o", str(rejected))
    assert checked.exit_code == 0
    assert rejected.read_text() == "file,line,id,reason\n"
    to_stdout = run_cli("validate", *small_job, "-q", "-o", "-")
    assert to_stdout.stdout == "file,line,id,reason\n"
    table = tmp_path / "why.csv"
    why = run_cli("explain", *small_job, "--store", "IDM-1", "--format", "csv", "-o", str(table))
    assert why.exit_code == 0 and why.stdout == ""
    assert table.read_text().splitlines()[0].startswith("store_id,store_name,product,demand,")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_parsing_the_options_loads_no_pydantic(tmp_path):
    """Typer from 0.29 on coerces every option through a pydantic TypeAdapter: importing
    pydantic and building the adapters took 0.1-0.3 s of every command's start (5 % of a
    banten run), so the project keeps to typer < 0.29, where click's types coerce."""
    import subprocess
    import sys

    job = tmp_path / "job.toml"
    job.write_text("[assign]\nmax_km = 5\n")
    code = (
        "import sys\n"
        "from umkm_alloc.cli import app\n"
        "args = ['validate', 'missing.csv', 'missing2.csv', '--max-km', '7.5', '--config', "
        f"{str(job)!r}, '--snap-m', '100', '-q']\n"
        "try:\n"
        "    app(args)\n"
        "except SystemExit as stop:\n"
        "    print(stop.code, 'pydantic' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout == "2 False\n", out.stderr
