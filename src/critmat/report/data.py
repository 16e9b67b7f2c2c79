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
    """The EU CRM list (34 in 2023) with SR, EI and the strategic flag."""
    from critmat.knowledge import list_materials

    df = list_materials(inp.wh, list_)
    return Result(df, title="EU critical raw materials 2023", sources=_sources(df, ["ec_crm_2023", "eu_2024_1252"]),
                  params={"list": list_})


def criticality_history(inp: Inputs) -> Result:
    """SR and EI of each material in every EU assessment (2011, 2014, 2017, 2020, 2023)."""
    df = inp.wh.table("criticality").copy()
    return Result(df, title="Supply risk and economic importance, EU assessments 2011-2023",
                  units={"supply_risk": "index", "economic_importance": "index"}, sources=_sources(df))


def risk(inp: Inputs) -> Result:
    """Per material: SR, EI, HHI and China's share per stage, CRMA 65 % flag, controls in force."""
    from critmat import risk_report as rr

    data = inp.memo("risk_data", lambda: rr.risk_data(inp.wh))
    df = rr.indicators(data, inp.on)
    df = df[df["sr"].notna() | df["hhi_extraction"].notna() | df["hhi_processing"].notna()]
    df = df.sort_values(["sr", "material_id"], ascending=[False, True], na_position="last").reset_index(drop=True)
    return Result(df, title="Supply risk and concentration per material", params={"on": inp.on.isoformat()},
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

def region_info(inp: Inputs) -> Result:
    from critmat.regions import list_regions

    df = list_regions()
    return Result(df[df.iloc[:, 0] == inp.region].reset_index(drop=True), title="Region")


def assets(inp: Inputs) -> Result:
    df = inp.wh.table("assets")
    df = df[df["region_id"] == inp.region].reset_index(drop=True)
    return Result(df, title=f"Assets of {inp.region}", sources=_sources(df))


def municipalities(inp: Inputs) -> Result:
    df = inp.wh.table("municipalities")
    df = df[df["region_id"] == inp.region].reset_index(drop=True)
    return Result(df, title=f"Municipalities of {inp.region}", sources=_sources(df))


def boundaries(inp: Inputs) -> Result:
    """Municipality and province outlines (WKT, WGS84) where the region pack has them; empty otherwise."""
    try:
        df = inp.wh.table("boundaries")
    except Exception:  # noqa: BLE001 - a pack without boundaries: the maps fall back to points
        return Result(pd.DataFrame(), title="Boundaries (none loaded)")
    if "region_id" in df:
        df = df[df["region_id"] == inp.region]
    return Result(df.reset_index(drop=True), title="Boundaries", sources=_sources(df))


def goods_categories(inp: Inputs) -> Result:
    df = inp.wh.table("goods_categories")
    df = df[df["region_id"] == inp.region].reset_index(drop=True)
    gm = inp.wh.table("goods_category_materials")
    gm = gm[gm["region_id"] == inp.region]
    mats = gm.groupby("goods_category_id")["material_id"].agg(lambda s: ";".join(sorted(s))).rename("materials")
    df = df.merge(mats, left_on="goods_category_id", right_index=True, how="left")
    return Result(df, title="Goods categories containing CRM", units={"share": "share"}, sources=_sources(df))


# --- stock, flows ---------------------------------------------------------------------------------------

def _stock_raw(inp: Inputs):
    from critmat.stock import load_inputs, regional_stock

    def make():
        si = load_inputs(inp.region)
        return si, regional_stock(si, n_draws=inp.draws, seed=inp.seed)
    return inp.memo("stock", make)


def stock(inp: Inputs, by: str = "material") -> Result:
    """Tonnes held, central intensities, with the 5th-95th percentile of the Monte Carlo."""
    from critmat.stock import summarize

    si, res = _stock_raw(inp)
    df = summarize(res, by=by, municipalities=si.municipalities)
    return Result(df, title=f"Material stock by {by}", units={"mass_t": "t", "low_t": "t", "high_t": "t"},
                  sources=["critmat_intensities"], params={"by": by, "draws": inp.draws, "seed": inp.seed})


def flows(inp: Inputs) -> Any:
    """The flows model run for the report's scenario (long rows + per-material summary)."""
    from critmat.flows import run_flows

    return inp.memo("flows", lambda: run_flows(inp.region, inp.scenario, wh=inp.wh, n_draws=inp.flow_draws,
                                               seed=inp.seed))


def flows_summary(inp: Inputs) -> Result:
    fr = flows(inp)
    df = fr.summary.sort_values("demand_t", ascending=False).reset_index(drop=True)
    return Result(df, title=f"End-of-life flows {fr.years[0]}-{fr.years[-1]}, scenario {inp.scenario}",
                  params={"scenario": inp.scenario, "draws": fr.n_draws, "benchmark": fr.benchmark},
                  sources=["critmat_circularity", "eu_2024_1252"])


def flows_long(inp: Inputs) -> Result:
    fr = flows(inp)
    return Result(fr.flows, title=f"End-of-life flows (long), scenario {inp.scenario}",
                  params={"scenario": inp.scenario, "draws": fr.n_draws})


def scenarios(inp: Inputs) -> Result:
    from critmat.specs.scenarios import list_scenarios

    return Result(list_scenarios(), title="Flow scenarios")


# --- exposure, disruption -------------------------------------------------------------------------------

def exposure(inp: Inputs) -> Any:
    from critmat import risk_report as rr

    data = inp.memo("risk_data", lambda: rr.risk_data(inp.wh))
    return inp.memo("exposure", lambda: rr.exposure_report(data, inp.region, inp.on))


def exposure_materials(inp: Inputs) -> Result:
    rep = exposure(inp)
    df = rep.materials
    df = df[(df["stock_t"].fillna(0) > 0) | (df["need_t_per_yr"].fillna(0) > 0)].reset_index(drop=True)
    return Result(df, title="Exposure by material", caption=f"need: {rep.need_basis}",
                  params={"need_basis": rep.need_basis, "years": list(rep.years)},
                  sources=["ec_crm_2023", "critmat_intensities"])


def exposure_asset_classes(inp: Inputs) -> Result:
    rep = exposure(inp)
    return Result(rep.asset_classes, title="Exposure by asset class")


def shocks(inp: Inputs) -> Result:
    from critmat.specs.shocks import bundled_shocks, load_shock

    rows = []
    for n in bundled_shocks():
        s = load_shock(n)
        rows.append({"shock_id": n, "title": s.title, "country": s.country, "stage": s.stage, "share": s.share,
                     "start": str(s.start), "months": s.months, "materials": ";".join(s.materials or []),
                     "source_id": ";".join(s.source_ids)})
    df = pd.DataFrame(rows)
    return Result(df, title="Bundled disruption scenarios", sources=_sources(df))


def disrupt(inp: Inputs, shock: str) -> Result:
    """A bundled shock in the region's terms: affected need and its mitigations per material."""
    from critmat import risk_report as rr
    from critmat.specs.shocks import load_shock

    res = inp.memo(f"shock:{shock}", lambda: rr.run_shock(inp.wh, load_shock(shock), inp.region))
    return Result(res.mitigations.copy(), title=f"Shock {shock}", doc={"totals": res.totals(),
                  "description": res.shock.describe(), "by_year_class": res.affected_by_year_class()},
                  sources=list(res.shock.source_ids) + ["critmat_assumption_spare_capacity"])


# --- capabilities ---------------------------------------------------------------------------------------

def _cap_tables(inp: Inputs):
    from critmat import capabilities_data as data

    return inp.memo("cap", lambda: data.load_capabilities(inp.region))


def companies(inp: Inputs) -> Result:
    from critmat.models.capabilities import company_registry

    df = company_registry(_cap_tables(inp))
    return Result(df, title="Companies in CRM supply chains", sources=_sources(df))


def activities(inp: Inputs) -> Result:
    df = _cap_tables(inp)["supply_chain_activities"]
    return Result(df, title="Supply-chain stages (definitions)", sources=_sources(df))


def capabilities(inp: Inputs) -> Result:
    from critmat.models import capabilities as cap

    t = _cap_tables(inp)
    cov = cap.coverage(t, by="stream")
    m = cap.coverage_matrix(cov, t["supply_chain_activities"])
    return Result(m, title="Stage coverage by stream (number of companies)", doc={"gaps": cap.gaps(cov)},
                  sources=["hcss_2025"])


def fillers(inp: Inputs) -> Result:
    from critmat.models import capabilities as cap

    t = _cap_tables(inp)
    cov = cap.coverage(t, by="stream")
    origin = cap.region_origin(cap.company_locations(t["companies"], t["towns"]))
    df = cap.nearest_fillers(cap.gaps(cov), t["facilities"], t["facility_capabilities"], origin, k=1)
    return Result(df, title="Nearest facilities filling the gaps", params={"origin": origin}, sources=_sources(df))


def match(inp: Inputs, top: int = 3) -> Result:
    """Ranked recyclers and offtakers per end-of-life stream (tonnes from the report's flows run)."""
    return inp.memo(f"match:{top}", lambda: _match(inp, top))


def _match(inp: Inputs, top: int) -> Result:
    from critmat import capabilities_data as data
    from critmat.models import capabilities as cap
    from critmat.models import matching as mm

    t = _cap_tables(inp)
    specs = data.bundled_stream_specs(t["streams"]["stream_id"])
    specs = {k: v for k, v in specs.items() if v.region_id == inp.region}
    if specs:
        specs = data.streams_with_flows(specs, inp.region, inp.scenario, inp.wh, result=flows(inp))
    locs = cap.company_locations(t["companies"], t["towns"])
    cands = mm.candidates(locs, t["company_activities"], t["company_streams"], t["facilities"],
                          t["facility_capabilities"])
    df = mm.match_streams(list(specs.values()), cands, top=top) if specs else pd.DataFrame()
    streams = pd.DataFrame([{"stream": s.name, "tonnes_per_year": s.tonnes_per_year, "years":
                             f"{s.year_from}-{s.year_to}", "basis": s.basis, "assumption": s.assumption}
                            for s in specs.values()])
    return Result(df, title="Top matches per stream", doc={"streams": streams}, sources=_sources(df))


def facilities(inp: Inputs) -> Result:
    t = _cap_tables(inp)
    return Result(t["facilities"], title="European facilities", doc={"capabilities": t["facility_capabilities"]},
                  sources=_sources(t["facilities"]))


# --- sources, policy ------------------------------------------------------------------------------------

def sources(inp: Inputs) -> Result:
    return Result(inp.wh.table("sources"), title="Sources")


def policy(inp: Inputs) -> Result:
    from critmat.report import policy_service as P

    return inp.memo("policy", lambda: P.policy(inp))


def policy_indicators(inp: Inputs) -> Result:
    from critmat.report import policy_service as P

    return inp.memo("policy_ind", lambda: P.indicators(inp))


# --- coverage (the holdings helper's service) -----------------------------------------------------------

def _coverage_service():
    try:
        from critmat.services import coverage
        from critmat.services.base import Result as _R  # noqa: F401 - the service needs the base layer
    except ImportError:
        return None
    return coverage


def crm_coverage(inp: Inputs) -> Result:
    """Per EU CRM 2023 / SRM 2024 material: held (tonnes with band), not contained, or no data (with why)."""
    cov = _coverage_service()
    if cov is None:
        import pandas as pd

        return Result(pd.DataFrame(), title="CRM coverage", caption="the coverage service is not available")
    return cov.crm_coverage(inp.wh, inp.region)


def asset_coverage(inp: Inputs) -> Result:
    """What the region pack counts per asset class against the best official count known."""
    cov = _coverage_service()
    if cov is None:
        import pandas as pd

        return Result(pd.DataFrame(), title="Asset coverage", caption="the coverage service is not available")
    return cov.asset_coverage(inp.wh, inp.region)

