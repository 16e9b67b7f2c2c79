"""The ``critmat`` command line: a thin shell over the model and warehouse functions.

Each topic module in this package exposes ``register(app)``; the root app registers them in
:data:`TOPICS`. A :class:`~critmat.errors.CritmatError` becomes one red line on stderr and exit code 2.
"""

from __future__ import annotations

import importlib
import sys

import typer
from rich.console import Console

from critmat.errors import CritmatError

TOPICS = ["core", "materials", "risk", "regional", "flows", "capabilities", "stock"]

app = typer.Typer(
    name="critmat",
    help="critmat: an observatory for critical raw materials (CRM) in a region.\n\n"
    "Knowledge base of the EU CRM lists, supply, risk and export controls; regional stocks of CRM in "
    "strategic assets; end-of-life flows; disruption scenarios; supply-chain capabilities.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)

for _topic in TOPICS:
    importlib.import_module(f"critmat.cli.{_topic}").register(app)


def main() -> None:
    """Entry point: run the app; a critmat error becomes one red line on stderr and exit code 2."""
    import warnings

    from critmat.errors import DataWarning

    plain = warnings.showwarning

    def show(message, category, filename, lineno, file=None, line=None):  # noqa: ANN001 - warnings API
        if issubclass(category, DataWarning):
            Console(stderr=True).print(f"[yellow]warning:[/] {message}", highlight=False, soft_wrap=True)
        else:
            plain(message, category, filename, lineno, file, line)

    warnings.showwarning = show
    try:
        app()  # standalone mode: usage errors and --help exit through SystemExit as usual
    except CritmatError as exc:
        Console(stderr=True).print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True, markup=True)
        sys.exit(2)
