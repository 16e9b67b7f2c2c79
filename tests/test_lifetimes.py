"""Lifetime distributions: survival at integer ages as flodym (inflow_at="end"), sampling, validation."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from critmat.errors import ModelError
from critmat.models.lifetimes import FoldedNormal, Fixed, LogNormal, Normal, Weibull, exit_age

AGES = np.arange(80)


def _flodym_sf(kind: str, n_t: int, **prm: float) -> np.ndarray:
    """Survival by age from flodym's lifetime model on a yearly axis, inflow at the end of the year."""
    fd = pytest.importorskip("flodym")
    dims = fd.DimensionSet(dim_list=[fd.Dimension(name="time", letter="t", items=list(range(2000, 2000 + n_t)))])
    model = getattr(fd, kind)(dims=dims, inflow_at="end", **prm)
    return np.asarray(model.sf)[:, 0]  # cohort 0: ages 0..n_t-1


@pytest.mark.parametrize("seed", range(5))
def test_sf_matches_flodym(seed: int) -> None:
    rng = np.random.default_rng(seed)
    mean, sd = rng.uniform(2, 40), rng.uniform(0.5, 15)
    k, scale = rng.uniform(0.5, 8), rng.uniform(2, 40)
    n_t = 80
    cases = [
        (Fixed(round(mean, 1)), "FixedLifetime", {"mean": round(mean, 1)}),
        (Normal(mean, sd), "NormalLifetime", {"mean": mean, "std": sd}),
        (FoldedNormal(mean / 3, sd), "FoldedNormalLifetime", {"mean": mean / 3, "std": sd}),
        (LogNormal(mean, sd), "LogNormalLifetime", {"mean": mean, "std": sd}),
        (Weibull(k, scale), "WeibullLifetime", {"weibull_shape": k, "weibull_scale": scale}),
    ]
    for ours, kind, prm in cases:
        np.testing.assert_allclose(ours.sf(np.arange(n_t)), _flodym_sf(kind, n_t, **prm), rtol=0, atol=1e-8,
                                   err_msg=kind)


def test_sf_against_scipy_definitions() -> None:
    np.testing.assert_allclose(Normal(10, 3).sf(AGES), stats.norm.sf(AGES, 10, 3), atol=1e-12)
    np.testing.assert_allclose(FoldedNormal(4, 6).sf(AGES), stats.foldnorm.sf(AGES, 4 / 6, scale=6), atol=1e-12)
    np.testing.assert_allclose(Weibull(5.3759, 30).sf(AGES), stats.weibull_min.sf(AGES, 5.3759, scale=30),
                               atol=1e-12)
    ln = LogNormal(20, 8)  # parameters of the lifetime, not of its logarithm
    np.testing.assert_allclose(ln.sf(AGES), stats.lognorm.sf(AGES, ln.sigma_log, scale=np.exp(ln.mu_log)),
                               atol=1e-12)
    draws = stats.lognorm.rvs(ln.sigma_log, scale=np.exp(ln.mu_log), size=400_000, random_state=1)
    assert draws.mean() == pytest.approx(20, rel=0.01) and draws.std() == pytest.approx(8, rel=0.03)


def test_age_zero_convention() -> None:
    """sf(0) = 1 except Normal (not truncated: P(L > 0)) and a lifetime of 0."""
    for lt in (FoldedNormal(1, 5), LogNormal(3, 2), Weibull(0.7, 2), Fixed(0.5)):
        assert lt.sf(0) == 1.0
    assert Normal(2, 4).sf(0) == pytest.approx(stats.norm.cdf(0.5))
    assert Fixed(0).sf(0) == 0.0
    assert list(Fixed(3).sf(np.arange(5))) == [1, 1, 1, 0, 0]
    assert list(Fixed(3.5).sf(np.arange(6))) == [1, 1, 1, 1, 0, 0]


@pytest.mark.parametrize("lt", [Normal(8, 3), FoldedNormal(2, 6), LogNormal(15, 9), Weibull(1.3, 12), Fixed(9)])
def test_sf_monotone_and_discrete_pdf_sums_to_one(lt) -> None:
    s = lt.sf(np.arange(400))
    assert (np.diff(s) <= 0).all() and (s >= 0).all() and (s <= 1).all()
    pdf = lt.pdf_discrete(400)
    assert (pdf >= 0).all()
    assert pdf.sum() == pytest.approx(1.0, abs=1e-9)


