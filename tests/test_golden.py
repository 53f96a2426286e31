"""The demo's outputs, byte for byte, against the committed golden files.

A change that is meant to alter them regenerates them with ``tests/golden/regen.py`` and
says why in its commit message; any other difference is a regression.
"""

from __future__ import annotations

import sys

import pytest

from conftest import GOLDEN

sys.path.insert(0, str(GOLDEN))

from regen import golden_files

pytestmark = pytest.mark.slow  # the demo run (the example with examples/serang.toml and --report)


@pytest.fixture(scope="module")
def demo_files(demo_dir):
    return golden_files(demo_dir)


@pytest.mark.parametrize(
    "name",
    [
        "allocations.csv",
        "unmet_demand.csv",
        "unused_supply.csv",
        "rejected_rows.csv",
        "fixed_rows.csv",
        "skipped_rows.csv",
        "summary.json",
        "report.cells.json",
    ],
)
def test_demo_output_matches_golden(demo_files, name):
    expected = (GOLDEN / "demo" / name).read_bytes()
    got = demo_files[name]
    if got != expected:
        import difflib

        diff = difflib.unified_diff(
            expected.decode("utf-8", "replace").splitlines(),
            got.decode("utf-8", "replace").splitlines(),
            "golden",
            "now",
            lineterm="",
            n=1,
        )
        shown = "\n".join(list(diff)[:40])
        pytest.fail(f"{name} differs from tests/golden/demo/{name}:\n{shown}")
