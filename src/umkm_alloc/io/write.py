"""Writing: CSV bytes with the formula guard, stable workbook bytes, atomic writes of files."""

from __future__ import annotations

import datetime
import io
import os
import re
import tempfile
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from umkm_alloc.errors import UsageError

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: A negative number is no formula: ``-6.0912`` stays as it is.
_NEGATIVE_NUMBER = r"-\d+(?:\.\d+)?"
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
    out = frame.copy()
    digits = dict(float_digits or {})
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
