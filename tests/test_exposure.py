"""Regional exposure model (critmat.models.exposure) on small inline frames: need, indicators, rankings."""

from __future__ import annotations

import pandas as pd
import pytest

from critmat.errors import ModelError
from critmat.models import exposure as ex

GROUPS = {"rare_earth_elements_heavy": ["dysprosium", "terbium"], "rare_earth_elements_light": ["neodymium"]}
EU = {"DEU", "FRA", "NLD"}


def _assets() -> pd.DataFrame:
    return pd.DataFrame({
        "asset_id": ["w1", "w2", "c1", "p1", "p2", "u1", "d1"],
        "name": ["wind 1", "wind 2", "cars", "planned farm", "planned dc", "building farm", "old"],
        "asset_class": ["wind_offshore", "wind_onshore", "vehicle", "wind_offshore", "datacentre",
                        "wind_offshore", "wind_onshore"],
        "status": ["operational", "operational", "operational", "planned", "planned", "under_construction",
                   "decommissioned"],
        "technology_id": ["wind_dd_pmsg", "wind_gb_dfig", "car_bev", "wind_dd_pmsg", "datacentre_generic",
                          "wind_dd_pmsg", "wind_gb_dfig"],
        "commissioning_year": [2010, 2020, None, 2028, None, 2026, 1995],
    })


LIFETIMES = {"wind_dd_pmsg": 20.0, "wind_gb_dfig": 25.0, "vehicle": 15.0, "datacentre_generic": 17.5}
COMPONENTS = {("car_bev", "dysprosium"): 10.0}


def _content() -> pd.DataFrame:
    return pd.DataFrame({
        "asset_id": ["w1", "w1", "w2", "c1", "c1", "p1", "p2", "u1", "d1"],
        "material": ["dysprosium", "copper", "copper", "copper", "dysprosium", "dysprosium", "copper", "dysprosium",
                     "copper"],
        "mass_t": [20.0, 400.0, 100.0, 300.0, 3.0, 10.0, 50.0, 40.0, 999.0],
    })


def _supply() -> pd.DataFrame:
    rows = [("dysprosium", "processing", "global", "CHN", 1.0), ("dysprosium", "extraction", "global", "CHN", 0.8),
            ("dysprosium", "extraction", "global", "MMR", 0.2), ("copper", "processing", "global", "CHN", 0.4),
            ("copper", "processing", "global", "CHL", 0.1), ("copper", "processing", "eu_sourcing", "DEU", 0.5),
            ("copper", "processing", "eu_sourcing", "CHL", 0.3)]
    return pd.DataFrame(rows, columns=["material_id", "stage", "scope", "country_iso3", "share"])


def _crit() -> pd.DataFrame:
    return pd.DataFrame({"material_id": ["rare_earth_elements_heavy", "copper", "copper"], "year": [2023, 2023, 2020],
                         "supply_risk": [5.1, 0.1, 9.9], "economic_importance": [3.9, 4.0, 1.0]})


def _measures() -> tuple[pd.DataFrame, pd.DataFrame]:
    m = pd.DataFrame({
        "measure_id": ["hree", "us-only", "tech", "old"],
        "country_iso3": ["CHN"] * 4,
        "instrument": ["licence_requirement", "ban", "ban", "ban"],
        "announced_date": ["2025-04-04", "2024-12-03", "2023-12-21", "2010-01-01"],
        "effective_date": ["2025-04-04", "2024-12-03", "2023-12-21", "2010-01-01"],
        "end_date": [None, None, None, "2012-01-01"],
        "destinations": ["all", "USA", "all", "all"],
        "measure_stage": ["processing", "processing", "technology", "processing"],
        "suspended_by": [None] * 4,
    })
    mm = pd.DataFrame({"measure_id": ["hree", "us-only", "tech", "old"],
                       "material_id": ["dysprosium", "copper", "rare_earth_elements_heavy", "copper"]})
    return m, mm


def _indicators(on: str = "2026-01-01", stage_sr: pd.DataFrame | None = None) -> pd.DataFrame:
    m, mm = _measures()
    mats = pd.DataFrame({"material_id": ["dysprosium", "terbium", "copper"],
                         "name": ["Dysprosium", "Terbium", "Copper"]})
    return ex.material_indicators(mats, _supply(), _crit(), groups=GROUPS, measures=m, measure_materials=mm, on=on,
                                  eu_members=EU, stage_sr=stage_sr)


def _need(years: list[int], **kw) -> pd.DataFrame:
    return ex.yearly_need(_content(), _assets(), years, lifetimes=LIFETIMES, material_lifetimes=COMPONENTS, **kw)


