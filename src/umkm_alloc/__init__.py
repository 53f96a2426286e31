"""umkm-alloc: zone-based supply allocation of UMKM producers to stores.

The Python API does what ``umkm-alloc assign`` does, for notebooks and scripts::

    import umkm_alloc as ua

    config = ua.AssignConfig(producers="producers.csv", stores="stores.csv", max_km=15)
    result = ua.assign(config)          # read, validate, geocode, solve
    result.allocations                  # a pandas DataFrame, as allocations.csv
    ua.explain(result, store="IDM-0001")
    ua.write_result(result, out_dir="out", report=True)

==================  ===================================================================
name                what it is
==================  ===================================================================
``AssignConfig``    the options of a job (``AssignConfig.from_file`` reads a job file)
``assign``          ``assign(config) -> Result``: the allocation and its tables
``explain``         every producer-store pair around one store or producer, as a table
``write_result``    the tables, ``summary.json`` and the ``--report`` files, atomically
``load_boundaries`` the kecamatan polygons (``banten``, ``indonesia`` or a file)
==================  ===================================================================

Errors are :mod:`umkm_alloc.errors` classes whose messages name the file, the value and the
fix. The names are imported on first use, so ``import umkm_alloc`` (and ``umkm-alloc
--help``) stays fast.
"""

from __future__ import annotations

from umkm_alloc._lazy import lazy_names

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing alone costs ~8 ms

__version__ = "0.1.0"

#: Public name -> the module that defines it.
_API = {
    "AssignConfig": "umkm_alloc.config",
    "assign": "umkm_alloc.allocate",
    "explain": "umkm_alloc.allocate.explain",
    "load_boundaries": "umkm_alloc.geo.boundaries",
    "write_result": "umkm_alloc.report",
}

__all__ = ["AssignConfig", "__version__", "assign", "explain", "load_boundaries", "write_result"]

if TYPE_CHECKING:
    from umkm_alloc.allocate import assign
    from umkm_alloc.allocate.explain import explain
    from umkm_alloc.config import AssignConfig
    from umkm_alloc.geo.boundaries import load_boundaries
    from umkm_alloc.report import write_result


__getattr__, __dir__ = lazy_names(__name__, _API)
