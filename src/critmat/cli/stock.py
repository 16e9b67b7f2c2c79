"""CLI commands ``critmat stock`` and ``critmat export`` (registered by critmat.cli)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from critmat.cli.output import Format, emit

PROGRESS_MIN_DRAWS = 2000  # show a progress bar for runs at least this large (and on a terminal)


def _run(region: str, draws: int, seed: int, pipeline: bool = False):
    from critmat.stock import load_inputs, regional_stock

    inputs = load_inputs(region)
    console = Console(stderr=True)
    if draws >= PROGRESS_MIN_DRAWS and console.is_terminal:
        with Progress(TextColumn("Monte Carlo"), BarColumn(), TextColumn("{task.completed}/{task.total} cells"),
                      TimeElapsedColumn(), console=console, transient=True) as bar:
            task = bar.add_task("mc", total=None)
            result = regional_stock(inputs, n_draws=draws, seed=seed, pipeline=pipeline,
                                    progress=lambda done, total: bar.update(task, completed=done, total=total))
    else:
        result = regional_stock(inputs, n_draws=draws, seed=seed, pipeline=pipeline)
    return inputs, result


def register(app: typer.Typer) -> None:
    """Add ``stock`` and ``export`` to the root app."""

    @app.command("stock")
    def stock_cmd(
        region: str = typer.Option("nh-fl", "--region", "-r", help="Region pack id."),
        by: str = typer.Option("material", "--by", help="material | asset_class | municipality | province"),
        material: str | None = typer.Option(None, "--material", "-m", help="Only this material (id or name)."),
        draws: int = typer.Option(1000, "--draws", min=0, help="Monte Carlo draws (0: low/high intensities)."),
        seed: int = typer.Option(0, "--seed", help="Random seed; same seed, same numbers."),
        pipeline: bool = typer.Option(False, "--pipeline", help="Planned assets instead of the stock."),
        top: int | None = typer.Option(None, "--top", min=1, help="Only the first N rows."),
        fmt: Format = typer.Option(Format.table, "--format", "-f", help="table | csv | json"),
    ) -> None:
        """Tonnes of each material held in the region's strategic assets, with a 90 % interval.

        mass_t: central intensities; low_t/high_t: 5th/95th percentiles of a seeded Monte Carlo over the
        intensity ranges (beta-PERT). Stock = operational + under construction; --pipeline = planned.
        """
        from critmat.stock import summarize

        mat = None
        if material is not None:
            from critmat.materials import MaterialIndex
            from critmat.regions import reference_frames

            known = reference_frames()
            mat = MaterialIndex(known["materials"], known.get("material_aliases")).resolve(material)
        inputs, result = _run(region, draws, seed, pipeline)
        table = summarize(result, by=by, material=mat, municipalities=inputs.municipalities)
        if top is not None:
            table = table.head(top)
        what = "pipeline (planned)" if pipeline else "stock"
        caption = f"{draws} draws, seed {seed}; low/high = 5th/95th percentile"
        statuses = ("planned",) if pipeline else ("operational", "under_construction")
        ex = inputs.excluded
        if ex is not None and len(ex) and ex["status"].isin(statuses).any():
            ids = ex.loc[ex["status"].isin(statuses), "asset_id"].tolist()
            caption += f"; not counted (no capacity/length/units): {', '.join(ids)}"
        emit(table, fmt, title=f"Material {what} of {inputs.region_id} by {by}, tonnes", caption=caption)

    @app.command("export")
    def export_cmd(
        region: str = typer.Option("nh-fl", "--region", "-r", help="Region pack id."),
        to: Path = typer.Option(..., "--to", help="Output folder (created if missing)."),
        draws: int = typer.Option(1000, "--draws", min=0, help="Monte Carlo draws."),
        seed: int = typer.Option(0, "--seed", help="Random seed."),
        geopackage: bool = typer.Option(True, "--gpkg/--no-gpkg", help="Also write a GeoPackage of the assets."),
    ) -> None:
        """Write the stock and the assets as CSV and Parquet, and the assets as a GeoPackage."""
        from critmat.export import export_region

        inputs, result = _run(region, draws, seed)
        for p in export_region(to, inputs.region_id, inputs.assets, result, geopackage=geopackage):
            typer.echo(str(p))
