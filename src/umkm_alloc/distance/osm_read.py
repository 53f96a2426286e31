"""Reading OpenStreetMap extracts into a road graph, with an on-disk cache."""

from __future__ import annotations

import bz2
import contextlib
import gzip
import hashlib
import json
import os
import re
import tempfile
import xml.etree.ElementTree as ET
from array import array
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, cast

import numpy as np

from umkm_alloc.distance.graph import RoadGraph
from umkm_alloc.errors import InputError, UsageError

#: Travel speed (km/h) of a motorbike or small van per ``highway`` class; only these classes
#: are roads. A lower ``maxspeed`` tag wins. Tracks, paths, footways, cycleways, steps,
#: pedestrian streets, bridleways and roads under construction are not roads here.
ROAD_SPEEDS_KMH: dict[str, float] = {
    "motorway": 70.0,
    "motorway_link": 45.0,
    "trunk": 50.0,
    "trunk_link": 35.0,
    "primary": 40.0,
    "primary_link": 30.0,
    "secondary": 35.0,
    "secondary_link": 30.0,
    "tertiary": 30.0,
    "tertiary_link": 25.0,
    "unclassified": 25.0,
    "residential": 20.0,
    "living_street": 10.0,
    "service": 15.0,
    "road": 20.0,
}
#: ``access`` values (and of the mode keys) that close a way to deliveries.
_CLOSED = frozenset({"no", "private", "agricultural", "forestry", "emergency", "military"})
#: Access keys from the most to the least specific, for a motorbike and for a car or van.
_MODE_KEYS = (
    ("motorcycle", "motor_vehicle", "vehicle", "access"),
    ("motorcar", "motor_vehicle", "vehicle", "access"),
)
#: Bump when parsing changes: old cache entries are then ignored (a change of the profile
#: above is noticed by itself, see ``_profile_key``).
GRAPH_FORMAT = 1
#: Arrays of a cached graph.
GRAPH_ARRAYS = ("lon", "lat", "tail", "head", "km", "minutes")
#: Environment variable naming the cache folder.
CACHE_ENV = "UMKM_ALLOC_CACHE"
_MAXSPEED = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(mph|km/h|kmh|kph)?\s*$", re.I)
#: How many graphs were parsed from an extract (not read from the cache) in this process.
PARSE_COUNT = 0


# --------------------------------------------------------------------------- profile


def is_road(tags: Mapping[str, str]) -> bool:
    """Whether a way with these tags can be used by a motorbike or a small van."""
    if tags.get("highway") not in ROAD_SPEEDS_KMH:
        return False
    if tags.get("area") == "yes" or tags.get("oneway") in ("reversible", "alternating"):
        return False
    return any(_mode_open(tags, keys) for keys in _MODE_KEYS)


def _mode_open(tags: Mapping[str, str], keys: tuple[str, ...]) -> bool:
    for key in keys:
        value = tags.get(key)
        if value is not None:
            return value.strip().lower() not in _CLOSED
    return True


def direction(tags: Mapping[str, str]) -> int:
    """Return 1 (one-way along the drawing), -1 (against it) or 0 (both ways)."""
    oneway = tags.get("oneway", "").strip().lower()
    if oneway in ("yes", "true", "1"):
        return 1
    if oneway in ("-1", "reverse"):
        return -1
    if oneway == "no":
        return 0
    if tags.get("junction") in ("roundabout", "circular"):
        return 1
    return 1 if tags.get("highway") in ("motorway", "motorway_link") else 0


def speed_kmh(tags: Mapping[str, str]) -> float:
    """Return the speed of a road: its class speed, or a lower ``maxspeed``."""
    speed = ROAD_SPEEDS_KMH[tags["highway"]]
    match = _MAXSPEED.match(tags.get("maxspeed", ""))
    if match:
        limit = float(match.group(1)) * (1.609344 if (match.group(2) or "").lower() == "mph" else 1)
        if limit > 0:
            speed = min(speed, limit)
    return speed


# --------------------------------------------------------------------------- parsing


