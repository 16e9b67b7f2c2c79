"""Dynamic stock models: inflow-driven, stock-driven and asset-level (with events and Monte Carlo).

Time convention (the project's rule, shared with ODYM and with flodym's ``inflow_at="end"``):

* values are **end-of-year**: ``stock[t]`` is what is in use at the end of year ``years[t]``; ``inflow[t]``
  and ``outflow[t]`` are the totals entering and leaving during that year;
* a cohort entering in year ``t`` has **age 0 in year t**;
* the share of a cohort still in use at age ``a`` is the lifetime's survival function ``sf(a)``
  (:mod:`critmat.models.lifetimes`), so ``stock_by_cohort[t, c] = sf(t - c) * inflow[c]`` for ``t >= c``;
* ``outflow[t] = stock[t-1] + inflow[t] - stock[t]`` (with ``stock[-1] = 0``): the part of a cohort that
  does not survive its first year (``1 - sf(0)``) leaves in the year it entered.

Arrays have time on axis 0 and any trailing dimensions (regions, assets, materials ...); lifetimes with
array parameters broadcast against the trailing dimensions (e.g. ``Weibull(shape=k[:, None], scale=s[:,
None])`` for inflow of shape ``(years, assets, materials)``). Units are whatever the inputs carry (tonnes,
MW, units); the models are linear and unit-agnostic. Years must be consecutive integers.

Speed: the survival matrix is a lower-triangular Toeplitz matrix built once per distinct lifetime; stocks
are one matrix product over all trailing elements (``T x T @ T x N``), stock-driven inflows one
triangular solve; cohort arrays (``T x T x ...``) are only built when asked for.

Asset-level mode (:func:`asset_exits`): each asset has its own commissioning year and lifetime, plus events
(repowering, lifetime extension, early or partial decommissioning); the result gives, per asset, the year it
leaves the stock (deterministic) or ``n_draws`` sampled exit years (Monte Carlo), and aggregates outflow,
inflow and stock per year x material with the material content of each asset.

Example::

    from critmat.models.lifetimes import Weibull, Normal
    from critmat.models.dynamics import inflow_driven, stock_driven, asset_exits

    r = inflow_driven(inflow_t, Weibull(shape=5.3759, scale=30), years=range(2000, 2051))
    r.stock, r.outflow, r.stock_by_cohort            # (T, ...), (T, ...), (T, T, ...)

    ex = asset_exits(assets, {"wind_gb_dfig": Normal(22, 4), "pv_csi": Weibull(5.3759, 30)}, events,
                     n_draws=10_000, rng=42, alive_in=2024)
    out = ex.outflow(range(2025, 2061), content_t)   # (10_000, 36, n_materials) tonnes
    low, mid, high = np.percentile(out, [5, 50, 95], axis=0)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.linalg import solve_triangular, toeplitz

from critmat.errors import ModelError
from critmat.models.lifetimes import Fixed, Lifetime, exit_age

__all__ = [
    "StockModelResult",
    "inflow_driven",
    "stock_driven",
    "AssetExits",
    "asset_exits",
    "EVENT_TYPES",
]

EVENT_TYPES = ("repowering", "lifetime_extension", "decommissioning", "commissioning")
_MAX_GROUPS_FOR_MATMUL = 64


# ----------------------------------------------------------------------------------------------------
# validation helpers
# ----------------------------------------------------------------------------------------------------

def _check_years(years: np.ndarray | list[int] | None, n: int) -> np.ndarray:
    """Consecutive integer years of length ``n`` (default ``0..n-1``); ModelError naming the index."""
    if years is None:
        return np.arange(n, dtype=np.int64)
    y = np.asarray(years)
    if y.ndim != 1 or len(y) != n:
        raise ModelError(f"years must be a 1-D array of length {n} (the time axis), got shape {y.shape}")
    yf = y.astype(float)
    bad = ~np.isfinite(yf) | (yf != np.round(yf))
    if bad.any():
        i = int(np.argmax(bad))
        raise ModelError(f"years must be whole numbers, got {y[i]!r} at index {i}")
    yi = yf.astype(np.int64)
    d = np.diff(yi)
    if (d <= 0).any():
        i = int(np.argmax(d <= 0)) + 1
        raise ModelError(f"years must be strictly increasing: {yi[i]} at index {i} follows {yi[i - 1]}")
    if (d != 1).any():
        i = int(np.argmax(d != 1)) + 1
        raise ModelError(f"years must be consecutive (a yearly axis): {yi[i]} at index {i} follows "
                         f"{yi[i - 1]}")
    return yi


def _check_values(values: np.ndarray, name: str, years: np.ndarray | None = None) -> np.ndarray:
    """Float array, time on axis 0, finite and >= 0; ModelError naming the value, index (and year)."""
    try:
        arr = np.array(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ModelError(f"{name} must be numeric: {exc}") from exc
    if arr.ndim == 0:
        raise ModelError(f"{name} must have a time axis (axis 0), got a scalar")
    if arr.shape[0] == 0:
        raise ModelError(f"{name} has an empty time axis")
    if arr.size == 0:
        raise ModelError(f"{name} is empty (shape {arr.shape})")
    with np.errstate(invalid="ignore", over="ignore"):
        if arr.min() >= 0 and np.isfinite(arr.sum()):  # fast path: two reductions, no temporaries
            return arr
    for bad, rule in ((~np.isfinite(arr), "must be finite"), (arr < 0, "must be >= 0")):
        if bad.any():
            idx = tuple(int(i) for i in np.unravel_index(int(np.argmax(bad)), arr.shape))
            yr = f" (year {years[idx[0]]})" if years is not None and len(years) == arr.shape[0] else ""
            raise ModelError(f"{name} {rule}: value {float(arr[idx])!r} at index {idx}{yr}")
    return arr


def _series_input(values: object, years: object, name: str) -> tuple[np.ndarray, np.ndarray | None]:
    """Checked values (time on axis 0) and years; a pandas input indexed by year carries its years."""
    if years is None and isinstance(values, (pd.Series, pd.DataFrame)):
        years = values.index.to_numpy()
    arr = np.asarray(values)
    n_t = arr.shape[0] if arr.ndim else 0
    yrs = _check_years(years, n_t) if arr.ndim else None
    return _check_values(arr, name, yrs), yrs


def _check_lifetime(lifetime: Lifetime, trailing: tuple[int, ...]) -> None:
    if not isinstance(lifetime, Lifetime):
        raise ModelError(f"lifetime must be a critmat.models.lifetimes distribution, got {lifetime!r}")
    p = lifetime.batch_shape
    try:
        ok = np.broadcast_shapes(p, trailing) == trailing
    except ValueError:
        ok = False
    if not ok:
        raise ModelError(f"lifetime parameters of shape {p} do not broadcast to the trailing dimensions "
                         f"{trailing} of the data (time is axis 0)")


def _readonly(a: np.ndarray) -> np.ndarray:
    a.setflags(write=False)
    return a


# ----------------------------------------------------------------------------------------------------
# survival-matrix algebra
# ----------------------------------------------------------------------------------------------------

def _lower_toeplitz(col: np.ndarray) -> np.ndarray:
    """Lower-triangular Toeplitz matrix ``M[t, c] = col[t - c]`` for ``t >= c``, else 0."""
    return toeplitz(col, np.zeros_like(col))


def _groups(sf: np.ndarray, trailing: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Distinct survival curves and, per flattened trailing element, the index of its curve.

    ``sf`` has shape ``(T, *P)`` with ``P`` broadcasting to ``trailing``; returns ``(curves (T, U),
    group (N,))``.
    """
    n_t = sf.shape[0]
    p = sf.shape[1:]
    flat = sf.reshape(n_t, -1)
    if flat.shape[1] == 1:
        return flat, np.zeros(int(np.prod(trailing, dtype=np.int64)), dtype=np.int64)
    curves, inv = np.unique(flat, axis=1, return_inverse=True)
    inv = np.asarray(inv).ravel()
    elem = np.broadcast_to(np.arange(flat.shape[1]).reshape(p), trailing).ravel()
    return curves, inv[elem]


