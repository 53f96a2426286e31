"""The --report outputs: report.xlsx, map.png, map.html and allocations.gpkg."""

from __future__ import annotations

import io
import json
import re
import struct
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import ANYAR, CIRUAS, EXAMPLES, KRAGILAN, PONTANG, TIRTAYASA
from umkm_alloc.allocate import assign
from umkm_alloc.config import AssignConfig
from umkm_alloc.errors import UsageError
from umkm_alloc.labels import LANGS, fmt_int, fmt_pct, labels
from umkm_alloc.report import (
    REPORT_FILES,
    REPORT_NEEDS_DIR,
    TABLE_FILES,
    allocations_gpkg,
    map_html,
    map_png,
    report_files,
    report_xlsx,
    result_files,
    write_result,
)

openpyxl = pytest.importorskip("openpyxl")
pyogrio = pytest.importorskip("pyogrio")

SHEETS_EN = [
    "Summary",
    "Allocations",
    "Unmet demand",
    "Unused supply",
    "By kecamatan",
    "Fairness",
    "Rejected rows",
]
SHEETS_ID = [
    "Ringkasan",
    "Alokasi",
    "Permintaan tak terpenuhi",
    "Kapasitas tak terpakai",
    "Per kecamatan",
    "Keadilan",
    "Baris ditolak",
]

# A small job with a formula-like producer name, a store nobody can reach (Anyar) and one
# rejected row (no capacity).
PRODUCERS = f"""producer_id,name,lat,lon,product,capacity
P1,=HYPERLINK("http://x"),{PONTANG[0]},{PONTANG[1]},Sate Bandeng,50
P2,Emping Ciruas,{CIRUAS[0]},{CIRUAS[1]},Emping Melinjo,100
P3,Emping Kragilan,{KRAGILAN[0] + 0.01},{KRAGILAN[1]},Emping Melinjo,40
P4,Kue Anyar,{ANYAR[0]},{ANYAR[1]},Kue Cucur,25
P5,Bandeng Tirtayasa,{TIRTAYASA[0]},{TIRTAYASA[1]},Sate Bandeng,
"""
STORES = f"""store_id,name,chain,lat,lon,product,demand
IDM-1,Indomaret Ciruas,Indomaret,{CIRUAS[0] - 0.01},{CIRUAS[1]},Emping Melinjo,80
IDM-2,@Indomaret Pontang,Indomaret,{PONTANG[0] - 0.005},{PONTANG[1]},Sate Bandeng,30
IDM-3,Indomaret Kragilan,Indomaret,{KRAGILAN[0]},{KRAGILAN[1]},Emping Melinjo,90
ALF-1,Alfamart Anyar,Alfamart,{ANYAR[0] - 0.01},{ANYAR[1]},Emping Melinjo,30
"""


@pytest.fixture(scope="module")
def small_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("small")
    (folder / "producers.csv").write_text(PRODUCERS, encoding="utf-8")
    (folder / "stores.csv").write_text(STORES, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def small(small_dir):
    return _assign_small(small_dir)


def _assign_small(folder: Path, rules: str | None = None, name: str = "rules.toml"):
    """Run the small job, with a rules file of the given text."""
    config_file = None
    if rules is not None:
        config_file = folder / name
        config_file.write_text(rules, encoding="utf-8")
    return assign(
        AssignConfig(
            producers=folder / "producers.csv",
            stores=folder / "stores.csv",
            config_file=config_file,
        )
    )


@pytest.fixture(scope="module")
def example():
    result = assign(
        AssignConfig(producers=EXAMPLES / "producers.csv", stores=EXAMPLES / "stores.csv")
    )
    return result, report_files(result), result_files(result)


def _workbook(data: bytes):
    return openpyxl.load_workbook(io.BytesIO(data))


def _csv(data: bytes) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(data), dtype={"producer_id": str, "store_id": str})


# ------------------------------------------------------------------ workbook


def test_workbook_sheets_frozen_headers_and_widths(small):
    wb = _workbook(report_xlsx(small))
    assert wb.sheetnames == SHEETS_EN
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2", ws.title
        assert ws["A1"].font.b, ws.title
    alloc = wb["Allocations"]
    header = [c.value for c in alloc[1]]
    assert header == list(small.allocations.columns[:9])
    # widths fitted to the content: the long producer name column is wider than the default
    widths = {k: v.width for k, v in alloc.column_dimensions.items()}
    assert widths["B"] >= len('=HYPERLINK("http://x")')
    assert all(8 <= w <= 72 for w in widths.values())


