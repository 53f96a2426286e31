"""``assign --routes`` end to end: the three route tables, summary.json, the terminal, explain.

The job is a slice of the bundled example (Ciruas and Kragilan producers, the stores around
them). The tables are checked against the allocation they deliver and against an independent
distance model (pyproj's geodesic x 1.4 of the input coordinates).
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pyproj import Geod
from typer.testing import CliRunner

from conftest import EXAMPLES
from umkm_alloc import parallel
from umkm_alloc.cli import app
from umkm_alloc.routes import plan as plan_module

runner = CliRunner()
GEOD = Geod(ellps="WGS84")
ROUTE_FILES = ("routes.csv", "route_items.csv", "trips.csv")


def run(*args: object):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def job(tmp_path_factory) -> tuple[Path, Path]:
    """Producers of Ciruas and Kragilan, stores of the kecamatan around them."""
    folder = tmp_path_factory.mktemp("job")
    p = pd.read_csv(EXAMPLES / "producers.csv", dtype=str, keep_default_na=False)
    s = pd.read_csv(EXAMPLES / "stores.csv", dtype=str, keep_default_na=False)
    p = p[p["kecamatan"].isin(["Ciruas", "Kragilan"])]
    s = s[s["kecamatan"].isin(["Ciruas", "Kragilan", "Walantaka", "Kibin", "Cikande"])]
    p.to_csv(folder / "producers.csv", index=False)
    s.to_csv(folder / "stores.csv", index=False)
    return folder / "producers.csv", folder / "stores.csv"


def assign(job, out: Path, *options: object):
    result = run("assign", *job, "--out-dir", out, *options)
    assert result.exit_code == 0, result.stderr
    return result


def table(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


@pytest.fixture(scope="module")
def routed(job, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("routed")
    assign(job, out, "--routes", "-q")
    return out


def km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Road km of the geodesic model: WGS84 geodesic x 1.4 between (lon, lat) points."""
    return float(GEOD.inv(a[0], a[1], b[0], b[1])[2]) / 1000 * 1.4


def places(job) -> dict[str, tuple[float, float]]:
    out = {}
    for path, key in zip(job, ("producer_id", "store_id"), strict=True):
        for row in table(path):
            out[row[key]] = (float(row["lon"]), float(row["lat"]))
    return out


# ------------------------------------------------------------------ the tables


def test_every_allocated_unit_is_delivered_once_within_the_capacity(routed):
    alloc = table(routed / "allocations.csv")
    items = table(routed / "route_items.csv")
    routes = table(routed / "routes.csv")
    trips = table(routed / "trips.csv")
    want = Counter()
    for a in alloc:
        want[(a["producer_id"], a["store_id"], a["product"])] += int(a["quantity"])
    got = Counter()
    for i in items:
        got[(i["producer_id"], i["store_id"], i["product"])] += int(i["quantity"])
    assert got == want and sum(want.values()) > 1000
    per_stop = Counter()
    for i in items:
        per_stop[(i["producer_id"], i["trip"], i["stop"], i["store_id"])] += int(i["quantity"])
    stops = [r for r in routes if r["store_id"]]
    assert {
        (r["producer_id"], r["trip"], r["stop"], r["store_id"]): int(r["quantity"]) for r in stops
    } == dict(per_stop)
    per_trip = Counter()
    for r in stops:
        per_trip[(r["producer_id"], r["trip"])] += int(r["quantity"])
    assert {(t["producer_id"], t["trip"]): int(t["quantity"]) for t in trips} == dict(per_trip)
    assert max(int(t["quantity"]) for t in trips) <= 150
    assert len({(t["producer_id"], t["trip"]) for t in trips}) == len(trips) > 20


def test_km_follow_the_distance_model_and_add_up(routed, job):
    where = places(job)
    alloc = {
        (a["producer_id"], a["store_id"]): float(a["distance_km"])
        for a in table(routed / "allocations.csv")
    }
    trips = {(t["producer_id"], t["trip"]): t for t in table(routed / "trips.csv")}
    legs = defaultdict(list)
    for r in table(routed / "routes.csv"):
        legs[(r["producer_id"], r["trip"])].append(r)
    assert set(legs) == set(trips)
    for key, rows in legs.items():
        producer, trip = key[0], trips[key]
        path = [producer] + [r["store_id"] for r in rows[:-1]] + [producer]
        assert rows[-1]["store_id"] == "" and rows[-1]["quantity"] == "0"  # the ride home
        assert [int(r["stop"]) for r in rows] == list(range(1, len(rows) + 1))
        assert int(trip["stops"]) == len(rows) - 1
        for row, a, b in zip(rows, path[:-1], path[1:], strict=True):
            assert float(row["leg_km"]) == pytest.approx(km(where[a], where[b]), abs=1.5e-3)
        # the first leg is the allocation's own distance, and so is the ride home's mirror
        assert float(rows[0]["leg_km"]) == pytest.approx(alloc[(producer, path[1])], abs=1.5e-3)
        assert float(rows[-1]["leg_km"]) == pytest.approx(alloc[(producer, path[-2])], abs=1.5e-3)
        total = sum(float(r["leg_km"]) for r in rows)
        assert float(trip["km"]) == pytest.approx(total, abs=5e-3)
        assert rows[-1]["cumulative_km"] == trip["km"]
        minutes = float(trip["km"]) * 60 / 25 + 5 * int(trip["stops"])
        assert float(trip["minutes"]) == pytest.approx(minutes, abs=0.06)