def test_array_parameters_broadcast() -> None:
    lt = Weibull(np.array([2.0, 3.0, 5.3759])[:, None], np.array([[10.0, 20.0]]))
    assert lt.batch_shape == (3, 2)
    s = lt.sf(AGES)
    assert s.shape == (80, 3, 2)
    np.testing.assert_allclose(s[:, 2, 1], Weibull(5.3759, 20).sf(AGES))
    assert Normal([10, 20], 2).sf(np.zeros((4, 5))).shape == (4, 5, 2)
    assert Fixed(3).sf(5.0).shape == ()


@pytest.mark.parametrize("lt", [Normal(10, 3), FoldedNormal(2, 4), LogNormal(20, 7), Weibull(5.3759, 30), Fixed(12)])
def test_samples_reproduce_sf_and_mean(lt) -> None:
    rng = np.random.default_rng(42)
    x = lt.sample(100_000, rng)
    ages = exit_age(x)
    emp = (ages[:, None] > np.arange(50)).mean(axis=0)
    np.testing.assert_allclose(emp, lt.sf(np.arange(50)), atol=0.01)
    assert x.mean() == pytest.approx(float(lt.expected()), rel=0.01)


@pytest.mark.parametrize("lt", [Normal(10, 3), FoldedNormal(2, 4), LogNormal(20, 7), Weibull(5.3759, 30), Fixed(12)])
def test_conditional_samples(lt) -> None:
    """Draws given survival to age a0 follow sf(a) / sf(a0) and all exceed a0."""
    rng = np.random.default_rng(7)
    a0 = np.array([0.0, 6.0, 14.0])
    x = lt.sample(100_000, rng, alive_at_age=a0)
    assert x.shape == (100_000, 3)
    assert (x > a0).all()
    s = lt.sf(np.arange(50))
    for j, a in enumerate(a0):
        emp = (exit_age(x[:, j])[:, None] > np.arange(50)).mean(axis=0)
        s_a = float(lt.sf(a))
        if s_a > 0:
            expect = np.where(np.arange(50) <= a, 1.0, s / s_a)
        else:  # cannot have survived: leaves the year after it was seen
            expect = (np.arange(50) <= a).astype(float)
        np.testing.assert_allclose(emp, expect, atol=0.012)


def test_sampling_is_seeded_and_shaped() -> None:
    lt = Weibull([2.0, 4.0], [10.0, 30.0])
    a = lt.sample(5, np.random.default_rng(3))
    b = lt.sample(5, np.random.default_rng(3))
    assert a.shape == (5, 2) and np.array_equal(a, b)
    with pytest.raises(ModelError, match="positive integer"):
        lt.sample(0, np.random.default_rng(3))


def test_expected_values() -> None:
    assert float(Weibull(1, 10).expected()) == pytest.approx(10)
    fn = FoldedNormal(3, 5)
    draws = np.abs(np.random.default_rng(0).normal(3, 5, 400_000))
    assert float(fn.expected()) == pytest.approx(draws.mean(), rel=0.005)


@pytest.mark.parametrize("make, text", [
    (lambda: Normal(10, 0), "sd must be finite and > 0, got 0.0"),
    (lambda: Normal(10, -2), "got -2.0"),
    (lambda: Normal(-1, 2), "mean must be finite and >= 0, got -1.0"),
    (lambda: FoldedNormal(5, 0), "FoldedNormal sd"),
    (lambda: LogNormal(0, 1), "LogNormal mean must be finite and > 0, got 0.0"),
    (lambda: LogNormal(10, float("nan")), "got nan"),
    (lambda: Weibull(0, 30), "Weibull shape must be finite and > 0, got 0.0"),
    (lambda: Weibull([1, -2], 30), r"got -2.0 at index \(1,\)"),
    (lambda: Weibull(2, -30), "Weibull scale"),
    (lambda: Fixed(-3), "Fixed mean must be finite and >= 0, got -3.0"),
    (lambda: Fixed("ten"), "must be a number"),
])
def test_bad_parameters(make, text: str) -> None:
    with pytest.raises(ModelError, match=text):
        make()


def test_frozen_and_readonly() -> None:
    lt = Normal([10.0, 12.0], 2.0)
    with pytest.raises(AttributeError):
        lt.mean = 3  # type: ignore[misc]
    with pytest.raises(ValueError):
        lt.mean[0] = 3.0
    assert "Normal(mean=[10.0, 12.0], sd=2.0)" == repr(lt)