def test_workbook_numbers_are_numbers_and_formulas_are_neutralised(small):
    wb = _workbook(report_xlsx(small))
    alloc = wb["Allocations"]
    rows = list(alloc.iter_rows(min_row=2, values_only=True))
    assert rows and all(type(r[5]) is int for r in rows)  # quantity
    assert all(isinstance(r[6], float) for r in rows)  # distance_km
    assert alloc["G2"].number_format == "0.000"
    names = {r[0]: r[1] for r in rows}
    assert names["P1"] == '\'=HYPERLINK("http://x")'
    cells = [c for row in wb["Allocations"].iter_rows() for c in row]
    assert not any(c.data_type == "f" for c in cells)
    stores = {r[2]: r[3] for r in rows}
    assert stores["IDM-2"] == "'@Indomaret Pontang"
    rejected = list(wb["Rejected rows"].iter_rows(min_row=2, values_only=True))
    assert [(r[1], r[2]) for r in rejected] == [(6, "P5")]
    assert type(rejected[0][1]) is int


def test_workbook_totals_equal_the_csv_tables(example):
    _, files, tables = example
    wb = _workbook(files["report.xlsx"])

    def column(sheet: str, name: str) -> list:
        ws = wb[sheet]
        header = [c.value for c in ws[1]]
        i = header.index(name)
        return [row[i] for row in ws.iter_rows(min_row=2, values_only=True)]

    alloc = _csv(tables["allocations.csv"])
    unmet = _csv(tables["unmet_demand.csv"])
    unused = _csv(tables["unused_supply.csv"])
    assert len(column("Allocations", "quantity")) == len(alloc)
    assert sum(column("Allocations", "quantity")) == alloc["quantity"].sum()
    assert column("Allocations", "store_id") == alloc["store_id"].tolist()
    assert np.allclose(column("Allocations", "distance_km"), alloc["distance_km"])
    assert sum(column("Unmet demand", "unmet")) == unmet["unmet"].sum()
    assert sum(column("Unused supply", "unused")) == unused["unused"].sum()
    assert all(type(v) is int for v in column("Unmet demand", "demand"))

    units = json.loads(tables["summary.json"])["units"]
    summary = {
        row[0]: row[1] for row in wb["Summary"].iter_rows(values_only=True) if row[0] is not None
    }
    t = labels("en")
    for key in ("supply", "demand", "allocated", "unmet", "unused"):
        assert summary[t[key]] == units[key], key
    assert summary[t["fill_rate"]] == pytest.approx(units["allocated"] / units["demand"])
    assert wb["Summary"]["B7"].number_format == "0.0%"

    by_kec = wb["By kecamatan"]
    header = [c.value for c in by_kec[1]]
    rows = list(by_kec.iter_rows(min_row=2, values_only=True))
    assert sum(r[header.index("received")] for r in rows) == units["allocated"]
    assert sum(r[header.index("supply")] for r in rows) == units["supply"]


