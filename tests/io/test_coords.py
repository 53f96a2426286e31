"""Coordinates as people write them: DMS with hemisphere letters, one cell, Google Maps links."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from forms import dms
from umkm_alloc.io.coords import Degrees, read_degrees, read_pair


@pytest.mark.parametrize(
    ("text", "value", "axis"),
    [
        ("6°05'28.3\" LS", -(6 + 5 / 60 + 28.3 / 3600), "lat"),
        ("6°05'28.3\"S", -(6 + 5 / 60 + 28.3 / 3600), "lat"),
        ("S 6°05'28.3\"", -(6 + 5 / 60 + 28.3 / 3600), "lat"),
        ("6º05′28,3″ LS", -(6 + 5 / 60 + 28.3 / 3600), "lat"),
        ("106°10'56.2\" BT", 106 + 10 / 60 + 56.2 / 3600, "lon"),
        ("106°10.937' E", 106 + 10.937 / 60, "lon"),
        ("6.0912° LU", 6.0912, "lat"),
        ("10°30' BB", -10.5, "lon"),
        ("-6°05'28\"", -(6 + 5 / 60 + 28 / 3600), None),
    ],
)
def test_degrees(text, value, axis):
    got = read_degrees(text)
    assert isinstance(got, Degrees)
    assert got.value == pytest.approx(value, abs=1e-12)
    assert got.axis == axis


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("6°61' LS", "has minutes or seconds of 60 or more"),
        ("-6°05' LU", "has a minus sign and the hemisphere LU, which disagree"),
        ("6.5°30' S", "has minutes after decimal degrees"),
        ("enam derajat", "is not a number nor degrees-minutes-seconds"),
    ],
)
def test_degrees_problems(text, problem):
    assert read_degrees(text) == problem


@pytest.mark.parametrize(
    "text",
    [
        "-6.0912, 106.1823",
        "-6.0912 106.1823",
        "-6.0912;106.1823",
        "-6,0912; 106,1823",
        "-6,0912, 106,1823",
        "6°05'28.32\" LS 106°10'56.28\" BT",
        "106°10'56.28\" BT, 6°05'28.32\" LS",
        "LS 6°05'28.32\" BT 106°10'56.28\"",
        "https://www.google.com/maps/@-6.0912,106.1823,17z",
        "https://maps.google.com/?q=-6.0912,106.1823",
        "https://www.google.com/maps/search/?api=1&query=-6.0912%2C106.1823",
        "https://www.google.com/maps/place/Gipang+Bu+Siti/@-6.2,106.0,15z/data=!3m1!4b1!4m6!3m5"
        "!1s0x0:0x1!8m2!3d-6.0912!4d106.1823",
    ],
)
def test_pairs_in_one_cell(text):
    lat, lon = read_pair(text)
    assert lat == pytest.approx(-6.0912, abs=1e-6)
    assert lon == pytest.approx(106.1823, abs=1e-6)


def test_short_links_are_refused_with_the_fix():
    assert read_pair("https://maps.app.goo.gl/9xYz") == (
        "is a short Google Maps link, which cannot be read offline; open it in a browser and "
        "paste the long link (with @-6.09,106.18) or the coordinates"
    )


def test_two_latitudes_are_refused():
    assert read_pair("6°05' LS 7°00' LU") == (
        "has two latitudes or two longitudes (by their letters); give one of each"
    )


@given(st.floats(-89.99, 89.99), st.floats(-179.99, 179.99))
def test_dms_round_trip(lat, lon):
    got_lat = read_degrees(dms(lat, axis="lat"))
    got_lon = read_degrees(dms(lon, axis="lon"))
    assert isinstance(got_lat, Degrees) and got_lat.axis == "lat"
    assert isinstance(got_lon, Degrees) and got_lon.axis == "lon"
    assert got_lat.value == pytest.approx(lat, abs=1e-9)
    assert got_lon.value == pytest.approx(lon, abs=1e-9)
    pair = read_pair(f"{dms(lon, axis='lon')}  {dms(lat, axis='lat')}")
    assert pair == pytest.approx((lat, lon), abs=1e-9)
