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

from umkm_alloc.distance.base import (
    ACCESS_SPEED_KMH,
    DistanceBackend,
    Pairs,
    Points,
    SetCells,
    geodesic_km,
)
from umkm_alloc.distance.graph import RoadGraph
from umkm_alloc.distance.osm_read import file_sha256, load_graph

#: Bounds of the searches between the stops of a delivery trip: a road route is first looked
#: for within ``_DETOUR`` x the straight line + ``_SLACK_KM`` (at ``_SLOW_KMH`` for a bound in
#: minutes), then within ``_WIDER`` x that, then without a bound.
_DETOUR, _SLACK_KM, _SLOW_KMH, _WIDER = 2.5, 2.0, 15.0, 4.0
#: Searches are grouped by bound, rounded up to a power of this (fewer, batched searches).
_BOUND_STEP = 1.5

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

    def leg_matrices(self, points: Points, sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Road km and minutes between the points of each set, from bounded searches.

        Each route is searched from its store end (backwards to the producer for the way
        out), out to a bound from the straight line (see ``_DETOUR``), widened until found:
        only the stores' neighbourhoods are searched, never all pairs of the network.
        """
        cells = SetCells.of(sizes)
        km, minutes = np.zeros(len(cells.u)), np.zeros(len(cells.u))
        off = cells.u != cells.v
        km[off], minutes[off] = np.inf, np.inf
        node, leg = self._snap(points)
        ask = np.flatnonzero(off & (node[cells.u] >= 0) & (node[cells.v] >= 0))
        u, v = cells.u[ask], cells.v[ask]
        back = cells.depot[u]  # the way out: searched backwards from the store
        origin = np.where(back, node[v], node[u])
        target = np.where(back, node[u], node[v])
        path_km, path_min = self._bounded(origin, target, back)
        legs = leg[u] + leg[v]
        km[ask] = legs + path_km
        minutes[ask] = legs / ACCESS_SPEED_KMH * 60.0 + path_min
        return km, minutes

    def _bounded(
        self, origin: np.ndarray, target: np.ndarray, back: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Path km and minutes between graph nodes (``inf``: none), by widening searches."""
        g = self.graph
        todo = pd.DataFrame({"o": origin, "t": target, "back": back})
        want = todo.drop_duplicates().reset_index(drop=True)
        straight = geodesic_km(
            g.lon[want["o"]], g.lat[want["o"]], g.lon[want["t"]], g.lat[want["t"]]
        )
        bound = straight * _DETOUR + _SLACK_KM
        want["bound"] = bound if self.metric == "km" else bound / _SLOW_KMH * 60.0
        want["km"], want["min"] = np.inf, np.inf
        for widen in (1.0, _WIDER, math.inf):
            open_ = want[np.isinf(want["km"].to_numpy())]
            if open_.empty:
                break
            for (rev, _), group in open_.groupby(["back", _bucket(open_, widen)], sort=True):
                limit = _bucket_limit(group["bound"].max() * widen)
                found = g.search(
                    group["o"].unique(),
                    group["t"].unique(),
                    metric=self.metric,
                    limit=limit,
                    reverse=bool(rev),
                )
                got = pd.DataFrame(
                    {"o": found.src, "t": found.dst, "k": found.km, "m": found.minutes}
                )
                hit = group[["o", "t"]].reset_index().merge(got, on=["o", "t"])
                want.loc[hit["index"], "km"] = hit["k"].to_numpy()
                want.loc[hit["index"], "min"] = hit["m"].to_numpy()
        out = todo.merge(want, on=["o", "t", "back"], how="left")
        return out["km"].to_numpy(float), out["min"].to_numpy(float)

    def unroutable(self, points: Points, *, side: str) -> list[str]:
        """``no road within N m of the producer (--max-snap-m)`` for points off the roads."""
        node, _ = self._snap(points)
        text = f"no road within {self.max_snap_m:g} m of the {side} (--max-snap-m)"
        return [text if n < 0 else "" for n in node]


def _bucket(pairs: pd.DataFrame, widen: float) -> np.ndarray:
    """Group of each search: its origin's largest bound, rounded up to a power of the step."""
    largest = pairs.groupby(["back", "o"])["bound"].transform("max").to_numpy() * widen
    if widen == math.inf:
        return np.zeros(len(pairs), np.int64)
    return np.ceil(np.log(np.maximum(largest, 1e-3)) / math.log(_BOUND_STEP)).astype(np.int64)


def _bucket_limit(bound: float) -> float:
    """Round ``bound`` up to the bound of its group: a power of the step (``inf`` stays)."""
    if bound == math.inf:
        return math.inf
    return float(_BOUND_STEP ** math.ceil(math.log(max(bound, 1e-3)) / math.log(_BOUND_STEP)))
