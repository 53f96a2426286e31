"""The application: version, help for every command, entry points, internal errors."""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import ALLOCATIONS_HEADER, run_cli
from umkm_alloc import __version__
from umkm_alloc.cli import app


def test_version():
    result = run_cli("--version")
    assert result.exit_code == 0
    assert result.stdout == f"umkm-alloc {__version__}\n"


def test_every_command_has_help_text():
    result = run_cli("--help")
    assert result.exit_code == 0
    commands = [c.name for c in app.registered_commands]
    assert commands
    for name in commands:
        sub = run_cli(name, "--help")
        assert sub.exit_code == 0, name
        assert "Usage:" in sub.stdout
        cmd = next(c for c in app.registered_commands if c.name == name)
        assert cmd.callback.__doc__, f"{name} has no help text"
        assert name in result.stdout


def test_internal_error_exit_1_without_traceback(small_job, monkeypatch):
    import umkm_alloc.allocate as pipeline

    def broken(*_a, **_k):
        raise RuntimeError("boom")

    monkeypatch.setattr(pipeline, "assign", broken)
    result = run_cli("assign", *small_job)
    assert result.exit_code == 1
    assert result.stderr.startswith("internal error: RuntimeError: boom\n")
    assert "Traceback" not in result.stderr
    verbose = run_cli("assign", *small_job, "-v")
    assert "Traceback" in verbose.stderr


@pytest.mark.slow
def test_console_script_and_module_entry_points(small_job):
    proc = subprocess.run(
        [sys.executable, "-m", "umkm_alloc", "assign", *small_job, "-q"],
        capture_output=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.decode().startswith(ALLOCATIONS_HEADER)
    assert proc.stderr == b""
    missing = subprocess.run(
        [sys.executable, "-m", "umkm_alloc", "assign", "x.csv", "y.csv"],
        capture_output=True,
        check=False,
    )
    assert missing.returncode == 2
    assert missing.stderr == b"error: x.csv: no such producers file; check the path\n"
