"""map.html as people see it: the demo's page in headless Chromium, clicked with a real mouse.

The browser is the distribution's Chromium, driven over the DevTools protocol on a pipe
(``tests/cdp.py``, standard library only). Without Chromium these tests are skipped with the
command that installs it; with ``UMKM_ALLOC_BROWSER_TESTS=required`` (set by ``.ci/run``) a
missing browser fails instead. ``UMKM_ALLOC_SCREENSHOTS=docs`` renews the screenshots of the
demo that the README shows.
"""

from __future__ import annotations

import io
import json
import os
import re
from pathlib import Path

import numpy as np
import pytest

from cdp import ENV, INSTALL, Browser, Page, find_chromium
from conftest import PRODUCERS_CSV, STORES_CSV
from mapui import (
    HEIGHT,
    WIDTH,
    click_for_popup,
    km_of,
    layout,
    open_map,
    overlay_boxes,
    pick_flow,
    pick_kecamatan,
    pick_producer,
    pick_store,
    popup,
    reset,
)

pytestmark = pytest.mark.slow  # headless Chromium on the demo's map.html

CHROMIUM = find_chromium()
SKIP = (
    f"headless Chromium is not installed: install it with `sudo {INSTALL}` "
    f"(Debian/Ubuntu), or set {ENV} to a Chromium or Chrome executable"
)
OVERLAYS_EN = {"Kecamatan": "kecamatan", "Flows": "flows", "Producers (UMKM)": "producers"}
OVERLAYS_EN["Stores"] = "stores"


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        if os.environ.get("UMKM_ALLOC_BROWSER_TESTS") == "required":
            pytest.fail(f"UMKM_ALLOC_BROWSER_TESTS=required but {SKIP}")
        pytest.skip(SKIP)
    with Browser.start(CHROMIUM) as started:
        yield started


@pytest.fixture(scope="module")
def demo_html(browser, demo_dir) -> Path:
    """The demo's map.html, made from examples/ with examples/serang.toml."""
    return demo_dir / "map.html"


@pytest.fixture(scope="module")
def demo(browser, demo_html) -> Page:
    return open_map(browser, demo_html)


@pytest.fixture
def page(demo) -> Page:
    """The demo page at its opening view, no popup open."""
    reset(demo)
    return demo


def test_page_loads_offline_with_no_console_error(demo, demo_html):
    errors = [
        e
        for e in demo.events("Runtime.consoleAPICalled")
        if e["type"] in ("error", "warning", "assert")
    ]
    errors += demo.events("Runtime.exceptionThrown")
    errors += [
        e for e in demo.events("Log.entryAdded") if e["entry"]["level"] in ("error", "warning")
    ]
    assert errors == []
    urls = [e["request"]["url"] for e in demo.events("Network.requestWillBeSent")]
    assert urls[0] == demo_html.as_uri()
    # no network request at all: the page itself and inline data only
    assert [u for u in urls if u != demo_html.as_uri() and not u.startswith("data:")] == []
    assert demo.events("Fetch.requestPaused") == []
    assert demo.events("Network.webSocketCreated") == []


# ------------------------------------------------ clicks: every feature opens its popup


def test_click_on_a_producer_opens_its_popup(page):
    producer, (x, y) = pick_producer(page, layout(page))
    text = click_for_popup(page, x, y)
    assert text.startswith(f"{producer['name']} ({producer['id']})\n{producer['kec']}")
    assert "Share of capacity used:" in text
    if any(link["p"] == producer["id"] for link in layout(page).data["links"]):
        assert re.search(r"Supplies: \S+ \(\d[\d,]* units?, [\d.,]+ km\)", text), text


def test_click_on_a_store_opens_its_popup(page):
    store, (x, y) = pick_store(page, layout(page))
    text = click_for_popup(page, x, y)
    assert text.startswith(f"{store['name']} ({store['id']})")
    assert f"{store['kec']}" in text and "Fill rate:" in text


