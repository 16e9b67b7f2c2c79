"""CLI commands ``critmat stock`` and ``critmat export`` (registered by critmat.cli)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from critmat.cli.common import FORMAT_HELP, MAX_DRAWS, MAX_SEED, PANEL_REGION, REGION_HELP, DbOption, busy, warehouse
from critmat.cli.output import Format, show

PROGRESS_MIN_DRAWS = 2000  # a progress bar for runs at least this large (on a terminal); a spinner below


def _progress(draws: int):
    """A progress bar for large Monte Carlo runs on a terminal (a context manager yielding the callback)."""
    from contextlib import contextmanager

    @contextmanager
    def bar():
        console = Console(stderr=True)
        if draws < PROGRESS_MIN_DRAWS or not console.is_terminal:
            with busy(f"computing the stock ({draws} Monte Carlo draws)" if draws else "computing the stock"):
                yield None
            return
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        with Progress(TextColumn("Monte Carlo"), BarColumn(), TextColumn("{task.completed}/{task.total} cells"),
                      TimeElapsedColumn(), console=console, transient=True) as p:
            task = p.add_task("mc", total=None)
            yield lambda done, total: p.update(task, completed=done, total=total)

    return bar()


def register(app: typer.Typer) -> None:
    """Add ``stock`` and ``export`` to the root app."""

    @app.command("stock", rich_help_panel=PANEL_REGION)
    def stock_cmd(
        region: str = typer.Option("nh-fl", "--region", "-r", help=REGION_HELP),
        by: str = typer.Option("material", "--by", help="material | asset_class | municipality | province"),
        material: str | None = typer.Option(None, "--material", "-m", help="Only this material (id, name or "
                                            "symbol)."),
        draws: int = typer.Option(1000, "--draws", min=0, max=MAX_DRAWS, help="Monte Carlo draws (0: low/high intensities)."),
        seed: int = typer.Option(0, "--seed", min=0, max=MAX_SEED, help="Random seed; same seed, same numbers."),
        pipeline: bool = typer.Option(False, "--pipeline", help="Planned assets instead of the stock."),
        scale_to_official: bool = typer.Option(False, "--scale-to-official",
                                               help="Scale solar parks, data centres and wind on land to the "
                                                    "official counts of the region's coverage table (marked)."),
        top: int | None = typer.Option(None, "--top", min=1, help="Only the first N rows (largest mass first)."),
        fmt: Format = typer.Option(Format.table, "--format", "-f", help=FORMAT_HELP),
        db: DbOption = None,
    ) -> None:
        """Tonnes of each material held in the region's strategic assets, with a 90 % interval.

        mass_t: tonnes with the central material intensities; low_t/high_t: 5th/95th percentiles of a seeded
        Monte Carlo over the intensity ranges (beta-PERT), or the low/high intensities with --draws 0. Stock =
        operational + under construction; --pipeline = planned. Group rows (light/heavy rare earths, PGM) are
        the sums of their member elements, which are listed too: they are flagged (is_group; * in tables).
        """
        from critmat.services import stock as service

        wh = warehouse(db)
        with _progress(draws) as progress:
            res = service.stock(wh, region, by=by, material=material, draws=draws, seed=seed, pipeline=pipeline,
                                scale=scale_to_official, top=top, progress=progress)
        show(res, fmt)

    @app.command("export", rich_help_panel=PANEL_REGION)
    def export_cmd(
        region: str = typer.Option("nh-fl", "--region", "-r", help=REGION_HELP),
        to: Path = typer.Option(..., "--to", help="Output folder (created if missing)."),
        draws: int = typer.Option(1000, "--draws", min=0, max=MAX_DRAWS, help="Monte Carlo draws (0: low/high intensities)."),
        seed: int = typer.Option(0, "--seed", min=0, max=MAX_SEED, help="Random seed; same seed, same numbers."),
        geopackage: bool = typer.Option(True, "--gpkg/--no-gpkg", help="Also write a GeoPackage of the assets."),
        db: DbOption = None,
    ) -> None:
        """Write the region as a Frictionless data package: CSV + Parquet tables and a GeoPackage.

        datapackage.json describes every table (units, keys, foreign keys between them: check it with
        `frictionless validate DIR/datapackage.json`): the long stock (level columns area_type,
        asset_class_level, material_level tell totals from parts; t), every asset (also those not counted),
        tonnes per asset, areas, materials and sources. Parquet columns carry unit, source and build id. The
        GeoPackage holds the assets with their tonnes and, where boundaries are loaded, the municipality
        and province polygons. Prints the paths written.
        """
        from critmat.export import export_region, stock_input_frames
        from critmat.services import stock as service
        from critmat.services.context import build_id
        from critmat.warehouse import access

        wh = warehouse(db)
        with busy(f"loading region {region}"):
            reg = access.region(wh, region)
            inputs = service.inputs(wh, region)
        with busy("computing the stock"):
            result = service.run(wh, region, draws=draws, seed=seed)
        frames = stock_input_frames(inputs, wh.table("materials"), wh.table("sources"), reg.tables.get("boundaries"))
        with busy(f"writing to {to}"):
            paths = export_region(to, inputs.region_id, inputs.assets, result, geopackage=geopackage,
                                  build_id=build_id(wh), region_name=reg.config.name,
                                  params={"draws": draws, "seed": seed}, **frames)
        for p in paths:
            typer.echo(str(p))
