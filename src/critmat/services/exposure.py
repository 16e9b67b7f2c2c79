"""Exposure: supply-risk indicators of every material, a region's exposure rankings, the disruption
simulator (a country withholds a material or a component) and the CRMA 2030 benchmarks.

Thin over :mod:`critmat.risk_report` (glue) and the pure models (:mod:`critmat.models.risk`,
:mod:`critmat.models.exposure`, :mod:`critmat.models.disruption`, :mod:`critmat.models.components`). Each
function returns a :class:`~critmat.services.base.Result`: ``frame`` = the main rows (CSV), ``doc`` = the
JSON document, ``sections`` = the tables a reader sees.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from critmat.errors import UnknownIdError
from critmat.models.risk import check_stage
from critmat.services.base import Result, Section, flag_groups, fmt_number, group_ids, records
from critmat.services.context import answer

if TYPE_CHECKING:
    from critmat.warehouse.access import TableSource
    import pandas as pd

    from critmat.specs.shocks import ShockSpec

RISK_GROUP_NOTE = ("* an EU group assessed as a whole (e.g. heavy rare earths); its elements are listed too, with "
                   "the group's SR/EI where they have no value of their own")
RISK_COLUMNS = ["material_id", "name", "sr", "ei", "hhi_extraction", "hhi_processing", "china_extraction",
                "china_processing", "crma_exceeds", "controls_active"]
REGION_COLUMNS = ["stock_t", "need_t_per_yr", "exposure_score", "rank"]
DETAIL_COLUMNS = ["sr_basis", "supply_basis", "top_extraction", "top_processing", "crma_detail", "control_ids",
                  "replacement_t_per_yr", "pipeline_t_per_yr"]


SORT_COLUMNS = {"score": "exposure_score", "sr": "sr", "need": "need_t_per_yr", "stock": "stock_t"}


def _stage_columns(cols: list[str], stage: str | None) -> list[str]:
    if stage is None:
        return cols
    other = "processing" if stage == "extraction" else "extraction"
    return [c for c in cols if not c.endswith(f"_{other}")]


def projects_by_asset(projects: pd.DataFrame) -> pd.DataFrame:
    """One table row per project: its materials with tonnes (largest first) and the control ids (tables only;
    CSV/JSON keep one row per project and material)."""
    import pandas as pd


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


def _question(wh: TableSource, material: str | None, stage: str | None, on: dt.date | None
              ) -> tuple[dt.date, str | None, set[str]]:
    """What both risk views start from: the day, the material id and the group ids."""
    if stage is not None:
        check_stage(stage)
    mid = None
    if material:
        from critmat.knowledge import material_index

        mid = material_index(wh).resolve(material)
    return on or dt.date.today(), mid, group_ids(wh)


def _risk_data(wh: TableSource) -> Any:
    from critmat import risk_report as rr
    from critmat.services.context import memo

    return memo(wh, ("risk_data",), lambda: rr.risk_data(wh))


@answer
def supply_risk(wh: TableSource, material: str | None = None, stage: str | None = None, top: int | None = None,
                on: dt.date | None = None) -> Result:
    """SR, EI, HHI and China's share per stage, the CRMA 65 % flag and the controls in force on ``on``."""
    from critmat.warehouse import results

    day, mid, groups = _question(wh, material, stage, on)
    table = results.indicators(wh, day, results.STORED_DESTINATION)  # the build's (no risk data to load)
    if table is None:
        from critmat import risk_report as rr

        table = rr.indicators(_risk_data(wh), day)
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
               "force that apply to NLD.")
    hint = "--stage for one stage, --region nh-fl for exposure, --format json for the detail columns."
    full = flag_groups(table[cols + DETAIL_COLUMNS[:6]], "material_id", groups)
    shown = full[[c for c in full.columns if c in cols and c != "name" or c == "is_group"]]
    return Result(full, title=title, caption=caption, units={"china_extraction": "1", "china_processing": "1"},
                  params={"on": day.isoformat(), "material": mid, "stage": stage, "top": top},
                  doc=lambda: {"on": day.isoformat(), "materials": records(full)},
                  sections=[Section("materials", shown, title, caption, hint=hint)], hint=hint)


