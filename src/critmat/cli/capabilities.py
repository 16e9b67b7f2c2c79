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
from critmat.cli.output import Format, emit, stdout_console

RegionOpt = typer.Option("nh-fl", "--region", "-r", help=REGION_HELP.rstrip(".") + "; its company registry.")
FormatOpt = typer.Option(Format.table, "--format", "-f", help=FORMAT_HELP)
SCORE_NOTE = ("score (0..1) = 0.40 s_capacity (capacity_t_per_yr / stream t/yr, capped at 1; 0.5 unknown) + "
              "0.35 s_distance (exp(-km/500)) + 0.25 s_status (operational 1 ... planned 0.3), the components in "
              "--format csv/json; region before eu")


def _activity(tables, value: str | None) -> str | None:
    """Accept an activity id, its stage label or report name (case-insensitive, ``_`` = space), or a unique
    part of an id (``metal_recovery`` → ``recycling_metal_recovery``)."""
    from critmat.errors import UnknownIdError

    if value is None:
        return None
    acts = tables["supply_chain_activities"]

    def norm(x: str) -> str:
        return " ".join(str(x).strip().lower().replace("_", " ").split())

    q = norm(value)
    for row in acts.itertuples(index=False):
        if q in {norm(row.activity_id), norm(row.stage_label), norm(row.activity_name)}:
            return row.activity_id
    partial = [a for a in acts["activity_id"] if q and q in norm(a)]
    if len(partial) == 1:
        return partial[0]
    if len(partial) > 1:
        raise UnknownIdError(f"activity '{value}' is ambiguous: {', '.join(partial)}")
    raise UnknownIdError(f"unknown activity '{value}' (Table 4 activities: "
                         f"{', '.join(acts['activity_id'])})")


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
    ) -> None:
        """The region's companies and institutions in CRM supply chains (HCSS 2025, Table 6 + Figure 10).

        Activities (Table 4 of HCSS 2025): processing, manufacturing, recycling_collection,
        recycling_metal_recovery, services_trade, research_development. The table shows id, primary
        activity, town, CBS municipality and province codes and streams; csv/json add every column
        (name, all activities, coordinates, sources).
        """
        from critmat import capabilities_data as data
        from critmat.errors import UnknownIdError
        from critmat.models.capabilities import company_registry

        with busy(f"loading the company registry of {region}"):
            tables = data.load_capabilities(region)
        act = _activity(tables, activity)
        mat = data.resolve_material(material) if material else None
        if stream is not None and stream not in set(tables["streams"]["stream_id"]):
            raise UnknownIdError(f"unknown stream '{stream}' (known: {', '.join(sorted(tables['streams']['stream_id']))})")
        df = company_registry(tables, activity=act, material=mat, stream=stream)
        if geojson is not None:
            data.write_geojson(df, geojson)
        if gpkg is not None:
            data.write_gpkg(df, gpkg, layer="companies")
        shown = df if fmt is not Format.table else df[["company_id", "primary_activity_id", "town",
                                                      "municipality_code", "streams"]]
        filt = ", ".join(x for x in [act and f"activity {act}", mat and f"material {mat}",
                                     stream and f"stream {stream}"] if x)
        emit(shown, fmt, title=f"Companies in CRM supply chains, {region}" + (f" ({filt})" if filt else "")
             + f" — {len(df)}",
             caption="Source: HCSS (2025) Table 6 and Figure 10, reconciled (see docs/capabilities.md); "
                     "coordinates are town centres unless location_precision = address.")

    @app.command("capabilities", rich_help_panel=PANEL_CAPABILITIES)
    def capabilities_cmd(
        region: str = RegionOpt,
        by: str = typer.Option("stream", "--by", help="stream | material"),
        fillers: bool = typer.Option(False, "--fillers", help="List the nearest European facilities that fill "
                                     "each gap (by stream) instead of the matrix."),
        k: int = typer.Option(3, "--k", min=1, help="Facilities per gap with --fillers."),
        fmt: Format = FormatOpt,
    ) -> None:
        """Stage coverage: how many of the region's companies cover each supply-chain stage, and the gaps.

        One row per stream (or material), one column per stage with the number of companies; covered = the
        number of stages with at least one company; csv/json add the missing stages (gaps). With --fillers:
        the nearest European facilities (great-circle km from the region) that fill each gap.
        """
        from critmat import capabilities_data as data
        from critmat.errors import UnknownIdError
        from critmat.models import capabilities as cap

        if by not in ("stream", "material"):
            raise UnknownIdError(f"--by '{by}': expected stream or material")
        with busy(f"loading the company registry of {region}"):
            tables = data.load_capabilities(region)
        cov = cap.coverage(tables, by=by)
        if fillers:
            if by != "stream":
                raise UnknownIdError("--fillers works on gaps by stream (use --by stream)")
            origin = cap.region_origin(cap.company_locations(tables["companies"], tables["towns"]))
            df = cap.nearest_fillers(cap.gaps(cov), tables["facilities"], tables["facility_capabilities"], origin, k=k)
            caption = "distance_km: great-circle km; facilities of the curated registry only"
            if fmt is Format.table:  # gaps nobody in the registry fills are summarised, not listed as empty rows
                unfilled = df[df["facility_id"].isna()] if "facility_id" in df else df.iloc[:0]
                df = df[df["facility_id"].notna()] if "facility_id" in df else df
                df = df.drop(columns=[c for c in ("name", "source_id", "town") if c in df])
                if len(unfilled):
                    caption += (f"; {len(unfilled)} gaps without a known facility (--format csv lists them): "
                                + ", ".join(f"{r.stream}/{r.activity_id}" for r in unfilled.itertuples()))
            emit(df, fmt, title=f"Nearest facilities filling the gaps of {region} — origin "
                 f"{origin[0]:.3f}, {origin[1]:.3f} (mean of company locations)", caption=caption)
            return
        matrix = cap.coverage_matrix(cov, tables["supply_chain_activities"])
        emit(matrix if fmt is not Format.table else matrix.drop(columns=["gaps"]), fmt,
             title=f"Stage coverage by {by}, {region} (number of companies)",
             caption="A company covers (stream, stage) when it has both; covered: stages with at least one "
                     "company; stages per Table 4 of HCSS (2025); gaps: --format csv/json or --fillers.")

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
        from critmat import capabilities_data as data
        from critmat.errors import UnknownIdError
        from critmat.models import capabilities as cap
        from critmat.models import matching as mm

        if role not in (None, "recycler", "offtaker"):
            raise UnknownIdError(f"--role '{role}': expected recycler or offtaker")
        with busy(f"loading the company registry of {region}"):
            tables = data.load_capabilities(region)
        vocab = tables["streams"]["stream_id"]
        specs = (data.read_stream_specs(stream_file, vocab) if stream_file else data.bundled_stream_specs(vocab))
        if not specs:
            raise UnknownIdError(f"{stream_file}: no stream specs in the file (expected a list of specs, see "
                                 "docs/capabilities.md)")
        if not placeholders and not stream_file and scenario:
            wh = warehouse(db)
            with busy(f"running the flows model ({scenario})"):
                specs = data.streams_with_flows(specs, region, scenario, wh)
        chosen = [mm.get_spec(specs, s) for s in stream] if stream else list(specs.values())
        foreign = [s.name for s in chosen if s.region_id != region]
        if foreign:
            raise UnknownIdError(f"stream '{foreign[0]}' belongs to region "
                                 f"'{specs[foreign[0]].region_id}', not '{region}'")
        locs = cap.company_locations(tables["companies"], tables["towns"])
        cands = mm.candidates(locs, tables["company_activities"], tables["company_streams"],
                              tables["facilities"], tables["facility_capabilities"])
        with busy("ranking candidates"):
            df = mm.match_streams(chosen, cands, top=top)
        if role:
            df = df[df["role"] == role].reset_index(drop=True)
        notes = "; ".join(f"{s.name}: {s.tonnes_per_year:,.0f} t/yr {s.year_from}-{s.year_to}"
                          + (" (ASSUMPTION)" if s.assumption else f" ({s.basis})") for s in chosen)
        title = f"Matches for {region}" + (f": {chosen[0].name}" if len(chosen) == 1 else "")
        if fmt is not Format.table:
            emit(df, fmt, title=title, caption=notes)
        else:  # one table per stream and role; score components, names, towns and sources are in csv/json
            drop = ["kind", "source_id", "matched_streams", "town", "name", "role", "stream",
                    "s_capacity", "s_distance", "s_status"]
            con = stdout_console()
            groups = [(st, r) for st in dict.fromkeys(df["stream"]) for r in ("recycler", "offtaker")
                      if ((df["stream"] == st) & (df["role"] == r)).any()] if len(df) else []
            for i, (st, r) in enumerate(groups):
                sub = df[(df["stream"] == st) & (df["role"] == r)]
                emit(sub.drop(columns=[c for c in drop if c in sub]), fmt, console=con,
                     title=f"{title if len(chosen) == 1 else f'Matches for {region}: {st}'} — {r}s",
                     caption=(SCORE_NOTE + "\n" + notes) if i == len(groups) - 1 else None)
            if not groups:
                con.print(f"[yellow]No candidates found.[/] {notes}", highlight=False)
        if fmt is Format.table and any(s.assumption for s in chosen):
            Console(stderr=True).print("[dim]Stream tonnages marked ASSUMPTION are placeholders "
                                       "(source cap_eol_stream_placeholders) until the flows model provides them.")
