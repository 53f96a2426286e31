"""Run configuration: the job options, the ``[assign]`` table and option precedence.

:class:`AssignConfig` (what the library needs) and :class:`OutputOptions` (what the command
writes) are the single source of the job options: the keys an ``[assign]`` table may hold,
and their types, are their fields. Precedence is command line > ``--config`` file > defaults;
the commands pass only the options the user actually typed (``None`` for the rest) to
:func:`resolve_assign`, which reads the file once and keeps the parsed document on the config
for the rules parser.
"""

from __future__ import annotations

import functools
import math
import tomllib
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import Field, dataclass, field, fields
from pathlib import Path
from typing import Any

from umkm_alloc.distance.spec import DistanceSpec, parse_distance_spec
from umkm_alloc.errors import ConfigError, UsageError
from umkm_alloc.labels import check_lang

#: Options of a run that do not change its result (not recorded in ``summary.json``).
NOT_RESULT_PARAMS = ("osm_cache", "osrm_table_size", "osrm_timeout", "osrm_retries", "jobs")


# ------------------------------------------------------- values of the file, relative to it


def _beside(config_path: Path, value: str) -> str:
    """Return a path of the config file taken relative to the file's folder."""
    return str(config_path.parent / value) if not Path(value).is_absolute() else value


def _output_beside(config_path: Path, value: str) -> str:
    """Return an output path relative to the config file; ``-`` (stdout) stays."""
    return value if value == "-" else _beside(config_path, value)


def _distance_beside(config_path: Path, value: str) -> str:
    """Return ``osm:PATH`` / ``matrix:PATH`` with PATH taken relative to the config file."""
    scheme, sep, target = value.partition(":")
    if sep and scheme.strip().lower() in ("osm", "matrix") and target.strip():
        return f"{scheme}:{_beside(config_path, target.strip())}"
    return value


def _path(beside: Callable[[Path, str], str] = _beside) -> dict[str, Any]:
    """Field metadata: a config-file value is taken relative to the file's folder."""
    return {"beside": beside}


#: Field metadata of what is not an option (not an ``[assign]`` key, not a parameter).
_INTERNAL: dict[str, Any] = {"option": False}


# ---------------------------------------------------------------------------- the options


