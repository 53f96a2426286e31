"""Measures: distance matrices of many site sets, from any distance function.

A *pair function* takes matched pairs of points (the i-th "from" point with the i-th "to"
point, and their keys) and returns their km and minutes (or ``None``), ``inf`` km where it
has no figure: the shape of every distance backend's ``travel``. :func:`pair_measure` asks it
for every ordered pair of every site set in one call, so a vectorised or table-based backend
answers at once; where it has no figure a *fallback* (geodesic x circuity, say) stands in and
the leg is marked estimated. :func:`per_set` adapts a function that measures one
:class:`Sites` at a time (an OSRM table request, say). :func:`backend_measure` measures with a
run's distance backend (its :meth:`~umkm_alloc.distance.DistanceBackend.leg_matrices`).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from umkm_alloc.distance.base import DistanceBackend, Points, SetCells, geodesic_km
from umkm_alloc.routes.model import Legs, LegSets, Measure, Sites, SiteSets, matrix_start

#: ``(lon1, lat1, lon2, lat2, keys1, keys2) -> (km, minutes or None)`` of matched pairs.
PairFunction = Callable[
    [np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None],
    tuple[np.ndarray, np.ndarray | None],
]


def geodesic_measure(circuity: float = 1.4) -> Measure:
    """Return the measure of ``--distance geodesic``: WGS84 geodesic km x ``circuity``.

    Parameters
    ----------
    circuity
        Road km per straight-line km.

    Returns
    -------
    Measure
        Symmetric matrices, no minutes, nothing estimated.
    """

    def pairs(
        lon1: np.ndarray,
        lat1: np.ndarray,
        lon2: np.ndarray,
        lat2: np.ndarray,
        keys1: np.ndarray | None,
        keys2: np.ndarray | None,
    ) -> tuple[np.ndarray, None]:
        return geodesic_km(lon1, lat1, lon2, lat2) * circuity, None

    return pair_measure(pairs, symmetric=True)


def backend_measure(backend: DistanceBackend, *, circuity: float = 1.4) -> Measure:
    """Return the measure of a distance backend, geodesic x ``circuity`` where it has no figure.

    Parameters
    ----------
    backend
        The run's backend; its :meth:`~umkm_alloc.distance.DistanceBackend.leg_matrices`
        measures every set at once.
    circuity
        Road km per straight-line km of the stand-in for a leg the backend has no figure for
        (a store-to-store leg a ``matrix:`` does not list, say); such legs are marked
        estimated, and their minutes unknown.

    Returns
    -------
    Measure
    """

    def measure(sets: SiteSets) -> LegSets:
        km, minutes = backend.leg_matrices(Points(sets.lon, sets.lat, sets.keys), sets.sizes)
        km = np.array(km, float)
        minutes = None if minutes is None else np.array(minutes, float)
        missing = ~np.isfinite(km)
        if not missing.any():
            return LegSets(km, minutes)
        cells = SetCells.of(sets.sizes)
        u, v = cells.u[missing], cells.v[missing]
        km[missing] = geodesic_km(sets.lon[u], sets.lat[u], sets.lon[v], sets.lat[v]) * circuity
        if minutes is not None:
            minutes[missing] = np.nan
        return LegSets(km, minutes, missing)

    return measure


def pair_measure(
    pairs: PairFunction, *, fallback: PairFunction | None = None, symmetric: bool = False
) -> Measure:
    """Return a measure that asks ``pairs`` for every ordered pair of all sets in one call.

    Parameters
    ----------
    pairs
        Distance of matched pairs; ``inf`` km where there is none.
    fallback
        Asked for the pairs ``pairs`` has no figure for; those legs are marked estimated
        (and their minutes unknown). Without one, a missing figure is an error.
    symmetric
        Whether ``pairs`` gives the same both ways (then each pair is asked once).

    Returns
    -------
    Measure
    """

    def measure(sets: SiteSets) -> LegSets:
        return _measure_all(sets, pairs, fallback, symmetric=symmetric)

    return measure


def per_set(measure_one: Callable[[Sites], Legs]) -> Measure:
    """Return a measure that calls ``measure_one`` for each site set in turn.

    Parameters
    ----------
    measure_one
        The matrices of one :class:`Sites`.

    Returns
    -------
    Measure
    """

    def measure(sets: SiteSets) -> LegSets:
        answers = [measure_one(sets[k]) for k in range(len(sets))]
        if not answers:
            return LegSets(np.zeros(0))
        timed = all(a.minutes is not None for a in answers)
        flagged = any(a.estimated is not None for a in answers)
        return LegSets(
            km=np.concatenate([np.ravel(a.km) for a in answers]).astype(float),
            minutes=np.concatenate([np.ravel(a.minutes) for a in answers]).astype(float)
            if timed
            else None,
            estimated=np.concatenate(
                [
                    np.zeros(a.km.size, bool) if a.estimated is None else np.ravel(a.estimated)
                    for a in answers
                ]
            )
            if flagged
            else None,
        )

    return measure


def _measure_all(
    sets: SiteSets, pairs: PairFunction, fallback: PairFunction | None, *, symmetric: bool
) -> LegSets:
    """Every set's matrix from one call of ``pairs`` (and of ``fallback`` where it has none)."""
    sizes = sets.sizes
    a, b, cell, mirror = _pairs_of(sizes, symmetric=symmetric)
    keys = sets.keys
    km, minutes = pairs(
        sets.lon[a], sets.lat[a], sets.lon[b], sets.lat[b], _take(keys, a), _take(keys, b)
    )
    km = np.array(km, float)
    minutes = None if minutes is None else np.array(minutes, float)
    missing = ~np.isfinite(km)
    if missing.any():
        if fallback is None:
            raise ValueError(f"the distance function gave no figure for {missing.sum()} legs")
        at = np.flatnonzero(missing)
        km[at] = np.asarray(
            fallback(
                sets.lon[a[at]],
                sets.lat[a[at]],
                sets.lon[b[at]],
                sets.lat[b[at]],
                _take(keys, a[at]),
                _take(keys, b[at]),
            )[0],
            float,
        )
        if minutes is not None:
            minutes[at] = np.nan
    total = int(matrix_start(sizes)[-1])
    return LegSets(
        km=_scatter(total, cell, mirror, km, 0.0),
        minutes=None if minutes is None else _scatter(total, cell, mirror, minutes, 0.0),
        estimated=_scatter(total, cell, mirror, missing, False) if missing.any() else None,
    )


