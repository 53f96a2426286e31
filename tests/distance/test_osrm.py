"""``--distance osrm:URL`` against a small local server that speaks the OSRM table protocol.

The server listens on 127.0.0.1 only, answers from the hand-made river network of
:mod:`roadnet` (its own Dijkstra, by duration like OSRM, distances along the fastest route),
and refuses to answer more than a bounded number of requests.
"""

from __future__ import annotations

import csv
import io
import json
import math
import socket

import numpy as np
import pytest

from conftest import run_cli
from fakeosrm import TinyOsrm
from roadnet import PRODUCER, STORE, XE, XW, Y0, river_road_km, write_job
from umkm_alloc.allocate import assign
from umkm_alloc.config import AssignConfig
from umkm_alloc.distance import Points, make_backend
from umkm_alloc.distance.osrm import OsrmBackend
from umkm_alloc.errors import InputError


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def pts(*points) -> Points:
    return Points([p[1] for p in points], [p[0] for p in points])


def river_minutes() -> float:
    up = TinyOsrm.metres(PRODUCER, (Y0 + 0.09, XW)) / 1000
    across = TinyOsrm.metres((Y0 + 0.09, XW), (Y0 + 0.09, XE)) / 1000
    return 2 * up / 20 * 60 + across / 30 * 60


# ------------------------------------------------------------------------- the backend


def test_pairs_and_times_come_from_the_server(osrm):
    state, url = osrm()
    b = OsrmBackend(url)
    producer, store = pts(PRODUCER), pts(STORE)
    pairs = b.pairs_within(producer, store, max_km=30.0)
    assert pairs.km[0] == pytest.approx(river_road_km(), abs=1e-3)
    assert pairs.minutes[0] == pytest.approx(river_minutes(), abs=1e-2)
    assert len(state.requests) == 1
    assert len(b.pairs_within(producer, store, max_km=10.0).left) == 0
    assert len(state.requests) == 2
    # beyond the straight-line bound nothing is asked
    assert len(b.pairs_within(producer, store, max_km=3.0).left) == 0
    assert len(b.pairs_within(producer, store, max_km=50, max_minutes=1.5).left) == 0
    assert len(state.requests) == 2
    km, minutes = b.travel(producer, store)
    assert km[0] == pytest.approx(river_road_km(), abs=1e-3)
    assert minutes[0] == pytest.approx(river_minutes(), abs=1e-2)
    assert b.distance_km(producer, store)[0] == km[0]


def test_requests_are_batched_under_the_table_size(osrm):
    state, url = osrm()
    rng = np.random.default_rng(5)
    producers = Points(rng.uniform(XW, XE, 5), rng.uniform(Y0, Y0 + 0.09, 5))
    stores = Points(rng.uniform(XW, XE, 4), rng.uniform(Y0, Y0 + 0.09, 4))
    big = OsrmBackend(url).pairs_within(producers, stores, max_km=40.0)
    assert state.requests == [(5, 4)]
    small = OsrmBackend(url, table_size=2).pairs_within(producers, stores, max_km=40.0)
    assert len(state.requests) == 1 + 6
    assert all(s <= 2 and d <= 2 for s, d in state.requests[1:])
    assert big.left.tolist() == small.left.tolist() and big.right.tolist() == small.right.tolist()
    np.testing.assert_allclose(big.km, small.km)
    np.testing.assert_allclose(big.minutes, small.minutes)


def test_busy_server_is_retried_with_backoff(osrm):
    state, url = osrm(fail_first=2)
    b = OsrmBackend(url, retries=3, backoff_s=0.01)
    producer, store = pts(PRODUCER), pts(STORE)
    assert len(b.pairs_within(producer, store, max_km=30.0).left) == 1
    assert len(state.requests) == 3


def test_server_that_stays_busy_is_an_input_error(osrm):
    state, url = osrm(fail_first=100)
    b = OsrmBackend(url, retries=1, backoff_s=0.01)
    producer, store = pts(PRODUCER), pts(STORE)
    with pytest.raises(InputError) as err:
        b.pairs_within(producer, store, max_km=30.0)
    assert str(err.value) == (
        f"OSRM server {url} is unreachable (HTTP 503 Service Unavailable; 2 tries); check that "
        "osrm-routed is running there and the URL is right (--distance osrm:URL)"
    )
    assert len(state.requests) == 2


def test_slow_server_times_out(osrm):
    _, url = osrm(delay_s=0.5)
    b = OsrmBackend(url, timeout=0.1, retries=0)
    producer, store = pts(PRODUCER), pts(STORE)
    with pytest.raises(InputError, match=r"is unreachable \(.*timed out.*; 1 tries\)"):
        b.pairs_within(producer, store, max_km=30.0)


