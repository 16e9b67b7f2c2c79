"""Supply risk, regional exposure and disruption as answers: thin glue from the warehouse and the region
pack to :mod:`critmat.models.exposure` and :mod:`critmat.models.disruption`.

Faces (CLI, report, API) call these functions; every number is computed in the models. Risk data (materials,
groups, supply shares, criticality, the EC 2023 stage SR and substitution indices of ``supply_risk_inputs``,
countries, trade measures) and the circularity package (lifetimes, end-of-life pathways, recovery rates) come
from the warehouse; the region's assets and intensities from its pack (:func:`critmat.stock.load_inputs`), its
companies from the capabilities registry.

**The region's need and secondary supply** (:func:`region_need`) come from the flows model
(:func:`critmat.flows.run_flows`, scenario :data:`NEED_SCENARIO`) when it runs for the region over the years
asked for: need = its ``demand_replacement`` + ``demand_new`` per year, asset class and material (region
level), secondary supply = its ``recovered`` tonnes (region, all classes). The flows model starts from the
registry of ``registry_year`` (2024 in the bundled scenarios), so years up to that year, or a region the
flows model cannot run for, fall back to the steady state of :func:`critmat.models.exposure.yearly_need`
(replacement = stock / mean lifetime + planned pipeline) and its secondary supply
(:func:`critmat.models.exposure.secondary_supply`); ``RegionNeed.basis`` says which was used and why.
"""

from __future__ import annotations

import datetime as dt
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from critmat.errors import CritmatError, UnknownIdError
from critmat.models import exposure, rankings
from critmat.models.countries import EU27
from critmat.warehouse import Warehouse

if TYPE_CHECKING:
    from critmat.models import disruption
    from critmat.specs.shocks import ShockSpec
    from critmat.warehouse.access import TableSource

#: Years of the exposure horizon (need is averaged over them), starting with the year of the date asked for.
HORIZON_YEARS = 10
#: Scenario of the flows model whose demand and recovery give the region's need and secondary supply.
NEED_SCENARIO = "baseline"
STEADY_STATE_BASIS = "steady state: stock / mean lifetime + planned pipeline"


@dataclass
class RiskData:
    """The warehouse tables the risk models need."""

    materials: pd.DataFrame
    supply_shares: pd.DataFrame
    criticality: pd.DataFrame
    countries: pd.DataFrame
    groups: dict[str, list[str]]
    measures: pd.DataFrame | None
    measure_materials: pd.DataFrame | None
    risk_inputs: pd.DataFrame | None = None
    lifetimes: pd.DataFrame | None = None
    material_lifetimes: pd.DataFrame | None = None
    eol_pathways: pd.DataFrame | None = None
    recovery_rates: pd.DataFrame | None = None
    fleet_buildup: pd.DataFrame | None = None
    group_weights: pd.DataFrame | None = None
    material_lists: pd.DataFrame | None = None
    holding_forms: pd.DataFrame | None = None
    wh: TableSource = None  # the warehouse these frames come from (regions, scenarios and the flows model read it)

    def substitution(self, stage: str) -> pd.DataFrame | None:
        """``material_id, si_sr, source_id`` of the EC 2023 inputs at ``stage`` (None without the table)."""
        if self.risk_inputs is None:
            return None
        ri = self.risk_inputs
        return ri[(ri["stage"] == stage) & ri["si_sr"].notna()][["material_id", "si_sr", "source_id"]]

    def lifetime_maps(self) -> tuple[dict[str, float], dict[tuple[str, str], float]]:
        """Mean lifetimes (years) per technology and per (technology, material) from the circularity package."""
        from critmat.models.circularity import lifetime_from_row

        if self.lifetimes is None:
            raise UnknownIdError("the warehouse has no 'lifetimes' table (circularity package): rebuild it")
        techs = {str(r["technology_id"]): float(lifetime_from_row(r, f"lifetimes {r['technology_id']}").expected())
                 for r in self.lifetimes.to_dict("records")}
        mats = {}
        if self.material_lifetimes is not None:
            mats = {(str(r["technology_id"]), str(r["material_id"])):
                    float(lifetime_from_row(r, f"material_lifetimes {r['technology_id']}").expected())
                    for r in self.material_lifetimes.to_dict("records")}
        return techs, mats

    @property
    def eu_members(self) -> frozenset[str]:
        c = self.countries
        if "eu_member" in c.columns and c["eu_member"].notna().any():
            return frozenset(c.loc[c["eu_member"].astype(bool), "country_iso3"])
        return EU27


