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
    # expected MW: the farm commissions in 2029, the window covers half of that year (month unknown)
    assert r.projects["delayed"].iloc[0] == pytest.approx(2000 * 0.9 * 0.5, rel=1e-2)
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


# ---- the bundled component shares: sourced value by value, PV cross-checked against the shared files ----

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import critmat  # noqa: E402
from critmat.catalog.sources import source_registry  # noqa: E402

PKG = Path(critmat.__file__).parent / "data" / "packages" / "components"
PV_ICE_NAMES = {"CHN": ("China",), "VNM": ("VietNam", "Vietnam"), "IND": ("India",), "MYS": ("Malaysia",),
                "KOR": ("SKorea", "Korea")}


def _supply() -> pd.DataFrame:
    return pd.read_csv(PKG / "component_supply.csv")


def test_every_component_share_names_a_read_source_and_no_value_is_left_to_verify() -> None:
    sup = _supply()
    src = source_registry()
    for _, r in sup.iterrows():
        note = str(r["note"]).lower()
        assert "verify" not in note and "recall" not in note, r.to_dict()
        assert 0 < r["share"] <= 1 and 2015 <= r["year"] <= 2026
        assert "recalled" not in src[r["source_id"]].citation.lower(), r["source_id"]
    # the magnet, cell, cathode and nacelle shares come from the IEA's 2024-2025 publications
    ids = sup.set_index(["component_id", "country_iso3"])["source_id"]
    assert ids[("ndfeb_magnet", "CHN")] == "iea_2025_export_controls_commentary"
    assert ids[("li_ion_cell", "CHN")] == "iea_2024_batteries_secure_transitions"
    assert ids[("cathode_material", "CHN")] == "iea_2024_gevo"
    assert ids[("wind_nacelle", "CHN")] == "iea_2024_advancing_clean_tech_manufacturing"


def _pv_ice_share(data: Path, component: str, iso3: str, year: int) -> float:
    """PV_ICE's percent share for a component, country and year, as a fraction."""
    cs = data / "component_supply"
    if component == "pv_module":
        t = pd.read_csv(cs / "pv_ice_module_country_marketshare_bnef.csv", index_col=0)
        col = next(n for n in PV_ICE_NAMES[iso3] if n in t.columns)
        return float(t.loc[year, col]) / 100
    stage = component.removeprefix("pv_")
    t = pd.read_csv(cs / f"pv_ice_silicon_country_marketshare_{stage}.csv", index_col="Country")
    row = next(n for n in PV_ICE_NAMES[iso3] if n in t.index)
    return float(t.loc[row, str(year)]) / 100


def test_pv_shares_equal_the_pv_ice_files_and_agree_with_the_iea_module_figures(shared_data: Path) -> None:
    sup = _supply()
    pv = sup[sup["component_id"].str.startswith("pv_")]
    assert {"pv_polysilicon", "pv_wafer", "pv_cell", "pv_module"} <= set(pv["component_id"])
    for _, r in pv.iterrows():
        assert r["share"] == pytest.approx(_pv_ice_share(shared_data, r["component_id"], r["country_iso3"],
                                                         int(r["year"])), abs=6e-4), r.to_dict()
    # cross-check: the IEA's module *output* shares (digitised) against BNEF's commissioned *capacity* shares;
    # capacity runs ahead of output in China (80 % vs 72 % in 2022), so only the order and rough size agree
    iea = pd.read_csv(shared_data / "component_supply" / "iea_pv_module_production_by_country_2010_2022_digitised.csv")
    iea = iea[(iea["year"] == 2022) & (iea["variable"] == "share_of_global_module_production_pct")]
    iea = iea.set_index("country")["value"] / 100
    mod = pv[pv["component_id"] == "pv_module"].set_index("country_iso3")["share"]
    assert abs(mod["CHN"] - iea["China"]) < 0.10
    assert mod.idxmax() == "CHN" and iea.idxmax() == "China"
    assert mod.sum() <= 1.0


@settings(max_examples=60, deadline=None)
@given(a=st.floats(0.0, 1.0), b=st.floats(0.0, 1.0), m1=st.floats(0.5, 36.0), m2=st.floats(0.5, 36.0),
       month=st.integers(1, 12))
def test_exposure_is_monotone_in_share_and_duration_for_any_values(a: float, b: float, m1: float, m2: float,
                                                                   month: int) -> None:
    lo, hi = sorted((a, b))
    short, long_ = sorted((m1, m2))
    start = dt.date(2028, month, 1)

    def total(r: cm.ComponentShockResult) -> tuple[float, float, float]:
        s = r.summary
        return s["project_mw_delayed"], s["cars_delayed"], s["magnet_t_withheld"]

    for x, y in zip(total(_toy(lo, short, start)), total(_toy(hi, short, start))):
        assert x <= y + 1e-9
    for x, y in zip(total(_toy(hi, short, start)), total(_toy(hi, long_, start))):
        assert x <= y + 1e-9
