"""Ranking views (need x SR, SR-weighted holdings, share of need under controls whose scope covers the form)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from critmat.models import rankings as rk

FORMS = pd.DataFrame([("any", "any", "finished_product"), ("any", "dysprosium", "magnet"),
                      ("car_bev", "manganese", "battery_cell")],
                     columns=["technology_id", "material_id", "holding_form"])
ASSETS = pd.DataFrame([("w1", "wind_offshore", "wind_dd_pmsg", "operational"),
                       ("c1", "vehicle", "car_bev", "operational"),
                       ("c2", "vehicle", "car_ice", "operational")],
                      columns=["asset_id", "asset_class", "technology_id", "status"])
CONTENT = pd.DataFrame([("w1", "manganese", 100.0), ("w1", "dysprosium", 2.0), ("c1", "manganese", 10.0),
                        ("c2", "manganese", 30.0), ("w1", "aluminium", 500.0)],
                       columns=["asset_id", "material", "mass_t"])
IND = pd.DataFrame([("manganese", "Manganese", 1.2, "chn-2025-058=cathode_material|battery_cell"),
                    ("dysprosium", "Dysprosium", 5.6, "chn-2025-018=metal|magnet"),
                    ("aluminium", "Aluminium", 0.6, None)],
                   columns=["material_id", "name", "sr", "control_scopes"])
NEED = pd.DataFrame([(2030, "wind_offshore", "manganese", 10.0), (2030, "wind_offshore", "dysprosium", 0.2),
                     (2030, "vehicle", "manganese", 4.0), (2030, "wind_offshore", "aluminium", 50.0)],
                    columns=["year", "asset_class", "material", "need_t"])


def test_holding_forms_most_specific_row_wins() -> None:
    pairs = pd.DataFrame({"technology_id": ["car_bev", "car_ice", "wind_dd_pmsg"],
                          "material": ["manganese", "manganese", "dysprosium"]})
    assert rk.holding_forms(pairs, FORMS).tolist() == ["battery_cell", "finished_product", "magnet"]


def test_a_control_applies_only_when_its_scope_covers_the_form() -> None:
    frac = rk.controlled_fractions(CONTENT, ASSETS, IND, FORMS).set_index(["asset_class", "material"])
    # manganese in turbine steel: a battery-material control does not apply
    assert frac.loc[("wind_offshore", "manganese"), "controlled_fraction"] == 0.0
    # dysprosium in turbine magnets: the rare-earth control naming magnets applies
    assert frac.loc[("wind_offshore", "dysprosium"), "controlled_fraction"] == 1.0
    assert frac.loc[("wind_offshore", "dysprosium"), "control_ids"] == "chn-2025-018"
    # cars: only the battery-cell manganese of the BEV (10 of 40 t) is covered
    assert frac.loc[("vehicle", "manganese"), "controlled_fraction"] == pytest.approx(0.25)


def test_views_rank_with_their_methods_and_keep_filter() -> None:
    views = rk.ranking_views(NEED, CONTENT, ASSETS, IND, FORMS)
    assert set(views) == set(rk.VIEWS) == set(rk.METHODS)
    n = views["need_sr"].set_index("material_id")
    assert n.loc["aluminium", "score"] == pytest.approx(50 * 0.6)
    h = views["holdings_sr"].set_index("material_id")
    assert h.loc["manganese", "score"] == pytest.approx(140 * 1.2)
    c = views["controlled_need"].set_index("material_id")
    assert c.loc["manganese", "controlled_t_per_yr"] == pytest.approx(4.0 * 0.25)
    assert c.loc["dysprosium", "controlled_share"] == pytest.approx(1.0)
    assert views["controlled_need"]["material_id"].iloc[0] == "manganese"  # 1 t/yr controlled vs 0.2
    kept = rk.ranking_views(NEED, CONTENT, ASSETS, IND, FORMS, keep={"manganese", "dysprosium"})
    assert "aluminium" not in set(kept["need_sr"]["material_id"])
    side = rk.side_by_side(views, top=3)
    assert list(side["need_sr"][:1]) == ["aluminium"] and side["controlled_need"].iloc[2] is None


def test_crm_members_include_group_members() -> None:
    lists = pd.DataFrame({"list_id": ["crm_2023", "crm_2023"], "material_id": ["rare_earth_elements_heavy", "cobalt"]})
    assert rk.crm_members(lists, {"rare_earth_elements_heavy": ["dysprosium"]}) == {
        "rare_earth_elements_heavy", "cobalt", "dysprosium"}


def test_region_defaults_to_crm_list_and_turbine_manganese_is_not_controlled(warehouse_db) -> None:
    from critmat import risk_report as rr
    from critmat.warehouse import Warehouse

    with Warehouse(warehouse_db) as wh:
        data = rr.risk_data(wh)
        rep = rr.exposure_report(data, "nh-fl", dt.date(2026, 12, 6))
        rep_all = rr.exposure_report(data, "nh-fl", dt.date(2026, 12, 6), crm_only=False)
    assert rep.crm_only and not rep_all.crm_only
    assert "aluminium" not in set(rep.materials["material_id"]) and "steel" not in set(rep.materials["material_id"])
    assert "aluminium" in set(rep_all.materials["material_id"])
    assert set(rep.views) == set(rk.VIEWS)
    proj = rep.projects
    wind_mn = proj[(proj["material"] == "manganese") & proj["asset_class"].astype(str).str.startswith("wind")]
    assert wind_mn.empty, "a battery-material control was applied to the manganese in turbine steel"
    c = rep.views["controlled_need"].set_index("material_id")
    assert c.loc["dysprosium", "controlled_share"] == pytest.approx(1.0)


def test_the_battery_control_does_not_cover_the_regions_ordinary_cells(warehouse_db) -> None:
    """MOFCOM No. 58 (2025) covers Li-ion cells of >= 300 Wh/kg and some cathode materials, not the LFP/NMC
    cells of ordinary cars and UPS systems: the lithium in the region's cells is not controlled need, while the
    rare earths in magnets are (No. 18 and No. 61 name magnets)."""
    from critmat import risk_report as rr
    from critmat.warehouse import Warehouse

    with Warehouse(warehouse_db) as wh:
        rep = rr.exposure_report(rr.risk_data(wh), "nh-fl", dt.date(2026, 12, 6))
    c = rep.views["controlled_need"].set_index("material_id")
    assert not c.loc["lithium", "controlled_t_per_yr"] > 0
    assert c.loc["neodymium", "controlled_share"] == pytest.approx(1.0)
    top = rep.views["controlled_need"].dropna(subset=["score"])["material_id"].head(4).tolist()
    assert set(top) <= {"neodymium", "praseodymium", "dysprosium", "terbium", "samarium"}
