"""Command-line interface: one Typer module per command; rendering with rich lives here only.

Heavy libraries (pandas, geopandas, OR-Tools) are imported inside the commands, so
``umkm-alloc --help`` and ``--version`` start fast.
"""

from __future__ import annotations

from typing import Annotated

import typer

from umkm_alloc import __version__

app = typer.Typer(
    name="umkm-alloc",
    help=(
        "Allocate the weekly supply of UMKM food producers to the stores that pre-ordered it, "
        "within travel distance and zone rules, on real kecamatan polygons. "
        "Data goes to stdout, the summary and messages to stderr."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"umkm-alloc {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Zone-based supply allocation for UMKM producers and stores."""


from umkm_alloc.cli import assign as _assign  # noqa: E402
from umkm_alloc.cli import explain as _explain  # noqa: E402
from umkm_alloc.cli import geocode as _geocode  # noqa: E402
from umkm_alloc.cli import template as _template  # noqa: E402
from umkm_alloc.cli import validate as _validate  # noqa: E402
from umkm_alloc.cli import zones as _zones  # noqa: E402

_assign.register(app)
_validate.register(app)
_zones.register(app)
_explain.register(app)
_geocode.register(app)
_template.register(app)


def main() -> None:
    """Entry point of the ``umkm-alloc`` console script."""
    app()
