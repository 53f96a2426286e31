"""Rich rendering of results on stderr (the only module that knows about rich tables)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from umkm_alloc.allocate import Result
from umkm_alloc.cli.render_fairness import fairness_table, render_why_not_more
from umkm_alloc.inputs import Inputs
from umkm_alloc.inputs.load import FileCounts
from umkm_alloc.inputs.validate import REJECTION_KINDS
from umkm_alloc.labels import fmt_int, fmt_num, fmt_pct, labels, limits_text
from umkm_alloc.summary import KecamatanRow, ReasonCount, ZoneRow

_SHOW_REJECTED = 10
SHOW_ROWS = _SHOW_REJECTED


_TERMINAL_LABELS = {
    "en": {
        "ordered": ("ordered", "units demanded by stores"),
        "supply": ("supply", "units of producer capacity"),
        "allocated": ("allocated", "fill rate"),
        "unmet": ("unmet", "store rows"),
        "unused": ("unused", "producer rows"),
        "unit_km": ("unit-km", "mean {} km per unit"),
        "pairs": ("pairs", "eligible, {} used"),
        "by_zone": "By zone",
        "unmet_by_reason": "Unmet demand by reason",
        "unused_by_reason": "Unused supply by reason",
        "top_unmet": "Stores with the most unmet demand",
        "trip_tables": "the trips' tables (routes.csv, route_items.csv, trips.csv) are written "
        "with --out-dir",
    },
    "id": {
        "ordered": ("dipesan", "unit dipesan toko"),
        "supply": ("kapasitas", "unit kapasitas produsen"),
        "allocated": ("teralokasi", "tingkat pemenuhan"),
        "unmet": ("tak terpenuhi", "baris toko"),
        "unused": ("tak terpakai", "baris produsen"),
        "unit_km": ("unit-km", "rata-rata {} km per unit"),
        "pairs": ("pasangan", "layak, {} dipakai"),
        "by_zone": "Per zona",
        "unmet_by_reason": "Permintaan tak terpenuhi menurut alasan",
        "unused_by_reason": "Kapasitas tak terpakai menurut alasan",
        "top_unmet": "Toko dengan permintaan tak terpenuhi terbanyak",
        "trip_tables": "tabel perjalanan (routes.csv, route_items.csv, trips.csv) ditulis "
        "dengan --out-dir",
    },
}
_TOP_STORES = 10


def render_assign(
    console: Console,
    result: Result,
    *,
    written: list[str],
    verbose: bool = False,
    lang: str = "en",
) -> None:
    """Print the run summary: totals, zones, kecamatan, reasons, worst stores, files."""
    if console.quiet:  # rich renders even when quiet: skip the work altogether
        return
    t = _TERMINAL_LABELS.get(lang, _TERMINAL_LABELS["en"])
    s = result.summary
    u = s.units
    backend = result.backend.describe() if result.backend is not None else "geodesic"
    console.print(
        f"[bold]umkm-alloc assign[/bold]  {escape(limits_text(result.config, result.rules))} "
        f"by road ({escape(backend)}), boundaries {result.boundaries.source}"
    )
    for kind, fc in zip(("producers", "stores"), result.files, strict=True):
        _file_counts(console, kind, fc, full=False)
    n = lambda v: fmt_int(v, lang)  # noqa: E731
    totals = Table(show_header=False, box=None, pad_edge=False)
    totals.add_column(style="bold")
    totals.add_column(justify="right")
    totals.add_column()
    totals.add_row(t["ordered"][0], n(u.demand), t["ordered"][1])
    totals.add_row(t["supply"][0], n(u.supply), t["supply"][1])
    totals.add_row(
        t["allocated"][0], n(u.allocated), f"{t['allocated'][1]} {fmt_pct(s.fill_rate, lang)}"
    )
    totals.add_row(t["unmet"][0], n(u.unmet), f"{s.counts.unmet_rows} {t['unmet'][1]}")
    totals.add_row(t["unused"][0], n(u.unused), f"{s.counts.unused_rows} {t['unused'][1]}")
    totals.add_row(
        t["unit_km"][0],
        n(s.unit_km),
        t["unit_km"][1].format(fmt_num(s.mean_km, 2, lang)) if s.mean_km is not None else "",
    )
    totals.add_row(
        t["pairs"][0], n(s.counts.candidate_pairs), t["pairs"][1].format(s.counts.allocations)
    )
    console.print(totals)
    console.print(fairness_table(s.fairness, lang))
    if s.zones:
        console.print(_zone_table(s.by_zone, t["by_zone"], lang))
    console.print(_kecamatan_table(s.by_kecamatan, lang))
    _reasons(console, t["unmet_by_reason"], s.unmet_by_reason, lang)
    _reasons(console, t["unused_by_reason"], s.unused_by_reason, lang)
    _top_unmet(console, result, t["top_unmet"], lang)
    if s.routes is not None:
        from umkm_alloc.cli.render_routes import render_routes

        render_routes(console, s.routes, lang)
    if len(result.fixed_rows):
        render_fixed(console, result.fixed_rows)
    if len(result.rejected_rows):
        render_rejected(console, result.rejected_rows)
    if len(result.skipped_rows):
        render_skipped(console, result.skipped_rows)
    if verbose:
        times = ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in result.timings.items())
        console.print(f"[dim]timings: {times}[/dim]")
    console.print("written: " + escape(", ".join(written)))
    if s.routes is not None and not any(Path(w).name == "routes.csv" for w in written):
        console.print(f"[dim]{escape(t['trip_tables'])}[/dim]")


def _zone_table(rows: tuple[ZoneRow, ...], title: str, lang: str) -> Table:
    """Supply, demand and fill rate per zone (configured zones first, in file order)."""
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("zone", no_wrap=True)
    _supply_demand_columns(table)
    for r in rows:
        table.add_row(escape(r.zone), *_supply_demand_cells(r, lang))
    return table


def _supply_demand_columns(table: Table) -> None:
    """Add the supply side, demand side and fill rate columns of a zone or kecamatan table."""
    for name in ("producers", "supply", "sent", "stores", "demand", "received", "fill"):
        table.add_column(name, justify="right", no_wrap=True)


def _supply_demand_cells(r: ZoneRow | KecamatanRow, lang: str) -> list[str]:
    """Return the cells of :func:`_supply_demand_columns` for one zone or kecamatan row."""
    counts = (r.producers, r.supply, r.supplied, r.stores, r.demand, r.received)
    return [*(fmt_int(v, lang) for v in counts), fmt_pct(r.fill_rate, lang)]


def _top_unmet(console: Console, result: Result, title: str, lang: str) -> None:
    """Print the stores with most unmet demand, with the reason of their largest shortfall."""
    unmet = result.unmet_demand
    if unmet.empty:
        return
    ordered = unmet.sort_values(["unmet", "store_id", "product"], ascending=[False, True, True])
    per_store = ordered.groupby("store_id", sort=False).agg(
        name=("store_name", "first"),
        unmet=("unmet", "sum"),
        product=("product", "first"),
        reason=("reason", "first"),
    )
    per_store = per_store.reset_index().sort_values(["unmet", "store_id"], ascending=[False, True])
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("store", no_wrap=True)
    table.add_column("name")
    table.add_column("unmet", justify="right")
    table.add_column("largest shortfall: why", overflow="fold")
    for r in per_store.head(_TOP_STORES).itertuples(index=False):
        table.add_row(
            escape(str(r.store_id)),
            escape(str(r.name)),
            fmt_int(r.unmet, lang),
            escape(f"{r.product}: {r.reason}"),
        )
    console.print(table)


def _short_kab(name: str) -> str:
    return name.replace("Kabupaten ", "Kab. ")


_MAX_KECAMATAN_ROWS = 60
_SHOWN_WHEN_MANY = 30


def _kecamatan_table(rows: tuple[KecamatanRow, ...], lang: str = "en") -> Table:
    title = "By kecamatan"
    if len(rows) > _MAX_KECAMATAN_ROWS:
        # a national job has thousands: show where most demand goes unmet
        rows = tuple(sorted(rows, key=lambda r: (-r.unmet, r.kode))[:_SHOWN_WHEN_MANY])
        title = (
            f"By kecamatan: the {_SHOWN_WHEN_MANY} with the most unmet demand "
            "(all of them in summary.json, by_kecamatan)"
        )
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("kecamatan", no_wrap=True)
    table.add_column("kab/kota", no_wrap=True)
    _supply_demand_columns(table)
    for r in rows:
        table.add_row(escape(r.kecamatan), _short_kab(r.kabupaten), *_supply_demand_cells(r, lang))
    return table


def _reasons(
    console: Console, title: str, counts: tuple[ReasonCount, ...], lang: str = "en"
) -> None:
    if not counts:
        return
    words = labels(lang)
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("reason")
    table.add_column("rows", justify="right")
    table.add_column("units", justify="right")
    for c in sorted(counts, key=lambda c: -c.units):
        table.add_row(
            words.get(f"kind.{c.kind}", c.kind), fmt_int(c.rows, lang), fmt_int(c.units, lang)
        )
    console.print(table)


def render_rejected(console: Console, rejected: pd.DataFrame) -> None:
    """Print the first rejected rows with their reasons."""
    _first_rows(
        console,
        rejected,
        f"Rejected rows ({len(rejected)})",
        ("file", "line", "id", "reason"),
        "all in rejected_rows.csv with --out-dir",
    )


def render_fixed(console: Console, fixed: pd.DataFrame) -> None:
    """Print the first rows that were accepted after a fix."""
    _first_rows(
        console,
        fixed,
        f"Fixed rows ({len(fixed)}): accepted, but correct them in the file",
        ("file", "line", "id", "fix"),
        "all in fixed_rows.csv",
    )


def _first_rows(
    console: Console, rows: pd.DataFrame, title: str, columns: tuple[str, ...], rest: str
) -> None:
    """Print the first :data:`SHOW_ROWS` rows (``columns``) under ``title``; count the rest."""
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD)
    for col in columns:
        table.add_column(col, overflow="fold")
    for row in rows.head(_SHOW_REJECTED)[list(columns)].itertuples(index=False):
        table.add_row(*(escape(str(v)) for v in row))
    console.print(table)
    if len(rows) > _SHOW_REJECTED:
        console.print(f"... and {len(rows) - _SHOW_REJECTED} more ({rest})")


def _file_counts(console: Console, kind: str, fc: FileCounts, *, full: bool) -> None:
    """Print the row counts of one input file and how it was read."""
    skipped = f", {fc.skipped} skipped" if fc.skipped or full else ""
    console.print(
        escape(
            f"  {kind:<9} {fc.path}: {fc.read} rows read, {fc.accepted} accepted "
            f"({fc.fixed} after a fix), {fc.rejected} rejected{skipped}"
        )
    )
    for note in fc.reading.describe(full=full):
        console.print(escape(f"  {'':<9} {note}"), style="dim" if not full else None)


def render_skipped(console: Console, skipped: pd.DataFrame, *, title: str = "Skipped rows") -> None:
    """Print the first rows set aside on purpose (title, numbering and total rows)."""
    _first_rows(
        console,
        skipped,
        f"{title} ({len(skipped)})",
        ("file", "line", "reason"),
        "all in skipped_rows.csv with --out-dir",
    )


_EXAMPLES_PER_REASON = 3


def render_validation(console: Console, inputs: Inputs) -> None:
    """Print the outcome of every check: counts per file, reasons with examples, fixes."""
    console.print("[bold]umkm-alloc validate[/bold]")
    for kind, fc in zip(("producers", "stores"), inputs.files, strict=True):
        _file_counts(console, kind, fc, full=True)
    rejected = inputs.rejected_rows
    if len(rejected):
        table = Table(title="Rejected rows by reason", title_justify="left", box=box.SIMPLE_HEAD)
        table.add_column("reason")
        table.add_column("rows", justify="right")
        table.add_column("examples (file:line id: reason)", overflow="fold")
        kinds = rejected["kind"].str.split(";").explode()
        for kind in sorted(set(kinds), key=lambda k: (-int((kinds == k).sum()), k)):
            rows = rejected[rejected["kind"].str.split(";").map(lambda ks, k=kind: k in ks)]
            examples = "\n".join(
                f"{r.file}:{r.line} {r.id}: {r.reason}"
                for r in rows.head(_EXAMPLES_PER_REASON).itertuples(index=False)
            )
            table.add_row(REJECTION_KINDS.get(kind, kind), str(len(rows)), escape(examples))
        console.print(table)
    if len(inputs.fixed_rows):
        render_fixed(console, inputs.fixed_rows)
    if len(inputs.skipped_rows):
        render_skipped(console, inputs.skipped_rows)
    if not len(rejected) and not len(inputs.fixed_rows):
        console.print("All rows pass every check.")


def _trip_stop(trip: str, stop: str) -> str:
    """``; trip 2, stop 3`` (``; trip 1, stop 4 and trip 2, stop 1``); ``""`` for none."""
    if not trip:
        return ""
    visits = [f"trip {t}, stop {s}" for t, s in zip(trip.split(";"), stop.split(";"), strict=True)]
    return "; " + " and ".join(visits)


def render_explanation(
    console: Console,
    table: pd.DataFrame,
    result: Result,
    *,
    store: str | None,
    producer: str | None,
) -> None:
    """Print an ``explain`` table grouped by store row (or by producer row)."""
    if table.empty:
        console.print("No producer-store pair shares a product here.")
        return
    by_store = store is not None
    if producer is not None and "why_not_more_text" in table:
        render_why_not_more(console, table)
    keys = ["store_id", "product"] if by_store else ["producer_id", "product"]
    unmet = result.unmet_demand.set_index(["store_id", "product"])["reason"]
    unused = result.unused_supply.set_index(["producer_id", "product"])["reason"]
    for (ident, product), rows in table.groupby(keys, sort=True):
        first = rows.iloc[0]
        if by_store:
            head = f"[bold]{escape(str(ident))}[/bold] " + escape(
                f"{first['store_name']} ({first['store_kecamatan']}, zone "
                f"{first['store_zone']}): {product}, ordered {first['demand']}, received "
                f"{first['received']}"
            )
            why = unmet.get((ident, product))
        else:
            cap = int(first["capacity"])
            left = int(first["producer_unused"])
            head = f"[bold]{escape(str(ident))}[/bold] " + escape(
                f"{first['producer_name']} ({first['producer_kecamatan']}, "
                f"zone {first['producer_zone']}): {product}, capacity {cap}, unused {left}"
            )
            why = unused.get((ident, product))
        console.print(head)
        if why:
            console.print(f"  why: {escape(str(why))}")
        out = Table(box=box.SIMPLE_HEAD, pad_edge=False)
        other = "producer" if by_store else "store"
        out.add_column(other, no_wrap=True)
        out.add_column("kecamatan (zone)")
        out.add_column("zones", no_wrap=True)
        out.add_column("km", justify="right")
        out.add_column("status / first rule that excludes it", overflow="fold")
        out.add_column("here", justify="right")
        out.add_column("elsewhere" if by_store else "store gets elsewhere", justify="right")
        if by_store:
            out.add_column("unused", justify="right")
        for r in rows.itertuples(index=False):
            if by_store:
                who, kec, zone = r.producer_id, r.producer_kecamatan, r.producer_zone
                rest = [str(r.producer_sends_elsewhere), str(r.producer_unused)]
            else:
                who, kec, zone = r.store_id, r.store_kecamatan, r.store_zone
                rest = [str(r.store_receives_elsewhere)]
            status = "eligible" + _trip_stop(r.trip, r.stop) if r.status == "eligible" else r.rule
            out.add_row(
                escape(str(who)),
                escape(f"{kec} ({zone})"),
                str(r.zone_relation),
                "-" if pd.isna(r.distance_km) else f"{r.distance_km:.1f}",
                escape(str(status)),
                str(r.quantity),
                *rest,
            )
        console.print(out)
