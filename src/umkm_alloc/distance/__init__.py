"""Distance backends behind one interface: candidate pairs within the bound, and their distance.

========  ===================  =============================================================
backend   ``--distance``       distance of a pair
========  ===================  =============================================================
geodesic  ``geodesic``         WGS84 geodesic x ``--circuity`` (no travel times)
osm       ``osm:PATH``         access leg + shortest road path + egress leg over an
                               OpenStreetMap extract; travel time from speeds per road class
matrix    ``matrix:PATH``      listed in a CSV (by producer/store id or kecamatan code);
                               only listed pairs are candidates
osrm      ``osrm:URL``         an OSRM server's Table service (distance and duration)
========  ===================  =============================================================

Every backend implements :class:`DistanceBackend`: it takes the producers and the stores as
:class:`Points` (built once from the rows with :meth:`Points.of`) and says what it is by
attributes (``straight_line_factor``, ``keyed_by``, ``has_minutes``, ``route_word``).
:func:`make_backend` builds one from the ``--distance`` value.

The names below are imported on first use (:func:`umkm_alloc._lazy.lazy_names`): the run's
configuration (:mod:`umkm_alloc.config`) parses ``--distance`` with
:mod:`umkm_alloc.distance.spec` without loading numpy, pandas and the backends.
"""

from __future__ import annotations

from umkm_alloc._lazy import lazy_names

_BASE = "umkm_alloc.distance.base"
_HOME = {
    "ACCESS_SPEED_KMH": _BASE,
    "DistanceBackend": _BASE,
    "Pairs": _BASE,
    "Points": _BASE,
    "SetCells": _BASE,
    "geodesic_km": _BASE,
    "near_in_degrees": _BASE,
    "straight_pairs_within": _BASE,
    "GeodesicBackend": "umkm_alloc.distance.geodesic",
    "DistanceSpec": "umkm_alloc.distance.spec",
    "parse_distance_spec": "umkm_alloc.distance.spec",
    "backend_for": "umkm_alloc.distance.make",
    "make_backend": "umkm_alloc.distance.make",
}

__all__ = [
    "ACCESS_SPEED_KMH",
    "DistanceBackend",
    "GeodesicBackend",
    "Pairs",
    "Points",
    "SetCells",
    "backend_for",
    "geodesic_km",
    "make_backend",
    "near_in_degrees",
    "straight_pairs_within",
]

__getattr__, __dir__ = lazy_names(__name__, _HOME)
