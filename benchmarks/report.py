"""Plain-text (Markdown) report of a benchmark run: per scenario, the check, and growth."""

from __future__ import annotations

import math
import statistics
import subprocess
from pathlib import Path
from typing import Any

import measure

STAGES = ("import", "read", "validate", "geocode", "candidates", "solve", "tabulate", "write")
LABELS = {
    "ours": "umkm-alloc `assign --out-dir -q`",
    "fair": "umkm-alloc `assign --objective fair`",
    "routes": "umkm-alloc `assign --routes`",
    "expert": "expert sketch (reference)",
    "expert-parts": "expert sketch `--parts`",
    "dense": "dense baseline",
    "stages": "umkm-alloc staged (`ours.py`)",
}
#: other processes' CPU (cores, mean over a run) above which the machine counts as busy.
BUSY_CORES = 0.25
#: growth per 10x producers above which a stage counts as faster than linear (exponent 1.1).
SUPERLINEAR = 10**1.1


def source_state(repo: Path) -> dict[str, Any]:
    """The commit benchmarked and whether ``src/`` had uncommitted changes."""

    def git(*cmd: str) -> str:
        done = subprocess.run(["git", *cmd], cwd=repo, capture_output=True, text=True, check=False)
        return done.stdout.strip() if done.returncode == 0 else ""

    import umkm_alloc

    return {
        "commit": git("rev-parse", "HEAD"),
        "src_dirty": bool(git("status", "--short", "src")),
        "package": str(Path(umkm_alloc.__file__).parent),
    }


