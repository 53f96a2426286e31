"""Regenerate the golden outputs of the demo run (``make demo``'s command).

Run from the repository root after a change that is *meant* to alter the demo's outputs:

    .venv/bin/python tests/golden/regen.py

and say in the commit message why the outputs changed. ``tests/test_golden.py`` compares
every run of the suite against these files byte for byte.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]

#: The demo's tables and summary, compared byte for byte.
TABLES = (
    "allocations.csv",
    "unmet_demand.csv",
    "unused_supply.csv",
    "rejected_rows.csv",
    "fixed_rows.csv",
    "skipped_rows.csv",
    "summary.json",
)
#: The demo command, as ``make demo`` runs it (paths relative to the repository root).
DEMO_ARGS = [
    "assign",
    "examples/producers.csv",
    "examples/stores.csv",
    "--config",
    "examples/serang.toml",
    "--report",
    "-q",
]


def workbook_cells(path: Path) -> bytes:
    """Return every sheet's cell values and number formats, one JSON line per row."""
    from openpyxl import load_workbook

    wb = load_workbook(path)
    lines = []
    for ws in wb.worksheets:
        lines.append(json.dumps({"sheet": ws.title}, ensure_ascii=False))
        rows = []
        for row in ws.iter_rows():
            cells = [[c.value, c.number_format] if c.value is not None else None for c in row]
            while cells and cells[-1] is None:
                cells.pop()
            rows.append(cells)
        while rows and not rows[-1]:
            rows.pop()
        lines.extend(json.dumps(r, ensure_ascii=False, default=str) for r in rows)
    return ("\n".join(lines) + "\n").encode("utf-8")


def run_demo(out_dir: Path) -> dict[str, bytes]:
    """Run the demo command into ``out_dir``; return the golden files' bytes by name."""
    make_demo(out_dir)
    return golden_files(out_dir)


def make_demo(out_dir: Path) -> None:
    """Run the demo command from the repository root, writing into ``out_dir``."""
    import os

    from typer.testing import CliRunner  # a script of its own: not the tests' run_cli

    from umkm_alloc.cli import app

    cwd = Path.cwd()
    os.chdir(REPO)
    try:
        result = CliRunner().invoke(app, [*DEMO_ARGS, "--out-dir", str(out_dir)])
    finally:
        os.chdir(cwd)
    if result.exit_code != 0:
        raise RuntimeError(f"demo run failed ({result.exit_code}): {result.output}")


def golden_files(out_dir: Path) -> dict[str, bytes]:
    """The golden files' bytes by name, read from the demo's ``out_dir``."""
    files = {name: (out_dir / name).read_bytes() for name in TABLES}
    files["summary.json"] = _portable_summary(files["summary.json"], out_dir)
    files["report.cells.json"] = workbook_cells(out_dir / "report.xlsx")
    return files


def _portable_summary(data: bytes, out_dir: Path) -> bytes:
    """Return summary.json with the temporary output folder written as ``OUT``."""
    return data.replace(str(out_dir).encode(), b"OUT")


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        files = run_demo(Path(tmp) / "demo")
    for name, data in files.items():
        (HERE / "demo" / name).parent.mkdir(parents=True, exist_ok=True)
        (HERE / "demo" / name).write_bytes(data)
        print(f"wrote tests/golden/demo/{name} ({len(data):,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
