"""The allocation: candidate pairs, the exact solve, the reasons, and ``assign()`` itself.

=================  ===============================================================
module             step
=================  ===============================================================
``candidates``     same-product pairs within reach, each judged by the rules
``solve``          min-cost maximum flow, one solve per connected part
``reasons``        why demand stays unmet and capacity unused
``assign``         the orchestration: inputs -> candidates -> solve -> tables
``explain``        every pair around one store or producer, and the rule that decided it
=================  ===============================================================

The names are imported on first use (PEP 562), so that a worker process can import
:mod:`umkm_alloc.allocate.solve` without pandas and the rest of the pipeline.
"""

from __future__ import annotations

from umkm_alloc._lazy import lazy_names

TYPE_CHECKING = False

#: Public name -> the module that defines it.
_NAMES = {
    "ALLOCATION_COLUMNS": "umkm_alloc.allocate.pipeline",
    "Result": "umkm_alloc.allocate.pipeline",
    "assign": "umkm_alloc.allocate.pipeline",
    "UNMET_COLUMNS": "umkm_alloc.allocate.reasons",
    "UNUSED_COLUMNS": "umkm_alloc.allocate.reasons",
}

__all__ = ["ALLOCATION_COLUMNS", "UNMET_COLUMNS", "UNUSED_COLUMNS", "Result", "assign"]

if TYPE_CHECKING:
    from umkm_alloc.allocate.pipeline import ALLOCATION_COLUMNS, Result, assign
    from umkm_alloc.allocate.reasons import UNMET_COLUMNS, UNUSED_COLUMNS


__getattr__, __dir__ = lazy_names(__name__, _NAMES)
