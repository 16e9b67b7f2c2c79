"""End-of-life pathways, parameter resolution, lifetimes from rows and circularity indicators (pure model)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from critmat.catalog.package import load_package
from critmat.catalog.sources import source_registry
from critmat.errors import DataError, ModelError
from critmat.models import circularity as circ
from critmat.models.lifetimes import Fixed, LogNormal, Normal, Weibull
from critmat.paths import bundled_packages

PKG = bundled_packages() / "circularity"


def test_pathways_split_a_known_outflow() -> None:
    p = circ.apply_pathways(np.array([100.0]), 0.5, 0.8, 0.5, 0.1)
    got = {k: float(v[0]) for k, v in p.items()}
    assert got == pytest.approx({"outflow": 100, "reused": 50, "collected": 40, "pretreated": 20,
                                 "recovered": 2, "lost_uncollected": 10, "lost_pretreatment": 20,
                                 "lost_recovery": 18, "lost": 48})
    assert float(circ.balance_residual(p)[0]) == pytest.approx(0.0, abs=1e-12)


def test_pathways_broadcast_over_years_and_materials() -> None:
    out = np.arange(12.0).reshape(3, 4)  # years x materials
    rec = np.array([0.0, 0.5, 1.0, 0.25])
    p = circ.apply_pathways(out, np.array([[0.0], [0.1], [0.2]]), 1.0, 1.0, rec)
    assert p["recovered"].shape == (3, 4)
    np.testing.assert_allclose(p["recovered"][2], out[2] * 0.8 * rec)
    np.testing.assert_allclose(circ.balance_residual(p), 0.0, atol=1e-12)


@settings(max_examples=200, deadline=None)
@given(out=arrays(np.float64, st.tuples(st.integers(1, 6), st.integers(1, 5)),
                  elements=st.floats(0, 1e7, allow_nan=False, allow_infinity=False)),
       shares=st.lists(st.floats(0, 1), min_size=4, max_size=4))
def test_parts_sum_to_whole_for_any_shares(out: np.ndarray, shares: list[float]) -> None:
    """Random outflows and rates in 0..1: every part >= 0, reused + recovered + lost = outflow, and each
    stage's input = its output + its loss."""
    p = circ.apply_pathways(out, *shares)
    scale = max(1.0, float(out.max()))
    for k, v in p.items():
        assert (v >= -1e-9 * scale).all(), k
    np.testing.assert_allclose(circ.balance_residual(p), 0.0, atol=1e-9 * scale)
    np.testing.assert_allclose(p["outflow"] - p["reused"], p["collected"] + p["lost_uncollected"], atol=1e-9 * scale)
    np.testing.assert_allclose(p["collected"], p["pretreated"] + p["lost_pretreatment"], atol=1e-9 * scale)
    np.testing.assert_allclose(p["pretreated"], p["recovered"] + p["lost_recovery"], atol=1e-9 * scale)
    assert (p["recovered"] <= p["outflow"] + 1e-9 * scale).all()


@pytest.mark.parametrize("args, text", [
    ((np.array([1.0]), 1.2, 1, 1, 1), r"export_reuse must be a share between 0 and 1, got 1.2"),
    ((np.array([1.0]), 0, 1, 1, np.array([0.5, -0.1])), r"recovery .* got -0.1 at index \(1,\)"),
    ((np.array([1.0, -3.0]), 0, 1, 1, 1), r"outflow must be finite and >= 0, got -3.0 at index \(1,\)"),
    ((np.array([np.nan]), 0, 1, 1, 1), "outflow must be finite"),
])
def test_pathways_reject_bad_input(args: tuple, text: str) -> None:
    with pytest.raises(ModelError, match=text):
        circ.apply_pathways(*args)