def risk_data(wh: Warehouse) -> RiskData:
    from critmat.knowledge import groups

    def opt(name: str) -> pd.DataFrame | None:
        return wh.table(name) if wh.has(name) else None

    return RiskData(materials=wh.table("materials"), supply_shares=wh.table("supply_shares"),
                    criticality=wh.table("criticality"), countries=wh.table("countries"), groups=groups(wh),
                    measures=opt("trade_measures"), measure_materials=opt("measure_materials"),
                    risk_inputs=opt("supply_risk_inputs"), lifetimes=opt("lifetimes"),
                    material_lifetimes=opt("material_lifetimes"), eol_pathways=opt("eol_pathways"),
                    recovery_rates=opt("recovery_rates"), fleet_buildup=opt("fleet_buildup"),
                    group_weights=opt("group_member_weights"), material_lists=opt("material_lists"),
                    holding_forms=opt("holding_forms"), wh=wh)


def indicators(data: RiskData, on: dt.date | None = None, destination: str | None = "NLD") -> pd.DataFrame:
    """Risk indicators of every material (:func:`critmat.models.exposure.material_indicators`); from a
    warehouse: read from the tables its build stored (:func:`indicator_tables`) when it holds them for
    ``destination``, else computed, once per build, day and destination (a copy is returned)."""
    from critmat.warehouse.access import is_warehouse

    if is_warehouse(data.wh, "materials"):
        from critmat.warehouse import results

        day = on or dt.date.today()
        return results.indicators(data.wh, day, destination, compute=lambda: _indicators(data, day, destination))
    return _indicators(data, on, destination)


def indicator_tables(data: RiskData, destination: str | None = None) -> dict[str, pd.DataFrame]:
    """What the build stores so that :func:`indicators` is a query on any day
    (:func:`critmat.warehouse.results.indicators` reads them): ``result_indicators``, the day-independent
    columns of every material's indicators, and ``result_controls``, the control columns per period of
    unchanged measure statuses (:func:`critmat.models.exposure.control_periods`), for ``destination``."""
    from critmat.warehouse.results import STORED_DESTINATION

    destination = destination or STORED_DESTINATION
    base = _indicators(data, None, destination, controls=False)
    ctl = pd.DataFrame(columns=["valid_from", "valid_to", "material_id", *exposure.CONTROL_COLUMNS])
    if data.measures is not None and data.measure_materials is not None:
        ctl = exposure.control_periods(base["material_id"], data.measures, data.measure_materials,
                                       groups=data.groups, destination=destination)
    return {"result_indicators": base.drop(columns=exposure.CONTROL_COLUMNS).assign(destination=destination),
            "result_controls": ctl.assign(destination=destination)}


def _indicators(data: RiskData, on: dt.date | None, destination: str | None, controls: bool = True) -> pd.DataFrame:
    return exposure.material_indicators(data.materials, data.supply_shares, data.criticality, groups=data.groups,
                                        measures=data.measures, measure_materials=data.measure_materials,
                                        on=(on or dt.date.today()) if controls else None,
                                        eu_members=data.eu_members,
                                        destination=destination, stage_sr=data.risk_inputs,
                                        group_weights=data.group_weights)


# ------------------------------------------------------------------------------------------ the region


@dataclass
class RegionAssets:
    """A region's assets (with a quantity) and the material content of each (tonnes, central)."""

    region_id: str
    assets: pd.DataFrame
    content: pd.DataFrame
    goods_categories: pd.DataFrame
    goods_category_materials: pd.DataFrame
    excluded: list[str] = field(default_factory=list)


def _region_assets(region: str, wh: TableSource = None) -> RegionAssets:
    from critmat.stock import region_pack
    from critmat.models.inventory import asset_content

    inp, reg = region_pack(region, wh)  # loaded once per process (and build), shared with the flows model
    live = inp.assets[inp.assets["status"] != "decommissioned"].reset_index(drop=True)
    content = asset_content(live, inp.technologies, inp.intensities)
    gc = reg.tables.get("goods_categories", pd.DataFrame(columns=["goods_category_id", "goods_category_name",
                                                                  "province_code", "share"]))
    gcm = reg.tables.get("goods_category_materials", pd.DataFrame(columns=["goods_category_id", "material_id"]))
    excluded = [] if inp.excluded is None else list(inp.excluded.loc[inp.excluded["status"] != "decommissioned",
                                                                     "asset_id"])
    return RegionAssets(inp.region_id, live, content, gc, gcm, excluded)


