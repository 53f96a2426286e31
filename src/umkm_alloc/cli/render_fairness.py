"""The fairness figures of the terminal summary: one short table (rich, stderr)."""

from __future__ import annotations

import pandas as pd
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from umkm_alloc.fairness import Fairness
from umkm_alloc.labels import fmt_int, fmt_num, fmt_pct

_LABELS = {
    "en": {
        "title": "Fairness ({mode})",
        "efficient": "objective efficient: least unit-km",
        "fair": "objective fair: shares max-min",
        "min_order": "min-order {n}: at least {n} units each, then least unit-km",
        "fairness_budget": "fairness budget {pct}%: the fairest within it",
        "orders": ("UMKM with orders", "of {reach} with a store in reach ({all} UMKM)"),
        "shares": ("smallest share", "median {median}, Gini of units {gini}"),
        "km": ("unit-km", "{extra} over efficient ({eff})"),
        "km_efficient": "the efficient allocation itself",
        "lonely": ("no store in reach", "{ids}"),
        "more": " and {n} more (summary.json)",
    },
    "id": {
        "title": "Keadilan ({mode})",
        "efficient": "tujuan efisien: unit-km terkecil",
        "fair": "tujuan adil: porsi max-min",
        "min_order": "min-order {n}: paling sedikit {n} unit, lalu unit-km terkecil",
        "fairness_budget": "anggaran keadilan {pct}%: paling adil di dalamnya",
        "orders": ("UMKM dengan pesanan", "dari {reach} yang punya toko terjangkau ({all} UMKM)"),
        "shares": ("porsi terkecil", "median {median}, Gini unit {gini}"),
        "km": ("unit-km", "{extra} di atas efisien ({eff})"),
        "km_efficient": "alokasi efisien itu sendiri",
        "lonely": ("tanpa toko terjangkau", "{ids}"),
        "more": " dan {n} lagi (summary.json)",
    },
}
_SHOW_IDS = 5


def fairness_table(fair: Fairness, lang: str = "en") -> Table:
    """Return the fairness figures as a short label / value / note table.

    Parameters
    ----------
    fair
        The run's ``summary.fairness``.
    lang
        ``en`` or ``id``.
    """
    t = _LABELS.get(lang, _LABELS["en"])
    f = fair.figures
    budget = fair.parameter.get("fairness_budget", {})
    mode = t[fair.objective].format(
        n=fair.parameter.get("min_order", ""), pct=fmt_num(budget.get("pct", 0), 0, lang)
    )
    table = Table(
        title=t["title"].format(mode=mode),
        title_justify="left",
        show_header=False,
        box=None,
        pad_edge=False,
    )
    table.add_column(style="bold", no_wrap=True)
    table.add_column(justify="right", no_wrap=True)
    table.add_column()
    n = lambda v: fmt_int(v, lang)  # noqa: E731
    table.add_row(
        t["orders"][0],
        n(f.producers_with_orders),
        t["orders"][1].format(reach=n(f.producers_in_reach), all=n(f.producers)),
    )
    table.add_row(
        t["shares"][0],
        fmt_pct(f.min_share, lang),
        t["shares"][1].format(median=fmt_pct(f.median_share, lang), gini=fmt_num(f.gini, 3, lang)),
    )
    extra = ("+" if f.extra_km_pct >= 0 else "") + fmt_num(f.extra_km_pct, 1, lang) + "%"
    note = t["km"][1].format(extra=extra, eff=n(f.unit_km_efficient))
    table.add_row(
        t["km"][0], n(f.unit_km), t["km_efficient"] if fair.objective == "efficient" else note
    )
    lonely = fair.no_store_in_reach
    if lonely:
        ids = ", ".join(lonely[:_SHOW_IDS])
        if len(lonely) > _SHOW_IDS:
            ids += t["more"].format(n=len(lonely) - _SHOW_IDS)
        table.add_row(t["lonely"][0], n(len(lonely)), escape(ids))
    return table


def render_why_not_more(console: Console, table: pd.DataFrame) -> None:
    """Print, once per producer of an ``explain`` table, why it got no more (fair modes).

    Parameters
    ----------
    console
        The stderr console.
    table
        An ``explain`` table with the columns of
        :data:`umkm_alloc.allocate.explain_fair.WHY_COLUMNS`.
    """
    firsts = table.drop_duplicates("producer_id").sort_values("producer_id")
    for r in firsts.itertuples(index=False):
        console.print(
            f"[bold]{escape(str(r.producer_id))}[/bold] "
            + escape(
                f"share {fmt_pct(r.umkm_share)} of its capacity (exact fair share "
                f"{fmt_pct(r.fair_share)}); why not more: {r.why_not_more_text}"
            )
        )
