"""Build a distance backend from a ``--distance`` value or a run's configuration."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from umkm_alloc.distance.spec import DistanceSpec, parse_distance_spec

if TYPE_CHECKING:
    from umkm_alloc.config import AssignConfig
    from umkm_alloc.distance.base import DistanceBackend


def make_backend(
    spec: str | DistanceSpec,
    *,
    circuity: float = 1.4,
    max_snap_m: float = 2000.0,
    minutes: bool = False,
    osm_cache: str | os.PathLike[str] | None = None,
    osrm_table_size: int = 100,
    osrm_timeout: float = 30.0,
    osrm_retries: int = 3,
) -> DistanceBackend:
    """Build the distance backend of a ``--distance`` value.

    Parameters
    ----------
    spec
        ``geodesic``, ``osm:PATH``, ``matrix:PATH`` or ``osrm:URL``, or that value parsed.
    circuity
        ``geodesic``: road / straight-line distance. The others measure roads and ignore it.
    max_snap_m
        ``osm``, ``osrm``: a point farther than this from every road gets no route.
    minutes
        A travel-time bound applies: ``osm`` routes by the fastest path, ``matrix`` must have
        a minutes column.
    osm_cache
        ``osm``: folder of the parsed-graph cache.
    osrm_table_size, osrm_timeout, osrm_retries
        ``osrm``: largest table side of a request, seconds per answer, retries.

    Returns
    -------
    DistanceBackend

    Raises
    ------
    UsageError
        For a bad ``spec`` (exit 2), with the fix.
    InputError
        When the extract or matrix is unusable (exit 3).
    """
    parsed = spec if isinstance(spec, DistanceSpec) else parse_distance_spec(spec)
    if parsed.scheme == "geodesic":
        from umkm_alloc.distance.geodesic import GeodesicBackend

        return GeodesicBackend(circuity=circuity)
    if parsed.scheme == "osm":
        from umkm_alloc.distance.osm import OsmBackend

        return OsmBackend(
            parsed.path,
            max_snap_m=max_snap_m,
            metric="minutes" if minutes else "km",
            cache=osm_cache,
        )
    if parsed.scheme == "matrix":
        from umkm_alloc.distance.matrix import MatrixBackend

        return MatrixBackend(parsed.path, need_minutes=minutes)
    from umkm_alloc.distance.osrm import OsrmBackend

    return OsrmBackend(
        parsed.target,
        max_snap_m=max_snap_m,
        table_size=osrm_table_size,
        timeout=osrm_timeout,
        retries=osrm_retries,
    )


def backend_for(config: AssignConfig) -> DistanceBackend:
    """Build the backend of an :class:`~umkm_alloc.config.AssignConfig`."""
    return make_backend(
        config.distance_spec,
        circuity=config.circuity,
        max_snap_m=config.max_snap_m,
        minutes=config.max_minutes is not None,
        osm_cache=config.osm_cache,
        osrm_table_size=config.osrm_table_size,
        osrm_timeout=config.osrm_timeout,
        osrm_retries=config.osrm_retries,
    )
