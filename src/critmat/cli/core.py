"""Core commands: ``build``, ``sources``, ``data import|package|validate``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from critmat.cli.common import PANEL_DATA, DbOption, FormatOption, check_db, err, warehouse
from critmat.cli.output import Format, show

data_app = typer.Typer(help="Import publisher files and manage data packages.", no_args_is_help=True)


def build(db: DbOption = None,
          results: Annotated[bool, typer.Option("--results/--no-results", help="Also compute the default stock "
                                                "(1,000 draws) and the flows of every bundled scenario for every "
                                                "region pack, so that asking for them is a query (default; "
                                                "CRITMAT_BUILD_RESULTS=0 turns it off). Without: computed on "
                                                "first use, same numbers.")] = True) -> None:
    """Validate every data package and (re)build the warehouse atomically.

    Other commands build the warehouse on first use and rebuild it when an input changed; run this after
    editing a data package, or with --db to build one elsewhere. A failed build names the file, line and
    column at fault and leaves the previous warehouse intact.
    """
    from rich.progress import Progress, SpinnerColumn, TextColumn

    from critmat.warehouse import build as do_build

    check_db(db)
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), console=err, transient=True) as bar:
        task = bar.add_task("building")
        report = do_build(db, progress=lambda m: bar.update(task, description=f"building: {m}"), results=results)
    err.print(f"[green]built[/] {report.path} ({sum(report.tables.values()):,} rows in {len(report.tables)} "
              f"tables, {report.seconds:.1f} s)")


def sources(db: DbOption = None, fmt: FormatOption = Format.table,
            sources_only: Annotated[bool, typer.Option("--registry", help="List the source registry instead of "
                                                       "the provenance of each table.")] = False) -> None:
    """Where every table comes from: dataset, sources, vintage, sha256 and rows.

    Without options: the provenance of each warehouse table (source_ids point into the source registry).
    With --registry: the registry itself (publisher, title, vintage, licence, url of every source).
    """
    from critmat.services import sources as service

    wh = warehouse(db)
    show(service.registry(wh) if sources_only else service.provenance(wh), fmt)


@data_app.command("import")
def data_import(
    from_dir: Annotated[Path | None, typer.Option("--from", help="Folder with local copies of publisher files "
                                                  "(searched recursively), e.g. ../shared/data.")] = None,
    download: Annotated[bool, typer.Option("--download", help="Download the EC datasets (cached, checksummed) "
                                           "instead of reading a folder.")] = False,
    db: DbOption = None,
) -> None:
    """Import the complete EC CRM 2023 datasets and the WGI from publisher files, then rebuild.

    The imported tables (in $CRITMAT_HOME/packages) replace the curated ones: supply_shares with every
    country, criticality for every assessed material, countries with governance. Nothing changes if any
    file fails validation.
    """
    from critmat.build.imports import import_publisher_files
    from critmat.warehouse import build as do_build

    if not from_dir and not download:
        raise typer.BadParameter("give --from DIR or --download")
    check_db(db)
    built = []
    with err.status("importing…") as status:
        def rebuild() -> None:  # with the new package in place; a failure puts the old package back
            status.update("rebuilding the warehouse…")
            built.append(do_build(db))

        dest = import_publisher_files(from_dir, download=download, progress=lambda m: status.update(m), then=rebuild)
    err.print(f"[green]imported[/] {dest}; warehouse rebuilt at {built[0].path}")


@data_app.command("package")
def data_package(folder: Annotated[Path, typer.Argument(help="Data package folder with resources.yaml.")]) -> None:
    """(Re)generate a package's datapackage.json from resources.yaml and the field dictionary."""
    from critmat.catalog.package import write_datapackage

    err.print(f"wrote {write_datapackage(folder)}")


@data_app.command("validate")
def data_validate(folder: Annotated[Path, typer.Argument(help="Data package folder with resources.yaml.")]) -> None:
    """Validate one data package (schemas, keys, group sums) against the bundled packages it points to."""
    from critmat.catalog.package import bundled_frames, dependencies, load_package, read_spec

    loaded = load_package(folder, bundled_frames(*dependencies(read_spec(folder))))
    for name, res in loaded.items():
        err.print(f"[green]ok[/] {name}: {len(res.frame)} rows")


def register(app: typer.Typer) -> None:
    app.command(rich_help_panel=PANEL_DATA)(build)
    app.command(rich_help_panel=PANEL_DATA)(sources)
    app.add_typer(data_app, name="data", rich_help_panel=PANEL_DATA)
