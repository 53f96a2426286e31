"""Coordinates as people write them: degrees-minutes-seconds, Google Maps links, one cell.

Plain decimal degrees are read by the vectorised path of validation; these functions read
what is left: ``6°05'28.3" LS``, ``6°05.47' S``, ``-6.0912, 106.1823`` in one cell, and
Google Maps links. Each returns a value, or the problem in words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

#: Hemisphere letters: English and Indonesian (Lintang Selatan/Utara, Bujur Timur/Barat).
HEMISPHERES = {
    "n": ("lat", 1),
    "s": ("lat", -1),
    "e": ("lon", 1),
    "w": ("lon", -1),
    "lu": ("lat", 1),
    "ls": ("lat", -1),
    "bt": ("lon", 1),
    "bb": ("lon", -1),
}
_HEMI = r"(?:LS|LU|BT|BB|N|S|E|W)"
_NUM = r"\d+(?:[.,]\d+)?"
_PART = (
    rf"(?P<sign>[+-])?\s*(?P<deg>{_NUM})\s*(?P<dmark>°)?\s*"
    rf"(?:(?P<min>{_NUM})\s*(?P<mmark>')?\s*(?:(?P<sec>{_NUM})\s*(?P<smark>\")?)?)?"
)
_TRAILING = re.compile(rf"\s*{_PART}\s*(?P<hemi>{_HEMI})?\.?\s*", re.IGNORECASE)
_LEADING = re.compile(rf"\s*(?P<hemi>{_HEMI})\.?\s*{_PART}\s*", re.IGNORECASE)
_MARKS = str.maketrans(
    {
        "º": "°",
        "˚": "°",
        "◦": "°",
        "′": "'",
        "’": "'",
        "‘": "'",
        "´": "'",
        "`": "'",
        "″": '"',
        "“": '"',
        "”": '"',
        "−": "-",
        "–": "-",
    }
)
_DEC = r"[+-]?\d+(?:\.\d+)?"
_DEC_COMMA = r"[+-]?\d+(?:,\d+)?"
_PAIRS = (
    re.compile(rf"\s*({_DEC})\s*[,;/]\s*({_DEC})\s*"),
    re.compile(rf"\s*({_DEC})\s+({_DEC})\s*"),
    re.compile(rf"\s*({_DEC_COMMA})\s*;\s*({_DEC_COMMA})\s*"),
    re.compile(rf"\s*({_DEC_COMMA})(?:\s+|,\s+)({_DEC_COMMA})\s*"),
)
_LINK_PATTERNS = (
    re.compile(rf"!3d({_DEC})!4d({_DEC})"),
    re.compile(rf"[?&](?:q|query|ll|center|destination|daddr)=(?:loc:)?({_DEC}),\s*({_DEC})"),
    re.compile(rf"@({_DEC}),({_DEC})"),
    re.compile(rf"/maps/(?:search|dir|place)/(?:[^/]*/)*?({_DEC}),\s*\+?({_DEC})"),
)
_SHORT_LINK = re.compile(r"(maps\.app\.goo\.gl|goo\.gl/maps|g\.co/kgs)/", re.IGNORECASE)


@dataclass(frozen=True)
class Degrees:
    """One coordinate read from text: its value and the axis its letter names (or ``None``)."""

    value: float
    axis: str | None


def read_degrees(text: str) -> Degrees | str:
    """Read one coordinate written in degrees, minutes and seconds (or decimal minutes).

    ``6°05'28.3" LS``, ``S 6°05'28.3"``, ``106°10.937' BT``, ``6.0912° S``, ``-6°5'28"``;
    a decimal comma is allowed. Returns the problem in words when the text is no coordinate.
    """
    clean = text.translate(_MARKS).replace("''", '"').strip()
    m = _TRAILING.fullmatch(clean) or _LEADING.fullmatch(clean)
    if m is None:
        return "is not a number nor degrees-minutes-seconds"
    parts = m.groupdict()
    hemi = (parts["hemi"] or "").casefold()
    if not (hemi or parts["dmark"] or parts["mmark"] or parts["smark"]):
        return "is not a number nor degrees-minutes-seconds"
    deg, minutes, seconds = (
        float(parts[k].replace(",", ".")) if parts[k] else 0.0 for k in ("deg", "min", "sec")
    )
    if parts["min"] and not deg.is_integer():
        return "has minutes after decimal degrees"
    if parts["sec"] and not minutes.is_integer():
        return "has seconds after decimal minutes"
    if minutes >= 60 or seconds >= 60:
        return "has minutes or seconds of 60 or more"
    value = deg + minutes / 60 + seconds / 3600
    axis = None
    if hemi:
        axis, sign = HEMISPHERES[hemi]
        if parts["sign"] == "-" and sign > 0:
            return f"has a minus sign and the hemisphere {hemi.upper()}, which disagree"
        value *= sign
    elif parts["sign"] == "-":
        value = -value
    return Degrees(value, axis)


def read_pair(text: str) -> tuple[float, float] | str:
    """Read latitude and longitude from one cell.

    ``-6.0912, 106.1823``, ``-6.0912 106.1823``, ``-6.0912;106.1823``, ``-6,0912; 106,1823``,
    Google Maps links, and two degrees-minutes-seconds with hemisphere letters in either
    order. Returns ``(lat, lon)`` or the problem in words (ending with the fix).
    """
    cell = text.strip()
    if _SHORT_LINK.search(cell):
        return (
            "is a short Google Maps link, which cannot be read offline; open it in a browser "
            "and paste the long link (with @-6.09,106.18) or the coordinates"
        )
    if "http" in cell.casefold() or "google" in cell.casefold() or "/maps" in cell:
        return _from_link(cell)
    for pattern in _PAIRS:
        m = pattern.fullmatch(cell)
        if m:
            return _num(m.group(1)), _num(m.group(2))
    return _dms_pair(cell)


def _num(text: str) -> float:
    return float(text.replace(",", "."))


def _from_link(cell: str) -> tuple[float, float] | str:
    url = unquote(cell)
    for pattern in _LINK_PATTERNS:
        m = pattern.search(url)
        if m:
            return float(m.group(1)), float(m.group(2))
    return (
        "is a link without coordinates; open it in Google Maps, right-click the place and "
        "copy the coordinates (like -6.0912, 106.1823)"
    )


def _dms_pair(cell: str) -> tuple[float, float] | str:
    clean = cell.translate(_MARKS).replace("''", '"')
    split = _split_two(clean)
    if split is None:
        return (
            "is not coordinates; give 'lat, lon' like -6.0912, 106.1823, a Google Maps link, "
            "or degrees like 6°05'28.3\" LS 106°10'56.2\" BT"
        )
    first, second = (read_degrees(p) for p in split)
    for got in (first, second):
        if isinstance(got, str):
            return f"holds a coordinate that {got}; give 'lat, lon' like -6.0912, 106.1823"
    assert isinstance(first, Degrees) and isinstance(second, Degrees)
    if first.axis == "lon" or second.axis == "lat":
        first, second = second, first
    if first.axis == "lon" or second.axis == "lat":
        return "has two latitudes or two longitudes (by their letters); give one of each"
    return first.value, second.value


def _two(component: re.Pattern[str]) -> re.Pattern[str]:
    solo = re.sub(r"\(\?P<\w+>", "(?:", component.pattern)
    return re.compile(rf"({solo})[\s,;/]+({solo})", re.IGNORECASE)


_TWO_LEADING, _TWO_TRAILING = _two(_LEADING), _two(_TRAILING)


def _split_two(clean: str) -> tuple[str, str] | None:
    """Split a cell into two degrees parts at a separator or a hemisphere letter."""
    leading = re.match(rf"\s*{_HEMI}\b", clean, re.IGNORECASE) is not None
    m = (_TWO_LEADING if leading else _TWO_TRAILING).fullmatch(clean)
    if m is None:
        return None
    return m.group(1), m.group(2)
