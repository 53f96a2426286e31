"""The README's figures of the example's delivery trips are those the example gives."""

from __future__ import annotations

from conftest import EXAMPLES, REPO
from umkm_alloc.allocate import assign
from umkm_alloc.config import AssignConfig

README = (REPO / "README.md").read_text(encoding="utf-8")


def test_readme_example_trips_and_km():
    config = AssignConfig.from_file(
        EXAMPLES / "serang.toml",
        producers=EXAMPLES / "producers.csv",
        stores=EXAMPLES / "stores.csv",
        routes=True,
    )
    result = assign(config)
    r = result.summary.routes
    section = README.split("### Delivery trips of the example", 1)[1].split("\n## ", 1)[0]
    assert f"**{round(r.km_direct):,} km**" in section
    assert f"**{round(r.km):,} km in {r.trips} trips,\n{r.saving_pct:.1f} % less**" in section
    assert f'"km": {r.km}, "km_direct": {r.km_direct}, "saving_pct": {r.saving_pct}' in section
    assert f'"trips": {r.trips}, "stops": {r.stops}, "quantity": {r.quantity}' in section
    assert f"{r.hours:.1f} hours" in section
    longest = r.longest_days[0]
    assert f"{longest.hours:.1f} hours ({longest.producer_id}, {longest.stores} stores" in section
    trips_per_producer = result.routes.days["trips"].value_counts()
    assert f"{trips_per_producer[1]} producers need one trip" in section
    assert (REPO / "docs" / "delivery-note-serang.png").is_file()
