"""Reading input tables: CSV dialects and encodings, ``.xlsx``, header aliases."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from umkm_alloc.errors import InputError, UsageError

LINE = "_line"

#: Canonical column -> accepted header names (after trimming and case-folding).
COMMON_ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("name", "nama", "nama_usaha", "nama_toko"),
    "lat": ("lat", "latitude", "lintang", "y"),
    "lon": ("lon", "lng", "long", "longitude", "bujur", "x"),
    "kecamatan": ("kecamatan", "kec", "district"),
    "kabupaten": ("kabupaten", "kab", "kota", "regency"),
    "product": ("product", "produk", "item"),
    "category": ("category", "kategori"),
}
ID_ALIASES = ("id", "kode", "id_umkm", "id_toko")

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
}
ID_COLUMN = {"producers": "producer_id", "stores": "store_id"}
QTY_COLUMN = {"producers": "capacity", "stores": "demand"}

DELIMITERS = (",", ";", "\t", "|")


@dataclass(frozen=True)
class RawTable:
    """A table as read: text cells under canonical names, before any check.

    Attributes
    ----------
    path
        The file it came from.
    kind
        ``producers`` or ``stores``.
    frame
        One row per data row; canonical columns hold ``str`` (``""`` when empty); ``_line``
        holds the file line on which the row starts (the header is line 1).
    delimiter, encoding
        The detected dialect; with ``;`` numbers may use a decimal comma.
    ignored_columns
        Header names that matched no known column.
    bad_rows
        ``(line, reason)`` for rows that could not be split into the header's columns.
    """

    path: Path
    kind: str
    frame: pd.DataFrame
    delimiter: str
    encoding: str
    ignored_columns: tuple[str, ...]
    bad_rows: tuple[tuple[int, str], ...]

    @property
    def decimal_comma(self) -> bool:
        """Whether numbers may be written with a decimal comma (``;``-separated files)."""
        return self.delimiter == ";"


def normalise_header(name: str) -> str:
    """Return the matching key of a header cell: trimmed, case-folded, ``_`` for spaces."""
    return re.sub(r"[\s\-]+", "_", name.strip().casefold())


def read_table(path: Path, kind: str, *, sheet: str | None = None) -> RawTable:
    """Read a producers or stores table.

    Parameters
    ----------
    path
        A CSV file (``,`` ``;`` tab or ``|``; UTF-8 with or without BOM, or Windows-1252)
        or an Excel workbook (``.xlsx``).
    kind
        ``producers`` or ``stores``: selects the required columns and their aliases.
    sheet
        Worksheet of an ``.xlsx`` file (default: the first one).

    Returns
    -------
    RawTable
        Text cells under canonical column names, with line numbers.

    Raises
    ------
    UsageError
        The file does not exist.
    InputError
        The file is unreadable, empty, or lacks a required column.
    """
    data = _read_bytes(path, kind)
    if data.startswith(b"PK\x03\x04"):
        records, encoding, delimiter = _xlsx_records(data, path, sheet), "xlsx", ""
    else:
        text, encoding = _decode(data, path)
        delimiter = _sniff_delimiter(text)
        fast = _fast_csv(text, delimiter)
        if fast is not None:
            header, columns = fast
            mapping, ignored = _map_columns(header, kind, path)
            return RawTable(
                path=path,
                kind=kind,
                frame=_columns_to_frame(columns, mapping, kind),
                delimiter=delimiter,
                encoding=encoding,
                ignored_columns=tuple(ignored),
                bad_rows=(),
            )
        records = _csv_records(text, delimiter, path)
    header, rows, bad = _split_rows(records, path)
    mapping, ignored = _map_columns(header, kind, path)
    frame = _to_frame(header, rows, mapping, kind)
    return RawTable(
        path=path,
        kind=kind,
        frame=frame,
        delimiter=delimiter,
        encoding=encoding,
        ignored_columns=tuple(ignored),
        bad_rows=tuple(bad),
    )


def _read_bytes(path: Path, kind: str) -> bytes:
    if not path.exists():
        raise UsageError(f"{path}: no such {kind} file; check the path")
    if path.is_dir():
        raise UsageError(f"{path}: is a folder, not a {kind} table; give a CSV file")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror}); check its permissions") from exc


def _decode(data: bytes, path: Path) -> tuple[str, str]:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode Text" export
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise InputError(f"{path}: broken UTF-16 text; save the file as CSV UTF-8") from exc
    if data.startswith((b"\xd0\xcf\x11\xe0", b"\x00\x00")) or b"\x00" in data[:4096]:
        raise InputError(
            f"{path}: is a binary file, not a CSV or .xlsx table (an old .xls workbook?); "
            "save it as .xlsx or CSV UTF-8"
        )
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{path}: byte {exc.start} is neither UTF-8 nor Windows-1252 text; save the file as "
            "CSV UTF-8"
        ) from exc


def _sniff_delimiter(text: str) -> str:
    """Pick the delimiter that splits the header line into the most fields (quotes honoured)."""
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    best, best_n = ",", 1
    for delim in DELIMITERS:
        n = len(next(csv.reader([first], delimiter=delim), []))
        if n > best_n:
            best, best_n = delim, n
    return best


def _fast_csv(text: str, delimiter: str) -> tuple[list[str], list[pd.Series]] | None:
    """Read a plain CSV with pyarrow when every record is exactly one non-blank line.

    That is what large exports look like, and then the file line of data row ``i`` is
    ``i + 2``. Anything else (quotes, blank lines, ragged rows) returns ``None`` and takes
    the careful path, which gives the same table.
    """
    if '"' in text or "\x00" in text:
        return None
    body = text.rstrip("\r\n")
    if not body or not body[0].strip() or "\n\n" in body or "\n\r\n" in body:
        return None
    first_line = body.split("\n", 1)[0].rstrip("\r")
    header = first_line.split(delimiter)
    width = len(header)
    try:
        import pyarrow as pa
        import pyarrow.csv as pacsv
    except ImportError:  # pragma: no cover - pyarrow is a dependency
        return None
    names = [f"c{i}" for i in range(width)]
    try:
        table = pacsv.read_csv(
            pa.py_buffer(body.encode("utf-8")),
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, use_threads=False),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter,
                quote_char=False,
                newlines_in_values=False,
                ignore_empty_lines=False,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, ValueError):
        return None
    if table.num_rows != body.count("\n"):
        return None
    columns = [
        pd.Series(table.column(name).to_numpy(zero_copy_only=False), dtype=object).str.strip()
        for name in names
    ]
    keep = width
    while keep and not header[keep - 1].strip():
        if (columns[keep - 1] != "").any():
            return None  # cells under an empty header: let the careful path report them
        keep -= 1
    if keep == 0:
        return None
    columns = columns[:keep]
    lines = pd.Series(np.arange(2, table.num_rows + 2, dtype=np.int64))
    blank = np.logical_and.reduce([(c == "").to_numpy() for c in columns])
    if not (~blank).any():
        return None  # no data rows: the careful path says so
    columns = [c[~blank].reset_index(drop=True) for c in columns]
    columns.append(lines[~blank].reset_index(drop=True))
    return header[:keep], columns


def _columns_to_frame(columns: list[pd.Series], mapping: dict[str, int], kind: str) -> pd.DataFrame:
    """Frame of canonical columns from :func:`_fast_csv` output (its last column: lines)."""
    n = len(columns[-1])
    data: dict[str, object] = {LINE: columns[-1].astype("int64")}
    for canon in KIND_COLUMNS[kind]:
        pos = mapping.get(canon)
        data[canon] = columns[pos] if pos is not None else pd.Series([""] * n, dtype=object)
    frame = pd.DataFrame(data)
    for canon in KIND_COLUMNS[kind]:
        frame[canon] = frame[canon].astype(object)
    frame.attrs["present"] = tuple(c for c in KIND_COLUMNS[kind] if c in mapping)
    return frame


def _csv_records(text: str, delimiter: str, path: Path) -> list[tuple[int, list[str]]]:
    """Split CSV text into ``(start line, cells)`` records; quotes may span lines."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records: list[tuple[int, list[str]]] = []
    prev_end = 0
    try:
        for record in reader:
            records.append((prev_end + 1, record))
            prev_end = reader.line_num
    except csv.Error as exc:
        raise InputError(
            f"{path}, line {reader.line_num}: {exc}; check for an unclosed quote"
        ) from exc
    return records