def test_summary_json_routes(routed):
    summary = json.loads((routed / "summary.json").read_text())
    r = summary["routes"]
    trips = table(routed / "trips.csv")
    alloc = table(routed / "allocations.csv")
    assert r["trips"] == len(trips)
    assert r["km"] == pytest.approx(sum(float(t["km"]) for t in trips), abs=0.01)
    links = {(a["producer_id"], a["store_id"]): float(a["distance_km"]) for a in alloc}
    assert r["km_direct"] == pytest.approx(2 * sum(links.values()), abs=0.01)
    assert r["saving_pct"] == pytest.approx(100 * (1 - r["km"] / r["km_direct"]), abs=0.01)
    assert 0 < r["km"] < r["km_direct"]
    assert (r["vehicle_capacity"], r["max_trip_km"]) == (150, None)
    assert r["overloaded_producers"] == [] and r["over_long_trips"] == 0
    assert r["distance_fallbacks"] == 0
    assert r["hours"] == pytest.approx(sum(float(t["minutes"]) for t in trips) / 60, abs=0.01)
    hours = Counter()
    for t in trips:
        hours[t["producer_id"]] += float(t["minutes"]) / 60
    longest = sorted(hours.items(), key=lambda kv: (-round(kv[1], 2), kv[0]))[:5]
    assert [d["producer_id"] for d in r["longest_days"]] == [p for p, _ in longest]
    params = summary["params"]
    assert params["routes"] is True and params["vehicle_capacity"] == 150
    assert "jobs" not in params  # the worker count is recorded nowhere


def test_without_routes_no_route_output(job, tmp_path):
    result = assign(job, tmp_path)
    assert not any((tmp_path / name).exists() for name in ROUTE_FILES)
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert "routes" not in summary
    assert not {"routes", "vehicle_capacity", "max_trip_km", "jobs"} & set(summary["params"])
    assert "Delivery trips" not in result.stderr


def test_terminal_shows_trips_km_hours_and_the_longest_days(job, tmp_path, routed):
    result = assign(job, tmp_path, "--routes")
    summary = json.loads((routed / "summary.json").read_text())["routes"]
    err = result.stderr
    assert "Delivery trips" in err and "Longest days" in err
    lines = err.splitlines()
    head = next(i for i, line in enumerate(lines) if line.startswith("Delivery trips"))
    assert lines[head + 1].split()[:2] == ["trips", f"{summary['trips']:,}"]
    assert lines[head + 2].split()[:2] == ["km", f"{round(summary['km']):,}"]
    assert f"one round trip per store: {round(summary['km_direct']):,} km" in lines[head + 2]
    longest = next(i for i, line in enumerate(lines) if line.strip() == "Longest days")
    shown = [line.split()[0] for line in lines[longest + 4 : longest + 9]]
    assert shown == [d["producer_id"] for d in summary["longest_days"]]


def test_trips_without_an_out_dir_say_where_their_tables_go(job, tmp_path):
    hint = "the trips' tables (routes.csv, route_items.csv, trips.csv) are written with --out-dir"
    shown = run("assign", *job, "--routes", "-o", tmp_path / "a.csv")
    assert shown.exit_code == 0, shown.stderr
    assert "Delivery trips" in shown.stderr and shown.stderr.splitlines()[-1] == hint
    assert hint not in assign(job, tmp_path / "out", "--routes").stderr


# ------------------------------------------------------------------ options, determinism


