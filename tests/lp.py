"""An independent reference: the allocation LP solved by SciPy's HiGHS (test-only)."""

from __future__ import annotations

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import coo_matrix, vstack


def reference_optimum(
    supply: np.ndarray, demand: np.ndarray, arc_p: np.ndarray, arc_s: np.ndarray, km: np.ndarray
) -> tuple[float, float]:
    """Return (max units, min unit-km at max units) of the transportation LP."""
    n = len(arc_p)
    if n == 0:
        return 0.0, 0.0
    rows_p = coo_matrix((np.ones(n), (arc_p, np.arange(n))), shape=(len(supply), n))
    rows_s = coo_matrix((np.ones(n), (arc_s, np.arange(n))), shape=(len(demand), n))
    a_ub = vstack([rows_p, rows_s]).tocsr()
    b_ub = np.concatenate([supply, demand]).astype(float)
    first = linprog(-np.ones(n), A_ub=a_ub, b_ub=b_ub, bounds=(0, None), method="highs")
    assert first.status == 0, first.message
    units = -first.fun
    second = linprog(
        km,
        A_ub=a_ub,
        b_ub=b_ub,
        A_eq=np.ones((1, n)),
        b_eq=[units],
        bounds=(0, None),
        method="highs",
    )
    assert second.status == 0, second.message
    return units, second.fun