def test_click_on_a_kecamatan_opens_its_popup_through_the_layers_above(page):
    kec, (x, y) = pick_kecamatan(page, layout(page))
    text = click_for_popup(page, x, y)
    assert text.startswith(
        f"{kec['nama']} ({kec['kode']})\n{kec['kabupaten']}\nZone: {kec['zone']}"
    )
    assert f"Producers (UMKM)\t{kec['producers']:,}" in text
    assert f"Ordered\t{kec['demand']:,}" in text


def test_click_on_a_flow_tells_it_in_words(page):
    lay = layout(page)
    link, (x, y) = pick_flow(page, lay)
    text = click_for_popup(page, x, y)
    producer = next(p for p in lay.data["producers"] if p["id"] == link["p"])
    store = next(s for s in lay.data["stores"] if s["id"] == link["s"])
    head, words = text.split("\n")
    assert head == f"{producer['name']} ({link['p']}) → {store['name']} ({link['s']})"
    product, qty = link["items"][0]
    assert re.fullmatch(rf"{qty:,} units? of {re.escape(product)}, [\d.]+ km", words), words
    assert km_of(words) == pytest.approx(link["km"], abs=0.051)
    # a pair that exchanges two products: the total first, then each product
    link, (x, y) = pick_flow(page, lay, products=2)
    lines = click_for_popup(page, x, y).split("\n")
    assert re.fullmatch(rf"{link['q']:,} units, [\d.]+ km", lines[1]), lines
    assert lines[2:] == [f"{q:,} unit{'s' * (q != 1)} of {name}" for name, q in link["items"]]


# ------------------------------------------------ layers


def switch(page: Page, name: str, *, on: bool) -> None:
    reset(page)
    page.click(*overlay_boxes(page)[name])
    assert page.js(f"umkmMap.map.hasLayer(umkmMap.layers.{OVERLAYS_EN[name]})") is on


def test_every_layer_switches_off_and_on_and_keeps_its_place(page):
    lay = layout(page)
    assert set(overlay_boxes(page)) == set(OVERLAYS_EN)
    producer, p_xy = pick_producer(page, lay)
    store, s_xy = pick_store(page, lay)
    kec, k_xy = pick_kecamatan(page, lay)
    link, f_xy = pick_flow(page, lay)
    producer_head = f"{producer['name']} ({producer['id']})"

    switch(page, "Producers (UMKM)", on=False)  # the click reaches what lies below
    assert not click_for_popup(page, *p_xy).startswith(producer_head)
    switch(page, "Flows", on=False)
    below = click_for_popup(page, *f_xy)  # the kecamatan under the flow
    assert re.match(r".+ \(\d\d\.\d\d\.\d\d\)\n", below), below
    switch(page, "Flows", on=True)
    switch(page, "Producers (UMKM)", on=True)
    assert click_for_popup(page, *p_xy).startswith(producer_head)  # back on top of the flows
    assert click_for_popup(page, *f_xy).split("\n")[0].endswith(f"({link['s']})")

    switch(page, "Flows", on=False)
    switch(page, "Flows", on=True)  # switched on last: still drawn under the producers
    assert click_for_popup(page, *p_xy).startswith(producer_head)

    switch(page, "Kecamatan", on=False)
    assert page.js("document.querySelectorAll('.kec-label').length") == 0
    reset(page)
    page.click(*k_xy)
    assert popup(page) is None
    switch(page, "Kecamatan", on=True)
    assert click_for_popup(page, *k_xy).startswith(f"{kec['nama']} ({kec['kode']})")
    assert click_for_popup(page, *p_xy).startswith(producer_head)  # polygons stay at the bottom

    switch(page, "Stores", on=False)
    assert page.js("document.querySelectorAll('.store-icon').length") == 0
    switch(page, "Stores", on=True)
    assert page.js("document.querySelectorAll('.store-icon').length") == len(lay.stores)
    assert click_for_popup(page, *s_xy).startswith(f"{store['name']} ({store['id']})")


# ------------------------------------------------ what the eye gets


