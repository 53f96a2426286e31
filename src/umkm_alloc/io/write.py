"""Writing: CSV bytes with the formula guard, and atomic writes of several files."""

from __future__ import annotations

import io
import os
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from umkm_alloc.errors import UsageError

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: A negative number is no formula: ``-6.0912`` stays as it is.
_NEGATIVE_NUMBER = r"-\d+(?:\.\d+)?"
#: Text that starts like a formula but cannot be one: a lone sign, the usual "none" placeholder.
_NOT_FORMULA = frozenset({"-", "+"})


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
