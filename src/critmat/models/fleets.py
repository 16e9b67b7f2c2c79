"""Fleets (populations of many similar units: cars, grid, data-centre equipment) as stock-driven models.

Pure functions, no I/O. Time convention of :mod:`critmat.models.dynamics`: end-of-year stocks, a cohort
entering in year t has age 0 in year t, ``outflow(t) = stock(t-1) + inflow(t) - stock(t)``.

Quantities are in the fleet's basis unit (MW, km, units); multiply by a per-unit content to get tonnes.

* :func:`population_flows` — one registered population held at its registry stock: stationary (a steady
  state of constant inflow over an unbounded past), built from a commissioning year, or grown linearly from
  ``since`` to the registry year. Inflow = replacement + growth.
* :func:`target_fleet_flows` — a fleet that follows a target path (stock per year, e.g. from a
  scenario's ambition); the history before the first target year is a linear build-up from ``since``.
  Inflow splits into ``replacement`` (what replaces the year's outflow) and ``growth`` (the net stock
  increase), so ``inflow = replacement + growth`` and ``stock(t) - stock(t-1) = inflow - outflow`` hold in
  every year. A falling target has zero growth and replaces only what is still needed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from critmat.errors import ModelError
from critmat.models.dynamics import stock_driven
from critmat.models.lifetimes import Lifetime

STATIONARY_AGES = 2000  # ages summed for a stationary fleet's sum of sf (far beyond any lifetime)


@dataclass(frozen=True)
class FleetFlows:
    """Per year of ``years``: ``stock``, ``inflow``, ``outflow``, ``replacement``, ``growth`` (basis units)."""

    years: np.ndarray
    stock: np.ndarray
    inflow: np.ndarray
    outflow: np.ndarray
    replacement: np.ndarray
    growth: np.ndarray


def _split(path: np.ndarray, inflow: np.ndarray, outflow: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(replacement, growth)`` of an inflow: growth = net increase of the stock (>= 0), the rest replaces."""
    growth = np.maximum(np.diff(path, prepend=0.0), 0.0)
    growth = np.minimum(growth, inflow)
    return inflow - growth, growth


