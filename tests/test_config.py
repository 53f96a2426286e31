"""The job options: one source (the dataclass fields), precedence CLI > file > defaults."""

from __future__ import annotations

import dataclasses
import math
import tomllib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from umkm_alloc import config as config_module
from umkm_alloc.config import (
    ASSIGN_KEYS,
    AssignConfig,
    OutputOptions,
    assign_table,
    resolve_assign,
)
from umkm_alloc.errors import ConfigError, UsageError

# Options with a value other than the default, as the command line and as TOML would give them.
# (key, default, command-line value, file value)
CASES = [
    ("max_km", 20.0, 7.5, 12),
    ("circuity", 1.4, 1.2, 1.6),
    ("snap_m", 1000.0, 0.0, 250),
    ("boundaries", "banten", "indonesia", "indonesia"),
    ("max_snap_m", 2000.0, 500.0, 800),
    ("osrm_table_size", 100, 50, 80),
    ("osrm_timeout", 30.0, 5.0, 10),
    ("osrm_retries", 3, 0, 1),
    ("strict", False, True, True),
    ("sheet", None, "Data", "Toko"),
    ("report", False, True, True),
    ("lang", "en", "id", "id"),
]


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    return repr(value)


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    where=st.lists(st.sampled_from(["default", "file", "cli", "both"]), min_size=12, max_size=12)
)
def test_command_line_beats_file_beats_defaults(tmp_path, where):
    lines, cli = ["[assign]"], {"producers": "p.csv", "stores": "s.csv"}
    for (key, _default, on_cli, in_file), source in zip(CASES, where, strict=True):
        if source in ("file", "both"):
            lines.append(f"{key.replace('_', '-')} = {_toml(in_file)}")
        cli[key] = on_cli if source in ("cli", "both") else None
    job = tmp_path / "job.toml"
    job.write_text("\n".join(lines) + "\n", encoding="utf-8")
    cfg, out = resolve_assign(cli, config_file=job)
    for (key, default, on_cli, in_file), source in zip(CASES, where, strict=True):
        want = {"default": default, "file": in_file, "cli": on_cli, "both": on_cli}[source]
        got = getattr(out if key in ("report", "lang") else cfg, key)
        assert got == want, (key, source, got)
        if isinstance(default, float):
            assert type(got) is float, (key, source, got)
    assert cfg.config_file == job


def test_the_assign_keys_are_the_fields():
    run = {f.name for f in dataclasses.fields(AssignConfig)}
    outputs = {f.name for f in dataclasses.fields(OutputOptions)}
    assert set(ASSIGN_KEYS) == (run - {"config_file", "config_doc", "_distance_spec"}) | outputs
    assert ASSIGN_KEYS["max_km"] is float and ASSIGN_KEYS["osrm_retries"] is int
    assert ASSIGN_KEYS["strict"] is bool and ASSIGN_KEYS["report"] is bool
    # paths and optional values are written as strings in the file
    for key in ("producers", "stores", "out_dir", "output", "osm_cache", "sheet", "distance"):
        assert ASSIGN_KEYS[key] is str, key


@pytest.mark.parametrize("key", sorted(ASSIGN_KEYS))
def test_every_key_rejects_a_value_of_the_wrong_type(key):
    want = ASSIGN_KEYS[key]
    wrong = [1, 2] if want is not str else 3
    with pytest.raises(ConfigError) as err:
        assign_table({"assign": {key: wrong}}, Path("job.toml"))
    assert str(err.value) == (
        f"job.toml: assign.{key} = {wrong!r} must be a {want.__name__}; fix the value"
    )


def test_integers_are_floats_but_booleans_are_not_numbers():
    table = assign_table({"assign": {"max-km": 12, "circuity": 2}}, Path("job.toml"))
    assert table == {"max_km": 12.0, "circuity": 2.0}
    assert type(table["max_km"]) is float
    with pytest.raises(ConfigError, match=r"assign.osrm_retries = True must be a int"):
        assign_table({"assign": {"osrm_retries": True}}, Path("job.toml"))


def test_unknown_key_lists_the_allowed_keys():
    with pytest.raises(ConfigError) as err:
        assign_table({"assign": {"max_kms": 3}}, Path("job.toml"))
    assert str(err.value) == (
        "job.toml: unknown key assign.max_kms; allowed keys: boundaries, circuity, distance, "
        "header_row, jobs, lang, max_km, max_minutes, max_snap_m, osm_cache, osrm_retries, "
        "osrm_table_size, osrm_timeout, out_dir, output, producers, report, sheet, snap_m, "
        "stores, strict"
    )


def test_file_paths_are_relative_to_the_file_and_stdout_stays(tmp_path):
    doc = {
        "assign": {
            "producers": "in/p.csv",
            "stores": "/data/s.csv",
            "out_dir": "out",
            "output": "-",
            "osm_cache": "cache",
            "distance": "osm:roads.osm.pbf",
        }
    }
    table = assign_table(doc, tmp_path / "job.toml")
    assert table == {
        "producers": str(tmp_path / "in" / "p.csv"),
        "stores": "/data/s.csv",
        "out_dir": str(tmp_path / "out"),
        "output": "-",
        "osm_cache": str(tmp_path / "cache"),
        "distance": f"osm:{tmp_path / 'roads.osm.pbf'}",
    }
    assert assign_table({"assign": {"output": "a.csv"}}, tmp_path / "j.toml") == {
        "output": str(tmp_path / "a.csv")
    }


