"""CLI commands ``critmat stock`` and ``critmat export`` (registered by critmat.cli)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from critmat.cli.common import FORMAT_HELP, MAX_DRAWS, MAX_SEED, PANEL_REGION, REGION_HELP, busy
from critmat.cli.output import Format, emit, mark_groups

PROGRESS_MIN_DRAWS = 2000  # a progress bar for runs at least this large (on a terminal); a spinner below


def _run(region: str, draws: int, seed: int, pipeline: bool = False, scale: bool = False):
    from critmat.stock import load_inputs, regional_stock

    with busy(f"loading region {region}"):
        inputs = load_inputs(region, scale=True) if scale else load_inputs(region)
    console = Console(stderr=True)
    if draws < PROGRESS_MIN_DRAWS or not console.is_terminal:
        with busy(f"computing the stock ({draws} Monte Carlo draws)" if draws else "computing the stock"):
            return inputs, regional_stock(inputs, n_draws=draws, seed=seed, pipeline=pipeline)
    with Progress(TextColumn("Monte Carlo"), BarColumn(), TextColumn("{task.completed}/{task.total} cells"),
                  TimeElapsedColumn(), console=console, transient=True) as bar:
        task = bar.add_task("mc", total=None)
        result = regional_stock(inputs, n_draws=draws, seed=seed, pipeline=pipeline,
                                progress=lambda done, total: bar.update(task, completed=done, total=total))
    return inputs, result


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
    ) -> None:
        """Tonnes of each material held in the region's strategic assets, with a 90 % interval.

        mass_t: tonnes with the central material intensities; low_t/high_t: 5th/95th percentiles of a seeded
        Monte Carlo over the intensity ranges (beta-PERT), or the low/high intensities with --draws 0. Stock =
        operational + under construction; --pipeline = planned. Group rows (light/heavy rare earths, PGM) are
        the sums of their member elements, which are listed too: they are flagged (is_group; * in tables).
        """
        from critmat.regions import reference_frames
        from critmat.stock import summarize

        known = reference_frames()
        mat = None
        if material is not None:
            from critmat.materials import MaterialIndex

            mat = MaterialIndex(known["materials"], known.get("material_aliases")).resolve(material)
        inputs, result = _run(region, draws, seed, pipeline, scale=scale_to_official)
        table = summarize(result, by=by, material=mat, municipalities=inputs.municipalities)
        if inputs.scaling is not None:
            table.insert(0, "scaled", True)
        if top is not None:
            table = table.head(top)
        what = "pipeline (planned)" if pipeline else "stock"
        caption = (f"{draws} draws, seed {seed}; mass_t with central intensities (deterministic); median_t, low_t, "
                   "high_t = 50th, 5th, 95th percentile of the draws (intensities sampled)" if draws
                   else "--draws 0: low_t/high_t with the low/high intensities")
        if inputs.scaling is not None:
            caption = ("SCALED to official counts (--scale-to-official): " + "; ".join(
                f"{r.asset_class} {r.scope} x{r.factor:.2f} ({r.counted:g} -> {r.official:g}, {r.source_id})"
                for r in inputs.scaling.itertuples()) + ". " + caption)
        statuses = ("planned",) if pipeline else ("operational", "under_construction")
        ex = inputs.excluded
        if ex is not None and len(ex) and ex["status"].isin(statuses).any():
            ids = ex.loc[ex["status"].isin(statuses), "asset_id"].tolist()
            caption += f"; not counted (no capacity/length/units): {', '.join(ids)}"
        from critmat.cli.common import group_ids

        table, caption = mark_groups(table, "material", group_ids(known["materials"]), fmt, caption)
        emit(table, fmt, title=f"Material {what} of {inputs.region_id} by {by}, tonnes", caption=caption)

    @app.command("export", rich_help_panel=PANEL_REGION)
    def export_cmd(
        region: str = typer.Option("nh-fl", "--region", "-r", help=REGION_HELP),
        to: Path = typer.Option(..., "--to", help="Output folder (created if missing)."),
        draws: int = typer.Option(1000, "--draws", min=0, max=MAX_DRAWS, help="Monte Carlo draws (0: low/high intensities)."),
        seed: int = typer.Option(0, "--seed", min=0, max=MAX_SEED, help="Random seed; same seed, same numbers."),
        geopackage: bool = typer.Option(True, "--gpkg/--no-gpkg", help="Also write a GeoPackage of the assets."),
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
        from critmat.regions import load_region, reference_frames
        from critmat.stock import load_inputs, regional_stock
        from critmat.warehouse import discover_packages, fingerprint

        with busy(f"loading region {region}"):
            reg = load_region(region)
            inputs = load_inputs(region, loaded=reg)
            known = reference_frames()
        with busy("computing the stock"):
            result = regional_stock(inputs, n_draws=draws, seed=seed)
        frames = stock_input_frames(inputs, known["materials"], known["sources"], reg.tables.get("boundaries"))
        with busy(f"writing to {to}"):
            paths = export_region(to, inputs.region_id, inputs.assets, result, geopackage=geopackage,
                                  build_id=fingerprint(discover_packages()), region_name=reg.config.name,
                                  params={"draws": draws, "seed": seed}, **frames)
        for p in paths:
            typer.echo(str(p))