LABELS = """(() => {
  const M = umkmMap.map, size = M.getSize();
  return umkmMap.layers.labels.getLayers().map(m => {
    const p = M.latLngToContainerPoint(m.getLatLng()), el = m.getElement();
    const r = el.firstChild.getBoundingClientRect();
    return {name: el.textContent, shown: el.style.visibility !== "hidden",
      in_view: p.x >= 0 && p.y >= 0 && p.x <= size.x && p.y <= size.y,
      box: [r.left, r.top, r.right, r.bottom]};
  });
})()"""


def _overlaps(boxes: list) -> list:
    return [
        (a, b)
        for i, a in enumerate(boxes)
        for b in boxes[i + 1 :]
        if a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
    ]


def test_kecamatan_labels_never_collide_and_more_show_when_zoomed_in(page):
    opening = page.js(LABELS)
    features = layout(page).data["kecamatan"]["features"]
    busy = [f for f in features if f["properties"]["producers"] or f["properties"]["stores"]]
    assert sum(label["shown"] for label in opening) >= 0.8 * len(busy)  # most places named
    assert _overlaps([label["box"] for label in opening if label["shown"]]) == []
    style = "getComputedStyle(document.querySelector('.kec-label span'))"
    assert page.js(f"parseFloat({style}.fontSize)") >= 12
    zoom = page.js("umkmMap.map.getZoom()")
    plus = page.js(
        "(() => { const r = document.querySelector('.leaflet-control-zoom-in')"
        ".getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2]; })()"
    )
    page.click(*plus)
    page.wait_for(lambda: page.js(f"umkmMap.map.getZoom() > {zoom}"), what="zoom in")
    page.wait_for(
        lambda: page.js("!document.querySelector('.leaflet-zoom-anim')"), what="the zoom's end"
    )
    page.settle()
    zoomed = page.js(LABELS)
    assert _overlaps([label["box"] for label in zoomed if label["shown"]]) == []
    # names hidden for want of room at the opening zoom appear once there is room
    hidden = {label["name"] for label in opening if label["in_view"] and not label["shown"]}
    appeared = {label["name"] for label in zoomed if label["shown"]} & hidden
    assert appeared, hidden


def test_legend_explains_the_zone_colours(page):
    lay = layout(page)
    rows = page.js(
        """Array.from(document.querySelectorAll(".legend .row")).map(r => {
             const sw = r.querySelector("i.sw");
             return [r.innerText.trim(), sw ? getComputedStyle(sw).backgroundColor : null]; })"""
    )
    shown = {text: rgb for text, rgb in rows if rgb}

    def rgb(hexa: str) -> str:
        r, g, b = (int(hexa[i : i + 2], 16) for i in (1, 3, 5))
        return f"rgb({r}, {g}, {b})"

    expected = {z["name"]: rgb(z["colour"]) for z in lay.data["zones"]}
    expected["Kecamatan in no zone"] = rgb(lay.data["land"])
    assert shown == expected
    texts = [text for text, _ in rows]
    assert "flow, width = units" in texts and "store" in texts


def keep(data: bytes, name: str) -> None:
    """Save a screenshot into $UMKM_ALLOC_SCREENSHOTS (docs/), as a small 256-colour PNG."""
    folder = os.environ.get("UMKM_ALLOC_SCREENSHOTS")
    if folder:
        from PIL import Image

        image = Image.open(io.BytesIO(data)).convert("RGB")
        small = image.quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
        small.save(Path(folder) / name, optimize=True)


def test_screenshot_is_a_drawn_map(page):
    from PIL import Image

    data = page.screenshot()
    image = Image.open(io.BytesIO(data)).convert("RGB")
    assert image.size == (WIDTH, HEIGHT)
    rgb = np.asarray(image).reshape(-1, 3).astype(np.uint32)
    colours, counts = np.unique(rgb[:, 0] << 16 | rgb[:, 1] << 8 | rgb[:, 2], return_counts=True)
    assert len(colours) > 2000 and counts.max() < 0.5 * len(rgb)  # drawn, not blank
    keep(data, "map-html-serang.png")
    _, xy = pick_producer(page, layout(page))  # and with a popup open, as a user sees it
    click_for_popup(page, *xy)
    keep(page.screenshot(), "map-html-serang-popup.png")


