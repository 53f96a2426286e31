"""Connected parts: numpy's rounds give SciPy's parts, numbered as SciPy numbers them.

This process has SciPy loaded (the reference), so :func:`connected_parts` itself would take
SciPy's path: the numpy path is called directly.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from umkm_alloc.allocate import parts
from umkm_alloc.allocate.parts import connected_parts


def scipy_parts(n: int, tails: np.ndarray, heads: np.ndarray) -> tuple[int, np.ndarray]:
    graph = coo_matrix((np.ones(len(tails)), (tails, heads)), shape=(n, n))
    k, label = connected_components(graph, directed=False)
    return int(k), label


def assert_same_parts(got: tuple[int, np.ndarray], want: tuple[int, np.ndarray]) -> None:
    assert got[0] == want[0]
    np.testing.assert_array_equal(got[1], want[1])


@st.composite
def graphs(draw: st.DrawFn) -> tuple[int, np.ndarray, np.ndarray]:
    n = draw(st.integers(1, 60))
    m = draw(st.integers(0, 120))
    ends = st.integers(0, n - 1)
    tails = np.array(draw(st.lists(ends, min_size=m, max_size=m)), dtype=np.int64)
    heads = np.array(draw(st.lists(ends, min_size=m, max_size=m)), dtype=np.int64)
    return n, tails, heads


@settings(max_examples=300, deadline=None)
@given(graphs())
def test_numpy_parts_are_scipys_parts_with_scipys_numbers(graph) -> None:
    n, tails, heads = graph
    assert_same_parts(parts._numpy_parts(n, tails, heads), scipy_parts(n, tails, heads))


def test_long_chains_and_stars_in_shuffled_order() -> None:
    """Paths and stars numbered against their order: the hooking needs several rounds."""
    rng = np.random.default_rng(7)
    n = 5000
    order = rng.permutation(n)
    chain = np.stack([order[:-1], order[1:]])  # one long path through every node, shuffled
    star = np.stack([np.full(n - 1, order[-1]), order[:-1]])
    for tails, heads in (chain, star, np.concatenate([chain[:, :2000], star[:, 3000:]], axis=1)):
        assert_same_parts(parts._numpy_parts(n, tails, heads), scipy_parts(n, tails, heads))


def test_connected_parts_is_the_same_on_either_path() -> None:
    rng = np.random.default_rng(3)
    tails, heads = rng.integers(0, 400, 300), rng.integers(0, 400, 300)
    got = connected_parts(400, tails, heads)  # SciPy's path here
    assert_same_parts(got, parts._numpy_parts(400, tails, heads))


def test_a_small_split_does_not_load_scipy() -> None:
    """SciPy takes 0.2 s to import: without it loaded, a network below SCIPY_ARCS is split
    by numpy (and the parts are right)."""
    code = (
        "import sys, numpy as np\n"
        "from umkm_alloc.allocate.parts import connected_parts\n"
        "k, label = connected_parts(5, np.array([0, 3]), np.array([1, 4]))\n"
        "print(k, label.tolist(), 'scipy' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "3 [0, 0, 1, 2, 2] False"