def _pairs_of(
    sizes: np.ndarray, *, symmetric: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """Rows (a, b) of every pair to measure, its flat matrix cell, and the mirrored cell."""
    first_row = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    first_cell = matrix_start(sizes)[:-1]
    a_all, b_all, cell_all, mirror_all = [], [], [], []
    for n in np.unique(sizes):
        n = int(n)
        sets = np.flatnonzero(sizes == n)
        upper = np.triu(np.ones((n, n), bool), 1) if symmetric else ~np.eye(n, dtype=bool)
        u, v = np.nonzero(upper)
        row0, cell0 = first_row[sets][:, None], first_cell[sets][:, None]
        a_all.append((row0 + u).ravel())
        b_all.append((row0 + v).ravel())
        cell_all.append((cell0 + u * n + v).ravel())
        mirror_all.append((cell0 + v * n + u).ravel())
    if not a_all:
        empty = np.zeros(0, np.int64)
        return empty, empty, empty, empty if symmetric else None
    mirror = np.concatenate(mirror_all) if symmetric else None
    return np.concatenate(a_all), np.concatenate(b_all), np.concatenate(cell_all), mirror


def _take(keys: np.ndarray | None, index: np.ndarray) -> np.ndarray | None:
    return None if keys is None else keys[index]


def _scatter(
    total: int, cell: np.ndarray, mirror: np.ndarray | None, values: np.ndarray, zero: object
) -> np.ndarray:
    """Flat matrices with ``values`` at ``cell`` (and ``mirror``), ``zero`` on the diagonal."""
    out = np.full(total, zero, dtype=values.dtype)
    out[cell] = values
    if mirror is not None:
        out[mirror] = values
    return out
