"""The fair objectives on the command line: options, the [assign] table, refusals, explain."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from conftest import CIRUAS, KRAGILAN, PONTANG, run_cli
from umkm_alloc.allocate.explain_fair import WHY_COLUMNS

# One emping store in Ciruas that two producers reach: the efficient allocation gives all 70
# units to the nearer one (P2, in Ciruas), the fair one splits them by capacity (50 / 20).
# P4 makes a product no store orders: no store in reach.
PRODUCERS = f"""producer_id,name,lat,lon,product,capacity
P2,Emping Ciruas,{CIRUAS[0]},{CIRUAS[1]},Emping Melinjo,100
P3,Emping Kragilan,{KRAGILAN[0] + 0.01},{KRAGILAN[1]},Emping Melinjo,40
P4,Kue Pontang,{PONTANG[0]},{PONTANG[1]},Kue Cucur,25
"""
STORES = f"""store_id,name,lat,lon,product,demand
IDM-1,Indomaret Ciruas,{CIRUAS[0] - 0.01},{CIRUAS[1]},Emping Melinjo,70
"""


@pytest.fixture
def job(write):
    return write("producers.csv", PRODUCERS), write("stores.csv", STORES)


def run(*args: object):
    return run_cli(*args)


def quantities(stdout: str) -> dict[str, int]:
    return {r["producer_id"]: int(r["quantity"]) for r in csv.DictReader(io.StringIO(stdout))}


def test_fair_splits_by_capacity_where_efficient_takes_the_nearest(job):
    producers, stores = job
    efficient = run("assign", producers, stores, "-q")
    fair = run("assign", producers, stores, "--objective", "fair", "-q")
    assert efficient.exit_code == 0 and fair.exit_code == 0, fair.stderr
    assert quantities(efficient.stdout) == {"P2": 70}
    assert quantities(fair.stdout) == {"P2": 50, "P3": 20}


def test_fair_files_record_the_objective_and_the_figures(job, tmp_path):
    producers, stores = job
    out = tmp_path / "out"
    result = run("assign", producers, stores, "--objective", "fair", "--out-dir", out, "-q")
    assert result.exit_code == 0, result.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["params"]["objective"] == "fair"
    assert summary["params"]["min_order"] is None and summary["params"]["fairness_budget"] is None
    fair = summary["fairness"]
    assert fair["objective"] == "fair"
    assert (fair["producers"], fair["producers_in_reach"], fair["producers_with_orders"]) == (
        3,
        2,
        2,
    )
    assert fair["min_share"] == 0.5 and fair["median_share"] == 0.5
    assert fair["no_store_in_reach"] == ["P4"]
    assert fair["unit_km"] > fair["unit_km_efficient"] > 0
    expected = round(100 * (fair["unit_km"] / fair["unit_km_efficient"] - 1), 3)
    assert fair["extra_km_pct"] == pytest.approx(expected, abs=2e-3)


def test_min_order_and_budget_name_their_parameter(job, tmp_path):
    producers, stores = job
    for option, value, key in (("--min-order", "5", "min_order"), ("--fairness-budget", "0", None)):
        out = tmp_path / option.strip("-")
        result = run("assign", producers, stores, option, value, "--out-dir", out, "-q")
        assert result.exit_code == 0, result.stderr
        summary = json.loads((out / "summary.json").read_text())
        fair = summary["fairness"]
        if key:
            assert fair["objective"] == "min_order" and fair["min_order"] == 5
            assert summary["params"]["min_order"] == 5
            # everyone in reach gets at least 5 units, the rest goes the shortest way
            assert quantities((out / "allocations.csv").read_text()) == {"P2": 65, "P3": 5}
        else:
            assert fair["objective"] == "fairness_budget"
            assert fair["fairness_budget"]["pct"] == 0 and fair["extra_km_pct"] == 0
            assert fair["fairness_budget"]["choice"] == "efficient"


def test_the_assign_table_selects_the_objective(job, write):
    producers, stores = job
    config = write("job.toml", '[assign]\nobjective = "fair"\n')
    by_file = run("assign", producers, stores, "--config", config, "-q")
    by_option = run("assign", producers, stores, "--objective", "fair", "-q")
    assert by_file.exit_code == 0, by_file.stderr
    assert by_file.stdout == by_option.stdout
    # the command line wins over the file
    efficient = run("assign", producers, stores, "--config", config, "--objective", "efficient")
    assert quantities(efficient.stdout) == {"P2": 70}
    budget = write("budget.toml", "[assign]\nfairness_budget = 10\nmin_order = 2\n")
    refused = run("assign", producers, stores, "--config", budget, "-q")
    assert refused.exit_code == 2
    assert "--min-order 2 and --fairness-budget 10 cannot be combined" in refused.stderr


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            ["--objective", "fair", "--min-order", "3"],
            "error: --objective fair and --min-order 3 cannot be combined: each sets how fair "
            "the allocation is (--objective fair: fully; --min-order N: at least N units each; "
            "--fairness-budget PCT: the fairest within PCT % more unit-km); give one",
        ),
        (["--objective", "fair", "--fairness-budget", "5"], "cannot be combined"),
        (["--min-order", "3", "--fairness-budget", "5"], "cannot be combined"),
        (
            ["--objective", "cheapest"],
            "error: --objective 'cheapest' is not available; use one of: efficient, fair",
        ),
        (["--min-order", "-1"], "error: --min-order -1 is not allowed"),
        (["--fairness-budget", "-5"], "error: --fairness-budget -5 is not allowed"),
        (["--fairness-budget", "inf"], "error: --fairness-budget inf is not allowed"),
        (["--min-order", "1.5"], "Invalid value for '--min-order'"),
        (["--fairness-budget", "ten"], "Invalid value for '--fairness-budget'"),
    ],
)
def test_bad_values_and_combinations_exit_2(job, options, message):
    producers, stores = job
    for command in ("assign", "explain"):
        extra = ["--producer", "P2"] if command == "explain" else []
        result = run(command, producers, stores, *options, *extra)
        assert result.exit_code == 2, (command, result.stderr)
        assert message in result.stderr, result.stderr
        assert result.stdout == ""


def test_a_bad_type_in_the_file_is_a_config_error(job, write):
    producers, stores = job
    config = write("job.toml", "[assign]\nmin_order = 2.5\n")
    result = run("assign", producers, stores, "--config", config)
    assert result.exit_code == 3
    assert "assign.min_order = 2.5 must be a int; fix the value" in result.stderr


def test_help_lists_the_objective_options():
    for command in ("assign", "explain"):
        text = run(command, "--help").stdout
        for option in ("--objective", "--min-order", "--fairness-budget"):
            assert option in text, (command, option)


def test_terminal_summary_shows_the_fairness_table(job):
    producers, stores = job
    result = run("assign", producers, stores, "--objective", "fair")
    assert result.exit_code == 0
    err = result.stderr
    assert "Fairness (objective fair: shares max-min)" in err
    assert "UMKM with orders" in err and "of 2 with a store in reach (3 UMKM)" in err
    assert re.search(r"smallest share +50.0% +median 50.0%, Gini of units", err)
    assert "no store in reach" in err and "P4" in err
    efficient = run("assign", producers, stores).stderr
    assert "Fairness (objective efficient: least unit-km)" in efficient
    assert "the efficient allocation itself" in efficient


def test_explain_says_why_a_producer_got_no_more(job):
    producers, stores = job
    table = run("explain", producers, stores, "--objective", "fair", "--producer", "P3")
    assert table.exit_code == 0, table.stderr
    assert "P3 share 50.0% of its capacity (exact fair share 50.0%); why not more:" in (
        table.stderr.replace("\n", " ")
    )
    assert "IDM-1 (Emping Melinjo)" in table.stderr
    csv_out = run(
        "explain", producers, stores, "--objective", "fair", "--producer", "P3", "--format", "csv"
    )
    rows = list(csv.DictReader(io.StringIO(csv_out.stdout)))
    assert list(rows[0])[-len(WHY_COLUMNS) :] == WHY_COLUMNS
    row = rows[0]
    assert row["why_not_more"] == "lower_share"
    assert row["blocker_id"] == "P2" and row["blocker_share"] == "0.500000"
    assert row["umkm_share"] == "0.500000" and row["fair_share"] == "0.500000"
    as_json = run(
        "explain", producers, stores, "--min-order", "5", "--producer", "P3", "--format", "json"
    )
    record = json.loads(as_json.stdout)[0]
    assert record["why_not_more"] == "unit_km" and record["blocker_id"] == "P2"
    assert "--min-order 5 guarantees each UMKM 5 units" in record["why_not_more_text"]
    # the efficient objective keeps the table as it was
    plain = run("explain", producers, stores, "--producer", "P3", "--format", "csv")
    assert "why_not_more" not in plain.stdout.splitlines()[0]
