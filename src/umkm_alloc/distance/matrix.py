"""``--distance matrix:PATH``: a precomputed table of producer-store distances.

The CSV (``,`` ``;`` tab or ``|``; UTF-8 with or without BOM, or Windows-1252; with ``;`` a
decimal comma is allowed) has a header and one row per listed pair, either by id::

    producer_id,store_id,distance_km[,minutes]

or by kecamatan code (every producer in the first kecamatan to every store in the second)::

    producer_kecamatan,store_kecamatan,distance_km[,minutes]

Only listed pairs are candidates, and their distances are used exactly (no circuity factor).
Pairs are directed: a row gives the trip from the producer to the store.
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from umkm_alloc.distance.base import DistanceBackend, Pairs, Points, SetCells
from umkm_alloc.errors import InputError, UsageError

#: Header aliases of each matrix column.
MATRIX_COLUMNS: dict[str, tuple[str, ...]] = {
    "producer_id": ("producer_id", "id_umkm"),
    "store_id": ("store_id", "id_toko"),
    "producer_kecamatan": ("producer_kecamatan", "kecamatan_umkm", "producer_kode"),
    "store_kecamatan": ("store_kecamatan", "kecamatan_toko", "store_kode"),
    "distance_km": ("distance_km", "km", "jarak_km"),
    "minutes": ("minutes", "duration_min", "menit", "waktu_menit"),
}
_CODE = re.compile(r"^\d{2}\.\d{2}\.\d{2}$")
_SHOW = 10


@dataclass(frozen=True)
class MatrixTable:
    """A checked distance matrix.

    Attributes
    ----------
    frame
        ``pk``, ``sk`` (producer and store key), ``km``, ``minutes`` (NaN without a column).
    keyed_by
        ``id`` or ``kecamatan``.
    has_minutes
        Whether the file has a minutes column.
    """

    frame: pd.DataFrame
    keyed_by: str
    has_minutes: bool


def _normalise(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().lower())


def _decode(data: bytes, path: Path) -> str:
    for encoding in ("utf-16",) if data.startswith((b"\xff\xfe", b"\xfe\xff")) else ():
        try:
            return data.decode(encoding)
        except UnicodeDecodeError as exc:
            raise InputError(f"{path}: broken UTF-16 text; save it as CSV UTF-8") from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _delimiter(text: str) -> str:
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    counts = {d: len(next(csv.reader([first], delimiter=d), [])) for d in (",", ";", "\t", "|")}
    return max(counts, key=lambda d: (counts[d], d == ","))


def read_matrix(path: Path) -> MatrixTable:
    """Read and check a distance matrix; every bad row is reported, not just the first.

    Parameters
    ----------
    path
        The CSV file.

    Returns
    -------
    MatrixTable

    Raises
    ------
    InputError
        When the file cannot be read, lacks a column, or has bad rows (each named by line,
        column and value).
    """
    try:
        text = _decode(path.read_bytes(), path)
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror}); check the file") from exc
    delim = _delimiter(text)
    try:
        raw = pd.read_csv(
            io.StringIO(text), sep=delim, dtype=str, keep_default_na=False, skip_blank_lines=True
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputError(
            f"{path}: not a readable CSV distance matrix ({exc}); save it as CSV"
        ) from exc
    raw = raw.fillna("")
    columns = _map_columns(list(raw.columns), path)
    keyed_by = "id" if "producer_id" in columns else "kecamatan"
    key_cols = (
        ("producer_id", "store_id")
        if keyed_by == "id"
        else ("producer_kecamatan", "store_kecamatan")
    )
    has_minutes = "minutes" in columns
    lines = np.arange(len(raw)) + 2
    problems: list[tuple[int, str]] = []

    def key(col: str) -> np.ndarray:
        values = raw[columns[col]].astype(str).str.strip().to_numpy(dtype=object)
        for line, value in zip(lines, values, strict=True):
            if not value:
                problems.append((int(line), f"{col} is empty; fill it in"))
            elif keyed_by == "kecamatan" and not _CODE.match(value):
                problems.append(
                    (
                        int(line),
                        f"{col} {value!r} is not a kecamatan code like 36.04.12; give the code",
                    )
                )
        return values

    def number(col: str) -> np.ndarray:
        texts = raw[columns[col]].astype(str).str.strip()
        if delim == ";":
            texts = texts.str.replace(",", ".", regex=False)
        values = pd.to_numeric(texts, errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(values) | (values < 0)
        for line, value in zip(lines[bad], raw[columns[col]].to_numpy()[bad], strict=True):
            unit = "km" if col == "distance_km" else "minutes"
            problems.append((int(line), f"{col} {value!r} is not a number >= 0; give it in {unit}"))
        return values

    pk, sk = key(key_cols[0]), key(key_cols[1])
    km = number("distance_km")
    minutes = number("minutes") if has_minutes else np.full(len(raw), np.nan)
    frame = pd.DataFrame({"pk": pk, "sk": sk, "km": km, "minutes": minutes, "line": lines})
    dup = frame.duplicated(["pk", "sk"], keep="first")
    if dup.any():
        first_line = frame.drop_duplicates(["pk", "sk"]).set_index(["pk", "sk"])["line"]
        for row in frame[dup].itertuples(index=False):
            problems.append(
                (
                    int(row.line),
                    f"the pair {row.pk} -> {row.sk} repeats line "
                    f"{first_line[(row.pk, row.sk)]}; keep one row per pair",
                )
            )
    if problems:
        problems.sort(key=lambda p: p[0])
        shown = [f"{path}, line {line}: {text}" for line, text in problems[:_SHOW]]
        more = [f"... and {len(problems) - _SHOW} more"] if len(problems) > _SHOW else []
        raise InputError(
            "\n".join(
                [
                    f"{path}: {len(problems)} problem(s) in the distance matrix; fix them:",
                    *shown,
                    *more,
                ]
            )
        )
    if frame.empty:
        raise InputError(f"{path}: the distance matrix has no rows; list at least one pair")
    return MatrixTable(frame.drop(columns="line"), keyed_by, has_minutes)


def _map_columns(header: list[str], path: Path) -> dict[str, str]:
    found: dict[str, str] = {}
    for name in header:
        norm = _normalise(str(name))
        for col, aliases in MATRIX_COLUMNS.items():
            if norm in aliases and col not in found:
                found[col] = name
    by_id = {"producer_id", "store_id"} <= set(found)
    by_kec = {"producer_kecamatan", "store_kecamatan"} <= set(found)
    missing = [] if "distance_km" in found else ["distance_km"]
    if not (by_id or by_kec):
        missing.insert(0, "producer_id and store_id (or producer_kecamatan and store_kecamatan)")
    if missing:
        shown = ", ".join(str(h) for h in header) or "nothing"
        raise InputError(
            f"{path}: the distance matrix lacks {' and '.join(missing)}; its header has: {shown}. "
            "Give producer_id,store_id,distance_km[,minutes] or "
            "producer_kecamatan,store_kecamatan,distance_km[,minutes]"
        )
    return found


class MatrixBackend(DistanceBackend):
    """Listed distances (and travel times) between producers and stores, used exactly.

    Parameters
    ----------
    path
        The CSV file.
    need_minutes
        Fail at once (exit 2) when the file has no minutes column.
    """

    name = "matrix"
    route_word = "listed"
    straight_line_bound = False

    def __init__(self, path: Path, *, need_minutes: bool = False) -> None:
        import hashlib

        self.path = Path(path)
        self.sha256 = hashlib.sha256(self.path.read_bytes()).hexdigest()
        table = read_matrix(self.path)
        self.table = table.frame
        self.keyed_by = table.keyed_by
        self.has_minutes = table.has_minutes
        if need_minutes and not self.has_minutes:
            raise UsageError(_NO_MINUTES.format(path=self.path))
        self._listed = {
            "producer": frozenset(self.table["pk"]),
            "store": frozenset(self.table["sk"]),
        }

    def params(self) -> dict[str, object]:
        """Backend, file, its hash, key kind, listed pairs and whether it has minutes."""
        return {
            "backend": self.name,
            "source": str(self.path),
            "sha256": self.sha256,
            "keyed_by": self.keyed_by,
            "pairs": len(self.table),
            "minutes": self.has_minutes,
        }

    def describe(self) -> str:
        """Return ``distance matrix (distances.csv)``."""
        return f"distance matrix ({self.path.name})"

    def _keys(self, points: Points, what: str) -> np.ndarray:
        if points.keys is None:
            raise ValueError(f"the matrix backend needs {what} keys ({self.keyed_by})")
        return points.keys

    def pairs_within(
        self,
        producers: Points,
        stores: Points,
        *,
        max_km: float,
        max_minutes: float | None = None,
    ) -> Pairs:
        """Return the listed pairs within ``max_km`` (and ``max_minutes``) of the points' keys."""
        if max_minutes is not None and not self.has_minutes:
            raise UsageError(_NO_MINUTES.format(path=self.path))
        p = pd.DataFrame(
            {"left": np.arange(len(producers)), "pk": self._keys(producers, "producer")}
        )
        s = pd.DataFrame({"right": np.arange(len(stores)), "sk": self._keys(stores, "store")})
        found = self.table.merge(p, on="pk").merge(s, on="sk")
        km = found["km"].to_numpy(float)
        keep = km <= max_km
        minutes = None
        if self.has_minutes:
            minutes = found["minutes"].to_numpy(float)
            if max_minutes is not None:
                keep &= minutes <= max_minutes
            minutes = minutes[keep]
        return Pairs(
            found["left"].to_numpy(np.int64)[keep],
            found["right"].to_numpy(np.int64)[keep],
            km[keep],
            minutes,
        ).sorted()

    def travel(
        self,
        producers: Points,
        stores: Points,
        *,
        max_km: float = math.inf,
        max_minutes: float = math.inf,
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Return listed km and minutes of matched pairs; ``inf`` for pairs not listed."""
        asked = pd.DataFrame(
            {"pk": self._keys(producers, "producer"), "sk": self._keys(stores, "store")}
        )
        found = asked.merge(self.table, on=["pk", "sk"], how="left")
        km = found["km"].to_numpy(float, copy=True)
        km[np.isnan(km)] = np.inf
        if not self.has_minutes:
            return km, None
        minutes = found["minutes"].to_numpy(float, copy=True)
        minutes[np.isnan(minutes)] = np.inf
        return km, minutes

    def leg_matrices(
        self, points: Points, sizes: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Return listed km (and minutes) between the points of each set (``inf``: not listed).

        By id, the file lists producer -> store: that figure serves the way out and the ride
        home, and a store-to-store leg is never listed. By kecamatan code, any leg ``a -> b``
        is the row ``a, b``, else the row ``b, a``.
        """
        cells = SetCells.of(sizes)
        keys = self._keys(points, "producer")
        off = cells.u != cells.v
        if self.keyed_by == "id":  # only producer <-> store legs can be listed
            out = cells.depot[cells.u]
            ask = off & (out | cells.depot[cells.v])
            pk = np.where(out, keys[cells.u], keys[cells.v])[ask]
            sk = np.where(out, keys[cells.v], keys[cells.u])[ask]
            km_ask, min_ask = self._lookup(pk, sk)
        else:
            ask = off
            km_ask, min_ask = self._lookup(keys[cells.u][ask], keys[cells.v][ask])
            back_km, back_min = self._lookup(keys[cells.v][ask], keys[cells.u][ask])
            missing = np.isinf(km_ask)
            km_ask[missing], min_ask[missing] = back_km[missing], back_min[missing]
        km = np.where(off, np.inf, 0.0)
        km[ask] = km_ask
        if not self.has_minutes:
            return km, None
        minutes = np.where(off, np.inf, 0.0)
        minutes[ask] = min_ask
        return km, minutes

    def _lookup(self, pk: np.ndarray, sk: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Km and minutes of the listed rows (pk, sk); ``inf`` where none (NaN: no minutes)."""
        found = pd.DataFrame({"pk": pk, "sk": sk}).merge(self.table, on=["pk", "sk"], how="left")
        km = found["km"].to_numpy(float, copy=True)
        minutes = found["minutes"].to_numpy(float, copy=True)
        listed = ~np.isnan(km)
        km[~listed], minutes[~listed] = np.inf, np.inf
        return km, minutes

    def unroutable(self, points: Points, *, side: str) -> list[str]:
        """Return ``producer P7 is not listed in distances.csv`` for keys the file never names."""
        listed = self._listed[side]
        column = f"{side}_id" if self.keyed_by == "id" else f"{side}_kecamatan"
        what = side if self.keyed_by == "id" else f"the {side}'s kecamatan"
        return [
            "" if k in listed else f"{what} {k} is not listed in {self.path.name} ({column})"
            for k in self._keys(points, side)
        ]


_NO_MINUTES = (
    "--max-minutes needs travel times but {path} has no minutes column; add one "
    "(producer_id,store_id,distance_km,minutes) or bound the distance with --max-km"
)
