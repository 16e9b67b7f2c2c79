"""Capabilities: the region's companies by supply-chain activity, stage coverage and gaps, the nearest
facilities filling them, and matchmaking of end-of-life streams with recyclers and offtakers.

Thin over :mod:`critmat.capabilities_data` (the registry, read from the warehouse) and the pure models
:mod:`critmat.models.capabilities` and :mod:`critmat.models.matching`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from critmat.services.base import Result, Section
from critmat.services.context import answer

if TYPE_CHECKING:
    from critmat.warehouse.access import TableSource

SCORE_NOTE = ("score (0..1) = 0.40 s_capacity (capacity_t_per_yr / stream t/yr, capped at 1; 0.5 unknown) + "
              "0.35 s_distance (exp(-km/500)) + 0.25 s_status (operational 1 ... planned 0.3); region before eu")
SCORE_HINT = "The components: --format csv/json."
REGISTRY_CAPTION = ("Source: HCSS (2025) Table 6 and Figure 10, reconciled (see docs/capabilities.md); "
                    "coordinates are town centres unless location_precision = address.")


def registry(wh: TableSource, region: str = "nh-fl") -> dict[str, Any]:
    """The capability registry of ``region`` from the warehouse (shared per build; do not mutate)."""
    from critmat.capabilities_data import load_capabilities
    from critmat.services.context import memo

    return memo(wh, ("capabilities", str(region)), lambda: load_capabilities(str(region), source=wh))


def activity_id(tables: dict[str, Any], value: str | None) -> str | None:
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


@answer
def companies(wh: TableSource, region: str = "nh-fl", activity: str | None = None, material: str | None = None,
              stream: str | None = None) -> Result:
    """Companies and institutions in CRM supply chains (HCSS 2025 Table 6 + Figure 10), optionally those with
    an activity, handling a material (named or via their streams) or a stream."""
    from critmat.errors import UnknownIdError
    from critmat.knowledge import material_index
    from critmat.models.capabilities import company_registry

    tables = registry(wh, region)
    act = activity_id(tables, activity)
    mat = material_index(wh).resolve(material) if material else None
    if stream is not None and stream not in set(tables["streams"]["stream_id"]):
        raise UnknownIdError(f"unknown stream '{stream}' (known: {', '.join(sorted(tables['streams']['stream_id']))})")
    df = company_registry(tables, activity=act, material=mat, stream=stream)
    filt = ", ".join(x for x in [act and f"activity {act}", mat and f"material {mat}",
                                 stream and f"stream {stream}"] if x)
    title = f"Companies in CRM supply chains, {region}" + (f" ({filt})" if filt else "") + f" — {len(df)}"
    shown = df[["company_id", "primary_activity_id", "town", "municipality_code", "streams"]]
    return Result(df, title=title, caption=REGISTRY_CAPTION,
                  sources=sorted(set(df["source_id"].dropna())) if "source_id" in df else [],
                  params={"region": region, "activity": act, "material": mat, "stream": stream},
                  sections=[Section("companies", shown, title, REGISTRY_CAPTION)])


@answer
def coverage(wh: TableSource, region: str = "nh-fl", by: str = "stream") -> Result:
    """Stage coverage: companies per stream (or material) and stage, stages covered, and the gaps."""
    from critmat.errors import UnknownIdError
    from critmat.models import capabilities as cap

    if by not in ("stream", "material"):
        raise UnknownIdError(f"--by '{by}': expected stream or material")
    tables = registry(wh, region)
    matrix = cap.coverage_matrix(cap.coverage(tables, by=by), tables["supply_chain_activities"])
    title = f"Stage coverage by {by}, {region} (number of companies)"
    caption = ("A company covers (stream, stage) when it has both; covered: stages with at least one "
               "company; stages per Table 4 of HCSS (2025).")
    hint = "The gaps: --format csv/json or --fillers."
    return Result(matrix, title=title, caption=caption, hint=hint, params={"region": region, "by": by},
                  sections=[Section("coverage", matrix.drop(columns=["gaps"]), title, caption, hint=hint)])


@answer
def fillers(wh: TableSource, region: str = "nh-fl", k: int = 3) -> Result:
    """The nearest European facilities (great-circle km from the region) that fill each gap by stream."""
    from critmat.models import capabilities as cap

    tables = registry(wh, region)
    cov = cap.coverage(tables, by="stream")
    origin = cap.region_origin(cap.company_locations(tables["companies"], tables["towns"]))
    df = cap.nearest_fillers(cap.gaps(cov), tables["facilities"], tables["facility_capabilities"], origin, k=k)
    caption = "distance_km: great-circle km; facilities of the curated registry only"
    title = (f"Nearest facilities filling the gaps of {region} — origin {origin[0]:.3f}, {origin[1]:.3f} "
             "(mean of company locations)")
    # the table: gaps nobody in the registry fills are summarised, not listed as empty rows
    unfilled = df[df["facility_id"].isna()] if "facility_id" in df else df.iloc[:0]
    shown = df[df["facility_id"].notna()] if "facility_id" in df else df
    shown = shown.drop(columns=[c for c in ("name", "source_id", "town") if c in shown])
    table_caption = caption + ((f"; {len(unfilled)} gaps without a known facility: "
                                + ", ".join(f"{r.stream}/{r.activity_id}" for r in unfilled.itertuples()))
                               if len(unfilled) else "")
    return Result(df, title=title, caption=caption, params={"region": region, "k": k, "origin": list(origin)},
                  sections=[Section("fillers", shown, title, table_caption)])


def stream_specs(wh: TableSource, region: str = "nh-fl", stream_file: Path | None = None, scenario: str | None = "baseline",
                 placeholders: bool = False) -> dict[str, Any]:
    """End-of-life stream specs: the bundled ones (warehouse) or a file's; tonnes from the flows model under
    ``scenario`` where it covers the stream (not with a file or ``placeholders``)."""
    from critmat import capabilities_data as data
    from critmat.errors import UnknownIdError
    from critmat.models.matching import check_spec, streams_from_flows
    from critmat.services import flows as flows_service
    from critmat.warehouse import access

    vocab = registry(wh, region)["streams"]["stream_id"]
    if stream_file:
        specs = data.read_stream_specs(stream_file, vocab)
        if not specs:
            raise UnknownIdError(f"{stream_file}: no stream specs in the file (expected a list of specs, see "
                                 "docs/capabilities.md)")
        return specs
    specs = access.stream_specs(wh)
    for spec in specs.values():
        check_spec(spec, vocab)
    if placeholders or not scenario:
        return specs
    res = flows_service.run(wh, region, scenario, level="region")
    return {**specs, **streams_from_flows(res.flows, specs, region=region, variable="collected",
                                          source_id=f"critmat flows, scenario {scenario}")}


@answer
def top_matches(wh: TableSource, region: str = "nh-fl", scenario: str = "baseline", top: int = 3) -> Result:
    """The ``top`` recyclers and offtakers of each of the region's own end-of-life streams (tonnes from the
    flows under ``scenario``); doc: the streams (stream, tonnes_per_year, years, basis, assumption)."""
    import pandas as pd

    specs = {k: v for k, v in stream_specs(wh, region, scenario=scenario).items() if v.region_id == region}
    streams = pd.DataFrame([{"stream": s.name, "tonnes_per_year": s.tonnes_per_year, "years":
                             f"{s.year_from}-{s.year_to}", "basis": s.basis, "assumption": s.assumption}
                            for s in specs.values()])
    if not specs:
        return Result(pd.DataFrame(), title="Top matches per stream", doc={"streams": streams},
                      params={"region": region, "scenario": scenario, "top": top})
    r = match(wh, region, streams=list(specs), top=top, scenario=scenario)
    return Result(r.frame, title=r.title, caption=r.caption, hint=r.hint, units=r.units, sources=r.sources,
                  params={**r.params, "top": top}, doc={"streams": streams})


@answer
def match(wh: TableSource, region: str = "nh-fl", streams: list[str] | None = None, stream_file: Path | None = None,
          role: str | None = None, top: int | None = 10, scenario: str | None = "baseline",
          placeholders: bool = False) -> Result:
    """Recyclers and offtakers ranked for each end-of-life stream, region first, then Europe."""
    from critmat.errors import UnknownIdError
    from critmat.models import capabilities as cap
    from critmat.models import matching as mm

    if role not in (None, "recycler", "offtaker"):
        raise UnknownIdError(f"--role '{role}': expected recycler or offtaker")
    tables = registry(wh, region)
    specs = stream_specs(wh, region, stream_file, scenario, placeholders)
    chosen = [mm.get_spec(specs, s) for s in streams] if streams else list(specs.values())
    foreign = [s.name for s in chosen if s.region_id != region]
    if foreign:
        raise UnknownIdError(f"stream '{foreign[0]}' belongs to region "
                             f"'{specs[foreign[0]].region_id}', not '{region}'")
    locs = cap.company_locations(tables["companies"], tables["towns"])
    cands = mm.candidates(locs, tables["company_activities"], tables["company_streams"],
                          tables["facilities"], tables["facility_capabilities"])
    df = mm.match_streams(chosen, cands, top=top)
    if role:
        df = df[df["role"] == role].reset_index(drop=True)
    notes = "; ".join(f"{s.name}: {s.tonnes_per_year:,.0f} t/yr {s.year_from}-{s.year_to}"
                      + (" (ASSUMPTION)" if s.assumption else f" ({s.basis})") for s in chosen)
    title = f"Matches for {region}" + (f": {chosen[0].name}" if len(chosen) == 1 else "")
    # the tables: one per stream and role; score components, names, towns and sources are in csv/json
    drop = ["kind", "source_id", "matched_streams", "town", "name", "role", "stream",
            "s_capacity", "s_distance", "s_status"]
    pairs = [(st, r) for st in dict.fromkeys(df["stream"]) for r in ("recycler", "offtaker")
             if ((df["stream"] == st) & (df["role"] == r)).any()] if len(df) else []
    sections = []
    for i, (st, r) in enumerate(pairs):
        sub = df[(df["stream"] == st) & (df["role"] == r)]
        sections.append(Section(f"{st}/{r}", sub.drop(columns=[c for c in drop if c in sub]),
                                f"{title if len(chosen) == 1 else f'Matches for {region}: {st}'} — {r}s",
                                (SCORE_NOTE + "\n" + notes) if i == len(pairs) - 1 else "",
                                hint=SCORE_HINT if i == len(pairs) - 1 else ""))
    if not pairs:
        sections.append(Section("none", text=f"[yellow]No candidates found.[/] {notes}"))
    return Result(df, title=title, caption=notes,
                  params={"region": region, "streams": [s.name for s in chosen], "role": role, "top": top,
                          "scenario": None if placeholders or stream_file else scenario,
                          "assumption": any(s.assumption for s in chosen)},
                  sections=sections)
