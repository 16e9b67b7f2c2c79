"""Supply risk, regional exposure and disruption as answers: thin glue from the warehouse and the region
pack to :mod:`critmat.models.exposure` and :mod:`critmat.models.disruption`.

Faces (CLI, report, API) call these functions; every number is computed in the models. Risk data (materials,
groups, supply shares, criticality, the EC 2023 stage SR and substitution indices of ``supply_risk_inputs``,
countries, trade measures) and the circularity package (lifetimes, end-of-life pathways, recovery rates) come
from the warehouse; the region's assets and intensities from its pack (:func:`critmat.stock.load_inputs`), its
companies from the capabilities registry. Secondary supply during a shock is what the region's steady-state
end-of-life outflows yield through the circularity pathways (:func:`critmat.models.exposure.secondary_supply`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache

import pandas as pd

from critmat.errors import UnknownIdError
from critmat.models import disruption, exposure
from critmat.models.countries import EU27
from critmat.shocks import ShockSpec, resolve_ids
from critmat.warehouse import Warehouse

#: Years of the exposure horizon (need is averaged over them), starting with the year of the date asked for.
HORIZON_YEARS = 10


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
                    recovery_rates=opt("recovery_rates"))


def indicators(data: RiskData, on: dt.date | None = None, destination: str | None = "NLD") -> pd.DataFrame:
    """Risk indicators of every material (:func:`critmat.models.exposure.material_indicators`)."""
    return exposure.material_indicators(data.materials, data.supply_shares, data.criticality, groups=data.groups,
                                        measures=data.measures, measure_materials=data.measure_materials,
                                        on=on or dt.date.today(), eu_members=data.eu_members,
                                        destination=destination, stage_sr=data.risk_inputs)


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


@lru_cache(maxsize=4)
def _region_assets(region: str) -> RegionAssets:
    from critmat.models.inventory import asset_content
    from critmat.regions import load_region
    from critmat.stock import load_inputs

    inp = load_inputs(region)
    live = inp.assets[inp.assets["status"] != "decommissioned"].reset_index(drop=True)
    content = asset_content(live, inp.technologies, inp.intensities)
    reg = load_region(region)
    gc = reg.tables.get("goods_categories", pd.DataFrame(columns=["goods_category_id", "goods_category_name",
                                                                  "province_code", "share"]))
    gcm = reg.tables.get("goods_category_materials", pd.DataFrame(columns=["goods_category_id", "material_id"]))
    excluded = [] if inp.excluded is None else list(inp.excluded.loc[inp.excluded["status"] != "decommissioned",
                                                                     "asset_id"])
    return RegionAssets(inp.region_id, live, content, gc, gcm, excluded)


def region_assets(region: str) -> RegionAssets:
    """Assets and content of ``region`` (cached per process; callers get the same frames, do not mutate)."""
    return _region_assets(str(region))


def company_materials(region: str) -> pd.DataFrame:
    """Long ``company_id, name, primary_activity_id, material_id`` of the region's capability registry
    (materials named for the company or carried by its streams); empty when the region has none."""
    from critmat.capabilities_data import load_capabilities
    from critmat.models.capabilities import company_material_sets

    cols = ["company_id", "name", "primary_activity_id", "material_id"]
    try:
        tables = load_capabilities(region)
    except UnknownIdError:
        return pd.DataFrame(columns=cols)
    sets = company_material_sets(tables)
    comp = tables["companies"].set_index("company_id")
    rows = [(cid, comp.at[cid, "name"], comp.at[cid, "primary_activity_id"], m)
            for cid, mats in sorted(sets.items()) if cid in comp.index for m in sorted(mats)]
    return pd.DataFrame(rows, columns=cols)


def need(data: RiskData, ra: RegionAssets, years: list[int], outflows: pd.DataFrame | None = None) -> pd.DataFrame:
    """The region's need per year × asset class × material (:func:`critmat.models.exposure.yearly_need`)."""
    techs, mats = data.lifetime_maps()
    return exposure.yearly_need(ra.content, ra.assets, years, lifetimes=techs, material_lifetimes=mats,
                                outflows=outflows)