def _ok_runs(entry: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [r for r in entry.get("runs", {}).get(kind, []) if "process" in r and "failed" not in r]


def whole(entry: dict[str, Any], kind: str) -> dict[str, float] | None:
    """Median wall, CPU, peak and load of a tool's complete runs."""
    runs = _ok_runs(entry, kind)
    if not runs:
        return None
    keys = ("wall_s", "cpu_s", "peak_mb", "other_cores", "other_cores_max")
    return {
        k: statistics.median(r["process"][k] for r in runs if r["process"][k] is not None)
        for k in keys
    }


def stages(entry: dict[str, Any], kind: str) -> dict[str, dict[str, float]]:
    """Median time and peak per stage of a staged tool (``stages`` or ``dense``)."""
    runs = [r for r in _ok_runs(entry, kind) if "stages" in r]
    out: dict[str, dict[str, float]] = {}
    for stage in dict.fromkeys([*STAGES, *(s for r in runs for s in r["stages"])]):
        got = [r["stages"][stage] for r in runs if stage in r["stages"]]
        if got:
            keys = [k for k in ("time_s", "cpu_s", "peak_mb") if all(k in g for g in got)]
            out[stage] = {k: statistics.median(g[k] for g in got) for k in keys}
    return out


def _f(value: float | None, digits: int = 2) -> str:
    return "" if value is None else f"{value:,.{digits}f}"


def _ratio(ref: float | None, value: float | None) -> str:
    return f"{ref / value:.2f}x" if ref and value else ""


def _failure(run: dict[str, Any]) -> str:
    f = run["failed"]
    where = f" in stage `{f['stage']}`" if f.get("stage") else ""
    return (
        f"FAILED{where} after {f['after_s']:,.0f} s with {f['peak_mb']:,.0f} MB resident: "
        f"{f['reason']}"
    )


def whole_table(entry: dict[str, Any]) -> list[str]:
    ref = whole(entry, "expert") or {}
    lines = [
        "| run | wall (s) | CPU (s) | peak RSS (MB) | others' CPU (cores) "
        "| expert / run, wall | expert / run, CPU |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for kind in ("ours", "fair", "routes", "expert", "expert-parts", "dense", "stages"):
        runs = entry.get("runs", {}).get(kind, [])
        if not runs:
            continue
        w = whole(entry, kind)
        if w is None:
            why = next((_failure(r) for r in runs if "failed" in r), None)
            why = why or next((r["skipped"] for r in runs if "skipped" in r), "no complete run")
            lines.append(f"| {LABELS[kind]} | {why} | | | | | |")
            continue
        lines.append(
            f"| {LABELS[kind]} | {_f(w['wall_s'])} | {_f(w['cpu_s'])} | {_f(w['peak_mb'], 0)} "
            f"| {_f(w['other_cores'], 1)} | {_ratio(ref.get('wall_s'), w['wall_s'])} "
            f"| {_ratio(ref.get('cpu_s'), w['cpu_s'])} |"
        )
    return lines


def stage_table(entry: dict[str, Any]) -> list[str]:
    tools = [(k, stages(entry, k)) for k in ("stages", "dense")]
    tools = [(k, v) for k, v in tools if v]
    if not tools:
        return []
    names = {"stages": "umkm-alloc", "dense": "dense"}
    cols = ("time_s", "cpu_s", "peak_mb")
    heads = ("(s)", "CPU (s)", "peak (MB)")
    lines = [
        "| stage | " + " | ".join(f"{names[k]} {h}" for k, _ in tools for h in heads) + " |",
        "| --- |" + " ---: |" * (len(cols) * len(tools)),
    ]
    for stage in dict.fromkeys(s for _, v in tools for s in v):
        cells = [
            _f(v.get(stage, {}).get(c), 0 if c == "peak_mb" else 2) for _, v in tools for c in cols
        ]
        lines.append(f"| {stage} | " + " | ".join(cells) + " |")
    cells = []
    for _, v in tools:
        for c in cols:
            got = [x[c] for x in v.values() if c in x]
            value = (max(got) if c == "peak_mb" else sum(got)) if got else None
            cells.append(_f(value, 0 if c == "peak_mb" else 2))
    lines.append("| **all stages** | " + " | ".join(cells) + " |")
    return lines


def load_note(entry: dict[str, Any]) -> str:
    runs = [r["process"] for rs in entry.get("runs", {}).values() for r in rs if "process" in r]
    mean = [r["other_cores"] for r in runs if r.get("other_cores") is not None]
    peak = [r["other_cores_max"] for r in runs if r.get("other_cores_max") is not None]
    loads = [x for r in runs for x in r.get("loadavg", []) if x == x]
    if not mean:
        return "load: not measured"
    text = (
        f"load: other processes used {min(mean):.1f}-{max(mean):.1f} cores on average during "
        f"the runs (up to {max(peak, default=0):.1f} over ~2 s); 1-minute load average "
        f"{min(loads, default=math.nan):.1f}-{max(loads, default=math.nan):.1f}"
    )
    if max(mean) > BUSY_CORES:
        text += " -- BUSY MACHINE: wall times are inflated, compare CPU times"
    return text


def fair_note(entry: dict[str, Any]) -> str:
    """``fair`` against ``efficient`` (issue 11: at most 3x): time, CPU, memory, units."""
    eff, fair = whole(entry, "ours"), whole(entry, "fair")
    if not eff or not fair:
        return ""
    units = [r.get("totals", {}).get("units") for k in ("ours", "fair") for r in _ok_runs(entry, k)]
    same = len(set(units)) == 1 and units[0] is not None
    return (
        f"fair / efficient: {fair['wall_s'] / eff['wall_s']:.2f}x wall, "
        f"{fair['cpu_s'] / eff['cpu_s']:.2f}x CPU, {fair['peak_mb'] / eff['peak_mb']:.2f}x "
        f"peak memory; units {'the same' if same else 'DIFFERENT'}"
    )


def routes_note(entry: dict[str, Any]) -> str:
    """``--routes`` against the allocation alone (issue 15: adds at most the allocation's time)."""
    eff, routed = whole(entry, "ours"), whole(entry, "routes")
    if not eff or not routed:
        return ""
    extra = routed["wall_s"] - eff["wall_s"]
    return (
        f"--routes adds {extra:.2f} s wall ({extra / eff['wall_s']:.0%} of the allocation's "
        f"{eff['wall_s']:.2f} s) and {routed['cpu_s'] - eff['cpu_s']:.2f} s CPU; peak "
        f"{routed['peak_mb']:,.0f} MB"
    )


def check_note(entry: dict[str, Any]) -> str:
    c = entry.get("check", {})
    if "ours" not in c:
        return f"check: not possible ({c.get('why', 'no runs')})"
    ref = c["ours"]
    base = ref["unit_km_wgs84"]
    parts = [f"umkm-alloc {ref['units']:,} units, {base:,.1f} unit-km on WGS84"]
    for kind, t in c["tools"].items():
        low, high = t["allowed"]
        text = (
            f"{kind}: {t['units']:,} units ({'same' if t['units_same'] else 'DIFFERENT'}), "
            f"unit-km {t['unit_km_diff']:+,.1f} ({t['unit_km_rel']:+.4%}; allowed "
            f"{low:+,.1f} .. {high:+,.1f})"
        )
        if kind.startswith("expert"):
            text += f", {t['unit_km_file']:,.1f} as it measured them (haversine)"
        parts.append(text + ("" if t["ok"] else " FAIL"))
    return ("check: OK: " if c["ok"] else "check: FAILED: ") + "; ".join(parts)


def scenario_section(entry: dict[str, Any]) -> list[str]:
    name = entry["scenario"]
    if "skipped" in entry:
        return [f"## {name}: skipped ({entry['skipped']})"]
    ins = entry["inputs"]
    staged = next(iter(_ok_runs(entry, "stages")), {})
    pairs = staged.get("eligible_pairs")
    head = (
        f"## {name}\n\n{ins.get('description', name)}: {ins['producer_rows']:,} producer rows x "
        f"{ins['store_rows']:,} store rows"
        + (f", {pairs:,} eligible pairs" if pairs else "")
        + (f"; inputs generated in {ins['generated_s']:.1f} s" if ins.get("generated_s") else "")
    )
    lines = [head, "", *whole_table(entry), ""]
    table = stage_table(entry)
    if table:
        lines += [*table, ""]
    lines += [f"- {load_note(entry)}", f"- {check_note(entry)}"]
    fair = fair_note(entry)
    if fair:
        lines.append(f"- {fair}")
    routed = routes_note(entry)
    if routed:
        lines.append(f"- {routed}")
    if "dense_skipped" in entry:
        lines.append(f"- dense baseline skipped: {entry['dense_skipped']}")
    for r in _ok_runs(entry, "dense")[:1]:
        lp = r.get("lp", {})
        lines.append(
            f"- dense: {r['dense_pairs']:,} dense pairs, {r['geodesic_pairs']:,} measured on "
            f"WGS84; {lp.get('lps', 1):,} LPs (one per product), {lp.get('rows', 0):,} rows x "
            f"{lp.get('columns', 0):,} columns in all, "
            f"{lp.get('iterations', 0):,} iterations"
        )
    g = entry.get("geocode_micro")
    if g and "failed" not in g:
        lines.append(
            f"- geocoding {g['points']:,} points against {g['polygons']:,} polygons: locate "
            f"{g['ours_points_per_s']:,.0f} points/s, geopandas.sjoin "
            f"{g['sjoin_points_per_s']:,.0f} points/s ({g['sjoin_s'] / g['ours_s']:.1f}x)"
        )
    if "profile" in entry:
        lines.append(f"- cProfile of the CLI: {entry['profile']['path']}")
    return lines


def growth_section(results: dict[str, Any]) -> list[str]:
    """How each stage grows from 10k to 100k to 1M producers (CPU time and peak memory)."""
    by = {e["scenario"]: e for e in results["scenarios"] if "runs" in e}
    names = [n for n in ("banten", "national", "national-1m") if n in by]
    if len(names) < 2:
        return []
    staged = {n: stages(by[n], "stages") for n in names}
    like = "national" in names and "national-1m" in names
    lines = [
        "## Growth: 10k -> 100k -> 1M producers (CPU time, so that the load matters less)",
        "",
        "| stage | "
        + " | ".join(f"{n} CPU (s)" for n in names)
        + " | "
        + " | ".join(f"{n} peak (MB)" for n in names)
        + (" | 1M / 100k, CPU | 1M / 100k, peak |" if like else " |"),
        "| --- |" + " ---: |" * (2 * len(names) + (2 if like else 0)),
    ]

    def ratio(values: list[float | None], flag: bool) -> str:
        a, b = values[names.index("national")], values[names.index("national-1m")]
        if not a or not b:
            return ""
        return f"{b / a:.1f}x" + (" (faster than linear)" if flag and b / a > SUPERLINEAR else "")

    def row(label: str, values: list[dict[str, float] | None], key: str) -> None:
        if not any(values):
            return
        times = [v.get(key) if v else None for v in values]
        peaks = [v.get("peak_mb") if v else None for v in values]
        cells = [_f(t) for t in times] + [_f(p, 0) for p in peaks]
        if like:
            cells += [ratio(times, True), ratio(peaks, True)]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")

    for stage in dict.fromkeys(s for n in names for s in staged[n]):
        row(stage, [staged[n].get(stage) for n in names], "cpu_s")
    for kind in ("ours", "expert", "expert-parts"):
        row(f"**whole: {LABELS[kind]}**", [whole(by[n], kind) for n in names], "cpu_s")
    pairs = [next(iter(_ok_runs(by[n], "stages")), {}).get("eligible_pairs") for n in names]
    lines += [
        "",
        "eligible pairs: "
        + ", ".join(f"{n} {p:,}" for n, p in zip(names, pairs, strict=True) if p)
        + ". "
        "banten -> national changes the boundaries (155 -> 7,285 kecamatan) as well as the "
        "size; national -> national-1m is like for like (10x producers and producer rows, the "
        "same 42,000 stores). A figure growing more than 10^1.1 = 12.6x there is flagged.",
    ]
    return lines


def render(results: dict[str, Any]) -> str:
    """The whole report."""
    src = results["source"]
    dirty = " (src/ with uncommitted changes)" if src["src_dirty"] else ""
    lines = [
        "",
        f"machine: {measure.describe_machine(results['machine'])}",
        f"source: commit {src['commit'][:12]}{dirty}; umkm_alloc from {src['package']}",
        f"limits per run: {results['limits']['timeout_s']:.0f} s, "
        f"{results['limits']['mem_limit_gb']} GB resident",
    ]
    for entry in results["scenarios"]:
        lines += ["", *scenario_section(entry)]
    lines += [
        "",
        "expert / run above 1 means faster than the expert sketch. Others' CPU: cores used by "
        "other processes during the run, on average (the machine has "
        f"{results['machine']['cores']}).",
    ]
    growth = growth_section(results)
    if growth:
        lines += ["", *growth]
    return "\n".join(lines)
