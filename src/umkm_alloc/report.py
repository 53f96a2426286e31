"""Output files of a result: the CSV tables and ``summary.json`` (xlsx and maps later).

All files of one run are rendered in memory first and then written atomically together,
so a failed run leaves no half-written output and does not clobber the previous one.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from umkm_alloc.pipeline import (
    ALLOCATION_COLUMNS,
    UNMET_COLUMNS,
    UNUSED_COLUMNS,
    Result,
)
from umkm_alloc.summary import summarize
from umkm_alloc.tables import ensure_writable_dir, to_csv_bytes, write_atomic
from umkm_alloc.validate import FIXED_COLUMNS, REJECTED_COLUMNS

TABLE_FILES = (
    "allocations.csv",
    "unmet_demand.csv",
    "unused_supply.csv",
    "rejected_rows.csv",
    "fixed_rows.csv",
    "summary.json",
)


def result_files(result: Result) -> dict[str, bytes]:
    """Render every output table of a result as bytes, keyed by file name."""
    return {
        "allocations.csv": to_csv_bytes(
            result.allocations[ALLOCATION_COLUMNS], float_digits={"distance_km": 3}
        ),
        "unmet_demand.csv": to_csv_bytes(result.unmet_demand[UNMET_COLUMNS]),
        "unused_supply.csv": to_csv_bytes(result.unused_supply[UNUSED_COLUMNS]),
        "rejected_rows.csv": to_csv_bytes(result.rejected_rows[REJECTED_COLUMNS]),
        "fixed_rows.csv": to_csv_bytes(result.fixed_rows[FIXED_COLUMNS]),
        "summary.json": summary_json(result),
    }


def summary_json(result: Result) -> bytes:
    """``summary.json``: stable key order, 2-space indent, trailing newline."""
    text = json.dumps(summarize(result), indent=2, ensure_ascii=False, allow_nan=False)
    return (text + "\n").encode("utf-8")


def write_result(
    result: Result,
    *,
    output: str | None,
    out_dir: Path | None,
    stdout: Callable[[bytes], object] | None = None,
) -> list[str]:
    """Write a result's tables.

    Parameters
    ----------
    result
        The run's result.
    output
        Where the allocations CSV goes: a path, ``-`` for stdout, or ``None`` (into
        ``out_dir``).
    out_dir
        Folder for every table and ``summary.json``; ``None`` for none.
    stdout
        Writes bytes to standard output (used when ``output`` is ``-``).

    Returns
    -------
    list of str
        What was written, for the summary (``<stdout>`` or paths).
    """
    files = result_files(result)
    targets: dict[Path, bytes] = {}
    if out_dir is not None:
        ensure_writable_dir(out_dir)
        for name in TABLE_FILES:
            if name == "allocations.csv" and output is not None:
                continue
            targets[out_dir / name] = files[name]
    if output is not None and output != "-":
        targets[Path(output)] = files["allocations.csv"]
    write_atomic(targets)
    written = [str(p) for p in targets]
    if output == "-":
        if stdout is None:
            raise ValueError("stdout writer required for output '-'")
        stdout(files["allocations.csv"])
        written.insert(0, "<stdout>")
    return written
