"""Hand-made road networks for the distance-backend tests, written as OpenStreetMap XML.

The river network lies in Kecamatan Kragilan (Kabupaten Serang): a producer on the west bank
and a store on the east bank of a north-south river, 4 km apart in a straight line. A
footbridge joins them directly (not a road), the only road bridge is 10 km to the north, so
the road distance is about six times the straight line.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from itertools import pairwise
from pathlib import Path
from xml.sax.saxutils import quoteattr

import numpy as np
from pyproj import Geod

GEOD = Geod(ellps="WGS84")

#: Latitude of the producer and the store (Kragilan).
Y0 = -6.147574
#: West and east bank roads (longitude); the river runs between them.
XW, XE = 106.261, 106.297
#: Latitude of the only road bridge, 10 km north.
YN = Y0 + 0.09
PRODUCER = (Y0, XW)  # (lat, lon)
STORE = (Y0, XE)


def straight_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    _, _, m = GEOD.inv(a[1], a[0], b[1], b[0])
    return float(m) / 1000.0


def path_km(points: list[tuple[float, float]]) -> float:
    return sum(straight_km(a, b) for a, b in pairwise(points))


def write_osm(
    path: Path,
    nodes: Mapping[int, tuple[float, float]],
    ways: Iterable[tuple[list[int], Mapping[str, str]]],
) -> Path:
    """Write nodes ``id -> (lat, lon)`` and ways ``(refs, tags)`` as an .osm XML file."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="tests">']
    for nid, (lat, lon) in nodes.items():
        lines.append(f'  <node id="{nid}" version="1" lat="{lat:.7f}" lon="{lon:.7f}"/>')
    for wid, (refs, tags) in enumerate(ways, start=1000):
        lines.append(f'  <way id="{wid}" version="1">')
        lines.extend(f'    <nd ref="{r}"/>' for r in refs)
        lines.extend(f"    <tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in tags.items())
        lines.append("  </way>")
    lines.append("</osm>")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def river_network() -> tuple[dict[int, tuple[float, float]], list[tuple[list[int], dict]]]:
    """Nodes and ways of the river case (see the module docstring)."""
    steps = np.linspace(Y0, YN, 11)  # a node every kilometre up each bank
    nodes: dict[int, tuple[float, float]] = {}
    west = []
    east = []
    for i, y in enumerate(steps):
        nodes[1 + i] = (float(y), XW)
        nodes[101 + i] = (float(y), XE)
        west.append(1 + i)
        east.append(101 + i)
    bridge = [west[-1], 201, 202, 203, east[-1]]
    for k, x in enumerate(np.linspace(XW, XE, 5)[1:-1]):
        nodes[201 + k] = (YN, float(x))
    nodes[301] = (Y0, (XW + XE) / 2)  # middle of the footbridge
    ways = [
        (west, {"highway": "residential", "name": "Jalan Barat"}),
        (east, {"highway": "residential", "name": "Jalan Timur"}),
        (bridge, {"highway": "tertiary", "bridge": "yes", "name": "Jembatan"}),
        ([west[0], 301, east[0]], {"highway": "footway", "bridge": "yes"}),
        # a private shortcut and a road under construction do not count either
        ([west[2], east[2]], {"highway": "service", "access": "private"}),
        ([west[4], east[4]], {"highway": "construction", "construction": "tertiary"}),
    ]
    return nodes, ways


def river_road_km() -> float:
    """Road distance producer -> store over the river network (up, across, down)."""
    return path_km([PRODUCER, (YN, XW), (YN, XE), STORE])


def write_job(
    tmp: Path,
    producers: list[tuple[str, tuple[float, float], str, int]],
    stores: list[tuple[str, tuple[float, float], str, int]],
) -> tuple[Path, Path]:
    """Write producers and stores ``(id, (lat, lon), product, qty)`` as CSV files."""
    p = tmp / "producers.csv"
    s = tmp / "stores.csv"
    p.write_text(
        "producer_id,name,lat,lon,product,capacity\n"
        + "".join(f"{i},{i} name,{lat},{lon},{prod},{q}\n" for i, (lat, lon), prod, q in producers),
        encoding="utf-8",
    )
    s.write_text(
        "store_id,name,lat,lon,product,demand\n"
        + "".join(f"{i},{i} name,{lat},{lon},{prod},{q}\n" for i, (lat, lon), prod, q in stores),
        encoding="utf-8",
    )
    return p, s
