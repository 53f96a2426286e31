"""Geocoding micro-benchmark: ``locate`` against ``geopandas.sjoin`` on 1,000,000 points.

    python benchmarks/micro.py --boundaries banten --json RESULT.json

The points are drawn uniformly over the polygons (area-weighted, seeded) by the scenario
generator's sampler; both methods place the same points, timed in this one process.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import area_km2, sample_points

POINTS = 1_000_000


def run(boundaries_name: str) -> dict[str, Any]:
    import geopandas as gpd
    import numpy as np
    import pandas as pd

    from umkm_alloc.geo.boundaries import load_boundaries
    from umkm_alloc.geo.geocode import locate

    boundaries = load_boundaries(boundaries_name)
    geoms = np.asarray(boundaries.geometries)
    rng = np.random.default_rng(7)
    area = area_km2(geoms)
    counts = rng.multinomial(POINTS, area / area.sum())
    lon, lat, _ = sample_points(geoms, counts, rng)
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
        "points": POINTS,
        "polygons": len(geoms),
        "ours_s": ours,
        "sjoin_s": theirs,
        "ours_points_per_s": POINTS / ours,
        "sjoin_points_per_s": POINTS / theirs,
        "placed": int((found.index >= 0).sum()),
        "sjoin_placed": int(joined.index.nunique() - joined["kode"].isna().sum()),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--boundaries", default="banten")
    ap.add_argument("--json", required=True)
    args = ap.parse_args()
    Path(args.json).write_text(json.dumps(run(args.boundaries)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