def region_assets(region: str, wh: TableSource = None) -> RegionAssets:
    """Assets and content of ``region``, from the warehouse ``wh`` when given (cached per process and
    build: callers get the same frames, do not mutate), else from the region pack's files."""
    from critmat.warehouse.access import is_warehouse

    if is_warehouse(wh):
        from critmat.services.context import memo

        return memo(wh, ("region_assets", str(region)), lambda: _region_assets(str(region), wh))
    return _region_assets(str(region))


def company_materials(region: str, wh: TableSource = None) -> pd.DataFrame:
    """Long ``company_id, name, primary_activity_id, material_id, eol_only`` of the region's capability
    registry: materials named for the company, and those its end-of-life streams carry (``eol_only`` when the
    company handles the material only in such a stream: a car dismantler's gallium is waste it collects, not
    a supply it depends on); empty when the region has none."""
    from critmat.warehouse.access import is_warehouse

    if is_warehouse(wh):  # the same for every shock: once per build
        from critmat.services.context import memo

        return memo(wh, ("company_materials", str(region)), lambda: _company_materials(region, wh)).copy()
    return _company_materials(region, wh)


def _company_materials(region: str, wh: TableSource = None) -> pd.DataFrame:
    from critmat.capabilities_data import load_capabilities
    from critmat.models.capabilities import company_material_sets

    cols = ["company_id", "name", "primary_activity_id", "material_id", "eol_only"]
    try:
        from critmat.warehouse.access import is_warehouse

        tables = load_capabilities(region, source=wh if is_warehouse(wh) else None)
    except UnknownIdError:
        return pd.DataFrame(columns=cols)
    sets = company_material_sets(tables)
    cm = tables.get("company_materials")
    named = {(c, m) for c, m in cm[["company_id", "material_id"]].itertuples(index=False, name=None)} \
        if cm is not None else set()
    comp = tables["companies"].set_index("company_id")
    rows = [(cid, comp.at[cid, "name"], comp.at[cid, "primary_activity_id"], m, (cid, m) not in named)
            for cid, mats in sorted(sets.items()) if cid in comp.index for m in sorted(mats)]
    return pd.DataFrame(rows, columns=cols)


def need(data: RiskData, ra: RegionAssets, years: list[int], outflows: pd.DataFrame | None = None,
         demand: pd.DataFrame | None = None) -> pd.DataFrame:
    """The region's need per year × asset class × material (:func:`critmat.models.exposure.yearly_need`);
    steady state unless ``outflows`` or ``demand`` of a flows model are given."""
    techs, mats = data.lifetime_maps()
    return exposure.yearly_need(ra.content, ra.assets, years, lifetimes=techs, material_lifetimes=mats,
                                outflows=outflows, demand=demand)


class _Tables:
    """The warehouse's ``has`` / ``table`` interface over frames already read (for :func:`run_flows`)."""

    def __init__(self, tables: dict[str, pd.DataFrame | None]) -> None:
        self._tables = {k: v for k, v in tables.items() if v is not None}

    def has(self, name: str) -> bool:
        return name in self._tables

    def table(self, name: str) -> pd.DataFrame:
        return self._tables[name]


def _flows_source(data: RiskData) -> Any:
    """What :func:`critmat.flows.run_flows` reads: the warehouse the data came from, else its frames."""
    from critmat.warehouse.access import is_warehouse

    if is_warehouse(data.wh):
        return data.wh
    return _Tables({"lifetimes": data.lifetimes, "material_lifetimes": data.material_lifetimes,
                    "fleet_buildup": data.fleet_buildup, "eol_pathways": data.eol_pathways,
                    "recovery_rates": data.recovery_rates, "materials": data.materials})


