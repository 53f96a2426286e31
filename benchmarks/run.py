"""Benchmark runner: the real pipeline per stage, next to a plain baseline, on seeded scenarios.

    python benchmarks/run.py [--scenario serang,banten,national] [--repeat N] [--no-baseline]

Every measurement runs in a fresh subprocess, so that one run's imports, caches and memory
never leak into the next:

* ``ours``: :func:`umkm_alloc.allocate.assign` (stages read, validate, geocode, candidates,
  solve, tabulate, timed by the pipeline itself) then the ``write`` stage
  (:func:`umkm_alloc.report.result_files` + :func:`umkm_alloc.io.write.write_atomic` into a
  temporary folder).
* ``baseline``: the straightforward pipeline the issue compares against: ``pandas.read_csv``,
  a minimal validation, ``geopandas.sjoin`` for geocoding, a dense per-product distance matrix
  (pyproj ``Geod.inv`` over every producer row x store row of each product), and ONE SciPy
  HiGHS LP (``linprog(method="highs")``) whose objective puts a big-M weight on the units:
  minimise ``sum((km - M) * x)`` with ``M > max_km * min(producer rows, store rows)``, which
  makes every augmenting path profitable, so the optimum allocates the most units and, among
  those, the fewest unit-km (lexicographic, exactly as the pipeline).
* ``cli``: ``umkm-alloc assign P S --out-dir TMP -q``, the whole process (interpreter start,
  imports, every stage, every table written).
* ``geocode``: a micro-benchmark, 1,000,000 points against the scenario's polygons,
  :func:`umkm_alloc.geo.geocode.locate` against ``geopandas.sjoin``.

Memory: each stage's **peak RSS** is the process's resident-set high-water mark while the
stage ran. Before a stage starts the runner resets the mark (``/proc/self/clear_refs`` = 5,
Linux >= 4.0) and reads it (``VmHWM``) when the stage ends, so the figure is the most memory
the process held at any moment of that stage: the interpreter, the imported libraries and
whatever earlier stages still hold, plus the stage's own transient allocations. ``delta`` in
the JSON is that peak minus the RSS at the stage's start. Whole-process figures come from
``os.wait4`` (``ru_maxrss`` of the child). Where ``clear_refs`` cannot be written the peaks
are cumulative (``ru_maxrss``) and the JSON says so.

The baseline must allocate the same units with the same unit-km as the pipeline (checked on
every scenario where it runs; the runner exits 1 when they differ). Results go to
``benchmarks/results/latest.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import scenarios  # noqa: E402

RESULTS = HERE / "results" / "latest.json"
STAGES = ("read", "validate", "geocode", "candidates", "solve", "tabulate", "write")
MAX_KM, CIRCUITY = 20.0, 1.4
MICRO_POINTS = 1_000_000
#: bytes per producer x store pair of the baseline's dense matrix: four coordinate arrays
#: in and three result arrays out of ``Geod.inv``, float64 each.
DENSE_BYTES_PER_PAIR = 7 * 8
#: relative tolerance on unit-km between pipeline and baseline (LP tolerances, 1e-9 km costs).
UNIT_KM_RTOL = 1e-7
#: CPU use by other processes (in cores, averaged over a run) above which it is flagged.
BUSY_CORES = 0.25


# ---------------------------------------------------------------- memory


def _status_kb(field: str) -> int | None:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _maxrss_mb() -> float:
    import resource

    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / (1024 * 1024) if sys.platform == "darwin" else kb / 1024


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


class Meter:
    """Wall time and peak RSS per stage of one process."""

    def __init__(self) -> None:
        self.stages: dict[str, dict[str, float]] = {}
        self.resettable = _reset_peak()
        self._stage: str | None = None
        self._t0 = 0.0
        self._rss0 = 0.0

    @staticmethod
    def rss_mb() -> float:
        kb = _status_kb("VmRSS")
        return kb / 1024 if kb is not None else _maxrss_mb()

    @staticmethod
    def peak_mb() -> float:
        kb = _status_kb("VmHWM")
        return kb / 1024 if kb is not None else _maxrss_mb()

    def begin(self, stage: str) -> None:
        self.end()
        self._stage = stage
        if self.resettable:
            _reset_peak()
        self._rss0 = self.rss_mb()
        self._t0 = time.perf_counter()

    def end(self) -> None:
        if self._stage is None:
            return
        elapsed = time.perf_counter() - self._t0
        peak = self.peak_mb()
        self.stages[self._stage] = {
            "time_s": elapsed,
            "peak_mb": peak,
            "start_mb": self._rss0,
            "end_mb": self.rss_mb(),
            "delta_mb": peak - self._rss0,
        }
        self._stage = None


# ---------------------------------------------------------------- workers (child processes)


def worker_ours(args: argparse.Namespace) -> dict[str, Any]:
    """Run the real pipeline once, measured per stage."""
    meter = Meter()
    meter.begin("import")
    from umkm_alloc.allocate import assign
    from umkm_alloc.config import AssignConfig
    from umkm_alloc.io.write import write_atomic
    from umkm_alloc.report import result_files

    meter.end()
    config = AssignConfig(
        producers=Path(args.producers),
        stores=Path(args.stores),
        boundaries=args.boundaries,
        max_km=MAX_KM,
        circuity=CIRCUITY,
    )
    profiler = _profiler(args.profile)
    result = assign(config, progress=meter.begin)
    meter.begin("write")
    files = result_files(result)
    write_atomic({Path(args.out_dir) / name: data for name, data in files.items()})
    meter.end()
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(args.profile)
    for stage, seconds in result.timings.items():  # the pipeline's own clock
        meter.stages[stage]["time_s"] = seconds
    units, unit_km = _our_totals(result)
    return {
        "stages": meter.stages,
        "peaks_reset": meter.resettable,
        "units": units,
        "unit_km": unit_km,
        "unit_km_summary": json.loads(files["summary.json"])["unit_km"],
        "cost_scale": result.cost_scale,
        "eligible_pairs": result.candidates,
        "producer_rows": len(result.producers),
        "store_rows": len(result.stores),
        "rows_rejected": len(result.rejected_rows),
        "allocations": len(result.allocations),
    }


def _profiler(path: str | None) -> Any:
    if not path:
        return None
    import cProfile

    profiler = cProfile.Profile()
    profiler.enable()
    return profiler


def _our_totals(result: Any) -> tuple[int, float]:
    """Units and exact unit-km (unrounded geodesic distances) of a pipeline result."""
    import numpy as np
    from pyproj import Geod

    alloc = result.allocations
    p = result.producers.set_index(["id", "product"])[["lon", "lat"]]
    s = result.stores.set_index(["id", "product"])[["lon", "lat"]]
    pk = p.loc[list(zip(alloc["producer_id"], alloc["product"], strict=True))].to_numpy()
    sk = s.loc[list(zip(alloc["store_id"], alloc["product"], strict=True))].to_numpy()
    _, _, metres = Geod(ellps="WGS84").inv(pk[:, 0], pk[:, 1], sk[:, 0], sk[:, 1])
    km = np.asarray(metres, dtype=float) / 1000.0 * CIRCUITY
    qty = alloc["quantity"].to_numpy()
    return int(qty.sum()), float((qty * km).sum())


def worker_baseline(args: argparse.Namespace) -> dict[str, Any]:
    """Run the baseline pipeline once, measured per stage."""
    meter = Meter()
    meter.begin("import")
    import geopandas as gpd
    import numpy as np
    import pandas as pd
    from pyproj import Geod
    from scipy.optimize import linprog
    from scipy.sparse import csr_matrix

    from umkm_alloc.geo.boundaries import packaged_path

    meter.end()
    out = Path(args.out_dir)

    meter.begin("read")
    text = {"name": str, "product": str, "kecamatan": str}
    prod = pd.read_csv(args.producers, dtype={"producer_id": str, **text}, keep_default_na=False)
    stor = pd.read_csv(args.stores, dtype={"store_id": str, **text}, keep_default_na=False)

    meter.begin("validate")

    def clean(frame: pd.DataFrame, id_col: str, qty_col: str) -> pd.DataFrame:
        frame = frame.rename(columns={id_col: "id", qty_col: "qty"})
        for col in ("lat", "lon", "qty"):
            frame[col] = pd.to_numeric(frame[col], errors="coerce")
        ok = frame[["lat", "lon", "qty"]].notna().all(axis=1) & (frame["id"] != "")
        ok &= (frame["qty"] >= 0) & (frame["qty"] % 1 == 0)
        frame = frame[ok].copy()
        frame["qty"] = frame["qty"].astype(np.int64)
        frame["key"] = frame["product"].str.split().str.join(" ").str.casefold()
        return frame.drop_duplicates(["id", "key"], keep="first")

    prod = clean(prod, "producer_id", "capacity")
    stor = clean(stor, "store_id", "demand")

    meter.begin("geocode")
    source = packaged_path(args.boundaries)
    read = gpd.read_parquet if source.suffix == ".parquet" else gpd.read_file
    kec = read(source)[["kode", "nama", "geometry"]].to_crs("EPSG:4326")

    def place(frame: pd.DataFrame) -> pd.DataFrame:
        points = gpd.GeoDataFrame(
            frame, geometry=gpd.points_from_xy(frame["lon"], frame["lat"]), crs="EPSG:4326"
        )
        joined = gpd.sjoin(points, kec, how="inner", predicate="intersects")
        joined = joined.sort_values("kode", kind="stable")
        joined = joined[~joined.index.duplicated(keep="first")].sort_index()
        return pd.DataFrame(joined.drop(columns=["geometry", "index_right"]))

    prod, stor = place(prod), place(stor)
    prod = prod.sort_values(["id", "key"]).reset_index(drop=True)
    stor = stor.sort_values(["id", "key"]).reset_index(drop=True)

    meter.begin("candidates")
    geod = Geod(ellps="WGS84")
    arc_p, arc_s, arc_km = [], [], []
    dense_pairs = 0
    p_pos, s_pos = prod[prod["qty"] > 0], stor[stor["qty"] > 0]
    s_groups = dict(list(s_pos.groupby("key", sort=True)))
    for key, pg in p_pos.groupby("key", sort=True):
        sg = s_groups.get(key)
        if sg is None:
            continue
        n_p, n_s = len(pg), len(sg)
        dense_pairs += n_p * n_s
        _, _, metres = geod.inv(
            np.repeat(pg["lon"].to_numpy(), n_s),
            np.repeat(pg["lat"].to_numpy(), n_s),
            np.tile(sg["lon"].to_numpy(), n_p),
            np.tile(sg["lat"].to_numpy(), n_p),
        )
        km = (np.asarray(metres) / 1000.0 * CIRCUITY).reshape(n_p, n_s)
        ii, jj = np.nonzero(km <= MAX_KM)
        arc_p.append(pg.index.to_numpy()[ii])
        arc_s.append(sg.index.to_numpy()[jj])
        arc_km.append(km[ii, jj])
        del metres, km
    a_p = np.concatenate(arc_p) if arc_p else np.zeros(0, np.int64)
    a_s = np.concatenate(arc_s) if arc_s else np.zeros(0, np.int64)
    a_km = np.concatenate(arc_km) if arc_km else np.zeros(0)

    meter.begin("solve")
    n = len(a_p)
    flow = np.zeros(n, dtype=np.int64)
    big_m = 0.0
    if n:
        big_m = float(a_km.max()) * (min(len(prod), len(stor)) + 1) + 1.0
        rows = np.concatenate([a_p, len(prod) + a_s])
        cols = np.tile(np.arange(n), 2)
        a_ub = csr_matrix((np.ones(2 * n), (rows, cols)), shape=(len(prod) + len(stor), n))
        b_ub = np.concatenate([prod["qty"].to_numpy(), stor["qty"].to_numpy()]).astype(float)
        res = linprog(a_km - big_m, A_ub=a_ub, b_ub=b_ub, bounds=(0, None), method="highs")
        if res.status != 0:
            raise RuntimeError(f"baseline LP failed: {res.message}")
        x = np.asarray(res.x)
        if np.abs(x - np.rint(x)).max() > 1e-6:
            raise RuntimeError("baseline LP returned a fractional vertex")
        flow = np.rint(x).astype(np.int64)

    meter.begin("tabulate")
    used = flow > 0
    up, us = a_p[used], a_s[used]
    pr, st = prod.iloc[up].reset_index(drop=True), stor.iloc[us].reset_index(drop=True)
    allocations = pd.DataFrame(
        {
            "producer_id": pr["id"],
            "producer_name": pr["name"],
            "store_id": st["id"],
            "store_name": st["name"],
            "product": pr["product"],
            "quantity": flow[used],
            "distance_km": np.round(a_km[used], 3),
            "producer_kecamatan": pr["nama"],
            "store_kecamatan": st["nama"],
        }
    ).sort_values(["producer_id", "store_id", "product"], kind="stable")
    prod["allocated"] = np.bincount(a_p, weights=flow, minlength=len(prod)).astype(np.int64)
    stor["allocated"] = np.bincount(a_s, weights=flow, minlength=len(stor)).astype(np.int64)
    unmet = stor[stor["qty"] > stor["allocated"]]
    unmet = unmet.assign(unmet=unmet["qty"] - unmet["allocated"])
    unused = prod[prod["qty"] > prod["allocated"]]
    unused = unused.assign(unused=unused["qty"] - unused["allocated"])

    meter.begin("write")
    allocations.to_csv(out / "allocations.csv", index=False)
    unmet[["id", "name", "product", "qty", "allocated", "unmet"]].to_csv(
        out / "unmet_demand.csv", index=False
    )
    unused[["id", "name", "product", "qty", "allocated", "unused"]].to_csv(
        out / "unused_supply.csv", index=False
    )
    meter.end()
    return {
        "stages": meter.stages,
        "peaks_reset": meter.resettable,
        "units": int(flow.sum()),
        "unit_km": float((flow * a_km).sum()),
        "eligible_pairs": n,
        "dense_pairs": dense_pairs,
        "big_m": big_m,
        "producer_rows": len(prod),
        "store_rows": len(stor),
    }


def worker_geocode(args: argparse.Namespace) -> dict[str, Any]:
    """Throughput of locate() against geopandas.sjoin on MICRO_POINTS points."""
    import geopandas as gpd
    import numpy as np
    import pandas as pd

    from umkm_alloc.geo.boundaries import load_boundaries
    from umkm_alloc.geo.geocode import locate

    boundaries = load_boundaries(args.boundaries)
    geoms = np.asarray(boundaries.geometries)
    rng = np.random.default_rng(7)
    area = scenarios._area_km2(geoms)
    counts = rng.multinomial(MICRO_POINTS, area / area.sum())
    lon, lat, _ = scenarios.sample_points(geoms, counts, rng)
    frame = gpd.GeoDataFrame(
        pd.DataFrame(boundaries.frame)[["kode", "geometry"]], geometry="geometry", crs="EPSG:4326"
    )

    start = time.perf_counter()
    found = locate(lon, lat, boundaries, snap_m=1000.0)
    ours = time.perf_counter() - start

    start = time.perf_counter()
    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")
    joined = gpd.sjoin(points, frame, how="left", predicate="intersects")
    theirs = time.perf_counter() - start
    return {
        "points": MICRO_POINTS,
        "polygons": len(geoms),
        "ours_s": ours,
        "sjoin_s": theirs,
        "ours_points_per_s": MICRO_POINTS / ours,
        "sjoin_points_per_s": MICRO_POINTS / theirs,
        "placed": int((found.index >= 0).sum()),
        "sjoin_placed": int(joined.index.nunique() - joined["kode"].isna().sum()),
    }


WORKERS: dict[str, Callable[[argparse.Namespace], dict[str, Any]]] = {
    "ours": worker_ours,
    "baseline": worker_baseline,
    "geocode": worker_geocode,
}


# ---------------------------------------------------------------- parent


def _busy_cpu_s() -> float:
    """Busy CPU seconds of the whole machine so far (all processes), from /proc/stat."""
    try:
        with open("/proc/stat") as fh:
            fields = [int(v) for v in fh.readline().split()[1:]]
    except (OSError, ValueError):
        return float("nan")
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    guest = sum(fields[8:10]) if len(fields) > 9 else 0  # already counted in user/nice
    return (sum(fields) - idle - guest) / os.sysconf("SC_CLK_TCK")


def _spawn(cmd: list[str], *, timeout_s: float | None = None) -> dict[str, Any]:
    """Run a command; return wall seconds, peak RSS (MB), exit code and stderr tail."""
    busy0 = _busy_cpu_s()
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        busy = _busy_cpu_s() - busy0
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        tail = err.read().decode("utf-8", "replace")[-2000:]
    cpu = usage.ru_utime + usage.ru_stime
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "peak_mb": usage.ru_maxrss / 1024,
        "other_cores": max(0.0, busy - cpu) / wall if busy == busy and wall > 0 else None,
        "returncode": proc.returncode,
        "stderr": tail,
    }


def _run_worker(kind: str, files: scenarios.Files, profile: Path | None = None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix=f"bench-{kind}-") as tmp:
        result = Path(tmp) / "result.json"
        out = Path(tmp) / "out"
        out.mkdir()
        cmd = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--worker",
            kind,
            "--producers",
            str(files.producers),
            "--stores",
            str(files.stores),
            "--boundaries",
            files.boundaries,
            "--out-dir",
            str(out),
            "--result-json",
            str(result),
        ]
        if profile is not None:
            cmd += ["--profile", str(profile)]
        proc = _spawn(cmd)
        if proc["returncode"] != 0:
            raise RuntimeError(f"{kind} worker failed ({proc['returncode']}):\n{proc['stderr']}")
        data: dict[str, Any] = json.loads(result.read_text())
    data["process"] = {k: proc[k] for k in ("wall_s", "cpu_s", "peak_mb", "other_cores")}
    if "stages" in data:  # resetting the mark per stage also resets the child's ru_maxrss
        data["process"]["peak_mb"] = max(
            proc["peak_mb"], *(s["peak_mb"] for s in data["stages"].values())
        )
    return data


def _run_cli(files: scenarios.Files) -> dict[str, Any]:
    exe = Path(sys.executable).parent / "umkm-alloc"
    head = [str(exe)] if exe.exists() else [sys.executable, "-m", "umkm_alloc"]
    with tempfile.TemporaryDirectory(prefix="bench-cli-") as tmp:
        cmd = [
            *head,
            "assign",
            str(files.producers),
            str(files.stores),
            "--boundaries",
            files.boundaries,
            "--max-km",
            f"{MAX_KM:g}",
            "--circuity",
            f"{CIRCUITY:g}",
            "--out-dir",
            tmp,
            "-q",
        ]
        proc = _spawn(cmd)
        if proc["returncode"] != 0:
            raise RuntimeError(f"CLI failed ({proc['returncode']}):\n{proc['stderr']}")
        summary = json.loads((Path(tmp) / "summary.json").read_text())
    out = {k: proc[k] for k in ("wall_s", "cpu_s", "peak_mb", "other_cores")}
    return {**out, "units": summary["units"]}


def _median_stages(runs: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for stage in ("import", *STAGES):
        got = [r["stages"][stage] for r in runs if stage in r["stages"]]
        if got:
            out[stage] = {k: statistics.median(g[k] for g in got) for k in got[0]}
    return out


def _median(values: list[float]) -> float:
    return statistics.median(values)


def _baseline_estimate(meta: dict[str, Any]) -> dict[str, Any]:
    per = meta.get("rows_per_product", {})
    pairs = {k: v[0] * v[1] for k, v in per.items()}
    largest = max(pairs.values(), default=0)
    return {
        "dense_pairs": sum(pairs.values()),
        "largest_product_pairs": largest,
        "estimated_peak_gb": largest * DENSE_BYTES_PER_PAIR / 1e9,
    }


def bench_scenario(name: str, args: argparse.Namespace) -> dict[str, Any]:
    """Run one scenario: generate (or reuse) files, then ours, baseline, CLI, micro-benchmark."""
    try:
        files = scenarios.materialise(name, seed=args.seed, cache=args.cache)
    except scenarios.ScenarioUnavailable as exc:
        print(f"\n{name}: SKIPPED: {exc}", flush=True)
        return {"scenario": name, "skipped": str(exc)}
    how = "reused from cache" if files.cached else f"generated in {files.generated_s:.1f} s"
    print(f"\n{name}: inputs {how} ({files.producers.parent})", flush=True)
    entry: dict[str, Any] = {
        "scenario": name,
        "inputs": {
            "producers": str(files.producers),
            "stores": str(files.stores),
            "boundaries": files.boundaries,
            "generated_s": None if files.cached else files.generated_s,
            **files.meta,
        },
    }
    run_baseline = not args.no_baseline
    estimate = _baseline_estimate(files.meta)
    if run_baseline and estimate["estimated_peak_gb"] > args.baseline_max_gb:
        entry["baseline_skipped"] = (
            f"dense matrices do not fit: the largest product alone has "
            f"{estimate['largest_product_pairs']:,} producer x store pairs, "
            f"~{estimate['estimated_peak_gb']:.0f} GB for Geod.inv's arrays "
            f"({DENSE_BYTES_PER_PAIR} B/pair); limit --baseline-max-gb {args.baseline_max_gb:g}"
        )
        entry["baseline_estimate"] = estimate
        run_baseline = False
    ours, base, cli = [], [], []
    for i in range(args.repeat):
        profile = None
        if args.profile_dir and i == 0:
            args.profile_dir.mkdir(parents=True, exist_ok=True)
            profile = args.profile_dir / f"{name}.prof"
        print(f"  run {i + 1}/{args.repeat}: pipeline", end="", flush=True)
        ours.append(_run_worker("ours", files, profile))
        print(f" {ours[-1]['process']['wall_s']:.1f} s; CLI", end="", flush=True)
        cli.append(_run_cli(files))
        print(f" {cli[-1]['wall_s']:.1f} s", end="", flush=True)
        if run_baseline and i < args.baseline_repeat:
            print("; baseline", end="", flush=True)
            base.append(_run_worker("baseline", files))
            print(f" {base[-1]['process']['wall_s']:.1f} s", end="", flush=True)
        print(flush=True)
    entry["ours"] = {
        "stages": _median_stages(ours),
        "whole_process": {
            k: _median([c[k] for c in cli]) for k in ("wall_s", "cpu_s", "peak_mb", "other_cores")
        },
        **{k: ours[0][k] for k in ours[0] if k not in ("stages", "process")},
        "runs": ours,
        "cli_runs": cli,
    }
    if base:
        entry["baseline"] = {
            "stages": _median_stages(base),
            "whole_process": {
                k: _median([b["process"][k] for b in base])
                for k in ("wall_s", "cpu_s", "peak_mb", "other_cores")
            },
            **{k: base[0][k] for k in base[0] if k not in ("stages", "process")},
            "runs": base,
        }
        entry["check"] = _check(entry["ours"], entry["baseline"])
    if not args.no_micro and name != "serang":
        print("  geocoding micro-benchmark (1,000,000 points)", flush=True)
        entry["geocode_micro"] = _run_worker("geocode", files)
    return entry


def _check(ours: dict[str, Any], base: dict[str, Any]) -> dict[str, Any]:
    units_ok = ours["units"] == base["units"]
    diff = abs(ours["unit_km"] - base["unit_km"])
    tol = UNIT_KM_RTOL * max(1.0, abs(base["unit_km"])) + ours["units"] / ours["cost_scale"]
    return {
        "units": [ours["units"], base["units"]],
        "unit_km": [ours["unit_km"], base["unit_km"]],
        "unit_km_diff": diff,
        "unit_km_tolerance": tol,
        "eligible_pairs": [ours["eligible_pairs"], base["eligible_pairs"]],
        "ok": bool(units_ok and diff <= tol),
    }


# ---------------------------------------------------------------- machine and report


def _source_state() -> dict[str, Any]:
    """The commit benchmarked and whether src/ had uncommitted changes."""

    def git(*cmd: str) -> str:
        done = subprocess.run(
            ["git", *cmd], cwd=HERE.parent, capture_output=True, text=True, check=False
        )
        return done.stdout.strip() if done.returncode == 0 else ""

    import umkm_alloc

    return {
        "commit": git("rev-parse", "HEAD"),
        "src_dirty": bool(git("status", "--short", "src")),
        "package": str(Path(umkm_alloc.__file__).parent),
    }


def machine() -> dict[str, Any]:
    """CPU, cores, memory, OS and the versions of the libraries that matter."""
    import importlib.metadata as md

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next(ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name"))
    except (OSError, StopIteration):
        pass
    ram_gb = None
    try:
        with open("/proc/meminfo") as fh:
            kb = next(int(ln.split()[1]) for ln in fh if ln.startswith("MemTotal"))
            ram_gb = round(kb / 1024**2, 1)
    except (OSError, StopIteration):
        pass
    versions = {}
    for pkg in ("umkm-alloc", "numpy", "pandas", "shapely", "geopandas", "pyproj", "ortools"):
        try:
            versions[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            versions[pkg] = None
    for pkg in ("scipy", "pyogrio"):
        try:
            versions[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            versions[pkg] = None
    import shapely

    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gb": ram_gb,
        "os": platform.platform(),
        "python": platform.python_version(),
        "geos": shapely.geos_version_string,
        "versions": versions,
    }


def describe_machine(m: dict[str, Any]) -> str:
    """One paragraph describing the machine."""
    v = m["versions"]
    libs = ", ".join(f"{k} {val}" for k, val in v.items() if val)
    return (
        f"{m['cpu']}, {m['cores']} cores, {m['ram_gb']} GB RAM; {m['os']}; "
        f"Python {m['python']}; GEOS {m['geos']}; {libs}"
    )


def _fmt(value: float | None, digits: int = 2) -> str:
    return "" if value is None else f"{value:,.{digits}f}"


def scenario_table(entry: dict[str, Any]) -> str:
    """The plain-text (Markdown) table of one scenario."""
    ours = entry["ours"]
    base = entry.get("baseline")
    lines = [
        "| stage | time (s) | peak RSS (MB) | baseline (s) | baseline peak (MB) "
        "| baseline / ours |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]

    def row(label: str, o: dict[str, float] | None, b: dict[str, float] | None, key: str) -> None:
        ot = o[key] if o else None
        bt = b[key] if b else None
        ratio = f"{bt / ot:.1f}x" if ot and bt else ""
        lines.append(
            f"| {label} | {_fmt(ot)} | {_fmt(o['peak_mb'] if o else None, 0)} | "
            f"{_fmt(bt)} | {_fmt(b['peak_mb'] if b else None, 0)} | {ratio} |"
        )

    for stage in STAGES:
        row(
            stage,
            ours["stages"].get(stage),
            base["stages"].get(stage) if base else None,
            "time_s",
        )
    o_sum = {
        "time_s": sum(ours["stages"][s]["time_s"] for s in STAGES),
        "peak_mb": max(ours["stages"][s]["peak_mb"] for s in STAGES),
    }
    b_sum = (
        {
            "time_s": sum(base["stages"][s]["time_s"] for s in STAGES),
            "peak_mb": max(base["stages"][s]["peak_mb"] for s in STAGES),
        }
        if base
        else None
    )
    row("**all stages**", o_sum, b_sum, "time_s")
    row(
        "**whole process** (CLI / baseline script)",
        ours["whole_process"],
        base["whole_process"] if base else None,
        "wall_s",
    )
    return "\n".join(lines)


def scenario_notes(entry: dict[str, Any]) -> list[str]:
    """Lines under a scenario's table: sizes, the check, skips, micro-benchmark."""
    ins = entry["inputs"]
    ours = entry["ours"]
    notes = [
        f"{ins.get('description', entry['scenario'])}: "
        f"{ours['producer_rows']:,} producer rows x {ours['store_rows']:,} store rows, "
        f"{ours['eligible_pairs']:,} eligible pairs at {MAX_KM:g} km; "
        f"{ours['units']:,} units allocated, {ours['unit_km']:,.1f} unit-km",
    ]
    whole = ours["whole_process"]
    base = entry.get("baseline")
    cpu = f"CPU time of the whole process: {whole['cpu_s']:.1f} s (CLI)"
    if base:
        cpu += f", {base['whole_process']['cpu_s']:.1f} s (baseline script)"
    imports = ours["stages"].get("import", {}).get("time_s")
    if imports is not None:
        cpu += f"; importing the pipeline takes {imports:.2f} s"
    notes.append(cpu)
    others = [r["process"]["other_cores"] for r in ours["runs"]]
    others += [r["other_cores"] for r in ours["cli_runs"]]
    others += [r["process"]["other_cores"] for r in (base or {}).get("runs", [])]
    others = [o for o in others if o is not None]
    if others and max(others) > BUSY_CORES:
        notes.append(
            f"WARNING: the machine was busy: other processes used up to {max(others):.1f} of "
            f"the {os.cpu_count()} cores during a run, so wall times are inflated; rerun when idle"
        )
    if "check" in entry:
        c = entry["check"]
        verdict = "SAME" if c["ok"] else "DIFFERENT"
        notes.append(
            f"check against baseline: {verdict}: units {c['units'][0]:,} vs {c['units'][1]:,}; "
            f"unit-km {c['unit_km'][0]:,.3f} vs {c['unit_km'][1]:,.3f} "
            f"(diff {c['unit_km_diff']:.2e}, tolerance {c['unit_km_tolerance']:.2e}); "
            f"eligible pairs {c['eligible_pairs'][0]:,} vs {c['eligible_pairs'][1]:,}"
        )
    if "baseline_skipped" in entry:
        notes.append(f"baseline skipped: {entry['baseline_skipped']}")
    if "geocode_micro" in entry:
        g = entry["geocode_micro"]
        notes.append(
            f"geocoding {g['points']:,} points against {g['polygons']:,} polygons: "
            f"locate {g['ours_points_per_s']:,.0f} points/s, geopandas.sjoin "
            f"{g['sjoin_points_per_s']:,.0f} points/s ({g['sjoin_s'] / g['ours_s']:.1f}x)"
        )
    return notes


