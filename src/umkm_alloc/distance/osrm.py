"""``--distance osrm:URL``: road distances and durations from an OSRM server's Table service.

Candidate pairs are first limited by the straight-line lower bound (a road is never shorter
than the straight line, and never faster than :data:`MAX_SPEED_KMH`), then measured with
``GET /table/v1/{profile}/{coordinates}?sources=..&destinations=..&annotations=distance,duration``
in requests of at most ``table_size`` sources x ``table_size`` destinations (the server's
``--max-table-size``). Each request has a timeout and is tried again with exponential backoff;
a server that stays unreachable is an input error (exit 3) naming the URL.

OSRM routes are its profile's fastest routes; ``distance`` is measured along them. As for
``osm:``, the distance from a point to where OSRM snaps it is added as an access leg, and a
point snapped farther than ``max_snap_m`` gets no route.
"""

from __future__ import annotations

import http.client
import json
import math
import time
import urllib.error
import urllib.request
from typing import Any

import numpy as np

from umkm_alloc import __version__
from umkm_alloc.distance.base import (
    ACCESS_SPEED_KMH,
    DistanceBackend,
    Pairs,
    Points,
    SetCells,
    straight_pairs_within,
)
from umkm_alloc.errors import InputError

#: Fastest plausible road speed (km/h): the straight-line bound on travel time.
MAX_SPEED_KMH = 120.0


