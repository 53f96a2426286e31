"""Writing: CSV bytes with the formula guard, stable workbook bytes, atomic writes of files."""

from __future__ import annotations

import csv
import datetime
import io
import math
import os
import re
import tempfile
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from umkm_alloc.errors import UsageError

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: A negative number is no formula: ``-6.0912`` stays as it is.
_NEGATIVE_NUMBER = r"-[0-9]+(?:\.[0-9]+)?"
#: Text that starts like a formula but cannot be one: a lone sign, the usual "none" placeholder.
_NOT_FORMULA = frozenset({"-", "+"})
#: The date of every entry of a workbook we write: the zip epoch, 1980-01-01.
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)


# ---------------------------------------------------------------- writing


def guard_formula(value: str) -> str:
    """Prefix a quote to text a spreadsheet would run as a formula (= + - @ tab CR).

    A negative number (``-6.0912``) is a number, not a formula, and stays as it is; so does a
    lone ``-`` or ``+`` (there is nothing to compute), so a placeholder ``-`` does not show as
    ``'-``.
    """
    if (
        value
        and value.startswith(_FORMULA_START)
        and value not in _NOT_FORMULA
        and not re.fullmatch(_NEGATIVE_NUMBER, value)
    ):
        return "'" + value
    return value


def to_csv_bytes(frame: pd.DataFrame, *, float_digits: Mapping[str, int] | None = None) -> bytes:
    """Render a frame as UTF-8 CSV bytes (LF line ends), text cells formula-guarded.

    Parameters
    ----------
    frame
        The table; object/string columns are treated as text.
    float_digits
        Fixed decimals per float column (e.g. ``{"distance_km": 3}``) for stable output.
    """
    digits = dict(float_digits or {})
    fast = _arrow_csv(frame, digits)
    return fast if fast is not None else _pandas_csv(frame, digits)


def _pandas_csv(frame: pd.DataFrame, digits: Mapping[str, int]) -> bytes:
    """Render a frame cell by cell with pandas: the reference :func:`_arrow_csv` matches."""
    out = frame.copy()
    for col in out.columns:
        series = out[col]
        if col in digits:
            values = series.to_numpy(dtype=float, na_value=np.nan)
            text = np.char.mod(f"%.{digits[col]}f", np.nan_to_num(values))
            out[col] = np.where(np.isfinite(values), text, "").astype(object)
        elif pd.api.types.is_bool_dtype(series):
            out[col] = series.map({True: "true", False: "false"})
        elif pd.api.types.is_integer_dtype(series) or pd.api.types.is_float_dtype(series):
            continue
        else:
            text = series.astype(object).where(series.notna(), "").astype(str)
            risky = (
                text.str.startswith(_FORMULA_START)
                & ~text.isin(_NOT_FORMULA)
                & ~text.str.fullmatch(_NEGATIVE_NUMBER)
            )
            out[col] = text.where(~risky, "'" + text).astype(object)
    buf = io.StringIO()
    out.to_csv(buf, index=False, lineterminator="\n")
    return buf.getvalue().encode("utf-8")


def workbook_bytes(wb: Any) -> bytes:
    """Save an openpyxl workbook as bytes that depend on its content alone.

    openpyxl stamps the save time into ``docProps/core.xml`` and every zip entry; both get the
    fixed date 1980-01-01 (the zip epoch) instead, and every entry the same made-on system, so
    the same workbook is the same bytes on any day and any platform. The document keeps the
    workbook's ``creator`` and ``title``.
    """
    from openpyxl.packaging.core import DocumentProperties
    from openpyxl.xml.functions import tostring

    buf = io.BytesIO()
    wb.save(buf)
    fixed = datetime.datetime(*_ZIP_DATE)
    props = DocumentProperties(
        creator=wb.properties.creator, title=wb.properties.title, created=fixed, modified=fixed
    )
    core = tostring(props.to_tree())
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            payload = core if info.filename == "docProps/core.xml" else src.read(info.filename)
            entry = zipfile.ZipInfo(info.filename, date_time=_ZIP_DATE)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            entry.create_system = 0
            dst.writestr(entry, payload)
    return out.getvalue()


def _csv_specials() -> str:
    """Characters that make Python's CSV writer (pandas' ``to_csv``) quote a field."""
    probe = io.StringIO()
    csv.writer(probe, lineterminator="\n").writerow(["\r", "x"])
    return ',"\n' + ("\r" if probe.getvalue().startswith('"') else "")


_SPECIALS = _csv_specials()
_SPECIALS_RE = "[" + "".join(re.escape(c) for c in _SPECIALS) + "]"


def _arrow_csv(frame: pd.DataFrame, digits: Mapping[str, int]) -> bytes | None:
    """Render a frame exactly as the pandas path of :func:`to_csv_bytes` does, in Arrow.

    Text, integer, boolean and fixed-decimal columns are formatted, guarded, quoted and
    joined column-wise; ``None`` (the caller takes the pandas path) for anything else: other
    float columns, categoricals, non-text objects, fewer than two columns.
    """
    if frame.shape[1] < 2 or not all(isinstance(c, str) for c in frame.columns):
        return None
    cells = []
    for col in frame.columns:
        arr = _arrow_cells(frame[col], digits.get(col))
        if arr is None:
            return None
        cells.append(_quoted(arr))
    head = io.StringIO()
    csv.writer(head, lineterminator="\n").writerow(frame.columns)
    if len(frame) == 0:
        return head.getvalue().encode("utf-8")
    last = pc.binary_join_element_wise(cells[-1], _text(""), _text("\n"))
    lines = pc.binary_join_element_wise(*cells[:-1], last, _text(","))
    lines = lines.combine_chunks() if isinstance(lines, pa.ChunkedArray) else lines
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int64)
    offsets = offsets[lines.offset : lines.offset + len(lines) + 1]
    body = memoryview(lines.buffers()[2])[int(offsets[0]) : int(offsets[-1])]
    return b"".join((head.getvalue().encode("utf-8"), body))