def secondary_from_flows(data: RiskData, nd: pd.DataFrame) -> pd.DataFrame | None:
    """``material, secondary_t_per_yr``: mean yearly recovery from the region's end-of-life flows (None
    without the circularity tables)."""
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


def exposure_report(data: RiskData, region: str, on: dt.date | None = None,
                    horizon: int = HORIZON_YEARS) -> ExposureReport:
    """Every exposure ranking of ``region`` on ``on`` (default today), need averaged over ``horizon`` years."""
    day = on or dt.date.today()
    ind = indicators(data, day)
    ra = region_assets(region)
    years = list(range(day.year, day.year + horizon))
    nd = need(data, ra, years)
    mats = exposure.material_exposure(nd, ind)
    classes = exposure.asset_class_exposure(nd, ind)
    goods = exposure.goods_category_exposure(ra.goods_categories, ra.goods_category_materials, ind) \
        if len(ra.goods_categories) else pd.DataFrame()
    comp = exposure.company_exposure(company_materials(ra.region_id), ind, needed=set(nd["material"]))
    proj = exposure.projects_under_controls(ra.assets, ra.content, ind)
    techs, comps = data.lifetime_maps()
    src = {} if data.lifetimes is None else dict(zip(data.lifetimes["technology_id"], data.lifetimes["source_id"]))
    msrc = {} if data.material_lifetimes is None else {
        (t, m): s for t, m, s in data.material_lifetimes[["technology_id", "material_id", "source_id"]].itertuples(
            index=False, name=None)}
    lts = pd.DataFrame([{"technology_id": t, "material_id": None, "mean_years": y, "source_id": src.get(t)}
                        for t, y in sorted(techs.items())] +
                       [{"technology_id": t, "material_id": m, "mean_years": y, "source_id": msrc.get((t, m))}
                        for (t, m), y in sorted(comps.items())])
    return ExposureReport(ra.region_id, day, years, mats, classes, goods, comp, proj, lts, ra.excluded)


# ------------------------------------------------------------------------------------------ shocks


def resolve_shock(wh: Warehouse, spec: ShockSpec, data: RiskData | None = None) -> ShockSpec:
    """The spec with material ids resolved and country/sources checked against the warehouse."""
    from critmat.knowledge import material_index

    data = data or risk_data(wh)
    idx = material_index(wh)
    return resolve_ids(spec, resolve_material=idx.get, countries=set(data.countries["country_iso3"]),
                       sources=set(wh.table("sources")["source_id"]))


def run_shock(wh: Warehouse, spec: ShockSpec, region: str | None = None, *,
              secondary: pd.DataFrame | None = None, lead_years: int = 1) -> disruption.DisruptionResult:
    """Resolve and simulate ``spec``; with ``region`` the region's need, companies, projects and secondary
    supply (from its end-of-life flows, unless ``secondary`` is given) are used."""
    data = risk_data(wh)
    spec = resolve_shock(wh, spec, data)
    yf = disruption.year_fractions(spec.start, spec.months)
    nd = pd.DataFrame(columns=exposure.NEED_COLUMNS)
    comp = proj = None
    if region is not None:
        ra = region_assets(region)
        if yf:
            nd = need(data, ra, sorted(yf))
            if secondary is None:
                secondary = secondary_from_flows(data, nd)
        comp = company_materials(ra.region_id)
        p = ra.content.merge(ra.assets[["asset_id", "name", "asset_class", "status", "commissioning_year"]],
                             on="asset_id")
        proj = p[p["status"].isin(exposure.PROJECT_STATUSES)]
    return disruption.simulate(spec, data.supply_shares, nd, groups=data.groups, eu_members=data.eu_members,
                               companies=comp, projects=proj, secondary=secondary,
                               substitution=data.substitution(spec.stage), lead_years=lead_years)
