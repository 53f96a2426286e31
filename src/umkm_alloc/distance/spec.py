"""The ``--distance`` value: ``geodesic``, ``osm:PATH``, ``matrix:PATH`` or ``osrm:URL``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from umkm_alloc.errors import UsageError

#: The ``--distance`` backends, with the form of their argument.
DISTANCE_FORMS = {
    "geodesic": "geodesic",
    "osm": "osm:PATH (an OpenStreetMap extract, .osm or .osm.pbf)",
    "matrix": "matrix:PATH (a CSV of producer_id, store_id, distance_km[, minutes])",
    "osrm": "osrm:URL (an OSRM server, e.g. osrm:http://localhost:5000)",
}
#: Suffixes of OpenStreetMap extracts ``osm:`` reads (XML, plain or compressed, and PBF).
OSM_SUFFIXES = (".osm", ".osm.xml", ".xml", ".osm.gz", ".osm.bz2", ".osm.pbf", ".pbf")
#: Suffixes of distance matrices ``matrix:`` reads.
MATRIX_SUFFIXES = (".csv", ".txt", ".tsv")


@dataclass(frozen=True)
class DistanceSpec:
    """A parsed ``--distance`` value.

    Attributes
    ----------
    scheme
        ``geodesic``, ``osm``, ``matrix`` or ``osrm``.
    target
        The path (``osm``, ``matrix``) or base URL (``osrm``); ``""`` for ``geodesic``.
    text
        The value as given.
    """

    scheme: str
    target: str
    text: str

    @property
    def path(self) -> Path:
        """Return the target as a path (``osm`` and ``matrix``)."""
        return Path(self.target)


def parse_distance_spec(text: str, *, check_files: bool = True) -> DistanceSpec:
    """Parse ``--distance geodesic|osm:PATH|matrix:PATH|osrm:URL``.

    Parameters
    ----------
    text
        The option value.
    check_files
        Also check that an ``osm:`` or ``matrix:`` file exists.

    Returns
    -------
    DistanceSpec

    Raises
    ------
    UsageError
        For an unknown backend, a missing path or URL, a file that does not exist or has the
        wrong suffix, or a URL that is not ``http(s)://host[:port]``.
    """
    raw = str(text).strip()
    scheme, sep, target = raw.partition(":")
    scheme = scheme.strip().lower()
    forms = "; ".join(DISTANCE_FORMS.values())
    if scheme not in DISTANCE_FORMS:
        raise UsageError(f"--distance {raw!r}: unknown distance backend; use one of: {forms}")
    if scheme == "geodesic":
        if sep and target.strip():
            raise UsageError(
                f"--distance {raw!r}: geodesic takes no argument; use --distance geodesic"
            )
        return DistanceSpec("geodesic", "", raw)
    target = target.strip()
    if not target:
        raise UsageError(
            f"--distance {raw!r}: give the {scheme} source as {DISTANCE_FORMS[scheme]}"
        )
    if scheme == "osrm":
        return DistanceSpec("osrm", _check_url(raw, target), raw)
    path = Path(target).expanduser()
    suffixes = OSM_SUFFIXES if scheme == "osm" else MATRIX_SUFFIXES
    if not path.name.lower().endswith(suffixes):
        raise UsageError(
            f"--distance {raw!r}: {path.name} is not a {' / '.join(suffixes)} file; give "
            f"{DISTANCE_FORMS[scheme]}"
        )
    if check_files and not path.is_file():
        what = "folder, not a file" if path.is_dir() else "no such file"
        raise UsageError(f"--distance {raw!r}: {path}: {what}; check the path")
    return DistanceSpec(scheme, str(path), raw)


def _check_url(raw: str, url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(
            f"--distance {raw!r}: {url!r} is not an http(s) URL; give the server as "
            "osrm:http://HOST:PORT (e.g. osrm:http://localhost:5000)"
        )
    if parts.query or parts.fragment:
        raise UsageError(
            f"--distance {raw!r}: give only the server's base URL (osrm:http://HOST:PORT), "
            "without a query"
        )
    return url.rstrip("/")
