"""English and Indonesian labels for the workbook, the maps and the terminal summary.

Column names of the data tables stay the canonical English names of the CSV files (scripts
rely on them); sheet titles, summary labels, map titles and legends are translated.

>>> labels("id")["allocations"]
'Alokasi'
>>> fmt_int(12345, "id"), fmt_pct(0.8234, "en")
('12.345', '82.3%')
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING

from umkm_alloc.errors import UsageError

if TYPE_CHECKING:
    from umkm_alloc.config import AssignConfig
    from umkm_alloc.rules.model import Rules

LANGS = ("en", "id")

#: key -> (English, Indonesian).
_LABELS: dict[str, tuple[str, str]] = {
    # sheets (Excel limits sheet names to 31 characters)
    "summary": ("Summary", "Ringkasan"),
    "allocations": ("Allocations", "Alokasi"),
    "unmet_demand": ("Unmet demand", "Permintaan tak terpenuhi"),
    "unused_supply": ("Unused supply", "Kapasitas tak terpakai"),
    "by_kecamatan": ("By kecamatan", "Per kecamatan"),
    "by_zone": ("By zone", "Per zona"),
    "by_product": ("By product", "Per produk"),
    "rejected_rows": ("Rejected rows", "Baris ditolak"),
    "fixed_rows": ("Fixed rows", "Baris diperbaiki"),
    "fairness": ("Fairness", "Keadilan"),
    # summary labels
    "item": ("Item", "Keterangan"),
    "value": ("Value", "Nilai"),
    "units": ("Units", "Unit"),
    "rows": ("Rows", "Baris"),
    "reason": ("Reason", "Alasan"),
    "supply": ("Capacity (units offered)", "Kapasitas (unit ditawarkan)"),
    "demand": ("Demand (units ordered)", "Permintaan (unit dipesan)"),
    "allocated": ("Units allocated", "Unit teralokasi"),
    "unmet": ("Unmet demand (units)", "Permintaan tak terpenuhi (unit)"),
    "unused": ("Unused capacity (units)", "Kapasitas tak terpakai (unit)"),
    "fill_rate": ("Fill rate", "Tingkat pemenuhan"),
    "unit_km": ("Unit-kilometres", "Unit-kilometer"),
    "mean_km": ("Mean km per unit", "Rata-rata km per unit"),
    "n_producers": ("Producers (UMKM)", "Produsen (UMKM)"),
    "n_stores": ("Stores", "Toko"),
    "n_products": ("Products", "Produk"),
    "n_candidates": ("Eligible producer-store pairs", "Pasangan produsen-toko yang layak"),
    "n_allocations": ("Allocation rows", "Baris alokasi"),
    "n_rejected": ("Rejected input rows", "Baris input ditolak"),
    "unmet_by_reason": ("Unmet demand by reason", "Permintaan tak terpenuhi menurut alasan"),
    "unused_by_reason": ("Unused capacity by reason", "Kapasitas tak terpakai menurut alasan"),
    "parameters": ("Parameters", "Parameter"),
    "inputs": ("Input files", "Berkas input"),
    "rows_read": ("rows read", "baris dibaca"),
    "rows_accepted": ("accepted", "diterima"),
    "rows_rejected": ("rejected", "ditolak"),
    "allocated_short": ("allocated", "teralokasi"),
    "max_km": ("Maximum road distance (km)", "Jarak jalan maksimum (km)"),
    "circuity": ("Circuity factor", "Faktor kelokan jalan"),
    "boundaries": ("Boundaries", "Batas wilayah"),
    "distance": ("Distance", "Jarak"),
    "tool": ("Made with", "Dibuat dengan"),
    "page_of": ("page {page} of {pages}", "halaman {page} dari {pages}"),
    "zone": ("Zone", "Zona"),
    "no_capacity": ("no capacity", "tanpa kapasitas"),
    "objective.efficient": ("efficient", "efisien"),
    "objective.fair": ("fair", "adil"),
    "objective.min_order": ("min-order", "pesanan minimum"),
    "objective.fairness_budget": ("fairness budget", "anggaran keadilan"),
    "fair_with_orders": ("UMKM with orders", "UMKM dengan pesanan"),
    "fair_in_reach": ("UMKM with a store in reach", "UMKM dengan toko terjangkau"),
    "fair_min_share": ("Smallest share of capacity", "Porsi kapasitas terkecil"),
    "fair_median_share": ("Median share of capacity", "Median porsi kapasitas"),
    "fair_gini": ("Gini of allocated units", "Gini unit teralokasi"),
    "fair_unit_km_efficient": (
        "Unit-km of the efficient allocation",
        "Unit-km alokasi efisien",
    ),
    "fair_extra_km_pct": ("Extra unit-km over efficient (%)", "Tambahan unit-km dari efisien (%)"),
    "fair_no_store": ("UMKM with no store in reach", "UMKM tanpa toko terjangkau"),
    "no_store_in_reach": ("no store in reach", "tidak ada toko terjangkau"),
    # reason kinds
    "kind.no_producer": ("no producer offers the product", "tidak ada produsen produk ini"),
    "kind.beyond_distance": ("beyond the distance limit", "di luar batas jarak"),
    "kind.no_route": ("no road or listed route", "tidak ada rute jalan atau rute terdaftar"),
    "kind.capacity_used": (
        "capacity in reach used by other stores",
        "kapasitas terjangkau dipakai toko lain",
    ),
    "kind.no_store": ("no store orders the product", "tidak ada toko yang memesan"),
    "kind.demand_met": ("stores in reach fully supplied", "toko terjangkau sudah terpenuhi"),
    "kind.chain": (
        "excluded: the chain does not take the category",
        "dikecualikan: jaringan toko tidak menerima kategori ini",
    ),
    "kind.forbid": (
        "excluded: a forbidden kecamatan pair",
        "dikecualikan: pasangan kecamatan terlarang",
    ),
    "kind.zone_mode": (
        "excluded: outside the allowed zones",
        "dikecualikan: di luar zona yang diizinkan",
    ),
    # maps
    "producers": ("producers (UMKM)", "produsen (UMKM)"),
    "stores": ("stores", "toko"),
    "flows": ("flows", "aliran"),
    "flows_straight": (
        "flows are drawn as straight lines, not roads",
        "aliran digambar sebagai garis lurus, bukan rute jalan",
    ),
    "kecamatan": ("kecamatan", "kecamatan"),
    "kecamatan_no_zone": ("kecamatan in no zone", "kecamatan tanpa zona"),
    "map_title": ("Allocation of UMKM supply to stores", "Alokasi pasokan UMKM ke toko"),
    "title_totals": (
        "{allocated} of {demand} units ordered allocated, fill rate {fill}",
        "{allocated} dari {demand} unit pesanan teralokasi, tingkat pemenuhan {fill}",
    ),
    "title_counts": (
        "{producers} producers, {stores} stores, {flows} producer-store links; "
        "unmet {unmet} units, unused capacity {unused} units",
        "{producers} produsen, {stores} toko, {flows} hubungan produsen-toko; "
        "tak terpenuhi {unmet} unit, kapasitas tak terpakai {unused} unit",
    ),
    "legend_producer": (
        "Producers (UMKM)\nsize = capacity",
        "Produsen (UMKM)\nukuran = kapasitas",
    ),
    "legend_store": ("store", "toko"),
    "legend_flow": ("Flows (units)", "Aliran (unit)"),
    "legend_flow_line": ("flow, width = units", "aliran, tebal = unit"),
    "legend_trip": ("delivery trip", "perjalanan pengiriman"),
    "trips": ("delivery trips", "perjalanan pengiriman"),
    "trips_elsewhere": (
        "delivery trips: in map.html and delivery_notes.pdf",
        "perjalanan pengiriman: di map.html dan delivery_notes.pdf",
    ),
    "trip_title": ("trip {trip} of {producer}", "perjalanan {trip} dari {producer}"),
    "stops": ("stops", "perhentian"),
    "unit_one": ("{n} unit", "{n} unit"),
    "unit_many": ("{n} units", "{n} unit"),
    "units_of": ("{units} of {product}", "{units} {product}"),
    "symbols": ("Symbols", "Simbol"),
    "kab_border": ("kabupaten / kota boundary", "batas kabupaten / kota"),
    "legend_colour": (
        "Colour\nproducers: share of capacity used\nstores: fill rate",
        "Warna\nprodusen: porsi kapasitas terpakai\ntoko: tingkat pemenuhan",
    ),
    "legend_colour_short": ("share used / fill rate", "porsi terpakai / tingkat pemenuhan"),
    "share_used": ("share of capacity used", "porsi kapasitas terpakai"),
    "no_demand": ("no demand / no capacity", "tanpa permintaan / kapasitas"),
    "product": ("product", "produk"),
    "capacity": ("capacity", "kapasitas"),
    "ordered": ("ordered", "dipesan"),
    "received": ("received", "diterima"),
    "supplied": ("supplied", "dipasok"),
    "supplies": ("supplies", "memasok"),
    "supplied_by": ("supplied by", "dipasok oleh"),
    "quantity": ("quantity", "jumlah"),
    "distance_km": ("distance (km)", "jarak (km)"),
    "chain": ("chain", "jaringan"),
    "north": ("N", "U"),
    "osm_layer": ("OpenStreetMap (online only)", "OpenStreetMap (hanya daring)"),
    "no_tiles": ("No background (offline)", "Tanpa latar (luring)"),
    "no_data": ("nothing to show", "tidak ada data"),
    # delivery trips (--routes): workbook, delivery notes
    "routes": ("Routes", "Rute pengiriman"),
    "n_trips": ("Delivery trips", "Perjalanan pengiriman"),
    "trip_km": ("Km ridden (rides home included)", "Km ditempuh (termasuk pulang)"),
    "trip_km_direct": ("Km of one round trip per store", "Km satu pulang-pergi per toko"),
    "trip_saving": ("Km saved by combining stores", "Km dihemat dengan menggabungkan toko"),
    "trip_hours": ("Hours of delivery (riding and stops)", "Jam pengiriman (jalan dan singgah)"),
    "overloaded": ("Producers over {hours} h a day", "Produsen lebih dari {hours} jam sehari"),
    "over_long_trips": ("Trips longer than --max-trip-km", "Perjalanan melebihi --max-trip-km"),
    "distance_fallbacks": (
        "Legs estimated (geodesic x circuity)",
        "Ruas diperkirakan (geodesik x faktor kelokan)",
    ),
    "note_title": ("Delivery runs", "Rute pengiriman"),
    "note_day": (
        "{stores} stores · {trips} · {units} · {km} km · about {hours}",
        "{stores} toko · {trips} · {units} · {km} km · sekitar {hours}",
    ),
    "note_trip_one": ("{n} trip", "{n} perjalanan"),
    "note_trip_many": ("{n} trips", "{n} perjalanan"),
    "note_hours": ("{h} h {m} min", "{h} jam {m} menit"),
    "note_minutes": ("{m} min", "{m} menit"),
    "note_over": (
        "More than {hours} h of deliveries in a day: too long for one rider",
        "Lebih dari {hours} jam pengiriman sehari: terlalu lama untuk satu pengendara",
    ),
    "note_trip": (
        "Trip {trip}: {stops} · {units} · {km} km · {time}",
        "Perjalanan {trip}: {stops} · {units} · {km} km · {time}",
    ),
    "note_stop_one": ("{n} stop", "{n} perhentian"),
    "note_stop_many": ("{n} stops", "{n} perhentian"),
    "note_columns": (
        "stop|store|kecamatan|products|units|km",
        "no.|toko|kecamatan|produk|unit|km",
    ),
    "note_home": ("back to {name}", "kembali ke {name}"),
    "note_more": (
        "... and {n} more rows: see routes.csv and route_items.csv",
        "... dan {n} baris lagi: lihat routes.csv dan route_items.csv",
    ),
    "note_over_long": ("longer than --max-trip-km", "melebihi --max-trip-km"),
    "note_key_producer": (
        "the producer: every trip starts and ends here",
        "produsen: awal dan akhir setiap perjalanan",
    ),
    "note_key_stop": ("a stop, numbered in riding order", "perhentian, bernomor sesuai urutan"),
    "note_footer": (
        "Riding at {speed} km/h where the distance source has no times, {stop} min at each "
        "stop · distances: {distance} · lines are straight, not the roads",
        "Kecepatan {speed} km/jam bila sumber jarak tanpa waktu tempuh, {stop} menit per "
        "perhentian · jarak: {distance} · garis lurus, bukan jalan",
    ),
}


def check_lang(lang: str) -> str:
    """Return ``lang`` if it is supported, else raise a usage error naming the choices."""
    if lang not in LANGS:
        raise UsageError(f"--lang {lang!r} is not available; use one of: {', '.join(LANGS)}")
    return lang


def labels(lang: str = "en") -> Mapping[str, str]:
    """Return the label dictionary of one language (read-only).

    Parameters
    ----------
    lang
        ``en`` (English, the default) or ``id`` (Bahasa Indonesia).
    """
    pos = LANGS.index(check_lang(lang))
    return MappingProxyType({key: pair[pos] for key, pair in _LABELS.items()})


def fmt_int(value: float, lang: str = "en") -> str:
    """Format a whole number with the language's thousands separator (``,`` or ``.``)."""
    text = f"{round(value):,}"
    return text.replace(",", ".") if lang == "id" else text