def test_too_big_table_names_the_option(osrm):
    state, url = osrm(max_table=1)
    b = OsrmBackend(url, table_size=100)
    rng = np.random.default_rng(1)
    points = Points(rng.uniform(XW, XE, 3), rng.uniform(Y0, Y0 + 0.09, 3))
    with pytest.raises(InputError) as err:
        b.pairs_within(points, points, max_km=40.0)
    assert str(err.value) == (
        f"OSRM server {url} refused a 100 x 100 table (TooBig); give --osrm-table-size the "
        "server's --max-table-size"
    )
    assert len(state.requests) == 1  # a refusal is not retried


def test_point_snapped_far_from_the_road_gets_no_route(osrm):
    _, url = osrm()
    far = (Y0 - 0.05, (XW + XE) / 2)
    b = OsrmBackend(url)
    producer, stores = pts(PRODUCER), pts(STORE, far)
    pairs = b.pairs_within(producer, stores, max_km=60.0)
    assert pairs.right.tolist() == [0]
    assert b.unroutable(stores, side="store") == [
        "",
        "no road within 2000 m of the store (--max-snap-m)",
    ]
    assert OsrmBackend(url, max_snap_m=7000).unroutable(stores, side="store") == ["", ""]


def test_unreachable_server_is_an_input_error():
    url = closed_port_url()
    b = make_backend(f"osrm:{url}", osrm_retries=0)
    producer, store = pts(PRODUCER), pts(STORE)
    with pytest.raises(InputError, match=f"OSRM server {url} is unreachable"):
        b.pairs_within(producer, store, max_km=30.0)


# -------------------------------------------------------------------------- end to end


def job(tmp_path):
    return write_job(
        tmp_path,
        [("P1", PRODUCER, "Emping", 10), ("P2", (Y0 + 0.01, XE), "Emping", 3)],
        [("S1", STORE, "Emping", 10)],
    )


@pytest.mark.slow
def test_cli_assign_and_explain_with_osrm(tmp_path, osrm):
    state, url = osrm()
    producers, stores = job(tmp_path)
    out = tmp_path / "out"
    base = [str(producers), str(stores), "--distance", f"osrm:{url}", "--max-km", "30"]
    result = run_cli("assign", *base, "--out-dir", str(out))
    assert result.exit_code == 0, result.stderr
    alloc = {
        r["producer_id"]: r
        for r in csv.DictReader(io.StringIO((out / "allocations.csv").read_text()))
    }
    assert alloc["P2"]["quantity"] == "3" and alloc["P1"]["quantity"] == "7"
    assert float(alloc["P1"]["distance_km"]) == pytest.approx(river_road_km(), abs=2e-3)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["params"]["distance"] == {
        "backend": "osrm",
        "url": url,
        "profile": "driving",
        "routes": "fastest",
        "max_snap_m": 2000.0,
    }
    explained = run_cli("explain", *base, "--store", "S1", "--format", "csv")
    assert explained.exit_code == 0, explained.stderr
    rows = {r["producer_id"]: r for r in csv.DictReader(io.StringIO(explained.stdout))}
    assert float(rows["P1"]["minutes"]) == pytest.approx(river_minutes(), abs=0.1)
    assert rows["P1"]["status"] == "eligible" and rows["P1"]["quantity"] == "7"
    assert len(state.requests) <= 10


def test_time_bound_with_osrm(tmp_path, osrm):
    _, url = osrm()
    producers, stores = write_job(
        tmp_path, [("P1", PRODUCER, "Emping", 10)], [("S1", STORE, "Emping", 10)]
    )
    cfg = AssignConfig(
        producers=producers,
        stores=stores,
        max_km=math.inf,
        max_minutes=60.0,
        distance=f"osrm:{url}",
    )
    result = assign(cfg)
    assert result.allocations.empty
    assert result.unmet_demand["reason"].iloc[0] == (
        f"nearest producer of Emping by road (P1) is {river_minutes():.0f} min away "
        f"({river_road_km():.1f} km), beyond the 60 min limit (--max-minutes)"
    )


def test_cli_unreachable_server_exits_3(tmp_path):
    producers, stores = job(tmp_path)
    url = closed_port_url()
    result = run_cli(
        "assign", str(producers), str(stores), "--distance", f"osrm:{url}", "--osrm-retries", "0"
    )
    assert result.exit_code == 3
    assert result.stderr.startswith(f"error: OSRM server {url} is unreachable (")
    assert result.stderr.endswith(
        "1 tries); check that osrm-routed is running there and the URL is right "
        "(--distance osrm:URL)\n"
    )
    assert result.stdout == ""