def test_routes_from_the_config_file_are_the_same_run(job, tmp_path, routed):
    config = tmp_path / "job.toml"
    config.write_text(
        f'[assign]\nproducers = "{job[0]}"\nstores = "{job[1]}"\nroutes = true\n'
        "vehicle_capacity = 80\nmax-trip-km = 40\n",
        encoding="utf-8",
    )
    by_file = tmp_path / "file"
    by_cli = tmp_path / "cli"
    assign((), by_file, "--config", config, "-q")
    assign(job, by_cli, "--routes", "--vehicle-capacity", 80, "--max-trip-km", 40, "-q")
    for name in (*ROUTE_FILES, "allocations.csv"):
        assert (by_file / name).read_bytes() == (by_cli / name).read_bytes(), name
    summary = json.loads((by_cli / "summary.json").read_text())["routes"]
    assert (summary["vehicle_capacity"], summary["max_trip_km"]) == (80, 40.0)
    assert max(int(t["quantity"]) for t in table(by_cli / "trips.csv")) <= 80
    assert (by_cli / "trips.csv").read_bytes() != (routed / "trips.csv").read_bytes()


def test_same_bytes_for_any_row_order_and_worker_count(job, tmp_path, routed, monkeypatch):
    rng = np.random.default_rng(4)
    shuffled = []
    for path in job:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        target = tmp_path / "shuffled" / path.name
        target.parent.mkdir(exist_ok=True)
        frame.iloc[rng.permutation(len(frame))].to_csv(target, index=False)
        shuffled.append(target)
    assign(shuffled, tmp_path / "a", "--routes", "--jobs", 1, "-q")
    for name in ROUTE_FILES:
        assert (tmp_path / "a" / name).read_bytes() == (routed / name).read_bytes(), name
    # two workers, with the parallel path forced on this small job
    maps = []
    real = parallel.process_map

    def process_map(fn, tasks, **kw):
        maps.append((fn.__name__, parallel.workers(kw["jobs"]), len(tasks)))
        return real(fn, tasks, **kw)

    monkeypatch.setattr(plan_module, "PARALLEL_MIN_WORK", 0.0)
    monkeypatch.setattr(parallel, "_cores", lambda: 2)
    monkeypatch.setattr(parallel, "process_map", process_map)
    assign(job, tmp_path / "b", "--routes", "--jobs", 2, "-q")
    assert [(name, n) for name, n, _ in maps if name == "plan_chunk"] == [("plan_chunk", 2)]
    for name in (*ROUTE_FILES, "summary.json"):
        assert (tmp_path / "b" / name).read_bytes() == (routed / name).read_bytes(), name


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            ["--routes", "--vehicle-capacity", "0"],
            "--vehicle-capacity must be a whole number of units >= 1, got 0",
        ),
        (
            ["--routes", "--max-trip-km", "-5"],
            "--max-trip-km must be a finite number > 0, got -5.0",
        ),
        (["--routes", "--speed-kmh", "0"], "--speed-kmh must be a finite number > 0, got 0.0"),
        (
            ["--routes", "--stop-minutes", "-1"],
            "--stop-minutes must be a finite number >= 0, got -1.0",
        ),
        (
            ["--routes", "--max-day-hours", "inf"],
            "--max-day-hours must be a finite number > 0, got inf",
        ),
        (["--jobs", "0"], "--jobs 0 is not allowed; give 1 or more worker processes"),
        (
            ["--vehicle-capacity", "100"],
            "--vehicle-capacity shapes the delivery trips, which this run does not plan; add "
            "--routes (or routes = true in the [assign] table of --config)",
        ),
    ],
)
def test_bad_route_options_exit_2_with_the_fix(job, options, message):
    result = run("assign", *job, *options)
    assert result.exit_code == 2
    assert result.stderr == f"error: {message}\n"


def test_bad_route_option_in_the_config_file(job, tmp_path):
    config = tmp_path / "job.toml"
    config.write_text("[assign]\nroutes = true\nvehicle_capacity = 0\n", encoding="utf-8")
    result = run("assign", *job, "--config", config)
    assert result.exit_code == 2
    assert "--vehicle-capacity must be a whole number of units >= 1, got 0" in result.stderr
    config.write_text('[assign]\nvehicle_capacity = "lots"\n', encoding="utf-8")
    result = run("assign", *job, "--config", config)
    assert result.exit_code == 3
    assert "assign.vehicle_capacity = 'lots' must be a int" in result.stderr
    typed = run("assign", *job, "--routes", "--vehicle-capacity", "lots")
    assert typed.exit_code == 2 and "--vehicle-capacity" in typed.stderr


def test_overloaded_producers_and_over_long_trips_are_reported(job, tmp_path):
    result = assign(job, tmp_path, "--routes", "--max-day-hours", "0.5", "--max-trip-km", "6")
    summary = json.loads((tmp_path / "summary.json").read_text())["routes"]
    trips = table(tmp_path / "trips.csv")
    hours = Counter()
    for t in trips:
        hours[t["producer_id"]] += float(t["minutes"]) / 60
    over = {p: h for p, h in hours.items() if h > 0.5}
    assert over and {d["producer_id"] for d in summary["overloaded_producers"]} == set(over)
    for day in summary["overloaded_producers"]:
        assert day["hours"] == pytest.approx(over[day["producer_id"]], abs=0.01)
    hours_shown = [d["hours"] for d in summary["overloaded_producers"]]
    assert hours_shown == sorted(hours_shown, reverse=True)
    long = [t for t in trips if float(t["km"]) > 6 + 1e-3]
    assert long and all(t["stops"] == "1" for t in long)  # a store too far rides alone
    assert summary["over_long_trips"] == len(long)
    assert "over 0.5 h" in result.stderr and "longer than --max-trip-km 6 km" in result.stderr