def _apply_survival(curves: np.ndarray, group: np.ndarray, x: np.ndarray, *, solve: bool) -> np.ndarray:
    """``S @ x`` (or ``S^-1 x`` with ``solve``) per trailing column, ``S`` the Toeplitz matrix of its curve.

    ``x`` is ``(T, N)``. Few distinct curves: one BLAS matrix product (or triangular solve) per curve.
    Many curves (e.g. one lifetime per asset): a loop over the T lags, vectorised over all columns.
    """
    n_t, n = x.shape
    n_groups = curves.shape[1]
    if n_groups == 1:
        mat = _lower_toeplitz(curves[:, 0])
        if solve:
            return solve_triangular(mat, x, lower=True, check_finite=False)
        return mat @ x
    if n_groups <= _MAX_GROUPS_FOR_MATMUL:
        out = np.empty_like(x)
        order = np.argsort(group, kind="stable")
        bounds = np.searchsorted(group[order], np.arange(n_groups + 1))
        for g in range(n_groups):
            cols = order[bounds[g]:bounds[g + 1]]
            if len(cols) == 0:
                continue
            mat = _lower_toeplitz(curves[:, g])
            xs = x[:, cols]
            out[:, cols] = solve_triangular(mat, xs, lower=True, check_finite=False) if solve else mat @ xs
        return out
    sf_n = curves[:, group]  # (T, N): survival by age for every column
    out = np.zeros_like(x)
    if not solve:
        for k in range(n_t):
            out[k:] += sf_n[k] * x[: n_t - k]
        return out
    for t in range(n_t):  # forward substitution, vectorised over columns
        acc = x[t].copy()
        if t:
            acc -= np.einsum("kn,kn->n", sf_n[1: t + 1], out[t - 1:: -1][:t])
        out[t] = acc / sf_n[0]
    return out


