"""Inflow- and stock-driven dynamic stock models: flodym agreement, mass balance, round trips, bad input."""

from __future__ import annotations

import numpy as np
import pytest

import critmat.models.dynamics as dyn
from critmat.errors import ModelError
from critmat.models.dynamics import inflow_driven, stock_driven
from critmat.models.lifetimes import FoldedNormal, Fixed, LogNormal, Normal, Weibull

YEARS = np.arange(1990, 2030)


def _flodym(inflow: np.ndarray, kind: str, **prm):
    """flodym InflowDrivenDSM on (time, assets, materials) with inflow at the end of the year."""
    fd = pytest.importorskip("flodym")
    dims = fd.DimensionSet(dim_list=[
        fd.Dimension(name="time", letter="t", items=[int(y) for y in YEARS[: inflow.shape[0]]]),
        fd.Dimension(name="assets", letter="a", items=list(range(inflow.shape[1]))),
        fd.Dimension(name="materials", letter="m", items=list(range(inflow.shape[2]))),
    ])
    lm = getattr(fd, kind)(dims=dims, inflow_at="end", **prm)
    dsm = fd.InflowDrivenDSM(dims=dims, lifetime_model=lm, inflow=fd.StockArray(dims=dims, values=inflow))
    dsm.compute()
    return dsm


CASES = [
    (Fixed(7.5), "FixedLifetime", {"mean": 7.5}),
    (Normal(10, 4), "NormalLifetime", {"mean": 10.0, "std": 4.0}),
    (FoldedNormal(3, 5), "FoldedNormalLifetime", {"mean": 3.0, "std": 5.0}),
    (LogNormal(12, 6), "LogNormalLifetime", {"mean": 12.0, "std": 6.0}),
    (Weibull(5.3759, 30), "WeibullLifetime", {"weibull_shape": 5.3759, "weibull_scale": 30.0}),
]


@pytest.mark.parametrize("lt, kind, prm", CASES, ids=[c[1] for c in CASES])
@pytest.mark.parametrize("seed", [0, 1])
def test_inflow_driven_matches_flodym(lt, kind: str, prm: dict, seed: int) -> None:
    rng = np.random.default_rng(seed)
    inflow = rng.random((len(YEARS), 3, 2)) * rng.choice([1.0, 1e3], size=(len(YEARS), 1, 1))
    ours = inflow_driven(inflow, lt, YEARS)
    ref = _flodym(inflow, kind, **prm)
    np.testing.assert_allclose(ours.stock, ref.stock.values, rtol=0, atol=1e-8)
    np.testing.assert_allclose(ours.outflow, ref.outflow.values, rtol=0, atol=1e-8)
    np.testing.assert_allclose(ours.stock_by_cohort, ref.get_stock_by_cohort(), rtol=0, atol=1e-8)
    np.testing.assert_allclose(ours.outflow_by_cohort, ref.get_outflow_by_cohort(), rtol=0, atol=1e-8)


def test_lifetime_per_asset_matches_flodym() -> None:
    rng = np.random.default_rng(3)
    inflow = rng.random((len(YEARS), 3, 2)) * 50
    shape = np.array([2.0, 3.5, 5.3759])[:, None]
    scale = np.array([10.0, 20.0, 30.0])[:, None]
    ours = inflow_driven(inflow, Weibull(shape, scale), YEARS)
    full = (len(YEARS), 3, 2)
    ref = _flodym(inflow, "WeibullLifetime", weibull_shape=np.broadcast_to(shape, full).copy(),
                  weibull_scale=np.broadcast_to(scale, full).copy())
    np.testing.assert_allclose(ours.stock, ref.stock.values, atol=1e-8)
    np.testing.assert_allclose(ours.outflow, ref.outflow.values, atol=1e-8)