@dataclass(frozen=True, kw_only=True)
class AssignConfig:
    """Everything one ``assign`` run needs, fully resolved.

    Every field but ``config_file`` is also a key of the ``[assign]`` table and an option of
    the commands (``max_km`` is ``--max-km``). Paths may be given as ``str`` or
    :class:`~pathlib.Path`.

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
        ``banten`` (packaged), ``indonesia`` (packaged) or the path of a polygon file.
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
        Stop with :class:`~umkm_alloc.errors.StrictError` (exit code 4) right after the
        inputs are read when any row was rejected: nothing is solved or written.
    sheet
        Worksheet to read from workbook inputs (``.xlsx``, ``.xls``, ``.ods``): a name,
        ``all`` (every sheet that has the header), or ``None`` for the first.
    header_row
        Line (sheet row) of the header in both inputs; ``None`` finds it in the first 30 rows.
    jobs
        Worker processes at most (``None``: one per core); never changes the result.
    config_file
        The TOML file of the supply rules (``[zones]``, ``[rules]`` ...), read once, when the
        config is made. Its ``[assign]`` table is applied by :meth:`from_file` and
        :func:`resolve_assign`, not here.
    """

    producers: Path = field(metadata=_path())
    stores: Path = field(metadata=_path())
    max_km: float = 20.0
    max_minutes: float | None = None
    circuity: float = 1.4
    snap_m: float = 1000.0
    boundaries: str = "banten"
    distance: str = field(default="geodesic", metadata=_path(_distance_beside))
    max_snap_m: float = 2000.0
    osm_cache: str | None = field(default=None, metadata=_path())
    osrm_table_size: int = 100
    osrm_timeout: float = 30.0
    osrm_retries: int = 3
    strict: bool = False
    sheet: str | None = None
    header_row: int | None = None
    jobs: int | None = None
    config_file: Path | None = field(default=None, compare=False, metadata=_INTERNAL)
    #: The parsed ``config_file`` (read by :func:`resolve_assign`, else when the config is made).
    config_doc: Mapping[str, Any] | None = field(
        default=None, compare=False, repr=False, metadata=_INTERNAL
    )
    _distance_spec: DistanceSpec = field(init=False, compare=False, repr=False, metadata=_INTERNAL)

    def __post_init__(self) -> None:
        _coerce_paths(self)
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
        if self.jobs is not None and self.jobs < 1:
            raise UsageError(f"--jobs {self.jobs} is not allowed; give 1 or more worker processes")
        spec = parse_distance_spec(self.distance)
        if self.max_minutes is not None and spec.scheme == "geodesic":
            raise UsageError(
                f"--max-minutes {self.max_minutes:g} needs travel times, which the geodesic "
                "backend does not have; use --max-km, or a backend with times: --distance "
                "osm:PATH, osrm:URL or matrix:PATH with a minutes column"
            )
        object.__setattr__(self, "_distance_spec", spec)
        if self.config_file is not None and self.config_doc is None:
            object.__setattr__(self, "config_doc", load_toml(self.config_file))

    @classmethod
    def from_file(cls, config_file: str | Path, **options: Any) -> AssignConfig:
        """Make the config of a job file: its ``[assign]`` table, then ``options`` over it.

        Parameters
        ----------
        config_file
            A TOML file as for ``umkm-alloc assign --config``; relative paths in it are
            relative to the file.
        **options
            Fields of :class:`AssignConfig` that override the file (``max_km=15``).

        Returns
        -------
        AssignConfig
            The output keys of the file (``output``, ``out_dir``, ``report``, ``lang``) are
            the command's; give them to :func:`umkm_alloc.write_result`.
        """
        unknown = sorted(set(options) - set(_option_fields(cls)))
        if unknown:
            raise TypeError(f"AssignConfig.from_file() got unknown options: {', '.join(unknown)}")
        return resolve_assign(options, config_file=Path(config_file))[0]

    @property
    def distance_spec(self) -> DistanceSpec:
        """Return the ``--distance`` value as parsed (once) when the config was made."""
        return self._distance_spec

    def limits_text(self) -> str:
        """Return the distance and time bounds in words: ``max 20 km``, ``max 30 min``."""
        parts = [] if self.max_km == math.inf else [f"{self.max_km:g} km"]
        if self.max_minutes is not None:
            parts.append(f"{self.max_minutes:g} min")
        return "max " + " and ".join(parts)

    def params(self) -> dict[str, Any]:
        """Return the parameters that shape the result, for ``summary.json``."""
        out = {
            name: getattr(self, name)
            for name in _option_fields(type(self))
            if name not in NOT_RESULT_PARAMS
        }
        out["producers"] = str(self.producers)
        out["stores"] = str(self.stores)
        if out["max_km"] == math.inf:
            out["max_km"] = None
        return out


@dataclass(frozen=True, kw_only=True)
class OutputOptions:
    """Where a command writes a run's tables: the output options of ``assign``.

    Attributes
    ----------
    output
        The allocations CSV: a path, ``-`` for stdout, or ``None`` (into ``out_dir`` when it
        is given, else stdout).
    out_dir
        Folder for every table and ``summary.json``.
    report
        Also write the workbook, the maps and the GeoPackage into ``out_dir``.
    lang
        ``en`` or ``id``: language of the summary, the workbook and the maps.
    """

    output: str | None = field(default=None, metadata=_path(_output_beside))
    out_dir: Path | None = field(default=None, metadata=_path())
    report: bool = False
    lang: str = "en"

    def __post_init__(self) -> None:
        _coerce_paths(self)
        check_lang(self.lang)

    @property
    def allocations_to(self) -> str | None:
        """Return where the allocations CSV goes: ``output``, else ``-`` without ``out_dir``."""
        return self.output or ("-" if self.out_dir is None else None)


def _option_fields(cls: type) -> dict[str, Field[Any]]:
    """Return the option fields of an options dataclass, by name, in field order."""
    return {f.name: f for f in fields(cls) if f.metadata.get("option", True)}


