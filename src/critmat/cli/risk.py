"""CLI commands ``critmat risk`` (supply-risk indicators and regional exposure) and ``critmat disrupt``
(the disruption simulator). Thin shell over :mod:`critmat.risk_report`; numbers come from the models."""

from __future__ import annotations

import datetime as dt
import sys
import typing
from typing import Annotated

import typer
from rich.panel import Panel

from critmat.cli.common import (
    PANEL_MATERIALS,
    DbOption,
    FormatOption,
    busy,
    group_ids,
    warehouse,
)
from critmat.cli.output import (
    Format,
    emit,
    mark_groups,
    records,
    stdout_console,
    to_json,
)
from critmat.errors import UnknownIdError

if typing.TYPE_CHECKING:
    import pandas as pd

RISK_GROUP_NOTE = ("* an EU group assessed as a whole (e.g. heavy rare earths); its elements are listed too, with "
                   "the group's SR/EI where they have no value of their own")
RISK_COLUMNS = ["material_id", "name", "sr", "ei", "hhi_extraction", "hhi_processing", "china_extraction",
                "china_processing", "crma_exceeds", "controls_active"]
REGION_COLUMNS = ["stock_t", "need_t_per_yr", "exposure_score", "rank"]
DETAIL_COLUMNS = ["sr_basis", "supply_basis", "top_extraction", "top_processing", "crma_detail", "control_ids",
                  "replacement_t_per_yr", "pipeline_t_per_yr"]


def _date(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"'{value}' is not a date YYYY-MM-DD", param_hint=option) from None


def _stage_columns(cols: list[str], stage: str | None) -> list[str]:
    if stage is None:
        return cols
    other = "processing" if stage == "extraction" else "extraction"
    return [c for c in cols if not c.endswith(f"_{other}")]


def _projects_by_asset(projects: pd.DataFrame) -> pd.DataFrame:
    """One table row per project: its materials with tonnes (largest first) and the control ids (tables only;
    CSV/JSON keep one row per project and material)."""
    import pandas as pd

    from critmat.cli.output import fmt_number

    keys = [c for c in ("asset_id", "status", "commissioning_year") if c in projects]
    rows = []
    for key, g in projects.sort_values("mass_t", ascending=False).groupby(keys, sort=False, dropna=False):
        row = dict(zip(keys, key if isinstance(key, tuple) else (key,)))
        row["materials_t"] = ", ".join(f"{m} {fmt_number(t)}" for m, t in zip(g["material"], g["mass_t"]))
        if "control_ids" in g:
            ids = sorted({i for v in g["control_ids"].dropna() for i in str(v).split(";") if i})
            row["control_ids"] = "; ".join(ids)
        rows.append(row)
    out = pd.DataFrame(rows)
    return out.sort_values(["commissioning_year", "asset_id"], na_position="first").reset_index(drop=True) \
        if "commissioning_year" in out else out


def _section(df: pd.DataFrame) -> list[dict]:
    return records(df) if len(df) else []


SORT_COLUMNS = {"score": "exposure_score", "sr": "sr", "need": "need_t_per_yr", "stock": "stock_t"}


