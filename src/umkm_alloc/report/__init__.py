"""Everything written from a result: the tables, ``summary.json`` and the ``--report`` files.

``--report`` adds ``report.xlsx``, ``map.png``, ``map.html`` (Leaflet inlined, works
offline) and ``allocations.gpkg`` (layers for QGIS), and with ``--routes``
``delivery_notes.pdf`` (a page per producer). All files of one run are rendered in
memory first and then written atomically together, so a failed run leaves no half-written
output. openpyxl and matplotlib are imported only when a report is rendered.
"""

from umkm_alloc.report.files import (
    REPORT_FILES,
    REPORT_NEEDS_DIR,
    ROUTE_FILES,
    TABLE_FILES,
    allocations_gpkg,
    map_html,
    map_png,
    report_files,
    report_xlsx,
    result_files,
    summary_json,
    write_result,
)

__all__ = [
    "REPORT_FILES",
    "REPORT_NEEDS_DIR",
    "ROUTE_FILES",
    "TABLE_FILES",
    "allocations_gpkg",
    "map_html",
    "map_png",
    "report_files",
    "report_xlsx",
    "result_files",
    "summary_json",
    "write_result",
]