def fmt_num(value: float, digits: int, lang: str = "en") -> str:
    """Format a number with ``digits`` decimals and the language's separators."""
    text = f"{value:,.{digits}f}"
    if lang == "id":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text


def fmt_pct(ratio: float | None, lang: str = "en", digits: int = 1) -> str:
    """Format a ratio (0.8234) as a percentage (``82.3%`` / ``82,3%``); ``-`` for none."""
    if ratio is None:
        return "-"
    return fmt_num(100 * ratio, digits, lang) + "%"


def limits_text(config: AssignConfig, rules: Rules) -> str:
    """Return a run's distance and time bounds in words, with the rules' category limits.

    ``max 20 km``, ``max 20 km and 30 min``, or with ``[categories]`` limits
    ``max 20 km (basah 12 km, kering 25 km)`` (20 km for products without a category limit).
    The terminal header and the ``map.png`` footnote show it.

    Parameters
    ----------
    config
        The run configuration (``max_km``, ``max_minutes``).
    rules
        The supply rules: each ``[categories]`` ``max_km``, by category name.
    """
    categories = [
        f"{rules.category_label(key)} {limit:g} km"
        for key, limit in sorted(rules.categories.items())
        if limit is not None
    ]
    text = config.limits_text()
    return f"{text} ({', '.join(categories)})" if categories else text


__all__ = ["LANGS", "check_lang", "fmt_int", "fmt_num", "fmt_pct", "labels", "limits_text"]