def _outflow_from_balance(inflow: np.ndarray, stock: np.ndarray) -> np.ndarray:
    """outflow[t] = stock[t-1] + inflow[t] - stock[t]; rounding noise below zero is set to 0."""
    out = inflow.copy()
    out[1:] += stock[:-1]
    out -= stock
    np.maximum(out, 0.0, out=out)
    return out


# ----------------------------------------------------------------------------------------------------
# cohort (inflow-/stock-driven) models
# ----------------------------------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class StockModelResult:
    """Result of :func:`inflow_driven` / :func:`stock_driven` (read-only arrays, time on axis 0).

    ``stock``, ``inflow``, ``outflow`` have the shape of the input ``(T, ...)``; ``survival`` is the
    survival function by age ``(T, *lifetime.batch_shape)``; ``stock_by_cohort`` and
    ``outflow_by_cohort`` (``T x T x ...``: year x cohort x ...) are computed on first access.
    """

    years: np.ndarray
    inflow: np.ndarray
    outflow: np.ndarray
    stock: np.ndarray
    lifetime: Lifetime
    survival: np.ndarray

    def _by_age(self, by_age: np.ndarray) -> np.ndarray:
        """``out[t, c, ...] = by_age[t - c] * inflow[c]`` for ``t >= c``, else 0."""
        n_t = len(self.years)
        trail = self.inflow.ndim - 1
        table = by_age.reshape((n_t,) + (1,) * (trail - (by_age.ndim - 1)) + by_age.shape[1:])
        out = np.zeros((n_t, n_t) + self.inflow.shape[1:], dtype=float)
        for t in range(n_t):  # row t: cohorts 0..t have ages t..0
            np.multiply(table[t::-1], self.inflow[: t + 1], out=out[t, : t + 1])
        return _readonly(out)

    @cached_property
    def stock_by_cohort(self) -> np.ndarray:
        """``[t, c, ...] = sf(t - c) * inflow[c]`` for ``t >= c`` (year x cohort x ...)."""
        return self._by_age(self.survival)

    @cached_property
    def outflow_by_cohort(self) -> np.ndarray:
        """``[t, c, ...]``: what cohort ``c`` loses in year ``t`` (``1 - sf(0)`` at ``t = c``)."""
        pdf = np.empty_like(self.survival)
        pdf[0] = 1.0 - self.survival[0]
        pdf[1:] = self.survival[:-1] - self.survival[1:]
        return self._by_age(pdf)

    def balance(self) -> np.ndarray:
        """``inflow - outflow - (stock[t] - stock[t-1])`` per year: zero up to rounding."""
        d = np.diff(self.stock, axis=0, prepend=np.zeros_like(self.stock[:1]))
        return self.inflow - self.outflow - d


def inflow_driven(inflow: np.ndarray, lifetime: Lifetime,
                  years: np.ndarray | list[int] | None = None) -> StockModelResult:
    """Stock and outflow from yearly inflow and a lifetime distribution (see the module's time convention).

    Args:
        inflow: ``(T, ...)``, amount entering the stock each year (>= 0, finite), any unit.
        lifetime: a distribution of :mod:`critmat.models.lifetimes`; array parameters broadcast against
            the trailing dimensions of ``inflow``.
        years: consecutive years of axis 0 (default: the index of a pandas ``inflow``, else ``0..T-1``).

    Returns:
        :class:`StockModelResult` with ``stock[t] = sum_c sf(t - c) * inflow[c]`` and outflow by balance.
    """
    x, yrs = _series_input(inflow, years, "inflow")
    n_t = x.shape[0]
    trailing = x.shape[1:]
    _check_lifetime(lifetime, trailing)
    sf = lifetime.sf(np.arange(n_t))
    curves, group = _groups(sf, trailing)
    x2 = x.reshape(n_t, -1)
    stock = _apply_survival(curves, group, x2, solve=False).reshape(x.shape)
    outflow = _outflow_from_balance(x, stock)
    return StockModelResult(years=_readonly(yrs), inflow=_readonly(x), outflow=_readonly(outflow),
                            stock=_readonly(stock), lifetime=lifetime, survival=_readonly(sf))