def _risk(material: str | None, stage: str | None, region: str | None, top: int | None, on: str | None,
          db, fmt: Format, sort: str = "score", all_materials: bool = False) -> None:
    from critmat import risk_report as rr
    from critmat.knowledge import material_index
    from critmat.models.rankings import METHODS, side_by_side
    from critmat.models.risk import check_stage

    if stage is not None:
        check_stage(stage)
    day = _date(on, "--on") or dt.date.today()
    wh = warehouse(db)
    with busy("computing supply-risk indicators"):
        data = rr.risk_data(wh)
    mid = material_index(wh).resolve(material) if material else None
    groups = group_ids(wh.table("materials"))
    if region is None:
        table = rr.indicators(data, day)
        table = table[table["sr"].notna() | table["hhi_extraction"].notna() | table["hhi_processing"].notna()]
        table = table.sort_values(["sr", "material_id"], ascending=[False, True], na_position="last")
        if mid is not None:
            table = table[table["material_id"] == mid]
        cols = _stage_columns(RISK_COLUMNS, stage)
        table = table.reset_index(drop=True)
        if top is not None:
            table = table.head(top)
        title = f"Supply risk of {len(table)} materials (controls in force on {day})"
        caption = ("sr, ei: EC 2023 criticality scores (an element without its own value takes its EU group's); "
                   "hhi (0..1) and china (share 0..1): concentration of global supply per stage; crma_exceeds: one "
                   "third country > 65 % (EU sourcing, else global proxy); controls_active: export controls in "
                   "force that apply to NLD. --stage for one stage, --region nh-fl for exposure, --format json "
                   "for the detail columns.")
        if fmt is Format.json:
            shown, _ = mark_groups(table[cols + DETAIL_COLUMNS[:6]], "material_id", groups, fmt)
            sys.stdout.write(to_json({"on": day.isoformat(), "materials": _section(shown)}) + "\n")
        elif fmt is Format.csv:
            emit(mark_groups(table[cols + DETAIL_COLUMNS[:6]], "material_id", groups, fmt)[0], fmt)
        else:
            shown, caption = mark_groups(table[[c for c in cols if c != "name"]], "material_id", groups, fmt,
                                         caption, note=RISK_GROUP_NOTE)
            emit(shown, fmt, title=title, caption=caption)
        return

    with busy(f"computing the exposure of {region}"):
        rep = rr.exposure_report(data, region, day, crm_only=not all_materials)
    mats = rep.materials
    mats = mats[mats["sr"].notna() | (mats["need_t_per_yr"] > 0)]
    if sort != "score":  # the rank column keeps the exposure rank; only the order of the rows changes
        mats = mats[(mats["stock_t"].fillna(0) > 0) | (mats["need_t_per_yr"].fillna(0) > 0)]
        mats = mats.sort_values([SORT_COLUMNS[sort], "material_id"], ascending=[False, True], na_position="last")
    projects, companies = rep.projects, rep.companies
    if mid is not None:
        mats = mats[mats["material_id"] == mid]
        projects = projects[projects["material"] == mid]
        companies = companies[companies["materials"].fillna("").str.split(";").map(lambda s: mid in s)]
    cols = _stage_columns(["rank", "material_id", "sr", "ei", "hhi_extraction", "hhi_processing",
                           "china_extraction", "china_processing", "crma_exceeds", "controls_active", "stock_t",
                           "need_t_per_yr", "exposure_score"], stage)
    if top is not None:
        mats, companies = mats.head(top), companies.head(top)
    mats = mats.reset_index(drop=True)
    years = f"{rep.years[0]}–{rep.years[-1]}"
    if fmt is Format.json:
        shown, _ = mark_groups(mats[cols + [c for c in DETAIL_COLUMNS if c in mats]], "material_id", groups, fmt)
        out = {"region": rep.region_id, "on": day.isoformat(), "horizon_years": rep.years,
               "score": f"exposure_score = need_t_per_yr x SR (EC 2023); need: {rep.need_basis}",
               "materials": _section(shown), "crm_only": rep.crm_only,
               "views": {k: {"method": METHODS[k], "rows": _section(v)} for k, v in rep.views.items()},
               "asset_classes": _section(rep.asset_classes), "goods_categories": _section(rep.goods_categories),
               "companies": _section(companies), "projects_under_controls": _section(projects),
               "lifetimes": _section(rep.lifetimes), "assets_not_counted": rep.excluded_assets}
        sys.stdout.write(to_json(out) + "\n")
        return
    if fmt is Format.csv:
        emit(mark_groups(mats[cols + [c for c in DETAIL_COLUMNS if c in mats]], "material_id", groups, fmt)[0], fmt)
        return
    con = stdout_console()
    # the table leaves out HHI and China share (in `critmat risk` and --format json) to fit a terminal
    table_cols = cols if stage else [c for c in cols if not c.startswith(("hhi_", "china_"))]
    shown, caption = mark_groups(
        mats[table_cols], "material_id", groups, fmt,
        f"stock_t: tonnes held now; need_t_per_yr ({rep.need_basis}); "
        "exposure_score = need_t_per_yr × sr (EC 2023). HHI and China share: --stage, `critmat risk` or "
        "--format json (every section and the detail columns).", note=RISK_GROUP_NOTE)
    emit(shown, fmt, console=con,
         title=f"Exposure of {rep.region_id} by material (need averaged {years}; controls on {day})",
         caption=caption)
    if rep.views:
        emit(side_by_side(rep.views, top or 10), fmt, console=con,
             title="Three rankings side by side" + (" (EU CRM list 2023 and members of its groups; --all for every "
                                                   "material)" if rep.crm_only else " (every material)"),
             caption="; ".join(f"{k}: {m}" for k, m in METHODS.items()))
    emit(rep.asset_classes[["rank", "asset_class", "need_t_per_yr", "exposure_score", "top_material",
                            "controlled_need_t_per_yr"]], fmt, console=con,
         title="Exposure by asset class (Σ need × SR)",
         caption="controlled_need_t_per_yr: need of materials under export controls in force (list: --format json)")
    if len(rep.goods_categories):
        emit(rep.goods_categories[["rank", "goods_category_id", "shares", "materials", "max_sr",
                                   "controlled_materials", "exposure_score"]], fmt, console=con,
             title="Goods categories (HCSS Table 3 share of CRM volume × max SR of the Figure 5 materials)")
    if len(companies):
        emit(companies[["rank", "company_id", "activity", "exposure_score", "max_sr_material",
                        "controlled_materials"]], fmt, console=con,
             title="Companies by the highest SR among the materials they handle",
             caption="exposure_score: the highest SR (EC 2023) among the materials the company handles")
    if len(projects):
        emit(_projects_by_asset(projects), fmt, console=con,
             title=f"Planned / under-construction projects holding materials under export controls in force on {day}",
             caption="materials_t: tonnes of each controlled material in the project (central intensities); "
                     "names, classes and one row per material: --format json"
                     + (f"; not counted (no capacity/length/units): {', '.join(rep.excluded_assets)}"
                        if rep.excluded_assets else ""))


