"""Run configuration: frozen dataclasses, TOML loading and option precedence.

Precedence is command line > ``--config`` file > defaults.  The CLI passes only the
options the user actually typed (``None`` for the rest) to :func:`resolve_assign`.
"""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

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
    "output": str,
    "out_dir": str,
    "report": bool,
    "strict": bool,
    "sheet": str,
    "lang": str,
}


@dataclass(frozen=True, kw_only=True)
class AssignConfig:
    """Everything one ``assign`` run needs, fully resolved.

    Attributes
    ----------
    producers, stores
        Input tables.
    max_km
        Largest road distance (km) between a producer and a store it may supply.
    circuity
        Factor turning straight-line (geodesic) distance into road distance.
    snap_m
        A point outside every kecamatan but within this many metres of one is snapped to it.
    boundaries
        ``banten`` (packaged) or the path of a polygon file.
    distance
        Distance backend; only ``geodesic`` is available in this release.
    strict
        Treat any rejected row as a failure (exit code 4).
    sheet
        Worksheet to read from ``.xlsx`` inputs (default: the first).
    """

    producers: Path
    stores: Path
    max_km: float = 20.0
    circuity: float = 1.4
    snap_m: float = 1000.0
    boundaries: str = "banten"
    distance: str = "geodesic"
    strict: bool = False
    sheet: str | None = None
    config_file: Path | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        _check_positive("--max-km", self.max_km)
        _check_positive("--snap-m", self.snap_m, allow_zero=True)
        if not (1.0 <= self.circuity <= 5.0):
            raise UsageError(
                f"--circuity {self.circuity:g} is out of range; use a factor between 1 and 5 "
                "(1.4 is typical for rural roads)"
            )
        if self.distance != "geodesic":
            raise UsageError(
                f"--distance {self.distance!r} is not available in this release; use 'geodesic'"
            )

    def params(self) -> dict[str, Any]:
        """Return the parameters that shape the result, for ``summary.json``."""
        out = asdict(self)
        out.pop("config_file")
        out["producers"] = str(self.producers)
        out["stores"] = str(self.stores)
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
        if norm in ("producers", "stores", "out_dir") or (norm == "output" and value != "-"):
            value = str(path.parent / value) if not Path(value).is_absolute() else value
        out[norm] = value
    return out


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
    return AssignConfig(**merged, config_file=config_file), outputs
