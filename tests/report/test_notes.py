"""``delivery_notes.pdf``: a page per producer with deliveries, readable text, same bytes.

The text is read back with ``pdftotext`` (poppler) where it is installed; the page count and
the bytes need nothing but the file.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

from conftest import KRAGILAN
from umkm_alloc.allocate import assign
from umkm_alloc.config import AssignConfig
from umkm_alloc.report import report_files
from umkm_alloc.report.notes import render_notes
from umkm_alloc.report.scene import build_scene

PDFTOTEXT = shutil.which("pdftotext")
needs_pdftotext = pytest.mark.skipif(PDFTOTEXT is None, reason="pdftotext (poppler) is absent")


def pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf))


def text_of(pdf: bytes, tmp_path) -> list[str]:
    path = tmp_path / "notes.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(
        [PDFTOTEXT, "-layout", str(path), "-"], capture_output=True, text=True, check=True
    )
    return out.stdout.split("\f")[:-1]


@pytest.fixture
def routed(small_job):
    producers, stores = small_job
    return assign(AssignConfig(producers=producers, stores=stores, routes=True))


def test_one_page_per_producer_with_deliveries(routed):
    pdf = report_files(routed)["delivery_notes.pdf"]
    assert pdf.startswith(b"%PDF-")
    with_trips = routed.routes.days["producer_id"].tolist()
    assert with_trips == sorted(set(routed.allocations["producer_id"])) == ["P1", "P2", "P3"]
    assert pages(pdf) == len(with_trips)
    assert b"/CreationDate" not in pdf


def test_no_notes_without_routes(small_job):
    producers, stores = small_job
    result = assign(AssignConfig(producers=producers, stores=stores))
    assert "delivery_notes.pdf" not in report_files(result)
    with pytest.raises(ValueError, match="need the run's routes"):
        render_notes(build_scene(result, lang="en"))


def test_same_bytes_in_another_process(routed, small_job, tmp_path):
    pdf = render_notes(build_scene(routed, lang="en"))
    assert render_notes(build_scene(routed, lang="en")) == pdf
    producers, stores = small_job
    code = (
        "import sys; from umkm_alloc.allocate import assign; "
        "from umkm_alloc.config import AssignConfig; "
        "from umkm_alloc.report.notes import render_notes; "
        "from umkm_alloc.report.scene import build_scene; "
        f"r = assign(AssignConfig(producers={str(producers)!r}, stores={str(stores)!r}, "
        "routes=True)); sys.stdout.buffer.write(render_notes(build_scene(r, lang='en')))"
    )
    other = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, check=True, env={"PYTHONHASHSEED": "7"}
    )
    assert other.stdout == pdf


@needs_pdftotext
def test_each_page_tells_its_producer_its_trips_in_order(routed, tmp_path):
    texts = text_of(render_notes(build_scene(routed, lang="en")), tmp_path)
    plan = routed.routes
    for page, day in zip(texts, plan.days.itertuples(index=False), strict=True):
        lines = [line.strip() for line in page.splitlines() if line.strip()]
        assert lines[0] == f"Delivery runs: {day.producer_name}"
        assert lines[1].startswith(f"{day.producer_id} · ")
        assert f"{day.stores} store" in lines[2] and f"{day.km:.1f} km" in lines[2]
        trips = plan.trips[plan.trips["producer_id"] == day.producer_id]
        stops = plan.routes[plan.routes["producer_id"] == day.producer_id]
        body = "\n".join(lines)
        for trip in trips.itertuples(index=False):
            assert re.search(rf"Trip {trip.trip}: .* · {trip.km:.1f} km · ", body), body
        # the stores in riding order, each with its units and the km from the stop before
        shown = [
            s.store_id
            for s in stops.itertuples(index=False)
            if s.store_id and f"({s.store_id})" in body
        ]
        assert shown == [s for s in stops["store_id"] if s]
        order = [body.index(f"({s})") for s in shown]
        assert order == sorted(order)
        assert f"back to {day.producer_name}" in body
        assert (
            f"page {int(np.flatnonzero(plan.days['producer_id'] == day.producer_id)[0]) + 1} of"
            in body
        )


@needs_pdftotext
def test_indonesian_page(routed, tmp_path):
    (page, *_) = text_of(render_notes(build_scene(routed, lang="id")), tmp_path)
    assert page.lstrip().startswith("Rute pengiriman: ")
    assert "Perjalanan 1:" in page and "kembali ke " in page and "halaman 1 dari 3" in page
    assert re.search(r"\d+,\d km", page)  # decimal comma


@needs_pdftotext
def test_overloaded_day_and_a_long_list_still_fit_one_page(write, tmp_path):
    # one producer with 70 stores around it, and a day far beyond 1 hour
    rng = np.random.default_rng(2)
    lat = KRAGILAN[0] + rng.uniform(-0.02, 0.02, 70)
    lon = KRAGILAN[1] + rng.uniform(-0.02, 0.02, 70)
    producers = write(
        "p.csv",
        f"producer_id,name,lat,lon,product,capacity\nP,Big,{KRAGILAN[0]},{KRAGILAN[1]},E,999\n",
    )
    stores = write(
        "s.csv",
        "store_id,name,lat,lon,product,demand\n"
        + "".join(
            f"S{i:02d},Toko {i},{a:.6f},{b:.6f},E,3\n"
            for i, (a, b) in enumerate(zip(lat, lon, strict=True))
        ),
    )
    result = assign(
        AssignConfig(producers=producers, stores=stores, routes=True, max_day_hours=1.0)
    )
    assert result.routes.days["overloaded"].tolist() == [True]
    pdf = render_notes(build_scene(result, lang="en"))
    assert pages(pdf) == 1
    (page,) = text_of(pdf, tmp_path)
    assert "More than 1 h of deliveries in a day: too long for one rider" in page
    more = re.search(r"\.\.\. and (\d+) more rows: see routes.csv and route_items.csv", page)
    assert more, page
    shown = len(re.findall(r"\(S\d\d\)", page))
    rows = 70 + 2 * len(result.routes.trips)  # stops, and a head and a ride home per trip
    assert shown < 70 and shown + int(more.group(1)) <= rows