def _disrupt(shock: str | None, materials: list[str] | None, country: str | None, stage: str | None,
             share: float | None, months: float | None, start: str | None, destinations: list[str] | None,
             spare: float | None, leakage: float | None, region: str | None, lead_years: int, db,
             fmt: Format) -> None:
    from critmat import risk_report as rr
    from critmat.errors import ScenarioError
    from critmat.specs.shocks import load_shock, shock_from_dict

    base: dict = {}
    where = "command line"
    if shock is None and not materials and country is None:
        raise ScenarioError("no shock given: name a bundled shock (`critmat disrupt --list`) or a shock YAML file, "
                            "or give --material and --country (e.g. critmat disrupt -m gallium -c CHN)")
    if shock is not None:
        spec0 = load_shock(shock)
        base = spec0.model_dump(exclude_none=True)
        where = f"shock '{spec0.id}' with command-line options"
    else:
        base = {"id": "custom", "title": "command-line shock", "start": dt.date.today().isoformat(), "months": 12}
    given = {"materials": materials or None, "country": country, "stage": stage, "share": share, "months": months,
             "start": start, "destinations": destinations or None, "spare_capacity": spare, "eu_leakage": leakage}
    base.update({k: v for k, v in given.items() if v is not None})
    spec = shock_from_dict(base, where=where)
    wh = warehouse(db)
    with busy("simulating the shock" + (f" on {region}" if region else "")):
        res = rr.run_shock(wh, spec, region, lead_years=lead_years)
    flat = res.supply.merge(res.mitigations, left_on="material_id", right_on="material", how="left") \
        .drop(columns=["material", "alt_cover_y"]).rename(columns={"alt_cover_x": "alt_cover"})
    assumptions = {"spare_capacity": res.shock.spare_capacity, "eu_leakage": res.shock.eu_leakage,
                   "lead_years": lead_years,
                   "need_and_secondary_supply": (res.need_basis or "region need") if region else
                                                "not available (give --region)",
                   "sources": ["critmat_assumption_spare_capacity", "critmat_assumption_eu_leakage",
                               *res.shock.source_ids]}
    if fmt is Format.json:
        out = {"shock": res.shock.model_dump(mode="json"), "description": res.shock.describe(),
               "region": region, "materials": list(res.materials),
               "year_fraction": {str(k): v for k, v in res.year_fraction.items()},
               "supply": _section(res.supply), "affected_need": _section(res.affected),
               "affected_by_year_class": _section(res.affected_by_year_class()),
               "mitigations": _section(res.mitigations), "companies": _section(res.companies),
               "projects": _section(res.projects), "totals": res.totals(), "assumptions": assumptions}
        sys.stdout.write(to_json(out) + "\n")
        return
    if fmt is Format.csv:
        emit(flat, fmt)
        return
    con = stdout_console()
    s = res.shock
    con.print(Panel(f"[bold]{s.title or s.id}[/] ({s.id})\n{s.describe()}\n"
                    f"[dim]years touched: {', '.join(f'{y} ({f:.0%})' for y, f in res.year_fraction.items()) or 'none'}"
                    f"; sources: {', '.join(s.source_ids) or '—'}[/]", expand=False))
    h = 1.0 if res.supply["eu_hit"].all() else s.eu_leakage
    supply = res.supply[["material_id", "stage", "country_share", "world_lost_share", "eu_share", "eu_basis",
                         "eu_lost_share", "spare_share", "alt_cover", "note"]]
    if not supply["note"].fillna("").astype(str).str.strip().any():
        supply = supply.drop(columns="note")
    emit(supply, fmt, console=con,
         title="Supply lost (shares of world supply and of EU sourcing)",
         caption=f"world lost = country share × {s.share:g}; EU lost also × {h:g} (destinations); spare = other "
                 f"listed suppliers × {s.spare_capacity:g} (assumption)")
    if region is None:
        con.print("[dim]--region nh-fl for the region's affected need, companies and projects.[/]")
        return
    if res.affected.empty or res.totals()["affected_t"] == 0:
        con.print(f"[yellow]The region's assets need none of {', '.join(res.materials)} in the years of the "
                  "shock (per critmat's intensity tables).[/]")
    else:
        emit(res.affected_by_year_class(), fmt, console=con,
             title=f"Affected need of {region} per year and asset class (t)",
             caption="affected = need × EU-sourcing share lost × share of the year inside the shock")
    mit = res.mitigations.copy()
    if "substitution" in mit:  # the source id is in --format json; the table keeps the index and its meaning
        mit["substitution"] = mit["substitution"].astype(str).str.replace(r"; [A-Za-z0-9_]+\)$", ")", regex=True)
    emit(mit, fmt, console=con, title="Affected need and mitigations per material (t over the shock)",
         caption="alternative = affected × covered fraction (pro rata); secondary = recovery from the region's "
                 "end-of-life outflows (circularity shares), up to what remains; substitution: EC 2023 SI_SR "
                 "(0..1, 1 = no substitute; source ids in --format json)")
    if len(res.companies):
        emit(res.companies, fmt, console=con, title="Exposed companies (handle a material whose EU supply is cut)")
    if len(res.projects):
        emit(_projects_by_asset(res.projects), fmt, console=con,
             title=f"Exposed projects (commissioning in the shock years or up to {lead_years} year(s) after)",
             caption="materials_t: tonnes of each affected material in the project (central intensities)")


