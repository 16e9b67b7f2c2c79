"""Supply risk, regional exposure and disruption as answers: thin glue from the warehouse and the region
pack to :mod:`critmat.models.exposure` and :mod:`critmat.models.disruption`.

Faces (CLI, report, API) call these functions; every number is computed in the models. Risk data (materials,
groups, supply shares, criticality, countries, trade measures) come from the warehouse; the region's assets
and intensities from its pack (:func:`critmat.stock.load_inputs`), its companies from the capabilities
registry. Secondary supply from end-of-life flows is an optional input (``secondary=``): critmat's flows
model does not yet provide it here, and the disruption output says "not available" when it is absent.
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
    substitution: pd.DataFrame | None = None

    @property
    def eu_members(self) -> frozenset[str]:
        c = self.countries
        if "eu_member" in c.columns and c["eu_member"].notna().any():
            return frozenset(c.loc[c["eu_member"].astype(bool), "country_iso3"])
        return EU27


def risk_data(wh: Warehouse) -> RiskData:
    from critmat.knowledge import groups

    subs = None
    if wh.has("risk_inputs"):
        ri = wh.table("risk_inputs")
        if "si_sr" in ri.columns:
            subs = ri.dropna(subset=["si_sr"])
    return RiskData(materials=wh.table("materials"), supply_shares=wh.table("supply_shares"),
                    criticality=wh.table("criticality"), countries=wh.table("countries"), groups=groups(wh),
                    measures=wh.table("trade_measures") if wh.has("trade_measures") else None,
                    measure_materials=wh.table("measure_materials") if wh.has("measure_materials") else None,
                    substitution=subs)


def indicators(data: RiskData, on: dt.date | None = None, destination: str | None = "NLD") -> pd.DataFrame:
    """Risk indicators of every material (:func:`critmat.models.exposure.material_indicators`)."""
    return exposure.material_indicators(data.materials, data.supply_shares, data.criticality, groups=data.groups,
                                        measures=data.measures, measure_materials=data.measure_materials,
                                        on=on or dt.date.today(), eu_members=data.eu_members,
                                        destination=destination)


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


def need(ra: RegionAssets, years: list[int], outflows: pd.DataFrame | None = None) -> pd.DataFrame:
    return exposure.yearly_need(ra.content, ra.assets, years, outflows=outflows)


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
    nd = need(ra, years)
    mats = exposure.material_exposure(nd, ind)
    classes = exposure.asset_class_exposure(nd, ind)
    goods = exposure.goods_category_exposure(ra.goods_categories, ra.goods_category_materials, ind) \
        if len(ra.goods_categories) else pd.DataFrame()
    comp = exposure.company_exposure(company_materials(ra.region_id), ind, needed=set(nd["material"]))
    proj = exposure.projects_under_controls(ra.assets, ra.content, ind)
    lts = pd.DataFrame([{"asset_class": lt.asset_class, "lifetime_years": lt.years, "source_id": lt.source_id,
                         "note": lt.note} for lt in exposure.LIFETIMES.values()])
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
    """Resolve and simulate ``spec``; with ``region`` the region's need, companies and projects are used."""
    data = risk_data(wh)
    spec = resolve_shock(wh, spec, data)
    yf = disruption.year_fractions(spec.start, spec.months)
    nd = pd.DataFrame(columns=exposure.NEED_COLUMNS)
    comp = proj = None
    if region is not None:
        ra = region_assets(region)
        if yf:
            nd = need(ra, sorted(yf))
        comp = company_materials(ra.region_id)
        p = ra.content.merge(ra.assets[["asset_id", "name", "asset_class", "status", "commissioning_year"]],
                             on="asset_id")
        proj = p[p["status"].isin(exposure.PROJECT_STATUSES)]
    return disruption.simulate(spec, data.supply_shares, nd, groups=data.groups, eu_members=data.eu_members,
                               companies=comp, projects=proj, secondary=secondary,
                               substitution=data.substitution, lead_years=lead_years)