@dataclass
class _Ways:
    """Roads of an extract before the graph is built."""

    node_id: array  # int64 ids, in file order (may repeat, with the same position)
    node_lon: array
    node_lat: array
    refs: array  # node ids of the roads, way after way
    starts: array  # index into refs of each road's first node
    speed: array
    direction: array

    @classmethod
    def new(cls) -> _Ways:
        return cls(
            array("q"), array("d"), array("d"), array("q"), array("q"), array("d"), array("b")
        )

    def add_way(self, refs: list[int], tags: Mapping[str, str]) -> None:
        if len(refs) < 2 or not is_road(tags):
            return
        self.starts.append(len(self.refs))
        self.refs.extend(refs)
        self.speed.append(speed_kmh(tags))
        self.direction.append(direction(tags))


def _open_xml(path: Path) -> IO[bytes]:
    name = path.name.lower()
    if name.endswith(".gz"):
        return cast(IO[bytes], gzip.open(path, "rb"))
    if name.endswith(".bz2"):
        return cast(IO[bytes], bz2.open(path, "rb"))
    return path.open("rb")


def parse_xml(path: Path) -> _Ways:
    """Read the roads of an ``.osm`` XML file, streaming (memory ~ its nodes, not its text)."""
    ways = _Ways.new()
    try:
        with _open_xml(path) as fh:
            events = ET.iterparse(fh, events=("start", "end"))
            _, root = next(events)
            if root.tag != "osm":
                raise InputError(
                    f"{path}: not an OpenStreetMap XML file (its root element is <{root.tag}>, "
                    "not <osm>); give an .osm or .osm.pbf extract"
                )
            for event, elem in events:
                if event != "end":
                    continue
                if elem.tag == "node":
                    ways.node_id.append(int(elem.attrib["id"]))
                    ways.node_lon.append(float(elem.attrib["lon"]))
                    ways.node_lat.append(float(elem.attrib["lat"]))
                elif elem.tag == "way":
                    tags = {t.attrib["k"]: t.attrib["v"] for t in elem.iter("tag")}
                    ways.add_way([int(nd.attrib["ref"]) for nd in elem.iter("nd")], tags)
                elif elem.tag != "relation":
                    continue
                root.clear()  # keep memory to one element, however large the file
    except ET.ParseError as exc:
        raise InputError(
            f"{path}: not valid OpenStreetMap XML ({exc}); download the extract again"
        ) from exc
    except (KeyError, ValueError) as exc:
        raise InputError(
            f"{path}: an OSM element lacks or has a bad id, lat, lon, ref, k or v ({exc}); "
            "download the extract again"
        ) from exc
    except (OSError, EOFError) as exc:
        raise InputError(f"{path}: cannot be read ({exc}); check the file") from exc
    return ways


def parse_pbf(path: Path) -> _Ways:
    """Read the roads of an ``.osm.pbf`` file with pyosmium (node locations kept in memory)."""
    try:
        import osmium
    except ImportError as exc:
        raise UsageError(
            f"--distance osm:{path}: reading .osm.pbf needs pyosmium; install it with "
            "'pip install osmium' (or 'pip install umkm-alloc[osm]'), or give an .osm XML extract"
        ) from exc
    ways = _Ways.new()
    try:
        processor = (
            osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY)
            .with_locations()
            .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
            .with_filter(osmium.filter.KeyFilter("highway"))
        )
        for way in processor:
            if not isinstance(way, osmium.osm.Way):
                continue
            tags = {tag.k: tag.v for tag in way.tags}
            if not is_road(tags):
                continue
            refs = []
            for nd in way.nodes:
                refs.append(nd.ref)
                location = nd.location
                if location.valid():  # a node outside a clipped extract has none
                    ways.node_id.append(nd.ref)
                    ways.node_lon.append(location.lon)
                    ways.node_lat.append(location.lat)
            ways.add_way(refs, tags)
    except RuntimeError as exc:
        raise InputError(
            f"{path}: not a readable OSM PBF file ({exc}); download the extract again"
        ) from exc
    return ways