def register(app: typer.Typer) -> None:
    """Add ``risk`` and ``disrupt`` to the root app."""

    @app.command("risk", rich_help_panel=PANEL_MATERIALS)
    def risk_cmd(
        material: Annotated[str | None, typer.Option("--material", "-m", help="Only this material (id, name "
                                                     "or symbol).")] = None,
        stage: Annotated[str | None, typer.Option("--stage", help="Show HHI and China share of one stage: "
                                                  "extraction or processing.")] = None,
        region: Annotated[str | None, typer.Option("--region", "-r", help="Region pack id (e.g. nh-fl): rank "
                                                   "its exposure (stock, need, score) and add its asset classes, "
                                                   "goods categories, companies and projects under controls. "
                                                   "Default: none, the materials only.")] = None,
        top: Annotated[int | None, typer.Option("--top", min=1, help="Only the first N materials "
                                                "(and companies).")] = None,
        on: Annotated[str | None, typer.Option("--on", help="Date for export controls in force and the start "
                                               "of the need horizon, YYYY-MM-DD (default today).")] = None,
        sort: Annotated[str, typer.Option("--sort", help="With --region, order the materials by: score "
                                          "(need × SR, the exposure rank), sr, need or stock. The tonnage-"
                                          "weighted score puts bulk metals first; --sort sr shows the most "
                                          "supply-critical of what the region holds.")] = "score",
        all_materials: Annotated[bool, typer.Option("--all", help="With --region, rank every material (default: "
                                                    "the EU CRM list 2023 and members of its groups).")] = False,
        db: DbOption = None,
        fmt: FormatOption = Format.table,
    ) -> None:
        """Supply risk of every material; with --region, the region's exposure ranking.

        Per material: EC 2023 supply risk (SR) and economic importance (EI), HHI and China's share of global
        supply per stage (0..1), the CRMA 65 % single-country flag and the export controls in force. With
        --region: tonnes held (stock_t), need in t/yr (replacement + pipeline) and exposure_score = need × SR,
        ranked, with asset classes, goods categories, companies and projects under controls.

        JSON: an object (on, materials; with --region also the other sections); CSV: the materials rows.
        Rows of material groups (REE, PGM) are flagged (is_group; * in tables).
        """
        if sort not in SORT_COLUMNS:
            raise UnknownIdError(f"--sort '{sort}': expected one of {', '.join(SORT_COLUMNS)}")
        _risk(material, stage, region, top, on, db, fmt, sort, all_materials)

    @app.command("disrupt", rich_help_panel=PANEL_MATERIALS)
    def disrupt_cmd(
        shock: Annotated[str | None, typer.Argument(
            help="A shock YAML file or a bundled shock name (ree-april-2025, ga-ge-2023, "
                 "china-ree-processing-ban-12m). Options override its keys.")] = None,
        material: Annotated[list[str] | None, typer.Option("--material", "-m", help="Material id, name or "
                                                           "group (repeat for several).")] = None,
        country: Annotated[str | None, typer.Option("--country", "-c", help="Supplier country, ISO3 (CHN).")] = None,
        stage: Annotated[str | None, typer.Option("--stage", help="extraction or processing "
                                                  "(default processing).")] = None,
        share: Annotated[float | None, typer.Option("--share", help="Share of the country's supply withheld, "
                                                    "0..1 (default 1).")] = None,
        months: Annotated[float | None, typer.Option("--months", help="Duration in months, 0..600 "
                                                     "(default 12).")] = None,
        start: Annotated[str | None, typer.Option("--start", help="First day, YYYY-MM-DD (default today).")] = None,
        destination: Annotated[list[str] | None, typer.Option("--destination", "-d", help="Only towards these "
                                                              "destinations (ISO3 or EU; repeat).")] = None,
        spare: Annotated[float | None, typer.Option("--spare", help="Other suppliers' extra output, fraction of "
                                                    "their output (default 0.10, an assumption).")] = None,
        leakage: Annotated[float | None, typer.Option("--eu-leakage", help="Share of a non-EU-aimed loss that "
                                                      "reaches EU sourcing (default 0).")] = None,
        region: Annotated[str | None, typer.Option("--region", "-r", help="Region pack id whose need, companies "
                                                   "and projects are hit (default: none, supply only).")] = None,
        lead_years: Annotated[int, typer.Option("--lead-years", min=0, max=100, help="Projects commissioning up to N "
                                                "years after the shock are exposed.")] = 1,
        list_bundled: Annotated[bool, typer.Option("--list", help="List the bundled shocks and exit.")] = False,
        db: DbOption = None,
        fmt: FormatOption = Format.table,
    ) -> None:
        """Simulate a supply shock: a country withholding a material, and who in the region is hit.

        Shows the world and EU-sourcing supply lost (shares 0..1), and with --region the affected need per
        year and asset class (t), exposed companies and projects, and mitigations (alternative suppliers,
        secondary supply, substitution). Give a bundled shock (--list) or a YAML file, or build one from
        --material and --country.

        JSON: an object with sections; CSV: one row per material.
        """
        if list_bundled:
            import pandas as pd

            from critmat.specs.shocks import bundled_shocks, load_shock

            rows = [{"name": n, **{k: v for k, v in load_shock(n).model_dump(mode="json").items()
                                   if k in ("title", "country", "stage", "share", "start", "months")}}
                    for n in bundled_shocks()]
            emit(pd.DataFrame(rows), fmt, title="Bundled shocks (critmat/data/shocks)")
            return
        _disrupt(shock, material, country, stage, share, months, start, destination, spare, leakage, region,
                 lead_years, db, fmt)

    register_components(app)


