"""``umkm-alloc zones``: the kecamatan table with zones and neighbours, and zone adjacency."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer

from conftest import EXAMPLES, run_cli
from squares import squares_frame
from umkm_alloc.cli import zones

EXAMPLE = EXAMPLES / "serang.toml"
HEADER = "kode,nama,kabupaten,zone,neighbours"

app = typer.Typer(rich_markup_mode=None, add_completion=False, pretty_exceptions_enable=False)


@app.callback()
def _root() -> None:
    """Test application holding the zones command only."""


zones.register(app)


def run(*args: str):
    return run_cli("zones", *args, app=app)


@pytest.fixture
def squares(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Write the hand-made squares as GeoJSON in the working folder; return its name."""
    monkeypatch.chdir(tmp_path)
    squares_frame().to_file(tmp_path / "squares.geojson", driver="GeoJSON")
    return "squares.geojson"


@pytest.fixture
def rules_file(tmp_path: Path):
    def _write(text: str) -> str:
        (tmp_path / "rules.toml").write_text(text, encoding="utf-8")
        return "rules.toml"

    return _write


def test_csv_without_rules_every_kecamatan_is_its_own_zone(squares):
    result = run("--boundaries", squares, "--format", "csv")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout == (
        f"{HEADER}\n"
        "99.01.01,Pontang,Kabupaten Uji,Pontang,Ciruas;Tirtayasa\n"
        "99.01.02,Tirtayasa,Kabupaten Uji,Tirtayasa,Anyar;Kragilan;Pontang\n"
        "99.01.03,Anyar,Kabupaten Uji,Anyar,Curug;Tirtayasa\n"
        "99.01.04,Ciruas,Kabupaten Uji,Ciruas,Kragilan;Pontang\n"
        "99.01.05,Kragilan,Kabupaten Uji,Kragilan,Ciruas;Curug;Tirtayasa\n"
        "99.02.01,Curug,Kota Uji,99.02.01,Anyar;Kragilan\n"
        "99.03.01,Curug,Kabupaten Lain,99.03.01,\n"
    )


def test_csv_with_rules(squares, rules_file):
    config = rules_file('[zones]\nUtara = ["Pontang", "Tirtayasa"]\n[rules]\nmode = "same-zone"')
    result = run("--config", config, "--boundaries", squares, "--format", "csv")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == HEADER
    assert lines[1] == "99.01.01,Pontang,Kabupaten Uji,Utara,Ciruas;Tirtayasa"
    assert lines[2] == "99.01.02,Tirtayasa,Kabupaten Uji,Utara,Anyar;Kragilan;Pontang"


def test_boundaries_come_from_the_assign_table_of_the_config(squares, rules_file):
    config = rules_file(f'[assign]\nboundaries = "{squares}"\n[zones]\nUtara = ["Pontang"]')
    result = run("--config", config, "--format", "csv")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[1] == "99.01.01,Pontang,Kabupaten Uji,Utara,Ciruas;Tirtayasa"


def test_table_format(squares, rules_file):
    config = rules_file('[zones]\nUtara = ["Pontang", "Tirtayasa"]\n[rules]\nmode = "same-zone"')
    result = run("--config", config, "--boundaries", squares)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert all(line == line.rstrip() for line in lines)
    assert lines[0] == "Kecamatan and their zones (mode same-zone, boundaries squares.geojson)"
    assert lines[2].split() == ["kode", "nama", "kabupaten", "zone", "neighbours"]
    assert lines[4].split() == [
        "99.01.01",
        "Pontang",
        "Kabupaten",
        "Uji",
        "Utara",
        "Ciruas;",
        "Tirtayasa",
    ]
    start = lines.index("Zone adjacency")
    assert lines[start + 2].split() == ["zone", "kecamatan", "adjacent_zones"]
    assert lines[start + 4].split() == ["Utara", "2", "Anyar;", "Ciruas;", "Kragilan"]
    assert lines[start + 5].split() == ["Anyar", "1", "99.02.01;", "Utara"]
    assert result.stderr == ""


def test_output_to_a_file(squares, tmp_path):
    result = run("--boundaries", squares, "--format", "csv", "-o", "zones.csv")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert result.stderr == "written: zones.csv\n"
    assert (tmp_path / "zones.csv").read_text(encoding="utf-8").startswith(HEADER + "\n")


def test_output_to_a_folder_is_a_usage_error(squares, tmp_path):
    result = run("--boundaries", squares, "-o", str(tmp_path))
    assert result.exit_code == 2
    assert result.stderr == f"error: --output {tmp_path}: is a folder; give a file path or '-'\n"


def test_a_bad_rules_file_exits_3_with_every_problem(squares, rules_file):
    config = rules_file('[zones]\nUtara = ["Pontan"]\n[rules]\nmode = "nearest"')
    result = run("--config", config, "--boundaries", squares, "--format", "csv")
    assert result.exit_code == 3
    assert result.stdout == ""
    assert result.stderr == (
        "error: rules.toml: zones.Utara[0]: kecamatan 'Pontan' is not in the squares.geojson "
        "boundaries; did you mean Pontang?\n"
        'rules.toml: rules.mode = "nearest": unknown mode; use one of "any", "same-zone", '
        '"adjacent-zones"\n'
    )


def test_a_missing_rules_file_is_a_usage_error(squares):
    result = run("--config", "missing.toml", "--boundaries", squares)
    assert result.exit_code == 2
    assert result.stderr == "error: --config missing.toml: no such file; check the path\n"


def test_an_unknown_format_is_a_usage_error(squares):
    result = run("--boundaries", squares, "--format", "xml")
    assert result.exit_code == 2
    assert "xml" in result.stderr


def test_help_text():
    result = run("--help")
    assert result.exit_code == 0
    assert "supply zone and neighbours" in result.stdout
    assert "--format" in result.stdout


def test_serang_example_on_the_packaged_boundaries():
    result = run("--config", str(EXAMPLE), "--format", "csv")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == HEADER
    rows = {line.split(",")[0]: line.split(",") for line in lines[1:]}
    assert len(rows) == 155
    assert rows["36.04.12"][1:4] == ["Pontang", "Kabupaten Serang", "Pantura"]
    assert rows["36.04.30"][1:4] == ["Anyar", "Kabupaten Serang", "Barat"]
    assert rows["36.73.04"][1:4] == ["Curug", "Kota Serang", "Kota Serang"]
    assert rows["36.04.30"][4] == "Cinangka;Ciwandan;Mancak"