def test_lifetime_lookup_order() -> None:
    assert ex.lifetime_of("car_bev", "vehicle", "dysprosium", LIFETIMES, COMPONENTS) == 10.0  # component
    assert ex.lifetime_of("car_bev", "vehicle", "copper", LIFETIMES, COMPONENTS) == 15.0  # asset class
    assert ex.lifetime_of("wind_dd_pmsg", "wind_offshore", "copper", LIFETIMES) == 20.0  # technology
    with pytest.raises(ModelError, match="no lifetime for technology 'rocket'"):
        ex.lifetime_of("rocket", "space", "copper", LIFETIMES)
    with pytest.raises(ModelError, match="mean lifetime of 'x' is 0"):
        ex.lifetime_of("x", "y", "copper", {"x": 0})


def test_yearly_need_by_hand() -> None:
    need = _need([2027, 2028])
    got = need.set_index(["year", "asset_class", "material"])
    # replacement = content / lifetime (offshore PMSG 20 y: operational w1 + under-construction u1)
    assert got.loc[(2027, "wind_offshore", "dysprosium"), "replacement_t"] == pytest.approx((20 + 40) / 20)
    assert got.loc[(2027, "vehicle", "copper"), "replacement_t"] == pytest.approx(300 / 15)
    assert got.loc[(2027, "vehicle", "dysprosium"), "replacement_t"] == pytest.approx(3 / 10)
    assert got.loc[(2027, "wind_onshore", "copper"), "replacement_t"] == pytest.approx(100 / 25)
    # pipeline: planned p1 in its commissioning year only; undated p2 spread over the two years
    assert got.loc[(2027, "wind_offshore", "dysprosium"), "pipeline_t"] == 0
    assert got.loc[(2028, "wind_offshore", "dysprosium"), "pipeline_t"] == pytest.approx(10)
    assert got.loc[(2027, "datacentre", "copper"), "pipeline_t"] == pytest.approx(25)
    assert got.loc[(2028, "datacentre", "copper"), "need_t"] == pytest.approx(25)
    # decommissioned assets count nowhere; need = replacement + pipeline
    assert got["stock_t"].max() < 999
    assert (need["need_t"] == need["replacement_t"] + need["pipeline_t"]).all()


def test_yearly_need_delayed_pipeline_counts_in_first_year_and_outflows_replace_steady_state() -> None:
    need = _need([2030])
    assert need.loc[(need["asset_class"] == "wind_offshore") & (need["material"] == "dysprosium"),
                    "pipeline_t"].item() == pytest.approx(10)
    flows = pd.DataFrame({"year": [2030], "asset_class": ["vehicle"], "material": ["copper"], "outflow_t": [7.0]})
    need2 = _need([2030], outflows=flows)
    assert need2.loc[need2["asset_class"] == "vehicle", "replacement_t"].sum() == pytest.approx(7.0)
    assert need2.loc[need2["asset_class"] == "wind_offshore", "replacement_t"].sum() == 0


def test_yearly_need_bad_input() -> None:
    with pytest.raises(ModelError, match="no lifetime for technology 'rocket'"):
        a = _assets().assign(asset_class="space", technology_id="rocket")
        ex.yearly_need(_content(), a, [2027], lifetimes=LIFETIMES)
    with pytest.raises(ModelError, match="mass_t of asset 'w1'.*-1"):
        ex.yearly_need(_content().assign(mass_t=-1.0), _assets(), [2027], lifetimes=LIFETIMES)
    with pytest.raises(ModelError, match="at least one year"):
        ex.yearly_need(_content(), _assets(), [], lifetimes=LIFETIMES)


def test_indicators_group_fallback_stages_crma_and_controls() -> None:
    ind = _indicators().set_index("material_id")
    # dysprosium has no own SR: the HREE group's 2023 value, named in sr_basis
    assert ind.at["dysprosium", "sr"] == 5.1 and ind.at["dysprosium", "sr_basis"] == "rare_earth_elements_heavy"
    assert ind.at["copper", "sr"] == 0.1  # the 2023 value, not 2020
    assert ind.at["dysprosium", "hhi_processing"] == pytest.approx(1.0)
    assert ind.at["dysprosium", "hhi_extraction"] == pytest.approx(0.8**2 + 0.2**2)
    assert ind.at["dysprosium", "china_extraction"] == pytest.approx(0.8)
    assert ind.at["dysprosium", "crma_exceeds"]  # global proxy, CHN 100 %
    # copper: EU sourcing is used for CRMA (DEU is a member, CHL 30 % < 65 %)
    assert ind.at["copper", "crma_exceeds"] == False  # noqa: E712
    assert "EU sourcing" in ind.at["copper", "crma_detail"]
    # controls: hree (direct) counts; the US-only ban, the technology ban and the lifted one do not
    assert ind.at["dysprosium", "control_ids"] == "hree" and ind.at["dysprosium", "controls_active"] == 1
    assert ind.at["copper", "controls_active"] == 0
    # terbium: no data of its own, no measure naming it or its group except the technology ban
    assert ind.at["terbium", "sr"] == 5.1 and ind.at["terbium", "controls_active"] == 0
    assert pd.isna(ind.at["terbium", "hhi_processing"])
    # before the measure was announced nothing is in force
    assert _indicators("2025-01-01").set_index("material_id").at["dysprosium", "controls_active"] == 0


