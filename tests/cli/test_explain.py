"""``umkm-alloc explain``: the table in three formats, usage errors."""

from __future__ import annotations

import csv
import io
import json

import pytest

from conftest import EXAMPLES, run_cli
from umkm_alloc.allocate.explain import EXPLAIN_COLUMNS

RULES = EXAMPLES / "serang.toml"


def test_rejected_store_is_named_with_its_reason(write):
    stores = write(
        "s.csv",
        (EXAMPLES / "stores.csv").read_text() + "BAD-1,Toko X,Indomaret,,,,Gipang,5\n",
    )
    result = run_cli("explain", str(EXAMPLES / "producers.csv"), str(stores), "--store", "BAD-1")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: --store BAD-1: its row on line ")
    assert "was rejected (" in result.stderr


@pytest.mark.slow
def test_cli_formats():
    base = [
        "explain",
        str(EXAMPLES / "producers.csv"),
        str(EXAMPLES / "stores.csv"),
        "--config",
        str(RULES),
        "--max-km",
        "60",
        "--store",
        "ALF-0052",
    ]
    as_csv = run_cli(*base, "--format", "csv")
    assert as_csv.exit_code == 0, as_csv.stderr
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert list(rows[0]) == EXPLAIN_COLUMNS
    as_json = run_cli(*base, "--format", "json")
    assert json.loads(as_json.stdout)[0]["store_id"] == "ALF-0052"
    assert len(json.loads(as_json.stdout)) == len(rows)
    table = run_cli(*base, "--product", "Dodol")
    assert table.exit_code == 0
    assert table.stdout == ""
    assert "ALF-0052 Alfamart Anyar (Anyar, zone Barat): Dodol" in table.stderr
    none = run_cli(*base[:3])
    assert none.exit_code == 2
    assert none.stderr == "error: explain needs --store ID or --producer ID (or both)\n"
