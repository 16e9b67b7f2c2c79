"""Fleet (stock-driven) flows and the Monte Carlo helpers: balance, replacement + growth, targets, bands."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from critmat.errors import ModelError
from critmat.models import montecarlo as mc
from critmat.models.fleets import target_fleet_flows, target_path
from critmat.models.lifetimes import Fixed, Normal, Weibull

YEARS = np.arange(2025, 2051)


@settings(max_examples=40, deadline=None)
@given(s0=st.floats(0, 1e4), s1=st.floats(0, 1e4), s2=st.floats(0, 1e4), mean=st.floats(5, 40),
       since=st.one_of(st.none(), st.integers(1990, 2024)))
def test_target_fleet_reproduces_targets_and_balances(s0, s1, s2, mean, since) -> None:
    ty, ts = np.array([2024, 2030, 2040]), np.array([s0, s1, s2])
    r = target_fleet_flows(ty, ts, Normal(mean, mean / 4), YEARS, since=since)
    scale = max(1.0, s0, s1, s2)
    np.testing.assert_allclose(r.stock, target_path(ty, ts, YEARS), atol=1e-7 * scale)
    prev = np.r_[target_path(ty, ts, [2024]), r.stock[:-1]]
    np.testing.assert_allclose(r.stock - prev, r.inflow - r.outflow, atol=1e-7 * scale)
    np.testing.assert_allclose(r.inflow, r.replacement + r.growth, atol=1e-9 * scale)
    assert (r.inflow >= 0).all() and (r.outflow >= -1e-9 * scale).all()
    assert (r.growth >= 0).all() and (r.replacement >= -1e-9 * scale).all()


def test_target_fleet_by_hand() -> None:
    # steady state of 100 units with a fixed 10-year life: 10 leave and 10 are replaced every year
    r = target_fleet_flows([2024], [100.0], Fixed(10), np.arange(2025, 2031))
    np.testing.assert_allclose(r.outflow, 10.0)
    np.testing.assert_allclose(r.replacement, 10.0)
    np.testing.assert_allclose(r.growth, 0.0)
    # growing by 20 a year: growth 20 on top of the replacement
    r = target_fleet_flows([2024, 2030], [100.0, 220.0], Fixed(10), np.arange(2025, 2031))
    np.testing.assert_allclose(r.growth, 20.0)
    np.testing.assert_allclose(r.replacement, 10.0)
    # a target that falls faster than units retire: early retirement, no inflow, balance kept
    r = target_fleet_flows([2024, 2026], [100.0, 0.0], Fixed(10), np.arange(2025, 2031))
    np.testing.assert_allclose(r.inflow, 0.0)
    np.testing.assert_allclose(r.outflow[:2], 50.0)


def test_target_path_errors() -> None:
    with pytest.raises(ModelError, match="strictly increasing"):
        target_path([2030, 2025], [1, 2], YEARS)
    with pytest.raises(ModelError, match=">= 0"):
        target_path([2025], [-1], YEARS)
    with pytest.raises(ModelError, match="after its first target"):
        target_fleet_flows([2024], [1.0], Weibull(3, 20), YEARS, since=2030)


def test_quantiles_are_ordered_and_factors_bounded() -> None:
    rng = np.random.default_rng(0)
    q = mc.quantiles(rng.lognormal(size=(500, 4, 3)))
    assert q.shape == (3, 4, 3) and (q[0] <= q[1]).all() and (q[1] <= q[2]).all()
    lo, hi = np.array([[0.7, 1.0]]), np.array([[1.5, 1.0]])
    f = mc.intensity_factors(lo, hi, 2000, rng)
    assert f.shape == (2000, 1, 2)
    assert f[:, 0, 0].min() >= 0.7 and f[:, 0, 0].max() <= 1.5 and f[:, 0, 0].std() > 0.05
    np.testing.assert_allclose(f[:, 0, 1], 1.0)  # no range: a point mass
    g = mc.recovery_factors(3, 1000, rng)
    assert g.min() >= 0.5 and g.max() <= 1.5


def test_quantiles_equal_numpy_nanpercentile():
    """The vectorised band quantiles equal numpy's nanpercentile, NaNs and all-NaN slices included."""
    import warnings

    from critmat.models.montecarlo import PERCENTILES, quantiles

    rng = np.random.default_rng(3)
    for shape, axis in [((60, 7, 5), 0), ((9, 40), 1), ((1, 4), 0)]:
        a = rng.lognormal(size=shape)
        a[rng.random(shape) < 0.3] = np.nan
        np.moveaxis(a, axis, 0)[:, 0] = np.nan  # an all-NaN slice
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            ref = np.nanpercentile(a, PERCENTILES, axis=axis)
        np.testing.assert_array_equal(quantiles(a, axis=axis), ref)
        full = np.nan_to_num(a)
        np.testing.assert_array_equal(quantiles(full, axis=axis), np.percentile(full, PERCENTILES, axis=axis))
