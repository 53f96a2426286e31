"""umkm-alloc stage by stage, in one process: where its time and memory go.

    python benchmarks/ours.py P.csv S.csv --boundaries banten --out-dir DIR --json RESULT.json \
        [--log STAGES.jsonl] [--max-km 20] [--circuity 1.4]

Runs ``assign(config, progress=...)`` (stages ``read``, ``validate``, ``geocode``,
``candidates``, ``solve``, ``tabulate``: the pipeline's own ``Result.timings``), then
``write_result`` into ``DIR`` (stage ``write``), each stage's peak memory measured by
:class:`measure.Meter`. The whole-process yardstick is the CLI run (``run.py``); this run
says where inside it the time goes.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from measure import Meter, staged_main


def run(args: argparse.Namespace) -> dict[str, Any]:
    meter = Meter(args.log)
    meter.begin("import")
    from umkm_alloc.allocate import assign
    from umkm_alloc.config import AssignConfig
    from umkm_alloc.report import write_result

    meter.end()
    config = AssignConfig(
        producers=Path(args.producers),
        stores=Path(args.stores),
        boundaries=args.boundaries,
        max_km=args.max_km,
        circuity=args.circuity,
    )
    result = assign(config, progress=meter.begin)
    meter.begin("write")
    write_result(result, output=None, out_dir=Path(args.out_dir))
    meter.end()
    for stage, seconds in getattr(result, "timings", {}).items():  # the pipeline's own clock
        if stage in meter.stages:
            meter.stages[stage]["time_s"] = seconds
    return {
        "stages": meter.stages,
        "peaks_reset": meter.resettable,
        "eligible_pairs": int(result.candidates),
        "cost_scale": getattr(result, "cost_scale", None),
        "producer_rows": len(result.producers),
        "store_rows": len(result.stores),
        "rows_rejected": len(result.rejected_rows),
        "allocation_rows": len(result.allocations),
    }


def main() -> int:
    return staged_main(run, __doc__.splitlines()[0])


if __name__ == "__main__":
    sys.exit(main())