def build_graph(ways: _Ways, path: Path) -> RoadGraph:
    """Turn parsed roads into a :class:`RoadGraph`; segments to missing nodes are dropped."""
    node_id = np.frombuffer(ways.node_id, dtype=np.int64) if len(ways.node_id) else np.zeros(0)
    refs = np.frombuffer(ways.refs, dtype=np.int64) if len(ways.refs) else np.zeros(0, np.int64)
    if len(refs) == 0 or len(node_id) == 0:
        raise InputError(
            f"{path}: no roads a motorbike or van can use (highway={', '.join(ROAD_SPEEDS_KMH)}); "
            "is it an OpenStreetMap extract of the area?"
        )
    # nodes in id order, whatever the file's order: XML and PBF give the same graph
    ids, first = np.unique(node_id, return_index=True)
    pos = np.clip(np.searchsorted(ids, refs), 0, len(ids) - 1)
    index = np.where(ids[pos] == refs, pos, -1)
    starts = np.frombuffer(ways.starts, dtype=np.int64)
    way_of = np.repeat(np.arange(len(starts)), np.diff(np.append(starts, len(refs))))
    seg = np.flatnonzero(way_of[:-1] == way_of[1:])
    a, b = index[seg], index[seg + 1]
    ok = (a >= 0) & (b >= 0)
    a, b, way = a[ok], b[ok], way_of[seg][ok]
    if len(a) == 0:
        raise InputError(
            f"{path}: its roads refer to nodes that are not in the file; download a complete "
            "extract (with all nodes of its ways)"
        )
    speed = np.frombuffer(ways.speed, dtype=float)[way]
    way_dir = np.frombuffer(ways.direction, dtype=np.int8)[way]
    lon = np.frombuffer(ways.node_lon, dtype=float)[first]
    lat = np.frombuffer(ways.node_lat, dtype=float)[first]
    return RoadGraph.from_segments(lon, lat, a, b, speed, way_dir)


def parse_extract(path: Path) -> RoadGraph:
    """Parse an OSM extract into a road graph (no cache)."""
    global PARSE_COUNT
    name = path.name.lower()
    ways = parse_pbf(path) if name.endswith(".pbf") else parse_xml(path)
    PARSE_COUNT += 1
    return build_graph(ways, path)


# ----------------------------------------------------------------------------- cache


def cache_dir(option: str | os.PathLike[str] | None = None) -> Path:
    """Return the graph cache folder: the option, ``$UMKM_ALLOC_CACHE``, XDG, ``~/.cache``."""
    if option:
        return Path(option).expanduser()
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base).expanduser() / "umkm-alloc"


def file_sha256(path: Path) -> str:
    """Return the SHA-256 of a file's content (hex)."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_graph(
    path: Path, *, cache: str | os.PathLike[str] | None = None, sha256: str | None = None
) -> tuple[RoadGraph, bool]:
    """Return the road graph of an extract, from the cache when the file is unchanged.

    Parameters
    ----------
    path
        The extract.
    cache
        Cache folder (see :func:`cache_dir`).
    sha256
        The file's hash, when already known.

    Returns
    -------
    RoadGraph, bool
        The graph, and whether it came from the cache. A cache that cannot be written is
        skipped (the graph is still returned).
    """
    digest = sha256 or file_sha256(path)
    folder = cache_dir(cache)
    entry = folder / f"osm-graph-v{GRAPH_FORMAT}-{_profile_key()}-{digest}.npz"
    graph = _read_cache(entry)
    if graph is not None:
        return graph, True
    graph = parse_extract(path)
    _write_cache(entry, graph)
    return graph, False


def _profile_key() -> str:
    """Short hash of the road profile, so a changed profile never reuses an old graph."""
    profile = json.dumps(
        [GRAPH_FORMAT, ROAD_SPEEDS_KMH, sorted(_CLOSED), _MODE_KEYS], sort_keys=True
    )
    return hashlib.sha256(profile.encode()).hexdigest()[:12]


def _read_cache(entry: Path) -> RoadGraph | None:
    if not entry.is_file():
        return None
    try:
        with np.load(entry, allow_pickle=False) as data:
            return RoadGraph(**{k: data[k] for k in GRAPH_ARRAYS})
    except (OSError, ValueError, KeyError, EOFError):
        return None  # a damaged entry is rebuilt


def _write_cache(entry: Path, graph: RoadGraph) -> None:
    with contextlib.suppress(OSError):
        entry.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=entry.parent, prefix=".tmp-", suffix=".npz")
        try:
            with os.fdopen(fd, "wb") as fh:
                g = graph
                np.savez(
                    fh, lon=g.lon, lat=g.lat, tail=g.tail, head=g.head, km=g.km, minutes=g.minutes
                )
            os.replace(tmp, entry)
        finally:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
