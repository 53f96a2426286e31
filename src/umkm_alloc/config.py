"""Run configuration: frozen dataclasses, TOML loading and option precedence.

Precedence is command line > ``--config`` file > defaults.  The CLI passes only the
options the user actually typed (``None`` for the rest) to :func:`resolve_assign`.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from umkm_alloc.distance.spec import DistanceSpec, parse_distance_spec
from umkm_alloc.errors import ConfigError, UsageError

#: Options an ``[assign]`` table may hold, with their types.
ASSIGN_KEYS: dict[str, type] = {
    "producers": str,
    "stores": str,
    "max_km": float,
    "circuity": float,
    "snap_m": float,
    "boundaries": str,
    "distance": str,
    "max_minutes": float,
    "max_snap_m": float,
    "osm_cache": str,
    "osrm_table_size": int,
    "osrm_timeout": float,
    "osrm_retries": int,
    "output": str,
    "out_dir": str,
    "report": bool,
    "strict": bool,
    "sheet": str,
    "header_row": int,
    "lang": str,
}
#: Options of a run that do not change its result (not recorded in ``summary.json``).
NOT_RESULT_PARAMS = ("config_file", "osm_cache", "osrm_table_size", "osrm_timeout", "osrm_retries")


@dataclass(frozen=True, kw_only=True)
class AssignConfig:
    """Everything one ``assign`` run needs, fully resolved.

    Attributes
    ----------
    producers, stores
        Input tables.
    max_km
        Largest road distance (km) between a producer and a store it may supply;
        ``math.inf`` for none (only with ``max_minutes``).
    max_minutes
        Largest travel time (minutes), or ``None``. Needs a backend with travel times
        (``osm:``, ``osrm:``, or ``matrix:`` with a minutes column).
    circuity
        Factor turning straight-line (geodesic) distance into road distance (``geodesic`` only).
    snap_m
        A point outside every kecamatan but within this many metres of one is snapped to it.
    boundaries
        ``banten`` (packaged) or the path of a polygon file.
    distance
        Distance backend: ``geodesic``, ``osm:PATH``, ``matrix:PATH`` or ``osrm:URL``.
    max_snap_m
        ``osm:`` and ``osrm:``: a point farther than this (metres) from every road gets no road
        route (it is reported, never joined to a far road).
    osm_cache
        Folder of the parsed-graph cache of ``osm:`` (default: ``$UMKM_ALLOC_CACHE``, else
        ``$XDG_CACHE_HOME/umkm-alloc``, else ``~/.cache/umkm-alloc``).
    osrm_table_size
        ``osrm:``: largest number of sources and of destinations of one table request (the
        server's ``--max-table-size``, 100 by default).
    osrm_timeout, osrm_retries
        ``osrm:``: seconds to wait for one answer, and how often to try again (with backoff).
    strict
        Treat any rejected row as a failure (exit code 4).
    sheet
        Worksheet to read from workbook inputs (``.xlsx``, ``.xls``, ``.ods``): a name,
        ``all`` (every sheet that has the header), or ``None`` for the first.
    header_row
        Line (sheet row) of the header in both inputs; ``None`` finds it in the first 30 rows.
    """

    producers: Path
    stores: Path
    max_km: float = 20.0
    max_minutes: float | None = None
    circuity: float = 1.4
    snap_m: float = 1000.0
    boundaries: str = "banten"
    distance: str = "geodesic"
    max_snap_m: float = 2000.0
    osm_cache: str | None = None
    osrm_table_size: int = 100
    osrm_timeout: float = 30.0
    osrm_retries: int = 3
    strict: bool = False
    sheet: str | None = None
    header_row: int | None = None
    config_file: Path | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if not (self.max_km == math.inf and self.max_minutes is not None):
            _check_positive("--max-km", self.max_km)
        if self.max_minutes is not None:
            _check_positive("--max-minutes", self.max_minutes)
        _check_positive("--snap-m", self.snap_m, allow_zero=True)
        _check_positive("--max-snap-m", self.max_snap_m)
        _check_positive("--osrm-timeout", self.osrm_timeout)
        if not (1.0 <= self.circuity <= 5.0):
            raise UsageError(
                f"--circuity {self.circuity:g} is out of range; use a factor between 1 and 5 "
                "(1.4 is typical for rural roads)"
            )
        if self.osrm_table_size < 2:
            raise UsageError(
                f"--osrm-table-size {self.osrm_table_size} is too small; give the server's "
                "--max-table-size (100 by default)"
            )
        if self.header_row is not None and self.header_row < 1:
            raise UsageError(
                f"--header-row {self.header_row} is not allowed; give the line of the column "
                "names, 1 or more"
            )
        if self.osrm_retries < 0:
            raise UsageError(f"--osrm-retries {self.osrm_retries} is not allowed; give 0 or more")
        spec = parse_distance_spec(self.distance)
        if self.max_minutes is not None and spec.scheme == "geodesic":
            raise UsageError(
                f"--max-minutes {self.max_minutes:g} needs travel times, which the geodesic "
                "backend does not have; use --max-km, or a backend with times: --distance "
                "osm:PATH, osrm:URL or matrix:PATH with a minutes column"
            )

    @property
    def distance_spec(self) -> DistanceSpec:
        """Return the parsed ``--distance`` value."""
        return parse_distance_spec(self.distance, check_files=False)

    def limits_text(self) -> str:
        """Return the distance and time bounds in words: ``max 20 km``, ``max 30 min``."""
        parts = [] if self.max_km == math.inf else [f"{self.max_km:g} km"]
        if self.max_minutes is not None:
            parts.append(f"{self.max_minutes:g} min")
        return "max " + " and ".join(parts)

    def params(self) -> dict[str, Any]:
        """Return the parameters that shape the result, for ``summary.json``."""
        out = asdict(self)
        for key in NOT_RESULT_PARAMS:
            out.pop(key)
        out["producers"] = str(self.producers)
        out["stores"] = str(self.stores)
        if out["max_km"] == math.inf:
            out["max_km"] = None
        return out


def _check_positive(option: str, value: float, *, allow_zero: bool = False) -> None:
    ok = value >= 0 if allow_zero else value > 0
    if not ok or value != value or value in (float("inf"), float("-inf")):
        bound = ">= 0" if allow_zero else "> 0"
        raise UsageError(f"{option} {value:g} is not allowed; give a number {bound}")


def load_toml(path: Path) -> dict[str, Any]:
    """Read a TOML configuration file.

    Parameters
    ----------
    path
        The ``--config`` file.

    Returns
    -------
    dict
        The parsed document.
    """
    if not path.is_file():
        raise UsageError(f"--config {path}: no such file; check the path")
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"{path}: not valid TOML ({exc}); fix the syntax at that position"
        ) from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text; save it as UTF-8") from exc


def assign_table(doc: dict[str, Any], path: Path) -> dict[str, Any]:
    """Return the checked ``[assign]`` table of a config document, keys normalised.

    Relative ``producers``, ``stores`` and ``out_dir`` paths are taken relative to the
    config file's folder, so a scheduled job works from any working directory.
    """
    raw = doc.get("assign", {})
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: 'assign' must be a table ([assign]), not {raw!r}")
    out: dict[str, Any] = {}
    for key, value in raw.items():
        norm = key.replace("-", "_")
        if norm not in ASSIGN_KEYS:
            raise ConfigError(
                f"{path}: unknown key assign.{key}; allowed keys: {', '.join(sorted(ASSIGN_KEYS))}"
            )
        want = ASSIGN_KEYS[norm]
        if want is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, want) or (want is not bool and isinstance(value, bool)):
            raise ConfigError(
                f"{path}: assign.{key} = {value!r} must be a {want.__name__}; fix the value"
            )
        if norm in ("producers", "stores", "out_dir", "osm_cache") or (
            norm == "output" and value != "-"
        ):
            value = _beside(path, str(value))
        if norm == "distance":
            value = _distance_beside(path, str(value))
        out[norm] = value
    return out


def _beside(config_path: Path, value: str) -> str:
    """Return a path of the config file taken relative to the file's folder."""
    return str(config_path.parent / value) if not Path(value).is_absolute() else value


def _distance_beside(config_path: Path, value: str) -> str:
    """Return ``osm:PATH`` / ``matrix:PATH`` with PATH taken relative to the config file."""
    scheme, sep, target = value.partition(":")
    if sep and scheme.strip().lower() in ("osm", "matrix") and target.strip():
        return f"{scheme}:{_beside(config_path, target.strip())}"
    return value


def resolve_assign(
    cli: dict[str, Any], *, config_file: Path | None = None
) -> tuple[AssignConfig, dict[str, Any]]:
    """Merge command-line options over the config file over the defaults.

    Parameters
    ----------
    cli
        Options the user gave on the command line; ``None`` means "not given".
    config_file
        The ``--config`` TOML file, if any.

    Returns
    -------
    AssignConfig, dict
        The run configuration, and the output options (``output``, ``out_dir``, ``report``)
        which belong to the CLI, not to the library.

    Notes
    -----
    ``max_minutes`` given without ``max_km`` (on the command line or in the file) bounds the
    travel time *instead of* the distance: no km bound applies, except the categories'
    ``max_km``. Given together, both bounds apply.
    """
    file_values: dict[str, Any] = {}
    if config_file is not None:
        file_values = assign_table(load_toml(config_file), config_file)
    merged = {**file_values, **{k: v for k, v in cli.items() if v is not None}}
    for key in ("producers", "stores"):
        if not merged.get(key):
            raise UsageError(
                f"missing {key.upper()} table; give it as an argument "
                f"or as assign.{key} in the --config file"
            )
    output_keys = ("output", "out_dir", "report", "lang")
    outputs = {k: merged.pop(k) for k in output_keys if k in merged}
    merged.pop("quiet", None)
    merged["producers"] = Path(merged["producers"])
    merged["stores"] = Path(merged["stores"])
    if merged.get("max_minutes") is not None and merged.get("max_km") is None:
        merged["max_km"] = math.inf
    return AssignConfig(**merged, config_file=config_file), outputs
