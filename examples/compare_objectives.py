"""Print the objectives of runs side by side, from their ``summary.json`` files.

``make demo`` runs the example twice, ``efficient`` (the default) and ``--objective fair``,
and prints::

    python examples/compare_objectives.py out/demo out/demo-fair

one line per run: the UMKM with orders (of those with a store in reach), the smallest share
of capacity, and the unit-km with its extra over the efficient allocation.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def line(summary: dict) -> str:
    """Return the comparison line of one run's ``summary.json``."""
    f = summary["fairness"]
    share = "-" if f["min_share"] is None else f"{100 * f['min_share']:.1f}%"
    extra = f" ({f['extra_km_pct']:+.1f}%)" if f["objective"] != "efficient" else ""
    return (
        f"{f['objective']:<16} UMKM with orders {f['producers_with_orders']:>5,} of "
        f"{f['producers_in_reach']:,} in reach   smallest share {share:>6}   "
        f"unit-km {f['unit_km']:>12,.0f}{extra}"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out_dirs", nargs="+", type=Path, help="--out-dir folders of the runs")
    args = ap.parse_args(argv)
    for folder in args.out_dirs:
        summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
        print(line(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
