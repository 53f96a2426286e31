"""Seeded benchmark scenarios: ``serang``, ``banten``, ``national`` and ``national-1m``.

* ``serang`` is the committed example (``examples/producers.csv``, ``examples/stores.csv``).
* ``banten`` puts 10,000 producers and 2,000 stores inside the packaged Banten kecamatan
  (``load_boundaries("banten")``): about a million eligible pairs at 20 km of road.
* ``national`` puts 100,000 producers and 42,000 stores over every kecamatan of Indonesia
  (``load_boundaries("indonesia")``): about 150,000 producer rows, 190,000 store rows and
  2.4 million eligible pairs at 20 km.
* ``national-1m`` is ``national`` with ten times the producers (1,000,000; the same 42,000
  stores, the same generator): about 1.5 million producer rows and 24 million eligible pairs.

When the national boundaries are not packaged the national scenarios raise
:class:`ScenarioUnavailable`. How points and rows are drawn: :mod:`generate`.

Files are written once per (scenario, seed, generator version, boundaries fingerprint) to
``benchmarks/.cache/<scenario>-s<seed>-g<version>-<fingerprint>/`` and reused::

    python benchmarks/scenarios.py banten [--seed 2026]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import Table, generate

if TYPE_CHECKING:
    from umkm_alloc.geo.boundaries import Boundaries

REPO = Path(__file__).resolve().parents[1]
CACHE = Path(__file__).resolve().parent / ".cache"
DEFAULT_SEED = 2026
#: Bump when the generator changes, so that cached files are rebuilt.
GENERATOR_VERSION = 3


class ScenarioUnavailable(RuntimeError):
    """The scenario cannot be generated on this checkout (e.g. boundaries not packaged)."""


@dataclass(frozen=True)
class Spec:
    """A generated scenario: sizes, boundaries and how sharply points cluster."""

    name: str
    boundaries: str
    producers: int
    stores: int
    store_skew: float
    producer_skew: float
    description: str


SPECS: dict[str, Spec] = {
    "banten": Spec(
        name="banten",
        boundaries="banten",
        producers=10_000,
        stores=2_000,
        store_skew=0.6,
        producer_skew=-1.0,
        description="10,000 producers x 2,000 stores in the 155 kecamatan of Banten",
    ),
    "national": Spec(
        name="national",
        boundaries="indonesia",
        producers=100_000,
        stores=42_000,
        store_skew=0.6,
        producer_skew=-0.65,
        description="100,000 producers x 42,000 stores over every kecamatan of Indonesia",
    ),
    "national-1m": Spec(
        name="national-1m",
        boundaries="indonesia",
        producers=1_000_000,
        stores=42_000,
        store_skew=0.6,
        producer_skew=-0.65,
        description="1,000,000 producers x 42,000 stores over every kecamatan of Indonesia",
    ),
}
SCENARIOS = ("serang", *SPECS)


@dataclass(frozen=True)
class Files:
    """The input files of a scenario and how to run them."""

    name: str
    producers: Path
    stores: Path
    boundaries: str
    meta: dict[str, object]
    generated_s: float
    cached: bool


def materialise(name: str, *, seed: int = DEFAULT_SEED, cache: Path = CACHE) -> Files:
    """Return the input files of a scenario, generating them into ``cache`` when missing.

    Parameters
    ----------
    name
        ``serang``, ``banten``, ``national`` or ``national-1m``.
    seed
        Random seed (ignored for ``serang``, which is the committed example).
    cache
        Folder for generated files.

    Raises
    ------
    ScenarioUnavailable
        The scenario's boundaries cannot be loaded on this checkout.
    """
    if name == "serang":
        p, s = REPO / "examples" / "producers.csv", REPO / "examples" / "stores.csv"
        meta = {"scenario": "serang", "description": "the Kabupaten Serang example"}
        meta.update(_row_counts(p, s))
        return Files("serang", p, s, "banten", meta, 0.0, True)
    if name not in SPECS:
        raise KeyError(f"unknown scenario {name!r}; choose from {', '.join(SCENARIOS)}")
    spec = SPECS[name]
    start = time.perf_counter()
    boundaries = _load(spec.boundaries)
    folder = cache / f"{name}-s{seed}-g{GENERATOR_VERSION}-{_fingerprint(boundaries)}"
    if (folder / "meta.json").is_file():
        meta = json.loads((folder / "meta.json").read_text())
        return Files(
            name,
            folder / "producers.csv",
            folder / "stores.csv",
            spec.boundaries,
            meta,
            time.perf_counter() - start,
            True,
        )
    producers, stores = generate(
        producers=spec.producers,
        stores=spec.stores,
        store_skew=spec.store_skew,
        producer_skew=spec.producer_skew,
        geoms=np.asarray(boundaries.geometries),
        names=boundaries.frame["nama"].to_numpy(),
        seed=seed,
    )
    p_per, s_per = producers.counts_by("product"), stores.counts_by("product")
    meta = {
        "scenario": name,
        "description": spec.description,
        "seed": seed,
        "generator_version": GENERATOR_VERSION,
        "boundaries": spec.boundaries,
        "kecamatan": len(boundaries.frame),
        "kecamatan_with_producers": producers.kecamatan,
        "kecamatan_with_stores": stores.kecamatan,
        "producers": producers.entities,
        "stores": stores.entities,
        "producer_rows": producers.rows,
        "store_rows": stores.rows,
        "supply": int(producers.columns["capacity"].sum()),
        "demand": int(stores.columns["demand"].sum()),
        "rows_per_product": {
            k: [p_per.get(k, 0), s_per.get(k, 0)] for k in sorted(set(p_per) | set(s_per))
        },
    }
    _write(folder, producers, stores, meta)
    return Files(
        name,
        folder / "producers.csv",
        folder / "stores.csv",
        spec.boundaries,
        meta,
        time.perf_counter() - start,
        False,
    )


def _load(spec: str) -> Boundaries:
    from umkm_alloc.geo.boundaries import load_boundaries

    try:
        return load_boundaries(spec)
    except Exception as exc:  # UsageError / InputError while the data is not packaged
        raise ScenarioUnavailable(
            f"boundaries {spec!r} cannot be loaded on this checkout ({exc})"
        ) from exc


def _fingerprint(boundaries: Boundaries) -> str:
    codes = "\n".join(boundaries.frame["kode"].astype(str))
    bounds = np.round(shapely.bounds(boundaries.geometries), 4).tobytes()
    return hashlib.sha1(codes.encode() + bounds).hexdigest()[:10]


def _row_counts(producers: Path, stores: Path) -> dict[str, object]:
    p = pd.read_csv(producers, dtype=str, keep_default_na=False)
    s = pd.read_csv(stores, dtype=str, keep_default_na=False)
    return {
        "producers": int(p.iloc[:, 0].nunique()),
        "stores": int(s.iloc[:, 0].nunique()),
        "producer_rows": len(p),
        "store_rows": len(s),
        "rows_per_product": {
            str(k): [int(v1), int(v2)] for k, v1, v2 in _per_product(p, s).itertuples(index=False)
        },
    }


def _per_product(producers: pd.DataFrame, stores: pd.DataFrame) -> pd.DataFrame:
    a = producers["product"].value_counts().rename("producer_rows")
    b = stores["product"].value_counts().rename("store_rows")
    both = pd.concat([a, b], axis=1).fillna(0).astype(int).sort_index()
    return both.reset_index()


def _write(folder: Path, producers: Table, stores: Table, meta: dict) -> None:
    """Write the tables and meta.json into ``folder`` atomically (temp folder, then rename)."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        producers.write_csv(tmp / "producers.csv")
        stores.write_csv(tmp / "stores.csv")
        (tmp / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")
        if folder.exists():
            shutil.rmtree(folder)
        os.replace(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def main(argv: Sequence[str] | None = None) -> int:
    """Generate (or find in the cache) the files of the named scenarios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenarios", nargs="*", default=list(SCENARIOS))
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--cache", type=Path, default=CACHE)
    args = parser.parse_args(argv)
    for name in args.scenarios:
        try:
            files = materialise(name, seed=args.seed, cache=args.cache)
        except ScenarioUnavailable as exc:
            print(f"{name}: skipped: {exc}", file=sys.stderr)
            continue
        how = "cached" if files.cached else f"generated in {files.generated_s:.1f} s"
        meta = files.meta
        print(
            f"{name}: {meta['producers']} producers ({meta['producer_rows']} rows), "
            f"{meta['stores']} stores ({meta['store_rows']} rows); {how}: {files.producers.parent}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