def register_components(app: typer.Typer) -> None:
    """Add ``disrupt-component`` (a component shock in the region's terms) to the root app."""

    @app.command("disrupt-component", rich_help_panel=PANEL_MATERIALS)
    def disrupt_component_cmd(
        component: Annotated[str | None, typer.Argument(help="Component id (ndfeb_magnet, li_ion_cell, pv_module, "
                                                        "wind_nacelle ...; --list).")] = None,
        country: Annotated[str, typer.Option("--country", "-c", help="Supplier country, ISO3.")] = "CHN",
        share: Annotated[float, typer.Option("--share", min=0.0, max=1.0, help="Share of the country's "
                                             "production withheld, 0..1.")] = 1.0,
        months: Annotated[float, typer.Option("--months", min=0.01, help="Duration in months.")] = 12.0,
        start: Annotated[str | None, typer.Option("--start", help="First day, YYYY-MM-DD (default today).")] = None,
        region: Annotated[str, typer.Option("--region", "-r", help="Region pack id.")] = "nh-fl",
        scenario: Annotated[str, typer.Option("--scenario", "-s", help="Flow scenario for the need and the "
                                              "target fleets.")] = "baseline",
        list_components: Annotated[bool, typer.Option("--list", help="List the components and exit.")] = False,
        db: DbOption = None,
        fmt: FormatOption = Format.table,
    ) -> None:
        """A country withholds a component (magnets, battery cells, PV modules ...): what the region loses.

        In the region's terms: planned projects commissioning in the window (MW delayed), new cars and other
        fleet units in the window (units delayed), tonnes of the component's materials (and of magnet) withheld,
        and the companies that depend on those materials. Pro rata: the withheld share of world supply
        (share x the country's share of production) delays the same share of what the region builds.
        """
        from critmat import risk_report as rr

        wh = warehouse(db)
        if list_components or component is None:
            comps = wh.table("components").merge(
                wh.table("component_supply").pivot_table(index="component_id", columns="country_iso3",
                                                         values="share").add_prefix("share_").reset_index(),
                on="component_id", how="left")
            emit(comps.drop(columns=["description"]), fmt, title="Components and country shares of production",
                 caption="sources: critmat sources; semiconductors/power electronics: no bundled shares (the only "
                         "source found is CC BY-NC)")
            return
        day = _date(start, "--start") or dt.date.today()
        with busy(f"simulating the {component} shock for {region}"):
            res = rr.run_component_shock(wh, region, component, country, share, months, day, scenario)
        summ = res.summary
        if fmt is Format.json:
            sys.stdout.write(to_json({"summary": summ, "window": {str(k): v for k, v in res.window.items()},
                                      "projects": _section(res.projects), "fleets": _section(res.fleets),
                                      "materials": _section(res.materials),
                                      "companies": _section(res.companies)}) + "\n")
            return
        if fmt is Format.csv:
            emit(res.projects, fmt)
            return
        con = stdout_console()
        import pandas as pd

        emit(pd.DataFrame([summ]).T.reset_index().rename(columns={"index": "item", 0: "value"}), fmt, console=con,
             title=f"{component}: {country} withholds {share:.0%} for {months:g} months from {day}",
             caption=f"withheld fraction of world supply = share x {country}'s share of production; window years: "
                     + ", ".join(f"{y} ({w:.0%})" for y, w in res.window.items()))
        if len(res.projects):
            emit(res.projects[["asset_id", "asset_class", "status", "commissioning_year", "quantity", "unit",
                               "delayed"]], fmt, console=con, title="Projects commissioning in the window")
        if len(res.fleets):
            emit(res.fleets, fmt, console=con, title="New fleet units in the window (growth and replacement)")
        if len(res.materials):
            emit(res.materials, fmt, console=con, title="Materials in the component needed in the window (t)")
        emit(res.companies, fmt, console=con, title="Companies depending on the component's materials",
             caption="materials handled only in end-of-life streams do not count")

    @app.command("benchmarks", rich_help_panel=PANEL_MATERIALS)
    def benchmarks_cmd(
        region: Annotated[str, typer.Option("--region", "-r", help="Region pack id.")] = "nh-fl",
        scenario: Annotated[str, typer.Option("--scenario", "-s", help="Flow scenario for the EoL-RIR.")] = "baseline",
        crm_only: Annotated[bool, typer.Option("--crm/--all", help="CRMs only (default) or every material held.")] = True,
        db: DbOption = None,
        fmt: FormatOption = Format.table,
    ) -> None:
        """The four CRMA 2030 benchmarks per material: the indicators critmat can compute, or why not.

        10 % extraction, 40 % processing, 25 % recycling (EoL-RIR, CRMs only), at most 65 % from one third
        country."""
        from critmat import risk_report as rr
        from critmat.models.benchmarks import EOL_RIR_DEFINITION

        wh = warehouse(db)
        with busy(f"computing the CRMA benchmarks for {region}"):
            t = rr.crma_benchmark_table(wh, region, scenario)
        if crm_only:
            t = t[~t["recycling_reason"].str.startswith("not a CRM")].reset_index(drop=True)
        cols = t.columns if fmt is not Format.table else [c for c in t.columns if not c.endswith("_reason")]
        emit(t[list(cols)], fmt, title=f"CRMA 2030 benchmarks, {region} ({scenario})",
             caption="extraction/processing: proxy = EU member states' share of EU sourcing (EC 2023); empty where "
                     "the EC gives no EU sourcing for the stage (no EU capacity/consumption data in critmat). "
                     f"recycling: {EOL_RIR_DEFINITION}, CRMs only. single country: largest third-country share "
                     "(EU sourcing, else global proxy). Reasons per cell: --format json/csv.")