class OsrmBackend(DistanceBackend):
    """Road distance and travel time from an OSRM server.

    Parameters
    ----------
    url
        Base URL of the server, e.g. ``http://localhost:5000``.
    profile
        Profile name in the request path (``driving`` for a server built with ``car.lua``).
    max_snap_m
        A point that OSRM snaps farther than this from where it is gets no route.
    table_size
        Largest number of sources, and of destinations, of one request.
    timeout
        Seconds to wait for one answer.
    retries
        How many times a failed request is tried again.
    backoff_s
        Wait before the first retry; doubled for each next one.
    """

    name = "osrm"
    has_minutes = True
    route_word = "road"

    def __init__(
        self,
        url: str,
        *,
        profile: str = "driving",
        max_snap_m: float = 2000.0,
        table_size: int = 100,
        timeout: float = 30.0,
        retries: int = 3,
        backoff_s: float = 0.5,
    ) -> None:
        self.url = url.rstrip("/")
        self.profile = profile
        self.max_snap_m = float(max_snap_m)
        self.table_size = int(table_size)
        self.timeout = float(timeout)
        self.retries = int(retries)
        self.backoff_s = float(backoff_s)
        self.requests = 0
        self._snap_m: dict[tuple[float, float], float] = {}

    def params(self) -> dict[str, object]:
        """Backend, server, profile, routes and snapping."""
        return {
            "backend": self.name,
            "url": self.url,
            "profile": self.profile,
            "routes": "fastest",
            "max_snap_m": self.max_snap_m,
        }

    def describe(self) -> str:
        """Return ``OSRM (http://...)``."""
        return f"OSRM ({self.url})"

    # -------------------------------------------------------------------- interface

    def pairs_within(
        self,
        producers: Points,
        stores: Points,
        *,
        max_km: float,
        max_minutes: float | None = None,
    ) -> Pairs:
        """Pairs within the bounds, measured by the server after a straight-line pre-filter."""
        if len(producers) == 0 or len(stores) == 0:
            return Pairs.empty(minutes=True)
        max_min = math.inf if max_minutes is None else max_minutes
        radius = min(max_km, max_min / 60.0 * MAX_SPEED_KMH)
        left, right, _ = straight_pairs_within(producers, stores, radius)
        km, minutes = self._measure(producers, stores, left, right)
        keep = (km <= max_km) & (minutes <= max_min)
        return Pairs(left[keep], right[keep], km[keep], minutes[keep]).sorted()

    def travel(
        self,
        producers: Points,
        stores: Points,
        *,
        max_km: float = math.inf,
        max_minutes: float = math.inf,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Road km and minutes of matched pairs (``inf``: no route)."""
        p_inv, p_pts = Points(producers.lon, producers.lat).distinct()
        s_inv, s_pts = Points(stores.lon, stores.lat).distinct()
        return self._measure(p_pts, s_pts, p_inv, s_inv)

    def leg_matrices(self, points: Points, sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Road km and minutes between the points of each set, from table requests.

        Consecutive sets share one all-to-all request while their points fit in
        ``table_size``; a larger set is asked in blocks of ``table_size`` x ``table_size``.
        """
        sizes = np.asarray(sizes, np.int64)
        cells = SetCells.of(sizes)
        km, minutes = np.zeros(len(cells.u)), np.zeros(len(cells.u))
        first_row = np.concatenate([[0], np.cumsum(sizes)])
        first_cell = np.concatenate([[0], np.cumsum(sizes**2)])
        for lo, hi in _packs(sizes, self.table_size):
            rows = np.arange(first_row[lo], first_row[hi])
            pack_km, pack_min = self._square(points.lon[rows], points.lat[rows])
            for k in range(lo, hi):
                at = slice(first_row[k] - first_row[lo], first_row[k + 1] - first_row[lo])
                cell = slice(first_cell[k], first_cell[k + 1])
                km[cell], minutes[cell] = pack_km[at, at].ravel(), pack_min[at, at].ravel()
        diagonal = cells.u == cells.v
        km[diagonal], minutes[diagonal] = 0.0, 0.0
        return km, minutes

    def _square(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Km and minutes between every two of the points, in table_size blocks."""
        n, size = len(lon), self.table_size
        km, minutes = np.full((n, n), np.inf), np.full((n, n), np.inf)
        for a in range(0, n, size):
            for b in range(0, n, size):
                rows, cols = slice(a, a + size), slice(b, b + size)
                dist_m, dur_s, src_snap, dst_snap = self._request(
                    lon[rows], lat[rows], lon[cols], lat[cols]
                )
                legs_m = src_snap[:, None] + dst_snap[None, :]
                near = (src_snap[:, None] <= self.max_snap_m) & (
                    dst_snap[None, :] <= self.max_snap_m
                )
                km[rows, cols] = np.where(near, (dist_m + legs_m) / 1000.0, np.inf)
                minutes[rows, cols] = np.where(
                    near, dur_s / 60.0 + legs_m / 1000.0 / ACCESS_SPEED_KMH * 60.0, np.inf
                )
        return km, minutes

    def unroutable(self, points: Points, *, side: str) -> list[str]:
        """``no road within N m of the store (--max-snap-m)`` for points OSRM snaps too far."""
        places = list(zip(points.lon.tolist(), points.lat.tolist(), strict=True))
        unknown = [xy for xy in places if xy not in self._snap_m]
        for start in range(0, len(unknown), self.table_size):
            chunk = np.array(unknown[start : start + self.table_size])
            self._request(chunk[:, 0], chunk[:, 1], chunk[:1, 0], chunk[:1, 1])
        text = f"no road within {self.max_snap_m:g} m of the {side} (--max-snap-m)"
        return [text if self._snap_m[xy] > self.max_snap_m else "" for xy in places]

    # ----------------------------------------------------------------- measuring

    def _measure(
        self, producers: Points, stores: Points, left: np.ndarray, right: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Km and minutes of the (left, right) pairs, in blocks of table_size x table_size."""
        km = np.full(len(left), np.inf)
        minutes = np.full(len(left), np.inf)
        if len(left) == 0:
            return km, minutes
        p_lon, p_lat, s_lon, s_lat = producers.lon, producers.lat, stores.lon, stores.lat
        sources = np.unique(left)
        # neighbouring producers share most of their stores: order them along a coarse grid
        cell = np.floor(p_lat[sources] / 0.05) * 1e4 + p_lon[sources]
        sources = sources[np.lexsort((sources, cell))]
        for start in range(0, len(sources), self.table_size):
            chunk = np.sort(sources[start : start + self.table_size])
            in_chunk = np.flatnonzero(np.isin(left, chunk))
            dests = np.unique(right[in_chunk])
            for d_start in range(0, len(dests), self.table_size):
                d_chunk = dests[d_start : d_start + self.table_size]
                block = in_chunk[np.isin(right[in_chunk], d_chunk)]
                dist_m, dur_s, src_snap, dst_snap = self._request(
                    p_lon[chunk], p_lat[chunk], s_lon[d_chunk], s_lat[d_chunk]
                )
                r = np.searchsorted(chunk, left[block])
                c = np.searchsorted(d_chunk, right[block])
                legs_m = src_snap[r] + dst_snap[c]
                near = (src_snap[r] <= self.max_snap_m) & (dst_snap[c] <= self.max_snap_m)
                km[block] = np.where(near, (dist_m[r, c] + legs_m) / 1000.0, np.inf)
                minutes[block] = np.where(
                    near, dur_s[r, c] / 60.0 + legs_m / 1000.0 / ACCESS_SPEED_KMH * 60.0, np.inf
                )
        return km, minutes

    def _request(
        self, src_lon: np.ndarray, src_lat: np.ndarray, dst_lon: np.ndarray, dst_lat: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """One table request: distances (m), durations (s), snapping of sources, destinations."""
        n_src, n_dst = len(src_lon), len(dst_lon)
        coords = ";".join(
            f"{x:.6f},{y:.6f}"
            for x, y in zip(
                np.concatenate([src_lon, dst_lon]), np.concatenate([src_lat, dst_lat]), strict=True
            )
        )
        query = (
            f"sources={';'.join(map(str, range(n_src)))}"
            f"&destinations={';'.join(map(str, range(n_src, n_src + n_dst)))}"
            "&annotations=distance,duration"
        )
        answer = self._get(f"{self.url}/table/v1/{self.profile}/{coords}?{query}")
        dist = _matrix(answer, "distances", n_src, n_dst, self.url)
        dur = _matrix(answer, "durations", n_src, n_dst, self.url)
        src_snap = _snapping(answer, "sources", n_src, self.url)
        dst_snap = _snapping(answer, "destinations", n_dst, self.url)
        for x, y, m in zip(src_lon, src_lat, src_snap, strict=True):
            self._snap_m[(float(x), float(y))] = float(m)
        for x, y, m in zip(dst_lon, dst_lat, dst_snap, strict=True):
            self._snap_m[(float(x), float(y))] = float(m)
        return dist, dur, src_snap, dst_snap

    def _get(self, url: str) -> dict[str, Any]:
        """GET with timeout, retries and backoff; OSRM's own refusals are not retried."""
        request = urllib.request.Request(url, headers={"User-Agent": f"umkm-alloc/{__version__}"})
        problem = ""
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self.backoff_s * 2 ** (attempt - 1))
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    body = response.read()
                self.requests += 1
                return _answer(body, self.url)
            except urllib.error.HTTPError as exc:
                self.requests += 1
                if exc.code == 429 or exc.code >= 500:
                    problem = f"HTTP {exc.code} {exc.reason}"
                    continue
                raise _refusal(exc.read(), exc.code, self.url, self.table_size) from exc
            except (urllib.error.URLError, TimeoutError, OSError, http.client.HTTPException) as exc:
                reason = getattr(exc, "reason", exc)
                problem = str(reason) or type(exc).__name__
        tries = self.retries + 1
        raise InputError(
            f"OSRM server {self.url} is unreachable ({problem}; {tries} tries); check that "
            "osrm-routed is running there and the URL is right (--distance osrm:URL)"
        )


def _packs(sizes: np.ndarray, table_size: int) -> list[tuple[int, int]]:
    """Return the runs ``lo..hi - 1`` of consecutive sets that fit in one request together."""
    packs, lo, points = [], 0, 0
    for k, n in enumerate(sizes.tolist()):
        if k > lo and points + n > table_size:
            packs.append((lo, k))
            lo, points = k, 0
        points += n
    if lo < len(sizes):
        packs.append((lo, len(sizes)))
    return packs


def _answer(body: bytes, url: str) -> dict[str, Any]:
    try:
        answer = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(
            f"OSRM server {url} did not answer with JSON; is it an OSRM server?"
        ) from exc
    if not isinstance(answer, dict) or answer.get("code") != "Ok":
        code = answer.get("code") if isinstance(answer, dict) else None
        message = answer.get("message", "") if isinstance(answer, dict) else ""
        raise InputError(
            f"OSRM server {url} answered {code or 'no code'}: {message or 'no message'}; check "
            "the server's data covers the producers and stores"
        )
    return answer


def _refusal(body: bytes, status: int, url: str, table_size: int) -> InputError:
    try:
        answer = json.loads(body)
        code, message = answer.get("code", ""), answer.get("message", "")
    except (ValueError, UnicodeDecodeError, AttributeError):
        code, message = "", body[:200].decode("utf-8", "replace")
    if code == "TooBig":
        return InputError(
            f"OSRM server {url} refused a {table_size} x {table_size} table (TooBig); give "
            "--osrm-table-size the server's --max-table-size"
        )
    return InputError(
        f"OSRM server {url} refused the request (HTTP {status} {code}: {message}); check the "
        "URL and the profile"
    )


def _matrix(answer: dict[str, Any], key: str, n_src: int, n_dst: int, url: str) -> np.ndarray:
    rows = answer.get(key)
    if not isinstance(rows, list) or len(rows) != n_src:
        raise InputError(
            f"OSRM server {url} answered without {key}; it needs osrm-backend 5.x with "
            "annotations=distance,duration"
        )
    out = np.full((n_src, n_dst), np.inf)
    for i, row in enumerate(rows):
        if len(row) != n_dst:
            raise InputError(f"OSRM server {url} answered a {key} row of the wrong length")
        out[i] = [np.inf if v is None else float(v) for v in row]
    return out


def _snapping(answer: dict[str, Any], key: str, n: int, url: str) -> np.ndarray:
    points = answer.get(key)
    if not isinstance(points, list) or len(points) != n:
        return np.zeros(n)  # no waypoints: take the points as lying on the road
    return np.array([float(p.get("distance", 0.0) or 0.0) for p in points])
