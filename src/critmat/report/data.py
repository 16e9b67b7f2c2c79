"""Every number of the report, asked of critmat's services. The report computes nothing of its own.

One function per question; each returns a :class:`~critmat.report.model.Result` (frame + title, caption,
units, sources, params). ``Inputs`` carries the warehouse and the parameters the report was asked for.
This module is the report's only door to the data: the tests compare each report table with the result
of the same call here, and these calls are the services' own.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from critmat.report.model import Result


@dataclass
class Inputs:
    """The warehouse and the report's parameters (region id, flow scenario, date for controls in force)."""

    wh: Any
    region: str
    scenario: str = "baseline"
    on: dt.date = field(default_factory=dt.date.today)
    draws: int = 1000
    seed: int = 0
    flow_draws: int = 200
    _cache: dict[str, Any] = field(default_factory=dict)

    def memo(self, key: str, make):
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]


def _sources(frame: pd.DataFrame, extra: list[str] | None = None) -> list[str]:
    ids = list(extra or [])
    if "source_id" in frame:
        ids += [s for v in frame["source_id"].dropna().astype(str) for s in v.split(";") if s]
    return list(dict.fromkeys(ids))


# --- materials -----------------------------------------------------------------------------------------

def materials(inp: Inputs, list_: str = "2023") -> Result:
    """The EU CRM list (34 in 2023) with SR, EI and the strategic flag (:func:`critmat.services.materials.
    material_list`, what ``critmat materials list`` shows)."""
    from critmat.services import materials as S

    r = S.material_list(inp.wh, list_)
    return Result(r.frame, title=r.title, caption=r.caption, units=r.units, params=r.params,
                  sources=_sources(r.frame, ["ec_crm_2023", "eu_2024_1252"]))


def criticality_history(inp: Inputs) -> Result:
    """SR and EI of each material in every EU assessment (2011, 2014, 2017, 2020, 2023)."""
    df = inp.wh.table("criticality").copy()
    return Result(df, title="Supply risk and economic importance, EU assessments 2011-2023",
                  units={"supply_risk": "index", "economic_importance": "index"}, sources=_sources(df))


def risk(inp: Inputs) -> Result:
    """Per material: SR, EI, HHI and China's share per stage, CRMA 65 % flag, controls in force
    (:func:`critmat.services.exposure.supply_risk`, what ``critmat risk`` shows)."""
    from critmat.services import exposure as S

    r = S.supply_risk(inp.wh, on=inp.on)
    return Result(r.frame, title=r.title, caption=r.caption, units=r.units, params=r.params,
                  sources=["ec_crm_2023", "wgi_2022", "eu_2024_1252"])


def trade_measures(inp: Inputs) -> Result:
    """The trade-measures registry (export controls, bans, quotas) with their materials."""
    tm = inp.wh.table("trade_measures")
    mm = inp.wh.table("measure_materials")
    mats = mm.groupby("measure_id")["material_id"].agg(lambda s: ";".join(sorted(s))).rename("materials")
    df = tm.merge(mats, left_on="measure_id", right_index=True, how="left")
    return Result(df, title="Export controls and trade measures", sources=_sources(df))


def supply_shares(inp: Inputs) -> Result:
    df = inp.wh.table("supply_shares")
    return Result(df, title="Supplier countries per stage", sources=_sources(df))


# --- region --------------------------------------------------------------------------------------------

def _region_table(inp: Inputs, name: str) -> pd.DataFrame:
    """One table of the region pack (:func:`critmat.services.regions.table`); empty when the pack has none."""
    from critmat.errors import UnknownIdError
    from critmat.services import regions as S

    try:
        return S.table(inp.wh, inp.region, name).frame
    except UnknownIdError:
        return pd.DataFrame()


def region_info(inp: Inputs) -> Result:
    """The region pack's row of :func:`critmat.services.regions.regions` (id, name, provinces, ...)."""
    from critmat.services import regions as S

    df = S.regions(inp.wh).frame
    return Result(df[df["region_id"] == inp.region].reset_index(drop=True), title="Region")


def assets(inp: Inputs) -> Result:
    """The asset registry (:func:`critmat.services.regions.assets`, what ``critmat assets`` lists)."""
    from critmat.services import regions as S

    r = S.assets(inp.wh, inp.region)
    return Result(r.frame, title=r.title, caption=r.caption, units=r.units, sources=r.sources)


def municipalities(inp: Inputs) -> Result:
    df = _region_table(inp, "municipalities")
    return Result(df, title=f"Municipalities of {inp.region}", sources=_sources(df))


def boundaries(inp: Inputs) -> Result:
    """Municipality and province outlines (WKT, WGS84) where the region pack has them; empty otherwise."""
    df = _region_table(inp, "boundaries")
    return Result(df, title="Boundaries" if len(df) else "Boundaries (none loaded)", sources=_sources(df))


