"""Scale: the synthetic region generator, the integer-coded stock model against its pandas reference, and a
small (1k assets) end-to-end run checking mass balance and that parts sum to wholes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import inventory_reference as reference
from critmat.cli import app
from critmat.errors import RegionError
from critmat.models import inventory as inv
from critmat.regions import load_region
from critmat.stock import fill_datacentre_capacity, load_inputs, regional_stock, split_missing_quantity
from critmat.build.synth import CLASS_SHARES, SOURCE_ID, synth_frames, synth_regions


@pytest.fixture(scope="module")
def nhfl():
    return load_inputs("nh-fl")


def _stockable(assets: pd.DataFrame, technologies: pd.DataFrame) -> pd.DataFrame:
    return split_missing_quantity(fill_datacentre_capacity(assets), technologies)[0]


# ------------------------------------------------------------------------------------------ generator
def test_synthetic_packs_pass_region_validation(tmp_path):
    paths = synth_regions(1200, 3, seed=5, out=tmp_path)
    assert [p.name for p in paths] == ["synth-5-001", "synth-5-002", "synth-5-003"]
    total = 0
    classes = []
    for p in paths:
        reg = load_region(p)  # the same loader and checks as every real pack
        a = reg.table("assets")
        total += len(a)
        classes.append(a["asset_class"])
        assert set(a["source_id"]) == {SOURCE_ID}
        assert set(a["region_id"]) == {reg.config.id}
        assert set(a["municipality_code"]) <= set(reg.table("municipalities")["municipality_code"])
        assert set(reg.table("asset_events")["asset_id"]) <= set(a["asset_id"])
    assert total == 1200
    share = pd.concat(classes).value_counts(normalize=True)
    for cls in ("wind_onshore", "solar_pv", "grid_cable", "vehicle"):
        assert share[cls] == pytest.approx(CLASS_SHARES[cls], abs=0.05)
    assert share.index.isin(list(CLASS_SHARES)).all()


def test_synthetic_pack_fails_validation_like_a_real_pack_when_broken(tmp_path):
    path = synth_regions(50, 1, seed=2, out=tmp_path)[0]
    csv = path / "assets.csv"
    df = pd.read_csv(csv, dtype=str, keep_default_na=False)
    row = int(np.flatnonzero((df["asset_class"] == "solar_pv").to_numpy())[0])
    df.loc[row, "capacity_mw"] = "5000"  # a 5 GW solar park: the regional rules must refuse it
    df.to_csv(csv, index=False)
    with pytest.raises(RegionError, match=f"line {row + 2}, column 'capacity_mw'"):
        load_region(path)


def test_generator_is_reproducible_and_frames_match_the_packs(tmp_path):
    a1, e1, m1 = synth_frames(500, 2, seed=9)
    a2, _, _ = synth_frames(500, 2, seed=9)
    a3, _, _ = synth_frames(500, 2, seed=10)
    pd.testing.assert_frame_equal(a1, a2)
    assert not a1["capacity_mw"].fillna(0).equals(a3["capacity_mw"].fillna(0))
    paths = synth_regions(500, 2, seed=9, out=tmp_path)
    written = pd.concat([load_region(p).table("assets") for p in paths], ignore_index=True)
    assert list(written["asset_id"]) == list(a1["asset_id"])
    assert np.allclose(written["capacity_mw"].astype(float).fillna(-1), a1["capacity_mw"].astype(float).fillna(-1))


def test_generator_refuses_impossible_sizes(tmp_path):
    with pytest.raises(RegionError, match="every region needs an asset"):
        synth_regions(2, 3, out=tmp_path)


@pytest.mark.shared_data
def test_synthetic_packs_on_the_real_municipalities(shared_data, tmp_path):
    paths = synth_regions(600, 14, seed=1, out=tmp_path, src=shared_data / "nl_boundaries")
    real = set(pd.read_csv(shared_data / "nl_boundaries" / "gemeente_provincie_2025.csv")["gemeentecode_gm"])
    seen = set()
    for p in paths:
        reg = load_region(p)
        mun = reg.table("municipalities")
        assert len(reg.config.provinces) == 1 and set(mun["province_code"]) == set(reg.config.provinces)
        seen |= set(mun["municipality_code"])
        assert set(reg.table("assets")["municipality_code"]) <= real
    assert seen == real and len(real) == 342


def test_cli_region_synth(tmp_path):
    r = CliRunner().invoke(app, ["region", "synth", "--assets", "120", "--regions", "2", "--seed", "3",
                                 "--out", str(tmp_path)])
    assert r.exit_code == 0, r.output
    assert "wrote 2 region pack(s) with 120 assets" in r.output
    r = CliRunner().invoke(app, ["stock", "--region", str(tmp_path / "synth-3-002"), "--format", "json",
                                 "--draws", "50"])
    assert r.exit_code == 0, r.output


# ----------------------------------------------------------------------------------- stock equivalence
def _compare(old: pd.DataFrame, new: pd.DataFrame) -> None:
    key = ["region", "area_type", "area", "asset_class", "material", "variable"]
    assert len(old) == len(new)
    m = old.merge(new, on=key, how="outer", suffixes=("_old", "_new"), indicator=True)
    assert (m["_merge"] == "both").all(), m[m["_merge"] != "both"].head()
    np.testing.assert_allclose(m["value_new"], m["value_old"], rtol=1e-9, atol=1e-12)


def test_stock_equals_the_reference_implementation_on_nh_fl(nhfl):
    """The integer-code model gives the numbers of the pandas reference (same seed, 1,000 draws)."""
    args = (nhfl.assets, nhfl.technologies, nhfl.intensities)
    for statuses in (inv.STOCK_STATUSES, inv.PIPELINE_STATUSES):
        old = reference.material_stock(*args, statuses=statuses, groups=nhfl.groups, n_draws=1000, seed=0)
        new = inv.material_stock(*args, statuses=statuses, groups=nhfl.groups, n_draws=1000, seed=0)
        _compare(old, new)
    # n_draws = 0 (bounds from the low/high intensities) too
    _compare(reference.material_stock(*args, groups=nhfl.groups, n_draws=0),
             inv.material_stock(*args, groups=nhfl.groups, n_draws=0))


def test_stock_equals_the_reference_on_synthetic_regions(nhfl):
    assets, _, _ = synth_frames(3000, 4, seed=11)
    assets = _stockable(assets, nhfl.technologies)
    assets.loc[assets.index[:5], "capacity_mw"] = 0.0  # zero quantities still make (zero) cells
    args = (assets, nhfl.technologies, nhfl.intensities)
    _compare(reference.material_stock(*args, groups=nhfl.groups, n_draws=200, seed=4),
             inv.material_stock(*args, groups=nhfl.groups, n_draws=200, seed=4))


def test_asset_row_pairs_equal_the_reference(nhfl):
    assets, _, _ = synth_frames(800, 2, seed=12)
    assets = _stockable(assets, nhfl.technologies)
    old = reference.asset_row_pairs(assets, nhfl.technologies, nhfl.intensities)
    new = inv.asset_row_pairs(assets, nhfl.technologies, nhfl.intensities)
    key = ["asset_id", "row"]
    o = old.sort_values(key).reset_index(drop=True)
    n = new.sort_values(key).reset_index(drop=True)
    assert list(o["asset_id"]) == list(n["asset_id"]) and list(o["row"]) == list(n["row"])
    np.testing.assert_allclose(n["quantity"], o["quantity"])


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 300), st.lists(st.floats(0, 100), min_size=1, max_size=4, unique=True), st.integers(0, 10_000))
def test_row_percentiles_are_numpys(n, qs, seed):
    qs = sorted(qs)
    x = np.random.default_rng(seed).normal(size=(7, n))
    got = inv.row_percentiles(x, qs)
    ref = np.percentile(x, qs, axis=1)
    for g, r in zip(got, ref):
        assert np.array_equal(g, r)


# ------------------------------------------------------------------------------------ small scale run
def test_1k_assets_mass_balance_and_parts_sum_to_wholes(tmp_path):
    paths = synth_regions(1000, 4, seed=21, out=tmp_path)
    for p in paths:
        inputs = load_inputs(p)
        res = regional_stock(inputs, n_draws=200, seed=1)  # asserts the aggregation checks itself
        assert inv.check_aggregate(res).empty
        assert inv.check_municipalities(res, inputs.municipality_province).empty
        # mass balance: the region total of every material equals the sum over its stocked assets
        live = inputs.assets[inputs.assets["status"].isin(inv.STOCK_STATUSES)]
        content = inv.asset_content(live, inputs.technologies, inputs.intensities)
        per_mat = content.groupby("material")["mass_t"].sum()
        w = inv.wide(res)
        reg = w[(w["area_type"] == "region") & (w["asset_class"] == inv.ALL_CLASSES)].set_index("material")
        np.testing.assert_allclose(reg["mass_t"].reindex(per_mat.index), per_mat, rtol=1e-9)
        for gid, members in inputs.groups.items():
            held = per_mat.reindex(members).fillna(0).sum()
            if held > 0:
                assert reg.at[gid, "mass_t"] == pytest.approx(held, rel=1e-9)
        assert ((reg["low_t"] <= reg["median_t"]) & (reg["median_t"] <= reg["high_t"])).all()


def test_1k_assets_flows_mass_balance_and_parts_sum_to_wholes(tmp_path):
    """Flows of 1,000 synthetic assets over 2 regions (both scenarios the scale benchmark runs): outflow =
    reused + recovered + lost in every cell and year, classes sum to ``all``, municipalities and unallocated to
    their province, provinces to the region; the province comparison adds up to the region as well."""
    from critmat.flows import FLOW_VARIABLES, run_flows
    from critmat.services.compare import province_table

    paths = synth_regions(1000, 2, seed=23, out=tmp_path)
    for p in paths:
        for scenario in ("baseline", "high-recovery"):
            f = run_flows(p, scenario).flows
            f = f[f["variable"].isin(FLOW_VARIABLES)]
            w = f.pivot_table(index=["area_type", "area", "asset_class", "material", "year"], columns="variable",
                              values="value", aggfunc="sum", fill_value=0.0)
            np.testing.assert_allclose(w["outflow"], w["reused"] + w["recovered"] + w["lost"], rtol=1e-9, atol=1e-9)
            np.testing.assert_allclose(w["demand"], w["demand_replacement"] + w["demand_new"], rtol=1e-9, atol=1e-9)
            assert (w >= -1e-9).all().all()
            long = w.stack().rename("value").reset_index()
            key = ["material", "year", "variable"]
            classes = long[long["asset_class"] != "all"].groupby(["area_type", "area", *key])["value"].sum()
            whole = long[long["asset_class"] == "all"].set_index(["area_type", "area", *key])["value"]
            np.testing.assert_allclose(classes.reindex(whole.index, fill_value=0.0), whole, rtol=1e-9, atol=1e-9)
            alls = long[long["asset_class"] == "all"]
            region = alls[alls["area_type"] == "region"].groupby(key)["value"].sum()
            for types in (["province"], ["municipality", "unallocated"]):
                parts = alls[alls["area_type"].isin(types)].groupby(key)["value"].sum()
                np.testing.assert_allclose(parts.reindex(region.index, fill_value=0.0), region, rtol=1e-9, atol=1e-9)
        inputs = load_inputs(p)
        stock = regional_stock(inputs, n_draws=50, seed=1)
        flows = run_flows(p, "baseline").flows
        names = dict(zip(inputs.municipalities["province_code"], inputs.municipalities["province_name"]))
        table = province_table(stock, flows, names)
        reg = inv.wide(stock)
        reg = reg[(reg["area_type"] == "region") & (reg["asset_class"] == "all")].set_index("material")["mass_t"]
        np.testing.assert_allclose(table.groupby("material")["stock_t"].sum().reindex(reg.index), reg, rtol=1e-9)
        share = table.groupby("material")["stock_share"].sum()
        assert np.allclose(share[reg.reindex(share.index) > 0], 1.0)
        out = flows[(flows["area_type"] == "region") & (flows["asset_class"] == "all") & (flows["variable"] == "outflow")]
        np.testing.assert_allclose(table.groupby("material")["outflow_t"].sum().reindex(
            out.groupby("material")["value"].sum().index), out.groupby("material")["value"].sum(), rtol=1e-9)
        assert set(table["province_name"].dropna()) <= set(names.values())