def _coerce_paths(options: AssignConfig | OutputOptions) -> None:
    """Turn ``str`` values of the path-typed fields into :class:`~pathlib.Path`."""
    for f in fields(options):
        value = getattr(options, f.name, None)
        if isinstance(value, str) and _is_path(_hints(type(options))[f.name]):
            object.__setattr__(options, f.name, Path(value))


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    """Return the evaluated annotations of a dataclass."""
    return typing.get_type_hints(cls)


def _is_path(hint: Any) -> bool:
    """Return whether an annotation is ``Path`` or ``Path | None``."""
    return hint is Path or (isinstance(hint, types.UnionType) and Path in typing.get_args(hint))


def _toml_type(hint: Any) -> type:
    """Return the TOML type of a field's annotation: ``X | None`` -> X; a path is a string."""
    if _is_path(hint):
        return str
    if isinstance(hint, types.UnionType):
        (hint,) = (arg for arg in typing.get_args(hint) if arg is not type(None))
    return hint


def _check_positive(option: str, value: float, *, allow_zero: bool = False) -> None:
    ok = value >= 0 if allow_zero else value > 0
    if not ok or value != value or value in (float("inf"), float("-inf")):
        bound = ">= 0" if allow_zero else "> 0"
        raise UsageError(f"{option} {value:g} is not allowed; give a number {bound}")


#: The fields behind each ``[assign]`` key: the options of the run, then the output options.
_FIELDS: dict[str, tuple[type, Field[Any]]] = {
    name: (cls, f)
    for cls in (AssignConfig, OutputOptions)
    for name, f in _option_fields(cls).items()
}
#: Options an ``[assign]`` table may hold, with their TOML types (derived from the fields).
ASSIGN_KEYS: dict[str, type] = {
    name: _toml_type(_hints(cls)[name]) for name, (cls, _f) in _FIELDS.items()
}


# ----------------------------------------------------------------------- the config file


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


def assign_table(doc: Mapping[str, Any], path: Path) -> dict[str, Any]:
    """Return the checked ``[assign]`` table of a config document, keys normalised.

    Relative paths (``producers``, ``stores``, ``output``, ``out_dir``, ``osm_cache`` and the
    PATH of ``osm:PATH`` / ``matrix:PATH``) are taken relative to the config file's folder, so
    a scheduled job works from any working directory.
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
        beside = _FIELDS[norm][1].metadata.get("beside")
        out[norm] = beside(path, value) if beside else value
    return out


def resolve_assign(
    cli: Mapping[str, Any], *, config_file: Path | None = None
) -> tuple[AssignConfig, OutputOptions]:
    """Merge command-line options over the config file over the defaults.

    Parameters
    ----------
    cli
        Options the user gave, by field name of :class:`AssignConfig` or
        :class:`OutputOptions`; ``None`` means "not given".
    config_file
        The ``--config`` TOML file, if any; it is read here, once.

    Returns
    -------
    AssignConfig, OutputOptions
        The run configuration (carrying the parsed file for the rules), and the output
        options, which belong to the command, not to the library.

    Notes
    -----
    ``max_minutes`` given without ``max_km`` (on the command line or in the file) bounds the
    travel time *instead of* the distance: no km bound applies, except the categories'
    ``max_km``. Given together, both bounds apply.
    """
    unknown = sorted(set(cli) - set(ASSIGN_KEYS))
    if unknown:
        raise TypeError(f"resolve_assign() got unknown options: {', '.join(unknown)}")
    doc: dict[str, Any] | None = None
    file_values: dict[str, Any] = {}
    if config_file is not None:
        doc = load_toml(config_file)
        file_values = assign_table(doc, config_file)
    merged = {**file_values, **{k: v for k, v in cli.items() if v is not None}}
    for key in ("producers", "stores"):
        if not merged.get(key):
            raise UsageError(
                f"missing {key.upper()} table; give it as an argument "
                f"or as assign.{key} in the --config file"
            )
    if merged.get("max_minutes") is not None and merged.get("max_km") is None:
        merged["max_km"] = math.inf
    run = {k: v for k, v in merged.items() if _FIELDS[k][0] is AssignConfig}
    outputs = {k: v for k, v in merged.items() if _FIELDS[k][0] is OutputOptions}
    config = AssignConfig(**run, config_file=config_file, config_doc=doc)
    return config, OutputOptions(**outputs)
