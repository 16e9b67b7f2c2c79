"""Options and helpers shared by CLI topics (the warehouse option, the output format, progress, groups)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from critmat.cli.output import Format
from critmat.errors import CritmatError

DbOption = Annotated[Path | None, typer.Option("--db", help="Warehouse file (default: $CRITMAT_HOME/critmat.duckdb "
                                                "or the user data directory).", envvar="CRITMAT_DB")]
FORMAT_HELP = "Output: a table for people, csv or json for tools."
FormatOption = Annotated[Format, typer.Option("--format", "-f", help=FORMAT_HELP)]
REGION_HELP = "Region pack id (see `critmat region list`)."

# panels of the root help, in the order a user meets them
PANEL_MATERIALS = "Materials and supply risk"
PANEL_REGION = "The region: assets and stocks"
PANEL_FLOWS = "End-of-life flows"
PANEL_CAPABILITIES = "Companies and capabilities"
PANEL_DATA = "Data and warehouse"

err = Console(stderr=True)

DUCKDB_MAGIC = b"DUCK"  # bytes 8-11 of every DuckDB database file


def check_db(db: Path | None) -> None:
    """Refuse a --db that would be overwritten although it is not a critmat warehouse.

    critmat (re)builds a missing or stale warehouse in place; a path to a folder or to some other file
    (a CSV, a YAML, another DuckDB database) must not be replaced by it.
    """
    if db is None:
        return
    if db.is_dir():
        raise CritmatError(f"--db {db}: is a folder; give a file, e.g. {db / 'critmat.duckdb'}")
    if not db.exists():
        return
    try:
        with open(db, "rb") as fh:
            head = fh.read(16)
    except OSError as exc:
        raise CritmatError(f"--db {db}: cannot read ({exc.strerror})") from None
    if not head:
        return  # an empty file (e.g. from mktemp) holds nothing to lose
    if head[8:12] != DUCKDB_MAGIC:
        raise CritmatError(f"--db {db}: exists and is not a DuckDB file; critmat would overwrite it with "
                           "its warehouse (give a new path or a critmat warehouse)")
    import duckdb

    try:
        con = duckdb.connect(str(db), read_only=True)
    except duckdb.Error as exc:
        if "lock" in str(exc).lower():
            return  # in use by another critmat: open_warehouse will say so
        raise CritmatError(f"--db {db}: cannot open the DuckDB file ({str(exc).splitlines()[0]})") from None
    try:
        tables = set(con.execute("SELECT table_name FROM information_schema.tables").df()["table_name"])
    finally:
        con.close()
    if tables and not {"meta", "provenance"} <= tables:
        raise CritmatError(f"--db {db}: is a DuckDB database but not a critmat warehouse (no meta/provenance "
                           "tables); critmat would overwrite it (give a new path)")


def warehouse(db: Path | None, rebuild: bool = False):
    """Open the warehouse, building it (with a status line on stderr) when missing or stale."""
    from critmat.warehouse import open_warehouse

    check_db(db)
    with err.status("[dim]checking the warehouse…") as status:
        return open_warehouse(db, rebuild=rebuild, progress=lambda m: status.update(f"[dim]building: {m}"))


@contextmanager
def busy(message: str) -> Iterator[None]:
    """A spinner with ``message`` on stderr while a model runs (shown on a terminal only, then erased)."""
    with err.status(f"[dim]{message}…"):
        yield


def group_ids(materials) -> set[str]:
    """Ids of material groups (``material_kind == 'group'``: REE, LREE, HREE, PGM ...)."""
    if "material_kind" not in materials:
        return set()
    return set(materials.loc[materials["material_kind"] == "group", "material_id"])
