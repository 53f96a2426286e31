"""Benchmark runner: umkm-alloc against the expert sketch and the dense baseline (make bench).

    python benchmarks/run.py [--scenario serang,banten,national,national-1m] [--quick]
                             [--repeat N] [--no-dense] [--no-parts] [--profile-dir DIR]

Every measurement is a whole process started fresh, on the same input files:

* ``ours``: ``umkm-alloc assign P S --out-dir TMP -q``, the product as users run it;
* ``expert``: ``benchmarks/expert.py``, the sketch a competent engineer writes in an afternoon.
  It is the **reference**: every ratio is the expert's time over the other's (above 1 means
  faster than the expert);
* ``expert --parts``: the same sketch solving each connected part of the network on its own;
* ``dense``: ``benchmarks/dense.py``, the plain pipeline (``sjoin``, dense per-product
  distances, one HiGHS LP), with its own stage timings;
* ``stages``: ``benchmarks/ours.py``, umkm-alloc stage by stage in one process (time and peak
  memory of ``read`` ... ``write``), to show where the time goes and how each stage grows.

Each process is watched from outside (:func:`measure.spawn`): wall time, CPU time, peak
resident memory of its process tree, the CPU that *other* processes used meanwhile (the
machine's load), and the limits ``--timeout`` and ``--mem-limit-gb``: a run past either is
killed and recorded as failed, with the stage it was in. The check: every tool must allocate
the same units as umkm-alloc, with unit-km within the stated tolerance (see :mod:`check`); the
runner exits 1 when a check fails or a run breaks. Results: ``benchmarks/results/latest.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import check
import measure
import scenarios

import report

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "latest.json"
#: the tools, in the order each repeat runs them.
TOOLS = ("stages", "ours", "fair", "routes", "expert", "expert-parts", "dense")
MAX_KM, CIRCUITY = 20.0, 1.4
#: the quick run (``--quick``, ``make bench-quick``): everything but the 1M scenario.
QUICK = ("serang", "banten", "national")
#: scenarios without the geocoding micro-benchmark (serang is tiny; national-1m has national's
#: polygons).
NO_MICRO = ("serang", "national-1m")
#: scenarios not profiled with ``--profile-dir`` (cProfile would double the 1M run's time).
NO_PROFILE = ("national-1m",)
#: scenarios without the ``fair`` run (``assign --objective fair``: issue 11 budgets it on
#: banten and national; the 1M run would add half an hour).
NO_FAIR = ("national-1m",)
#: runs of each tool per scenario unless ``--repeat`` says otherwise: a banten run takes 2-5 s
#: and single runs vary by +-0.4 s on the shared 2-core machine, so the small scenarios take
#: the median of five; a national run varies by a few per cent.
REPEAT = {"serang": 5, "banten": 5}
#: scenarios without the ``routes`` run (``assign --routes``: issue 15 budgets it on banten
#: and national).
NO_ROUTES = ("national-1m",)


def _python() -> str:
    return sys.executable


def _cli_head() -> list[str]:
    exe = Path(sys.executable).parent / "umkm-alloc"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "umkm_alloc"]


def _params(files: scenarios.Files) -> list[str]:
    return [
        "--boundaries",
        files.boundaries,
        "--max-km",
        f"{MAX_KM:g}",
        "--circuity",
        f"{CIRCUITY:g}",
    ]


def _spawn(cmd: list[str], args: argparse.Namespace) -> measure.Run:
    limit = args.mem_limit_gb * 1024 if args.mem_limit_gb else None
    return measure.spawn(cmd, timeout_s=args.timeout, mem_limit_mb=limit)


def _failure(run: measure.Run, log: Path | None) -> dict[str, Any]:
    """Where a run broke: the stage it was in (from its log), when, with how much memory."""
    events = measure.read_log(log) if log else []
    open_stage = None
    for event in events:
        open_stage = event["stage"] if event["event"] == "begin" else None
    done = [e["stage"] for e in events if e["event"] == "end"]
    return {
        "reason": run.killed or f"exit code {run.returncode}",
        "stage": open_stage,
        "stages_done": done,
        "after_s": run.wall_s,
        "peak_mb": run.peak_mb,
        "stderr": run.stderr[-1500:],
    }


def run_tool(kind: str, files: scenarios.Files, args: argparse.Namespace) -> dict[str, Any]:
    """Run one tool once as a whole process; return its measurements and allocation totals."""
    with tempfile.TemporaryDirectory(prefix=f"bench-{kind}-") as tmp:
        out, result, log = Path(tmp) / "out", Path(tmp) / "result.json", Path(tmp) / "log.jsonl"
        out.mkdir()
        p, s = str(files.producers), str(files.stores)
        alloc = out / "allocations.csv"
        if kind in ("ours", "fair", "routes"):
            cmd = [*_cli_head(), "assign", p, s, *_params(files), "--out-dir", str(out), "-q"]
            cmd += ["--objective", "fair"] if kind == "fair" else []
            cmd += ["--routes"] if kind == "routes" else []
        elif kind in ("expert", "expert-parts"):
            cmd = [_python(), str(HERE / "expert.py"), p, s, *_params(files), "-o", str(alloc)]
            cmd += ["--parts"] if kind == "expert-parts" else []
        elif kind in ("stages", "dense"):
            script = HERE / ("ours.py" if kind == "stages" else "dense.py")
            cmd = [_python(), str(script), p, s, *_params(files), "--out-dir", str(out)]
            cmd += ["--json", str(result), "--log", str(log)]
        else:
            raise ValueError(kind)
        run = _spawn(cmd, args)
        entry: dict[str, Any] = {"process": run.record()}
        if run.returncode != 0 or run.killed:
            entry["failed"] = _failure(run, log if kind in ("stages", "dense") else None)
            return entry
        if result.is_file():
            entry.update(json.loads(result.read_text()))
        if alloc.is_file():
            entry["totals"] = check.totals(alloc, files, circuity=CIRCUITY)
        return entry


def _profile(files: scenarios.Files, args: argparse.Namespace) -> dict[str, Any]:
    """One extra CLI run under cProfile, in CPU seconds (not timed with the others)."""
    args.profile_dir.mkdir(parents=True, exist_ok=True)
    target = args.profile_dir / f"{files.name}.prof"
    with tempfile.TemporaryDirectory(prefix="bench-prof-") as tmp:
        cmd = [_python(), str(HERE / "cpuprofile.py"), str(target), "assign"]
        cmd += [str(files.producers), str(files.stores), *_params(files), "--out-dir", tmp, "-q"]
        run = _spawn(cmd, args)
    return {"path": str(target), "process": run.record()}


def _micro(files: scenarios.Files, args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-micro-") as tmp:
        result = Path(tmp) / "micro.json"
        cmd = [_python(), str(HERE / "micro.py"), "--boundaries", files.boundaries]
        run = _spawn([*cmd, "--json", str(result)], args)
        if run.returncode != 0:
            return {"failed": _failure(run, None)}
        return json.loads(result.read_text())


def _say(text: str, end: str = "\n") -> None:
    print(text, end=end, flush=True)


def bench_scenario(name: str, args: argparse.Namespace) -> dict[str, Any]:
    """Run one scenario: inputs, every tool ``--repeat`` (:data:`REPEAT`) times, the check."""
    try:
        files = scenarios.materialise(name, seed=args.seed, cache=args.cache)
    except scenarios.ScenarioUnavailable as exc:
        _say(f"\n{name}: SKIPPED: {exc}")
        return {"scenario": name, "skipped": str(exc)}
    how = "reused from cache" if files.cached else f"generated in {files.generated_s:.1f} s"
    _say(f"\n{name}: inputs {how} ({files.producers.parent})")
    entry: dict[str, Any] = {
        "scenario": name,
        "inputs": {
            "producers": str(files.producers),
            "stores": str(files.stores),
            "boundaries": files.boundaries,
            "generated_s": None if files.cached else files.generated_s,
            **files.meta,
        },
        "runs": {},
    }
    kinds = [k for k in TOOLS if k in args.tools and k != "dense"]
    kinds = [k for k in kinds if not (k == "fair" and name in NO_FAIR)]
    kinds = [k for k in kinds if not (k == "routes" and name in NO_ROUTES)]
    dense_ok = "dense" in args.tools and _dense_fits(files.meta, args, entry)
    repeat = args.repeat or REPEAT.get(name, 1)
    entry["repeat"] = repeat
    for i in range(repeat):
        _say(f"  run {i + 1}/{repeat}:", end="")
        for kind in kinds + (["dense"] if dense_ok and i < args.dense_repeat else []):
            if kind == "ours" and _broken(entry, "stages"):
                entry["runs"].setdefault(kind, []).append(
                    {"skipped": "the staged run of umkm-alloc failed (see stages)"}
                )
                continue
            _say(f" {kind}", end="")
            got = run_tool(kind, files, args)
            entry["runs"].setdefault(kind, []).append(got)
            _say(" FAILED" if "failed" in got else f" {got['process']['wall_s']:.1f} s", end="")
        _say("")
    if args.profile_dir and name not in NO_PROFILE and not _broken(entry, "ours"):
        _say("  profile (cProfile of the CLI)")
        entry["profile"] = _profile(files, args)
    if args.micro and name not in NO_MICRO:
        _say("  geocoding micro-benchmark (1,000,000 points)")
        entry["geocode_micro"] = _micro(files, args)
    entry["check"] = check.compare(entry["runs"])
    return entry


def _broken(entry: dict[str, Any], kind: str) -> bool:
    return any("failed" in r for r in entry["runs"].get(kind, []))


def _dense_fits(meta: dict[str, Any], args: argparse.Namespace, entry: dict[str, Any]) -> bool:
    """Whether the dense baseline's largest matrix fits in ``--dense-max-gb``."""
    import dense

    per = meta.get("rows_per_product", {})
    pairs = {k: v[0] * v[1] for k, v in per.items()}
    largest = max(pairs.values(), default=0)
    gb = largest * dense.BYTES_PER_PAIR / 1e9
    estimate = {
        "dense_pairs": sum(pairs.values()),
        "largest_product_pairs": largest,
        "estimated_peak_gb": gb,
    }
    if gb <= args.dense_max_gb:
        return True
    entry["dense_skipped"] = (
        f"dense matrices do not fit: the largest product alone has {largest:,} producer x "
        f"store pairs, ~{gb:.0f} GB ({dense.BYTES_PER_PAIR} B/pair); limit "
        f"--dense-max-gb {args.dense_max_gb:g}"
    )
    entry["dense_estimate"] = estimate
    return False