def _print_report(report: dict[str, Any]) -> None:
    print()
    print(f"machine: {describe_machine(report['machine'])}")
    src = report["source"]
    dirty = " (src/ with uncommitted changes)" if src["src_dirty"] else ""
    print(f"source: commit {src['commit'][:12]}{dirty}; umkm_alloc from {src['package']}")
    for entry in report["scenarios"]:
        print()
        if "skipped" in entry:
            print(f"## {entry['scenario']}: skipped ({entry['skipped']})")
            continue
        if "failed" in entry:
            print(f"## {entry['scenario']}: FAILED (see above)")
            continue
        print(f"## {entry['scenario']}")
        print()
        print(scenario_table(entry))
        print()
        for note in scenario_notes(entry):
            print(f"- {note}")


def parent(args: argparse.Namespace) -> int:
    """Run the requested scenarios, print the tables, write the JSON."""
    names = [n.strip() for n in args.scenario.split(",") if n.strip()]
    unknown = [n for n in names if n not in scenarios.SCENARIOS]
    if unknown:
        print(f"unknown scenario(s) {', '.join(unknown)}; choose from {scenarios.SCENARIOS}")
        return 2
    report = {
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "repeat": args.repeat,
        "seed": args.seed,
        "params": {"max_km": MAX_KM, "circuity": CIRCUITY},
        "memory_measure": (
            "peak RSS per stage: VmHWM after resetting it at the stage start "
            "(/proc/self/clear_refs); whole process: ru_maxrss of the child (os.wait4)"
        ),
        "machine": machine(),
        "source": _source_state(),
        "scenarios": [],
    }
    start = time.perf_counter()
    for name in names:
        try:
            report["scenarios"].append(bench_scenario(name, args))
        except RuntimeError as exc:  # a worker or the CLI failed: report it, go on
            print(f"\n{name}: FAILED: {exc}", flush=True)
            report["scenarios"].append({"scenario": name, "failed": str(exc)})
    report["total_s"] = time.perf_counter() - start
    _print_report(report)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nresults written to {args.json} ({report['total_s']:.0f} s in all)")
    bad = [e["scenario"] for e in report["scenarios"] if not e.get("check", {}).get("ok", True)]
    if bad:
        print(f"FAILED: the baseline and the pipeline disagree on {', '.join(bad)}")
    failed = [e["scenario"] for e in report["scenarios"] if "failed" in e]
    if failed:
        print(f"FAILED: the run broke on {', '.join(failed)}")
    return 1 if bad or failed else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line; run as the parent or as one measured worker."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default=",".join(scenarios.SCENARIOS))
    parser.add_argument("--repeat", type=int, default=1, help="runs per scenario (median)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the baseline")
    parser.add_argument(
        "--baseline-repeat",
        type=int,
        default=1,
        help="runs of the baseline (at most --repeat; it takes minutes on banten)",
    )
    parser.add_argument("--no-micro", action="store_true", help="skip the geocoding benchmark")
    parser.add_argument("--seed", type=int, default=scenarios.DEFAULT_SEED)
    parser.add_argument("--cache", type=Path, default=scenarios.CACHE)
    parser.add_argument("--json", type=Path, default=RESULTS, help="where to write results")
    parser.add_argument(
        "--baseline-max-gb",
        type=float,
        default=16.0,
        help="skip the baseline when its dense matrix would need more than this",
    )
    parser.add_argument(
        "--profile-dir", type=Path, help="write a cProfile of the first pipeline run here"
    )
    # worker mode (internal)
    parser.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    parser.add_argument("--producers", help=argparse.SUPPRESS)
    parser.add_argument("--stores", help=argparse.SUPPRESS)
    parser.add_argument("--boundaries", help=argparse.SUPPRESS)
    parser.add_argument("--out-dir", help=argparse.SUPPRESS)
    parser.add_argument("--result-json", help=argparse.SUPPRESS)
    parser.add_argument("--profile", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        data = WORKERS[args.worker](args)
        Path(args.result_json).write_text(json.dumps(data))
        return 0
    if args.repeat < 1:
        parser.error("--repeat must be >= 1")
    return parent(args)


if __name__ == "__main__":
    sys.exit(main())
