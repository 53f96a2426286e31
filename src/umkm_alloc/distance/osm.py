"""``--distance osm:PATH``: road distance over an OpenStreetMap extract.

The extract (``.osm`` XML, plain, ``.gz`` or ``.bz2``, streamed with
:func:`xml.etree.ElementTree.iterparse`; or ``.osm.pbf`` read with pyosmium) becomes a directed
:class:`~umkm_alloc.distance.graph.RoadGraph` of the ways a motorbike or a small van may use,
one-way streets respected. The graph is cached on disk under the SHA-256 of the file, so an
unchanged extract is parsed once.

Every producer and store is attached to its nearest road node (at most ``max_snap_m`` away;
a point farther from every road gets no route and is reported). The road distance of a pair
is access leg + shortest path + egress leg, the legs being straight lines ridden at
:data:`~umkm_alloc.distance.base.ACCESS_SPEED_KMH`.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import pandas as pd

from umkm_alloc.distance.base import ACCESS_SPEED_KMH, DistanceBackend, Pairs, Points
from umkm_alloc.distance.graph import RoadGraph
from umkm_alloc.distance.osm_read import file_sha256, load_graph

# --------------------------------------------------------------------------- backend


class OsmBackend(DistanceBackend):
    """Road distance and travel time over an OpenStreetMap extract.

    Parameters
    ----------
    path
        The ``.osm`` / ``.osm.pbf`` extract.
    max_snap_m
        A point farther than this from every road node gets no route.
    metric
        ``km``: routes are the shortest (``--max-km`` only); ``minutes``: routes are the
        fastest (with ``--max-minutes``), and their km are measured along them.
    cache
        Folder of the parsed-graph cache (see :func:`cache_dir`).
    graph
        A ready graph (tests, benchmarks): no file is read.
    """

    name = "osm"
    has_minutes = True
    route_word = "road"

    def __init__(
        self,
        path: Path,
        *,
        max_snap_m: float = 2000.0,
        metric: str = "km",
        cache: str | os.PathLike[str] | None = None,
        graph: RoadGraph | None = None,
    ) -> None:
        self.path = Path(path)
        self.max_snap_m = float(max_snap_m)
        self.metric = metric
        if graph is None:
            self.sha256 = file_sha256(self.path)
            self.graph, self.from_cache = load_graph(self.path, cache=cache, sha256=self.sha256)
        else:
            self.sha256, self.graph, self.from_cache = "", graph, False

    def params(self) -> dict[str, object]:
        """Backend, extract, its hash, route metric, snapping and graph size."""
        return {
            "backend": self.name,
            "source": str(self.path),
            "sha256": self.sha256,
            "routes": "shortest" if self.metric == "km" else "fastest",
            "max_snap_m": self.max_snap_m,
            "nodes": self.graph.n_nodes,
            "edges": self.graph.n_edges,
        }

    def describe(self) -> str:
        """Return ``OSM roads (banten.osm.pbf)``."""
        return f"OSM roads ({self.path.name})"

    def _snap(self, points: Points) -> tuple[np.ndarray, np.ndarray]:
        return self.graph.snap(points.lon, points.lat, max_m=self.max_snap_m)

    def pairs_within(
        self,
        producers: Points,
        stores: Points,
        *,
        max_km: float,
        max_minutes: float | None = None,
    ) -> Pairs:
        """Pairs within ``max_km`` (and ``max_minutes``) by road, from bounded searches."""
        with_minutes = max_minutes is not None or self.metric == "minutes"
        if len(producers) == 0 or len(stores) == 0:
            return Pairs.empty(minutes=with_minutes)
        max_min = math.inf if max_minutes is None else max_minutes
        limit = max_km if self.metric == "km" else max_min
        return self._pairs(
            producers,
            stores,
            max_km=max_km,
            max_min=max_min,
            limit=limit,
            with_minutes=with_minutes,
        )

    def _pairs(
        self,
        producers: Points,
        stores: Points,
        *,
        max_km: float,
        max_min: float,
        limit: float,
        with_minutes: bool,
    ) -> Pairs:
        p_node, p_leg = self._snap(producers)
        s_node, s_leg = self._snap(stores)
        costs = self.graph.costs(
            p_node[p_node >= 0],
            s_node[s_node >= 0],
            metric=self.metric,
            limit=limit,
            other=with_minutes,
        )
        routes = pd.DataFrame({"pn": costs.src, "sn": costs.dst, "path_km": costs.km})
        if with_minutes:
            routes["path_min"] = costs.minutes
        p = pd.DataFrame({"left": np.arange(len(producers)), "pn": p_node, "p_leg": p_leg})
        s = pd.DataFrame({"right": np.arange(len(stores)), "sn": s_node, "s_leg": s_leg})
        pairs = routes.merge(p[p["pn"] >= 0], on="pn").merge(s[s["sn"] >= 0], on="sn")
        legs = pairs["p_leg"].to_numpy() + pairs["s_leg"].to_numpy()
        km = legs + pairs["path_km"].to_numpy()
        keep = km <= max_km
        minutes = None
        if with_minutes:
            minutes = legs / ACCESS_SPEED_KMH * 60.0 + pairs["path_min"].to_numpy()
            keep &= minutes <= max_min
            minutes = minutes[keep]
        left = pairs["left"].to_numpy(np.int64)[keep]
        right = pairs["right"].to_numpy(np.int64)[keep]
        return Pairs(left, right, km[keep], minutes).sorted()

    def travel(
        self,
        producers: Points,
        stores: Points,
        *,
        max_km: float = math.inf,
        max_minutes: float = math.inf,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Road km and minutes of matched pairs (``inf``: no route within the bounds)."""
        n = len(producers)
        km, minutes = np.full(n, np.inf), np.full(n, np.inf)
        if n == 0:
            return km, minutes
        p_node, p_leg = self._snap(producers)
        s_node, s_leg = self._snap(stores)
        ok = (p_node >= 0) & (s_node >= 0)
        limit = max_km if self.metric == "km" else max_minutes
        costs = self.graph.costs(
            p_node[ok], s_node[ok], metric=self.metric, limit=limit, other=True
        )
        routes = pd.DataFrame(
            {"pn": costs.src, "sn": costs.dst, "path_km": costs.km, "path_min": costs.minutes}
        )
        asked = pd.DataFrame({"i": np.flatnonzero(ok), "pn": p_node[ok], "sn": s_node[ok]})
        found = asked.merge(routes, on=["pn", "sn"])
        i = found["i"].to_numpy()
        legs = p_leg[i] + s_leg[i]
        km[i] = legs + found["path_km"].to_numpy()
        minutes[i] = legs / ACCESS_SPEED_KMH * 60.0 + found["path_min"].to_numpy()
        beyond = (km > max_km) | (minutes > max_minutes)
        km[beyond], minutes[beyond] = np.inf, np.inf
        return km, minutes

    def unroutable(self, points: Points, *, side: str) -> list[str]:
        """``no road within N m of the producer (--max-snap-m)`` for points off the roads."""
        node, _ = self._snap(points)
        text = f"no road within {self.max_snap_m:g} m of the {side} (--max-snap-m)"
        return [text if n < 0 else "" for n in node]
