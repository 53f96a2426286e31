"""report.xlsx as it prints: converted to PDF by LibreOffice, read back page by page.

Needs LibreOffice (``soffice``) and poppler's ``pdftotext``/``pdfinfo``; skipped with the
install command where they are missing. CI does not install them.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from umkm_alloc.labels import labels

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
POPPLER = shutil.which("pdftotext") and shutil.which("pdfinfo")
pytestmark = [
    pytest.mark.slow,  # LibreOffice prints the demo's workbook
    pytest.mark.skipif(
        not (SOFFICE and POPPLER),
        reason="LibreOffice and poppler are not installed: install them with "
        "`sudo apt-get install -y libreoffice-calc-nogui poppler-utils` (Debian/Ubuntu)",
    ),
]


@pytest.fixture(scope="module")
def printed(demo_dir, tmp_path_factory) -> list[tuple[str, str, tuple[float, float]]]:
    """The demo's workbook as LibreOffice prints it: (sheet, text, size) per page."""
    out = tmp_path_factory.mktemp("print")
    shutil.copyfile(demo_dir / "report.xlsx", out / "report.xlsx")
    pdf = _to_pdf(out / "report.xlsx", out)
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    info = subprocess.run(
        ["pdfinfo", "-f", "1", "-l", "1000", str(pdf)], capture_output=True, text=True, check=True
    ).stdout
    sizes = [(float(w), float(h)) for w, h in re.findall(r"size:\s+([\d.]+) x ([\d.]+)", info)]
    pages = text.split("\f")[: len(sizes)]
    footer = re.compile(r"^\s*(.+?) · page (\d+) of (\d+)\s*$", re.M)
    sheets = []
    for number, page in enumerate(pages, start=1):
        found = footer.findall(page)
        assert found, f"page {number} has no footer 'SHEET · page N of M'"
        sheets.append(found[-1][0])
    return list(zip(sheets, pages, sizes, strict=True))


def _to_pdf(xlsx: Path, folder: Path) -> Path:
    profile = (folder / "lo-profile").as_uri()  # its own profile: no clash with a running one
    subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation={profile}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(folder),
            str(xlsx),
        ],
        capture_output=True,
        check=True,
        timeout=600,
    )
    return folder / "report.pdf"


def test_summary_prints_on_one_portrait_page(printed):
    summary = [(text, size) for sheet, text, size in printed if sheet == "Summary"]
    assert len(summary) == 1
    text, (width, height) = summary[0]
    assert width < height  # portrait A4
    assert (round(width), round(height)) == (595, 842)
    t = labels("en")
    for label in (t["supply"], t["fill_rate"], t["parameters"], t["inputs"], t["tool"]):
        assert label in text  # labels and values together, from the first row to the last
    assert re.search(r"Capacity \(units offered\)\s+47,790", text)
    assert re.search(r"^\s*max_minutes\s+-\s*$", text, re.M)  # a plain dash, no quote


def test_tables_print_landscape_fitted_to_width_with_the_header_on_every_page(printed):
    pages = Counter(sheet for sheet, _, _ in printed)
    assert list(pages) == [
        "Summary",
        "Allocations",
        "Unmet demand",
        "Unused supply",
        "By kecamatan",
        "By zone",
        "Fairness",
        "Rejected rows",
    ]
    assert pages["Allocations"] > 1
    assert len(printed) < 100  # before the page setup: 188 pages
    for sheet, text, (width, height) in printed:
        if sheet == "Summary":
            continue
        assert width > height, sheet  # landscape
        first = next(line for line in text.splitlines() if line.strip())
        if sheet == "Allocations":  # the header row, every column of it: fitted to width
            assert first.split() == [
                "producer_id",
                "producer_name",
                "store_id",
                "store_name",
                "product",
                "quantity",
                "distance_km",
                "producer_kecamatan",
                "store_kecamatan",
            ]
        if sheet == "Unmet demand":
            assert first.split()[0] == "store_id" and first.split()[-1] == "reason"