@answer
def exposure(wh: TableSource, region: str, material: str | None = None, stage: str | None = None, top: int | None = None,
             on: dt.date | None = None, sort: str = "score", all_materials: bool = False) -> Result:
    """The region's exposure: materials ranked by need × SR, three ranking views, asset classes, goods
    categories, companies and projects under export controls."""
    from critmat import risk_report as rr
    from critmat.models.rankings import METHODS, side_by_side
    from critmat.services.context import memo

    if sort not in SORT_COLUMNS:
        raise UnknownIdError(f"--sort '{sort}': expected one of {', '.join(SORT_COLUMNS)}")
    day, mid, groups = _question(wh, material, stage, on)
    data = _risk_data(wh)
    rep = memo(wh, ("exposure", str(region), day.isoformat(), not all_materials),
               lambda: rr.exposure_report(data, region, day, crm_only=not all_materials))
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
    full = flag_groups(mats[cols + [c for c in DETAIL_COLUMNS if c in mats]], "material_id", groups)
    doc = lambda: {"region": rep.region_id, "on": day.isoformat(), "horizon_years": rep.years,
           "score": f"exposure_score = need_t_per_yr x SR (EC 2023); need: {rep.need_basis}",
           "materials": records(full), "crm_only": rep.crm_only,
           "views": {k: {"method": METHODS[k], "rows": records(v)} for k, v in rep.views.items()},
           "asset_classes": records(rep.asset_classes), "goods_categories": records(rep.goods_categories),
           "companies": records(companies), "projects_under_controls": records(projects),
           "lifetimes": records(rep.lifetimes), "assets_not_counted": rep.excluded_assets}
    # the table leaves out HHI and China share (in `critmat risk` and --format json) to fit a terminal
    table_cols = cols if stage else [c for c in cols if not c.startswith(("hhi_", "china_"))]
    title = f"Exposure of {rep.region_id} by material (need averaged {years}; controls on {day})"
    caption = (f"stock_t: tonnes held now; need_t_per_yr ({rep.need_basis}); "
               "exposure_score = need_t_per_yr × sr (EC 2023).")
    hint = "HHI and China share: --stage, `critmat risk` or --format json (every section and the detail columns)."
    sections = [Section("materials", flag_groups(mats[table_cols], "material_id", groups), title, caption,
                        hint=hint)]
    if rep.views:
        sections.append(Section("views", side_by_side(rep.views, top or 10),
                                "Three rankings side by side" + (
                                    " (EU CRM list 2023 and members of its groups)"
                                    if rep.crm_only else " (every material)"),
                                "; ".join(f"{k}: {m}" for k, m in METHODS.items()),
                                hint="--all for every material." if rep.crm_only else ""))
    sections.append(Section("asset_classes", rep.asset_classes[[
        "rank", "asset_class", "need_t_per_yr", "exposure_score", "top_material", "controlled_need_t_per_yr"]],
        "Exposure by asset class (Σ need × SR)",
        "controlled_need_t_per_yr: need of materials under export controls in force",
        hint="The list: --format json."))
    if len(rep.goods_categories):
        sections.append(Section("goods_categories", rep.goods_categories[[
            "rank", "goods_category_id", "shares", "materials", "max_sr", "controlled_materials", "exposure_score"]],
            "Goods categories (HCSS Table 3 share of CRM volume × max SR of the Figure 5 materials)"))
    if len(companies):
        sections.append(Section("companies", companies[["rank", "company_id", "activity", "exposure_score",
                                                        "max_sr_material", "controlled_materials"]],
                                "Companies by the highest SR among the materials they handle",
                                "exposure_score: the highest SR (EC 2023) among the materials the company handles"))
    if len(projects):
        sections.append(Section(
            "projects", projects_by_asset(projects),
            f"Planned / under-construction projects holding materials under export controls in force on {day}",
            "materials_t: tonnes of each controlled material in the project (central intensities)"
            + (f"; not counted (no capacity/length/units): {', '.join(rep.excluded_assets)}"
               if rep.excluded_assets else ""), hint="Names, classes and one row per material: --format json."))
    return Result(full, title=title, caption=caption, hint=hint, units={"stock_t": "t", "need_t_per_yr": "t/yr"},
                  params={"region": rep.region_id, "on": day.isoformat(), "material": mid, "stage": stage,
                          "top": top, "sort": sort, "crm_only": rep.crm_only, "need_basis": rep.need_basis,
                          "need_years": [int(rep.years[0]), int(rep.years[-1])]},
                  doc=doc, sections=sections)


def shock_spec(wh: TableSource, shock: str | None = None, **given: Any) -> ShockSpec:
    """A shock: a bundled one by name (from the warehouse) or a YAML file, with ``given`` keys overriding it
    (materials, country, stage, share, months, start, destinations, spare_capacity, eu_leakage); or, without
    ``shock``, one built from ``given`` (materials and country needed)."""
    from pathlib import Path

    from critmat.errors import ScenarioError
    from critmat.specs.shocks import load_shock, shock_from_dict
    from critmat.warehouse import access

    where = "command line"
    if shock is None and not given.get("materials") and given.get("country") is None:
        raise ScenarioError("no shock given: name a bundled shock (`critmat disrupt --list`) or a shock YAML file, "
                            "or give --material and --country (e.g. critmat disrupt -m gallium -c CHN)")
    if shock is not None:
        bundled = access.spec_names(wh, "shock")
        spec0 = (access.shock(wh, shock) if shock in bundled and not Path(shock).exists() else load_shock(shock))
        base = spec0.model_dump(exclude_none=True)
        where = f"shock '{spec0.id}' with command-line options"
    else:
        base = {"id": "custom", "title": "command-line shock", "start": dt.date.today().isoformat(), "months": 12}
    base.update({k: v for k, v in given.items() if v is not None and v != []})
    return shock_from_dict(base, where=where)