def stock_driven(stock: np.ndarray, lifetime: Lifetime, years: np.ndarray | list[int] | None = None, *,
                 negative_inflow: Literal["error", "allow"] = "error") -> StockModelResult:
    """Inflow and outflow that keep a given end-of-year stock, given a lifetime distribution.

    Solves ``stock[t] = sum_{c <= t} sf(t - c) * inflow[c]`` (lower-triangular Toeplitz system).

    Args:
        stock: ``(T, ...)``, end-of-year stock (>= 0, finite).
        lifetime: as in :func:`inflow_driven`; ``sf(0)`` must be > 0 (a lifetime of 0 cannot hold a stock).
        years: consecutive years of axis 0 (default: the index of a pandas ``stock``, else ``0..T-1``).
        negative_inflow: a stock that falls faster than its cohorts retire needs negative inflow;
            ``"error"`` (default) raises ModelError naming year and index, ``"allow"`` keeps it (as flodym).

    Returns:
        :class:`StockModelResult`; its ``stock`` is recomputed from the inflow (equals the input up to
        rounding) so that it is consistent with ``stock_by_cohort``.
    """
    s, yrs = _series_input(stock, years, "stock")
    n_t = s.shape[0]
    if negative_inflow not in ("error", "allow"):
        raise ModelError(f"negative_inflow must be 'error' or 'allow', got {negative_inflow!r}")
    trailing = s.shape[1:]
    _check_lifetime(lifetime, trailing)
    sf = lifetime.sf(np.arange(n_t))
    if (sf[0] <= 0).any():
        raise ModelError(f"stock-driven model needs sf(0) > 0, but {lifetime!r} gives sf(0) = 0 "
                         "(everything leaves in the year it enters, so no stock can be built)")
    curves, group = _groups(sf, trailing)
    s2 = s.reshape(n_t, -1)
    inflow2 = _apply_survival(curves, group, s2, solve=True)
    scale = max(float(np.abs(s2).max(initial=0.0)), 1e-300)
    tiny = inflow2 < 0
    if tiny.any():
        very = inflow2 < -1e-9 * scale
        if very.any() and negative_inflow == "error":
            t, j = np.unravel_index(int(np.argmax(very)), inflow2.shape)
            idx = (int(t),) + tuple(int(i) for i in np.unravel_index(int(j), trailing))
            raise ModelError(f"stock-driven model needs negative inflow {float(inflow2[t, j])!r} at index {idx} "
                             f"(year {yrs[t]}): the stock falls faster than its cohorts retire under "
                             f"{lifetime!r}; pass negative_inflow='allow' to keep it")
        if negative_inflow == "error":
            inflow2 = np.where(tiny, 0.0, inflow2)  # rounding noise of a true zero
    inflow = inflow2.reshape(s.shape)
    stock_c = _apply_survival(curves, group, inflow2, solve=False).reshape(s.shape)
    if negative_inflow == "allow":
        outflow = inflow.copy()
        outflow[1:] += stock_c[:-1]
        outflow -= stock_c
    else:
        outflow = _outflow_from_balance(inflow, stock_c)
    return StockModelResult(years=_readonly(yrs), inflow=_readonly(inflow), outflow=_readonly(outflow),
                            stock=_readonly(stock_c), lifetime=lifetime, survival=_readonly(sf))


