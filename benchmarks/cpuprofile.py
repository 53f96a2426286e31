"""cProfile of a whole ``umkm-alloc`` run, timed in CPU seconds of the process.

    python benchmarks/cpuprofile.py OUT.prof assign P.csv S.csv --boundaries banten -q ...

Like ``python -m cProfile -o OUT.prof -m umkm_alloc ...`` (which writes nothing: the CLI ends
its process at once), but the profiler's clock is
``time.process_time``, so that other processes on a shared machine do not inflate the
figures (``python -m pstats OUT.prof`` or snakeviz read it as usual).
"""

from __future__ import annotations

import cProfile
import sys
import time


def main() -> int:
    out, args = sys.argv[1], sys.argv[2:]
    sys.argv = ["umkm-alloc", *args]
    profiler = cProfile.Profile(time.process_time)
    code = 0
    profiler.enable()
    try:
        # the Typer app, not ``main()``: main ends the process with os._exit, which would
        # leave no profile behind
        from umkm_alloc.cli import app

        app()
    except SystemExit as exc:  # the CLI exits through Typer
        code = exc.code if isinstance(exc.code, int) else 0
    finally:
        profiler.disable()
        profiler.dump_stats(out)
    return code


if __name__ == "__main__":
    sys.exit(main())
