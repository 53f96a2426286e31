"""Every en/id string, and the number formats."""

from __future__ import annotations

import re
import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from umkm_alloc.errors import UsageError
from umkm_alloc.labels import LANGS, check_lang, fmt_int, fmt_num, fmt_pct, labels

SHEETS = [
    "summary",
    "allocations",
    "unmet_demand",
    "unused_supply",
    "by_kecamatan",
    "by_zone",
    "by_product",
    "rejected_rows",
    "fixed_rows",
]


def fields(text: str) -> set[str]:
    """The ``{name}`` placeholders of a format string."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_labels_exist_in_every_language_and_format_numbers():
    keys = [set(labels(lang)) for lang in LANGS]
    assert all(k == keys[0] for k in keys)
    assert all(len(labels(lang)[k]) <= 31 for lang in LANGS for k in ("unmet_demand",))
    assert fmt_int(30076, "id") == "30.076" and fmt_int(30076, "en") == "30,076"
    assert fmt_pct(0.8866, "id") == "88,7%" and fmt_pct(None) == "-"


def test_every_key_has_text_in_both_languages_with_the_same_placeholders():
    en, id_ = labels("en"), labels("id")
    assert list(en) == list(id_)  # same keys, same order
    for key in en:
        assert en[key].strip() and id_[key].strip(), key
        assert en[key] == en[key].strip() and id_[key] == id_[key].strip(), key
        assert fields(en[key]) == fields(id_[key]), key
        assert en[key].count("\n") == id_[key].count("\n"), key  # legends keep their lines


def test_every_key_is_translated_but_words_both_languages_share():
    en, id_ = labels("en"), labels("id")
    # "kecamatan" is the Indonesian word in English too; "{n} unit" needs no plural in either
    assert sorted(k for k in en if en[k] == id_[k]) == ["kecamatan", "unit_one"]


def test_sheet_names_are_valid_excel_sheet_names():
    for lang in LANGS:
        names = [labels(lang)[key] for key in SHEETS]
        assert len(set(names)) == len(names), lang
        for name in names:
            assert 0 < len(name) <= 31, name
            assert not re.search(r"[\[\]:*?/\\]", name), name
            assert name[0] != "'" and name[-1] != "'", name


def test_labels_are_read_only_and_a_fresh_copy_each_time():
    words = labels("id")
    with pytest.raises(TypeError):
        words["summary"] = "x"  # type: ignore[index]
    assert labels("id")["summary"] == "Ringkasan"
    assert labels() == labels("en")


@pytest.mark.parametrize("lang", ["fr", "ID", "", "english"])
def test_unknown_language_is_a_usage_error_naming_the_choices(lang):
    with pytest.raises(UsageError) as err:
        labels(lang)
    assert str(err.value) == f"--lang {lang!r} is not available; use one of: en, id"
    assert err.value.exit_code == 2
    assert check_lang("id") == "id"


@pytest.mark.parametrize(
    ("value", "en", "id_"),
    [
        (0, "0", "0"),
        (7, "7", "7"),
        (999, "999", "999"),
        (1000, "1,000", "1.000"),
        (30076, "30,076", "30.076"),
        (1234567, "1,234,567", "1.234.567"),
        (-4500, "-4,500", "-4.500"),
        (2.6, "3", "3"),
        (1499.4, "1,499", "1.499"),
    ],
)
def test_whole_numbers(value, en, id_):
    assert fmt_int(value, "en") == en
    assert fmt_int(value, "id") == id_
    assert fmt_int(value) == en


@pytest.mark.parametrize(
    ("value", "digits", "en", "id_"),
    [
        (2.449, 2, "2.45", "2,45"),
        (1234.5, 1, "1,234.5", "1.234,5"),
        (0.0, 3, "0.000", "0,000"),
        (-12345.678, 2, "-12,345.68", "-12.345,68"),
        (1e6, 0, "1,000,000", "1.000.000"),
    ],
)
def test_decimal_numbers(value, digits, en, id_):
    assert fmt_num(value, digits, "en") == en
    assert fmt_num(value, digits, "id") == id_


@pytest.mark.parametrize(
    ("ratio", "digits", "en", "id_"),
    [
        (0.8866, 1, "88.7%", "88,7%"),
        (1.0, 1, "100.0%", "100,0%"),
        (0.0, 1, "0.0%", "0,0%"),
        (0.12345, 2, "12.35%", "12,35%"),
        (12.5, 0, "1,250%", "1.250%"),
        (None, 1, "-", "-"),
    ],
)
def test_percentages(ratio, digits, en, id_):
    assert fmt_pct(ratio, "en", digits) == en
    assert fmt_pct(ratio, "id", digits) == id_


@given(
    st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, allow_infinity=False),
    st.integers(min_value=0, max_value=4),
)
def test_indonesian_is_english_with_the_separators_swapped_and_reads_back(value, digits):
    en, id_ = fmt_num(value, digits, "en"), fmt_num(value, digits, "id")
    assert id_ == en.translate(str.maketrans({",": ".", ".": ","}))
    assert float(en.replace(",", "")) == pytest.approx(round(value, digits), abs=10**-digits)
    assert float(id_.replace(".", "").replace(",", ".")) == float(en.replace(",", ""))
