"""The examples in the README stay true."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from conftest import REPO
from umkm_alloc.config import assign_table
from umkm_alloc.rules import parse_rules

README = (REPO / "README.md").read_text(encoding="utf-8")
TOML_BLOCKS = re.findall(r"```toml\n(.*?)```", README, re.S)


def test_readme_toml_examples_parse(boundaries):
    assert len(TOML_BLOCKS) >= 2
    for block in TOML_BLOCKS:
        doc = tomllib.loads(block)
        assign_table(doc, Path("README.md"))
        parse_rules(doc, Path("README.md"), boundaries)


def test_readme_documents_every_command():
    from umkm_alloc.cli import app

    for command in app.registered_commands:
        assert f"umkm-alloc {command.name}" in README, command.name


def test_readme_quick_start_is_two_make_commands():
    quick = README.split("## Quick start", 1)[1].split("##", 1)[0]
    assert "make demo" in quick
    assert "make test" in quick
