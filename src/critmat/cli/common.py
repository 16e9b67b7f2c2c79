"""Options and helpers shared by CLI topics (the warehouse option, the output format)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from critmat.cli.output import Format

DbOption = Annotated[Path | None, typer.Option("--db", help="Warehouse file (default: $CRITMAT_HOME/critmat.duckdb "
                                                "or the user data directory).", envvar="CRITMAT_DB")]
FormatOption = Annotated[Format, typer.Option("--format", "-f", help="Output: a table for people, csv or json for tools.")]

err = Console(stderr=True)


def warehouse(db: Path | None, rebuild: bool = False):
    """Open the warehouse, building it (with a status line on stderr) when missing or stale."""
    from critmat.warehouse import open_warehouse

    with err.status("[dim]checking the warehouse…") as status:
        return open_warehouse(db, rebuild=rebuild, progress=lambda m: status.update(f"[dim]building: {m}"))