@answer
def bundled_shocks(wh: TableSource) -> Result:
    """The bundled shocks (name, title, country, stage, share, start, months)."""
    import pandas as pd

    from critmat.warehouse import access

    rows = [{"name": n, **{k: v for k, v in access.shock(wh, n).model_dump(mode="json").items()
                           if k in ("title", "country", "stage", "share", "start", "months")}}
            for n in access.spec_names(wh, "shock")]
    return Result(pd.DataFrame(rows), title="Bundled shocks (critmat/data/shocks)")


@answer
def disrupt(wh: TableSource, spec: ShockSpec, region: str | None = None, lead_years: int = 1) -> Result:
    """Simulate ``spec``: supply lost (world and EU sourcing) and, with ``region``, the affected need per year
    and asset class, mitigations, exposed companies and projects."""
    from critmat import risk_report as rr

    res = rr.run_shock(wh, spec, region, lead_years=lead_years)
    flat = res.supply.merge(res.mitigations, left_on="material_id", right_on="material", how="left") \
        .drop(columns=["material", "alt_cover_y"]).rename(columns={"alt_cover_x": "alt_cover"})
    assumptions = {"spare_capacity": res.shock.spare_capacity, "eu_leakage": res.shock.eu_leakage,
                   "lead_years": lead_years,
                   "need_and_secondary_supply": (res.need_basis or "region need") if region else
                                                "not available (give --region)",
                   "sources": ["critmat_assumption_spare_capacity", "critmat_assumption_eu_leakage",
                               *res.shock.source_ids]}
    doc = {"shock": res.shock.model_dump(mode="json"), "description": res.shock.describe(),
           "region": region, "materials": list(res.materials),
           "year_fraction": {str(k): v for k, v in res.year_fraction.items()},
           "supply": records(res.supply), "affected_need": records(res.affected),
           "affected_by_year_class": records(res.affected_by_year_class()),
           "mitigations": records(res.mitigations), "companies": records(res.companies),
           "projects": records(res.projects), "totals": res.totals(), "assumptions": assumptions}
    s = res.shock
    sections = [Section("panel", text=f"[bold]{s.title or s.id}[/] ({s.id})\n{s.describe()}\n[dim]years touched: "
                        + (", ".join(f"{y} ({f:.0%})" for y, f in res.year_fraction.items()) or "none")
                        + f"; sources: {', '.join(s.source_ids) or '—'}[/]")]
    h = 1.0 if res.supply["eu_hit"].all() else s.eu_leakage
    supply = res.supply[["material_id", "stage", "country_share", "world_lost_share", "eu_share", "eu_basis",
                         "eu_lost_share", "spare_share", "alt_cover", "note"]]
    if not supply["note"].fillna("").astype(str).str.strip().any():
        supply = supply.drop(columns="note")
    sections.append(Section("supply", supply, "Supply lost (shares of world supply and of EU sourcing)",
                            f"world lost = country share × {s.share:g}; EU lost also × {h:g} (destinations); spare = "
                            f"other listed suppliers × {s.spare_capacity:g} (assumption)"))
    if region is None:
        sections.append(Section("hint", text="[dim]--region nh-fl for the region's affected need, companies and "
                                             "projects.[/]"))
    else:
        if res.affected.empty or res.totals()["affected_t"] == 0:
            sections.append(Section("none", text=f"[yellow]The region's assets need none of "
                                                 f"{', '.join(res.materials)} in the years of the shock (per critmat's "
                                                 "intensity tables).[/]"))
        else:
            sections.append(Section("affected", res.affected_by_year_class(),
                                    f"Affected need of {region} per year and asset class (t)",
                                    "affected = need × EU-sourcing share lost × share of the year inside the shock"))
        mit = res.mitigations.copy()
        if "substitution" in mit:  # the source id is in the document; the table keeps the index and its meaning
            mit["substitution"] = mit["substitution"].astype(str).str.replace(r"; [A-Za-z0-9_]+\)$", ")",
                                                                              regex=True)
        sections.append(Section("mitigations", mit, "Affected need and mitigations per material (t over the shock)",
                                "alternative = affected × covered fraction (pro rata); secondary = recovery from the "
                                "region's end-of-life outflows (circularity shares), up to what remains; "
                                "substitution: EC 2023 SI_SR (0..1, 1 = no substitute)",
                                hint="Source ids of the substitution indices: --format json."))
        if len(res.companies):
            sections.append(Section("companies", res.companies,
                                    "Exposed companies (handle a material whose EU supply is cut)"))
        if len(res.projects):
            sections.append(Section("projects", projects_by_asset(res.projects),
                                    f"Exposed projects (commissioning in the shock years or up to {lead_years} "
                                    "year(s) after)",
                                    "materials_t: tonnes of each affected material in the project (central "
                                    "intensities)"))
    return Result(flat, title=s.title or s.id, caption=s.describe(), sources=list(assumptions["sources"]),
                  params={"shock": s.model_dump(mode="json"), "region": region, "lead_years": lead_years},
                  doc=doc, sections=sections)


