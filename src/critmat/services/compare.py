"""Compare: provinces side by side - what each holds, what comes free and its own demand, per material.

One row per province and material across the regions asked for: a national pack (one region holding the 12
provinces, ``critmat region build --province ...`` with all of them) or the province packs of
``critmat region build --all-provinces`` (``pv20`` ... ``pv31``), or any other set of regions (a NUTS
region's rows are its provinces). Numbers are the province rows of the stock service (default run: 1,000
draws, seed 0) and the flows service (a scenario's default run, window totals); nothing is computed here
that the models do not compute: :func:`province_table` only selects, sums over years and divides.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from critmat.services.base import Result, Section

if TYPE_CHECKING:
    from critmat.warehouse.access import TableSource

#: A figure has changed since the previous build when it moved by more than this share of its old value.
CHANGE_SHARE = 1e-3
COLUMNS = ["province_code", "province_name", "region", "material", "stock_t", "stock_low_t", "stock_high_t",
           "stock_share", "outflow_t", "secondary_supply_t", "demand_t", "eol_rir"]
ASSET_COLUMNS = ["province_code", "province_name", "region", "assets", "wind_mw", "solar_mw", "datacentre_mw",
                 "grid_km", "vehicles"]
UNITS = {"stock_t": "t", "stock_low_t": "t", "stock_high_t": "t", "stock_share": "fraction", "outflow_t": "t",
         "secondary_supply_t": "t", "demand_t": "t", "eol_rir": "fraction", "wind_mw": "MW", "solar_mw": "MWp",
         "datacentre_mw": "MW", "grid_km": "km", "vehicles": "units"}


def changes(now: pd.DataFrame, before: pd.DataFrame | None, key: str = "key") -> pd.DataFrame:
    """``now`` (rows with ``key`` and ``value``) with ``before`` (the value the previous build gave under the same
    key; NaN when it gave none), ``delta`` (``value - before``) and ``changed`` (moved by more than
    :data:`CHANGE_SHARE` of the old value): the one rule by which the report says a figure changed."""
    old = dict(zip(before[key], pd.to_numeric(before["value"], errors="coerce"))) if before is not None else {}
    out = now.copy()
    out["before"] = np.array([old.get(k, np.nan) for k in out[key]], dtype="float64")
    out["delta"] = pd.to_numeric(out["value"], errors="coerce").astype("float64") - out["before"]
    out["changed"] = out["delta"].abs() > CHANGE_SHARE * np.maximum(out["before"].abs(), 1e-12)
    return out


def province_table(stock: pd.DataFrame, flows: pd.DataFrame | None, names: dict[str, str],
                   materials: Sequence[str] | None = None) -> pd.DataFrame:
    """Rows of :data:`COLUMNS` from long stock rows (``region, area_type, area, asset_class, material,
    variable, value``; variables ``mass_t``, ``low_t``, ``high_t``) and long flows rows (``outflow``,
    ``recovered``, ``demand`` per year), both of one or more regions, at province level, all classes.

    ``stock_share`` is the province's share of the listed provinces' total of that material; ``eol_rir`` =
    min(secondary supply, demand) / demand over the window (NaN without demand)."""
    s = stock[(stock["area_type"] == "province") & (stock["asset_class"] == "all")
              & stock["variable"].isin(["mass_t", "low_t", "high_t"])]
    w = s.pivot_table(index=["area", "region", "material"], columns="variable", values="value", aggfunc="sum")
    w = w.reindex(columns=["mass_t", "low_t", "high_t"]).rename(
        columns={"mass_t": "stock_t", "low_t": "stock_low_t", "high_t": "stock_high_t"})
    if flows is not None and len(flows):
        f = flows[(flows["area_type"] == "province") & (flows["asset_class"] == "all")
                  & flows["variable"].isin(["outflow", "recovered", "demand"])]
        fw = f.pivot_table(index=["area", "region", "material"], columns="variable", values="value", aggfunc="sum")
        fw = fw.reindex(columns=["outflow", "recovered", "demand"]).rename(
            columns={"outflow": "outflow_t", "recovered": "secondary_supply_t", "demand": "demand_t"})
        w = w.join(fw, how="outer")
    else:
        w = w.assign(outflow_t=np.nan, secondary_supply_t=np.nan, demand_t=np.nan)
    out = w.reset_index().rename(columns={"area": "province_code"})
    if materials is not None:
        out = out[out["material"].isin(list(materials))]
    total = out.groupby("material")["stock_t"].transform("sum")
    out["stock_share"] = np.where(total > 0, out["stock_t"] / total.where(total > 0, 1.0), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        d = out["demand_t"].to_numpy(float)
        out["eol_rir"] = np.where(d > 0, np.minimum(out["secondary_supply_t"].to_numpy(float), d) / d, np.nan)
    out["province_name"] = out["province_code"].map(names)
    return out[COLUMNS].sort_values(["material", "stock_t", "province_code"], ascending=[True, False, True],
                                    na_position="last").reset_index(drop=True)


def province_assets(assets: pd.DataFrame, names: dict[str, str], region: str) -> pd.DataFrame:
    """Per province: asset rows, wind and solar capacity, data-centre MW, grid km and vehicles (the assets the
    stock model counts)."""
    a = assets
    cls = a["asset_class"]

    def total(mask: pd.Series, col: str) -> pd.Series:
        return pd.to_numeric(a[col], errors="coerce").where(mask, 0.0).groupby(a["province_code"]).sum()

    out = pd.DataFrame({"assets": a.groupby("province_code").size(),
                        "wind_mw": total(cls.str.startswith("wind"), "capacity_mw"),
                        "solar_mw": total(cls == "solar_pv", "capacity_mw"),
                        "datacentre_mw": total(cls == "datacentre", "capacity_mw"),
                        "grid_km": total(cls == "grid_cable", "length_km"),
                        "vehicles": total(cls == "vehicle", "units")}).reset_index()
    out["province_name"] = out["province_code"].map(names)
    out["region"] = region
    return out[ASSET_COLUMNS]


def provinces(wh: TableSource = None, regions: Sequence[str] | None = None, material: str | None = None,
              scenario: str = "baseline", draws: int = 1000, seed: int = 0) -> Result:
    """Province-by-province comparison (see the module docstring); ``regions`` default: every region pack
    of the warehouse; ``material`` an id, name or group (its members and the group row)."""
    from critmat.services import flows as flows_service
    from critmat.services import stock as stock_service

    if wh is None:
        from critmat.services.context import warehouse

        wh = warehouse()
    if regions is None:
        from critmat.warehouse import access

        regions = access.region_ids(wh)
    mats = None
    if material is not None:
        from critmat.knowledge import groups

        mats = sorted(set(flows_service.materials_of(wh, material) or []) | ({material} & set(groups(wh))))
    stocks, flows, assets, names, srcs = [], [], [], {}, set()
    for region in regions:
        inp = stock_service.inputs(wh, region)
        m = inp.municipalities
        names.update(dict(zip(m["province_code"].astype(str), m["province_name"].astype(str))))
        stocks.append(stock_service.run(wh, region, draws=draws, seed=seed))
        flows.append(flows_service.run(wh, region, scenario).flows)
        assets.append(province_assets(inp.assets[inp.assets["status"].isin(("operational", "under_construction"))],
                                      names, inp.region_id))
        srcs |= set(inp.assets["source_id"].dropna()) | set(inp.intensities["source_id"].dropna())
    table = province_table(pd.concat(stocks, ignore_index=True), pd.concat(flows, ignore_index=True), names, mats)
    counts = pd.concat(assets, ignore_index=True)
    caption = (f"stock: {draws} draws, seed {seed} (stock_t central intensities; low/high = 5th/95th percentile); "
               f"flows: scenario {scenario}, deterministic, window totals; stock_share = share of the listed "
               "provinces' total; eol_rir = min(secondary supply, demand) / demand of the province's own assets")
    return Result(table, title="Provinces compared: stock, end-of-life flows and own demand per material",
                  caption=caption, units={k: v for k, v in UNITS.items() if k in table.columns},
                  sources=sorted(srcs),
                  params={"regions": list(regions), "material": material, "scenario": scenario, "draws": draws,
                          "seed": seed},
                  sections=[Section("materials", table, title="Per province and material", caption=caption),
                            Section("assets", counts, title="Assets counted per province",
                                    caption="operational and under construction")])

