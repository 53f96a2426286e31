"""Shared by the commands: library errors become exit codes and messages; data output."""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer

from umkm_alloc.errors import UmkmAllocError, UsageError


def stderr_console(*, quiet: bool = False):
    """Return a rich console on stderr (or a silent one with ``quiet``)."""
    from rich.console import Console

    console = Console(stderr=True, quiet=quiet, highlight=False, soft_wrap=False)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        # logs of scheduled jobs: wide enough for the tables, stable from run to run
        console = Console(stderr=True, quiet=quiet, highlight=False, width=110)
    return console


STAGE_LABELS = {
    "read": "reading the tables",
    "validate": "checking the rows",
    "geocode": "placing rows in kecamatan",
    "candidates": "finding producer-store pairs in reach",
    "solve": "solving the allocation",
    "tabulate": "building the tables",
    "routes": "planning the delivery trips",
    "write": "writing the outputs",
}


@contextmanager
def stage_progress(console: Any) -> Iterator[Callable[[str], None]]:
    """Yield a callback that shows the current stage with a spinner on a terminal.

    Nothing is shown when stderr is not a terminal (logs, pipes) or the console is quiet.
    """
    if console.quiet or not console.is_terminal:
        yield lambda _stage: None
        return
    with console.status("starting", spinner="dots") as status:
        yield lambda stage: status.update(STAGE_LABELS.get(stage, stage) + " ...")


@contextmanager
def handle_errors(*, verbose: bool = False) -> Iterator[None]:
    """Turn library errors into ``error: ...`` on stderr and the documented exit code.

    Anything else is a bug: exit code 1 with a request to report it (traceback with ``-v``).
    """
    try:
        yield
    except typer.Exit:
        raise
    except UmkmAllocError as exc:
        if verbose:
            traceback.print_exc(file=sys.stderr)
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt:
        typer.echo("interrupted; nothing was written", err=True)
        raise typer.Exit(130) from None
    except Exception as exc:
        if verbose:
            traceback.print_exc(file=sys.stderr)
        typer.echo(
            f"internal error: {type(exc).__name__}: {exc}\n"
            "This is a bug in umkm-alloc; please report it with the command and, if you can, "
            "the input files (run again with -v for the traceback).",
            err=True,
        )
        raise typer.Exit(1) from None


def write_stdout(data: bytes) -> None:
    """Write bytes to standard output (data only; messages go to stderr)."""
    stream = getattr(sys.stdout, "buffer", None)
    if stream is not None:
        stream.write(data)
        stream.flush()
    else:  # a text-only stdout (some embedding hosts)
        sys.stdout.write(data.decode("utf-8"))
        sys.stdout.flush()


def check_output(output: str | None) -> None:
    """Fail early (usage error) when ``-o`` names a folder, before any work is done.

    Parameters
    ----------
    output
        The ``-o/--output`` value: a file path, ``-`` for stdout, or ``None`` (not given).
    """
    if output is not None and output != "-" and Path(output).is_dir():
        raise UsageError(f"--output {output}: is a folder; give a file path or '-'")


def write_output(data: bytes, output: str) -> str:
    """Write a command's data to stdout (``-``) or atomically to a file.

    Parameters
    ----------
    data
        The bytes to write.
    output
        The ``-o/--output`` value: ``-`` for stdout, else a file path.

    Returns
    -------
    str
        What was written: ``<stdout>`` or the path.
    """
    if output == "-":
        write_stdout(data)
        return "<stdout>"
    from umkm_alloc.io.write import write_atomic

    check_output(output)
    write_atomic({Path(output): data})
    return output
