"""Asset-level stock model: exit years from lifetimes and events, Monte Carlo, aggregation by material."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from critmat.errors import ModelError
from critmat.models.dynamics import asset_exits, inflow_driven
from critmat.models.lifetimes import Fixed, Normal, Weibull

YEARS = np.arange(2020, 2061)


def _assets() -> pd.DataFrame:
    return pd.DataFrame({
        "asset_id": ["wind-a", "wind-b", "wind-b2", "pv-c", "wind-d"],
        "technology_id": ["wind_gb", "wind_gb", "wind_dd", "pv_csi", "wind_dd"],
        "commissioning_year": [2000, 2005, 2031, 2010, 2007],
        "quantity": [10.0, 20.0, 30.0, 5.0, 108.0],
        "units": [5, 10, 6, 1000, 36],
    })


LIFETIMES = {"wind_gb": Fixed(20), "wind_dd": Fixed(25), "pv_csi": Fixed(30)}


def test_deterministic_exit_years_and_events() -> None:
    events = pd.DataFrame({
        "event_id": ["e1", "e2", "e3", "e4"],
        "asset_id": ["wind-b", "wind-d", "pv-c", "wind-b2"],
        "event": ["repowering", "lifetime_extension", "decommissioning", "commissioning"],
        "year": [2030, 2032, 2032, 2031],
        "replacement_asset_id": ["wind-b2", None, None, None],
        "extension_years": [None, 5, None, None],
        "units_removed": [None, None, 400, None],
    })
    ex = asset_exits(_assets(), LIFETIMES, events)
    assert ex.n_draws is None
    table = ex.exit_year_by_asset()
    got = {(a, round(s, 3)): int(y) for a, s, y in table.itertuples(index=False)}
    assert got == {
        ("wind-a", 1.0): 2020,   # 2000 + 20
        ("wind-b", 1.0): 2030,   # repowered in 2030 (natural exit would be 2025)
        ("wind-b2", 1.0): 2056,  # the replacement: 2031 + 25
        ("pv-c", 0.6): 2040,     # 600 of 1000 units stay their 30 years
        ("pv-c", 0.4): 2032,     # 400 units decommissioned early
        ("wind-d", 1.0): 2037,   # 25-year life ends 2032, extended by 5 years (Egmond-aan-Zee-like)
    }
    out = ex.outflow(YEARS)
    assert out.shape == (len(YEARS),)
    assert out[YEARS == 2030][0] == 20 and out[YEARS == 2032][0] == pytest.approx(2.0)
    assert out[YEARS == 2040][0] == pytest.approx(3.0) and out[YEARS == 2037][0] == 108
    content = np.array([[1.0, 0.0], [2.0, 1.0], [3.0, 0.5], [0.0, 10.0], [4.0, 4.0]])  # t per whole asset
    by_mat = ex.outflow(YEARS, content)
    assert by_mat.shape == (len(YEARS), 2)
    assert by_mat[YEARS == 2032].tolist() == [[0.0, 4.0]]
    stock = ex.stock(YEARS, content)
    inflow = ex.inflow(YEARS, content)
    prev = np.vstack([ex.stock([2019], content), stock[:-1]])
    np.testing.assert_allclose(stock - prev, inflow - by_mat, atol=1e-12)
    assert stock[YEARS == 2020].tolist() == [[6.0, 15.0]]  # wind-a left in 2020; b, pv-c, d in stock


def test_lifetime_extension_is_counted_once_from_the_event_year() -> None:
    """Egmond aan Zee: commissioned 2006, 20-year design life ends 2026, extended by 5 years -> leaves 2031.

    The lifetime (Normal(25, 5), wind in the circularity package) already includes typical extensions, so
    the event is information (in use through 2030), not 5 more years on top of the drawn lifetime.
    """
    assets = pd.DataFrame({"asset_id": ["owez", "young"], "technology_id": ["wind", "wind"],
                           "commissioning_year": [2006, 2006], "quantity": [108.0, 10.0], "status": "operational"})
    events = pd.DataFrame({"asset_id": ["owez"], "event": ["lifetime_extension"], "year": [2026],
                           "extension_years": [5]})
    lts = {"wind": Normal(25, 5)}
    ey = asset_exits(assets, lts, events, alive_in=2024).exit_year_by_asset().set_index("asset_id")["exit_year"]
    assert ey["owez"] == 2031 and ey["young"] == 2031  # the extension ends where the mean life does
    mc = asset_exits(assets, lts, events, n_draws=2000, rng=5, alive_in=2024)
    assert (mc.exit_year[:, 0] >= 2031).all()  # in use through 2030 in every draw
    assert (mc.exit_year[:, 1] < 2031).any()   # without the event an exit before 2031 is possible
    # an extension that ends before the asset's lifetime does not shorten it; a longer one sets the floor
    ev_short = events.assign(year=2010)
    assert asset_exits(assets, lts, ev_short).exit_year_by_asset()["exit_year"].iloc[0] == 2031
    ev_long = events.assign(year=2030)
    assert asset_exits(assets, lts, ev_long).exit_year_by_asset()["exit_year"].iloc[0] == 2035
    # two extensions: the later end counts (they are not summed)
    two = pd.concat([events, events.assign(year=2031, extension_years=3)], ignore_index=True)
    assert asset_exits(assets, lts, two).exit_year_by_asset()["exit_year"].iloc[0] == 2034


def test_outflow_by_asset_and_content_frame() -> None:
    ex = asset_exits(_assets(), LIFETIMES)
    by_asset = ex.outflow_by_asset(YEARS)
    assert by_asset.shape == (len(YEARS), 5)
    assert by_asset[YEARS == 2025, 1][0] == 20 and by_asset.sum() == pytest.approx(10 + 20 + 30 + 5 + 108)
    frame = pd.DataFrame({"copper": [1.0, 2, 3, 4, 5], "neodymium": [0.1, 0.2, 0.3, 0.4, 0.5]},
                         index=["wind-a", "wind-b", "wind-b2", "pv-c", "wind-d"]).iloc[::-1]
    np.testing.assert_allclose(ex.outflow(YEARS, frame), ex.outflow(YEARS, frame.loc[ex.asset_id].to_numpy()))


def test_lifetime_years_column_and_single_lifetime() -> None:
    assets = _assets().assign(lifetime_years=[12, None, None, None, None])
    ex = asset_exits(assets, Weibull(3, 25))
    ey = ex.exit_year_by_asset().set_index("asset_id")["exit_year"]
    assert ey["wind-a"] == 2012
    assert ey["wind-b"] == 2005 + int(np.ceil(float(Weibull(3, 25).expected())))


def test_alive_in_conditions_operational_assets() -> None:
    assets = _assets().assign(status=["operational", "operational", "planned", "operational", "decommissioned"])
    ex = asset_exits(assets, LIFETIMES, alive_in=2024)
    ey = ex.exit_year_by_asset().set_index("asset_id")["exit_year"]
    assert ey["wind-a"] == 2025  # known in use in 2024 although its 20 years ran out in 2020
    assert ey["wind-b"] == 2025 and ey["pv-c"] == 2040
    mc = asset_exits(assets, {k: Normal(20, 6) for k in LIFETIMES}, n_draws=2000, rng=1, alive_in=2024)
    operational = np.isin(mc.asset_id, ["wind-a", "wind-b", "pv-c"])
    assert (mc.exit_year[:, operational] >= 2025).all()
    assert (mc.exit_year[:, ~operational] < 2025).any()  # wind-d (status decommissioned) is not conditioned


def test_monte_carlo_mean_matches_cohort_model() -> None:
    """Averaged over draws, asset-level outflow equals the inflow-driven model's expected outflow."""
    rng = np.random.default_rng(0)
    n = 400
    years = np.arange(1990, 2061)
    assets = pd.DataFrame({"asset_id": [f"a{i}" for i in range(n)],
                           "commissioning_year": rng.integers(1990, 2030, n),
                           "quantity": rng.uniform(1, 10, n), "technology_id": "pv"})
    lt = Weibull(5.3759, 30)
    mc = asset_exits(assets, {"pv": lt}, n_draws=3000, rng=np.random.default_rng(9))
    mean_out = mc.outflow(years).mean(axis=0)
    cohort_inflow = np.bincount(assets["commissioning_year"] - years[0], weights=assets["quantity"],
                                minlength=len(years))
    expected = inflow_driven(cohort_inflow, lt, years).outflow
    assert np.abs(mean_out - expected).max() < 0.03 * expected.max()
    np.testing.assert_allclose(mc.inflow(years), cohort_inflow)
    assert mc.outflow(years).shape == (3000, len(years))


