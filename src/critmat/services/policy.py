"""Policy: a region's policy items (SWOT, opportunities, recommendations and their matrix, HCSS 2025 Table 1
and Table 5 in critmat's words) and the values of the indicators that track them, read from the other services.

Indicator definitions are data (``regional_policy`` package, ``policy_indicators``); a region without policy
items gets every indicator and an empty item list (``doc['has_pack']`` False). Units: t (tonnes), share (0-1),
count, km.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import pandas as pd

from critmat.errors import CritmatError
from critmat.services.base import Result
from critmat.services.context import answer

if TYPE_CHECKING:
    from critmat.warehouse.access import TableSource

WIND = ("wind_onshore", "wind_offshore")
MAGNET_REE = ("neodymium", "praseodymium", "dysprosium", "terbium")
NEAR_KM = 500.0
FLOW_DRAWS = 200  # Monte Carlo draws of the flows behind the indicators (the report's)


def _table(wh: TableSource, name: str) -> pd.DataFrame:
    return wh.table(name) if wh.has(name) else pd.DataFrame()  # a warehouse built before the package existed


def _region_table(wh: TableSource, region: str, name: str) -> pd.DataFrame:
    from critmat.errors import UnknownIdError
    from critmat.services import regions

    try:
        return regions.table(wh, region, name).frame
    except UnknownIdError:
        return pd.DataFrame()


def _of_region(wh: TableSource, name: str, region: str) -> pd.DataFrame:
    df = _table(wh, name)
    return df[df["region_id"] == region].reset_index(drop=True) if len(df) else df


@answer
def items(wh: TableSource, region: str = "nh-fl") -> Result:
    """The region's policy items; doc: items, matrix (recommendation x opportunity), links (item ->
    indicator) as rows, has_pack."""
    from critmat.services.base import records

    rows = _of_region(wh, "policy_items", region)
    matrix, links = _of_region(wh, "policy_matrix", region), _of_region(wh, "policy_indicator_links", region)
    return Result(rows, title=f"Policy items of {region}", sources=["hcss_2025"] if len(rows) else [],
                  params={"region": region},
                  doc={"items": records(rows), "matrix": records(matrix), "links": records(links),
                       "has_pack": bool(len(rows))})


def crm_material_ids(wh: TableSource) -> list[str]:
    """Material ids the 2023 EU list covers, groups expanded to their elements, plus what a listed material is
    counted as (:data:`critmat.models.coverage.PROXIES`: bauxite as aluminium)."""
    from critmat.models.coverage import PROXIES
    from critmat.services import materials
    from critmat.warehouse.access import material_groups

    groups = material_groups(wh)
    out: list[str] = []
    for mid in materials.material_list(wh, "2023").frame["id"]:
        out += groups.get(mid, [mid])
        if mid in PROXIES:
            out.append(PROXIES[mid][0])
    return list(dict.fromkeys(out))


def _region_rows(fl: pd.DataFrame) -> pd.DataFrame:
    return fl[fl["area_type"] == "region"]


@answer
def indicators(wh: TableSource, region: str = "nh-fl", scenario: str = "baseline", on: dt.date | None = None,
               draws: int = 1000, flow_draws: int = FLOW_DRAWS, seed: int = 0) -> Result:
    """One row per indicator: value (unit), target_share, basis (how it was read) and, where the flows give
    one, a per-year trend (``doc['trends'][indicator_id]``: frame year, value). ``on``: the day for controls
    in force (default today); ``draws``, ``flow_draws``, ``seed``: the stock's and the flows' Monte Carlo."""
    from critmat.services import capabilities as cap_service
    from critmat.services import exposure as exposure_service
    from critmat.services import flows as flows_service
    from critmat.services import stock as stock_service
    from critmat.services.base import records

    from critmat.warehouse.access import material_groups

    day = on or dt.date.today()
    groups = set(material_groups(wh))
    defs = _table(wh, "policy_indicators")
    crm = set(crm_material_ids(wh))
    res = flows_service.run(wh, region, scenario, draws=flow_draws, seed=seed)
    fl = _region_rows(res.flows)
    values: dict[str, tuple[float | None, str]] = {}
    failed: list[str] = []
    trends: dict[str, pd.DataFrame] = {}

    def series(variable: str, classes: tuple[str, ...] | None, mats: set[str] | None, y0: int, y1: int):
        sel = fl[(fl["variable"] == variable) & fl["year"].between(y0, y1)]
        sel = sel[sel["asset_class"].isin(classes)] if classes else sel[sel["asset_class"] == "all"]
        if mats is not None:
            sel = sel[sel["material"].isin(mats)]
        else:
            sel = sel[~sel["material"].isin(groups)]
        return sel.groupby("year")["value"].sum()

    def part0() -> None:
        s = series("outflow", WIND, set(MAGNET_REE), 2025, 2035)
        values["ree_outflow_wind_2025_2035"] = (float(s.sum()), "flows: outflow of Nd, Pr, Dy, Tb from wind assets")
        trends["ree_outflow_wind_2025_2035"] = s.rename("value").reset_index()
        s = series("recovered", WIND, set(MAGNET_REE), 2025, 2035)
        values["ree_recovered_wind_2025_2035"] = (float(s.sum()), "flows: recovered Nd, Pr, Dy, Tb from wind assets")
        trends["ree_recovered_wind_2025_2035"] = s.rename("value").reset_index()
        s = series("outflow", ("solar_pv",), None, 2025, 2035)
        values["pv_outflow_2025_2035"] = (float(s.sum()), "flows: outflow of all materials from solar assets")
        trends["pv_outflow_2025_2035"] = s.rename("value").reset_index()

    def part1() -> None:
        rec = series("recovered", None, crm, 2025, 2050)
        dem = series("demand", None, crm, 2025, 2050)
        rir = float(rec.sum() / dem.sum()) if dem.sum() > 0 else None
        values["crm_eol_rir_2025_2050"] = (rir, f"flows: recovered {rec.sum():,.0f} t / demand {dem.sum():,.0f} t of "
                                           "EU CRMs (2023 list, groups as elements, bauxite with aluminium)")
        trends["crm_eol_rir_2025_2050"] = (rec / dem.where(dem > 0)).rename("value").reset_index()
        summ = res.summary
        summ = summ[summ["material"].isin(crm) & (summ["demand_t"] > 0)]
        n_meet = int((summ["meets_benchmark"] == True).sum())  # noqa: E712 - object column with None
        values["crm_meeting_benchmark"] = (float(n_meet), f"flows: {n_meet} of {len(summ)} CRMs with a demand")

    def part2() -> None:
        st = stock_service.stock(wh, region, by="asset_class", draws=draws, seed=seed).frame
        veh = st[(st["asset_class"] == "vehicle") & st["material"].isin(crm)]
        values["vehicle_crm_stock_t"] = (float(veh["mass_t"].sum()) if len(veh) else None,
                                         "stock: vehicles, central intensities")

    def part3() -> None:
        gc = _region_table(wh, region, "goods_categories")
        if len(gc):
            auto = gc[gc["goods_category_id"] == "automotive_products"].groupby("province_code")["share"].sum()
            mach = gc[gc["goods_category_id"].str.contains("machinery|electrical|appliance", regex=True)] \
                .groupby("province_code")["share"].sum()
            values["automotive_goods_share"] = (float(auto.max()) if len(auto) else None,
                                                "goods categories: largest province share")
            values["machinery_goods_share"] = (float(mach.max()) if len(mach) else None,
                                               "goods categories: largest province share, machinery categories summed")
        else:
            values["automotive_goods_share"] = (None, "no goods-category data for this region")
            values["machinery_goods_share"] = (None, "no goods-category data for this region")

    def part4() -> None:
        comp = cap_service.companies(wh, region).frame
        acts = comp["activities"].fillna("").astype(str) if len(comp) else pd.Series(dtype=str)

        def count(act: str) -> float:
            return float(acts.str.split(";").map(lambda a: act in a).sum()) if len(acts) else 0.0

        n = len(comp)
        values["metal_recovery_companies"] = (count("recycling_metal_recovery"), f"capabilities: of {n} companies")
        values["collection_companies"] = (count("recycling_collection"), f"capabilities: of {n} companies")
        values["rd_institutions"] = (count("research_development"), f"capabilities: of {n} companies")
        values["manufacturing_companies"] = (count("manufacturing"), f"capabilities: of {n} companies")

    def part5() -> None:
        m = cap_service.coverage(wh, region).frame
        gaps = [g for v in (m["gaps"] if "gaps" in m and "stream" in m else []) for g in str(v).split(";") if g]
        values["stage_gaps"] = (float(len(gaps)), f"capabilities: of {len(m)} streams x 6 stages")

    def part7() -> None:
        m = cap_service.top_matches(wh, region, scenario).frame
        if len(m):
            rec_m = m[(m["role"] == "recycler") & m["stream"].str.contains("ndfeb", case=False)]
            km = rec_m["distance_km"].dropna()
            near = int((km <= NEAR_KM).sum())
            values["nearest_ree_magnet_recycler_km"] = (
                float(km.min()) if len(km) else None,
                f"match: {near} of the top {len(km)} magnet recyclers within {NEAR_KM:.0f} km" if len(km)
                else "match: no magnet recycler in the registry")
        else:
            values["nearest_ree_magnet_recycler_km"] = (None, "match: no end-of-life streams for this region")

    def part8() -> None:
        ex = exposure_service.exposure(wh, region, on=day).frame
        ex = ex[(ex["stock_t"].fillna(0) > 0) | (ex["need_t_per_yr"].fillna(0) > 0)]
        ex = ex[~ex["material_id"].isin(groups)]
        need = ex["need_t_per_yr"].fillna(0)
        ctrl = need[ex["controls_active"].fillna(0) > 0].sum()
        values["controlled_need_share"] = (float(ctrl / need.sum()) if need.sum() > 0 else None,
                                           f"exposure: {ctrl:,.0f} of {need.sum():,.0f} t/yr, controls in force on "
                                           f"{day.isoformat()}")

    for part in (part0, part1, part2, part3, part4, part5, part7, part8):
        try:
            part()
        except CritmatError as exc:  # data the region lacks: the indicator stays empty, with the reason
            failed.append(str(exc))

    rows = []
    links = _of_region(wh, "policy_indicator_links", region)
    for d in defs.itertuples():
        v, basis = values.get(d.indicator_id, (None, "not available: " + ("; ".join(dict.fromkeys(failed))
                                                                          or "not computed")))
        tracked = links.loc[links["indicator_id"] == d.indicator_id, "policy_item_id"].tolist() if len(links) else []
        rows.append({"indicator_id": d.indicator_id, "title": d.title, "title_nl": d.title_nl,
                     "unit": d.indicator_unit, "value": v, "target_share": d.target_share, "basis": basis,
                     "items": ";".join(tracked)})
    df = pd.DataFrame(rows)
    return Result(df, title=f"Policy indicators of {region}", caption="value in the row's unit",
                  params={"region": region, "scenario": scenario, "on": day.isoformat(), "draws": draws,
                          "flow_draws": flow_draws, "seed": seed},
                  sources=["critmat_policy_indicators", "eu_2024_1252"],
                  doc={"indicators": records(df), "trends": {k: records(v) for k, v in trends.items()}})