def goods_categories(inp: Inputs) -> Result:
    """The region pack's goods categories (HCSS Table 3) with the materials Figure 5 names for them."""
    df = _region_table(inp, "goods_categories")
    gm = _region_table(inp, "goods_category_materials")
    if not len(df) or not len(gm):
        return Result(df, title="Goods categories containing CRM", units={"share": "share"}, sources=_sources(df))
    mats = gm.groupby("goods_category_id")["material_id"].agg(lambda s: ";".join(sorted(s))).rename("materials")
    df = df.merge(mats, left_on="goods_category_id", right_index=True, how="left")
    return Result(df, title="Goods categories containing CRM", units={"share": "share"}, sources=_sources(df))


# --- stock, flows ---------------------------------------------------------------------------------------

def stock(inp: Inputs, by: str = "material") -> Result:
    """Tonnes held, central intensities, with the 5th-95th percentile of the Monte Carlo
    (:func:`critmat.services.stock.stock`, what ``critmat stock`` shows)."""
    from critmat.services import stock as S

    return S.stock(inp.wh, inp.region, by=by, draws=inp.draws, seed=inp.seed)


def flows(inp: Inputs) -> Any:
    """The flows model's result for the report's scenario with Monte Carlo bands
    (:func:`critmat.services.flows.run`; one run per build and parameters, shared with every face)."""
    from critmat.services import flows as S

    return S.run(inp.wh, inp.region, inp.scenario, draws=inp.flow_draws, seed=inp.seed)


def flows_summary(inp: Inputs) -> Result:
    """Per material, summed over the scenario's years: the flows model's summary (``critmat flows --draws N
    --format json``: ``summary``)."""
    fr = flows(inp)
    df = fr.summary.sort_values("demand_t", ascending=False).reset_index(drop=True)
    return Result(df, title=f"End-of-life flows {fr.years[0]}-{fr.years[-1]}, scenario {inp.scenario}",
                  params={"scenario": inp.scenario, "draws": fr.n_draws, "benchmark": fr.benchmark},
                  sources=["critmat_circularity", "eu_2024_1252"])


def flows_long(inp: Inputs) -> Result:
    fr = flows(inp)
    return Result(fr.flows, title=f"End-of-life flows (long), scenario {inp.scenario}",
                  params={"scenario": inp.scenario, "draws": fr.n_draws})


def provinces(inp: Inputs, section: str = "materials") -> Result:
    """Province by province (:func:`critmat.services.compare.provinces`, what ``critmat region compare --region``
    shows) for the report's region, scenario, draws and seed: per province and material (``section``
    ``materials``), or the assets counted per province (``assets``)."""
    from critmat.services import compare as S

    r = inp.memo("provinces", lambda: S.provinces(inp.wh, [inp.region], scenario=inp.scenario, draws=inp.draws,
                                                  seed=inp.seed))
    if section == "materials":
        return r
    sec = next(x for x in r.sections if x.name == section)
    return Result(sec.frame, title=sec.title, caption=sec.caption, sources=r.sources,
                  units={k: v for k, v in r.units.items() if k in sec.frame.columns}, params=r.params)


# --- exposure, disruption -------------------------------------------------------------------------------

def exposure(inp: Inputs) -> Any:
    """:func:`critmat.services.exposure.exposure` of the region on the report's date (what ``critmat risk
    --region`` shows)."""
    from critmat.services import exposure as S

    return S.exposure(inp.wh, inp.region, on=inp.on)


def exposure_materials(inp: Inputs) -> Result:
    """The exposure ranking, materials the region holds or needs."""
    r = exposure(inp)
    df = r.frame
    df = df[(df["stock_t"].fillna(0) > 0) | (df["need_t_per_yr"].fillna(0) > 0)].reset_index(drop=True)
    basis = r.params.get("need_basis", "")
    return Result(df, title="Exposure by material", caption=f"need: {basis}",
                  params={"need_basis": basis, "years": r.doc["horizon_years"]},
                  sources=["ec_crm_2023", "critmat_intensities"])


def exposure_asset_classes(inp: Inputs) -> Result:
    r = exposure(inp)
    sec = next(x for x in r.sections if x.name == "asset_classes")
    return Result(sec.frame, title=sec.title, caption=sec.caption)


def shocks(inp: Inputs) -> Result:
    """The bundled shocks (:func:`critmat.services.exposure.bundled_shocks`) with their materials."""
    from critmat.services import exposure as S
    from critmat.warehouse import access

    df = S.bundled_shocks(inp.wh).frame.rename(columns={"name": "shock_id"})
    specs = [access.shock(inp.wh, n) for n in df["shock_id"]]
    df["materials"] = [";".join(s.materials or []) for s in specs]
    df["source_id"] = [";".join(s.source_ids) for s in specs]
    return Result(df, title="Bundled disruption scenarios", sources=_sources(df))