# ----------------------------------------------------------------------------------------------------
# asset-level model
# ----------------------------------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class AssetExits:
    """When each asset leaves the stock: deterministic (one exit year) or Monte Carlo (``n_draws``).

    An asset is split in *parts* only by partial decommissioning (``units_removed``); otherwise part i is
    asset i. ``exit_year`` is ``(n_parts,)`` (deterministic) or ``(n_draws, n_parts)`` (Monte Carlo); a
    part is in the end-of-year stock in year y iff ``commissioning_year <= y < exit_year``.

    Aggregations take ``years`` (consecutive) and ``content``: ``None`` (the asset's ``quantity``, e.g. MW),
    an array ``(n_assets,)`` or ``(n_assets, n_materials)`` of what one whole asset contains (e.g. tonnes
    of each material), or a DataFrame indexed by asset_id with one column per material.
    """

    asset_id: np.ndarray
    commissioning_year: np.ndarray
    quantity: np.ndarray
    part_asset: np.ndarray
    part_share: np.ndarray
    exit_year: np.ndarray

    @property
    def n_draws(self) -> int | None:
        """Number of Monte Carlo draws, or None for a deterministic result."""
        return None if self.exit_year.ndim == 1 else int(self.exit_year.shape[0])

    def exit_year_by_asset(self) -> pd.DataFrame | np.ndarray:
        """Deterministic: a frame asset_id, share, exit_year (one row per part). Monte Carlo: the array."""
        if self.n_draws is not None:
            return self.exit_year
        return pd.DataFrame({"asset_id": self.asset_id[self.part_asset], "share": self.part_share,
                             "exit_year": self.exit_year})

    # -- aggregation -----------------------------------------------------------------------------------
    def _content(self, content: np.ndarray | pd.DataFrame | None) -> tuple[np.ndarray, bool]:
        n = len(self.asset_id)
        if content is None:
            return self.quantity.reshape(n, 1), True
        if isinstance(content, pd.DataFrame):
            missing = set(self.asset_id) - set(content.index)
            if missing:
                raise ModelError(f"content has no row for asset(s) {sorted(missing)[:5]}")
            content = content.loc[list(self.asset_id)].to_numpy(dtype=float)
        c = np.asarray(content, dtype=float)
        squeeze = c.ndim == 1
        c = c.reshape(n, -1) if c.ndim == 1 and c.shape[0] == n else c
        if c.ndim != 2 or c.shape[0] != n:
            raise ModelError(f"content must have one row per asset ({n}), got shape {np.shape(content)}")
        if not np.isfinite(c).all() or (c < 0).any():
            bad = np.argwhere(~np.isfinite(c) | (c < 0))[0]
            raise ModelError(f"content must be finite and >= 0: {c[tuple(bad)]!r} for asset "
                             f"{self.asset_id[bad[0]]!r}, column {int(bad[1])}")
        return c, squeeze

    @staticmethod
    def _bins(year: np.ndarray, yrs: np.ndarray) -> np.ndarray:
        """0 = before the window, i + 1 = yrs[i], len(yrs) + 1 = after."""
        return np.clip(year.astype(np.int64) - yrs[0] + 1, 0, len(yrs) + 1)

    def _aggregate(self, year: np.ndarray, yrs: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """Sum ``weights[p]`` into ``(draws, len(yrs) + 2, M)`` by the bin of ``year[d, p]`` (sparse)."""
        year2 = year.reshape(-1, year.shape[-1])
        n_d, n_p = year2.shape
        n_b = len(yrs) + 2
        bins = self._bins(year2, yrs).astype(np.uint8 if n_b < 256 else np.uint16)
        # CSR matrix (draw x bin, part): per draw, parts sorted by bin (a radix sort on small ints);
        # the product then writes output rows in order and reads the small weight matrix from cache.
        order = np.argsort(bins, axis=1, kind="stable").astype(np.int32).ravel()
        counts = np.bincount((bins + (np.arange(n_d, dtype=np.int64) * n_b)[:, None]).ravel(),
                             minlength=n_d * n_b)
        indptr = np.zeros(n_d * n_b + 1, dtype=np.int64)
        np.cumsum(counts, out=indptr[1:])
        mat = sparse.csr_matrix((np.ones(n_d * n_p), order, indptr), shape=(n_d * n_b, n_p))
        return np.asarray(mat @ weights).reshape(n_d, n_b, weights.shape[1])

    def _weights(self, content: np.ndarray | pd.DataFrame | None) -> tuple[np.ndarray, bool]:
        c, squeeze = self._content(content)
        return c[self.part_asset] * self.part_share[:, None], squeeze

    def _finish(self, out: np.ndarray, squeeze: bool) -> np.ndarray:
        if squeeze:
            out = out[..., 0]
        return out[0] if self.n_draws is None else out

    def outflow(self, years: np.ndarray | list[int], content: np.ndarray | pd.DataFrame | None = None
                ) -> np.ndarray:
        """Outflow per year (x material): ``(Y[, M])`` deterministic, ``(n_draws, Y[, M])`` Monte Carlo."""
        yrs = _check_years(years, len(np.asarray(years)))
        w, squeeze = self._weights(content)
        out = self._aggregate(self.exit_year, yrs, w)[:, 1:-1]
        return self._finish(out, squeeze)

    def inflow(self, years: np.ndarray | list[int], content: np.ndarray | pd.DataFrame | None = None
               ) -> np.ndarray:
        """Commissioning per year (x material), ``(Y[, M])``: the same in every draw."""
        yrs = _check_years(years, len(np.asarray(years)))
        c, squeeze = self._content(content)
        out = self._aggregate(self.commissioning_year[np.newaxis], yrs, c)[0, 1:-1]
        return out[..., 0] if squeeze else out

    def stock(self, years: np.ndarray | list[int], content: np.ndarray | pd.DataFrame | None = None
              ) -> np.ndarray:
        """End-of-year stock per year (x material), shaped like :meth:`outflow`."""
        yrs = _check_years(years, len(np.asarray(years)))
        w, squeeze = self._weights(content)
        entered = self._aggregate(self.commissioning_year[self.part_asset][np.newaxis], yrs, w)
        left = self._aggregate(self.exit_year, yrs, w)
        out = np.cumsum(entered, axis=1)[:, 1:-1] - np.cumsum(left, axis=1)[:, 1:-1]
        np.maximum(out, 0.0, out=out)  # rounding noise of an empty stock
        return self._finish(out, squeeze)

    def outflow_by_asset(self, years: np.ndarray | list[int]) -> np.ndarray:
        """Quantity leaving per year x asset: ``(Y, n_assets)`` or ``(n_draws, Y, n_assets)`` (dense:
        mind ``n_draws * Y * n_assets * 8`` bytes)."""
        yrs = _check_years(years, len(np.asarray(years)))
        n = len(self.asset_id)
        w = sparse.csr_matrix((self.part_share * self.quantity[self.part_asset],
                               (np.arange(len(self.part_asset)), self.part_asset)),
                              shape=(len(self.part_asset), n)).toarray()
        return self._finish(self._aggregate(self.exit_year, yrs, w)[:, 1:-1], False)


def _opt_col(frame: pd.DataFrame, col: str) -> pd.Series | None:
    return frame[col] if col in frame.columns else None


def _resolve_lifetimes(assets: pd.DataFrame, lifetimes: Lifetime | Mapping[str, Lifetime] | None,
                       by: str) -> list[Lifetime]:
    """One scalar Lifetime per asset: column ``lifetime_years`` (Fixed) first, else ``lifetimes``."""
    n = len(assets)
    per_asset = _opt_col(assets, "lifetime_years")
    out: list[Lifetime | None] = [None] * n
    if per_asset is not None:
        vals = pd.to_numeric(per_asset, errors="coerce")
        for i, (raw, v) in enumerate(zip(per_asset, vals, strict=True)):
            if pd.isna(v):
                if not pd.isna(raw):
                    raise ModelError(f"assets row {i}, column 'lifetime_years': not a number: {raw!r}")
                continue
            out[i] = Fixed(float(v))
    cache: dict[float, Fixed] = {}
    out = [cache.setdefault(float(lt.mean), lt) if isinstance(lt, Fixed) else lt for lt in out]
    missing = [i for i, lt in enumerate(out) if lt is None]
    if missing:
        if isinstance(lifetimes, Lifetime):
            for i in missing:
                out[i] = lifetimes
        elif isinstance(lifetimes, Mapping):
            if by not in assets.columns:
                raise ModelError(f"lifetimes are given per '{by}' but the assets frame has no column '{by}'")
            keys = assets[by].to_numpy()
            for i in missing:
                if keys[i] not in lifetimes:
                    raise ModelError(f"assets row {i} (asset_id {assets['asset_id'].iloc[i]!r}): no lifetime "
                                     f"for {by} {keys[i]!r} (known: {sorted(map(str, lifetimes))})")
                out[i] = lifetimes[keys[i]]
        else:
            i = missing[0]
            raise ModelError(f"assets row {i} (asset_id {assets['asset_id'].iloc[i]!r}) has no lifetime: give "
                             "column 'lifetime_years' or a lifetimes= distribution / mapping")
    for lt in set(map(id, out)):
        obj = next(x for x in out if id(x) == lt)
        if not isinstance(obj, Lifetime) or obj.batch_shape != ():
            raise ModelError(f"asset lifetimes must be scalar distributions, got {obj!r}")
    return out  # type: ignore[return-value]


def _int_col(frame: pd.DataFrame, col: str, what: str, *, required: bool = True) -> np.ndarray:
    if col not in frame.columns:
        if required:
            raise ModelError(f"{what} frame has no column '{col}'")
        return np.full(len(frame), np.nan)
    vals = pd.to_numeric(frame[col], errors="coerce").to_numpy(dtype=float)
    raw = frame[col].to_numpy()
    # the row rule below on the rows that may break it (empty or fractional), in order: the same first error
    nan = np.isnan(vals)
    with np.errstate(invalid="ignore"):
        suspect = (nan & (required | ~np.asarray(pd.isna(raw), dtype=bool))) | (np.isfinite(vals)
                                                                               & (vals != np.round(vals)))
    for i in np.flatnonzero(suspect):
        i = int(i)
        v, r = vals[i], raw[i]
        if (np.isnan(v) and not pd.isna(r)) or (np.isfinite(v) and v != np.round(v)):
            raise ModelError(f"{what} row {i}, column '{col}': not a whole number: {r!r}")
        if required and np.isnan(v):
            raise ModelError(f"{what} row {i}, column '{col}': missing value")
    return vals


def asset_exits(assets: pd.DataFrame,
                lifetimes: Lifetime | Mapping[str, Lifetime] | None = None,
                events: pd.DataFrame | None = None, *,
                by: str = "technology_id",
                n_draws: int | None = None,
                rng: np.random.Generator | int | None = None,
                alive_in: int | None = None) -> AssetExits:
    """Year each asset leaves the stock, from its lifetime and events; Monte Carlo with ``n_draws``.

    Args:
        assets: one row per asset with ``asset_id`` (unique), ``commissioning_year``, ``quantity`` (>= 0;
            MW, km or units — what ``content`` is per when ``content=None``); optional ``lifetime_years``
            (a fixed lifetime for that asset, overrides ``lifetimes``), ``by`` column (default
            ``technology_id``) to look up ``lifetimes``, ``decommissioning_year`` (known exit), ``units``
            (for partial decommissioning) and ``status``.
        lifetimes: one distribution for all assets, or a mapping from the ``by`` column to distributions.
        events: optional rows ``asset_id, event, year`` plus ``extension_years`` (lifetime_extension),
            ``replacement_asset_id`` (repowering; must be an asset of the frame, which carries the new
            asset's own commissioning year) and ``units_removed`` (decommissioning of part of an asset):
            * ``decommissioning`` / ``repowering`` in year Y: the asset (or the ``units_removed / units``
              share of it) leaves in Y — a known or planned date overrides the lifetime model;
            * ``lifetime_extension`` in year Y by ``extension_years`` E (e.g. the end of a 20-year design
              life, extended by 5 years): the asset stays in use through year Y + E - 1 and leaves no
              earlier than Y + E. Its lifetime is conditioned on that (``L > Y + E - 1 - commissioning``);
              E is *not* added to a drawn lifetime, since lifetime distributions describe observed service
              lives, extensions included (adding it would count the extension twice). Several extensions
              of one asset: the latest end counts;
            * ``commissioning``: informational (the asset's commissioning_year is used).
        n_draws: None → deterministic: exit at age ``ceil(mean lifetime)``; an integer → that many draws of
            the lifetime per asset (``exit_age = max(ceil(L), 0)``, matching ``sf``).
        rng: ``np.random.Generator`` or seed (Monte Carlo only; default seed 0 for reproducibility).
        alive_in: year the registry describes: assets with status ``operational`` (all assets commissioned
            by then when there is no ``status`` column) are known to be in use at the end of that year,
            so their lifetime is drawn conditional on surviving to that age (deterministic: exit no
            earlier than ``alive_in + 1``).

    Returns:
        :class:`AssetExits`; call ``.outflow(years, content)``, ``.stock(...)``, ``.inflow(...)``.
    """
    if not isinstance(assets, pd.DataFrame):
        raise ModelError(f"assets must be a pandas DataFrame, got {type(assets).__name__}")
    for col in ("asset_id", "commissioning_year", "quantity"):
        if col not in assets.columns:
            raise ModelError(f"assets frame has no column '{col}' (needs asset_id, commissioning_year, "
                             "quantity)")
    assets = assets.reset_index(drop=True)
    ids = assets["asset_id"].astype(str).to_numpy()
    dup = pd.Series(ids).duplicated()
    if dup.any():
        raise ModelError(f"assets row {int(np.argmax(dup.to_numpy()))}: asset_id {ids[dup.to_numpy()][0]!r} "
                         "is not unique")
    c_year = _int_col(assets, "commissioning_year", "assets").astype(np.int64)
    qty = pd.to_numeric(assets["quantity"], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(qty) | (qty < 0)
    if bad.any():
        i = int(np.argmax(bad))
        raise ModelError(f"assets row {i} (asset_id {ids[i]!r}), column 'quantity': must be a number >= 0, "
                         f"got {assets['quantity'].iloc[i]!r}")
    if n_draws is not None and (not isinstance(n_draws, (int, np.integer)) or n_draws < 1):
        raise ModelError(f"n_draws must be a positive integer or None, got {n_draws!r}")
    lts = _resolve_lifetimes(assets, lifetimes, by)
    n = len(assets)
    index = {a: i for i, a in enumerate(ids)}

    fixed_exit = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)  # full exit fixed by data/events
    alive_age = np.full(n, -np.inf)  # known in use at the end of this age
    partial: list[tuple[int, float, int]] = []  # (asset, share, year)

    dec = _int_col(assets, "decommissioning_year", "assets", required=False)
    for i in np.flatnonzero(np.isfinite(dec)):
        if dec[i] < c_year[i]:
            raise ModelError(f"assets row {i} (asset_id {ids[i]!r}): decommissioning_year {int(dec[i])} is "
                             f"before commissioning_year {c_year[i]}")
        fixed_exit[i] = min(fixed_exit[i], int(dec[i]))

    if alive_in is not None:
        status = _opt_col(assets, "status")
        known = (status.astype(str).str.lower() == "operational").to_numpy() if status is not None \
            else np.ones(n, dtype=bool)
        known = known & (c_year <= alive_in)  # not in place: pandas may hand out read-only arrays
        alive_age = np.where(known, np.maximum(alive_age, alive_in - c_year), alive_age)

    if events is not None and len(events):
        _apply_events(events.reset_index(drop=True), index, ids, c_year, assets, fixed_exit, alive_age,
                      partial)

    # parts: one per asset, plus one per partial decommissioning
    part_asset = np.arange(n)
    part_share = np.ones(n)
    part_fixed = fixed_exit.copy()
    if partial:
        extra_a = np.array([p[0] for p in partial])
        extra_s = np.array([p[1] for p in partial])
        extra_y = np.minimum(np.array([p[2] for p in partial], dtype=np.int64), fixed_exit[extra_a])
        np.subtract.at(part_share, extra_a, extra_s)
        over = part_share < -1e-9
        if over.any():
            i = int(np.argmax(over))
            raise ModelError(f"asset {ids[i]!r}: decommissioning events remove more units than it has")
        part_share = np.clip(part_share, 0.0, None)
        part_asset = np.concatenate([part_asset, extra_a])
        part_share = np.concatenate([part_share, extra_s])
        part_fixed = np.concatenate([part_fixed, extra_y])

    natural = np.flatnonzero(part_fixed[:n] == np.iinfo(np.int64).max)  # parts whose exit is drawn
    if n_draws is None:
        exit_year = part_fixed.copy()
        for lt, members in _by_lifetime(lts, natural):
            ages = exit_age(np.full(len(members), float(lt.expected())))
            a0 = alive_age[members]
            ages = np.where(np.isfinite(a0), np.maximum(ages, a0 + 1), ages).astype(np.int64)
            exit_year[members] = c_year[members] + ages
    else:
        gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(0 if rng is None else rng)
        exit_year = np.broadcast_to(np.minimum(part_fixed, np.iinfo(np.int32).max).astype(np.int32),
                                    (int(n_draws), len(part_fixed))).copy()
        for lt, members in _by_lifetime(lts, natural):
            a0 = alive_age[members]
            cond = np.isfinite(a0)
            draws = np.empty((int(n_draws), len(members)))
            if (~cond).any():
                k = int((~cond).sum())
                draws[:, ~cond] = lt.sample(int(n_draws) * k, gen).reshape(int(n_draws), k)
            if cond.any():
                draws[:, cond] = lt.sample(int(n_draws), gen, alive_at_age=a0[cond])
            exit_year[:, members] = c_year[members].astype(np.int32) + exit_age(draws).astype(np.int32)
    return AssetExits(asset_id=_readonly(ids), commissioning_year=_readonly(c_year),
                      quantity=_readonly(qty), part_asset=_readonly(part_asset),
                      part_share=_readonly(part_share), exit_year=_readonly(exit_year))


def _by_lifetime(lts: list[Lifetime], members: np.ndarray) -> list[tuple[Lifetime, np.ndarray]]:
    """Group asset indices by (identical) lifetime object."""
    groups: dict[int, list[int]] = {}
    for i in members:
        groups.setdefault(id(lts[i]), []).append(int(i))
    return [(lts[g[0]], np.array(g, dtype=np.int64)) for g in groups.values()]


def _apply_events(events: pd.DataFrame, index: dict[str, int], ids: np.ndarray, c_year: np.ndarray,
                  assets: pd.DataFrame, fixed_exit: np.ndarray, alive_age: np.ndarray,
                  partial: list[tuple[int, float, int]]) -> None:
    """Fold event rows into the per-asset arrays (in place); ModelError naming the event row."""
    for col in ("asset_id", "event", "year"):
        if col not in events.columns:
            raise ModelError(f"events frame has no column '{col}' (needs asset_id, event, year)")
    years = _int_col(events, "year", "events")
    ext = pd.to_numeric(events["extension_years"], errors="coerce").to_numpy(dtype=float) \
        if "extension_years" in events.columns else np.full(len(events), np.nan)
    removed = pd.to_numeric(events["units_removed"], errors="coerce").to_numpy(dtype=float) \
        if "units_removed" in events.columns else np.full(len(events), np.nan)
    repl = events["replacement_asset_id"].to_numpy() if "replacement_asset_id" in events.columns \
        else np.full(len(events), None)
    units = pd.to_numeric(assets["units"], errors="coerce").to_numpy(dtype=float) \
        if "units" in assets.columns else np.full(len(assets), np.nan)
    for r, (aid, kind) in enumerate(zip(events["asset_id"].astype(str), events["event"], strict=True)):
        where = f"events row {r} (asset_id {aid!r}, event {kind!r})"
        if kind not in EVENT_TYPES:
            raise ModelError(f"{where}: unknown event; expected one of {', '.join(EVENT_TYPES)}")
        if aid not in index:
            raise ModelError(f"{where}: asset_id is not in the assets frame")
        i = index[aid]
        y = int(years[r])
        if kind == "commissioning":
            continue
        if y < c_year[i]:
            raise ModelError(f"{where}: year {y} is before the asset's commissioning_year {c_year[i]}")
        if kind == "lifetime_extension":
            e = ext[r]
            if not np.isfinite(e) or e <= 0 or e != np.round(e):
                raise ModelError(f"{where}: extension_years must be a whole number > 0, got "
                                 f"{events['extension_years'].iloc[r] if 'extension_years' in events else None!r}")
            alive_age[i] = max(alive_age[i], y + int(e) - 1 - c_year[i])  # in use through Y + E - 1
            continue
        if kind == "repowering" and not pd.isna(repl[r]) and str(repl[r]) not in index:
            raise ModelError(f"{where}: replacement_asset_id {repl[r]!r} is not in the assets frame")
        rm = removed[r]
        if np.isfinite(rm):
            if rm <= 0:
                raise ModelError(f"{where}: units_removed must be > 0, got {rm!r}")
            if not np.isfinite(units[i]) or units[i] <= 0:
                raise ModelError(f"{where}: units_removed needs the asset's 'units' (> 0) in the assets frame")
            if rm > units[i]:
                raise ModelError(f"{where}: units_removed {rm:g} exceeds the asset's units {units[i]:g}")
            if rm < units[i]:
                partial.append((i, float(rm / units[i]), y))
                continue
        fixed_exit[i] = min(fixed_exit[i], y)
