"""Connected parts of a network: which nodes its arcs link, directly or through others.

Flow in one part cannot affect another, so the solves split networks into their parts
(:mod:`~umkm_alloc.allocate.solve`, the fair modes). :func:`connected_parts` numbers the parts
as SciPy's ``connected_components`` does (in the order of each part's smallest node), with
numpy alone for networks of fewer than :data:`SCIPY_ARCS` arcs while ``scipy.sparse`` is not
loaded: SciPy takes 0.2 s to import, more than a Banten-sized network takes to split (a
national run has loaded it for its KD-tree). Both give the same numbers, so which one ran
never shows.
"""

from __future__ import annotations

import sys

import numpy as np

#: Arcs from which SciPy's ``connected_components`` splits the network (3-4x faster per
#: arc than the numpy rounds below, 0.03 against 0.11 microseconds, once imported).
SCIPY_ARCS = 2_000_000


def connected_parts(n: int, tails: np.ndarray, heads: np.ndarray) -> tuple[int, np.ndarray]:
    """Return the number of parts and each node's part (arcs taken as undirected).

    Parameters
    ----------
    n
        Number of nodes (``0 .. n-1``); a node without arcs is a part of its own.
    tails, heads
        Each arc's end nodes.

    Returns
    -------
    n_parts, label
        Parts numbered ``0 .. n_parts-1`` in the order of their smallest node, exactly as
        ``scipy.sparse.csgraph.connected_components(..., directed=False)`` numbers them.
    """
    tails, heads = np.asarray(tails), np.asarray(heads)
    if len(tails) >= SCIPY_ARCS or "scipy.sparse" in sys.modules:
        return _scipy_parts(n, tails, heads)
    return _numpy_parts(n, tails, heads)


def _numpy_parts(n: int, tails: np.ndarray, heads: np.ndarray) -> tuple[int, np.ndarray]:
    root = _roots(n, tails, heads)
    is_root = root == np.arange(n)
    number = np.cumsum(is_root) - 1
    return int(is_root.sum()), number[root]


def _roots(n: int, tails: np.ndarray, heads: np.ndarray) -> np.ndarray:
    """Each node's smallest node in its part, by rounds of hooking and pointer jumping.

    A round hooks the root of every arc's larger end onto the root of its smaller end (a
    root only ever points to a smaller node, so no cycle forms), then follows pointers
    until each node points to its root; arcs whose ends share a root drop out. Every round
    hooks at least the largest root with an arc, so the rounds end; the networks of the
    benchmarks take 4-6.
    """
    index = np.int32 if n < 2**31 else np.int64
    parent = np.arange(n, dtype=index)
    u, v = tails.astype(index), heads.astype(index)
    while len(u):
        ru, rv = parent[u], parent[v]
        apart = ru != rv
        u, v, ru, rv = u[apart], v[apart], ru[apart], rv[apart]
        if not len(u):
            break
        np.minimum.at(parent, np.maximum(ru, rv), np.minimum(ru, rv))
        while True:
            grand = parent[parent]
            if np.array_equal(grand, parent):
                break
            parent = grand
    return parent


def _scipy_parts(n: int, tails: np.ndarray, heads: np.ndarray) -> tuple[int, np.ndarray]:
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    index = np.int32 if n < 2**31 else np.int64
    graph = coo_matrix(
        (np.ones(len(tails), dtype=np.int8), (tails.astype(index), heads.astype(index))),
        shape=(n, n),
    )
    n_parts, label = connected_components(graph, directed=False)
    return int(n_parts), label
