"""Monte Carlo of end-of-life flows and demand: lifetimes, material intensities and recovery rates together.

Pure functions on arrays (no I/O). Shapes: ``D`` draws, ``Y`` years, ``M`` materials, ``n`` assets, ``T``
technologies, ``C`` asset classes. Tonnes throughout.

What is sampled (:data:`SAMPLED_INPUTS`), per draw and jointly:

* **lifetimes** of single assets (wind farms): an exit year per asset from its technology's lifetime
  distribution, conditional on being in use in the registry year, after the region's events
  (:func:`critmat.models.dynamics.asset_exits`);
* **material intensities**: one beta-PERT draw per technology and material of the factor
  ``intensity / central`` over ``[low/central, 1, high/central]`` of the intensity package (the median of the
  ratios over the technology's vintage rows). One draw applies to every asset of the technology, old and new
  (the uncertainty is about the technology, as in :mod:`critmat.models.inventory`), so the factor scales both
  what leaves and what replaces it;
* **recovery rates**: one beta-PERT draw per material of a factor over ``[0.5, 1, 1.5]`` times the scenario's
  rate, capped at 1 (the UNEP end-of-life recycling-rate classes the rates come from span about a factor
  of two: assumption ``critmat_assumption_mc_ranges``). The same factor applies in every class and year.

Not sampled (:data:`NOT_SAMPLED`): the lifetimes of fleets and solar cohorts (thousands of units: the
draws average out; the uncertainty of their *mean* lifetime is not sampled), the pathway shares (export for
reuse, collection, replacement) and pretreatment shares (scenario choices, not estimates).

Statistics (:data:`STATISTICS`): the 5th, 50th and 95th percentiles of the draws; the median is the
central value of a Monte Carlo result and lies in its band by construction. The deterministic run (mean
lifetimes, central intensities and rates) is a separate result.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from critmat.models import circularity as circ
from critmat.models.dynamics import AssetExits
from critmat.models.inventory import pert_draws

PERCENTILES = (5.0, 50.0, 95.0)
STATISTICS = ("p05", "p50", "p95")
RECOVERY_FACTOR = (0.5, 1.0, 1.5)
SAMPLED_INPUTS = (
    "lifetimes of single assets (wind farms): exit year per asset and draw",
    "material intensities: one beta-PERT factor per technology and material over its low/central/high range",
    "recovery rates: one beta-PERT factor per material over 0.5-1.5 x the scenario's rate (capped at 1)",
)
NOT_SAMPLED = (
    "lifetimes of fleets (cars, grid, data centres) and solar cohorts (many units: draws average out)",
    "pathway shares (export for reuse, collection, replacement) and pretreatment (scenario settings)",
)
BAND_VARIABLES = ("outflow", "reused", "recovered", "lost", "demand_replacement", "demand_new", "demand")
Progress = Callable[[int, int], None]


def quantiles(draws: np.ndarray, axis: int = 0) -> np.ndarray:
    """``(3, ...)``: the 5th, 50th and 95th percentiles over ``axis`` (NaNs ignored; all-NaN → NaN).

    Equal to ``np.nanpercentile(draws, PERCENTILES, axis=axis)`` (linear interpolation), computed in one
    vectorised pass: numpy's nanpercentile loops in Python over every 1-d slice of a multi-dimensional
    array (tens of thousands of slices for the flows' (draws, years, materials) arrays)."""
    a = np.moveaxis(np.asarray(draws, dtype=float), axis, 0)
    nan = np.isnan(a)
    if not nan.any():
        return np.percentile(a, PERCENTILES, axis=0)
    s = np.sort(a, axis=0)                              # NaNs sort last
    n = (~nan).sum(axis=0)                              # valid draws per slice
    out = np.full((len(PERCENTILES), *a.shape[1:]), np.nan)
    ok = n > 0
    for k, p in enumerate(PERCENTILES):
        pos = (p / 100.0) * np.maximum(n - 1, 0)
        lo = np.floor(pos).astype(np.int64)
        hi = np.minimum(lo + 1, np.maximum(n - 1, 0))
        t = pos - lo
        vlo = np.take_along_axis(s, lo[None], axis=0)[0]
        vhi = np.take_along_axis(s, hi[None], axis=0)[0]
        with np.errstate(all="ignore"):   # numpy's lerp: exact at both ends
            d = vhi - vlo
            v = np.where(t >= 0.5, vhi - d * (1 - t), vlo + d * t)
        out[k] = np.where(ok, v, np.nan)
    return out


def intensity_ratio_bounds(intensities: pd.DataFrame, techs: Sequence[str], mats: Sequence[str]
                           ) -> tuple[np.ndarray, np.ndarray]:
    """``(low, high)`` ratios to the central intensity, ``(T, M)``: the median over a technology's vintage
    rows of ``low/central`` and ``high/central``; 1 where there is no row or the central value is 0."""
    lo = np.ones((len(techs), len(mats)))
    hi = np.ones((len(techs), len(mats)))
    if intensities.empty:
        return lo, hi
    ints = intensities[intensities["technology_id"].isin(techs) & intensities["material_id"].isin(mats)]
    ce = pd.to_numeric(ints["central_kg_per_basis"], errors="coerce")
    ok = ce > 0
    ints = ints[ok].assign(lo=pd.to_numeric(ints.loc[ok, "low_kg_per_basis"]) / ce[ok],
                           hi=pd.to_numeric(ints.loc[ok, "high_kg_per_basis"]) / ce[ok])
    med = ints.groupby(["technology_id", "material_id"])[["lo", "hi"]].median()
    ti = {t: i for i, t in enumerate(techs)}
    mi = {m: j for j, m in enumerate(mats)}
    for (t, m), r in med.iterrows():
        lo[ti[t], mi[m]] = min(float(r["lo"]), 1.0)
        hi[ti[t], mi[m]] = max(float(r["hi"]), 1.0)
    return lo, hi


def intensity_factors(lo: np.ndarray, hi: np.ndarray, n_draws: int, rng: np.random.Generator) -> np.ndarray:
    """``(D, T, M)`` beta-PERT factors over ``[lo, 1, hi]`` (point mass 1 where ``lo == hi == 1``)."""
    shape = lo.shape
    d = pert_draws(lo.ravel(), np.ones(lo.size), hi.ravel(), n_draws, rng)
    return d.reshape((n_draws, *shape))


def recovery_factors(n_mats: int, n_draws: int, rng: np.random.Generator,
                     bounds: tuple[float, float, float] = RECOVERY_FACTOR) -> np.ndarray:
    """``(D, M)`` beta-PERT factors on the recovery rates over ``bounds`` (low, mode, high)."""
    lo, mode, hi = (np.full(n_mats, b) for b in bounds)
    return pert_draws(lo, mode, hi, n_draws, rng)


@dataclass
class FlowDraws:
    """Inputs of :func:`simulate`, aggregated per key (asset class x technology; ``K`` keys).

    * ``key_class`` ``(K,)`` class name and ``key_tech`` ``(K,)`` technology index (into ``techs``) of each key;
    * ``parts``: deterministic ``outflow``, ``demand_replacement``, ``demand_new`` ``(K, Y, M)`` of the assets
      that are not single (fleets, cohorts, target fleets); ``single_new`` ``(K, Y, M)``: new demand of the
      single assets commissioned within the window;
    * ``exits``: exit-year draws of the single assets (or None), ``single_key`` ``(n_s,)`` their key,
      ``single_content`` ``(n_s, M)`` central tonnes of a whole single asset, ``single_qty`` ``(n_s,)``
      quantity (MW), ``successor`` ``(n_s,)``: replaced by a registered asset (no replacement demand);
    * ``vintage`` ``(T, Y, M)``: central tonnes per basis unit of a unit built in each year.
    """

    years: np.ndarray
    mats: Sequence[str]
    techs: Sequence[str]
    key_class: np.ndarray
    key_tech: np.ndarray
    parts: Mapping[str, np.ndarray]
    single_new: np.ndarray
    exits: AssetExits | None
    single_key: np.ndarray
    single_content: np.ndarray
    single_qty: np.ndarray
    successor: np.ndarray
    vintage: np.ndarray


def subset_exits(exits: AssetExits, assets: np.ndarray) -> AssetExits:
    """The exits of the assets at positions ``assets`` (their parts and draws), renumbered 0..len-1."""
    assets = np.asarray(assets, dtype=np.int64)
    new_pos = np.full(len(exits.asset_id), -1, dtype=np.int64)
    new_pos[assets] = np.arange(len(assets))
    parts = np.flatnonzero(new_pos[exits.part_asset] >= 0)
    return AssetExits(asset_id=exits.asset_id[assets], commissioning_year=exits.commissioning_year[assets],
                      quantity=exits.quantity[assets], part_asset=new_pos[exits.part_asset[parts]],
                      part_share=exits.part_share[parts], exit_year=exits.exit_year[..., parts])


@dataclass
class FlowBands:
    """Percentile bands: ``by_class[cls][variable]`` ``(3, Y, M)`` (p05, p50, p95; class ``all`` too, with
    ``eol_rir``), ``totals[variable]`` ``(3, M)`` over the window's sums (``secondary_supply`` for
    ``recovered``), ``eol_rir`` ``(3, M)`` of the window sums and ``meets_share`` ``(M,)``: the share of
    draws whose window EoL-RIR reaches the benchmark (NaN without a benchmark)."""

    by_class: dict[str, dict[str, np.ndarray]]
    totals: dict[str, np.ndarray]
    eol_rir: np.ndarray
    meets_share: np.ndarray


def simulate(fd: FlowDraws, params: circ.PathwayParameters, int_factor: np.ndarray, rec_factor: np.ndarray, *,
             all_label: str = "all", benchmark: float | None = None,
             progress: Progress | None = None) -> FlowBands:
    """Draws of the flows per asset class, reduced to percentile bands (see module docstring).

    ``int_factor`` ``(D, T, M)`` and ``rec_factor`` ``(D, M)`` from :func:`intensity_factors` and
    :func:`recovery_factors`; ``fd.exits`` holds ``D`` exit-year draws of the single assets (or None).
    Memory: a few ``D x Y x M`` arrays per class; the single assets' exit draws are aggregated per key
    (one sparse product per key over its own assets), nothing else is per asset.
    """
    n_d = int_factor.shape[0]
    years = fd.years
    n_y, n_m = len(years), len(fd.mats)
    classes = sorted(set(fd.key_class.tolist()))
    totals = {v: np.zeros((n_d, n_y, n_m)) for v in BAND_VARIABLES}
    by_class: dict[str, dict[str, np.ndarray]] = {}
    for step, cls in enumerate(classes):
        c = params.index(cls)
        o = np.zeros((n_d, n_y, n_m))
        dem_r = np.zeros((n_d, n_y, n_m))
        dem_n = np.zeros((n_d, n_y, n_m))
        keys = np.flatnonzero(fd.key_class == cls)
        for k in keys[np.argsort(fd.key_tech[keys], kind="stable")]:
            t = int(fd.key_tech[k])
            f = int_factor[:, t, None, :]                          # (D, 1, M)
            # fleets and cohorts: deterministic quantities, sampled intensity
            for v, arr in (("outflow", o), ("demand_replacement", dem_r), ("demand_new", dem_n)):
                if fd.parts[v][k].any():
                    arr += f * fd.parts[v][k][None]
            mine = np.flatnonzero(fd.single_key == k)
            if len(mine) and fd.exits is not None:
                ex = subset_exits(fd.exits, mine)
                o += f * ex.outflow(years, fd.single_content[mine])          # (D, Y, M)
                q = np.where(fd.successor[mine], 0.0, fd.single_qty[mine])
                if (~fd.successor[mine]).any():
                    q_out = ex.outflow(years, q)                               # (D, Y)
                    dem_r += f * (q_out * params.replacement[c][None])[:, :, None] * fd.vintage[t][None]
                dem_n += f * fd.single_new[k][None]
        rc = np.minimum(params.recovery[c].T[None] * rec_factor[:, None, :], 1.0)   # (D, Y, M)
        p = circ.apply_pathways(o, params.export_reuse[c][None, :, None], params.collection[c][None, :, None],
                                params.pretreatment[c].T[None], rc)
        per = {"outflow": o, "reused": p["reused"], "recovered": p["recovered"], "lost": p["lost"],
               "demand_replacement": dem_r, "demand_new": dem_n, "demand": dem_r + dem_n}
        for v in BAND_VARIABLES:
            totals[v] += per[v]
        by_class[cls] = {v: quantiles(per[v]) for v in BAND_VARIABLES}
        if progress:
            progress(step + 1, len(classes) + 1)
    allb = {v: quantiles(totals[v]) for v in BAND_VARIABLES}
    allb["eol_rir"] = quantiles(circ.recycling_input_rate(totals["recovered"], totals["demand"])[0])
    by_class[all_label] = allb
    sums = {v: totals[v].sum(axis=1) for v in BAND_VARIABLES}     # (D, M)
    rir = circ.recycling_input_rate(sums["recovered"], sums["demand"])[0]
    if benchmark is not None:
        with np.errstate(invalid="ignore"):
            meets = np.where(np.isnan(rir), np.nan, rir >= benchmark)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            meets_share = np.nanmean(meets, axis=0)
    else:
        meets_share = np.full(n_m, np.nan)
    if progress:
        progress(len(classes) + 1, len(classes) + 1)
    return FlowBands(by_class=by_class, totals={v: quantiles(s) for v, s in sums.items()}, eol_rir=quantiles(rir),
                     meets_share=meets_share)