def test_indicators_prefer_own_then_stage_then_group_sr() -> None:
    st = pd.DataFrame({"material_id": ["dysprosium", "dysprosium", "copper"], "stage": ["extraction", "processing",
                                                                                      "processing"],
                       "supply_risk_stage": [5.3, 5.6, 0.7]})
    ind = _indicators(stage_sr=st).set_index("material_id")
    assert ind.at["dysprosium", "sr"] == 5.6 and "processing, stage SR" in ind.at["dysprosium", "sr_basis"]
    assert ind.at["dysprosium", "ei"] == 3.9  # EI from its group
    assert ind.at["copper", "sr"] == 0.1 and ind.at["copper", "sr_basis"] == "copper"  # own published value wins
    assert ind.at["terbium", "sr_basis"] == "rare_earth_elements_heavy"


def test_secondary_supply_follows_the_circularity_pathways() -> None:
    need = _need([2027])
    paths = pd.DataFrame({"applies_to": ["all", "all", "vehicle"], "eol_pathway": ["collection", "export_reuse",
                                                                                  "export_reuse"],
                          "eol_year_from": [2000] * 3, "share": [0.8, 0.0, 0.5]})
    rates = pd.DataFrame({"applies_to": ["all", "all"], "material_id": ["copper", "dysprosium"],
                          "eol_stage": ["recovery"] * 2, "eol_year_from": [2000] * 2, "share": [0.9, 0.01]})
    sec = ex.secondary_supply(need, paths, rates).set_index(["asset_class", "material"])
    rep = need.set_index(["asset_class", "material"])["replacement_t"]
    assert sec.loc[("vehicle", "copper"), "recovered_t"] == pytest.approx(rep[("vehicle", "copper")] * 0.5 * 0.8 * 0.9)
    assert sec.loc[("wind_offshore", "dysprosium"), "recovered_t"] == pytest.approx(
        rep[("wind_offshore", "dysprosium")] * 0.8 * 0.01)
    assert (sec["outflow_t"] == rep.reindex(sec.index)).all()


def test_material_exposure_score_is_need_times_sr() -> None:
    need = _need([2027, 2028])
    mat = ex.material_exposure(need, _indicators()).set_index("material_id")
    for m in ("dysprosium", "copper"):
        n = need.loc[need["material"] == m, "need_t"].sum() / 2
        assert mat.at[m, "need_t_per_yr"] == pytest.approx(n)
        assert mat.at[m, "exposure_score"] == pytest.approx(n * mat.at[m, "sr"])
    assert mat.at["dysprosium", "rank"] == 1 and mat.at["copper", "rank"] == 2
    assert mat.at["dysprosium", "stock_t"] == pytest.approx(20 + 3 + 40)
    assert mat.at["terbium", "need_t_per_yr"] == 0 and mat.at["terbium", "exposure_score"] == 0


def test_asset_class_goods_company_and_project_rankings() -> None:
    ind = _indicators()
    need = _need([2027, 2028])
    cls = ex.asset_class_exposure(need, ind).set_index("asset_class")
    per = need[need["asset_class"] == "wind_offshore"].groupby("material")["need_t"].sum() / 2
    expected = per["dysprosium"] * 5.1 + per.get("copper", 0) * 0.1
    assert cls.at["wind_offshore", "exposure_score"] == pytest.approx(expected)
    assert cls.at["wind_offshore", "top_material"] == "dysprosium"
    assert cls.at["wind_offshore", "controlled_materials"] == "dysprosium"

    gc = pd.DataFrame({"goods_category_id": ["auto", "auto", "glass"], "goods_category_name": ["Auto", "Auto", "Glass"],
                       "province_code": ["PV27", "PV24", "PV24"], "share": [0.4, 0.3, 0.1]})
    gcm = pd.DataFrame({"goods_category_id": ["auto", "auto"], "material_id": ["copper", "dysprosium"]})
    goods = ex.goods_category_exposure(gc, gcm, ind).set_index("goods_category_id")
    assert goods.at["auto", "exposure_score"] == pytest.approx(0.35 * 5.1)
    assert goods.at["auto", "controlled_materials"] == "dysprosium"
    assert pd.isna(goods.at["glass", "exposure_score"]) and pd.isna(goods.at["glass", "rank"])

    cm = pd.DataFrame({"company_id": ["a", "a", "b"], "name": ["A", "A", "B"],
                       "primary_activity_id": ["recycling_collection"] * 2 + ["processing"],
                       "material_id": ["copper", "dysprosium", "copper"]})
    comp = ex.company_exposure(cm, ind, needed={"copper"})
    assert list(comp["company_id"]) == ["a", "b"]
    assert comp.iloc[0]["exposure_score"] == 5.1 and comp.iloc[0]["controlled_materials"] == "dysprosium"
    assert comp.iloc[1]["needed_by_region"] == "copper"

    proj = ex.projects_under_controls(_assets(), _content(), ind)
    assert set(proj["asset_id"]) == {"p1", "u1"} and set(proj["material"]) == {"dysprosium"}
    assert proj.set_index("asset_id").at["u1", "mass_t"] == 40 and (proj["control_ids"] == "hree").all()


