"""CSV text: encodings, the delimiter, and records with their file line numbers."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd

from umkm_alloc.errors import InputError
from umkm_alloc.io.grid import Grid

DELIMITERS = (",", ";", "\t", "|")
#: How many rows the delimiter and the header are looked for in.
HEAD_ROWS = 30
#: A cell our own outputs guarded against formulas (``'-6.09, 106.18``): read as written.
GUARDED = r"^'([=+\-@\t\r])"
#: Arrow-backed text (pandas' default ``str``): how the cells of a raw table are held.
TEXT = pd.StringDtype("pyarrow", na_value=np.nan)


def decode(data: bytes, path: Path) -> tuple[str, str]:
    """Return the text of a CSV file and its encoding (UTF-8, UTF-16 or Windows-1252)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode Text" export
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise InputError(f"{path}: broken UTF-16 text; save the file as CSV UTF-8") from exc
    if data.startswith(b"\x00\x00") or b"\x00" in data[:4096]:
        raise InputError(
            f"{path}: is a binary file, not a CSV table or a workbook (.xlsx, .xls, .ods); "
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


def sniff_delimiter(text: str) -> str:
    """Pick the delimiter that splits the widest of the first lines into the most fields.

    The widest line is the header (title rows above it hold one cell), quotes honoured.
    """
    lines = [ln for ln in head_lines(text, HEAD_ROWS) if ln.strip()]
    best, best_n = ",", 1
    for delim in DELIMITERS:
        n = max((len(next(csv.reader([ln], delimiter=delim), [])) for ln in lines), default=0)
        if n > best_n:
            best, best_n = delim, n
    return best


def head_lines(text: str, n: int) -> list[str]:
    """Return ``text.splitlines()[:n]`` without splitting the rest of a large text."""
    size = 1 << 16
    while True:
        lines = text[:size].splitlines()
        if size >= len(text) or len(lines) > n:  # the first n lines end inside the prefix
            return lines[:n]
        size *= 4


def csv_grid(text: str, delimiter: str, path: Path, *, data: bytes | None = None) -> Grid:
    """Split CSV text into a grid; a plain export takes pyarrow's fast path.

    ``data`` is the file's bytes when ``text`` was decoded from them as UTF-8: the fast path
    then parses them as they are instead of encoding the text again.
    """
    fast = _fast_csv(text, delimiter, data)
    if fast is not None:
        return fast
    return Grid.from_records("", _csv_records(text, delimiter, path))


def _fast_csv(text: str, delimiter: str, data: bytes | None = None) -> Grid | None:
    """Read a plain CSV with pyarrow when every record is exactly one non-blank line.

    That is what large exports look like, and then the file line of row ``i`` is ``i + 1``.
    Anything else (quotes, blank lines, ragged rows) returns ``None`` and takes the careful
    path, which gives the same grid. The text is scanned in place, never copied.
    """
    if '"' in text or "\x00" in text:
        return None
    end = len(text)  # the body: the text without its trailing line ends
    while end and text[end - 1] in "\r\n":
        end -= 1
    if not end or not text[0].strip():
        return None
    if text.find("\n\n", 0, end) >= 0 or text.find("\n\r\n", 0, end) >= 0:
        return None
    first = text.find("\n", 0, end)
    width = len(text[: first if first >= 0 else end].rstrip("\r").split(delimiter))
    try:
        import pyarrow as pa
        import pyarrow.csv as pacsv
    except ImportError:  # pragma: no cover - pyarrow is a dependency
        return None
    if data is not None:  # UTF-8 as read (a BOM skipped; the line ends stripped are 1 byte)
        start = 3 if data.startswith(b"\xef\xbb\xbf") else 0
        body = pa.py_buffer(data).slice(start, len(data) - start - (len(text) - end))
    else:
        body = pa.py_buffer(text[:end].encode("utf-8"))
    names = [f"c{i}" for i in range(width)]
    try:
        table = pacsv.read_csv(
            body,
            read_options=pacsv.ReadOptions(column_names=names, use_threads=False),
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
    if table.num_rows != text.count("\n", 0, end) + 1:
        return None
    columns = [_text_column(table.column(name)) for name in names]
    grid = Grid(
        sheet="",
        lines=np.arange(1, table.num_rows + 1, dtype=np.int64),
        columns=columns,
        fields=np.full(table.num_rows, width, dtype=np.int64),
    )
    return grid.without_blank_rows()


def _text_column(column: object) -> pd.Series:
    """Trim an arrow text column (and undo the formula guard) in C, and keep it in Arrow.

    The cells stay Arrow-backed text (pandas ``str``): compact, and compared, sliced and
    matched in C; they are read as Python ``str`` only where a check needs them one by one.
    """
    import pyarrow.compute as pc

    trimmed = pc.utf8_trim_whitespace(column)
    if pc.any(pc.starts_with(trimmed, "'")).as_py():
        trimmed = pc.replace_substring_regex(trimmed, GUARDED, r"\1")
    return pd.Series(pd.array(trimmed, dtype=TEXT))


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