def test_schedules_step_and_merge() -> None:
    years = np.arange(2024, 2035)
    vals = circ.schedule_values([(2028, 0.5), (2000, 0.01), (2032, 0.8)], years)
    assert vals.tolist() == [0.01] * 4 + [0.5] * 4 + [0.8] * 3
    assert circ.schedule_values([(2030, 0.7)], [2025, 2030]).tolist() == [0.7, 0.7]  # before the first: first
    merged = circ.merge_schedule([(2000, 0.005), (2028, 0.5), (2032, 0.8)], [(2030, 0.9)])
    assert merged == [(2000, 0.005), (2028, 0.5), (2030, 0.9)]
    with pytest.raises(ModelError, match=r"rate, year 2030: share must be between 0 and 1, got 1.5"):
        circ.schedule_values([(2030, 1.5)], years, where="rate")
    with pytest.raises(ModelError, match="year 2030 is given twice"):
        circ.schedule_values([(2030, 0.1), (2030, 0.2)], years)


def _tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    pw = pd.DataFrame({"applies_to": ["all", "vehicle", "all"], "eol_pathway": ["collection", "collection", "export_reuse"],
                       "eol_year_from": [2000, 2000, 2000], "share": [0.9, 0.8, 0.1]})
    rr = pd.DataFrame({"applies_to": ["all", "vehicle", "vehicle", "all"],
                       "material_id": ["lithium", "lithium", "lithium", "copper"],
                       "eol_stage": ["recovery"] * 4, "eol_year_from": [2000, 2000, 2028, 2000],
                       "share": [0.005, 0.01, 0.5, 0.5]})
    return pw, rr


def test_resolve_parameters_class_rows_win_and_overrides_apply_from_their_year() -> None:
    pw, rr = _tables()
    years = np.arange(2025, 2035)
    p = circ.resolve_parameters(pw, rr, ["vehicle", "solar_pv"], ["lithium", "copper", "gallium"], years,
                                pathway_overrides={("all", "export_reuse"): [(2030, 0.3)]},
                                stage_overrides={("solar_pv", "copper", "recovery"): [(2030, 0.9)],
                                                 ("all", "gallium", "pretreatment"): [(2025, 0.5)]})
    v, s = p.index("vehicle"), p.index("solar_pv")
    li, cu, ga = 0, 1, 2
    assert p.collection[v].tolist() == [0.8] * 10 and p.collection[s].tolist() == [0.9] * 10
    assert p.export_reuse[v].tolist() == [0.1] * 5 + [0.3] * 5
    assert p.recovery[v, li].tolist() == [0.01] * 3 + [0.5] * 7
    assert p.recovery[s, li].tolist() == [0.005] * 10
    assert p.recovery[s, cu].tolist() == [0.5] * 5 + [0.9] * 5
    assert p.recovery[v, cu].tolist() == [0.5] * 10
    assert p.pretreatment[v, ga].tolist() == [0.5] * 10 and p.pretreatment[v, li].tolist() == [1.0] * 10
    assert p.replacement.tolist() == [[1.0] * 10] * 2
    assert any("recovery rate of gallium" in n for n in p.notes)  # default 0 is reported
    with pytest.raises(ModelError, match="asset class 'vehicles' has no pathway parameters"):
        p.index("vehicles")


def test_lifetime_rows_and_shift() -> None:
    assert isinstance(circ.lifetime_from_row({"lifetime_distribution": "weibull", "weibull_shape": 5.3759,
                                              "weibull_scale_years": 30}), Weibull)
    lt = circ.lifetime_from_row({"lifetime_distribution": "lognormal", "lifetime_mean_years": 10,
                                 "lifetime_sd_years": 3})
    assert isinstance(lt, LogNormal) and float(lt.expected()) == pytest.approx(10)
    with pytest.raises(DataError, match="distribution 'normal' needs column 'lifetime_sd_years'"):
        circ.lifetime_from_row({"lifetime_distribution": "normal", "lifetime_mean_years": 20})
    with pytest.raises(DataError, match="sd must be finite and > 0, got 0.0"):
        circ.lifetime_from_row({"lifetime_distribution": "normal", "lifetime_mean_years": 20, "lifetime_sd_years": 0})
    with pytest.raises(DataError, match="unknown lifetime_distribution 'gamma'"):
        circ.lifetime_from_row({"lifetime_distribution": "gamma"})
    for base in (Fixed(20), Normal(25, 5), LogNormal(10, 3), Weibull(5.3759, 30)):
        for k in (5, -3):
            assert float(circ.shift_lifetime(base, k).expected()) == pytest.approx(float(base.expected()) + k)
    w = circ.shift_lifetime(Weibull(5.3759, 30), 5)
    assert float(w.shape) == pytest.approx(5.3759)
    with pytest.raises(ModelError, match="leaves a mean of -5 years"):
        circ.shift_lifetime(Fixed(5), -10)