def test_group_shares_weighted_mean_of_members_and_published_group_shares_first() -> None:
    supply = pd.DataFrame([
        ("a", "processing", "global", "CHN", 1.0), ("b", "processing", "global", "CHN", 0.5),
        ("b", "processing", "global", "ZAF", 0.5), ("g2", "processing", "global", "USA", 1.0)],
        columns=["material_id", "stage", "scope", "country_iso3", "share"])
    groups = {"g": ["a", "b"], "g2": ["a", "b"]}
    s, basis = ex.supply_for(supply, "g", "processing", "global", groups, {"g": {"a": 3.0, "b": 1.0}})
    assert s["CHN"] == pytest.approx((3 * 1.0 + 1 * 0.5) / 4) and s["ZAF"] == pytest.approx(0.125)
    assert basis.startswith("g (mean of 2 members")
    s, basis = ex.supply_for(supply, "g", "processing", "global", groups)
    assert s["CHN"] == pytest.approx(0.75) and "equal weights" in basis
    s, basis = ex.supply_for(supply, "g2", "processing", "global", groups)  # the group's own published shares
    assert basis == "g2" and s.to_dict() == {"USA": 1.0}


def test_no_group_row_without_a_figure_or_a_reason(warehouse_db) -> None:
    """Every group row of the indicators (HREE, LREE, PGM ...) has each figure or names why it is empty."""
    from critmat import risk_report as rr
    from critmat.warehouse import Warehouse

    with Warehouse(warehouse_db) as wh:
        data = rr.risk_data(wh)
        ind = rr.indicators(data).set_index("material_id")
    groups = [g for g in data.groups if g in ind.index]
    assert {"rare_earth_elements_heavy", "rare_earth_elements_light", "platinum_group_metals"} <= set(groups)
    for g in groups:
        row = ind.loc[g]
        gaps = row["gaps"] if isinstance(row["gaps"], str) else ""
        for col, key in (("sr", "sr/ei"), ("ei", "sr/ei"), ("hhi_extraction", "extraction"),
                         ("china_extraction", "extraction"), ("hhi_processing", "processing"),
                         ("china_processing", "processing")):
            assert pd.notna(row[col]) or key in gaps, (g, col)
    # the report's point: China's near-total share of the rare-earth groups is shown
    assert ind.loc["rare_earth_elements_heavy", "china_processing"] == pytest.approx(1.0)
    assert ind.loc["rare_earth_elements_light", "china_processing"] > 0.8


def test_control_periods_give_the_indicators_controls_on_any_day() -> None:
    """control_periods (what the build stores): on each period's days the control cells of
    material_indicators; a measures table without a row is one period without controls."""
    m, mm = _measures()
    mats = ["dysprosium", "terbium", "copper"]
    per = ex.control_periods(mats, m, mm, groups=GROUPS)
    assert per["valid_from"].iloc[0] is None and per["valid_to"].iloc[-1] is None
    for day in ["2020-01-01", "2025-01-01", "2026-01-01", "2031-06-30"]:
        d = pd.Timestamp(day).date()
        at = per[per["valid_from"].map(lambda v: v is None or v <= d) & per["valid_to"].map(lambda v: v is None or d < v)]
        got = at.set_index("material_id")[ex.CONTROL_COLUMNS]
        want = _indicators(day).set_index("material_id").loc[got.index, ex.CONTROL_COLUMNS]
        pd.testing.assert_frame_equal(got, want, check_dtype=False)
    none = ex.control_periods(mats, m.iloc[0:0], mm.iloc[0:0], groups=GROUPS)
    assert none.empty and list(none.columns) == ["valid_from", "valid_to", "material_id", *ex.CONTROL_COLUMNS]
    dateless = ex.control_periods(mats, m.assign(announced_date=None, effective_date=None, end_date=None), mm,
                                  groups=GROUPS)
    assert dateless[["valid_from", "valid_to"]].isna().all().all()
