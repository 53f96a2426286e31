"""Fixtures of the report tests: the small job (tests/reportjob.py) and the example, with files."""

from __future__ import annotations

import pytest

from reportjob import PRODUCERS, STORES, assign_small
from umkm_alloc.report import report_files, result_files


@pytest.fixture(scope="module")
def small_dir(tmp_path_factory):
    """A folder holding the small job's producers.csv and stores.csv."""
    folder = tmp_path_factory.mktemp("small")
    (folder / "producers.csv").write_text(PRODUCERS, encoding="utf-8")
    (folder / "stores.csv").write_text(STORES, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def small(small_dir):
    """The small job's Result."""
    return assign_small(small_dir)


@pytest.fixture(scope="module")
def example(example_result):
    """The example's Result, its --report files and its tables (bytes by file name)."""
    return example_result, report_files(example_result), result_files(example_result)
