"""The ``osm:`` backend on a synthetic road grid of about a million nodes.

    python benchmarks/road_grid.py [--side 1000] [--producers 3000] [--stores 2000]
                                   [--max-km 20] [--max-minutes M] [--keep DIR]

A ``side x side`` grid of two-way roads 100 m apart near Serang (every 10th row and column a
primary road at 40 km/h, the rest residential at 20 km/h, every 7th row one-way) is written as
an ``.osm`` XML extract; producers and stores are drawn uniformly over it (seeded). Each
phase runs in a fresh subprocess, which reports its wall time and its peak RSS
(``ru_maxrss``) next to the RSS it started from (interpreter and imports):

* ``write``: the extract itself (not part of the tool);
* ``parse``: :func:`umkm_alloc.distance.osm.load_graph` with an empty cache: streaming XML
  parse, graph build (scipy CSR), cache write;
* ``cached``: the same call again, now a cache hit;
* ``route``: ``OsmBackend.pairs_within`` for every producer and store: snapping (KD-tree), the
  bounded Dijkstra searches (``scipy.sparse.csgraph.dijkstra`` with ``indices`` and ``limit``,
  batched to :data:`umkm_alloc.distance.graph.BATCH_BYTES`) and the pairs.

The JSON of all phases is printed at the end.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LAT0, LON0 = -6.40, 105.95  # south-west corner, near Serang
STEP_DEG = 100.0 / 111_000.0  # about 100 m


def write_grid(path: Path, side: int) -> dict[str, float]:
    """Write the grid as .osm XML; return its size."""
    start = time.perf_counter()
    with path.open("w", encoding="utf-8") as fh:
        fh.write('<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6">\n')
        for r in range(side):
            lat = LAT0 + r * STEP_DEG
            fh.writelines(
                f'<node id="{r * side + c + 1}" lat="{lat:.7f}" lon="{LON0 + c * STEP_DEG:.7f}"/>\n'
                for c in range(side)
            )
        way = 1
        for r in range(side):  # east-west streets
            refs = "".join(f'<nd ref="{r * side + c + 1}"/>' for c in range(side))
            cls = "primary" if r % 10 == 0 else "residential"
            oneway = '<tag k="oneway" v="yes"/>' if r % 7 == 3 else ""
            fh.write(f'<way id="{way}">{refs}<tag k="highway" v="{cls}"/>{oneway}</way>\n')
            way += 1
        for c in range(side):  # north-south streets
            refs = "".join(f'<nd ref="{r * side + c + 1}"/>' for r in range(side))
            cls = "primary" if c % 10 == 0 else "residential"
            fh.write(f'<way id="{way}">{refs}<tag k="highway" v="{cls}"/></way>\n')
            way += 1
        fh.write("</osm>\n")
    return {"seconds": time.perf_counter() - start, "mb": path.stat().st_size / 2**20}


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def phase(name: str, args: argparse.Namespace) -> dict[str, object]:
    """Run one phase in this process and return its figures."""
    import numpy as np

    from umkm_alloc.distance import Points
    from umkm_alloc.distance.osm import OsmBackend
    from umkm_alloc.distance.osm_read import load_graph

    base = _rss_mb()
    extract, cache = Path(args.extract), Path(args.cache)
    out: dict[str, object] = {"phase": name}
    start = time.perf_counter()
    if name in ("parse", "cached"):
        graph, cached = load_graph(extract, cache=cache)
        out.update(cached=cached, nodes=graph.n_nodes, edges=graph.n_edges)
    else:
        metric = "minutes" if args.max_minutes else "km"
        backend = OsmBackend(extract, cache=cache, metric=metric)
        loaded = time.perf_counter()
        rng = np.random.default_rng(2026)
        span = (args.side - 1) * STEP_DEG
        p_lon = LON0 + rng.uniform(0, span, args.producers)
        p_lat = LAT0 + rng.uniform(0, span, args.producers)
        s_lon = LON0 + rng.uniform(0, span, args.stores)
        s_lat = LAT0 + rng.uniform(0, span, args.stores)
        t0 = time.perf_counter()
        backend.graph.snap(p_lon, p_lat, max_m=backend.max_snap_m)
        backend.graph.snap(s_lon, s_lat, max_m=backend.max_snap_m)
        snap_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        pairs = backend.pairs_within(
            Points(p_lon, p_lat),
            Points(s_lon, s_lat),
            max_km=args.max_km,
            max_minutes=args.max_minutes,
        )
        out.update(
            load_seconds=loaded - start,
            snap_seconds=snap_s,
            pairs_seconds=time.perf_counter() - t0,
            pairs=len(pairs.left),
            mean_km=float(pairs.km.mean()) if len(pairs.km) else None,
            producers=args.producers,
            stores=args.stores,
        )
    out["seconds"] = time.perf_counter() - start
    out["rss_start_mb"] = round(base, 1)
    out["peak_rss_mb"] = round(_rss_mb(), 1)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--side", type=int, default=1000)
    parser.add_argument("--producers", type=int, default=3000)
    parser.add_argument("--stores", type=int, default=2000)
    parser.add_argument("--max-km", type=float, default=20.0)
    parser.add_argument("--max-minutes", type=float, default=None)
    parser.add_argument("--keep", type=Path, default=None, help="folder to keep the extract in")
    parser.add_argument("--phase", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--extract", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--cache", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        print(json.dumps(phase(args.phase, args)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        extract, cache = folder / f"grid{args.side}.osm", Path(tmp) / "cache"
        results: list[dict[str, object]] = [
            {"phase": "write", "nodes": args.side**2, **write_grid(extract, args.side)}
        ]
        print(json.dumps(results[-1]), flush=True)
        for name in ("parse", "cached", "route"):
            cmd = [sys.executable, __file__, "--phase", name, "--extract", str(extract)]
            cmd += ["--cache", str(cache), "--side", str(args.side)]
            cmd += ["--producers", str(args.producers), "--stores", str(args.stores)]
            cmd += ["--max-km", str(args.max_km)]
            if args.max_minutes:
                cmd += ["--max-minutes", str(args.max_minutes)]
            done = subprocess.run(cmd, capture_output=True, text=True, check=True)
            results.append(json.loads(done.stdout.strip().splitlines()[-1]))
            print(json.dumps(results[-1]), flush=True)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
