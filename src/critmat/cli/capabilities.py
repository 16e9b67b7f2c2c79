"""CLI commands ``critmat companies``, ``critmat capabilities`` and ``critmat match`` (registered by critmat.cli).

Thin shell: parse options, call :mod:`critmat.capabilities_data` (reading) and the pure models
:mod:`critmat.models.capabilities` / :mod:`critmat.models.matching`, print with
:func:`critmat.cli.output.emit`.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from critmat.cli.common import FORMAT_HELP, PANEL_CAPABILITIES, REGION_HELP, DbOption, busy, warehouse
from critmat.cli.output import Format, emit, show

RegionOpt = typer.Option("nh-fl", "--region", "-r", help=REGION_HELP.rstrip(".") + "; its company registry.")
FormatOpt = typer.Option(Format.table, "--format", "-f", help=FORMAT_HELP)
def register(app: typer.Typer) -> None:
    """Add ``companies``, ``capabilities`` and ``match`` to the root app."""

    @app.command("companies", rich_help_panel=PANEL_CAPABILITIES)
    def companies_cmd(
        region: str = RegionOpt,
        activity: str | None = typer.Option(None, "--activity", "-a", help="Only companies with this activity "
                                            "(Table 4 id or label, e.g. recycling_collection, 'metal recovery')."),
        material: str | None = typer.Option(None, "--material", "-m", help="Only companies handling this "
                                            "material (id, name or symbol), via their streams or named directly."),
        stream: str | None = typer.Option(None, "--stream", "-s", help="Only companies handling this stream "
                                          "(vocabulary id, e.g. ndfeb_magnets; `critmat capabilities` lists them)."),
        fmt: Format = FormatOpt,
        geojson: Path | None = typer.Option(None, "--geojson", help="Also write the listed companies as GeoJSON."),
        gpkg: Path | None = typer.Option(None, "--gpkg", help="Also write them as a GeoPackage (needs pyogrio)."),
        db: DbOption = None,
    ) -> None:
        """The region's companies and institutions in CRM supply chains (HCSS 2025, Table 6 + Figure 10).

        Activities (Table 4 of HCSS 2025): processing, manufacturing, recycling_collection,
        recycling_metal_recovery, services_trade, research_development. The table shows id, primary
        activity, town, CBS municipality and province codes and streams; csv/json add every column
        (name, all activities, coordinates, sources).
        """
        from critmat import capabilities_data as data
        from critmat.services import capabilities as service

        with busy(f"loading the company registry of {region}"):
            res = service.companies(warehouse(db), region, activity, material, stream)
        if geojson is not None:
            data.write_geojson(res.frame, geojson)
        if gpkg is not None:
            data.write_gpkg(res.frame, gpkg, layer="companies")
        show(res, fmt)

    @app.command("capabilities", rich_help_panel=PANEL_CAPABILITIES)
    def capabilities_cmd(
        region: str = RegionOpt,
        by: str = typer.Option("stream", "--by", help="stream | material"),
        fillers: bool = typer.Option(False, "--fillers", help="List the nearest European facilities that fill "
                                     "each gap (by stream) instead of the matrix."),
        k: int = typer.Option(3, "--k", min=1, help="Facilities per gap with --fillers."),
        fmt: Format = FormatOpt,
        db: DbOption = None,
    ) -> None:
        """Stage coverage: how many of the region's companies cover each supply-chain stage, and the gaps.

        One row per stream (or material), one column per stage with the number of companies; covered = the
        number of stages with at least one company; csv/json add the missing stages (gaps). With --fillers:
        the nearest European facilities (great-circle km from the region) that fill each gap.
        """
        from critmat.errors import UnknownIdError
        from critmat.services import capabilities as service

        wh = warehouse(db)
        with busy(f"loading the company registry of {region}"):
            if fillers and by != "stream":
                raise UnknownIdError("--fillers works on gaps by stream (use --by stream)")
            res = service.fillers(wh, region, k) if fillers else service.coverage(wh, region, by)
        show(res, fmt)

    @app.command("match", rich_help_panel=PANEL_CAPABILITIES)
    def match_cmd(
        region: str = RegionOpt,
        stream: list[str] = typer.Option(None, "--stream", "-s", help="End-of-life stream spec (repeatable), e.g. "
                                         "ndfeb-magnets-wind-repowering, pv-panels-eol, li-ion-batteries-ev, "
                                         "copper-cable-scrap; default all bundled streams."),
        stream_file: Path | None = typer.Option(None, "--stream-file", help="YAML file of stream specs to use "
                                                "instead of the bundled ones."),
        role: str | None = typer.Option(None, "--role", help="Only recycler or offtaker."),
        top: int | None = typer.Option(10, "--top", min=1, help="Candidates per stream and role."),
        scenario: str | None = typer.Option("baseline", "--scenario", help="Take stream tonnes from the flows "
                                            "model under this scenario (what is collected for recycling, "
                                            "region total); streams the model does not cover keep their spec."),
        placeholders: bool = typer.Option(False, "--placeholders", help="Use the bundled stream specs' "
                                          "placeholder tonnes instead of the flows model."),
        db: DbOption = None,
        fmt: Format = FormatOpt,
    ) -> None:
        """Rank recyclers and offtakers for end-of-life streams, region first, then Europe.

        Candidates are scored 0..1 on capacity headroom (s_capacity), distance (s_distance, km) and status
        (s_status); score is their weighted sum. Stream tonnes (t/yr) come from the flows model (--scenario)
        or the bundled placeholders, as the caption says.
        """
        from critmat.services import capabilities as service

        wh = warehouse(db)
        with busy(f"matching streams of {region}" + (f" (flows model, {scenario})" if scenario and not placeholders
                                                     and not stream_file else "")):
            res = service.match(wh, region, stream or None, stream_file, role, top, scenario, placeholders)
        if fmt is not Format.table:
            emit(res.frame, fmt, title=res.title, caption=res.caption)
        else:
            show(res, fmt)
        if fmt is Format.table and res.params["assumption"]:
            Console(stderr=True).print("[dim]Stream tonnages marked ASSUMPTION are placeholders "
                                       "(source cap_eol_stream_placeholders) until the flows model provides them.")