def test_many_lifetimes_use_lag_loop_with_same_result(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(4)
    inflow = rng.random((30, 5, 4)) * 10
    lt = LogNormal(rng.uniform(5, 30, (5, 4)), rng.uniform(1, 10, (5, 4)))  # 20 distinct curves
    grouped = inflow_driven(inflow, lt)
    s_grouped = stock_driven(grouped.stock, lt)
    monkeypatch.setattr(dyn, "_MAX_GROUPS_FOR_MATMUL", 1)
    looped = inflow_driven(inflow, lt)
    np.testing.assert_allclose(looped.stock, grouped.stock, atol=1e-10)
    np.testing.assert_allclose(looped.outflow, grouped.outflow, atol=1e-10)
    s_looped = stock_driven(grouped.stock, lt)
    np.testing.assert_allclose(s_looped.inflow, s_grouped.inflow, atol=1e-8)
    np.testing.assert_allclose(s_looped.inflow, inflow, atol=1e-8)
    for j in range(5):  # column by column equals the scalar-lifetime model
        one = inflow_driven(inflow[:, j, 1], LogNormal(lt.mean[j, 1], lt.sd[j, 1]))
        np.testing.assert_allclose(grouped.stock[:, j, 1], one.stock, atol=1e-10)


@pytest.mark.parametrize("lt", [c[0] for c in CASES], ids=[c[1] for c in CASES])
def test_mass_balance_and_non_negative(lt) -> None:
    rng = np.random.default_rng(11)
    inflow = rng.random((60, 4)) * 1e4
    inflow[rng.random((60, 4)) < 0.3] = 0.0
    r = inflow_driven(inflow, lt, np.arange(1960, 2020))
    assert np.abs(r.balance()).max() <= 1e-9 * max(1.0, inflow.max())
    assert (r.stock >= 0).all() and (r.outflow >= 0).all()
    np.testing.assert_allclose(r.stock, r.stock_by_cohort.sum(axis=1), atol=1e-8)
    np.testing.assert_allclose(r.outflow, r.outflow_by_cohort.sum(axis=1), atol=1e-8)
    # everything that entered is either still in stock or has left
    np.testing.assert_allclose(inflow.sum(0), r.stock[-1] + r.outflow.sum(0), rtol=1e-12)


def test_worked_example_fixed_lifetime() -> None:
    """Fixed(2): a cohort is in stock in its year and the next, leaves in the second year after."""
    r = inflow_driven([10.0, 0.0, 5.0, 0.0, 0.0], Fixed(2), [2020, 2021, 2022, 2023, 2024])
    assert r.stock.tolist() == [10, 10, 5, 5, 0]
    assert r.outflow.tolist() == [0, 0, 10, 0, 5]
    assert r.years.tolist() == [2020, 2021, 2022, 2023, 2024]
    assert r.stock_by_cohort.shape == (5, 5)
    assert r.stock_by_cohort[3].tolist() == [0, 0, 5, 0, 0]


def test_pandas_input_carries_its_years() -> None:
    import pandas as pd

    r = inflow_driven(pd.Series([10.0, 0.0, 5.0], index=[2020, 2021, 2022]), Fixed(2))
    assert r.years.tolist() == [2020, 2021, 2022] and r.outflow.tolist() == [0, 0, 10]
    s = stock_driven(pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 3.0]}, index=[1999, 2000]), Fixed(5))
    assert s.years.tolist() == [1999, 2000] and s.inflow.tolist() == [[1, 3], [1, 0]]
    with pytest.raises(ModelError, match="strictly increasing"):
        inflow_driven(pd.Series([1.0, 2.0], index=[2001, 2000]), Fixed(2))


def test_normal_early_outflow_in_entry_year() -> None:
    """Normal is not truncated: the share with negative lifetime leaves in the year it entered."""
    lt = Normal(1, 1)
    r = inflow_driven([100.0, 0, 0, 0, 0, 0, 0, 0], lt)
    assert r.outflow[0] == pytest.approx(100 * (1 - float(lt.sf(0))))
    assert r.stock[0] == pytest.approx(100 * float(lt.sf(0)))