def test_monte_carlo_shapes_seed_and_balance() -> None:
    events = pd.DataFrame({"asset_id": ["wind-b"], "event": ["decommissioning"], "year": [2028]})
    lts = {k: Weibull(3.5, 22) for k in LIFETIMES}
    a = asset_exits(_assets(), lts, events, n_draws=500, rng=np.random.default_rng(4))
    b = asset_exits(_assets(), lts, events, n_draws=500, rng=np.random.default_rng(4))
    assert np.array_equal(a.exit_year, b.exit_year) and a.exit_year.shape == (500, 5)
    assert (a.exit_year[:, 1] == 2028).all()
    content = np.arange(15, dtype=float).reshape(5, 3)
    out, stock = a.outflow(YEARS, content), a.stock(YEARS, content)
    assert out.shape == stock.shape == (500, len(YEARS), 3)
    prev = np.concatenate([a.stock([2019], content), stock[:, :-1]], axis=1)
    np.testing.assert_allclose(stock - prev, a.inflow(YEARS, content)[None] - out, atol=1e-9)
    assert a.outflow_by_asset(YEARS).shape == (500, len(YEARS), 5)


@pytest.mark.parametrize("change, text", [
    (lambda a, e: (a.assign(asset_id=["x", "x", "y", "z", "w"]), e), "asset_id 'x' is not unique"),
    (lambda a, e: (a.drop(columns="quantity"), e), "no column 'quantity'"),
    (lambda a, e: (a.assign(quantity=[1, -1, 1, 1, 1]), e), r"row 1 \(asset_id 'wind-b'\), column 'quantity'"),
    (lambda a, e: (a.assign(commissioning_year=[2000, None, 2001, 2002, 2003]), e),
     "row 1, column 'commissioning_year': missing"),
    (lambda a, e: (a.assign(commissioning_year=[2000.5, 2001, 2001, 2002, 2003]), e), "not a whole number"),
    (lambda a, e: (a.assign(technology_id=["wind_gb", "wind_xx", "wind_dd", "pv_csi", "wind_dd"]), e),
     "no lifetime for technology_id 'wind_xx'"),
    (lambda a, e: (a, e.assign(event=["explosion"])), "unknown event"),
    (lambda a, e: (a, e.assign(asset_id=["nope"])), "asset_id is not in the assets frame"),
    (lambda a, e: (a, e.assign(year=[1990])), "year 1990 is before the asset's commissioning_year 2005"),
    (lambda a, e: (a, e.assign(event=["lifetime_extension"])), "extension_years must be a whole number > 0"),
    (lambda a, e: (a, e.assign(event=["repowering"], replacement_asset_id=["ghost"])),
     "replacement_asset_id 'ghost' is not in the assets frame"),
    (lambda a, e: (a, e.assign(units_removed=[11])), "events row 0 .*units_removed 11 exceeds the asset.s units 10"),
    (lambda a, e: (a, e.assign(units_removed=[-1])), "units_removed must be > 0"),
    (lambda a, e: (a, e.drop(columns="year")), "events frame has no column 'year'"),
    (lambda a, e: (a.assign(decommissioning_year=[1999, None, None, None, None]), e),
     "decommissioning_year 1999 is before commissioning_year 2000"),
])
def test_bad_asset_input(change, text: str) -> None:
    events = pd.DataFrame({"asset_id": ["wind-b"], "event": ["decommissioning"], "year": [2028]})
    assets, events = change(_assets(), events)
    with pytest.raises(ModelError, match=text):
        asset_exits(assets, LIFETIMES, events)


def test_bad_options() -> None:
    with pytest.raises(ModelError, match="n_draws must be a positive integer"):
        asset_exits(_assets(), LIFETIMES, n_draws=0)
    with pytest.raises(ModelError, match="has no lifetime"):
        asset_exits(_assets(), None)
    with pytest.raises(ModelError, match="scalar distributions"):
        asset_exits(_assets(), Weibull([2.0, 3.0], 20))
    ex = asset_exits(_assets(), LIFETIMES)
    with pytest.raises(ModelError, match="one row per asset"):
        ex.outflow(YEARS, np.ones((3, 2)))
    with pytest.raises(ModelError, match="finite and >= 0"):
        ex.outflow(YEARS, -np.ones((5, 2)))
    with pytest.raises(ModelError, match="consecutive"):
        ex.outflow([2020, 2022])
