"""``umkm-alloc zones``: every kecamatan with its supply zone and neighbours; zone adjacency."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from umkm_alloc.cli import options as o
from umkm_alloc.cli._common import check_output, handle_errors, write_output

if TYPE_CHECKING:
    import pandas as pd
    from rich.console import Console

#: Width of the rendered table when stdout is not a terminal (files, pipes, logs).
_PLAIN_WIDTH = 120


class ZonesFormat(StrEnum):
    """Output formats of the ``zones`` command."""

    table = "table"
    csv = "csv"


RulesConfig = Annotated[
    Path | None,
    typer.Option(
        "--config",
        help="TOML file with the rules ([zones], [rules] ...); without it every kecamatan "
        "is a zone of its own.",
        show_default=False,
    ),
]
FormatOpt = Annotated[
    ZonesFormat,
    typer.Option(
        "--format",
        help="'table' (readable, with the zone adjacency) or 'csv' (the kecamatan table).",
    ),
]
ZonesOutput = Annotated[
    str,
    typer.Option("--output", "-o", help="Write to this path, or '-' for stdout."),
]


def register(app: typer.Typer) -> None:
    """Add the command to the application."""
    app.command("zones")(zones_command)


def zones_command(
    config: RulesConfig = None,
    boundaries: o.BoundariesOpt = None,
    fmt: FormatOpt = ZonesFormat.table,
    output: ZonesOutput = "-",
    verbose: o.Verbose = False,
) -> None:
    """List every kecamatan with its supply zone and neighbours, then which zones touch.

    A kecamatan in no zone of the --config file is a zone of its own. Neighbours share a
    border longer than 10 m (touching at a corner is not enough). --format csv writes kode,
    nama, kabupaten, zone, neighbours.
    """
    with handle_errors(verbose=verbose):
        from umkm_alloc.io.write import to_csv_bytes
        from umkm_alloc.rules import kecamatan_zone_table, load_zone_map, zone_adjacency_table

        check_output(output)
        rules, zone_map, source = load_zone_map(config, boundaries)
        if fmt is ZonesFormat.csv:
            data = to_csv_bytes(kecamatan_zone_table(zone_map))
        else:
            title = f"Kecamatan and their zones (mode {rules.mode}, boundaries {source})"
            tables = (
                (title, kecamatan_zone_table(zone_map, separator="; "), "neighbours"),
                (
                    "Zone adjacency",
                    zone_adjacency_table(zone_map, separator="; "),
                    "adjacent_zones",
                ),
            )
            if output == "-" and sys.stdout.isatty():
                _print(_terminal_console(), tables)
                return
            data = _plain_text(tables)
        write_output(data, output)
        if output != "-":
            typer.echo(f"written: {output}", err=True)


def _terminal_console() -> Console:
    from rich.console import Console

    return Console(highlight=False)


def _plain_text(tables: tuple[tuple[str, pd.DataFrame, str], ...]) -> bytes:
    """Render the tables as plain text of a fixed width (files, pipes, logs)."""
    import io

    from rich.console import Console

    buffer = io.StringIO()
    console = Console(file=buffer, width=_PLAIN_WIDTH, color_system=None, highlight=False)
    _print(console, tables)
    lines = (line.rstrip() for line in buffer.getvalue().splitlines())
    return "".join(line + "\n" for line in lines).encode("utf-8")


def _print(console: Console, tables: tuple[tuple[str, pd.DataFrame, str], ...]) -> None:
    from rich import box
    from rich.table import Table

    for heading, frame, wide in tables:
        table = Table(title=heading, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
        for col in frame.columns:
            numeric = col == "kecamatan" and heading == "Zone adjacency"
            table.add_column(
                col, justify="right" if numeric else "left", no_wrap=col != wide, overflow="fold"
            )
        for row in frame.itertuples(index=False):
            table.add_row(*(str(v) for v in row))
        console.print(table)
