"""The small job of the report tests, and readers of the files the reports write.

A formula-like producer name, a store nobody can reach (Anyar) and one rejected row (no
capacity). The fixtures that run it (``small_dir``, ``small``, ``example``) are in
``tests/report/conftest.py``.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from conftest import ANYAR, CIRUAS, KRAGILAN, PONTANG, TIRTAYASA
from umkm_alloc.allocate import Result, assign
from umkm_alloc.config import AssignConfig

SHEETS_EN = [
    "Summary",
    "Allocations",
    "Unmet demand",
    "Unused supply",
    "By kecamatan",
    "Fairness",
    "Rejected rows",
]
SHEETS_ID = [
    "Ringkasan",
    "Alokasi",
    "Permintaan tak terpenuhi",
    "Kapasitas tak terpakai",
    "Per kecamatan",
    "Keadilan",
    "Baris ditolak",
]

PRODUCERS = f"""producer_id,name,lat,lon,product,capacity
P1,=HYPERLINK("http://x"),{PONTANG[0]},{PONTANG[1]},Sate Bandeng,50
P2,Emping Ciruas,{CIRUAS[0]},{CIRUAS[1]},Emping Melinjo,100
P3,Emping Kragilan,{KRAGILAN[0] + 0.01},{KRAGILAN[1]},Emping Melinjo,40
P4,Kue Anyar,{ANYAR[0]},{ANYAR[1]},Kue Cucur,25
P5,Bandeng Tirtayasa,{TIRTAYASA[0]},{TIRTAYASA[1]},Sate Bandeng,
"""
STORES = f"""store_id,name,chain,lat,lon,product,demand
IDM-1,Indomaret Ciruas,Indomaret,{CIRUAS[0] - 0.01},{CIRUAS[1]},Emping Melinjo,80
IDM-2,@Indomaret Pontang,Indomaret,{PONTANG[0] - 0.005},{PONTANG[1]},Sate Bandeng,30
IDM-3,Indomaret Kragilan,Indomaret,{KRAGILAN[0]},{KRAGILAN[1]},Emping Melinjo,90
ALF-1,Alfamart Anyar,Alfamart,{ANYAR[0] - 0.01},{ANYAR[1]},Emping Melinjo,30
"""


def assign_small(folder: Path, rules: str | None = None, name: str = "rules.toml") -> Result:
    """Run the small job in ``folder``, with a rules file of the given text."""
    config_file = None
    if rules is not None:
        config_file = folder / name
        config_file.write_text(rules, encoding="utf-8")
    return assign(
        AssignConfig(
            producers=folder / "producers.csv",
            stores=folder / "stores.csv",
            config_file=config_file,
        )
    )


def workbook(data: bytes):
    """The workbook of ``report.xlsx`` bytes (openpyxl)."""
    import openpyxl

    return openpyxl.load_workbook(io.BytesIO(data))


def csv_frame(data: bytes) -> pd.DataFrame:
    """A table CSV's bytes as a DataFrame, ids as text."""
    return pd.read_csv(io.BytesIO(data), dtype={"producer_id": str, "store_id": str})


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) of PNG bytes, read from the header."""
    import struct

    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height
