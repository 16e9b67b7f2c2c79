"""Options and helpers shared by CLI topics (the warehouse option, the output format, progress, groups)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from critmat.cli.output import Format

DbOption = Annotated[Path | None, typer.Option("--db", help="Warehouse file (default: $CRITMAT_HOME/critmat.duckdb "
                                                "or the user data directory).", envvar="CRITMAT_DB")]
FORMAT_HELP = "Output: a table for people, csv or json for tools."
FormatOption = Annotated[Format, typer.Option("--format", "-f", help=FORMAT_HELP)]
REGION_HELP = "Region pack id (see `critmat region list`)."
# Bounds of numeric options (a clear usage error, exit 2, instead of a MemoryError or an overflow)
MAX_DRAWS = 100_000  # Monte Carlo draws
MAX_SEED = 2**32 - 1  # numpy seeds are 0..2**32-1
MIN_YEAR, MAX_YEAR = 1900, 2200

# panels of the root help, in the order a user meets them
PANEL_MATERIALS = "Materials and supply risk"
PANEL_REGION = "The region: assets and stocks"
PANEL_FLOWS = "End-of-life flows"
PANEL_CAPABILITIES = "Companies and capabilities"
PANEL_DATA = "Data and warehouse"

err = Console(stderr=True)

def check_db(db: Path | None) -> None:
    """Refuse a --db that would be overwritten although it is not a critmat warehouse (see
    :func:`critmat.warehouse.check_target`)."""
    if db is not None:
        from critmat.warehouse import check_target

        check_target(db, what="--db ")


def warehouse(db: Path | None, rebuild: bool = False):
    """Open the warehouse, building it (with a status line on stderr) when missing or stale."""
    from critmat.services.context import warehouse as shared

    check_db(db)
    with err.status("[dim]checking the warehouse…") as status:
        return shared(db, rebuild=rebuild, progress=lambda m: status.update(f"[dim]building: {m}"))


@contextmanager
def busy(message: str) -> Iterator[None]:
    """A spinner with ``message`` on stderr while a model runs (shown on a terminal only, then erased)."""
    if not err.is_terminal:  # nothing would be shown: spare the import and the thread
        yield
        return
    with err.status(f"[dim]{message}…"):
        yield