def test_same_input_gives_identical_workbook_bytes(small):
    first, second = report_xlsx(small), report_xlsx(small)
    assert first == second
    with zipfile.ZipFile(io.BytesIO(first)) as zf:
        assert {i.date_time for i in zf.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        core = zf.read("docProps/core.xml").decode()
    assert "1980-01-01T00:00:00Z" in core


def test_lang_id_translates_sheet_names_not_column_names(small):
    wb = _workbook(report_xlsx(small, lang="id"))
    assert wb.sheetnames == SHEETS_ID
    assert wb["Alokasi"]["A1"].value == "producer_id"
    assert wb["Ringkasan"]["A2"].value == labels("id")["supply"]


ZONES = """
[zones]
Tengah = ["36.04.09", "Kragilan"]
Pantura = ["Pontang", "Tirtayasa"]
"""


def test_by_zone_sheet_only_when_zones_are_configured(small, small_dir):
    assert "By zone" not in _workbook(report_xlsx(small)).sheetnames
    zoned = _assign_small(small_dir, ZONES)
    wb = _workbook(report_xlsx(zoned))
    assert wb.sheetnames == [*SHEETS_EN[:5], "By zone", *SHEETS_EN[5:]]
    rows = {r[0]: r for r in wb["By zone"].iter_rows(min_row=2, values_only=True)}
    header = [c.value for c in wb["By zone"][1]]
    assert set(rows) == {"Pantura", "Tengah", "Anyar"}  # Anyar: a zone of its own
    assert rows["Tengah"][header.index("demand")] == 170
    assert "zone" in [c.value for c in wb["By kecamatan"][1]]
    # the sheet holds the summary's zone rows (sorted by name)
    expected = sorted(zoned.summary.by_zone, key=lambda r: r.zone)
    assert [rows[r.zone][header.index("received")] for r in expected] == [
        r.received for r in expected
    ]
    assert list(rows) == [r.zone for r in expected]
    # members named by code or by name give the same workbook
    by_code = "[zones]\n" + "".join(
        f"{zone} = {json.dumps(list(codes))}\n" for zone, codes in zoned.rules.zones.items()
    )
    assert report_xlsx(_assign_small(small_dir, by_code, "codes.toml")) == report_xlsx(zoned)


def test_summary_shows_inputs_as_given_and_dashes_as_dashes(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from umkm_alloc.cli import app

    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "p.csv").write_text(PRODUCERS, encoding="utf-8")
    (tmp_path / "in" / "s.csv").write_text(STORES, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    given = ["in/p.csv", str(tmp_path / "in" / "s.csv")]  # one relative, one absolute
    run = CliRunner().invoke(app, ["assign", *given, "--out-dir", "out", "--report", "-q"])
    assert run.exit_code == 0, run.output
    rows = list(_workbook((tmp_path / "out" / "report.xlsx").read_bytes())["Summary"].values)
    first = [r[0] for r in rows].index(labels("en")["inputs"]) + 1
    assert [r[0] for r in rows[first : first + 2]] == given
    files = json.loads((tmp_path / "out" / "summary.json").read_text())["files"]
    assert [files["producers"]["path"], files["stores"]["path"]] == given
    values = {r[0]: r[1] for r in rows if r[0] is not None}
    assert values["max_minutes"] == "-" and values["sheet"] == "-"  # no formula guard: '-


def test_workbook_prints_on_a4_fitted_to_width(small):
    wb = _workbook(report_xlsx(small))
    for ws in wb.worksheets:
        setup = ws.page_setup
        assert setup.paperSize == 9, ws.title  # A4
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert setup.fitToWidth == 1, ws.title
        assert "&A" in ws.oddFooter.center.text and "&P" in ws.oddFooter.center.text
        if ws.title == "Summary":
            assert (setup.orientation, setup.fitToHeight) == ("portrait", 1)
        else:
            assert (setup.orientation, setup.fitToHeight) == ("landscape", 0)
            assert ws.print_title_rows == "$1:$1"  # the header row on every page
    reasons = wb["Unmet demand"]
    long = [c for (c,) in reasons.iter_rows(min_row=2, min_col=7, max_col=7) if len(c.value) > 68]
    assert all(c.alignment.wrap_text for c in long)


def test_unknown_language_is_a_usage_error(small):
    with pytest.raises(UsageError, match=r"--lang 'fr' is not available; use one of: en, id"):
        report_xlsx(small, lang="fr")


# ------------------------------------------------------------------ map.png


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_png_is_wide_not_blank_and_deterministic(example, small):
    _, files, _ = example
    data = files["map.png"]
    width, height = _png_size(data)
    assert width >= 1600 and height >= 1100
    image = pytest.importorskip("matplotlib.image").imread(io.BytesIO(data), format="png")
    assert image.shape[:2] == (height, width)
    rgb = np.round(image[..., :3] * 255).astype(np.uint32)
    packed = (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]
    assert len(np.unique(packed)) > 2000  # many distinct colours: drawn, not blank
    assert (packed == 0xFFFFFF).mean() < 0.5
    assert b"tEXt" not in data and b"tIME" not in data
    assert map_png(small) == map_png(small)


def _drawn_points(fig) -> list:
    """Display-space boxes of every marker the map axes draws (scatter collections)."""
    from matplotlib.collections import PathCollection

    ax = fig.axes[0]
    boxes = []
    for coll in ax.collections:
        if isinstance(coll, PathCollection) and len(coll.get_offsets()):
            centres = coll.get_offset_transform().transform(coll.get_offsets())
            sizes = np.broadcast_to(coll.get_sizes(), len(centres))
            radii = np.sqrt(sizes) / 2 * fig.dpi / 72 + coll.get_linewidths()[0]
            boxes += [
                (x - r, y - r, x + r, y + r) for (x, y), r in zip(centres, radii, strict=True)
            ]
    return boxes


def test_png_frames_every_point_clear_of_the_scale_bar_and_north_arrow(tmp_path):
    from umkm_alloc.report.png import _figure
    from umkm_alloc.report.scene import build_scene

    # Zones on the north coast only. A producer far south-west of them and a store on the
    # coast to the north-east span a view shaped like the frame: both sit in its corners,
    # where the scale bar and the north arrow are drawn.
    (tmp_path / "p.csv").write_text(
        "producer_id,lat,lon,product,capacity\n"
        f"P1,-6.30,105.95,Opak,10\nP2,{PONTANG[0]},{PONTANG[1]},Opak,40\n"
    )
    (tmp_path / "s.csv").write_text(
        f"store_id,lat,lon,product,demand\nS1,-6.00,106.32,Opak,5\nS2,{CIRUAS[0]},{CIRUAS[1]},Opak,5\n"
    )
    (tmp_path / "rules.toml").write_text('[zones]\nPantura = ["Pontang", "Tirtayasa"]\n')
    result = assign(
        AssignConfig(
            producers=tmp_path / "p.csv",
            stores=tmp_path / "s.csv",
            config_file=tmp_path / "rules.toml",
        )
    )
    assert result.rejected_rows.empty
    scene = build_scene(result, lang="en")
    fig = _figure(scene)
    ax = fig.axes[0]
    renderer = fig.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    covers = []
    for artist in (*ax.patches, *ax.texts):
        if artist.get_gid() in ("scale-bar", "north-arrow"):
            arrow = getattr(artist, "arrow_patch", None)
            covers.append((arrow or artist).get_window_extent(renderer))
    assert len(covers) == 3  # the scale bar's box, the arrow and its letter
    points = _drawn_points(fig)
    assert len(points) == 4  # two producers, two stores: every one drawn ...
    for x0, y0, x1, y1 in points:  # ... inside the frame, under no overlay
        assert frame.x0 <= x0 and x1 <= frame.x1 and frame.y0 <= y0 and y1 <= frame.y1
        for c in covers:
            assert x1 < c.x0 or x0 > c.x1 or y1 < c.y0 or y0 > c.y1, (x0, y0, c)


# ------------------------------------------------------------------ map.html


def test_html_holds_every_store_and_renders_offline(example):
    result, files, _ = example
    page = files["map.html"].decode("utf-8")
    for store_id in result.stores["id"].unique():
        assert f'"{store_id}"' in page
    # everything the page loads is inline: no external script, stylesheet or image
    assert re.search(r"<script[^>]*\bsrc=", page) is None
    assert re.search(r"<link\b", page) is None
    assert re.search(r"url\(\s*['\"]?(https?:|//)", page) is None
    assert re.search(r"url\(images/", page) is None
    assert "Leaflet 1.9.4" in page and "sourceMappingURL" not in page
    data = re.search(r'<script id="data" type="application/json">(.*?)</script>', page, re.S)
    assert data is not None
    payload = json.loads(data.group(1))
    assert {s["id"] for s in payload["stores"]} == set(result.stores["id"])
    assert len(payload["producers"]) == result.producers["id"].nunique()
    assert sum(link["q"] for link in payload["links"]) == result.allocations["quantity"].sum()
    assert payload["kecamatan"]["features"]


def test_html_escapes_names_and_follows_lang(small):
    page = map_html(small, lang="id").decode("utf-8")
    assert '<html lang="id">' in page
    assert labels("id")["map_title"] in page
    data = re.search(r'<script id="data" type="application/json">(.*?)</script>', page, re.S)
    assert data is not None
    assert "<" not in data.group(1)  # no markup (or </script>) can hide in the data
    assert json.loads(data.group(1))["labels"]["stores"] == "toko"


def test_html_data_names_zones_and_places_labels_inside_their_kecamatan(small_dir):
    import shapely.geometry

    zoned = _assign_small(
        small_dir,
        '[zones]\nPantura = ["Pontang", "Tirtayasa"]\nTengah = ["Ciruas", "Kragilan"]\n',
        name="two-zones.toml",
    )
    page = map_html(zoned).decode("utf-8")
    data = re.search(r'<script id="data" type="application/json">(.*?)</script>', page, re.S)
    payload = json.loads(data.group(1))
    assert payload["zones"] == [
        {"name": "Pantura", "colour": payload["zones"][0]["colour"]},
        {"name": "Tengah", "colour": payload["zones"][1]["colour"]},
    ]
    assert len({z["colour"] for z in payload["zones"]} | {payload["land"]}) == 3
    for feature in payload["kecamatan"]["features"]:
        lat, lon = feature["properties"]["label"]
        shape = shapely.geometry.shape(feature["geometry"])
        assert shape.buffer(1e-4).contains(shapely.Point(lon, lat)), feature["properties"]["nama"]
    assert payload["trips"] == []  # the delivery trips layer stays empty without routes
    t = payload["labels"]
    assert t["units_of"].format(units=t["unit_many"].format(n=14), product="Gipang") == (
        "14 units of Gipang"
    )


# ------------------------------------------------------------------ allocations.gpkg


def test_geopackage_layers_read_back(example, tmp_path):
    result, files, _ = example
    path = tmp_path / "allocations.gpkg"
    path.write_bytes(files["allocations.gpkg"])
    layers = {str(name): str(kind) for name, kind in pyogrio.list_layers(path)}
    assert layers == {
        "producers": "Point",
        "stores": "Point",
        "flows": "LineString",
        "kecamatan": "MultiPolygon",
    }
    producers = pyogrio.read_dataframe(path, layer="producers")
    stores = pyogrio.read_dataframe(path, layer="stores")
    flows = pyogrio.read_dataframe(path, layer="flows")
    kec = pyogrio.read_dataframe(path, layer="kecamatan")
    assert len(producers) == result.producers["id"].nunique()
    assert len(stores) == result.stores["id"].nunique()
    assert len(flows) == len(result.allocations)
    assert producers.crs.to_epsg() == 4326 and flows.crs.to_epsg() == 4326
    assert {"producer_id", "store_id", "product", "quantity", "distance_km"} <= set(flows.columns)
    assert flows["quantity"].sum() == result.allocations["quantity"].sum()
    assert {"supply", "demand", "allocated", "fill_rate"} <= set(kec.columns)
    assert kec["allocated"].sum() == result.allocations["quantity"].sum()
    assert kec["supply"].sum() == result.producers["qty"].sum()
    assert stores["fill_rate"].between(0, 1).all()
    # each flow runs from its producer to its store
    first = flows.iloc[0]
    start = producers.set_index("producer_id").loc[first["producer_id"], "geometry"]
    assert first.geometry.coords[0] == pytest.approx(start.coords[0])


def test_geopackage_bytes_are_stable(example, small):
    _, files, _ = example
    assert allocations_gpkg(small) == allocations_gpkg(small)
    assert files["allocations.gpkg"][:16] == b"SQLite format 3\x00"


# ------------------------------------------------------------------ writing


def test_write_result_writes_the_report_beside_the_tables(small, tmp_path):
    out = tmp_path / "out"
    written = write_result(small, output=None, out_dir=out, report=True, lang="id")
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted([*TABLE_FILES, *REPORT_FILES])
    assert sorted(Path(p).name for p in written) == names
    assert _workbook((out / "report.xlsx").read_bytes()).sheetnames == SHEETS_ID


def test_report_without_out_dir_is_a_usage_error(small):
    with pytest.raises(UsageError) as err:
        write_result(small, output="-", out_dir=None, stdout=lambda _b: None, report=True)
    assert str(err.value) == REPORT_NEEDS_DIR
    assert REPORT_NEEDS_DIR == (
        "--report needs --out-dir: the workbook and maps are files; add --out-dir DIR"
    )


def test_a_failing_report_writes_nothing(small, tmp_path, monkeypatch):
    import umkm_alloc.report.files as report

    def broken(*_args, **_kwargs):
        raise RuntimeError("render failed")

    monkeypatch.setattr(report, "report_files", broken)
    out = tmp_path / "out"
    with pytest.raises(RuntimeError):
        write_result(small, output=None, out_dir=out, report=True)
    assert not out.exists() or list(out.iterdir()) == []


def test_nothing_allocated_still_gives_every_file(tmp_path):
    (tmp_path / "p.csv").write_text(
        f"producer_id,lat,lon,product,capacity\nP1,{PONTANG[0]},{PONTANG[1]},Opak,10\n"
    )
    (tmp_path / "s.csv").write_text(
        f"store_id,lat,lon,product,demand\nS1,{ANYAR[0]},{ANYAR[1]},Opak,5\n"
    )
    result = assign(AssignConfig(producers=tmp_path / "p.csv", stores=tmp_path / "s.csv"))
    assert result.allocations.empty
    files = report_files(result)
    assert sorted(files) == sorted(REPORT_FILES)
    path = tmp_path / "a.gpkg"
    path.write_bytes(files["allocations.gpkg"])
    assert len(pyogrio.read_dataframe(path, layer="flows")) == 0
    wb = _workbook(files["report.xlsx"])
    assert wb["Allocations"].max_row == 1


# ------------------------------------------------------------------ labels


def test_labels_exist_in_every_language_and_format_numbers():
    keys = [set(labels(lang)) for lang in LANGS]
    assert all(k == keys[0] for k in keys)
    assert all(len(labels(lang)[k]) <= 31 for lang in LANGS for k in ("unmet_demand",))
    assert fmt_int(30076, "id") == "30.076" and fmt_int(30076, "en") == "30,076"
    assert fmt_pct(0.8866, "id") == "88,7%" and fmt_pct(None) == "-"
