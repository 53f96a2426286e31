"""``umkm-alloc template``: a blank input workbook to send to UMKM and stores."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from umkm_alloc.cli import options as o
from umkm_alloc.cli._common import handle_errors, stderr_console, write_stdout


class TemplateKind(StrEnum):
    """Which input table the workbook is for."""

    producers = "producers"
    stores = "stores"


class TemplateLang(StrEnum):
    """Language of the headers and sheet names."""

    id = "id"
    en = "en"


KindArg = Annotated[
    TemplateKind,
    typer.Argument(help="Which table: producers or stores.", show_default=False),
]
WorkbookOut = Annotated[
    str | None,
    typer.Option(
        "--output",
        "-o",
        help="The workbook (.xlsx), or '-' for stdout [produsen.xlsx / toko.xlsx with --lang id, "
        "producers.xlsx / stores.xlsx with --lang en; never over an existing file].",
        show_default=False,
    ),
]
LangOpt = Annotated[
    TemplateLang,
    typer.Option("--lang", help="Headers and sheet names in Indonesian (id) or English (en)."),
]
_DEFAULT_NAMES = {
    ("producers", "id"): "produsen.xlsx",
    ("stores", "id"): "toko.xlsx",
    ("producers", "en"): "producers.xlsx",
    ("stores", "en"): "stores.xlsx",
}


def register(app: typer.Typer) -> None:
    """Add the command to the application."""
    app.command("template", no_args_is_help=True)(template_command)


def template_command(
    kind: KindArg,
    output: WorkbookOut = None,
    lang: LangOpt = TemplateLang.id,
    boundaries: o.BoundariesOpt = None,
    quiet: o.Quiet = False,
    verbose: o.Verbose = False,
) -> None:
    """Write a blank input workbook to send to UMKM or stores.

    The accepted columns, one example row (id CONTOH, which the readers skip), data
    validation (whole numbers >= 0, kecamatan and kabupaten from dropdown lists of the
    --boundaries' names) and a sheet explaining each column in Indonesian.
    """
    with handle_errors(verbose=verbose):
        from umkm_alloc.errors import UsageError
        from umkm_alloc.geo.boundaries import load_boundaries
        from umkm_alloc.io.template import template_workbook
        from umkm_alloc.io.write import write_atomic

        target = output or _DEFAULT_NAMES[(kind.value, lang.value)]
        if output is None and Path(target).exists():
            raise UsageError(
                f"{target}: exists already and may hold data; give -o with another name "
                f"(or -o {target} to replace it)"
            )
        if target != "-" and Path(target).is_dir():
            raise UsageError(f"--output {target}: is a folder; give a file path such as toko.xlsx")
        data = template_workbook(
            kind.value, load_boundaries(boundaries or "banten"), lang=lang.value
        )
        if target == "-":
            write_stdout(data)
        else:
            write_atomic({Path(target): data})
        stderr_console(quiet=quiet).print(
            f"written: {'<stdout>' if target == '-' else target} (a {kind.value} workbook: "
            "fill in one row per product, delete the example row)",
            highlight=False,
            markup=False,
        )