# ------------------------------------------------------------------ explain


def busiest(routed: Path) -> str:
    trips = Counter(t["producer_id"] for t in table(routed / "trips.csv"))
    return sorted(trips.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]


def test_explain_shows_a_producers_trips_in_every_form(job, routed):
    producer = busiest(routed)
    mine = [r for r in table(routed / "routes.csv") if r["producer_id"] == producer]
    as_csv = run("explain", *job, "--producer", producer, "--trips", "--format", "csv")
    assert as_csv.exit_code == 0, as_csv.stderr
    assert table_text(as_csv.stdout) == mine
    as_json = run("explain", *job, "--producer", producer, "--trips", "--format", "json")
    trips = json.loads(as_json.stdout)
    items = [i for i in table(routed / "route_items.csv") if i["producer_id"] == producer]
    assert [t["trip"] for t in trips] == sorted({int(r["trip"]) for r in mine})
    for trip in trips:
        stops = [r for r in mine if int(r["trip"]) == trip["trip"]]
        assert [s["store_id"] for s in trip["route"]] == [s["store_id"] for s in stops]
        for s in trip["route"]:
            want = {
                i["product"]: int(i["quantity"])
                for i in items
                if int(i["trip"]) == trip["trip"] and int(i["stop"]) == s["stop"]
            }
            assert s["products"] == want
    shown = run("explain", *job, "--producer", producer)
    assert shown.exit_code == 0
    assert f"Trips of {producer}" in shown.stderr
    assert "eligible; trip 1, stop 1" in shown.stderr


def table_text(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_explain_pairs_name_their_trip_and_stop(job, routed):
    items = table(routed / "route_items.csv")
    producer = busiest(routed)
    pairs = run("explain", *job, "--producer", producer, "--format", "csv")
    rows = table_text(pairs.stdout)
    moving = [r for r in rows if int(r["quantity"]) > 0]
    assert moving
    for r in rows:
        want = [
            (i["trip"], i["stop"])
            for i in items
            if (i["producer_id"], i["store_id"]) == (producer, r["store_id"])
            and i["product"].casefold() == r["product"].casefold()
        ]
        got = (
            list(zip(r["trip"].split(";"), r["stop"].split(";"), strict=True)) if r["trip"] else []
        )
        assert got == want, r
    store = moving[0]["store_id"]
    by_store = table_text(run("explain", *job, "--store", store, "--format", "csv").stdout)
    mine = [r for r in by_store if r["producer_id"] == producer and int(r["quantity"]) > 0]
    assert [(r["trip"], r["stop"]) for r in mine] == [
        (r["trip"], r["stop"]) for r in moving if r["store_id"] == store
    ]


def test_explain_trips_needs_a_producer(job):
    result = run("explain", *job, "--store", "IDM-0012", "--trips")
    assert result.exit_code == 2
    assert result.stderr == "error: --trips shows a producer's trips; add --producer ID\n"


# ------------------------------------------------------------------ --report


def test_report_with_routes(job, tmp_path, routed):
    from openpyxl import load_workbook

    assign(job, tmp_path, "--routes", "--report", "--lang", "id", "-q")
    trips = table(tmp_path / "trips.csv")
    routes = table(tmp_path / "routes.csv")
    sheet = load_workbook(tmp_path / "report.xlsx")["Rute pengiriman"]
    assert sheet.max_row == len(routes) + 1
    assert [c.value for c in sheet[1]] == list(routes[0])
    assert sheet.page_setup.orientation == "landscape" and sheet.print_title_rows == "$1:$1"
    page = (tmp_path / "map.html").read_text(encoding="utf-8")
    data = json.loads(page.split('<script id="data" type="application/json">')[1].split("</")[0])
    assert [(t["p"], t["trip"]) for t in data["trips"]] == [
        (t["producer_id"], int(t["trip"])) for t in trips
    ]
    first = data["trips"][0]
    assert first["ll"][0] == first["ll"][-1] and len(first["ll"]) == len(first["stops"]) + 2
    pdf = (tmp_path / "delivery_notes.pdf").read_bytes()
    assert pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page ") >= 1
    assert (tmp_path / "routes.csv").read_bytes() == (routed / "routes.csv").read_bytes()