def test_indicators_cap_rate_and_compare_with_benchmark() -> None:
    idx = pd.MultiIndex.from_tuples([("copper", 2030), ("copper", 2031), ("lithium", 2030)])
    rec = pd.Series([10.0, 50.0, 1.0], idx)
    dem = pd.Series([40.0, 20.0, 0.0], idx)
    ind = circ.indicator_frame(rec, dem, benchmark=0.25)
    cu = ind[ind["material"] == "copper"].set_index("year")
    assert cu.loc[2030, "eol_rir"] == 0.25 and bool(cu.loc[2030, "meets_benchmark"])
    assert cu.loc[2031, "eol_rir"] == 1.0 and cu.loc[2031, "secondary_to_demand"] == 2.5
    li = ind[ind["material"] == "lithium"].iloc[0]
    assert np.isnan(li["eol_rir"]) and li["meets_benchmark"] is pd.NA
    summ = circ.summary_frame(rec, dem, 0.25).set_index("material")
    assert summ.loc["copper", "secondary_supply_t"] == 60 and summ.loc["copper", "eol_rir"] == 1.0
    with pytest.raises(ModelError, match="CRMA recycling benchmark: share must be between 0 and 1, got 25"):
        circ.indicator_frame(rec, dem, benchmark=25)


# --------------------------------------------------------------------------------------------- package
def _known() -> dict[str, pd.DataFrame]:
    from critmat.build.intensities import known_frames, load_intensities

    known = dict(known_frames())
    known["technologies"] = load_intensities()[0]
    return known


def test_bundled_package_loads_with_a_source_per_row() -> None:
    loaded = load_package(PKG, known=_known())
    sources = source_registry()
    for name, res in loaded.items():
        assert len(res.frame), name
        missing = set(res.frame["source_id"]) - set(sources)
        assert not missing, (name, missing)
    techs = set(_known()["technologies"]["technology_id"])
    assert set(loaded["lifetimes"].frame["technology_id"]) == techs  # every technology has a lifetime
    rr = loaded["recovery_rates"].frame
    assert set(rr.loc[rr["applies_to"] == "all", "material_id"]) >= set(
        pd.read_csv(bundled_packages() / "intensities" / "material_intensities.csv")["material_id"])
    # rare earths from magnets below 1 % as the source report says
    mag = rr[(rr["applies_to"] == "wind_onshore") & (rr["material_id"] == "neodymium")]
    assert (mag["share"] < 0.01).all() and set(mag["source_id"]) == {"hcss_2025"}
    for row in loaded["lifetimes"].frame.to_dict(orient="records"):
        circ.lifetime_from_row(row)
    # assumptions point to sources of kind assumption
    assumed = loaded["eol_pathways"].frame
    kinds = {s: source_registry()[s].kind for s in assumed["source_id"]}
    assert kinds["critmat_assumption_eol_pathways"] == "assumption"


def test_package_check_names_a_bad_lifetime_row(tmp_path: Path) -> None:
    pkg = tmp_path / "circularity"
    shutil.copytree(PKG, pkg)
    lt = pkg / "lifetimes.csv"
    text = lt.read_text(encoding="utf-8").replace("pv_csi,weibull,,,5.3759,30", "pv_csi,weibull,,,,30")
    lt.write_text(text, encoding="utf-8")
    with pytest.raises(DataError, match=r"lifetimes.csv.*row 6: distribution 'weibull' needs column 'weibull_shape'"):
        load_package(pkg, known=_known())


def test_package_rejects_a_share_above_one(tmp_path: Path) -> None:
    pkg = tmp_path / "circularity"
    shutil.copytree(PKG, pkg)
    f = pkg / "eol_pathways.csv"
    f.write_text(f.read_text(encoding="utf-8").replace("grid_cable,collection,2000,0.5", "grid_cable,collection,2000,1.5"),
                 encoding="utf-8")
    with pytest.raises(DataError, match=r"eol_pathways.csv.*share"):
        load_package(pkg, known=_known())
