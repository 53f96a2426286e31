"""The Arrow CSV writer gives the bytes of the pandas writer it replaces, cell for cell."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from umkm_alloc.io.write import (
    _arrow_csv,
    _pandas_csv,
    fixed_decimals,
    guard_formula,
    to_csv_bytes,
)

#: Characters that matter to a CSV writer or the formula guard, and some that do not.
_ALPHABET = st.sampled_from([*",\"\n\r\t'=+-@.0123456789 aZé٣ß", "\u2028", "\x85"])
_TEXT = st.one_of(st.none(), st.text(_ALPHABET, max_size=8))
_FLOAT = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True, width=64),
    st.sampled_from([0.0005, 0.0015, 2.5, -0.0004, 12.0495, 1e15 + 0.5, -1e-9, 0.5]),
    st.integers(-(10**7), 10**7).map(lambda k: k / 1000),
)


@st.composite
def _frames(draw: st.DrawFn) -> tuple[pd.DataFrame, dict[str, int]]:
    n = draw(st.integers(0, 12))
    columns: dict[str, object] = {}
    digits: dict[str, int] = {}
    for j in range(draw(st.integers(2, 5))):
        kind = draw(st.sampled_from(["object", "str", "int", "bool", "fixed"]))
        name = draw(st.sampled_from(["id", "a,b", 'q"x', "=sum", "km"])) + str(j)
        if kind in ("object", "str"):
            cells = draw(st.lists(_TEXT, min_size=n, max_size=n))
            columns[name] = pd.Series(cells, dtype=object if kind == "object" else "str")
        elif kind == "int":
            columns[name] = np.array(
                draw(st.lists(st.integers(-(2**62), 2**62), min_size=n, max_size=n)), dtype=np.int64
            )
        elif kind == "bool":
            columns[name] = np.array(
                draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=bool
            )
        else:
            columns[name] = np.array(draw(st.lists(_FLOAT, min_size=n, max_size=n)), dtype=float)
            digits[name] = draw(st.integers(0, 4))
    return pd.DataFrame(columns), digits


@settings(max_examples=300, deadline=None)
@given(_frames())
def test_arrow_writer_matches_pandas(case: tuple[pd.DataFrame, dict[str, int]]) -> None:
    frame, digits = case
    fast = _arrow_csv(frame, digits)
    assert fast is not None  # every column kind drawn here takes the Arrow path
    assert fast == _pandas_csv(frame, digits)


@settings(max_examples=500, deadline=None)
@given(st.lists(_FLOAT, max_size=20), st.integers(0, 6))
def test_fixed_decimals_is_printf(values: list[float], digits: int) -> None:
    got = fixed_decimals(np.array(values, dtype=float), digits).to_pylist()
    assert got == [f"{v:.{digits}f}" if math.isfinite(v) else "" for v in values]


def test_other_columns_take_the_pandas_path() -> None:
    floats = pd.DataFrame({"lat": [-6.1, 0.1 + 0.2], "name": ["a", "b"]})
    assert _arrow_csv(floats, {}) is None
    assert to_csv_bytes(floats) == b"lat,name\n-6.1,a\n0.30000000000000004,b\n"
    mixed = pd.DataFrame({"x": ["a", 5], "y": [1, 2]})
    assert _arrow_csv(mixed, {}) is None
    assert to_csv_bytes(mixed) == b"x,y\na,1\n5,2\n"
    one = pd.DataFrame({"note": ["", "=x"]})
    assert to_csv_bytes(one) == b'note\n""\n\'=x\n'


@pytest.mark.parametrize("dtype", [object, "str"])
def test_quotes_and_guards(dtype: object) -> None:
    frame = pd.DataFrame(
        {
            "name": pd.Series(['Toko "Maju", Serang', "=1+1", "-6.05", "-", None], dtype=dtype),
            "qty": [1, 2, 3, 4, 5],
        }
    )
    assert to_csv_bytes(frame) == (
        b'name,qty\n"Toko ""Maju"", Serang",1\n\'=1+1,2\n-6.05,3\n-,4\n,5\n'
    )


def test_a_minus_before_other_digits_is_guarded_by_both_writers() -> None:
    """``-٣`` (Arabic-Indic three) is no number to a spreadsheet: both writers guard it.

    Python's ``\\d`` matches any Unicode digit, Arrow's (RE2) only 0-9; a Hypothesis run
    found the two writers disagreeing on it.
    """
    cells = ["-٣", "-3", "-3.5", "-"]
    text = pd.array(cells, dtype="string[pyarrow]")
    fast = _arrow_csv(pd.DataFrame({"a": text, "b": text}), {})  # two columns or more
    slow = _pandas_csv(pd.DataFrame({"a": cells, "b": cells}, dtype=object), {})
    assert fast == slow == "a,b\n'-٣,'-٣\n-3,-3\n-3.5,-3.5\n-,-\n".encode()
    assert guard_formula("-٣") == "'-٣"
