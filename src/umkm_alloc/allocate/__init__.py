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
"""

from umkm_alloc.allocate.pipeline import ALLOCATION_COLUMNS, Result, assign
from umkm_alloc.allocate.reasons import UNMET_COLUMNS, UNUSED_COLUMNS

__all__ = ["ALLOCATION_COLUMNS", "UNMET_COLUMNS", "UNUSED_COLUMNS", "Result", "assign"]
