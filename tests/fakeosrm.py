"""A small local server that speaks the OSRM table protocol, for the tests.

It listens on 127.0.0.1 only, answers from the hand-made river network of :mod:`roadnet`
(its own Dijkstra, by duration like OSRM, distances along the fastest route), and refuses to
answer more than a bounded number of requests.
"""

from __future__ import annotations

import heapq
import json
import math
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import pairwise
from urllib.parse import parse_qs, urlsplit

import pytest

from roadnet import GEOD, river_network

SPEEDS = {"residential": 20.0, "tertiary": 30.0}  # km/h; other ways are not roads here
MAX_REQUESTS = 60


class TinyOsrm:
    """The river network as an OSRM server: ``/table/v1/driving/...`` only."""

    def __init__(
        self,
        *,
        fail_first: int = 0,
        status: int = 503,
        max_table: int = 10_000,
        delay_s: float = 0.0,
    ) -> None:
        nodes, ways = river_network()
        self.nodes = nodes
        self.ids = list(nodes)
        self.adj: dict[int, list[tuple[int, float, float]]] = {n: [] for n in nodes}
        for refs, tags in ways:
            speed = SPEEDS.get(tags.get("highway", ""))
            if speed is None or tags.get("access") == "private":
                continue
            for a, b in pairwise(refs):
                metres = self.metres(nodes[a], nodes[b])
                secs = metres / 1000 / speed * 3600
                self.adj[a].append((b, metres, secs))
                self.adj[b].append((a, metres, secs))
        self.fail_first, self.status, self.max_table = fail_first, status, max_table
        self.delay_s = delay_s
        self.requests: list[tuple[int, int]] = []  # (sources, destinations) per request
        self.lock = threading.Lock()

    @staticmethod
    def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
        return float(GEOD.inv(a[1], a[0], b[1], b[0])[2])

    def snap(self, lon: float, lat: float) -> tuple[int, float]:
        best = min(self.ids, key=lambda n: self.metres((lat, lon), self.nodes[n]))
        return best, self.metres((lat, lon), self.nodes[best])

    def routes(self, source: int) -> dict[int, tuple[float, float]]:
        """Fastest routes from ``source``: node -> (seconds, metres along the route)."""
        best = {source: (0.0, 0.0)}
        heap = [(0.0, 0.0, source)]
        while heap:
            secs, metres, node = heapq.heappop(heap)
            if best.get(node, (math.inf,))[0] < secs:
                continue
            for nxt, m, s in self.adj[node]:
                if secs + s < best.get(nxt, (math.inf,))[0]:
                    best[nxt] = (secs + s, metres + m)
                    heapq.heappush(heap, (secs + s, metres + m, nxt))
        return best

    def answer(self, path: str) -> tuple[int, dict]:
        parts = urlsplit(path)
        prefix = "/table/v1/driving/"
        if not parts.path.startswith(prefix):
            return 400, {"code": "InvalidUrl", "message": "URL string malformed"}
        coords = [tuple(map(float, c.split(","))) for c in parts.path[len(prefix) :].split(";")]
        query = parse_qs(parts.query)
        sources = [int(i) for i in query["sources"][0].split(";")]
        dests = [int(i) for i in query["destinations"][0].split(";")]
        assert query["annotations"] == ["distance,duration"]
        with self.lock:
            self.requests.append((len(sources), len(dests)))
            count = len(self.requests)
        if count > MAX_REQUESTS:
            return 500, {"code": "TooManyRequests", "message": "test server request bound"}
        if count <= self.fail_first:
            return self.status, {"code": "Busy", "message": "try again"}
        if len(sources) * len(dests) > self.max_table**2:
            return 400, {"code": "TooBig", "message": "Too many table coordinates"}
        snapped = [self.snap(*coords[i]) for i in range(len(coords))]
        distances, durations = [], []
        for i in sources:
            reach = self.routes(snapped[i][0])
            row = [reach.get(snapped[j][0]) for j in dests]
            durations.append([None if r is None else round(r[0], 1) for r in row])
            distances.append([None if r is None else round(r[1], 1) for r in row])

        def waypoint(i: int) -> dict:
            node, m = snapped[i]
            lat, lon = self.nodes[node]
            return {"location": [lon, lat], "distance": m, "name": ""}

        return 200, {
            "code": "Ok",
            "distances": distances,
            "durations": durations,
            "sources": [waypoint(i) for i in sources],
            "destinations": [waypoint(j) for j in dests],
        }


@pytest.fixture
def osrm():
    """Start a TinyOsrm on 127.0.0.1; yields (server state, base URL)."""
    servers = []

    def start(**kw):
        state = TinyOsrm(**kw)

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                if state.delay_s:
                    time.sleep(state.delay_s)
                status, body = state.answer(self.path)
                data = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (the timeout test)

            def log_message(self, *args):  # keep the test output clean
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
        thread.start()
        servers.append(server)
        return state, f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()
