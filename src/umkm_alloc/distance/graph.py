"""A directed road graph: CSR adjacency, snapping points to roads, bounded Dijkstra.

The graph is built once from an OpenStreetMap extract (:mod:`umkm_alloc.distance.osm`) or
synthetically (``benchmarks/road_grid.py``). Shortest paths come from
:func:`scipy.sparse.csgraph.dijkstra` with ``indices`` (only the needed sources, in batches
whose dense output fits a memory budget) and ``limit`` (only out to the bound), never
all-pairs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree

from umkm_alloc.distance.base import geodesic_km

#: Metrics a graph can be searched by: edge length (km) or travel time (minutes).
METRICS = ("km", "minutes")
#: Bytes the dense Dijkstra output of one batch of sources may take.
BATCH_BYTES = 256 * 2**20
#: A point is snapped only to components of at least this many nodes (or to the largest
#: component when none is this big): a parking aisle cut off from the network is no road.
MIN_COMPONENT_NODES = 1000
#: Smallest edge weight, so that no edge has weight zero (duplicate node positions).
_MIN_WEIGHT = 1e-6
_EARTH_M = 6_371_008.8


@dataclass(frozen=True)
class NodeCosts:
    """Shortest-path costs between graph nodes.

    Attributes
    ----------
    src, dst
        Node ids (origin and destination in the direction of travel).
    km, minutes
        Length and travel time of the route; one of them may be ``None`` when not asked for.
    """

    src: np.ndarray
    dst: np.ndarray
    km: np.ndarray | None
    minutes: np.ndarray | None


@dataclass(eq=False)
class RoadGraph:
    """Directed road graph over WGS84 nodes.

    Attributes
    ----------
    lon, lat
        Node coordinates (degrees).
    tail, head
        Directed edges ``tail -> head`` (node indices), no duplicates, no self-loops.
    km, minutes
        Length and travel time of each edge.
    """

    lon: np.ndarray
    lat: np.ndarray
    tail: np.ndarray
    head: np.ndarray
    km: np.ndarray
    minutes: np.ndarray
    batch_bytes: int = BATCH_BYTES
    _memo: dict[Any, Any] = field(default_factory=dict, repr=False)

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return len(self.lon)

    @property
    def n_edges(self) -> int:
        """Number of directed edges."""
        return len(self.tail)

    # ------------------------------------------------------------------ construction

    @classmethod
    def from_segments(
        cls,
        lon: np.ndarray,
        lat: np.ndarray,
        a: np.ndarray,
        b: np.ndarray,
        speed_kmh: np.ndarray,
        direction: np.ndarray,
        *,
        km: np.ndarray | None = None,
    ) -> RoadGraph:
        """Build a graph from undirected road segments ``a - b``.

        Parameters
        ----------
        lon, lat
            Coordinates of every node a segment may refer to.
        a, b
            Node indices of each segment's ends, in the way's drawing order.
        speed_kmh
            Speed on each segment.
        direction
            ``0`` both ways, ``1`` only ``a -> b``, ``-1`` only ``b -> a``.
        km
            Segment lengths; by default their geodesic length.

        Returns
        -------
        RoadGraph
            Only the nodes that some segment uses, in their original order; between two
            nodes the shortest edge in each direction.
        """
        a, b = np.asarray(a, np.int64), np.asarray(b, np.int64)
        direction = np.asarray(direction, np.int8)
        keep = a != b
        a, b, speed_kmh, direction = a[keep], b[keep], speed_kmh[keep], direction[keep]
        if km is None:
            km = geodesic_km(lon[a], lat[a], lon[b], lat[b])
        else:
            km = np.asarray(km, float)[keep]
        km = np.maximum(km, _MIN_WEIGHT)
        minutes = np.maximum(km / speed_kmh * 60.0, _MIN_WEIGHT)
        fwd = direction >= 0
        back = direction <= 0
        tail = np.concatenate([a[fwd], b[back]])
        head = np.concatenate([b[fwd], a[back]])
        e_km = np.concatenate([km[fwd], km[back]])
        e_min = np.concatenate([minutes[fwd], minutes[back]])
        used, inverse = np.unique(np.concatenate([tail, head]), return_inverse=True)
        tail, head = inverse[: len(tail)], inverse[len(tail) :]
        order = np.lexsort((e_min, e_km, head, tail))
        tail, head, e_km, e_min = tail[order], head[order], e_km[order], e_min[order]
        first = np.ones(len(tail), bool)
        first[1:] = (tail[1:] != tail[:-1]) | (head[1:] != head[:-1])
        return cls(
            lon=np.ascontiguousarray(lon[used], dtype=float),
            lat=np.ascontiguousarray(lat[used], dtype=float),
            tail=tail[first].astype(np.int32),
            head=head[first].astype(np.int32),
            km=e_km[first],
            minutes=e_min[first],
        )

    def arrays(self) -> dict[str, np.ndarray]:
        """Return the arrays that define the graph (for the on-disk cache)."""
        return {
            "lon": self.lon,
            "lat": self.lat,
            "tail": self.tail,
            "head": self.head,
            "km": self.km,
            "minutes": self.minutes,
        }

    # -------------------------------------------------------------------- adjacency

    def _adjacency(self, metric: str, *, reverse: bool) -> csr_matrix:
        """CSR matrix weighted by ``metric``, transposed when ``reverse``."""
        memo_key = ("csr", metric, reverse)
        if memo_key not in self._memo:
            rows, cols = (self.head, self.tail) if reverse else (self.tail, self.head)
            order = np.lexsort((cols, rows))
            n = self.n_nodes
            indptr = np.zeros(n + 1, dtype=np.int64)
            np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
            weights = self.km if metric == "km" else self.minutes
            matrix = csr_matrix(
                (weights[order], cols[order].astype(np.int32), indptr), shape=(n, n)
            )
            self._memo[memo_key] = (matrix, order)
        return self._memo[memo_key][0]

    def _edge_weight(self, metric: str, *, reverse: bool, frm: np.ndarray, to: np.ndarray) -> Any:
        """Weight by ``metric`` of existing edges ``frm -> to`` of the (reversed) graph.

        Each edge is found by stepping through its tail's row of the CSR matrix: a road node
        has a handful of edges, so this beats a binary search over all edge keys.
        """
        matrix = self._adjacency("km", reverse=reverse)
        memo_key = ("weights", metric, reverse)
        if memo_key not in self._memo:
            order = self._memo[("csr", "km", reverse)][1]
            self._memo[memo_key] = (self.km if metric == "km" else self.minutes)[order]
        pos = matrix.indptr[frm].astype(np.int64)
        miss = np.flatnonzero(matrix.indices[pos] != to)
        while miss.size:
            pos[miss] += 1
            miss = miss[matrix.indices[pos[miss]] != to[miss]]
        return self._memo[memo_key][pos]

    # ---------------------------------------------------------------------- snapping

    def _snap_index(self) -> tuple[cKDTree, np.ndarray, float]:
        if "snap" not in self._memo:
            matrix = self._adjacency("km", reverse=False)
            _, labels = connected_components(matrix, directed=True, connection="weak")
            sizes = np.bincount(labels)
            big = sizes >= min(MIN_COMPONENT_NODES, int(sizes.max()))
            nodes = np.flatnonzero(big[labels])
            lat0 = float(np.mean(self.lat)) if self.n_nodes else 0.0
            tree = cKDTree(_project(self.lon[nodes], self.lat[nodes], lat0))
            self._memo["snap"] = (tree, nodes, lat0)
        tree, nodes, lat0 = self._memo["snap"]
        return tree, nodes, lat0

    def snap(
        self, lon: np.ndarray, lat: np.ndarray, *, max_m: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """Attach points to their nearest road node.

        Parameters
        ----------
        lon, lat
            Points.
        max_m
            Farthest a point may be from its road node (geodesic metres).

        Returns
        -------
        node, leg_km
            Node index (``-1`` when no node is within ``max_m``) and the straight access leg
            in km (``inf`` for those points).
        """
        lon, lat = np.asarray(lon, float), np.asarray(lat, float)
        node = np.full(len(lon), -1, dtype=np.int64)
        leg = np.full(len(lon), np.inf)
        if len(lon) == 0 or self.n_nodes == 0:
            return node, leg
        tree, nodes, lat0 = self._snap_index()
        # the local projection stretches distances by well under 2 % inside a country
        reach = max_m * 1.02 + 1.0
        dist, idx = tree.query(_project(lon, lat, lat0), k=1, distance_upper_bound=reach)
        found = np.isfinite(dist)
        node[found] = nodes[idx[found]]
        leg[found] = geodesic_km(
            lon[found], lat[found], self.lon[node[found]], self.lat[node[found]]
        )
        far = leg > max_m / 1000.0
        node[far], leg[far] = -1, np.inf
        return node, leg

    # -------------------------------------------------------------- shortest paths

    def costs(
        self,
        src: np.ndarray,
        dst: np.ndarray,
        *,
        metric: str,
        limit: float = math.inf,
        other: bool = False,
    ) -> NodeCosts:
        """Shortest routes by ``metric`` from every ``src`` node to every ``dst`` node.

        The search runs from whichever side has fewer distinct nodes (from the destinations
        over the reversed graph when they are fewer), in batches of sources whose dense
        output fits :attr:`batch_bytes`, each bounded by ``limit``.

        Parameters
        ----------
        src, dst
            Origin and destination nodes (duplicates are ignored).
        metric
            ``km`` (shortest) or ``minutes`` (fastest).
        limit
            Largest cost by ``metric``; farther pairs are not returned.
        other
            Also return the other quantity along each route.

        Returns
        -------
        NodeCosts
            One entry per (src, dst) node pair with a route within ``limit``, sorted by
            (src, dst).
        """
        if metric not in METRICS:
            raise ValueError(f"metric {metric!r} is not one of {METRICS}")
        src, dst = np.unique(np.asarray(src, np.int64)), np.unique(np.asarray(dst, np.int64))
        reverse = len(dst) < len(src)
        origins, targets = (dst, src) if reverse else (src, dst)
        o_idx, t_idx, cost, along = self._search(
            origins, targets, metric=metric, limit=limit, reverse=reverse, other=other
        )
        frm, to = origins[o_idx], targets[t_idx]
        if reverse:
            frm, to = to, frm
        order = np.lexsort((to, frm))
        cost = cost[order]
        along = None if along is None else along[order]
        km, minutes = (cost, along) if metric == "km" else (along, cost)
        return NodeCosts(frm[order], to[order], km, minutes)

    def search(
        self,
        origins: np.ndarray,
        targets: np.ndarray,
        *,
        metric: str,
        limit: float = math.inf,
        reverse: bool = False,
    ) -> NodeCosts:
        """Bounded searches from each origin: its route to each target within ``limit``.

        Unlike :meth:`costs`, the caller chooses the side searched from: with ``reverse``
        the searches run over the reversed graph, so the routes found lead from each target
        *to* the origin.

        Returns
        -------
        NodeCosts
            ``src`` the origin and ``dst`` the target of each route found (whatever its
            direction of travel), with both ``km`` and ``minutes``.
        """
        if metric not in METRICS:
            raise ValueError(f"metric {metric!r} is not one of {METRICS}")
        origins = np.unique(np.asarray(origins, np.int64))
        targets = np.unique(np.asarray(targets, np.int64))
        o, t, cost, along = self._search(
            origins, targets, metric=metric, limit=limit, reverse=reverse, other=True
        )
        km, minutes = (cost, along) if metric == "km" else (along, cost)
        return NodeCosts(origins[o], targets[t], km, minutes)

    def _search(
        self,
        origins: np.ndarray,
        targets: np.ndarray,
        *,
        metric: str,
        limit: float,
        reverse: bool,
        other: bool,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
        empty = np.zeros(0, np.int64)
        if len(origins) == 0 or len(targets) == 0:
            return empty, empty, np.zeros(0), np.zeros(0) if other else None
        matrix = self._adjacency(metric, reverse=reverse)
        per_row = self.n_nodes * (12 if other else 8)
        batch = max(1, int(self.batch_bytes // max(per_row, 1)))
        other_metric = "minutes" if metric == "km" else "km"
        parts: list[tuple[np.ndarray, ...]] = []
        for start in range(0, len(origins), batch):
            idx = origins[start : start + batch]
            if other:
                dist, pred = dijkstra(
                    matrix, directed=True, indices=idx, limit=limit, return_predecessors=True
                )
            else:
                dist = dijkstra(matrix, directed=True, indices=idx, limit=limit)
            sub = dist[:, targets]
            r, c = np.nonzero(np.isfinite(sub))
            cost = sub[r, c]
            along = None
            if other:
                along = self._along(
                    pred, r, idx[r], targets[c], metric=other_metric, reverse=reverse
                )
            del dist
            parts.append((r + start, c, cost, along if along is not None else cost))
        o_idx = np.concatenate([p[0] for p in parts])
        t_idx = np.concatenate([p[1] for p in parts])
        cost = np.concatenate([p[2] for p in parts])
        along_all = np.concatenate([p[3] for p in parts]) if other else None
        return o_idx.astype(np.int64), t_idx.astype(np.int64), cost, along_all

    def _along(
        self,
        pred: np.ndarray,
        rows: np.ndarray,
        origin: np.ndarray,
        target: np.ndarray,
        *,
        metric: str,
        reverse: bool,
    ) -> np.ndarray:
        """Sum ``metric`` along the shortest-path tree from ``target`` back to ``origin``."""
        total = np.zeros(len(rows))
        cur = target.astype(np.int64).copy()
        active = np.flatnonzero(cur != origin)
        while active.size:
            prev = pred[rows[active], cur[active]].astype(np.int64)
            total[active] += self._edge_weight(metric, reverse=reverse, frm=prev, to=cur[active])
            cur[active] = prev
            active = active[prev != origin[active]]
        return total


def _project(lon: np.ndarray, lat: np.ndarray, lat0: float) -> np.ndarray:
    """Local equirectangular projection in metres about latitude ``lat0``."""
    k = math.cos(math.radians(lat0))
    return np.column_stack([np.radians(lon) * _EARTH_M * k, np.radians(lat) * _EARTH_M])