def _compile(src: Path) -> None:
    """Write the package's bytecode, as ``pip install`` of a wheel does, before timing it.

    The checkout is installed in editable mode, whose modules are compiled on first import;
    with ``PYTHONDONTWRITEBYTECODE`` set (as on some machines) every run would compile them
    all again (0.05-0.1 s of a banten run), which no installed copy does.
    """
    import compileall

    compileall.compile_dir(str(src), quiet=1, force=False)


def parent(args: argparse.Namespace) -> int:
    """Run the requested scenarios, print the tables, write the JSON."""
    names = list(QUICK) if args.quick else [n.strip() for n in args.scenario.split(",") if n]
    unknown = [n for n in names if n not in scenarios.SCENARIOS]
    if unknown:
        print(f"unknown scenario(s) {', '.join(unknown)}; choose from {scenarios.SCENARIOS}")
        return 2
    if args.mem_limit_gb is None:
        available = measure.mem_available_mb()
        args.mem_limit_gb = round(0.85 * available / 1024, 1) if available else None
    results: dict[str, Any] = {
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "repeat": args.repeat or {n: REPEAT.get(n, 1) for n in names},
        "seed": args.seed,
        "params": {"max_km": MAX_KM, "circuity": CIRCUITY},
        "limits": {"timeout_s": args.timeout, "mem_limit_gb": args.mem_limit_gb},
        "memory_measure": (
            "whole process: the larger of ru_maxrss (os.wait4) and the summed RSS of the "
            "process tree polled every 0.25 s; stages: VmHWM after resetting it at each stage "
            "start (/proc/self/clear_refs)"
        ),
        "load_measure": (
            "other_cores: CPU seconds the rest of the machine used during the run (/proc/stat "
            "minus the run's own CPU) / wall seconds; other_cores_max: the same over ~2 s windows"
        ),
        "machine": measure.machine(),
        "source": report.source_state(HERE.parent),
        "scenarios": [],
    }
    _compile(HERE.parent / "src")
    start = time.perf_counter()
    for name in names:
        results["scenarios"].append(bench_scenario(name, args))
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=1) + "\n")  # keep what we have so far
    results["total_s"] = time.perf_counter() - start
    print(report.render(results))
    args.json.write_text(json.dumps(results, indent=1) + "\n")
    print(f"\nresults written to {args.json} ({results['total_s']:.0f} s in all)")
    bad = [e["scenario"] for e in results["scenarios"] if not e.get("check", {}).get("ok", True)]
    broken = [
        f"{e['scenario']} ({kind})"
        for e in results["scenarios"]
        for kind, runs in e.get("runs", {}).items()
        if any("failed" in r for r in runs)
    ]
    if bad:
        print(f"FAILED: the check failed on {', '.join(bad)}")
    if broken:
        print(f"FAILED: runs broke on {', '.join(broken)}")
    return 1 if bad or broken else 0


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default=",".join(scenarios.SCENARIOS))
    ap.add_argument("--quick", action="store_true", help=f"only {', '.join(QUICK)}")
    ap.add_argument(
        "--repeat", type=int, help="runs of each tool (tables: medians; default: REPEAT, else 1)"
    )
    ap.add_argument("--tools", default=",".join(TOOLS), help="comma-separated subset of tools")
    ap.add_argument("--no-dense", dest="dense", action="store_false", help="skip the dense run")
    ap.add_argument("--no-baseline", dest="dense", action="store_false", help=argparse.SUPPRESS)
    ap.add_argument("--dense-repeat", type=int, default=1, help="runs of the dense baseline")
    ap.add_argument("--dense-max-gb", type=float, default=16.0, help="skip dense above this")
    ap.add_argument("--no-parts", dest="parts", action="store_false", help="skip expert --parts")
    ap.add_argument("--no-stages", dest="stages", action="store_false", help="skip staged run")
    ap.add_argument("--no-fair", dest="fair", action="store_false", help="skip --objective fair")
    ap.add_argument("--no-routes", dest="routes", action="store_false", help="skip --routes")
    ap.add_argument("--no-micro", dest="micro", action="store_false", help="skip geocode micro")
    ap.add_argument("--timeout", type=float, default=3600.0, help="seconds per run, then kill")
    ap.add_argument("--mem-limit-gb", type=float, help="kill a run above this (default 85%% free)")
    ap.add_argument("--profile-dir", type=Path, help="also cProfile one CLI run per scenario")
    ap.add_argument("--seed", type=int, default=scenarios.DEFAULT_SEED)
    ap.add_argument("--cache", type=Path, default=scenarios.CACHE)
    ap.add_argument("--json", type=Path, default=RESULTS, help="where to write the results")
    args = ap.parse_args(argv)
    if args.repeat is not None and args.repeat < 1:
        ap.error("--repeat must be >= 1")
    tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    if set(tools) - set(TOOLS):
        ap.error(f"--tools: choose from {', '.join(TOOLS)}")
    skip = {
        "dense": not args.dense,
        "expert-parts": not args.parts,
        "stages": not args.stages,
        "fair": not args.fair,
        "routes": not args.routes,
    }
    args.tools = [t for t in tools if not skip.get(t)]
    return parent(args)


if __name__ == "__main__":
    sys.exit(main())
