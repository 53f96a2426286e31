"""``explain`` agrees with the allocation it explains."""

from __future__ import annotations

import pytest

from conftest import EXAMPLES
from umkm_alloc.allocate import assign
from umkm_alloc.allocate.explain import explain
from umkm_alloc.config import AssignConfig
from umkm_alloc.errors import UsageError
from umkm_alloc.geo.boundaries import Boundaries

pytestmark = pytest.mark.slow  # the full example with examples/serang.toml

RULES = EXAMPLES / "serang.toml"


@pytest.fixture(scope="module")
def result():
    return assign(
        AssignConfig(
            producers=EXAMPLES / "producers.csv",
            stores=EXAMPLES / "stores.csv",
            max_km=60,
            config_file=RULES,
        )
    )


def test_store_view_agrees_with_the_allocation(result):
    arcs = result.arcs
    eligible = set(zip(arcs["p"][arcs["code"] == 0], arcs["s"][arcs["code"] == 0], strict=True))
    stores = sorted(set(result.stores["id"]))[::15]
    for sid in stores:
        table = explain(result, store=sid)
        got = table.groupby("product")["quantity"].sum()
        rows = result.stores[result.stores["id"] == sid].set_index("product")
        assert (got == rows["allocated"].reindex(got.index)).all(), sid
        assert (table.loc[table["status"] == "excluded", "quantity"] == 0).all()
        alloc = result.allocations[result.allocations["store_id"] == sid]
        sent = table[table["quantity"] > 0]
        assert sorted(zip(sent["producer_id"], sent["product"], sent["quantity"], strict=True)) == (
            sorted(zip(alloc["producer_id"], alloc["product"], alloc["quantity"], strict=True))
        )
        # eligibility in explain is the solver's eligibility
        p_index = {(r.id, r.product): i for i, r in enumerate(result.producers.itertuples())}
        s_index = {(r.id, r.product): i for i, r in enumerate(result.stores.itertuples())}
        for r in table.itertuples():
            pair = (p_index[(r.producer_id, r.product)], s_index[(r.store_id, r.product)])
            assert (r.status == "eligible") == (pair in eligible), (sid, r)


def test_producer_view_accounts_for_all_capacity(result):
    for pid in sorted(set(result.producers["id"]))[::25]:
        table = explain(result, producer=pid)
        rows = result.producers[result.producers["id"] == pid].set_index("product")
        for product, group in table.groupby("product"):
            assert group["quantity"].sum() == rows.at[product, "allocated"]
            assert (
                group["producer_unused"] == rows.at[product, "qty"] - rows.at[product, "allocated"]
            ).all()


def test_anyar_store_names_the_rule_excluding_each_pontang_producer(result):
    anyar = sorted(set(result.stores.loc[result.stores["kecamatan_name"] == "Anyar", "id"]))
    assert anyar
    table = explain(result, store=anyar[0])
    pontang = table[table["producer_kecamatan"] == "Pontang"]
    assert len(pontang)
    assert (pontang["status"] == "excluded").all()
    assert pontang["rule"].str.contains(r"forbidden: Pontang -> Anyar \(\[rules\] forbid\)").all()
    assert (pontang["quantity"] == 0).all()


def test_unknown_ids_and_products(result):
    with pytest.raises(UsageError, match=r"--store NOPE: no such store in .*stores\.csv"):
        explain(result, store="NOPE")
    with pytest.raises(UsageError, match="explain needs --store ID or --producer ID"):
        explain(result)
    some = sorted(set(result.stores["id"]))[0]
    with pytest.raises(UsageError, match=f"--product 'Pizza': not a product of store {some}"):
        explain(result, store=some, product="Pizza")


def test_the_result_carries_what_judged_it(result):
    """Boundaries, rules and zones of the run, and one judge that explain reuses."""
    assert isinstance(result.boundaries, Boundaries) and result.boundaries.source == "banten"
    assert len(result.boundaries.frame) == len(result.zone_map.codes)
    assert result.rules is result.judge.rules and result.zone_map is result.judge.zone_map
    arcs = result.arcs
    again = result.judge.codes(arcs["p"], arcs["s"], km=arcs["km"], minutes=arcs["minutes"])
    assert again.tolist() == arcs["code"].tolist()
    table = explain(result, store="ALF-0001")
    by_pair = arcs.set_index(["p", "s"])["code"]
    prods, stores = result.producers, result.stores
    for row in table.itertuples():
        p = prods.index[(prods["id"] == row.producer_id) & (prods["product"] == row.product)][0]
        s = stores.index[(stores["id"] == row.store_id) & (stores["product"] == row.product)][0]
        if (p, s) in by_pair.index:
            assert (row.status == "eligible") == bool(by_pair[(p, s)] == 0)
