"""The objectives of a run: ``--objective``, ``--min-order`` and ``--fairness-budget``.

=====================  ===================================================================
mode                   what is solved (always at the maximum number of units)
=====================  ===================================================================
``efficient``          the least unit-km (the default)
``fair``               every UMKM's share of its capacity lexicographically max-min, then
                       the least unit-km
``min_order``          the least unit-km with every UMKM at least ``min(N, fair floor)``
``fairness_budget``    the fairest allocation within ``PCT`` % more unit-km than efficient
=====================  ===================================================================

The last three are the *fair modes*: they share the fair reporting (the ``fairness`` block
of ``summary.json`` says which mode ran) and exclude each other.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from umkm_alloc.errors import UsageError

if TYPE_CHECKING:
    from umkm_alloc.config import AssignConfig

#: Values of ``--objective`` (``--min-order`` and ``--fairness-budget`` lie between the two).
OBJECTIVES = ("efficient", "fair")
#: Every mode, as :func:`mode_of` names it.
MODES = ("efficient", "fair", "min_order", "fairness_budget")


def mode_of(config: AssignConfig) -> str:
    """Return what a run solves: ``efficient``, ``fair``, ``min_order`` or ``fairness_budget``.

    Parameters
    ----------
    config
        A checked run configuration.
    """
    if config.min_order is not None:
        return "min_order"
    if config.fairness_budget is not None:
        return "fairness_budget"
    return config.objective


def check_objective(config: AssignConfig) -> None:
    """Check ``--objective``, ``--min-order`` and ``--fairness-budget``: one fair mode at most.

    Raises
    ------
    UsageError
        An unknown objective, a negative ``--min-order`` or ``--fairness-budget``, or two
        fair modes at once.
    """
    if config.objective not in OBJECTIVES:
        raise UsageError(
            f"--objective {config.objective!r} is not available; use one of: "
            f"{', '.join(OBJECTIVES)}"
        )
    if config.min_order is not None and config.min_order < 0:
        raise UsageError(
            f"--min-order {config.min_order} is not allowed; give the units every UMKM should "
            "get at least, 0 or more"
        )
    budget = config.fairness_budget
    if budget is not None and not (math.isfinite(budget) and budget >= 0):
        raise UsageError(
            f"--fairness-budget {budget:g} is not allowed; give the extra unit-km allowed over "
            "the efficient allocation in percent, 0 or more (e.g. 10)"
        )
    given = []
    if config.objective == "fair":
        given.append("--objective fair")
    if config.min_order is not None:
        given.append(f"--min-order {config.min_order}")
    if budget is not None:
        given.append(f"--fairness-budget {budget:g}")
    if len(given) > 1:
        raise UsageError(
            f"{' and '.join(given)} cannot be combined: each sets how fair the allocation is "
            "(--objective fair: fully; --min-order N: at least N units each; "
            "--fairness-budget PCT: the fairest within PCT % more unit-km); give one"
        )
