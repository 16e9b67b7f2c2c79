"""Component shocks in the region's terms; companies handling a material only at end of life are not exposed."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from critmat import risk_report as rr
from critmat.models import components as cm
from critmat.warehouse import Warehouse


@pytest.fixture(scope="module")
def wh(warehouse_db: Path) -> Warehouse:
    w = Warehouse(warehouse_db)
    yield w
    w.close()


def _toy(share: float, months: float, start: dt.date = dt.date(2029, 1, 1)) -> cm.ComponentShockResult:
    supply = pd.DataFrame({"component_id": ["ndfeb_magnet"], "country_iso3": ["CHN"], "share": [0.9]})
    carriers = pd.DataFrame({"component_id": ["ndfeb_magnet", "ndfeb_magnet"], "technology_id": ["wind_dd_pmsg", "car_bev"]})
    projects = pd.DataFrame([
        ("farm-2029", "f", "wind_offshore", "wind_dd_pmsg", "planned", 2029, 2000.0, "MW"),
        ("farm-2033", "g", "wind_offshore", "wind_dd_pmsg", "planned", 2033, 1000.0, "MW"),
        ("dfig-2029", "h", "wind_onshore", "wind_gb_dfig", "planned", 2029, 50.0, "MW"),
        ("old", "o", "wind_offshore", "wind_dd_pmsg", "operational", 2015, 100.0, "MW")],
        columns=["asset_id", "name", "asset_class", "technology_id", "status", "commissioning_year", "quantity",
                 "unit"])
    fleets = pd.DataFrame({"technology_id": ["car_bev"] * 3 + ["car_ice"] * 3, "year": [2028, 2029, 2030] * 2,
                           "inflow": [1000.0, 1200.0, 1500.0, 5000.0, 5000.0, 5000.0], "unit": "units"})
    demand = pd.DataFrame({"year": [2029, 2030], "material": ["neodymium", "neodymium"], "demand_t": [62.0, 10.0]})
    return cm.component_shock("ndfeb_magnet", "CHN", share, months, start, supply=supply, carriers=carriers,
                              projects=projects, fleets=fleets, demand=demand,
                              materials_of={"ndfeb_magnet": {"neodymium"}})


def test_a_magnet_shock_hits_what_is_built_in_its_window_and_nothing_outside() -> None:
    r = _toy(1.0, 6)
    assert r.withheld_fraction == pytest.approx(0.9)
    assert r.projects["asset_id"].tolist() == ["farm-2029"]          # not 2033, not the DFIG, not the old farm
    assert r.projects["delayed"].iloc[0] == pytest.approx(2000 * 0.9)
    assert set(r.fleets["technology_id"]) == {"car_bev"} and r.fleets["year"].tolist() == [2029]
    assert r.fleets["delayed"].iloc[0] == pytest.approx(1200 * 0.5 * 0.9, rel=1e-2)   # half a year of new BEVs
    assert r.materials.set_index("material").loc["neodymium", "magnet_t"] == pytest.approx(
        62 * 0.5 * 0.9 / cm.MAGNET_RE_SHARE, rel=1e-2)


def test_exposure_is_monotone_in_share_and_duration() -> None:
    def total(r: cm.ComponentShockResult) -> tuple[float, float, float]:
        s = r.summary
        return s["project_mw_delayed"], s["cars_delayed"], s["magnet_t_withheld"]

    for a, b in ((0.2, 0.5), (0.5, 0.9), (0.9, 1.0)):
        assert all(x <= y for x, y in zip(total(_toy(a, 6)), total(_toy(b, 6))))
    for a, b in ((3, 6), (6, 12), (12, 24)):
        assert all(x <= y + 1e-9 for x, y in zip(total(_toy(0.9, a)), total(_toy(0.9, b))))
    assert total(_toy(0.9, 24))[1] > total(_toy(0.9, 6))[1]


def test_region_magnet_shock_hits_planned_offshore_farms_and_new_evs(wh) -> None:
    r = rr.run_component_shock(wh, "nh-fl", "ndfeb_magnet", "CHN", 0.9, 6, dt.date(2029, 1, 1))
    assert set(r.projects["asset_class"]) == {"wind_offshore"} and (r.projects["commissioning_year"] == 2029).all()
    assert {"car_bev", "car_phev"} <= set(r.fleets["technology_id"])
    assert "car_ice" not in set(r.fleets["technology_id"])
    assert r.summary["magnet_t_withheld"] > 0
    later = rr.run_component_shock(wh, "nh-fl", "ndfeb_magnet", "CHN", 0.9, 6, dt.date(2035, 1, 1))
    assert later.projects.empty  # no magnet project is planned to commission in 2035


def test_dismantlers_are_not_exposed_to_what_they_only_handle_at_end_of_life(wh) -> None:
    comp = rr.company_materials("nh-fl")
    assert "eol_only" in comp
    ind = rr.indicators(rr.risk_data(wh))
    ex = rr.exposure.company_exposure(comp, ind)
    eol_only = comp.groupby("company_id")["eol_only"].all()
    for cid in eol_only[eol_only].index:
        row = ex.set_index("company_id").loc[cid]
        assert pd.isna(row["exposure_score"]) and row["materials"] is None
    gallium_users = comp[(comp["material_id"] == "gallium") & ~comp["eol_only"]]["company_id"]
    exposed = ex[ex["materials"].fillna("").str.contains("gallium")]["company_id"]
    assert set(exposed) == set(gallium_users)
