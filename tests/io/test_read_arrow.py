"""Reading and checking in Arrow: the same cells, numbers and rows as the plain Python way."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import umkm_alloc.io.csvtext as csvtext
from umkm_alloc.inputs.points import _numeric
from umkm_alloc.inputs.validate import validate_table
from umkm_alloc.io.csvtext import head_lines
from umkm_alloc.io.read import read_table

_LINE_BREAKS = ["\n", "\r\n", "\r", "\x0b", "\x0c", "\x1c", "\x85", "\u2028"]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(st.text(st.sampled_from("ab ;,"), max_size=5), st.sampled_from(_LINE_BREAKS)),
        max_size=60,
    ),
    st.integers(0, 40),
)
def test_head_lines_is_splitlines(lines: list[tuple[str, str]], n: int) -> None:
    text = "".join(cell + end for cell, end in lines)
    assert head_lines(text, n) == text.splitlines()[:n]


def test_head_lines_of_a_long_text() -> None:
    text = "\r\n".join(f"row {i}" for i in range(100_000))
    assert head_lines(text, 30) == text.splitlines()[:30]


_DECIMAL = st.one_of(
    st.floats(-1e6, 1e6, allow_nan=False).map(lambda v: f"{v:.{abs(int(v)) % 17}f}"),
    st.from_regex(r"[+-]?[0-9]{1,14}\.[0-9]{1,14}", fullmatch=True),
    st.sampled_from(["", "-0.0", "0.0", "+0.5", "007.250", "-6.123456789012345678"]),
)
_ANY = st.one_of(_DECIMAL, st.sampled_from(["-0", "5", "1e5", ".5", "5.", "x", "inf", "1_0"]))


@settings(max_examples=400, deadline=None)
@given(st.lists(_ANY, max_size=12), st.booleans())
def test_numbers_are_read_as_pandas_reads_them(cells: list[str], arrow: bool) -> None:
    text = pd.Series(cells, dtype="str" if arrow else object)
    got = _numeric(text).to_numpy(dtype=float, na_value=np.nan)
    want = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    assert np.array_equal(got, want, equal_nan=True)
    assert np.array_equal(np.signbit(got), np.signbit(want))  # -0.0 stays -0.0, 0 stays 0


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
@pytest.mark.parametrize("bom", [False, True])
def test_fast_reader_reads_the_bytes_as_the_text(write, monkeypatch, newline, bom):
    rows = ["store_id,name,lat,lon,demand", "T1,Toko Ésa ,-6.1, 106.2,5", "T2,  Dua,-6.2,106.3,7"]
    body = newline.join(rows) + newline * 2
    path = write("s.csv", ("\ufeff" if bom else "") + body)
    fast = read_table(path, "stores")
    with monkeypatch.context() as m:
        m.setattr(csvtext, "_fast_csv", lambda *_a: None)
        slow = read_table(path, "stores")
    pd.testing.assert_frame_equal(fast.frame, slow.frame)
    assert fast.frame["name"].tolist() == ["Toko Ésa", "Dua"]


def test_accepted_rows_share_repeated_text(write):
    lines = ["producer_id,kecamatan,product,capacity"] + [
        f"P{i},Pontang,Sate  Bandeng,{i % 7 + 1}" for i in range(50)
    ]
    accepted = validate_table(read_table(write("p.csv", "\n".join(lines) + "\n"), "producers"))
    rows = accepted.accepted
    assert rows["product"].tolist() == ["Sate Bandeng"] * 50
    assert rows["product_key"].iat[0] == "sate bandeng"
    assert rows["qty"].tolist() == [i % 7 + 1 for i in range(50)]
    assert len({id(v) for v in rows["kecamatan"]}) == 1  # one str object, not one per row
    assert all(rows[c].dtype == object for c in ("id", "name", "kecamatan", "product"))