def _arrow_cells(series: pd.Series, digits: int | None) -> pa.Array | None:
    """One column as Arrow text (``large_string``), or ``None`` when pandas must write it."""
    dtype = series.dtype
    if digits is not None:
        if not (pd.api.types.is_float_dtype(dtype) or pd.api.types.is_integer_dtype(dtype)):
            return None
        return fixed_decimals(series.to_numpy(dtype=float), digits)
    if pd.api.types.is_bool_dtype(dtype):
        if dtype != np.dtype(bool):
            return None
        return pa.array(np.where(series.to_numpy(), "true", "false"), pa.large_string())
    if isinstance(dtype, np.dtype) and dtype.kind in "iu":
        return pc.cast(pa.array(series.to_numpy()), pa.large_string())
    if isinstance(dtype, pd.StringDtype):
        pass
    elif not pd.api.types.is_object_dtype(dtype) or pd.api.types.infer_dtype(series) not in (
        "string",
        "empty",
    ):
        return None
    try:
        arr = pa.array(series, type=pa.large_string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    if arr.null_count:
        arr = arr.fill_null("")
    risky = pc.starts_with(arr, _FORMULA_START[0])
    for start in _FORMULA_START[1:]:
        risky = pc.or_(risky, pc.starts_with(arr, start))
    if not pc.any(risky).as_py():
        return arr
    risky = pc.and_(
        risky, pc.invert(pc.is_in(arr, pa.array(sorted(_NOT_FORMULA), pa.large_string())))
    )
    risky = pc.and_(risky, pc.invert(pc.match_substring_regex(arr, f"^{_NEGATIVE_NUMBER}$")))
    return pc.if_else(risky, pc.binary_join_element_wise(_text("'"), arr, _text("")), arr)


def _text(value: str) -> pa.Scalar:
    return pa.scalar(value, pa.large_string())


def _quoted(arr: pa.Array) -> pa.Array:
    """Quote the cells the CSV writer would quote: those with a delimiter, quote or newline."""
    needs = pc.match_substring_regex(arr, _SPECIALS_RE)
    if not pc.any(needs).as_py():
        return arr
    doubled = pc.replace_substring(arr, '"', '""')
    return pc.if_else(
        needs, pc.binary_join_element_wise(_text('"'), doubled, _text('"'), _text("")), arr
    )


def fixed_decimals(values: np.ndarray, digits: int) -> pa.Array:
    """Return ``f"{v:.{digits}f}"`` of every value (``""`` where it is not finite), vectorised.

    Values whose scaled form lies clearly off a rounding tie are rounded in numpy; the few
    near a tie (and negative values, and huge ones) are formatted by Python itself, so every
    text is exactly what ``%.{digits}f`` gives.

    Parameters
    ----------
    values
        Floats.
    digits
        Decimals (``>= 0``).

    Returns
    -------
    pyarrow.Array
        ``large_string`` texts.
    """
    values = np.asarray(values, dtype=float)
    finite = np.isfinite(values)
    with np.errstate(invalid="ignore", over="ignore"):
        scaled = values * 10.0**digits
        frac = np.abs(scaled - np.trunc(scaled))
        # the product is off the exact one by at most half an ulp: clear of a tie by more
        tie = np.abs(frac - 0.5) <= 1e-6 + np.abs(scaled) * 2.0**-50
        plain = finite & ~np.signbit(values) & (scaled < 2.0**52) & ~tie
    whole = np.where(plain, np.rint(np.where(plain, scaled, 0.0)), 0.0).astype(np.int64)
    if digits:
        unit = 10**digits
        ints = pc.cast(pa.array(whole // unit), pa.large_string())
        fracs = pc.utf8_lpad(pc.cast(pa.array(whole % unit), pa.large_string()), digits, "0")
        text = pc.binary_join_element_wise(ints, fracs, _text("."))
    else:
        text = pc.cast(pa.array(whole), pa.large_string())
    other = np.flatnonzero(~plain)
    if not len(other):
        return text
    fill = [f"{v:.{digits}f}" if math.isfinite(v) else "" for v in values[other].tolist()]
    return pc.replace_with_mask(text, pa.array(~plain), pa.array(fill, pa.large_string()))


def write_atomic(files: Mapping[Path, bytes]) -> None:
    """Write several files so that either all appear complete or none is touched.

    Every file is first written and flushed to a temporary sibling; only when all are
    written are they moved into place with :func:`os.replace`.
    """
    temps: list[tuple[Path, Path]] = []
    mode = 0o666 & ~_umask()
    try:
        for target, payload in files.items():
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
            temps.append((Path(tmp), target))
            os.chmod(tmp, mode)
            with os.fdopen(fd, "wb") as fh:
                fh.write(payload)
                fh.flush()
                os.fsync(fh.fileno())
        for tmp, target in temps:
            os.replace(tmp, target)
    except BaseException:
        for tmp, _ in temps:
            tmp.unlink(missing_ok=True)
        raise


def _umask() -> int:
    current = os.umask(0o022)
    os.umask(current)
    return current


def ensure_writable_dir(path: Path) -> None:
    """Fail early (usage error) when an output folder cannot be created or written."""
    if path.exists() and not path.is_dir():
        raise UsageError(f"--out-dir {path}: exists and is not a folder; choose another path")