def population_flows(stock_q: float, lt: Lifetime, years: np.ndarray, commissioning: float | None,
                     since: int | None, registry_year: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(outflow, replacement, new)`` per year of ``years`` for one registered population of ``stock_q`` units.

    * ``commissioning`` given: the whole stock entered in that year and is then held constant.
    * else ``since`` given: the stock grew linearly from 0 in ``since`` to ``stock_q`` in ``registry_year``
      and is held constant afterwards.
    * neither: stationary — a constant inflow I over an unbounded past with ``stock = I * sum_a sf(a)``;
      outflow = replacement = I in every year, no growth.
    """
    years = np.asarray(years, dtype=np.int64)
    end = int(years[-1])
    if commissioning is None and since is None:
        sf_sum = float(np.sum(lt.sf(np.arange(STATIONARY_AGES))))
        rate = stock_q / sf_sum if sf_sum > 0 else 0.0
        flat = np.full(len(years), rate)
        return flat, flat.copy(), np.zeros(len(years))
    y0 = min(int(commissioning) if commissioning is not None else end, since if since is not None else end,
             int(years[0]))
    hist = np.arange(y0, end + 1)
    if commissioning is not None:
        path = np.where(hist >= int(commissioning), stock_q, 0.0)
    else:
        span = max(registry_year - since, 1)
        path = stock_q * np.clip((hist - since) / span, 0.0, 1.0)
    res = stock_driven(path, lt, hist)
    repl, new = _split(path, res.inflow, res.outflow)
    sel = np.isin(hist, years)
    return res.outflow[sel], repl[sel], new[sel]


def target_path(target_years: np.ndarray, target_stock: np.ndarray, years: np.ndarray) -> np.ndarray:
    """Stock per year of ``years`` interpolated linearly between target points, flat beyond the last and
    (before the first) at the first target's value. Raises :class:`ModelError` on unsorted or negative targets."""
    ty = np.asarray(target_years, dtype=float)
    ts = np.asarray(target_stock, dtype=float)
    if ty.ndim != 1 or ty.shape != ts.shape or len(ty) == 0:
        raise ModelError("a target path needs one stock per target year (at least one)")
    if np.any(np.diff(ty) <= 0):
        raise ModelError(f"target years must be strictly increasing, got {ty.astype(int).tolist()}")
    if not np.isfinite(ts).all() or (ts < 0).any():
        raise ModelError(f"target stocks must be finite and >= 0, got {ts.tolist()}")
    return np.interp(np.asarray(years, dtype=float), ty, ts)


def _stationary_prefix(lt: Lifetime, max_age: int = 400, tol: float = 1e-9) -> int:
    """Ages after which (almost) no unit survives: the length of a steady-state history."""
    sf = np.asarray(lt.sf(np.arange(max_age)), dtype=float)
    gone = np.flatnonzero(sf < tol)
    return int(gone[0]) + 1 if len(gone) else max_age


def _follow(path: np.ndarray, sf: np.ndarray, alive0: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cohort recursion that keeps ``path`` (end-of-year stock per step): ``(inflow, outflow, stock)``.

    ``alive0`` holds the cohorts in use before the first step, oldest first (age ``len(alive0)`` .. 1 at
    the first step). Each step the cohorts survive along ``sf``; a shortfall is filled by a new cohort
    (``inflow * sf(0)`` stays at the end of its first year), a surplus is retired early, pro rata over the
    cohorts. ``outflow = stock(t-1) + inflow - stock(t)``.
    """
    n = len(path)
    n_pre = len(alive0)
    alive = np.zeros(n_pre + n)
    alive[:n_pre] = alive0
    # ratio sf(a) / sf(a-1) for a cohort of age a (0 once extinct)
    ages = np.arange(n_pre + n + 1)
    sfa = np.interp(ages, np.arange(len(sf)), sf, right=0.0) if len(sf) < len(ages) else sf[: len(ages)]
    prev_sf = np.r_[1.0, sfa[:-1]]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(prev_sf > 0, sfa / prev_sf, 0.0)
    inflow = np.zeros(n)
    outflow = np.zeros(n)
    stock = np.zeros(n)
    prev_total = float(alive0.sum())
    for t in range(n):
        k = n_pre + t                               # index of the cohort entering now
        age = k - np.arange(k)                      # ages of the existing cohorts at step t
        alive[:k] *= ratio[age]
        natural = float(alive[:k].sum())
        target = float(path[t])
        if target >= natural:
            inflow[t] = (target - natural) / sfa[0] if sfa[0] > 0 else 0.0
            alive[k] = inflow[t] * sfa[0]
        elif natural > 0:
            alive[:k] *= target / natural           # early retirement of the surplus
        stock[t] = float(alive[: k + 1].sum())
        outflow[t] = prev_total + inflow[t] - stock[t]
        prev_total = stock[t]
    return inflow, outflow, stock


def target_fleet_flows(target_years: np.ndarray, target_stock: np.ndarray, lt: Lifetime, years: np.ndarray, *,
                       since: int | None = None) -> FleetFlows:
    """Stock-driven flows of a fleet that follows a target path (see module docstring).

    Args:
        target_years, target_stock: target points (years strictly increasing; stock >= 0, basis units),
            interpolated linearly (:func:`target_path`). The first point is the known stock (e.g. the
            registry year's fleet).
        lt: lifetime distribution of one unit.
        years: result years (consecutive).
        since: first year of the fleet: the stock grew linearly from 0 in ``since`` to the first target
            (young fleets: EVs, offshore wind). ``None``: at the first target year the fleet is in a steady
            state (constant inflow over a long past, the stationary age structure).

    A target that falls faster than its cohorts retire is met by early retirement (pro rata over the
    cohorts, counted in ``outflow``, no inflow), so the balance still holds.

    Returns :class:`FleetFlows` over ``years``; ``stock[t] - stock[t-1] = inflow[t] - outflow[t]`` and
    ``inflow = replacement + growth`` in every year.
    """
    years = np.asarray(years, dtype=np.int64)
    if len(years) == 0 or np.any(np.diff(years) != 1):
        raise ModelError("years must be consecutive")
    ty = np.asarray(target_years, dtype=np.int64)
    ts = np.asarray(target_stock, dtype=float)
    target_path(ty, ts, ty)  # validates
    first = int(ty[0])
    if since is not None and since > first:
        raise ModelError(f"fleet start {since} is after its first target year {first}")
    last = max(int(years[-1]), first)
    pre = _stationary_prefix(lt)
    sf = np.asarray(lt.sf(np.arange(pre + last - min(first, since or first) + 2)), dtype=float)
    if since is not None:
        hist = np.arange(int(since), last + 1)
        path = target_path(ty, ts, hist)
        before = hist < first
        span = max(first - since, 1)
        path[before] = float(ts[0]) * np.clip((hist[before] - since) / span, 0.0, 1.0)
        alive0 = np.zeros(0)
    else:
        hist = np.arange(first + 1, last + 1)
        path = target_path(ty, ts, hist)
        # steady state at `first`: cohorts of a constant inflow I, ages pre-1 .. 0, oldest first
        total = float(np.sum(sf[:pre]))
        rate = float(ts[0]) / total if total > 0 else 0.0
        alive0 = rate * sf[:pre][::-1]
    inflow, outflow, stock = _follow(path, sf, alive0)
    prev = np.r_[float(alive0.sum()), stock[:-1]]
    growth = np.clip(stock - prev, 0.0, None)
    growth = np.minimum(growth, inflow)
    repl = inflow - growth
    out = {}
    for name, arr in (("stock", stock), ("inflow", inflow), ("outflow", outflow), ("replacement", repl),
                      ("growth", growth)):
        full = np.zeros(len(years))
        pos = np.searchsorted(hist, years)
        ok = (pos < len(hist)) & (hist[np.minimum(pos, len(hist) - 1)] == years)
        full[ok] = arr[pos[ok]]
        if name == "stock":  # years before the history: the first target's stock (steady state)
            full[~ok & (years <= first)] = float(ts[0]) if since is None else 0.0
        out[name] = full
    return FleetFlows(years=years, **out)


def sales_share_fleets(stock: dict[str, float], lt: Lifetime, years: np.ndarray, start: int,
                       share_of_sales: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Fleets by drivetrain when the total fleet is held and the new units of each year are split by
    ``share_of_sales`` (drivetrain → share per year of ``years``; the shares of a year sum to 1).

    ``stock``: units per drivetrain at the end of ``start`` (the registry year). The total is held constant
    in a steady state (inflow ``I = total / Σ sf``); every drivetrain's registered units leave along the
    stationary survival curve (their age structure is taken as the fleet's), units sold after ``start``
    along ``sf``. Returns drivetrain → stock per year of ``years`` (units); the drivetrains sum to the total.
    """
    years = np.asarray(years, dtype=np.int64)
    total = float(sum(stock.values()))
    pre = _stationary_prefix(lt)
    n = int(years[-1]) - start + 1
    sf = np.asarray(lt.sf(np.arange(pre + n + 1)), dtype=float)
    sf_sum = float(sf[:pre].sum())
    if sf_sum <= 0:
        raise ModelError("the lifetime leaves no unit in use: cannot hold a fleet")
    inflow = total / sf_sum
    ks = np.arange(1, n + 1)                                   # years after start
    legacy = np.array([sf[k:k + pre].sum() / sf_sum for k in ks])  # share of the start stock still in use
    out = {}
    for d, s0 in stock.items():
        share = np.asarray(share_of_sales.get(d, np.zeros(len(years))), dtype=float)
        yr_share = np.interp(start + ks, years, share, left=share[0], right=share[-1])
        sold = inflow * yr_share                                  # units sold in start+1 .. end
        path = s0 * legacy + np.array([np.dot(sold[:k], sf[k - 1::-1][:k]) for k in ks])
        full = np.interp(years, start + ks, path, left=s0)
        full[years <= start] = s0
        out[d] = full
    return out
