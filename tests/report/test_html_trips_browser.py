"""map.html with delivery trips (``--routes``), clicked with a real mouse in headless Chromium.

A slice of the bundled example (the producers of Ciruas) is planned with routes; a trip is
clicked where nothing else lies under the pointer, its popup read, the layer switched off,
and a producer's popup checked for its list of trips. Skipped without Chromium (see
``tests/cdp.py``), like ``test_map_browser.py``.
"""

from __future__ import annotations

import itertools
import os
import re

import numpy as np
import pandas as pd
import pytest

from cdp import ENV, INSTALL, Browser, find_chromium
from conftest import EXAMPLES
from mapui import (
    click_for_popup,
    layout,
    open_map,
    overlay_boxes,
    reset,
    segment_distance,
    top_element,
)

CHROMIUM = find_chromium()
SKIP = (
    f"headless Chromium is not installed: install it with `sudo {INSTALL}` "
    f"(Debian/Ubuntu), or set {ENV} to a Chromium or Chrome executable"
)


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        if os.environ.get("UMKM_ALLOC_BROWSER_TESTS") == "required":
            pytest.fail(f"UMKM_ALLOC_BROWSER_TESTS=required but {SKIP}")
        pytest.skip(SKIP)
    with Browser.start(CHROMIUM) as started:
        yield started


@pytest.fixture(scope="module")
def page(browser, tmp_path_factory):
    from umkm_alloc.allocate import assign
    from umkm_alloc.config import AssignConfig
    from umkm_alloc.report import map_html

    folder = tmp_path_factory.mktemp("trips")
    p = pd.read_csv(EXAMPLES / "producers.csv", dtype=str, keep_default_na=False)
    s = pd.read_csv(EXAMPLES / "stores.csv", dtype=str, keep_default_na=False)
    p[p["kecamatan"] == "Ciruas"].to_csv(folder / "p.csv", index=False)
    s[s["kecamatan"].isin(["Ciruas", "Kragilan", "Walantaka"])].to_csv(
        folder / "s.csv", index=False
    )
    result = assign(AssignConfig(producers=folder / "p.csv", stores=folder / "s.csv", routes=True))
    assert len(result.routes.trips) > 10
    path = folder / "map.html"
    path.write_bytes(map_html(result))
    return open_map(browser, path)


def pick_trip(page, lay) -> tuple[dict, tuple[float, float]]:
    """A point on a long leg of a trip, clear of every producer, store and other trip."""
    steps = np.linspace(0.3, 0.7, 9)
    inside_lo, inside_hi = lay.box[:2] + 40, lay.box[2:] - 40
    for k, path in enumerate(lay.trips):
        others = [
            [*a, *b]
            for j, other in enumerate(lay.trips)
            if j != k
            for a, b in itertools.pairwise(other)
        ]
        for a, b in itertools.pairwise(np.asarray(path, float)):
            if np.linalg.norm(b - a) < 60:
                continue
            pts = a + steps[:, None] * (b - a)
            ok = (pts > inside_lo).all(1) & (pts < inside_hi).all(1)
            d_prod = np.linalg.norm(pts[:, None] - lay.producers[None, :, :2], axis=-1)
            ok &= (d_prod > lay.producers[None, :, 2] + 6).all(1)
            ok &= (np.linalg.norm(pts[:, None] - lay.stores[None], axis=-1) > 12).all(1)
            if others:
                ok &= (segment_distance(pts, np.asarray(others, float)) > 10).all(1)
            hits = np.flatnonzero(ok)
            if len(hits) and top_element(page, pts[hits[:1]]) == ["canvas"]:
                return lay.data["trips"][k], tuple(pts[hits[0]])
    raise AssertionError("no trip leg stands clear on the map")


def km_text(km: float) -> str:
    return f"{km:,.1f}".rstrip("0").rstrip(".") + " km"


def test_click_on_a_trip_tells_it_and_the_layer_switches_off(page):
    reset(page)
    assert "Delivery trips" in overlay_boxes(page)
    lay = layout(page)
    trip, xy = pick_trip(page, lay)
    producer = next(p for p in lay.data["producers"] if p["id"] == trip["p"])
    units = f"{trip['q']:,} unit{'s' * (trip['q'] != 1)}"
    stops = f"{len(trip['stops'])} stop{'s' * (len(trip['stops']) != 1)}"
    assert click_for_popup(page, *xy).split("\n") == [
        f"Trip {trip['trip']} of {producer['name']}",
        f"{stops}, {units}, {km_text(trip['km'])}",
        " → ".join([trip["p"], *trip["stops"], trip["p"]]),
    ]
    reset(page)
    page.click(*overlay_boxes(page)["Delivery trips"])
    assert page.js("umkmMap.map.hasLayer(umkmMap.layers.trips)") is False
    below = click_for_popup(page, *xy)
    assert not below.startswith("Trip ")  # the flow or the kecamatan under it
    reset(page)
    page.click(*overlay_boxes(page)["Delivery trips"])
    assert page.js("umkmMap.map.hasLayer(umkmMap.layers.trips)") is True


def pick_producer_with_trips(page, lay) -> tuple[dict, tuple[float, float]]:
    """A producer with trips whose dot stands clear of every other producer and store."""
    pts, radius = lay.producers[:, :2], lay.producers[:, 2]
    d = np.linalg.norm(pts[:, None] - pts[None], axis=-1)
    np.fill_diagonal(d, np.inf)
    alone = (d > radius[None, :] + radius[:, None] + 6).all(1)
    alone &= (pts > lay.box[:2] + 40).all(1) & (pts < lay.box[2:] - 40).all(1)
    alone &= (np.linalg.norm(pts[:, None] - lay.stores[None], axis=-1) > 14).all(1)
    riding = {t["p"] for t in lay.data["trips"]}
    order = [
        i
        for i in np.argsort(-radius, kind="stable")
        if alone[i] and lay.data["producers"][i]["id"] in riding
    ]
    hits = top_element(page, pts[order])
    i = next(i for i, hit in zip(order, hits, strict=True) if hit == "canvas")
    return lay.data["producers"][i], tuple(pts[i])


def test_a_producers_popup_lists_its_trips(page):
    reset(page)
    lay = layout(page)
    producer, xy = pick_producer_with_trips(page, lay)
    mine = [t for t in lay.data["trips"] if t["p"] == producer["id"]]
    text = click_for_popup(page, *xy)
    assert text.startswith(f"{producer['name']} ({producer['id']})")
    lines = text.split("\n")
    at = lines.index("Delivery trips:")
    want = [
        f"{t['trip']}: {' → '.join(t['stops'])} "
        f"({t['q']:,} unit{'s' * (t['q'] != 1)}, {km_text(t['km'])})"
        for t in mine
    ]
    assert lines[at + 1 :] == want
    assert re.search(r"Supplies: ", text)
