"""map.html: every store, offline, escaped, zones and labels (in a browser: test_html_browser)."""

from __future__ import annotations

import json
import re

from reportjob import assign_small
from umkm_alloc.labels import labels
from umkm_alloc.report import map_html


def test_html_holds_every_store_and_renders_offline(example):
    result, files, _ = example
    page = files["map.html"].decode("utf-8")
    for store_id in result.stores["id"].unique():
        assert f'"{store_id}"' in page
    # everything the page loads is inline: no external script, stylesheet or image
    assert re.search(r"<script[^>]*\bsrc=", page) is None
    assert re.search(r"<link\b", page) is None
    assert re.search(r"url\(\s*['\"]?(https?:|//)", page) is None
    assert re.search(r"url\(images/", page) is None
    assert "Leaflet 1.9.4" in page and "sourceMappingURL" not in page
    data = re.search(r'<script id="data" type="application/json">(.*?)</script>', page, re.S)
    assert data is not None
    payload = json.loads(data.group(1))
    assert {s["id"] for s in payload["stores"]} == set(result.stores["id"])
    assert len(payload["producers"]) == result.producers["id"].nunique()
    assert sum(link["q"] for link in payload["links"]) == result.allocations["quantity"].sum()
    assert payload["kecamatan"]["features"]


def test_html_escapes_names_and_follows_lang(small):
    page = map_html(small, lang="id").decode("utf-8")
    assert '<html lang="id">' in page
    assert labels("id")["map_title"] in page
    data = re.search(r'<script id="data" type="application/json">(.*?)</script>', page, re.S)
    assert data is not None
    assert "<" not in data.group(1)  # no markup (or </script>) can hide in the data
    assert json.loads(data.group(1))["labels"]["stores"] == "toko"


def test_html_data_names_zones_and_places_labels_inside_their_kecamatan(small_dir):
    import shapely.geometry

    zoned = assign_small(
        small_dir,
        '[zones]\nPantura = ["Pontang", "Tirtayasa"]\nTengah = ["Ciruas", "Kragilan"]\n',
        name="two-zones.toml",
    )
    page = map_html(zoned).decode("utf-8")
    data = re.search(r'<script id="data" type="application/json">(.*?)</script>', page, re.S)
    payload = json.loads(data.group(1))
    assert payload["zones"] == [
        {"name": "Pantura", "colour": payload["zones"][0]["colour"]},
        {"name": "Tengah", "colour": payload["zones"][1]["colour"]},
    ]
    assert len({z["colour"] for z in payload["zones"]} | {payload["land"]}) == 3
    for feature in payload["kecamatan"]["features"]:
        lat, lon = feature["properties"]["label"]
        shape = shapely.geometry.shape(feature["geometry"])
        assert shape.buffer(1e-4).contains(shapely.Point(lon, lat)), feature["properties"]["nama"]
    assert payload["trips"] == []  # the delivery trips layer stays empty without routes
    t = payload["labels"]
    assert t["units_of"].format(units=t["unit_many"].format(n=14), product="Gipang") == (
        "14 units of Gipang"
    )
