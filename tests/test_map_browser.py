"""map.html as people see it: the demo's page in headless Chromium, clicked with a real mouse.

The browser is the distribution's Chromium, driven over the DevTools protocol on a pipe
(``tests/cdp.py``, standard library only). Without Chromium these tests are skipped with the
command that installs it; with ``UMKM_ALLOC_BROWSER_TESTS=required`` (set by ``.ci/run``) a
missing browser fails instead. ``UMKM_ALLOC_SCREENSHOTS=docs`` renews the screenshots of the
demo that the README shows.
"""

from __future__ import annotations

import io
import itertools
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from cdp import ENV, INSTALL, Browser, Page, find_chromium
from conftest import EXAMPLES, PRODUCERS_CSV, STORES_CSV

CHROMIUM = find_chromium()
SKIP = (
    f"headless Chromium is not installed: install it with `sudo {INSTALL}` "
    f"(Debian/Ubuntu), or set {ENV} to a Chromium or Chrome executable"
)
WIDTH, HEIGHT = 1600, 1000
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
def demo_html(browser, tmp_path_factory) -> Path:
    """The demo's map.html, made from examples/ with examples/serang.toml."""
    from typer.testing import CliRunner

    from umkm_alloc.cli import app

    out = tmp_path_factory.mktemp("demo")
    args = [
        "assign",
        str(EXAMPLES / "producers.csv"),
        str(EXAMPLES / "stores.csv"),
        "--config",
        str(EXAMPLES / "serang.toml"),
        "--out-dir",
        str(out),
        "--report",
        "-q",
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    return out / "map.html"


def open_map(browser: Browser, path: Path) -> Page:
    """A new tab with ``path`` loaded; every http(s) request is held, never sent."""
    page = browser.new_page(width=WIDTH, height=HEIGHT)
    page.send("Fetch.enable", {"patterns": [{"urlPattern": "http*"}]})
    page.goto(path.as_uri())
    page.wait_for(lambda: page.js("typeof umkmMap === 'object'"), what="the map script")
    page.settle()
    return page


@pytest.fixture(scope="module")
def demo(browser, demo_html) -> Page:
    return open_map(browser, demo_html)


@pytest.fixture
def page(demo) -> Page:
    """The demo page at its opening view, no popup open."""
    reset(demo)
    return demo


def reset(page: Page) -> None:
    """Back to the opening view, with no popup (a closed one fades out for 0.2 s)."""
    page.js(RESET)
    page.wait_for(lambda: page.js("!document.querySelector('.leaflet-popup')"), what="popups to go")
    page.settle()


RESET = """(() => {
  const M = umkmMap.map;
  M.closePopup(); M.stop();
  M.fitBounds(JSON.parse(document.getElementById("data").textContent).bounds, {animate: false});
  return true;
})()"""

POSITIONS = """(() => {
  const M = umkmMap.map, box = M.getContainer().getBoundingClientRect();
  const D = JSON.parse(document.getElementById("data").textContent);
  const xy = (ll) => {
    const p = M.latLngToContainerPoint(ll);
    return [p.x + box.left, p.y + box.top];
  };
  return {
    data: D, box: [box.left, box.top, box.right, box.bottom],
    producers: D.producers.map(p => [...xy([p.lat, p.lon]), p.radius]),
    stores: D.stores.map(s => xy([s.lat, s.lon])),
    links: D.links.map(l => [...xy(l.ll[0]), ...xy(l.ll[1]), l.w]),
    kecamatan: D.kecamatan.features.map(f => xy(f.properties.label)),
    trips: (D.trips || []).map(t => t.ll.map(xy)),
  };
})()"""


@dataclass
class Layout:
    """Where the page draws each feature now (viewport pixels) and the page's data."""

    data: dict
    box: np.ndarray
    producers: np.ndarray  # x, y, radius
    stores: np.ndarray  # x, y
    links: np.ndarray  # x0, y0, x1, y1, weight
    kecamatan: np.ndarray  # x, y of each label point
    trips: list


def layout(page: Page) -> Layout:
    raw = page.js(POSITIONS)
    arrays = {k: np.asarray(raw[k], float).reshape(-1, n) for k, n in _COLS.items()}
    return Layout(data=raw["data"], box=np.asarray(raw["box"]), trips=raw["trips"], **arrays)


_COLS = {"producers": 3, "stores": 2, "links": 5, "kecamatan": 2}


def segment_distance(points: np.ndarray, segs: np.ndarray) -> np.ndarray:
    """Distance (px) from each point to each segment: shape (points, segments)."""
    a, b = segs[None, :, 0:2], segs[None, :, 2:4]
    p = points[:, None, :]
    ab = b - a
    t = np.clip(((p - a) * ab).sum(-1) / np.maximum((ab * ab).sum(-1), 1e-9), 0, 1)
    return np.linalg.norm(p - (a + t[..., None] * ab), axis=-1)


def clear(lay: Layout, points: np.ndarray, *, skip_link: int | None = None) -> np.ndarray:
    """Which points are well away from every producer, store and flow (but ``skip_link``)."""
    inside = (points > lay.box[:2] + 40).all(1) & (points < lay.box[2:] - 40).all(1)
    d_prod = np.linalg.norm(points[:, None] - lay.producers[None, :, :2], axis=-1)
    ok = inside & (d_prod > lay.producers[None, :, 2] + 6).all(1)
    ok &= (np.linalg.norm(points[:, None] - lay.stores[None], axis=-1) > 12).all(1)
    if len(lay.links):
        d_link = segment_distance(points, lay.links[:, :4])
        reach = lay.links[None, :, 4] / 2 + 3 + 4  # half the line, Leaflet's tolerance, margin
        far = d_link > reach
        if skip_link is not None:
            far[:, skip_link] = True
        ok &= far.all(1)
    for trip in lay.trips:
        legs = np.asarray([[*a, *b] for a, b in itertools.pairwise(trip)], float)
        ok &= (segment_distance(points, legs) > 2.5 / 2 + 3 + 4).all(1)
    return ok


def top_element(page: Page, points) -> list[str | None]:
    """What the mouse would hit at each point: ``canvas``, ``store:<title>`` or a tag name."""
    return page.js(
        f"""({json.dumps([[float(x), float(y)] for x, y in points])}).map(([x, y]) => {{
          const el = document.elementFromPoint(x, y);
          if (!el) return null;
          const icon = el.closest(".store-icon");
          return icon ? "store:" + icon.title : el.tagName.toLowerCase();
        }})"""
    )


def popup(page: Page) -> str | None:
    """The text of the open popup (a closed one fades out before it leaves the page)."""
    return page.js(
        """(() => { const open = Array.from(document.querySelectorAll(".leaflet-popup"))
             .filter(p => p.style.opacity !== "0");
             return open.length ? open[0].querySelector(".leaflet-popup-content").innerText
               : null; })()"""
    )


def click_for_popup(page: Page, x: float, y: float) -> str:
    """Click at the opening view (a popup may have panned the map) and return the popup."""
    reset(page)
    page.click(x, y)
    text = page.wait_for(lambda: popup(page), what=f"a popup after a click at {x:.0f},{y:.0f}")
    page.wait_for(  # faded in: what a screenshot shows
        lambda: page.js(
            "getComputedStyle(document.querySelector('.leaflet-popup')).opacity === '1'"
        ),
        what="the popup to fade in",
    )
    return text


def pick_producer(page: Page, lay: Layout) -> tuple[dict, tuple[float, float]]:
    pts = lay.producers[:, :2]
    d = np.linalg.norm(pts[:, None] - pts[None], axis=-1)
    np.fill_diagonal(d, np.inf)
    alone = (d > lay.producers[None, :, 2] + lay.producers[:, 2:3] + 6).all(1)
    alone &= (pts > lay.box[:2] + 40).all(1) & (pts < lay.box[2:] - 40).all(1)
    alone &= (np.linalg.norm(pts[:, None] - lay.stores[None], axis=-1) > 14).all(1)
    order = [i for i in np.argsort(-lay.producers[:, 2], kind="stable") if alone[i]]
    hits = top_element(page, pts[order])
    i = next(i for i, hit in zip(order, hits, strict=True) if hit == "canvas")
    return lay.data["producers"][i], tuple(pts[i])


def pick_store(page: Page, lay: Layout) -> tuple[dict, tuple[float, float]]:
    d = np.linalg.norm(lay.stores[:, None] - lay.stores[None], axis=-1)
    np.fill_diagonal(d, np.inf)
    order = [i for i in range(len(lay.stores)) if (d[i] > 14).all()]
    hits = top_element(page, lay.stores[order])
    for i, hit in zip(order, hits, strict=True):
        store = lay.data["stores"][i]
        if hit == f"store:{store['id']} {store['name']}":
            return store, tuple(lay.stores[i])
    raise AssertionError("no store icon stands alone on the map")


def pick_kecamatan(page: Page, lay: Layout) -> tuple[dict, tuple[float, float]]:
    feats = [f["properties"] for f in lay.data["kecamatan"]["features"]]
    ok = clear(lay, lay.kecamatan)
    order = sorted(np.flatnonzero(ok), key=lambda i: -(feats[i]["producers"] + feats[i]["stores"]))
    hits = top_element(page, lay.kecamatan[order])
    i = next(i for i, hit in zip(order, hits, strict=True) if hit == "canvas")
    return feats[i], tuple(lay.kecamatan[i])


def pick_flow(page: Page, lay: Layout, *, products: int = 1) -> tuple[dict, tuple[float, float]]:
    steps = np.linspace(0.3, 0.7, 9)
    for k in np.argsort(-lay.links[:, 4], kind="stable"):  # thick flows first
        link = lay.data["links"][k]
        if len(link["items"]) != products:
            continue
        a, b = lay.links[k, :2], lay.links[k, 2:4]
        if np.linalg.norm(b - a) < 30:
            continue
        pts = a + steps[:, None] * (b - a)
        ok = np.flatnonzero(clear(lay, pts, skip_link=int(k)))
        if len(ok) and top_element(page, pts[ok[:1]]) == ["canvas"]:
            return link, tuple(pts[ok[0]])
    raise AssertionError(f"no flow of {products} product(s) stands clear on the map")


def km_of(text: str) -> float:
    return float(re.search(r"([\d.,]+) km", text).group(1).replace(",", ""))


# ------------------------------------------------ loading


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


def overlay_boxes(page: Page) -> dict[str, tuple[float, float]]:
    return dict(
        page.js(
            """Array.from(document.querySelectorAll(".leaflet-control-layers-overlays label"))
               .map(l => { const r = l.querySelector("input").getBoundingClientRect();
                 return [l.innerText.trim(), [r.left + r.width / 2, r.top + r.height / 2]]; })"""
        )
    )


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
  const spans = Array.from(document.querySelectorAll(".kec-label span"));
  const anchors = umkmMap.layers.labels.getLayers()
    .map(m => M.latLngToContainerPoint(m.getLatLng()));
  return {
    shown: spans.filter(s => s.parentElement.style.visibility !== "hidden").map(s => {
      const r = s.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; }),
    in_view: anchors.filter(p => p.x >= 0 && p.y >= 0 && p.x <= size.x && p.y <= size.y).length,
  };
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
    assert len(opening["shown"]) >= 0.8 * len(busy)  # most places with sites are named
    assert _overlaps(opening["shown"]) == []
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
    assert _overlaps(zoomed["shown"]) == []
    # a larger share of the names in view is shown once there is room for them
    share = len(zoomed["shown"]) / zoomed["in_view"]
    assert share > len(opening["shown"]) / opening["in_view"]


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