def disrupt(inp: Inputs, shock: str) -> Result:
    """A bundled shock in the region's terms (:func:`critmat.services.exposure.disrupt`): affected need and
    its mitigations per material, as ``critmat disrupt SHOCK --region`` shows them."""
    from critmat.services import exposure as S

    def run() -> Result:
        r = S.disrupt(inp.wh, S.shock_spec(inp.wh, shock), inp.region)
        mit = next((x.frame for x in r.sections if x.name == "mitigations"), pd.DataFrame())
        return Result(mit.reset_index(drop=True), title=r.title, caption=r.caption, sources=r.sources,
                      doc={"totals": r.doc["totals"], "description": r.doc["description"],
                           "by_year_class": pd.DataFrame(r.doc["affected_by_year_class"])})
    return inp.memo(f"shock:{shock}", run)


# --- capabilities ---------------------------------------------------------------------------------------

def _cap_tables(inp: Inputs):
    from critmat.services import capabilities as S

    return S.registry(inp.wh, inp.region)


def companies(inp: Inputs) -> Result:
    """The region's companies (:func:`critmat.services.capabilities.companies`)."""
    from critmat.services import capabilities as S

    r = S.companies(inp.wh, inp.region)
    return Result(r.frame, title=r.title, caption=r.caption, sources=_sources(r.frame))


def activities(inp: Inputs) -> Result:
    df = _cap_tables(inp)["supply_chain_activities"]
    return Result(df, title="Supply-chain stages (definitions)", sources=_sources(df))


def capabilities(inp: Inputs) -> Result:
    """Companies per stream and stage (:func:`critmat.services.capabilities.coverage`); doc: the gaps."""
    from critmat.services import capabilities as S

    r = S.coverage(inp.wh, inp.region)
    m = r.frame
    gaps = pd.DataFrame([(row.stream, g) for row in m.itertuples() for g in str(row.gaps).split(";") if g],
                        columns=["stream", "stage"]) if "gaps" in m and "stream" in m else pd.DataFrame()
    return Result(m, title=r.title, caption=r.caption, doc={"gaps": gaps}, sources=["hcss_2025"])


def fillers(inp: Inputs) -> Result:
    """The nearest facility filling each gap (:func:`critmat.services.capabilities.fillers`, k=1)."""
    from critmat.services import capabilities as S

    r = S.fillers(inp.wh, inp.region, k=1)
    return Result(r.frame, title=r.title, caption=r.caption, params=r.params, sources=_sources(r.frame))


def match(inp: Inputs, top: int = 3) -> Result:
    """Ranked recyclers and offtakers per end-of-life stream (:func:`critmat.services.capabilities.top_matches`,
    tonnes from the flows under the report's scenario); doc: the streams."""
    from critmat.services import capabilities as S

    r = S.top_matches(inp.wh, inp.region, inp.scenario, top)
    return Result(r.frame, title=r.title, caption=r.caption, doc=r.doc, sources=_sources(r.frame))


def facilities(inp: Inputs) -> Result:
    t = _cap_tables(inp)
    return Result(t["facilities"], title="European facilities", doc={"capabilities": t["facility_capabilities"]},
                  sources=_sources(t["facilities"]))


# --- sources, policy ------------------------------------------------------------------------------------

def sources(inp: Inputs) -> Result:
    return Result(inp.wh.table("sources"), title="Sources")


def policy(inp: Inputs) -> Result:
    """The region's policy items (:func:`critmat.services.policy.items`)."""
    from critmat.services import policy as S

    return S.items(inp.wh, inp.region)


def policy_indicators(inp: Inputs) -> Result:
    """The indicators tracking the policy items (:func:`critmat.services.policy.indicators`) with the report's
    scenario, date and draws."""
    from critmat.services import policy as S

    return S.indicators(inp.wh, inp.region, inp.scenario, on=inp.on, draws=inp.draws, flow_draws=inp.flow_draws,
                        seed=inp.seed)


# --- coverage ------------------------------------------------------------------------------------------

def crm_coverage(inp: Inputs) -> Result:
    """Per EU CRM 2023 / SRM 2024 material: held (tonnes with band), not contained, or no data (with why);
    tonnes and bands are the stock's (:func:`stock`: same draws and seed, the build's stored run)."""
    from critmat.services import coverage

    return coverage.crm_coverage(inp.wh, inp.region, draws=inp.draws, seed=inp.seed)


def asset_coverage(inp: Inputs) -> Result:
    """What the region pack counts per asset class against the best official count known."""
    from critmat.services import coverage

    return coverage.asset_coverage(inp.wh, inp.region)
