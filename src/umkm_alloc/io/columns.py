"""The column names the readers know: canonical columns, their aliases, and row words."""

from __future__ import annotations

import re

#: Canonical column -> accepted header names (after :func:`normalise_header`).
COMMON_ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("name", "nama", "nama_usaha", "nama_toko"),
    "lat": ("lat", "latitude", "lintang", "y"),
    "lon": ("lon", "lng", "long", "longitude", "bujur", "x"),
    "coordinates": (
        "koordinat",
        "titik_koordinat",
        "lokasi",
        "latlong",
        "lat_long",
        "coordinates",
        "gps",
        "koordinat_gps",
        "titik_lokasi",
        "lat,long",
        "lat,_long",
        "lat/long",
        "lat_lon",
        "lat,lon",
        "lat/lon",
        "latlon",
    ),
    "kecamatan": ("kecamatan", "kec", "district"),
    "kabupaten": ("kabupaten", "kab", "kota", "regency"),
    "product": ("product", "produk", "item"),
    "category": ("category", "kategori"),
}
ID_ALIASES = ("id", "kode", "id_umkm", "id_toko")
#: Numbering columns that serve as the identifier when a table has no id column.
NUMBER_ALIASES = ("no", "no.", "nomor", "no_urut", "nomor_urut", "no._urut")

KIND_COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    "producers": {
        "producer_id": ("producer_id", *ID_ALIASES),
        **COMMON_ALIASES,
        "capacity": ("capacity", "kapasitas", "supply", "stok"),
    },
    "stores": {
        "store_id": ("store_id", *ID_ALIASES),
        **COMMON_ALIASES,
        "demand": ("demand", "permintaan", "pesanan", "order"),
        "chain": ("chain", "jaringan", "brand"),
    },
    # any table with places (``geocode``): only the location matters
    "places": {"id": ID_ALIASES, **COMMON_ALIASES},
}
ID_COLUMN = {"producers": "producer_id", "stores": "store_id", "places": "id"}
QTY_COLUMN = {"producers": "capacity", "stores": "demand"}

#: Text of a total row (``JUMLAH``, ``Sub Total:``, ``Grand Total Kec. Pontang``).
TOTAL_RE = re.compile(r"(sub\s*-?\s*total|grand\s*total|total|jumlah)(\s+\S+){0,3}")
#: Identifiers of the example row of ``umkm-alloc template``.
EXAMPLE_IDS = ("contoh", "example")
#: Headers of columns that hold whole numbers but never a product (contacts, registers).
NOT_PRODUCTS = re.compile(
    r"(no|nomor)?_?(hp|telp|telepon|tlp|wa|whatsapp|handphone|kontak|nik|npwp|nib|iumk|pirt|"
    r"rt|rw|kode_?pos|tahun|thn|umur|usia|tenaga_kerja|karyawan|omzet|omset|modal|aset|"
    r"keterangan|ket|catatan|notes?|alamat|desa|kelurahan|kel|email|pemilik|jenis_usaha|sektor)"
    r"\b.*"
)


def normalise_header(name: str) -> str:
    """Return the matching key of a header cell: trimmed, case-folded, ``_`` for spaces."""
    return re.sub(r"[\s\-]+", "_", name.strip().casefold())


def is_total_text(cell: str) -> bool:
    """Whether a cell reads as the label of a total row (``Jumlah``, ``TOTAL:``)."""
    text = cell.strip().casefold().rstrip(":. ")
    return bool(text) and TOTAL_RE.fullmatch(text) is not None


def alias_lookup(kind: str) -> dict[str, str]:
    """Return accepted header name -> canonical column for a kind of table."""
    spec = KIND_COLUMNS[kind]
    return {alias: canon for canon, aliases in spec.items() for alias in aliases}