def _xlsx_records(data: bytes, path: Path, sheet: str | None) -> list[tuple[int, list[str]]]:
    """Read a worksheet into ``(row number, cells as text)`` records."""
    import zipfile

    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as exc:
        raise InputError(
            f"{path}: is not a readable .xlsx workbook ({type(exc).__name__}); open it in Excel "
            "and save it again, or export the sheet as CSV"
        ) from exc
    try:
        if sheet is None:
            ws = book.worksheets[0] if book.worksheets else None
            if ws is None:
                raise InputError(f"{path}: the workbook has no worksheet")
        elif sheet in book.sheetnames:
            ws = book[sheet]
        else:
            raise UsageError(
                f"--sheet {sheet!r}: {path} has no such sheet; its sheets are "
                f"{', '.join(book.sheetnames)}"
            )
        records = []
        for number, row in enumerate(ws.iter_rows(values_only=True), start=1):
            records.append((number, [_cell_text(v) for v in row]))
        return records
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as exc:
        raise InputError(
            f"{path}: the worksheet cannot be read ({type(exc).__name__}); open it in Excel and "
            "save it again, or export the sheet as CSV"
        ) from exc
    finally:
        book.close()


def _cell_text(value: object) -> str:
    """Excel cell -> the text a CSV export would hold (``10.0`` -> ``10``)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _split_rows(
    records: list[tuple[int, list[str]]], path: Path
) -> tuple[list[str], list[tuple[int, list[str]]], list[tuple[int, str]]]:
    header: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    bad: list[tuple[int, str]] = []
    for start, record in records:
        if not any(cell.strip() for cell in record):
            continue
        if header is None:
            header = record
            continue
        rows.append((start, record))
    if header is None:
        raise InputError(f"{path}: is empty; it needs a header row and at least one data row")
    width = len(header)
    while width and not header[width - 1].strip():
        width -= 1
    kept: list[tuple[int, list[str]]] = []
    for line, record in rows:
        extra = [c for c in record[width:] if c.strip()]
        if extra:
            bad.append(
                (
                    line,
                    f"has {len(record)} fields but the header has {width}; "
                    "quote cells that contain the delimiter",
                )
            )
            continue
        kept.append((line, record[:width] + [""] * (width - len(record))))
    if not kept and not bad:
        raise InputError(f"{path}: has a header but no data rows; add at least one row")
    return header[:width], kept, bad


def _map_columns(header: list[str], kind: str, path: Path) -> tuple[dict[str, int], list[str]]:
    spec = KIND_COLUMNS[kind]
    lookup = {alias: canon for canon, aliases in spec.items() for alias in aliases}
    mapping: dict[str, int] = {}
    ignored: list[str] = []
    for pos, raw in enumerate(header):
        canon = lookup.get(normalise_header(raw))
        if canon is None:
            if raw.strip():
                ignored.append(raw.strip())
            continue
        if canon in mapping:
            first = header[mapping[canon]].strip()
            raise InputError(
                f"{path}: columns {first!r} and {raw.strip()!r} both mean {canon}; "
                "rename or delete one of them"
            )
        mapping[canon] = pos
    found = ", ".join(h.strip() for h in header if h.strip()) or "(none)"
    required = [ID_COLUMN[kind], QTY_COLUMN[kind]]
    missing = [c for c in required if c not in mapping]
    if missing:
        col = missing[0]
        raise InputError(
            f"{path}: required column {col} is missing (accepted names: "
            f"{', '.join(spec[col])}); found: {found}"
        )
    has_coords = "lat" in mapping and "lon" in mapping
    if not has_coords and "kecamatan" not in mapping:
        if ("lat" in mapping) != ("lon" in mapping):
            have, lack = ("lat", "lon") if "lat" in mapping else ("lon", "lat")
            raise InputError(
                f"{path}: has a {have} column but no {lack} column (accepted names: "
                f"{', '.join(spec[lack])}); found: {found}"
            )
        raise InputError(
            f"{path}: needs lat and lon columns, or a kecamatan column (accepted names: "
            f"{', '.join(spec['lat'])} / {', '.join(spec['lon'])} / "
            f"{', '.join(spec['kecamatan'])}); found: {found}"
        )
    return mapping, ignored


def _to_frame(
    header: list[str], rows: list[tuple[int, list[str]]], mapping: dict[str, int], kind: str
) -> pd.DataFrame:
    data: dict[str, list[object]] = {LINE: [line for line, _ in rows]}
    for canon in KIND_COLUMNS[kind]:
        pos = mapping.get(canon)
        data[canon] = [rec[pos].strip() for _, rec in rows] if pos is not None else [""] * len(rows)
    frame = pd.DataFrame(data)
    frame[LINE] = frame[LINE].astype("int64")
    for canon in KIND_COLUMNS[kind]:
        frame[canon] = frame[canon].astype(object)
    frame.attrs["present"] = tuple(c for c in KIND_COLUMNS[kind] if c in mapping)
    return frame
