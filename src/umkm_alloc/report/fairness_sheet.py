"""The fairness part of ``report.xlsx``: the *Fairness* sheet and the Summary's figures."""

from __future__ import annotations

import pandas as pd

from umkm_alloc.fairness import umkm_table
from umkm_alloc.report.scene import Scene

#: Number formats of the *Fairness* sheet's columns.
FAIRNESS_FORMATS = {"share": "0.0%"}

#: The Summary sheet's fairness rows: label key, figure, number format.
_ROWS = (
    ("fair_with_orders", "producers_with_orders", "#,##0"),
    ("fair_in_reach", "producers_in_reach", "#,##0"),
    ("fair_min_share", "min_share", "0.0%"),
    ("fair_median_share", "median_share", "0.0%"),
    ("fair_gini", "gini", "0.000"),
    ("fair_unit_km_efficient", "unit_km_efficient", "#,##0.0"),
    ("fair_extra_km_pct", "extra_km_pct", "0.0"),
)


def fairness_frame(scene: Scene) -> pd.DataFrame:
    """Return the *Fairness* sheet: every UMKM (see :func:`umkm_alloc.fairness.umkm_table`)."""
    return umkm_table(scene.result, lang=scene.lang)


def summary_rows(scene: Scene) -> list[tuple[list[object], str | None]]:
    """Return the Summary sheet's fairness rows: (label, value) cells and the value's format.

    The first row is the block's title with the objective the run solved.
    """
    t, fair = scene.text, scene.summary.fairness
    figures = fair.figures.as_dict()
    rows: list[tuple[list[object], str | None]] = [
        ([t["fairness"], t[f"objective.{fair.objective}"]], None)
    ]
    rows += [([t[label], figures[key]], fmt) for label, key, fmt in _ROWS]
    rows.append(([t["fair_no_store"], len(fair.no_store_in_reach)], "#,##0"))
    return rows