def test_missing_tables_and_unknown_options():
    with pytest.raises(UsageError, match="missing STORES table"):
        resolve_assign({"producers": "p.csv"})
    with pytest.raises(TypeError, match="unknown options: quiet"):
        resolve_assign({"producers": "p.csv", "stores": "s.csv", "quiet": True})


def test_output_options_and_where_the_allocations_go():
    _cfg, out = resolve_assign({"producers": "p.csv", "stores": "s.csv"})
    assert out == OutputOptions() and out.allocations_to == "-"
    _cfg, out = resolve_assign({"producers": "p.csv", "stores": "s.csv", "out_dir": "o"})
    assert out.out_dir == Path("o") and out.allocations_to is None
    _cfg, out = resolve_assign(
        {"producers": "p.csv", "stores": "s.csv", "out_dir": "o", "output": "-"}
    )
    assert out.allocations_to == "-"
    with pytest.raises(UsageError, match="--lang 'fr' is not available"):
        OutputOptions(lang="fr")


def test_paths_may_be_strings():
    cfg = AssignConfig(producers="p.csv", stores=Path("s.csv"))
    assert cfg.producers == Path("p.csv") and isinstance(cfg.producers, Path)
    assert cfg == AssignConfig(producers=Path("p.csv"), stores="s.csv")
    assert cfg.params()["producers"] == "p.csv"


def test_params_keep_their_keys_and_order():
    cfg = AssignConfig(producers="p.csv", stores="s.csv", max_minutes=None)
    assert list(cfg.params()) == [
        "producers",
        "stores",
        "max_km",
        "max_minutes",
        "circuity",
        "snap_m",
        "boundaries",
        "distance",
        "max_snap_m",
        "strict",
        "sheet",
        "header_row",
    ]


def test_the_toml_file_is_read_once(tmp_path, small_job, monkeypatch):
    from umkm_alloc.allocate import assign

    job = tmp_path / "job.toml"
    job.write_text(
        f'[assign]\nproducers = "{small_job[0].name}"\nstores = "{small_job[1].name}"\n'
        '[zones]\nUtara = ["Pontang", "Tirtayasa"]\n[rules]\nmode = "same-zone"\n',
        encoding="utf-8",
    )
    reads: list[object] = []
    real = tomllib.load

    def counting(fh, **kw):
        reads.append(fh)
        return real(fh, **kw)

    monkeypatch.setattr(tomllib, "load", counting)
    cfg, _ = resolve_assign({}, config_file=job)
    result = assign(cfg)
    assert len(reads) == 1
    assert result.rules.mode == "same-zone"
    assert cfg.config_doc["zones"] == {"Utara": ["Pontang", "Tirtayasa"]}


def test_a_config_made_directly_reads_its_rules_file(tmp_path):
    rules = tmp_path / "rules.toml"
    rules.write_text('[rules]\nmode = "same-zone"\n', encoding="utf-8")
    cfg = AssignConfig(producers="p.csv", stores="s.csv", config_file=str(rules))
    assert cfg.config_file == rules and cfg.config_doc == {"rules": {"mode": "same-zone"}}
    with pytest.raises(UsageError, match="no such file"):
        AssignConfig(producers="p.csv", stores="s.csv", config_file=tmp_path / "nope.toml")


def test_from_file_applies_the_assign_table_then_the_options(tmp_path):
    job = tmp_path / "job.toml"
    job.write_text(
        '[assign]\nproducers = "p.csv"\nstores = "s.csv"\nmax_km = 12\nout_dir = "out"\n',
        encoding="utf-8",
    )
    cfg = AssignConfig.from_file(str(job))
    assert cfg.producers == tmp_path / "p.csv" and cfg.max_km == 12.0
    assert AssignConfig.from_file(job, max_km=5).max_km == 5.0
    with pytest.raises(TypeError, match="unknown options: out_dir"):
        AssignConfig.from_file(job, out_dir="elsewhere")


def test_the_distance_value_is_parsed_once(tmp_path, monkeypatch):
    from umkm_alloc import distance

    matrix = tmp_path / "d.csv"
    matrix.write_text("producer_id,store_id,distance_km\nP1,S1,1\n", encoding="utf-8")
    calls: list[str] = []
    real = config_module.parse_distance_spec

    def counting(text, **kw):
        calls.append(text)
        return real(text, **kw)

    monkeypatch.setattr(config_module, "parse_distance_spec", counting)
    monkeypatch.setattr(distance, "parse_distance_spec", counting)
    cfg = AssignConfig(producers="p.csv", stores="s.csv", distance=f"matrix:{matrix}")
    backend = distance.backend_for(cfg)
    assert calls == [f"matrix:{matrix}"]
    assert cfg.distance_spec.scheme == "matrix" and backend.params()["backend"] == "matrix"


def test_max_minutes_alone_lifts_the_km_bound(tmp_path):
    matrix = tmp_path / "d.csv"
    matrix.write_text("producer_id,store_id,distance_km,minutes\nP1,S1,1,2\n", encoding="utf-8")
    job = tmp_path / "job.toml"
    job.write_text("[assign]\nmax_minutes = 30\n", encoding="utf-8")
    given = {"producers": "p.csv", "stores": "s.csv", "distance": f"matrix:{matrix}"}
    cfg, _ = resolve_assign(given, config_file=job)
    assert cfg.max_km == math.inf and cfg.max_minutes == 30.0
    cfg, _ = resolve_assign({**given, "max_km": 9.0}, config_file=job)
    assert cfg.max_km == 9.0