# ------------------------------------------------ the checks can see what they look for


def test_the_network_and_console_checks_do_see_requests_and_errors(browser, demo_html):
    page = open_map(browser, demo_html)
    radio = page.js(
        """(() => {
             const l = Array.from(document.querySelectorAll(".leaflet-control-layers-base label"))
               .find(l => l.innerText.includes("OpenStreetMap"));
             const r = l.querySelector("input").getBoundingClientRect();
             return [r.left + r.width / 2, r.top + r.height / 2]; })()"""
    )
    page.click(*radio)
    page.wait_for(lambda: page.events("Fetch.requestPaused"), what="a tile request")
    urls = [e["request"]["url"] for e in page.events("Network.requestWillBeSent")]
    assert any(u.startswith("https://tile.openstreetmap.org/") for u in urls)
    page.js("console.error('probe'), true")
    page.wait_for(lambda: page.events("Runtime.consoleAPICalled"), what="the console message")
    assert page.events("Runtime.consoleAPICalled")[-1]["type"] == "error"


# ------------------------------------------------ Indonesian, and the delivery trips hook


def test_indonesian_page_and_a_delivery_trips_layer(browser, tmp_path):
    from umkm_alloc.allocate import assign
    from umkm_alloc.config import AssignConfig
    from umkm_alloc.report import map_html

    (tmp_path / "p.csv").write_text(PRODUCERS_CSV, encoding="utf-8")
    (tmp_path / "s.csv").write_text(STORES_CSV, encoding="utf-8")
    result = assign(AssignConfig(producers=tmp_path / "p.csv", stores=tmp_path / "s.csv"))
    page_html = map_html(result, lang="id").decode("utf-8")
    head, rest = page_html.split('<script id="data" type="application/json">', 1)
    payload, tail = rest.split("</script>", 1)
    data = json.loads(payload)
    where = {p["id"]: [p["lat"], p["lon"]] for p in data["producers"] + data["stores"]}
    data["trips"] = [
        {
            "p": "P2",
            "trip": 1,
            "q": 80,
            "km": 9.5,
            "stops": ["IDM-1", "IDM-3"],
            "ll": [where["P2"], where["IDM-1"], where["IDM-3"], where["P2"]],
        }
    ]
    text = json.dumps(data, ensure_ascii=False).replace("<", "\\u003c")
    path = tmp_path / "map.html"
    path.write_text(
        f'{head}<script id="data" type="application/json">{text}</script>{tail}', encoding="utf-8"
    )
    page = open_map(browser, path)
    assert set(overlay_boxes(page)) == {
        "Kecamatan",
        "Aliran",
        "Perjalanan pengiriman",
        "Produsen (UMKM)",
        "Toko",
    }
    lay = layout(page)
    a, b, c = (np.asarray(xy, float) for xy in lay.trips[0][1:])  # IDM-1, IDM-3, back at P2
    trip = ["Perjalanan 1 dari Emping Ciruas", "2 perhentian, 80 unit, 9,5 km"]
    trip.append("P2 → IDM-1 → IDM-3 → P2")
    assert click_for_popup(page, *(a + 0.5 * (b - a))).split("\n") == trip
    back = b + 0.5 * (c - b)  # the way back runs along the flow P2 -> IDM-3, drawn below
    assert click_for_popup(page, *back).split("\n") == trip
    page.click(*overlay_boxes(page)["Perjalanan pengiriman"])
    assert page.js("umkmMap.map.hasLayer(umkmMap.layers.trips)") is False
    link = next(x for x in lay.data["links"] if (x["p"], x["s"]) == ("P2", "IDM-3"))
    head, words = click_for_popup(page, *back).split("\n")
    assert head == "Emping Ciruas (P2) → Indomaret Kragilan (IDM-3)"
    assert re.fullmatch(rf"{link['q']} unit Emping Melinjo, [\d,]+ km", words), words
    assert km_of(words.replace(",", ".")) == pytest.approx(link["km"], abs=0.051)
    legend = page.js("document.querySelector('.legend').innerText")
    assert "perjalanan pengiriman" in legend and "Zona" not in legend
