"""``map.html``: a self-contained Leaflet map (Leaflet inlined, works offline)."""

from __future__ import annotations

import base64
import html
import json
import re
from importlib import resources
from typing import Any

import numpy as np
import shapely
import shapely.geometry
from shapely.ops import polylabel

from umkm_alloc.report.scene import (
    FLOW,
    LAND,
    RAMP,
    TRIP,
    Scene,
    colour,
    title_lines,
    zone_colours,
)

_STATIC = "report/static"
_OSM_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"


# ------------------------------------------------ map.html


def render_html(scene: Scene) -> bytes:
    """Return ``map.html``: the page template filled with the scene, Leaflet inlined."""
    static = resources.files("umkm_alloc") / _STATIC / "leaflet"
    own = resources.files("umkm_alloc") / _STATIC / "map"
    js = (static / "leaflet.js").read_text(encoding="utf-8")
    js = re.sub(r"\n//# sourceMappingURL=\S+\s*$", "\n", js)
    css = (static / "leaflet.css").read_text(encoding="utf-8")
    for image in ("layers.png", "layers-2x.png", "marker-icon.png"):
        data = base64.b64encode((static / "images" / image).read_bytes()).decode("ascii")
        css = css.replace(f"url(images/{image})", f"url(data:image/png;base64,{data})")
    title, totals, counts = title_lines(scene)
    payload = json.dumps(_html_data(scene), ensure_ascii=False, separators=(",", ":"))
    payload = payload.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    page = (
        (own / "page.html")
        .read_text(encoding="utf-8")
        .replace("@@LANG@@", scene.lang)
        .replace("@@TITLE@@", html.escape(title))
        .replace("@@TOTALS@@", html.escape(totals))
        .replace("@@COUNTS@@", html.escape(counts))
        .replace("@@OWN_CSS@@", (own / "map.css").read_text(encoding="utf-8"))
        .replace("@@OWN_JS@@", (own / "map.js").read_text(encoding="utf-8"))
        .replace("@@DATA@@", payload)
    )
    # Leaflet last: its text is not searched for placeholders.
    page = page.replace("@@LEAFLET_CSS@@", css, 1)
    head, tail = page.split("@@LEAFLET_JS@@", 1)
    return (head + js.replace("</script", "<\\/script") + tail).encode("utf-8")


def _html_data(scene: Scene) -> dict[str, Any]:
    t = scene.text
    kec = scene.kecamatan
    features = []
    colours = zone_colours(scene) if scene.zones else {}
    view = shapely.box(*scene.view)
    for row, geom in zip(
        kec.drop(columns="geometry").itertuples(index=False), kec.geometry, strict=True
    ):
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "kode": row.kode,
                    "nama": row.nama,
                    "kabupaten": row.kabupaten,
                    "zone": row.zone,
                    "colour": colours.get(row.zone, LAND),
                    "producers": int(row.producers),
                    "supply": int(row.supply),
                    "supplied": int(row.supplied),
                    "stores": int(row.stores),
                    "demand": int(row.demand),
                    "allocated": int(row.allocated),
                    "fill_rate": _json_ratio(row.fill_rate),
                    "label": _label_point(geom, view),
                },
                "geometry": shapely.geometry.mapping(shapely.set_precision(geom, 1e-5)),
            }
        )
    top_p = float(scene.producers["qty"].max()) if len(scene.producers) else 1.0
    top_q = float(scene.links["quantity"].max()) if len(scene.links) else 1.0
    x0, y0, x1, y1 = scene.view
    return {
        "labels": {k: t[k].replace("\n", ", ") for k in _HTML_LABELS},
        "locale": "id-ID" if scene.lang == "id" else "en-GB",
        "bounds": [[round(y0, 5), round(x0, 5)], [round(y1, 5), round(x1, 5)]],
        "osm": _OSM_URL,
        "flow_colour": FLOW,
        "trip_colour": TRIP,
        "ramp": list(RAMP),
        "zoned": bool(scene.zones),
        "zones": [{"name": z, "colour": c} for z, c in colours.items()],
        "land": LAND,
        "kecamatan": {"type": "FeatureCollection", "features": features},
        "producers": [
            {
                "id": r.id,
                "name": r.name,
                "lat": round(r.lat, 6),
                "lon": round(r.lon, 6),
                "kec": r.kecamatan,
                "kab": r.kabupaten,
                "zone": r.zone,
                "qty": r.qty,
                "allocated": r.allocated,
                "colour": colour(r.ratio),
                "radius": round(float(3 + 11 * np.sqrt(r.qty / max(top_p, 1))), 2),
                "items": [list(i) for i in r.items],
            }
            for r in scene.producers.itertuples(index=False)
        ],
        "stores": [
            {
                "id": r.id,
                "name": r.name,
                "chain": r.chain,
                "lat": round(r.lat, 6),
                "lon": round(r.lon, 6),
                "kec": r.kecamatan,
                "kab": r.kabupaten,
                "zone": r.zone,
                "qty": r.qty,
                "allocated": r.allocated,
                "colour": colour(r.ratio),
                "items": [list(i) for i in r.items],
            }
            for r in scene.stores.itertuples(index=False)
        ],
        "links": [
            {
                "p": r.producer_id,
                "s": r.store_id,
                "q": int(r.quantity),
                "km": round(float(r.distance_km), 3),
                "w": round(float(0.8 + 4.5 * r.quantity / max(top_q, 1)), 2),
                "ll": [[round(r.lat0, 6), round(r.lon0, 6)], [round(r.lat1, 6), round(r.lon1, 6)]],
                "items": [list(i) for i in r.items],
            }
            for r in scene.links.itertuples(index=False)
        ],
        "trips": _trips(scene),
    }