@pytest.mark.parametrize("lt", [c[0] for c in CASES], ids=[c[1] for c in CASES])
def test_round_trips(lt) -> None:
    rng = np.random.default_rng(5)
    inflow = rng.random((40, 3)) * 100 + 1
    forward = inflow_driven(inflow, lt)
    back = stock_driven(forward.stock, lt)
    np.testing.assert_allclose(back.inflow, inflow, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(back.outflow, forward.outflow, atol=1e-8)
    # stock-driven first: a growing stock, then inflow-driven with the inflow found
    stock = np.cumsum(rng.random((40, 3)) * 10, axis=0) + 5
    sd = stock_driven(stock, lt)
    again = inflow_driven(sd.inflow, lt)
    np.testing.assert_allclose(again.stock, stock, rtol=1e-9)
    np.testing.assert_allclose(sd.stock, stock, rtol=1e-9)
    assert np.abs(sd.balance()).max() < 1e-9 * stock.max()


def test_stock_driven_negative_inflow() -> None:
    stock = np.array([100.0, 100.0, 10.0, 10.0])
    with pytest.raises(ModelError, match=r"negative inflow .* at index \(2,\) \(year 2002\)"):
        stock_driven(stock, Weibull(3, 20), years=[2000, 2001, 2002, 2003])
    r = stock_driven(stock, Weibull(3, 20), negative_inflow="allow")
    assert r.inflow[2] < 0
    np.testing.assert_allclose(r.stock, stock, rtol=1e-12)
    with pytest.raises(ModelError, match="negative_inflow must be"):
        stock_driven(stock, Weibull(3, 20), negative_inflow="clip")  # type: ignore[arg-type]


def test_stock_driven_needs_survival_in_first_year() -> None:
    with pytest.raises(ModelError, match=r"sf\(0\) = 0"):
        stock_driven([1.0, 2.0], Fixed(0))


def test_result_is_frozen_and_readonly() -> None:
    r = inflow_driven(np.ones((5, 2)), Weibull(2, 3))
    with pytest.raises(AttributeError):
        r.stock = np.zeros((5, 2))  # type: ignore[misc]
    with pytest.raises(ValueError):
        r.stock[0, 0] = 1.0
    with pytest.raises(ValueError):
        r.stock_by_cohort[0, 0, 0] = 1.0
    assert r.years.tolist() == [0, 1, 2, 3, 4]
    assert r.survival.shape == (5,)


@pytest.mark.parametrize("inflow, years, lt, text", [
    ([1.0, -2.0, 3.0], [2000, 2001, 2002], Fixed(3), r"inflow must be >= 0: value -2.0 at index \(1,\) \(year 2001\)"),
    ([[1.0, 2.0], [np.nan, 1.0]], None, Fixed(3), r"inflow must be finite: value nan at index \(1, 0\)"),
    ([1.0, np.inf], None, Fixed(3), "must be finite: value inf"),
    ([1.0, 2.0, 3.0], [2000, 2002, 2001], Fixed(3), "strictly increasing: 2001 at index 2 follows 2002"),
    ([1.0, 2.0, 3.0], [2000, 2000, 2001], Fixed(3), "strictly increasing: 2000 at index 1"),
    ([1.0, 2.0, 3.0], [2000, 2001, 2003], Fixed(3), "consecutive .* 2003 at index 2"),
    ([1.0, 2.0, 3.0], [2000, 2001], Fixed(3), "length 3"),
    ([1.0, 2.0], [2000.5, 2001.5], Fixed(3), "whole numbers"),
    (np.ones((3, 2)), None, Fixed([1.0, 2.0, 3.0]), r"shape \(3,\) do not broadcast"),
    ([["a"]], None, Fixed(3), "numeric"),
    (5.0, None, Fixed(3), "time axis"),
    ([1.0], None, "ten years", "lifetime must be"),
    (np.ones((3, 0)), None, Fixed(3), r"inflow is empty \(shape \(3, 0\)\)"),
])
def test_bad_input(inflow, years, lt, text: str) -> None:
    with pytest.raises(ModelError, match=text):
        inflow_driven(np.asarray(inflow) if not isinstance(inflow, float) else inflow, lt, years)


def test_bad_stock() -> None:
    with pytest.raises(ModelError, match=r"stock must be >= 0: value -1.0 at index \(0, 1\)"):
        stock_driven([[1.0, -1.0]], Fixed(3))
