"""Ambition scenarios: stock-driven target fleets reproduce their targets, need = replacement + growth, balance."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from critmat.errors import ScenarioError
from critmat.flows import run_flows
from critmat.specs.scenarios import load_scenario
from critmat.warehouse import Warehouse


@pytest.fixture(scope="module")
def wh(warehouse_db: Path) -> Warehouse:
    w = Warehouse(warehouse_db)
    yield w
    w.close()


@pytest.fixture(scope="module", params=["baseline", "high-ambition", "slow"])
def res(request, wh):
    return run_flows("nh-fl", request.param, wh=wh, start=2025, end=2050)


def test_stock_driven_inflows_reproduce_the_target_fleet(res) -> None:
    f = res.fleets
    assert len(f) and {"car_bev", "car_ice", "cable_mv", "pv_csi"} <= set(f["technology_id"])
    scale = np.maximum(1.0, f["target"].abs())
    # fleets follow the target; wind farms and solar parks: registered + the new fleet reach the target
    # wherever the target is above the registered assets
    reached = np.maximum(f["target"], f["registered"])
    wind_solar = f["technology_id"].str.startswith(("pv_", "wind_"))
    np.testing.assert_array_less(np.abs(f["stock"] - np.where(wind_solar, reached, f["target"])) / scale, 1e-6)
    np.testing.assert_allclose(f["inflow"], f["replacement"] + f["growth"], atol=1e-6 * scale.max())
    for _, g in f.groupby("technology_id"):
        g = g.sort_values("year")
        new = g["stock"] - g["registered"] if g["technology_id"].iloc[0].startswith(("pv_", "wind_")) else g["stock"]
        d = np.diff(new.to_numpy())
        np.testing.assert_allclose(d, (g["inflow"] - g["outflow"]).to_numpy()[1:], atol=1e-6 * scale.max())


def test_need_is_replacement_plus_growth_and_mass_balance_holds(res) -> None:
    f = res.flows[res.flows["unit"] == "t"]
    w = f.pivot_table(index=["area_type", "area", "asset_class", "material", "year"], columns="variable",
                      values="value", aggfunc="first")
    sc = max(1.0, float(w["demand"].abs().max()))
    np.testing.assert_allclose(w["demand"], w["demand_replacement"] + w["demand_new"], atol=1e-9 * sc)
    np.testing.assert_allclose(w["outflow"], w["reused"] + w["recovered"] + w["lost"], atol=1e-9 * sc)
    # the ambition adds growth: the EV fleet needs lithium for new cars every year
    li = w.xs(("region", "nh-fl", "vehicle", "lithium"), level=(0, 1, 2, 3))
    assert (li["demand_new"] > 0).all()


def test_ambition_orders_the_need(wh) -> None:
    def growth(name: str, mat: str) -> float:
        f = run_flows("nh-fl", name, wh=wh, start=2025, end=2040, materials=[mat]).flows
        sel = (f["area_type"] == "region") & (f["asset_class"] == "all") & (f["variable"] == "demand_new")
        return float(f.loc[sel, "value"].sum())

    assert growth("slow", "lithium") < growth("baseline", "lithium") < growth("high-ambition", "lithium")
    assert growth("baseline", "neodymium") < growth("high-ambition", "neodymium")


def test_target_errors_name_the_key(tmp_path: Path, wh) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nextends: baseline\ntargets:\n  unobtainium_tech: {points: {2030: 2.0}}\n")
    with pytest.raises(ScenarioError, match="unknown technology 'unobtainium_tech'"):
        run_flows("nh-fl", bad, wh=wh)
    neg = tmp_path / "neg.yaml"
    neg.write_text("name: neg\nextends: baseline\ntargets:\n  car_bev: {points: {2030: -1}}\n")
    with pytest.raises(ScenarioError, match="targets"):
        load_scenario(neg)


def test_the_ev_split_holds_the_car_fleet(wh) -> None:
    f = run_flows("nh-fl", "baseline", wh=wh, start=2025, end=2050).fleets
    cars = f[f["technology_id"].str.startswith("car_")].pivot_table(index="year", columns="technology_id",
                                                                     values="stock")
    total = cars.sum(axis=1)
    assert total.max() / total.min() - 1 < 1e-6
    assert cars["car_bev"].is_monotonic_increasing and cars["car_ice"].loc[2050] < cars["car_ice"].loc[2025]
    assert isinstance(cars, pd.DataFrame)