def _label_point(geom: Any, view: Any) -> list[float]:
    """Return ``[lat, lon]`` of a kecamatan's label: deep inside its largest part in view.

    The pole of inaccessibility (the point farthest from the edges) rather than the centre
    of the bounding box, which can fall outside a bent or hollow polygon.
    """
    inside = geom.intersection(view)
    if inside.is_empty or inside.area == 0:
        inside = geom
    parts = [p for p in getattr(inside, "geoms", [inside]) if p.geom_type == "Polygon"]
    largest = max(parts, key=lambda p: p.area) if parts else inside.envelope
    point = polylabel(largest, tolerance=1e-4)
    return [round(point.y, 5), round(point.x, 5)]


def _trips(scene: Scene) -> list[dict[str, Any]]:
    """Return the delivery trips of the map's *delivery trips* layer (``--routes``).

    Each trip is one dict::

        {"p": producer_id, "trip": 1, "q": units, "km": 12.3,
         "stops": [store_id, ...], "ll": [[lat, lon], ...]}

    ``ll`` is the closed path in visiting order (producer, stops, back to the producer).
    ``map.js`` adds the layer, its switch, its legend line and its popups ("trip 1 of P001:
    3 stops, 45 units, 12.3 km"), and lists each producer's trips in its popup, whenever
    this list is not empty; drawn above the flows and below the producers on the shared
    canvas.
    """
    return [
        {
            "p": t.producer_id,
            "trip": int(t.trip),
            "q": int(t.quantity),
            "km": round(float(t.km), 3),
            "stops": list(t.stops),
            "ll": [[round(y, 6), round(x, 6)] for x, y in zip(t.lon, t.lat, strict=True)],
        }
        for t in scene.trips.itertuples(index=False)
    ]


def _json_ratio(value: float) -> float | None:
    return round(float(value), 4) if value is not None and np.isfinite(value) else None


_HTML_LABELS = (
    "producers",
    "stores",
    "flows",
    "kecamatan",
    "zone",
    "product",
    "capacity",
    "ordered",
    "received",
    "supplied",
    "allocated",
    "quantity",
    "distance_km",
    "chain",
    "fill_rate",
    "share_used",
    "legend_colour_short",
    "legend_producer",
    "legend_store",
    "legend_flow",
    "legend_flow_line",
    "legend_trip",
    "trips",
    "trip_title",
    "stops",
    "unit_one",
    "unit_many",
    "units_of",
    "kecamatan_no_zone",
    "osm_layer",
    "no_tiles",
    "supplies",
    "supplied_by",
    "unmet",
    "unused",
)