@dataclass
class RegionNeed:
    """The region's need (:data:`critmat.models.exposure.NEED_COLUMNS`) and where it comes from.

    ``recovered``: ``year, material, recovered_t`` (region, all asset classes) from the flows model, None
    with the steady state; ``basis``: how the need was computed (and, for a fallback, why).
    """

    need: pd.DataFrame
    recovered: pd.DataFrame | None
    basis: str


def flows_demand(data: RiskData, region: str, years: list[int],
                 scenario: str = NEED_SCENARIO) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Region-level demand and recovery of the flows model over ``years`` (consecutive):
    ``(demand, recovered)`` with ``demand`` = ``year, asset_class, material, replacement_t, pipeline_t``
    (``demand_replacement``, ``demand_new``) and ``recovered`` = ``year, material, recovered_t``."""
    from critmat.warehouse.access import is_warehouse

    if is_warehouse(data.wh):  # the same for every shock over these years: once per build
        from critmat.services.context import memo

        demand, recovered = memo(data.wh, ("flows_demand", str(region), tuple(years), scenario),
                                 lambda: _flows_demand(data, region, years, scenario))
        return demand.copy(), recovered.copy()
    return _flows_demand(data, region, years, scenario)


def _flows_demand(data: RiskData, region: str, years: list[int], scenario: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    from critmat.models.inventory import ALL_CLASSES

    from critmat.warehouse.access import is_warehouse

    res = None
    if is_warehouse(data.wh):  # the scenario's whole run (the build's stored one): a window of it is the same
        from critmat.services import flows as flows_service

        whole = flows_service.run(data.wh, region, scenario)
        if int(whole.years[0]) <= min(years) and max(years) <= int(whole.years[-1]):
            res = whole
    if res is None:
        from critmat.flows import run_flows

        res = run_flows(region, scenario, wh=_flows_source(data), start=min(years), end=max(years))
    f = res.flows[(res.flows["area_type"] == "region") & res.flows["year"].isin(years)]
    d = f[(f["asset_class"] != ALL_CLASSES) & f["variable"].isin(["demand_replacement", "demand_new"])]
    demand = (d.pivot_table(index=["year", "asset_class", "material"], columns="variable", values="value",
                            aggfunc="sum")
              .reindex(columns=["demand_replacement", "demand_new"])
              .rename(columns={"demand_replacement": "replacement_t", "demand_new": "pipeline_t"})
              .fillna(0.0)  # a variable without rows for a cell: no such demand
              .reset_index())
    demand.columns.name = None
    r = f[(f["asset_class"] == ALL_CLASSES) & (f["variable"] == "recovered")]
    recovered = r[["year", "material", "value"]].rename(columns={"value": "recovered_t"}).reset_index(drop=True)
    return demand, recovered


def _registry_year(data: RiskData, scenario: str) -> int:
    """The scenario's registry year: from its stored spec when the warehouse holds it (no model import),
    else from the validated scenario."""
    from critmat.warehouse import access

    if access.is_warehouse(data.wh, "specs") and str(scenario) in access.spec_names(data.wh, "scenario"):
        year = access.scenario_label(data.wh, str(scenario)).registry_year
        if year is not None:
            return year
    from critmat.flows import scenario_spec

    return scenario_spec(scenario, data.wh).registry_year


def region_need(data: RiskData, ra: RegionAssets, years: list[int], scenario: str = NEED_SCENARIO) -> RegionNeed:
    """The region's need over ``years``: from the flows model when it runs for the region and every year is
    after its registry year, else the steady state (see the module docstring)."""
    ys = sorted({int(y) for y in years})
    reason = None
    try:
        registry_year = _registry_year(data, scenario)
        if ys[0] <= registry_year:
            reason = (f"year {ys[0]} is not after the flows model's registry year {registry_year} "
                      f"(scenario {scenario})")
        else:
            demand, recovered = flows_demand(data, ra.region_id, list(range(ys[0], ys[-1] + 1)), scenario)
            nd = need(data, ra, ys, demand=demand)
            return RegionNeed(nd, recovered[recovered["year"].isin(ys)].reset_index(drop=True),
                              f"flows model, scenario {scenario}: demand_replacement + demand_new")
    except CritmatError as exc:  # the flows model cannot run for this region: say so, use the steady state
        reason = f"flows model not available for {ra.region_id}: {exc}"
        warnings.warn(f"need of {ra.region_id}: {reason}; using the steady state", RuntimeWarning, stacklevel=2)
    return RegionNeed(need(data, ra, ys), None, f"{STEADY_STATE_BASIS} ({reason})")


def secondary_from_flows(data: RiskData, nd: pd.DataFrame) -> pd.DataFrame | None:
    """``material, secondary_t_per_yr``: mean yearly recovery from the region's steady-state end-of-life
    flows (the replacement term of a steady-state ``nd``; None without the circularity tables)."""
    if data.eol_pathways is None or data.recovery_rates is None or nd.empty:
        return None
    rec = exposure.secondary_supply(nd, data.eol_pathways, data.recovery_rates)
    n = rec["year"].nunique()
    return (rec.groupby("material", as_index=False)["recovered_t"].sum()
            .assign(secondary_t_per_yr=lambda d: d["recovered_t"] / n)[["material", "secondary_t_per_yr"]])


@dataclass
class ExposureReport:
    """Exposure rankings of one region on one date (frames from :mod:`critmat.models.exposure`)."""

    region_id: str
    on: dt.date
    years: list[int]
    materials: pd.DataFrame
    asset_classes: pd.DataFrame
    goods_categories: pd.DataFrame
    companies: pd.DataFrame
    projects: pd.DataFrame
    lifetimes: pd.DataFrame
    excluded_assets: list[str]
    need_basis: str = STEADY_STATE_BASIS
    views: dict[str, pd.DataFrame] = field(default_factory=dict)
    crm_only: bool = True


def exposure_report(data: RiskData, region: str, on: dt.date | None = None,
                    horizon: int = HORIZON_YEARS, crm_only: bool = True) -> ExposureReport:
    """Every exposure ranking of ``region`` on ``on`` (default today), need averaged over ``horizon`` years.

    ``crm_only`` (default): the material ranking and the views (:mod:`critmat.models.rankings`: need × SR,
    SR-weighted holdings, share of need under controls whose scope covers the holding's form) keep the
    materials of the EU CRM list 2023 and the members of its groups; False ranks every material."""
    day = on or dt.date.today()
    ind = indicators(data, day)
    ra = region_assets(region, data.wh)
    years = list(range(day.year, day.year + horizon))
    rn = region_need(data, ra, years)
    nd = rn.need
    mats = exposure.material_exposure(nd, ind)
    keep = rankings.crm_members(data.material_lists, data.groups) if crm_only and data.material_lists is not None \
        else None
    if keep is not None:
        mats = mats[mats["material_id"].isin(keep)].reset_index(drop=True)
        mats["rank"] = mats["exposure_score"].rank(ascending=False, method="min").astype("Int64")
    forms = data.holding_forms
    views = rankings.ranking_views(nd, ra.content, ra.assets, ind, forms, keep=keep) if forms is not None else {}
    nd_cls = nd[nd["material"].isin(keep)] if keep is not None else nd
    ctrl = rankings.controlled_fractions(ra.content, ra.assets, ind, forms) if forms is not None else None
    classes = exposure.asset_class_exposure(nd_cls, ind, ctrl)
    goods = exposure.goods_category_exposure(ra.goods_categories, ra.goods_category_materials, ind) \
        if len(ra.goods_categories) else pd.DataFrame()
    comp = exposure.company_exposure(company_materials(ra.region_id, data.wh), ind, needed=set(nd["material"]))
    proj = exposure.projects_under_controls(ra.assets, ra.content, ind, forms=forms)
    techs, comps = data.lifetime_maps()
    src = {} if data.lifetimes is None else dict(zip(data.lifetimes["technology_id"], data.lifetimes["source_id"]))
    msrc = {} if data.material_lifetimes is None else {
        (t, m): s for t, m, s in data.material_lifetimes[["technology_id", "material_id", "source_id"]].itertuples(
            index=False, name=None)}
    lts = pd.DataFrame([{"technology_id": t, "material_id": None, "mean_years": y, "source_id": src.get(t)}
                        for t, y in sorted(techs.items())] +
                       [{"technology_id": t, "material_id": m, "mean_years": y, "source_id": msrc.get((t, m))}
                        for (t, m), y in sorted(comps.items())])
    return ExposureReport(ra.region_id, day, years, mats, classes, goods, comp, proj, lts, ra.excluded, rn.basis,
                          views=views, crm_only=keep is not None)


# ------------------------------------------------------------------------------------------ shocks


def resolve_shock(wh: Warehouse, spec: ShockSpec, data: RiskData | None = None) -> ShockSpec:
    """The spec with material ids resolved and country/sources checked against the warehouse."""
    from critmat.knowledge import material_index
    from critmat.specs.shocks import resolve_ids

    data = data or risk_data(wh)
    idx = material_index(wh)
    return resolve_ids(spec, resolve_material=idx.get, countries=set(data.countries["country_iso3"]),
                       sources=set(wh.table("sources")["source_id"]))


def run_shock(wh: Warehouse, spec: ShockSpec, region: str | None = None, *,
              secondary: pd.DataFrame | None = None, lead_years: int = 1) -> disruption.DisruptionResult:
    """Resolve and simulate ``spec``; with ``region`` the region's need (:func:`region_need`), companies,
    projects and secondary supply (from its end-of-life flows, unless ``secondary`` is given) are used.
    With the flows model, ``secondary_t_per_yr`` is its recovery averaged over the shock's years weighted by
    the share of each year inside the shock, so that ``secondary_t_per_yr × Σ f(y) = Σ recovered(y) f(y)``."""
    from critmat.models import disruption

    data = risk_data(wh)
    spec = resolve_shock(wh, spec, data)
    yf = disruption.year_fractions(spec.start, spec.months)
    nd = pd.DataFrame(columns=exposure.NEED_COLUMNS)
    comp = proj = None
    basis = ""
    if region is not None:
        ra = region_assets(region, wh)
        if yf:
            rn = region_need(data, ra, sorted(yf))
            nd, basis = rn.need, rn.basis
            if secondary is None and rn.recovered is not None:
                r = rn.recovered.assign(w=rn.recovered["year"].map(yf))
                r = r.assign(wt=r["recovered_t"] * r["w"]).groupby("material", as_index=False)["wt"].sum()
                secondary = r.assign(secondary_t_per_yr=r["wt"] / sum(yf.values()))[
                    ["material", "secondary_t_per_yr"]]
            elif secondary is None:
                secondary = secondary_from_flows(data, nd)
        comp = company_materials(ra.region_id, data.wh)
        p = ra.content.merge(ra.assets[["asset_id", "name", "asset_class", "status", "commissioning_year"]],
                             on="asset_id")
        proj = p[p["status"].isin(exposure.PROJECT_STATUSES)]
    return disruption.simulate(spec, data.supply_shares, nd, groups=data.groups, eu_members=data.eu_members,
                               companies=comp, projects=proj, secondary=secondary,
                               substitution=data.substitution(spec.stage), lead_years=lead_years,
                               need_basis=basis)


# ------------------------------------------------------------------------------------------ components


def component_materials(wh: Warehouse, component_id: str) -> set[str]:
    """Materials a component carries: those whose holding form (policy ``holding_forms``) in a technology
    carrying the component is the component's form (every material of the technology for finished products)."""
    from critmat.models.rankings import holding_forms

    comps = wh.table("components").set_index("component_id")
    form = str(comps.at[component_id, "holding_form"])
    techs = set(wh.table("component_technologies").query("component_id == @component_id")["technology_id"])
    ints = wh.table("material_intensities") if wh.has("material_intensities") else None
    if ints is None:
        from critmat.build.intensities import load_intensities

        ints = load_intensities()[1]
    pairs = ints[ints["technology_id"].isin(techs)][["technology_id", "material_id"]].drop_duplicates()
    pairs = pairs.rename(columns={"material_id": "material"}).reset_index(drop=True)
    f = holding_forms(pairs, wh.table("holding_forms"))
    return set(pairs.loc[f == form, "material"])


def run_component_shock(wh: Warehouse, region: str, component_id: str, country: str = "CHN", share: float = 1.0,
                        months: float = 12.0, start: dt.date | None = None, scenario: str = NEED_SCENARIO):
    """A component shock in the region's terms (:func:`critmat.models.components.component_shock`), with the
    projects of the region pack, the target fleets and the need of the flows model under ``scenario``."""
    from critmat.flows import run_flows
    from critmat.models import components as cm
    from critmat.models.disruption import year_fractions
    from critmat.models.inventory import ALL_CLASSES

    for t in ("components", "component_supply", "component_technologies", "holding_forms"):
        if not wh.has(t):
            raise UnknownIdError(f"the warehouse has no '{t}' table: rebuild it (critmat data)")
    if component_id not in set(wh.table("components")["component_id"]):
        raise UnknownIdError(f"unknown component '{component_id}' (known: "
                             f"{', '.join(sorted(wh.table('components')['component_id']))})")
    day = start or dt.date.today()
    window = year_fractions(day, months)
    data = risk_data(wh)
    view = _flows_source(data)
    mats = component_materials(wh, component_id)
    res = run_flows(region, scenario, wh=view, start=min(window), end=max(max(window), min(window)))
    carriers = wh.table("component_technologies")
    techs = set(carriers.loc[carriers["component_id"] == component_id, "technology_id"])
    ra = region_assets(region, wh)
    # the need of the component's materials, limited to the share held by carrier technologies in its form
    frac = _carrier_fractions(ra, techs, mats)
    f = res.flows
    d = f[(f["area_type"] == "region") & (f["asset_class"] != ALL_CLASSES) & (f["variable"] == "demand")
          & f["material"].isin(mats)]
    d = d.assign(w=[frac.get((c, m), 0.0) for c, m in zip(d["asset_class"], d["material"])])
    demand = (d.assign(demand_t=d["value"] * d["w"]).groupby(["year", "material"], as_index=False)["demand_t"].sum())
    techs_all = wh.table("technologies") if wh.has("technologies") else None
    basis = {} if techs_all is None else dict(zip(techs_all["technology_id"], techs_all["basis"]))
    unit = {"mw": "MW", "km": "km", "unit": "units"}
    a = ra.assets.copy()
    a["unit"] = a["technology_id"].map(lambda t: unit.get(basis.get(t, "mw"), "MW"))
    a["quantity"] = [r.capacity_mw if u == "MW" else (r.length_km if u == "km" else r.units)
                     for r, u in zip(a.itertuples(index=False), a["unit"])]
    from critmat.specs.scenarios import load_scenario

    sc = load_scenario(scenario)
    for aid, e in sc.pipeline.items():  # the scenario's expected commissioning years
        if e.commissioning_year is not None:
            a.loc[a["asset_id"] == aid, "commissioning_year"] = e.commissioning_year
    return cm.component_shock(component_id, country, share, months, day, supply=wh.table("component_supply"),
                              carriers=carriers, projects=a, fleets=res.fleets, demand=demand,
                              companies=company_materials(ra.region_id, data.wh), materials_of={component_id: mats})


def _carrier_fractions(ra: RegionAssets, techs: set[str], mats: set[str]) -> dict[tuple[str, str], float]:
    """Per (asset class, material): the share of the region's content held by the carrier technologies."""
    c = ra.content[ra.content["material"].isin(mats)].merge(ra.assets[["asset_id", "asset_class", "technology_id"]],
                                                           on="asset_id")
    out = {}
    for (cls, m), g in c.groupby(["asset_class", "material"]):
        tot = float(g["mass_t"].sum())
        out[(cls, m)] = float(g.loc[g["technology_id"].isin(techs), "mass_t"].sum()) / tot if tot > 0 else 0.0
    return out


def crma_benchmark_table(wh: Warehouse, region: str, scenario: str = NEED_SCENARIO, start: int | None = None,
                         end: int | None = None) -> pd.DataFrame:
    """The four CRMA benchmarks per material held by the region (:mod:`critmat.models.benchmarks`), with the
    region's EoL-RIR from the flows model under ``scenario`` (window sums) and the EC's EU sourcing shares."""
    from critmat.flows import run_flows
    from critmat.models import benchmarks as bm

    data = risk_data(wh)
    view = _flows_source(data)
    res = run_flows(region, scenario, wh=view, start=start, end=end)
    rir = dict(zip(res.summary["material"], res.summary["eol_rir"]))
    crm = rankings.crm_members(data.material_lists, data.groups) if data.material_lists is not None else set()
    mats = sorted(set(rir) & crm) + sorted(set(rir) - crm)
    values = bm.benchmark_values(wh.table("crma_benchmarks") if wh.has("crma_benchmarks") else None)
    return bm.crma_benchmarks(mats, data.supply_shares, data.eu_members, rir, crm, groups=data.groups,
                              values=values)
