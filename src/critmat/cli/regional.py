"""CLI commands ``critmat assets`` and ``critmat region list|show|build|synth|boundaries`` (registered by critmat.cli)."""

from __future__ import annotations

from pathlib import Path

import typer

from critmat.cli.common import FORMAT_HELP, PANEL_REGION, REGION_HELP, DbOption, busy, warehouse
from critmat.cli.output import Format, emit, show


def register(app: typer.Typer) -> None:
    """Add ``assets`` and the ``region`` group to the root app."""
    region_app = typer.Typer(help="Region packs: list, show, build from publisher files, import boundaries.",
                             no_args_is_help=True)
    app.add_typer(region_app, name="region", rich_help_panel=PANEL_REGION)

    @app.command("assets", rich_help_panel=PANEL_REGION)
    def assets_cmd(
        region: str = typer.Option("nh-fl", "--region", "-r", help=REGION_HELP),
        asset_class: str | None = typer.Option(None, "--class", "-c",
                                               help="wind | solar | datacentre | grid | vehicles, or an asset_class."),
        status: str | None = typer.Option(None, "--status", help="operational | under_construction | planned | decommissioned"),
        all_columns: bool = typer.Option(False, "--all-columns", help="Every column in the table (technology, "
                                         "province, lat/lon, note ...); csv and json always have them."),
        fmt: Format = typer.Option(Format.table, "--format", "-f", help=FORMAT_HELP),
        db: DbOption = None,
    ) -> None:
        """The strategic asset registry of a region: wind, solar, data centres, grid and cars, with sources.

        capacity_mw: MW (MWp for PV); length_km: cable length in km; units: turbines, transformer stations or
        cars. One row per wind farm, solar park, data centre, cable class or car fleet, each with its source_id.
        """
        from critmat.services import regions as service
        from critmat.warehouse.access import is_folder

        with busy(f"loading region {region}"):  # a pack folder is read from its files: no warehouse needed
            wh = None if is_folder(region) else warehouse(db)
            res = service.assets(wh, region, asset_class, status, all_columns or fmt is not Format.table)
        show(res, fmt)

    @region_app.command("compare")
    def compare_cmd(
        region: list[str] = typer.Option(None, "--region", "-r", help="Region pack (repeatable); default: every "
                                         "region pack in the warehouse (e.g. after `region build --all-provinces`)."),
        material: str | None = typer.Option(None, "--material", "-m", help="Only this material or group."),
        scenario: str = typer.Option("baseline", "--scenario", "-s", help="Flow scenario for outflow and recovery."),
        fmt: Format = typer.Option(Format.table, "--format", "-f", help=FORMAT_HELP),
        db: DbOption = None,
    ) -> None:
        """Province by province: stock, end-of-life flows and EoL-RIR side by side.

        Stock with its 5-95 % band and each province's share; outflow, secondary supply, own demand and
        EoL-RIR summed over the scenario's years; the assets counted per province.
        """
        from critmat.services.compare import provinces

        wh = warehouse(db)
        with busy("comparing provinces"):
            res = provinces(wh, region or None, material=material, scenario=scenario)
        show(res, fmt)

    @region_app.command("list")
    def list_cmd(fmt: Format = typer.Option(Format.table, "--format", "-f", help=FORMAT_HELP),
                 db: DbOption = None) -> None:
        """Known region packs (bundled, and built into CRITMAT_HOME/regions)."""
        from critmat.services.regions import regions

        show(regions(warehouse(db)), fmt)

    def _coverage_lines(reg) -> None:
        """Coverage against official counts and the classes the build did not find (never hidden)."""
        cov = reg.tables.get("coverage")
        if cov is not None and len(cov):
            typer.echo("Coverage (counted vs the best official count known):")
            for st in cov["statement"]:
                typer.echo(f"  - {st}")
        if reg.config.missing:
            typer.echo("Missing (not found in the inputs): " + "; ".join(reg.config.missing))
        if reg.config.build_command:
            typer.echo(f"Rebuild: {reg.config.build_command}")

    @region_app.command("show")
    def show_cmd(
        region: str = typer.Argument(..., help="Region id, e.g. nh-fl."),
        table: str = typer.Option("summary", "--table", "-t",
                                  help="summary | municipalities | assets | asset_events | goods_categories | "
                                       "goods_category_materials | boundaries | coverage | match_decisions | "
                                       "build_inputs"),
        fmt: Format = typer.Option(Format.table, "--format", "-f", help=FORMAT_HELP),
        db: DbOption = None,
    ) -> None:
        """A region's config and asset summary, or one of its tables.

        The summary counts rows, units (turbines, stations, cars), capacity (MW) and cable length (km) per
        asset class and status.
        """
        from critmat.services import regions as service

        wh = warehouse(db)
        with busy(f"loading region {region}"):
            res = service.summary(wh, region) if table == "summary" else service.table(wh, region, table)
        if fmt is Format.table:
            for sec in res.sections or []:
                if sec.frame is None:
                    typer.echo(sec.text)
                else:
                    show(type(res)(sec.frame, title=sec.title, caption=sec.caption), fmt)
            if not res.sections:
                show(res, fmt)
        else:
            show(res, fmt)

    @region_app.command("build")
    def build_cmd(
        province: list[str] = typer.Option(None, "--province", "-p", help="Province name or CBS code (repeatable)."),
        nuts: str | None = typer.Option(None, "--nuts", help="A NUTS code (any EU/EEA country, e.g. DEF0): wind and "
                                                             "solar from powerplantmatching, boundary from GISCO."),
        all_provinces: bool = typer.Option(False, "--all-provinces",
                                           help="Build one pack per province (ids pv20 ... pv31); --out is then "
                                                "the parent folder."),
        src: Path = typer.Option(..., "--from", exists=True, file_okay=False, help="Folder with the publisher files."),
        out: Path | None = typer.Option(None, "--out", help="Output folder (default CRITMAT_HOME/regions/<id>)."),
        region_id: str | None = typer.Option(None, "--id", help="Region id (default from the province codes, e.g. pv28)."),
        name: str | None = typer.Option(None, "--name", help="Display name."),
        status_year: int | None = typer.Option(None, "--status-year",
                                               help="Year that decides planned vs operational (default: the "
                                                    "curation's, else this year)."),
    ) -> None:
        """Build a region pack for Dutch provinces from local copies of publisher files.

        CBS, PDOK, powerplantmatching, data-centre and solar-park files, found in --from by their format. A
        pack in $CRITMAT_HOME/regions/<id> (the default --out) joins the warehouse at its next build; use it
        with --region <id> in assets, stock, flows and risk.
        """
        from critmat.errors import RegionError
        from critmat.regions import build_all_provinces, build_nuts_region, build_region, load_region, summary

        if sum([bool(province), all_provinces, bool(nuts)]) != 1:
            raise RegionError("give one of --province NAME (repeatable), --all-provinces or --nuts CODE")
        if nuts:
            with busy(f"building NUTS region {nuts}"):
                path = build_nuts_region(nuts, src, out=out, region_id=region_id, now=status_year)
            reg = load_region(path)
            typer.echo(f"built {reg.config.id} ({reg.config.name}) at {path}")
            emit(summary(reg), Format.table, title="Assets by class and status")
            _coverage_lines(reg)
            return
        if all_provinces:
            with busy("building one pack per province"):
                paths = build_all_provinces(src, out_dir=out, now=status_year)
            for path in paths:
                reg = load_region(path)
                a = reg.table("assets")
                counts = a.groupby("asset_class").size().to_dict()
                typer.echo(f"built {reg.config.id} ({reg.config.name}) at {path}: "
                           + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
                           + (f" | missing: {'; '.join(reg.config.missing)}" if reg.config.missing else ""))
            return
        with busy("building the region pack"):
            path = build_region(province, src, out=out, region_id=region_id, name=name, now=status_year)
        reg = load_region(path)
        typer.echo(f"built {reg.config.id} ({reg.config.name}) at {path}")
        emit(summary(reg), Format.table, title="Assets by class and status")
        _coverage_lines(reg)

    @region_app.command("synth")
    def synth_cmd(
        n_assets: int = typer.Option(..., "--assets", "-n", min=1, help="Number of assets over all regions."),
        out: Path = typer.Option(..., "--out", file_okay=False,
                                 help="Folder to write the packs into (one sub-folder per region)."),
        n_regions: int = typer.Option(1, "--regions", "-r", min=1, help="Number of region packs."),
        seed: int = typer.Option(0, "--seed", help="Random seed: same arguments, same packs."),
        src: Path | None = typer.Option(None, "--from", exists=True, file_okay=False,
                                        help="Folder with the CBS municipality list and boundaries (real "
                                             "municipalities); without it, synthetic municipality codes."),
    ) -> None:
        """Write synthetic region packs (made-up assets in the schema of real packs) for scale tests.

        Every asset cites the source critmat_synthetic; the packs pass the same validation as real packs. Use
        one with --region <folder> (e.g. critmat stock --region OUT/synth-0-001).
        """
        from critmat.build.synth import synth_regions

        with busy(f"writing {n_regions} synthetic region pack(s)"):
            paths = synth_regions(n_assets, n_regions, seed=seed, out=out, src=src)
        typer.echo(f"wrote {len(paths)} region pack(s) with {n_assets} assets to {out} "
                   f"({paths[0].name}{' ... ' + paths[-1].name if len(paths) > 1 else ''})")

    @region_app.command("coverage")
    def coverage_cmd(
        region: str = typer.Argument("nh-fl", help="Region id."),
        draws: int = typer.Option(1000, "--draws", min=0, help="Monte Carlo draws for the low/high band (1000, "
                                  "seed 0: the build's stored stock run, the band `critmat stock` shows)."),
        fmt: Format = typer.Option(Format.table, "--format", "-f", help=FORMAT_HELP),
        db: DbOption = None,
    ) -> None:
        """EU CRM 2023 and SRM 2024: tonnes each material held by the region's assets, or why none.

        Status held (with the asset classes that hold it), no_data (what was searched) or not_contained.
        """
        from critmat.services.coverage import crm_coverage

        wh = warehouse(db)
        with busy(f"computing the stock of {region}"):
            res = crm_coverage(wh, region, draws=draws)
        if fmt is Format.table:
            import dataclasses

            cols = ["material_id", "crm_2023", "srm_2024", "status", "mass_t", "low_t", "high_t", "asset_classes",
                    "reason"]
            res = dataclasses.replace(res, frame=res.frame[cols])
        show(res, fmt)

    @region_app.command("boundaries")
    def boundaries_cmd(
        region: str = typer.Argument(..., help="Region id."),
        src: Path | None = typer.Option(None, "--from", exists=True, dir_okay=False,
                                        help="Local CBS/PDOK municipality GeoJSON; without it, download from PDOK."),
        year: int | None = typer.Option(None, "--year", help="Boundary year to download (default: the region's)."),
    ) -> None:
        """Import municipality polygons for maps (otherwise maps use municipality centroids)."""
        from critmat.regions import import_boundaries

        typer.echo(f"wrote {import_boundaries(region, src, year)}")
