"""Kecamatan polygons, the point grid, and geocoding rows into kecamatan."""

from umkm_alloc.geo.boundaries import Boundaries, load_boundaries

__all__ = ["Boundaries", "load_boundaries"]
