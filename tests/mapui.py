"""Where map.html draws what, and how a user reaches it: helpers of test_map_browser.py.

Positions come from the page's own data and Leaflet's projection (``window.umkmMap``); a
feature is picked only where nothing else could take its click, and then clicked with the
real mouse (``cdp.Page.click``).
"""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cdp import Browser, Page

WIDTH, HEIGHT = 1600, 1000


def open_map(browser: Browser, path: Path) -> Page:
    """A new tab with ``path`` loaded; every http(s) request is held, never sent."""
    page = browser.new_page(width=WIDTH, height=HEIGHT)
    page.send("Fetch.enable", {"patterns": [{"urlPattern": "http*"}]})
    page.goto(path.as_uri())
    page.wait_for(lambda: page.js("typeof umkmMap === 'object'"), what="the map script")
    page.settle()
    return page


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


def overlay_boxes(page: Page) -> dict[str, tuple[float, float]]:
    return dict(
        page.js(
            """Array.from(document.querySelectorAll(".leaflet-control-layers-overlays label"))
               .map(l => { const r = l.querySelector("input").getBoundingClientRect();
                 return [l.innerText.trim(), [r.left + r.width / 2, r.top + r.height / 2]]; })"""
        )
    )
