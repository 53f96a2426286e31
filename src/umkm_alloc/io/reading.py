"""The decisions the reader took about one input file, for the summary and ``validate``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from umkm_alloc.io.columns import ID_ALIASES, NUMBER_ALIASES, normalise_header


@dataclass(frozen=True)
class SheetReading:
    """How one sheet (or a CSV file) was read.

    Attributes
    ----------
    sheet
        The sheet's name, ``""`` for CSV.
    header_row
        Line (sheet row) of the header.
    id_from
        The header of the identifier column (an id column, else a ``No`` column), or ``""``
        when the identifiers are the sheet row numbers (``R12``).
    wide_columns
        The product columns of a wide table (``()`` when long).
    """

    sheet: str = ""
    header_row: int = 1
    id_from: str = ""
    wide_columns: tuple[str, ...] = ()

    @property
    def id_source(self) -> str:
        """``column`` (an id column), ``number`` (a ``No`` column) or ``row`` (row numbers)."""
        key = normalise_header(self.id_from)
        if not self.id_from:
            return "row"
        return "number" if key in NUMBER_ALIASES else "column"


@dataclass(frozen=True)
class Reading:
    """How one input file was read.

    Attributes
    ----------
    format
        ``csv``, ``xlsx``, ``xls`` or ``ods``.
    sheets
        One entry per sheet read, in workbook order.
    left_out
        ``(sheet, why)`` of sheets not read (``--sheet all``: no header; hidden sheets).
    ids_prefixed
        Several sheets numbered their rows on their own: those identifiers got the sheet's
        name in front (``Pontang:3``).
    """

    format: str = "csv"
    sheets: tuple[SheetReading, ...] = (SheetReading(),)
    left_out: tuple[tuple[str, str], ...] = ()
    ids_prefixed: bool = False

    def describe(self, *, full: bool = False) -> list[str]:
        """Return the decisions in words; without ``full`` only those a user did not expect.

        A CSV with its header on line 1 and an id column says nothing unless ``full``.
        """
        out: list[str] = []
        named = [s.sheet for s in self.sheets if s.sheet]
        if named and (full or len(named) > 1 or self.left_out):
            which = ", ".join(repr(n) for n in named)
            out.append(f"{self.format} sheet{'s' if len(named) > 1 else ''} {which}")
        for name, why in self.left_out:
            out.append(f"sheet {name!r} not read: {why}")
        rows = sorted({s.header_row for s in self.sheets})
        if full or rows != [1]:
            out.append(
                "header on line " + ", ".join(str(r) for r in rows)
                if len(rows) == 1
                else "header on lines " + _per_sheet(self.sheets, lambda s: str(s.header_row))
            )
        sources = {(s.id_source, s.id_from) for s in self.sheets}
        for source, column in sorted(sources):
            if source == "column" and (full or normalise_header(column) not in ID_ALIASES):
                out.append(f"identifiers from column {column!r}")
            elif source == "number":
                out.append(f"identifiers from column {column!r} (no id column)")
            elif source == "row":
                out.append("identifiers are the sheet row numbers (R12): no id or No column")
        if self.ids_prefixed:
            out.append("numbered identifiers prefixed with their sheet's name (Pontang:3)")
        for s in self.sheets:
            if s.wide_columns:
                where = f" (sheet {s.sheet!r})" if len(named) > 1 else ""
                out.append(
                    f"read as wide{where}: {len(s.wide_columns)} product columns "
                    f"({', '.join(s.wide_columns)})"
                )
        return out

    def to_dict(self) -> dict[str, Any]:
        """Return the decisions as plain data for ``summary.json``."""
        return {
            "format": self.format,
            "sheets": [
                {
                    "sheet": s.sheet or None,
                    "header_row": s.header_row,
                    "id_from": s.id_from or None,
                    "wide_columns": list(s.wide_columns),
                }
                for s in self.sheets
            ],
            "sheets_not_read": [{"sheet": n, "why": w} for n, w in self.left_out],
            "ids_prefixed": self.ids_prefixed,
        }


def _per_sheet(sheets: tuple[SheetReading, ...], value: Any) -> str:
    return ", ".join(f"{value(s)} ({s.sheet})" for s in sheets)
