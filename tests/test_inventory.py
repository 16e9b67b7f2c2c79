"""models.inventory: stock = assets × intensities, Monte Carlo, aggregation checks, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from critmat.errors import DataError, ModelError
from critmat.models import inventory as inv

TECH = pd.DataFrame({"technology_id": ["wind_dd_pmsg", "pv_csi", "car_bev", "cable_mv"],
                     "asset_class": ["wind_onshore", "solar_pv", "vehicle", "grid_cable"],
                     "basis": ["mw", "mw", "unit", "km"]})
INTS = pd.DataFrame([
    ("wind_dd_pmsg", "neodymium", 1900, None, 150.0, 180.0, 210.0),
    ("wind_dd_pmsg", "dysprosium", 1900, None, 12.0, 17.0, 21.0),
    ("wind_dd_pmsg", "copper", 1900, None, 2200.0, 3000.0, 4600.0),
    ("pv_csi", "silver", 1900, 2010, 50.0, 80.0, 100.0),
    ("pv_csi", "silver", 2011, None, 10.0, 15.0, 20.0),
    ("car_bev", "lithium", 1900, None, 4.0, 6.6, 10.0),
    ("car_bev", "neodymium", 1900, None, 0.2, 0.36, 0.6),
    ("cable_mv", "copper", 1900, None, 464.0, 662.9, 861.8),
], columns=["technology_id", "material_id", "year_from", "year_to", "low_kg_per_basis", "central_kg_per_basis",
            "high_kg_per_basis"])
GROUPS = {"rare_earth_elements_light": ["neodymium", "praseodymium"],
          "rare_earth_elements_heavy": ["dysprosium", "terbium"]}
MUNI_PROV = {"GM0034": "PV24", "GM0373": "PV27", "GM0363": "PV27"}


def assets(**over) -> pd.DataFrame:
    rows = [
        ("w1", "nh-fl", "wind_onshore", "wind_dd_pmsg", "operational", 2015, 100.0, None, 30, "GM0034", "PV24"),
        ("w2", "nh-fl", "wind_offshore", "wind_dd_pmsg", "operational", 2020, 700.0, None, 70, "GM0373", "PV27"),
        ("s1", "nh-fl", "solar_pv", "pv_csi", "operational", 2005, 10.0, None, None, "GM0034", "PV24"),
        ("s2", "nh-fl", "solar_pv", "pv_csi", "under_construction", 2024, 50.0, None, None, "GM0363", "PV27"),
        ("s3", "nh-fl", "solar_pv", "pv_csi", "planned", 2027, 80.0, None, None, "GM0363", "PV27"),
        ("s4", "nh-fl", "solar_pv", "pv_csi", "decommissioned", 2000, 5.0, None, None, "GM0363", "PV27"),
        ("c1", "nh-fl", "vehicle", "car_bev", "operational", None, None, None, 20000, "GM0363", "PV27"),
        ("g1", "nh-fl", "grid_cable", "cable_mv", "operational", None, None, 1200.0, None, None, "PV24"),
    ]
    df = pd.DataFrame(rows, columns=inv.ASSET_COLUMNS)
    for k, v in over.items():
        df[k] = v
    return df


def region_value(res: pd.DataFrame, material: str, var: str = "mass_t", asset_class: str = "all") -> float:
    sel = res[(res["area_type"] == "region") & (res["material"] == material) & (res["variable"] == var)
              & (res["asset_class"] == asset_class)]
    return float(sel["value"].sum())


def test_central_values_by_hand():
    res = inv.stock(assets(), TECH, INTS, n_draws=0)
    # Nd: 800 MW x 180 kg/MW + 20,000 cars x 0.36 kg = 144,000 + 7,200 kg
    assert region_value(res, "neodymium") == pytest.approx(151.2)
    # silver: s1 (2005 vintage) 10 x 80 + s2 (2024) 50 x 15 kg; planned s3 and decommissioned s4 excluded
    assert region_value(res, "silver") == pytest.approx(1.55)
    assert region_value(res, "copper") == pytest.approx((800 * 3000 + 1200 * 662.9) / 1000)
    # n_draws = 0: low/high from the intensity bounds
    assert region_value(res, "silver", "low_t") == pytest.approx((10 * 50 + 50 * 10) / 1000)


def test_pipeline_holds_only_planned_assets():
    res = inv.pipeline(assets(), TECH, INTS, n_draws=0)
    assert set(res["material"]) == {"silver"}
    assert region_value(res, "silver") == pytest.approx(80 * 15 / 1000)


def test_vintage_older_than_first_row_and_missing_year():
    a = assets().iloc[[2]].copy()
    a.loc[:, "commissioning_year"] = 1985  # before every row's year_from? first row is 1900 → 80 kg
    assert region_value(inv.stock(a, TECH, INTS, n_draws=0), "silver") == pytest.approx(0.8)
    a["commissioning_year"] = np.nan  # default_year 2020 → newer row
    assert region_value(inv.stock(a, TECH, INTS, n_draws=0), "silver") == pytest.approx(0.15)
    ints = INTS.copy()
    ints.loc[ints["year_from"] == 1900, "year_from"] = 2000
    a.loc[:, "commissioning_year"] = 1990  # older than the first row → first row
    assert region_value(inv.stock(a, TECH, ints, n_draws=0), "silver") == pytest.approx(0.8)


def test_groups_sum_members():
    res = inv.stock(assets(), TECH, INTS, groups=GROUPS, n_draws=0)
    assert region_value(res, "rare_earth_elements_light") == pytest.approx(region_value(res, "neodymium"))
    assert region_value(res, "rare_earth_elements_heavy") == pytest.approx(800 * 17 / 1000)


def test_group_given_directly_and_via_members_is_refused():
    ints = INTS.copy()
    ints.loc[len(ints)] = ["wind_dd_pmsg", "rare_earth_elements_light", 1900, 2030, 1.0, 2.0, 3.0]
    with pytest.raises(ModelError, match="material group 'rare_earth_elements_light' directly"):
        inv.stock(assets(), TECH, ints, groups=GROUPS, n_draws=0)
    inv.stock(assets(), TECH, ints, n_draws=0)  # without group aggregation the row is just a material


def test_parts_sum_to_the_whole():
    res = inv.stock(assets(), TECH, INTS, groups=GROUPS, n_draws=200, seed=3)
    assert inv.check_aggregate(res).empty
    assert inv.check_municipalities(res, MUNI_PROV).empty
    inv.assert_aggregate(res, MUNI_PROV)
    # unallocated (province-level grid aggregate) is part of its province
    un = res[(res["area_type"] == "unallocated") & (res["variable"] == "mass_t")]
    assert set(un["area"]) == {"PV24"}


def test_check_aggregate_detects_a_broken_part():
    res = inv.stock(assets(), TECH, INTS, n_draws=0)
    bad = res.copy()
    m = (bad["area_type"] == "province") & (bad["area"] == "PV27") & (bad["variable"] == "mass_t")
    bad.loc[m, "value"] *= 1.01
    found = inv.check_aggregate(bad)
    assert "provinces_to_region" in set(found["check"])
    with pytest.raises(ModelError, match="aggregation check"):
        inv.assert_aggregate(bad, MUNI_PROV)
    bad2 = res.copy()
    m2 = (bad2["area_type"] == "municipality") & (bad2["area"] == "GM0363") & (bad2["variable"] == "mass_t")
    bad2.loc[m2, "value"] += 5
    assert not inv.check_municipalities(bad2, MUNI_PROV).empty


def test_monte_carlo_reproducible_and_bracketing():
    a = assets()
    r1 = inv.stock(a, TECH, INTS, n_draws=500, seed=42)
    r2 = inv.stock(a, TECH, INTS, n_draws=500, seed=42)
    r3 = inv.stock(a, TECH, INTS, n_draws=500, seed=43)
    pd.testing.assert_frame_equal(r1, r2)
    assert not np.allclose(r1["value"].to_numpy(), r3["value"].to_numpy())
    w = inv.wide(r1)
    lo_bound = inv.wide(inv.stock(a, TECH, INTS, n_draws=0))
    assert (w["low_t"] <= w["mass_t"] * 1.2).all() and (w["high_t"] >= w["low_t"]).all()
    assert (w["low_t"].to_numpy() >= lo_bound["low_t"].to_numpy() - 1e-9).all()
    assert (w["high_t"].to_numpy() <= lo_bound["high_t"].to_numpy() + 1e-9).all()
    # the Monte Carlo central value (median of the draws) lies in its band; without draws there is none
    assert (w["low_t"] <= w["median_t"] + 1e-12).all() and (w["median_t"] <= w["high_t"] + 1e-12).all()
    assert "median_t" not in lo_bound.columns


def test_draws_are_shared_across_assets_of_one_technology():
    """Two identical farms: the interval of the sum is twice the interval of one (fully correlated)."""
    a = assets().iloc[[0]].copy()
    b = a.assign(asset_id="w1b", municipality_code="GM0373", province_code="PV27")
    one = inv.wide(inv.stock(a, TECH, INTS, n_draws=400, seed=1))
    two = inv.wide(inv.stock(pd.concat([a, b]), TECH, INTS, n_draws=400, seed=1))
    k = (one["area_type"] == "region") & (one["material"] == "neodymium") & (one["asset_class"] == "all")
    k2 = (two["area_type"] == "region") & (two["material"] == "neodymium") & (two["asset_class"] == "all")
    assert two.loc[k2, "high_t"].item() == pytest.approx(2 * one.loc[k, "high_t"].item())


def test_pert_draws_within_bounds_and_point_mass():
    rng = np.random.default_rng(0)
    d = inv.pert_draws(np.array([1.0, 5.0]), np.array([2.0, 5.0]), np.array([4.0, 5.0]), 5000, rng)
    assert d.shape == (5000, 2)
    assert d[:, 0].min() >= 1 and d[:, 0].max() <= 4 and (d[:, 1] == 5).all()
    assert d[:, 0].mean() == pytest.approx((1 + 4 * 2 + 4) / 6, abs=0.03)  # PERT mean
    with pytest.raises(ModelError):
        inv.pert_draws(np.array([3.0]), np.array([2.0]), np.array([4.0]), 10, rng)


def test_asset_content_per_asset():
    c = inv.asset_content(assets(), TECH, INTS)
    w2 = c[(c["asset_id"] == "w2") & (c["material"] == "neodymium")].iloc[0]
    assert (w2["low_t"], w2["mass_t"], w2["high_t"]) == pytest.approx((105.0, 126.0, 147.0))
    assert set(c["asset_id"]) == set(assets()["asset_id"])


def test_vectorised_run_is_fast():
    import time

    rng = np.random.default_rng(0)
    n = 3000
    big = pd.DataFrame({"asset_id": [f"a{i}" for i in range(n)], "region_id": "nh-fl",
                        "asset_class": "vehicle", "technology_id": "car_bev", "status": "operational",
                        "commissioning_year": None, "capacity_mw": None, "length_km": None,
                        "units": rng.integers(1, 5000, n),
                        "municipality_code": [f"GM{i % 60:04d}" for i in range(n)], "province_code": "PV27"})
    t = time.perf_counter()
    res = inv.stock(big, TECH, INTS, n_draws=2000, seed=0)
    assert time.perf_counter() - t < 5
    assert inv.check_aggregate(res).empty


# ------------------------------------------------------------------------ properties
_cap = st.floats(min_value=0.0, max_value=5000.0, allow_nan=False)


@settings(max_examples=40, deadline=None)
@given(caps=st.lists(_cap, min_size=1, max_size=6), factor=st.floats(min_value=0.0, max_value=50.0))
def test_stock_nonnegative_and_linear_in_capacity(caps, factor):
    a = pd.DataFrame({"asset_id": [f"w{i}" for i in range(len(caps))], "region_id": "nh-fl",
                      "asset_class": "wind_onshore", "technology_id": "wind_dd_pmsg", "status": "operational",
                      "commissioning_year": 2018, "capacity_mw": caps, "length_km": None, "units": None,
                      "municipality_code": "GM0034", "province_code": "PV24"})
    r1 = inv.stock(a, TECH, INTS, n_draws=50, seed=7)
    r2 = inv.stock(a.assign(capacity_mw=[c * factor for c in caps]), TECH, INTS, n_draws=50, seed=7)
    assert (r1["value"] >= 0).all()
    np.testing.assert_allclose(r2["value"].to_numpy(), factor * r1["value"].to_numpy(), rtol=1e-9, atol=1e-9)


# ------------------------------------------------------------------------ bad input
def test_unknown_technology_names_asset():
    with pytest.raises(DataError, match="asset 'w1'.*unknown technology_id 'wind_magic'"):
        inv.stock(assets().assign(technology_id=["wind_magic"] + list(assets()["technology_id"][1:])), TECH, INTS)


def test_technology_of_another_class_rejected():
    a = assets()
    a.loc[0, "technology_id"] = "car_bev"
    with pytest.raises(DataError, match="asset 'w1'.*for asset class 'vehicle'"):
        inv.stock(a, TECH, INTS, n_draws=0)


def test_missing_or_negative_quantity_names_asset():
    a = assets()
    a.loc[6, "units"] = None
    with pytest.raises(DataError, match="asset 'c1'.*units"):
        inv.stock(a, TECH, INTS, n_draws=0)
    a = assets()
    a.loc[1, "capacity_mw"] = -5.0
    with pytest.raises(DataError, match="asset 'w2'.*capacity_mw"):
        inv.stock(a, TECH, INTS, n_draws=0)


def test_duplicate_asset_id_and_unknown_status():
    a = pd.concat([assets(), assets().iloc[[0]]])
    with pytest.raises(DataError, match="duplicate asset_id 'w1'"):
        inv.stock(a, TECH, INTS, n_draws=0)
    a = assets()
    a.loc[0, "status"] = "dreaming"
    with pytest.raises(DataError, match="unknown asset status 'dreaming'"):
        inv.stock(a, TECH, INTS, n_draws=0)


def test_missing_columns_and_negative_draws():
    with pytest.raises(DataError, match="lacks column"):
        inv.stock(assets().drop(columns=["units"]), TECH, INTS)
    with pytest.raises(ModelError):
        inv.stock(assets(), TECH, INTS, n_draws=-1)


def test_empty_selection_gives_empty_frame():
    res = inv.pipeline(assets().query("status != 'planned'"), TECH, INTS)
    assert res.empty and list(res.columns) == inv.OUTPUT_COLUMNS
