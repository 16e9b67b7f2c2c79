"""The region's need from the flows model (critmat.risk_report.region_need) and its steady-state fallback."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from critmat import risk_report as rr
from critmat.errors import ModelError
from critmat.flows import run_flows
from critmat.models import disruption
from critmat.models import exposure as ex
from critmat.specs.shocks import load_shock
from critmat.warehouse import Warehouse

# -------------------------------------------------------------------- yearly_need(demand=) on inline frames

ASSETS = pd.DataFrame({"asset_id": ["w1", "p1"], "asset_class": ["wind_offshore", "wind_offshore"],
                       "technology_id": ["wind_dd_pmsg", "wind_dd_pmsg"], "status": ["operational", "planned"],
                       "commissioning_year": [2010, 2028]})
CONTENT = pd.DataFrame({"asset_id": ["w1", "p1"], "material": ["dysprosium", "dysprosium"], "mass_t": [20.0, 10.0]})
DEMAND = pd.DataFrame({"year": [2027, 2028, 2027], "asset_class": ["wind_offshore", "wind_offshore", "vehicle"],
                       "material": ["dysprosium", "dysprosium", "dysprosium"], "replacement_t": [0.0, 20.0, 0.3],
                       "pipeline_t": [0.0, 12.0, 0.0]})


def test_demand_gives_both_terms_and_the_planned_assets_are_not_added_again() -> None:
    need = ex.yearly_need(CONTENT, ASSETS, [2027, 2028], lifetimes={"wind_dd_pmsg": 20.0}, demand=DEMAND)
    got = need.set_index(["year", "asset_class", "material"])
    assert got.loc[(2028, "wind_offshore", "dysprosium"), "replacement_t"] == 20.0
    assert got.loc[(2028, "wind_offshore", "dysprosium"), "pipeline_t"] == 12.0  # not 12 + 10 (p1's content)
    assert got.loc[(2027, "wind_offshore", "dysprosium"), "need_t"] == 0.0  # no steady-state 20/20 = 1 t
    assert got.loc[(2027, "vehicle", "dysprosium"), "need_t"] == pytest.approx(0.3)
    assert got.loc[(2027, "wind_offshore", "dysprosium"), "stock_t"] == 20.0  # holdings stay the inventory's
    # no lifetime is needed when the flows model gives the replacement
    ex.yearly_need(CONTENT, ASSETS, [2027], lifetimes={}, demand=DEMAND)
    # a held material the flows frame does not list (nothing moves) keeps its holdings, with zero need
    more = pd.concat([CONTENT, pd.DataFrame({"asset_id": ["w1"], "material": ["copper"], "mass_t": [400.0]})])
    n2 = ex.yearly_need(more, ASSETS, [2027, 2028], lifetimes={}, demand=DEMAND)
    cu = n2[n2["material"] == "copper"]
    assert cu["year"].tolist() == [2027, 2028] and (cu["stock_t"] == 400.0).all() and (cu["need_t"] == 0).all()
    assert ex.material_exposure(n2, pd.DataFrame({"material_id": ["copper"], "sr": [0.1]})).set_index(
        "material_id").at["copper", "stock_t"] == 400.0


def test_demand_must_cover_the_years_and_be_valid() -> None:
    with pytest.raises(ModelError, match=r"demand: no rows for year\(s\) \[2029\]"):
        ex.yearly_need(CONTENT, ASSETS, [2028, 2029], lifetimes={}, demand=DEMAND)
    outflows = pd.DataFrame({"year": [2027], "asset_class": ["vehicle"], "material": ["copper"], "outflow_t": [1.0]})
    with pytest.raises(ModelError, match=r"outflows: no rows for year\(s\) \[2028\]"):
        ex.yearly_need(CONTENT, ASSETS, [2027, 2028], lifetimes={"wind_dd_pmsg": 20.0}, outflows=outflows)
    with pytest.raises(ModelError, match="not both"):
        ex.yearly_need(CONTENT, ASSETS, [2027], lifetimes={}, demand=DEMAND, outflows=outflows)
    with pytest.raises(ModelError, match=r"pipeline_t of 'wind_offshore', 'dysprosium', year 2027 is -1.0"):
        ex.yearly_need(CONTENT, ASSETS, [2027], lifetimes={}, demand=DEMAND.assign(pipeline_t=[-1.0, 0, -1.0]))


# -------------------------------------------------------------------- the bundled region through the flows model


@pytest.fixture(scope="module")
def db(warehouse_db: Path) -> Path:
    return warehouse_db


@pytest.fixture(scope="module")
def data(db: Path) -> rr.RiskData:
    with Warehouse(db) as wh:
        return rr.risk_data(wh)


def test_need_is_the_flows_models_demand(data: rr.RiskData) -> None:
    ra = rr.region_assets("nh-fl")
    years = list(range(2026, 2036))
    rn = rr.region_need(data, ra, years)
    assert rn.basis.startswith("flows model, scenario baseline")
    flows = run_flows("nh-fl", "baseline", start=2026, end=2035).flows
    region_all = flows[(flows["area_type"] == "region") & (flows["asset_class"] == "all")]
    want = region_all[region_all["variable"] == "demand"].groupby("material")["value"].sum()
    got = rn.need.groupby("material")["need_t"].sum()
    both = pd.concat([want.rename("flows"), got.rename("need")], axis=1).fillna(0.0)
    np.testing.assert_allclose(both["need"], both["flows"], rtol=1e-9, atol=1e-9)  # classes counted once
    rec = region_all[region_all["variable"] == "recovered"].groupby("material")["value"].sum()
    np.testing.assert_allclose(rn.recovered.groupby("material")["recovered_t"].sum().reindex(rec.index), rec,
                               rtol=1e-9)
    # the offshore pipeline enters in its scenario years (HKW VI 2026, VII 2027, IJmuiden Ver 2029),
    # while the steady state spreads replacement evenly and has no under-construction asset in the pipeline
    off = rn.need[(rn.need["asset_class"] == "wind_offshore") & (rn.need["material"] == "dysprosium")]
    by_year = off.set_index("year")["pipeline_t"]
    assert by_year[2026] > 0 and by_year[2029] > by_year[2026] and by_year[2030] == 0
    steady = rr.need(data, ra, years)
    st_off = steady[(steady["asset_class"] == "wind_offshore") & (steady["material"] == "dysprosium")]
    assert st_off.set_index("year").loc[2026, "pipeline_t"] == 0  # HKW VI is under construction: stock
    # the exposure report uses it and says so
    rep = rr.exposure_report(data, "nh-fl", dt.date(2026, 6, 1))
    assert rep.need_basis == rn.basis
    m = rep.materials.set_index("material_id")
    assert m.at["dysprosium", "need_t_per_yr"] == pytest.approx(got["dysprosium"] / 10)


def test_years_up_to_the_registry_year_fall_back_to_the_steady_state(data: rr.RiskData) -> None:
    ra = rr.region_assets("nh-fl")
    rn = rr.region_need(data, ra, [2023, 2024])
    assert rn.recovered is None and rn.basis.startswith(rr.STEADY_STATE_BASIS)
    assert "registry year 2024" in rn.basis
    pd.testing.assert_frame_equal(rn.need, rr.need(data, ra, [2023, 2024]))
    # a flows model that cannot run (here: no such scenario) falls back too, with a warning and the reason
    with pytest.warns(RuntimeWarning, match="flows model not available for nh-fl"):
        rn = rr.region_need(data, ra, [2030], scenario="no-such-scenario")
    assert rn.recovered is None and "no-such-scenario" in rn.basis


def test_shock_uses_flows_need_and_weights_recovery_by_the_years_it_touches(data: rr.RiskData, db: Path) -> None:
    spec = load_shock("ree-april-2025").model_copy(update={"months": 15})  # April 2025 - July 2026
    with Warehouse(db) as wh:
        res = rr.run_shock(wh, spec, "nh-fl")
    yf = disruption.year_fractions(spec.start, spec.months)
    assert set(yf) == {2025, 2026} and res.need_basis.startswith("flows model")
    rn = rr.region_need(data, rr.region_assets("nh-fl"), [2025, 2026])
    rec = rn.recovered[rn.recovered["material"] == "dysprosium"].set_index("year")["recovered_t"]
    expected = sum(rec.get(y, 0.0) * f for y, f in yf.items())
    m = res.mitigations.set_index("material")
    assert m.at["dysprosium", "secondary_available_t"] == pytest.approx(expected, rel=1e-9)
    a = res.affected[res.affected["material"] == "dysprosium"].set_index(["year", "asset_class"])["need_t"]
    nd = rn.need[rn.need["material"] == "dysprosium"].set_index(["year", "asset_class"])["need_t"]
    np.testing.assert_allclose(a.sort_index(), nd.reindex(a.index).sort_index())