@answer
def components(wh: TableSource) -> Result:
    """The components and the country shares of their production."""
    comps = wh.table("components").merge(
        wh.table("component_supply").pivot_table(index="component_id", columns="country_iso3",
                                                 values="share").add_prefix("share_").reset_index(),
        on="component_id", how="left")
    return Result(comps, title="Components and country shares of production",
                  caption="sources: critmat sources; semiconductors/power electronics: no bundled shares (the only "
                          "source found is CC BY-NC)",
                  sections=[Section("components", comps.drop(columns=["description"]),
                                    "Components and country shares of production",
                                    "sources: critmat sources; semiconductors/power electronics: no bundled shares "
                                    "(the only source found is CC BY-NC)")])


@answer
def disrupt_component(wh: TableSource, region: str, component: str, country: str = "CHN", share: float = 1.0,
                      months: float = 12.0, start: dt.date | None = None, scenario: str = "baseline") -> Result:
    """A country withholds a component: projects and fleet units delayed in the window, tonnes withheld and the
    companies depending on the component's materials."""
    import pandas as pd

    from critmat import risk_report as rr

    day = start or dt.date.today()
    res = rr.run_component_shock(wh, region, component, country, share, months, day, scenario)
    summ = res.summary
    doc = {"summary": summ, "window": {str(k): v for k, v in res.window.items()},
           "projects": records(res.projects), "fleets": records(res.fleets), "materials": records(res.materials),
           "companies": records(res.companies)}
    title = f"{component}: {country} withholds {share:.0%} for {months:g} months from {day}"
    caption = (f"withheld fraction of world supply = share x {country}'s share of production; window years: "
               + ", ".join(f"{y} ({w:.0%})" for y, w in res.window.items()))
    sections = [Section("summary", pd.DataFrame([summ]).T.reset_index().rename(columns={"index": "item", 0: "value"}),
                        title, caption)]
    if len(res.projects):
        sections.append(Section("projects", res.projects[["asset_id", "asset_class", "status", "commissioning_year",
                                                          "quantity", "unit", "delayed"]],
                                "Projects commissioning in the window"))
    if len(res.fleets):
        sections.append(Section("fleets", res.fleets, "New fleet units in the window (growth and replacement)"))
    if len(res.materials):
        sections.append(Section("materials", res.materials, "Materials in the component needed in the window (t)"))
    sections.append(Section("companies", res.companies, "Companies depending on the component's materials",
                            "materials handled only in end-of-life streams do not count"))
    return Result(res.projects, title=title, caption=caption,
                  params={"region": region, "component": component, "country": country, "share": share,
                          "months": months, "start": day.isoformat(), "scenario": scenario},
                  doc=doc, sections=sections)


@answer
def benchmarks(wh: TableSource, region: str = "nh-fl", scenario: str = "baseline", crm_only: bool = True) -> Result:
    """The four CRMA 2030 benchmarks per material held by the region, with the indicators critmat can
    compute and, per cell, why not where it cannot."""
    from critmat import risk_report as rr
    from critmat.models.benchmarks import EOL_RIR_DEFINITION
    from critmat.services.context import memo

    t = memo(wh, ("benchmarks", str(region), str(scenario)), lambda: rr.crma_benchmark_table(wh, region, scenario))
    if crm_only:
        t = t[~t["recycling_reason"].str.startswith("not a CRM")].reset_index(drop=True)
    title = f"CRMA 2030 benchmarks, {region} ({scenario})"
    caption = ("extraction/processing: proxy = EU member states' share of EU sourcing (EC 2023); empty where "
               "the EC gives no EU sourcing for the stage (no EU capacity/consumption data in critmat). "
               f"recycling: {EOL_RIR_DEFINITION}, CRMs only. single country: largest third-country share "
               "(EU sourcing, else global proxy).")
    hint = "Reasons per cell: --format json/csv."
    return Result(t, title=title, caption=caption, hint=hint, params={"region": region, "scenario": scenario,
                                                           "crm_only": crm_only},
                  sections=[Section("benchmarks", t[[c for c in t.columns if not c.endswith("_reason")]], title,
                                    caption, hint=hint)])
