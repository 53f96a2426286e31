"""The objective of a fair run, as the maps' titles name it."""

from __future__ import annotations

from collections.abc import Mapping

from umkm_alloc.fairness import Fairness


def objective_note(fair: Fairness, text: Mapping[str, str]) -> str:
    """Return `` (fair)``, `` (min-order 5)``, `` (fairness budget 10%)``; ``''`` if efficient.

    Parameters
    ----------
    fair
        The run's ``summary.fairness``.
    text
        The labels of the report's language.
    """
    if fair.objective == "efficient":
        return ""
    name = text[f"objective.{fair.objective}"]
    if "min_order" in fair.parameter:
        name += f" {fair.parameter['min_order']}"
    if "fairness_budget" in fair.parameter:
        name += f" {fair.parameter['fairness_budget']['pct']:g}%"
    return f" ({name})"
