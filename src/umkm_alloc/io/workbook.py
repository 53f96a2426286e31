"""Workbooks (``.xlsx``, ``.xls``, ``.ods``) read with python-calamine, one grid per sheet."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from umkm_alloc.errors import InputError, UsageError
from umkm_alloc.io.grid import Grid

#: ``--sheet all``: every visible worksheet that has the header.
ALL_SHEETS = "all"

_ODS_MIMETYPE = b"mimetypeapplication/vnd.oasis.opendocument.spreadsheet"


def workbook_format(data: bytes) -> str | None:
    """Return ``xlsx``, ``xls`` or ``ods`` for workbook bytes, ``None`` for anything else."""
    if data.startswith(b"PK\x03\x04"):
        return "ods" if _ODS_MIMETYPE in data[:200] else "xlsx"
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls"
    return None


@dataclass(frozen=True)
class Sheets:
    """The worksheets chosen for reading.

    Attributes
    ----------
    grids
        One grid per chosen sheet, in workbook order.
    hidden
        Names of hidden sheets left out (with ``--sheet all`` or by default).
    """

    grids: list[Grid]
    hidden: tuple[str, ...]


def workbook_grids(data: bytes, path: Path, fmt: str, sheet: str | None) -> Sheets:
    """Read the chosen worksheets of a workbook into grids (sheet row numbers as lines).

    Parameters
    ----------
    data
        The file's bytes.
    path
        For messages.
    fmt
        ``xlsx``, ``xls`` or ``ods``.
    sheet
        A sheet name, ``all`` for every visible worksheet, or ``None`` for the first visible one.
    """
    from python_calamine import CalamineError, CalamineWorkbook, PasswordError

    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except PasswordError as exc:
        raise InputError(
            f"{path}: is protected by a password; save a copy without one, or export the sheet "
            "as CSV"
        ) from exc
    except (CalamineError, ValueError, OSError) as exc:
        raise InputError(_unreadable(path, fmt, exc)) from exc
    try:
        names, hidden = _choose(book, path, sheet)
        grids = [_grid(book.get_sheet_by_name(name), name) for name in names]
    except (CalamineError, ValueError, OSError, TypeError, IndexError) as exc:
        raise InputError(_unreadable(path, fmt, exc)) from exc
    finally:
        book.close()
    return Sheets(grids=grids, hidden=hidden)


def _unreadable(path: Path, fmt: str, exc: Exception) -> str:
    return (
        f"{path}: is not a readable .{fmt} workbook ({exc}); open it in Excel or LibreOffice "
        "and save it again, or export the sheet as CSV"
    )


def _choose(book: object, path: Path, sheet: str | None) -> tuple[list[str], tuple[str, ...]]:
    """Return the sheets to read and the hidden sheets left out."""
    from python_calamine import SheetTypeEnum, SheetVisibleEnum

    meta = [m for m in book.sheets_metadata if m.typ == SheetTypeEnum.WorkSheet]  # type: ignore[attr-defined]
    visible = [m.name for m in meta if m.visible == SheetVisibleEnum.Visible]
    hidden = tuple(m.name for m in meta if m.visible != SheetVisibleEnum.Visible)
    every = [m.name for m in meta]
    if not every:
        raise InputError(f"{path}: the workbook has no worksheet")
    if sheet is None:
        return [(visible or every)[0]], ()
    if sheet.strip().casefold() == ALL_SHEETS:
        return visible or every, hidden
    if sheet in every:
        return [sheet], ()
    loose = [n for n in every if n.strip().casefold() == sheet.strip().casefold()]
    if len(loose) == 1:
        return loose, ()
    raise UsageError(
        f"--sheet {sheet!r}: {path} has no such sheet; its sheets are {', '.join(every)} "
        f"(or give --sheet {ALL_SHEETS})"
    )


def _grid(ws: object, name: str) -> Grid:
    rows = ws.to_python(skip_empty_area=False)  # type: ignore[attr-defined]
    records = [(number, [cell_text(v) for v in row]) for number, row in enumerate(rows, start=1)]
    return Grid.from_records(name, records)


def cell_text(value: object) -> str:
    """Workbook cell -> the text a CSV export would hold (``10.0`` -> ``10``)."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)
    if isinstance(value, str):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)
