"""End-of-life pathways and circularity indicators (pure functions, no I/O).

**Pathways.** What leaves the stock in a year (the *outflow*, tonnes of a material in one asset class)
splits, in this order, into

* ``reused``      = outflow x export_reuse                (whole products exported for reuse elsewhere);
* ``collected``   = (outflow - reused) x collection        (taken in by a waste operator);
* ``pretreated``  = collected x pretreatment               (reaches a fraction able to yield the material,
  e.g. magnets dismantled before shredding);
* ``recovered``   = pretreated x recovery                  (secondary raw material: the secondary supply);
* ``lost``        = ``lost_uncollected`` (outflow - reused - collected, e.g. cables left in the ground)
  + ``lost_pretreatment`` (collected - pretreated) + ``lost_recovery`` (pretreated - recovered).

so that, every year and for every cell, ``outflow = reused + recovered + lost`` (mass balance; exact up to
floating-point rounding). All shares are fractions in 0..1; anything else raises
:class:`~critmat.errors.ModelError` naming the value and where it is.

**Parameters.** Shares come as step schedules over years: a list of ``(year_from, share)`` points; the
share of year ``y`` is the one of the last point with ``year_from <= y`` (before the first point, the first
share). Tables give schedules per asset class (pathways) or per asset class and material (pre-treatment,
recovery; a row for one class wins over the ``all`` row). A scenario override replaces a schedule from its
first year on (the table's points before that year still apply).

**Indicators.** The end-of-life recycling input rate of a material is the region's secondary supply
against its own demand for that material (replacement of what leaves plus new assets of the pipeline):
``eol_rir = min(recovered, demand) / demand`` (the share of demand that the region's own secondary supply
could meet; ``nan`` without demand) and ``secondary_to_demand = recovered / demand`` (uncapped). It is set
beside the CRMA benchmark (25 % of EU consumption of strategic raw materials from recycling by 2030), which
is an EU-wide capacity target, not a regional obligation.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from critmat.errors import DataError, ModelError
from critmat.models.lifetimes import (
    Fixed,
    FoldedNormal,
    Lifetime,
    LogNormal,
    Normal,
    Weibull,
)

__all__ = [
    "ALL",
    "PATHWAYS",
    "PATHWAY_VARIABLES",
    "STAGES",
    "PathwayParameters",
    "Schedule",
    "apply_pathways",
    "balance_residual",
    "check_package",
    "indicator_frame",
    "lifetime_from_row",
    "merge_schedule",
    "recycling_input_rate",
    "resolve_parameters",
    "schedule_values",
    "shift_lifetime",
    "summary_frame",
]

#: Output variables of :func:`apply_pathways`, in order.
PATHWAY_VARIABLES = ("outflow", "reused", "collected", "pretreated", "recovered", "lost_uncollected",
                     "lost_pretreatment", "lost_recovery", "lost")
PATHWAYS = ("export_reuse", "collection", "replacement")
STAGES = ("pretreatment", "recovery")
ALL = "all"
#: Defaults when no table row and no override exists.
PATHWAY_DEFAULTS = {"export_reuse": 0.0, "collection": 1.0, "replacement": 1.0}
STAGE_DEFAULTS = {"pretreatment": 1.0, "recovery": 0.0}

Schedule = Sequence[tuple[int, float]]


# ------------------------------------------------------------------------------------------------ shares
def _check_share(value: Any, where: str) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError) as exc:
        raise ModelError(f"{where}: share must be a number between 0 and 1, got {value!r}") from exc
    if not np.isfinite(v) or v < 0 or v > 1:
        raise ModelError(f"{where}: share must be between 0 and 1, got {value!r}")
    return v


def _check_shares(arr: np.ndarray, name: str) -> np.ndarray:
    a = np.asarray(arr, dtype=float)
    bad = ~np.isfinite(a) | (a < 0) | (a > 1)
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0]) if a.ndim else ()
        raise ModelError(f"{name} must be a share between 0 and 1, got {float(a[idx])!r}"
                         + (f" at index {idx}" if idx else ""))
    return a


def schedule_values(points: Schedule, years: Sequence[int] | np.ndarray, where: str = "schedule") -> np.ndarray:
    """Step schedule ``[(year_from, share), ...]`` evaluated at ``years`` (see module docstring)."""
    if not points:
        raise ModelError(f"{where}: empty schedule")
    pts = sorted((int(y), _check_share(v, f"{where}, year {y}")) for y, v in points)
    ys = [p[0] for p in pts]
    if len(set(ys)) != len(ys):
        dup = next(y for y in ys if ys.count(y) > 1)
        raise ModelError(f"{where}: year {dup} is given twice")
    idx = np.searchsorted(np.array(ys), np.asarray(years, dtype=np.int64), side="right") - 1
    vals = np.array([p[1] for p in pts])
    return vals[np.clip(idx, 0, None)]


def merge_schedule(base: Schedule | None, override: Schedule | None) -> list[tuple[int, float]]:
    """``override`` from its first year on; ``base`` points before that year still apply."""
    if not override:
        return sorted(base or [])
    first = min(int(y) for y, _ in override)
    keep = [(int(y), float(v)) for y, v in (base or []) if int(y) < first]
    return sorted(keep + [(int(y), float(v)) for y, v in override])


# --------------------------------------------------------------------------------------------- lifetimes
def _num(row: Mapping[str, Any], col: str) -> float | None:
    v = row.get(col)
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
        return None
    return float(v)


def lifetime_from_row(row: Mapping[str, Any], where: str = "lifetime row") -> Lifetime:
    """A :mod:`critmat.models.lifetimes` distribution from a ``lifetimes`` table row (see field docs)."""
    kind = row.get("lifetime_distribution")
    mean, sd = _num(row, "lifetime_mean_years"), _num(row, "lifetime_sd_years")
    shape, scale = _num(row, "weibull_shape"), _num(row, "weibull_scale_years")

    def need(name: str, val: float | None) -> float:
        if val is None:
            raise DataError(f"{where}: distribution {kind!r} needs column '{name}'", column=name)
        return val

    try:
        if kind == "fixed":
            return Fixed(need("lifetime_mean_years", mean))
        if kind in ("normal", "folded_normal", "lognormal"):
            cls = {"normal": Normal, "folded_normal": FoldedNormal, "lognormal": LogNormal}[kind]
            return cls(need("lifetime_mean_years", mean), need("lifetime_sd_years", sd))
        if kind == "weibull":
            return Weibull(need("weibull_shape", shape), need("weibull_scale_years", scale))
    except ModelError as exc:
        raise DataError(f"{where}: {exc}") from exc
    raise DataError(f"{where}: unknown lifetime_distribution {kind!r} (fixed, normal, folded_normal, lognormal, "
                    "weibull)", column="lifetime_distribution")


def shift_lifetime(lt: Lifetime, years: float) -> Lifetime:
    """The lifetime made ``years`` longer (or shorter, negative) on average.

    Fixed, Normal, FoldedNormal and LogNormal move their mean (sd unchanged); a Weibull keeps its shape and
    stretches its scale so that its mean moves by ``years``. A shift that would make the mean <= 0 raises.
    """
    if years == 0:
        return lt
    mean = float(lt.expected())
    if mean + years <= 0:
        raise ModelError(f"lifetime shift of {years:+g} years leaves a mean of {mean + years:g} years for {lt!r}")
    if isinstance(lt, Fixed):
        return Fixed(float(lt.mean) + years)
    if isinstance(lt, (Normal, FoldedNormal, LogNormal)):
        return type(lt)(float(lt.mean) + years, float(lt.sd))
    if isinstance(lt, Weibull):
        return Weibull(float(lt.shape), float(lt.scale) * (mean + years) / mean)
    raise ModelError(f"cannot shift lifetime {lt!r}")


def check_package(loaded: Mapping[str, Any]) -> None:
    """Package check (``resources.yaml: checks``): every lifetime row gives a valid distribution."""
    for name in ("lifetimes", "material_lifetimes"):
        if name not in loaded:
            continue
        res = loaded[name]
        for i, row in enumerate(res.frame.to_dict(orient="records")):
            try:
                lifetime_from_row(row, where=f"row {i + 2}")
            except DataError as exc:
                raise DataError(str(exc), file=str(res.path)) from exc


# ---------------------------------------------------------------------------------------- parameters
@dataclass(frozen=True)
class PathwayParameters:
    """Shares per asset class (and material) and year, ready for :func:`apply_pathways`.

    ``export_reuse``, ``collection``, ``replacement``: ``(C, Y)``; ``pretreatment``, ``recovery``:
    ``(C, M, Y)``; axes follow ``classes``, ``materials``, ``years``. ``notes`` lists defaults used.
    """

    classes: tuple[str, ...]
    materials: tuple[str, ...]
    years: np.ndarray
    export_reuse: np.ndarray
    collection: np.ndarray
    replacement: np.ndarray
    pretreatment: np.ndarray
    recovery: np.ndarray
    notes: tuple[str, ...] = field(default=())

    def index(self, asset_class: str) -> int:
        try:
            return self.classes.index(asset_class)
        except ValueError as exc:
            raise ModelError(f"asset class {asset_class!r} has no pathway parameters "
                             f"(known: {', '.join(self.classes)})") from exc


def _schedules(frame: pd.DataFrame, keys: list[str]) -> dict[tuple, list[tuple[int, float]]]:
    out: dict[tuple, list[tuple[int, float]]] = {}
    for row in frame.itertuples(index=False):
        k = tuple(getattr(row, c) for c in keys)
        out.setdefault(k, []).append((int(row.eol_year_from), float(row.share)))
    return out


def resolve_parameters(pathways: pd.DataFrame, recovery_rates: pd.DataFrame, classes: Iterable[str],
                       materials: Iterable[str], years: Sequence[int] | np.ndarray, *,
                       pathway_overrides: Mapping[tuple[str, str], Schedule] | None = None,
                       stage_overrides: Mapping[tuple[str, str, str], Schedule] | None = None
                       ) -> PathwayParameters:
    """Shares per class (x material) x year from the package tables and scenario overrides.

    Args:
        pathways: rows ``applies_to, eol_pathway, eol_year_from, share`` (``eol_pathways`` table).
        recovery_rates: rows ``applies_to, material_id, eol_stage, eol_year_from, share``.
        classes, materials, years: the axes of the result.
        pathway_overrides: ``{(applies_to, pathway): schedule}``; ``applies_to`` may be ``"all"``.
        stage_overrides: ``{(applies_to, material, stage): schedule}``.

    Lookup order per cell: the class's override, else the ``all`` override, merged over the class's table
    schedule, else the ``all`` table schedule, else the default (export 0, collection 1, replacement 1,
    pretreatment 1, recovery 0 — recorded in ``notes``).
    """
    classes, materials = tuple(classes), tuple(materials)
    yrs = np.asarray(years, dtype=np.int64)
    for col in ("applies_to", "eol_pathway", "eol_year_from", "share"):
        if col not in pathways.columns:
            raise ModelError(f"eol_pathways frame lacks column '{col}'")
    for col in ("applies_to", "material_id", "eol_stage", "eol_year_from", "share"):
        if col not in recovery_rates.columns:
            raise ModelError(f"recovery_rates frame lacks column '{col}'")
    p_tab = _schedules(pathways, ["applies_to", "eol_pathway"])
    s_tab = _schedules(recovery_rates, ["applies_to", "material_id", "eol_stage"])
    p_over = dict(pathway_overrides or {})
    s_over = dict(stage_overrides or {})
    notes: list[str] = []

    def pick(table: dict, over: dict, cls: str, rest: tuple, default: float, label: str) -> np.ndarray:
        base = table.get((cls, *rest)) or table.get((ALL, *rest))
        ov = over.get((cls, *rest)) or over.get((ALL, *rest))
        if base is None and ov is None:
            notes.append(f"no {label} for {cls}: {default:g} assumed")
            return np.full(len(yrs), default)
        if base is None:
            base = [(1900, default)]  # the default holds before the override's first year
        return schedule_values(merge_schedule(base, ov), yrs, where=f"{label} of {cls}")

    n_c, n_m, n_y = len(classes), len(materials), len(yrs)
    arrays = {p: np.empty((n_c, n_y)) for p in PATHWAYS}
    stages = {s: np.empty((n_c, n_m, n_y)) for s in STAGES}
    for i, c in enumerate(classes):
        for p in PATHWAYS:
            arrays[p][i] = pick(p_tab, p_over, c, (p,), PATHWAY_DEFAULTS[p], p)
        for j, m in enumerate(materials):
            for s in STAGES:
                stages[s][i, j] = pick(s_tab, s_over, c, (m, s), STAGE_DEFAULTS[s], f"{s} rate of {m}")
    # notes on missing pretreatment rows are the rule (no row = 1), not worth reporting
    notes = [n for n in notes if not n.startswith("no pretreatment")]
    return PathwayParameters(classes=classes, materials=materials, years=yrs, notes=tuple(dict.fromkeys(notes)),
                             **arrays, **stages)


# ------------------------------------------------------------------------------------------- pathways
def apply_pathways(outflow: np.ndarray, export_reuse: np.ndarray | float, collection: np.ndarray | float,
                   pretreatment: np.ndarray | float, recovery: np.ndarray | float) -> dict[str, np.ndarray]:
    """Split an outflow (tonnes, >= 0) into the pathways of the module docstring.

    All arguments broadcast against each other (e.g. outflow ``(D, Y, M)`` with recovery ``(M, Y)``
    transposed by the caller). Returns ``{variable: array}`` for :data:`PATHWAY_VARIABLES`.
    """
    out = np.asarray(outflow, dtype=float)
    bad = ~np.isfinite(out) | (out < 0)
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0]) if out.ndim else ()
        raise ModelError(f"outflow must be finite and >= 0, got {float(out[idx])!r}"
                         + (f" at index {idx}" if idx else ""))
    er = _check_shares(export_reuse, "export_reuse")
    co = _check_shares(collection, "collection")
    pt = _check_shares(pretreatment, "pretreatment")
    rc = _check_shares(recovery, "recovery")
    reused = out * er
    rest = out - reused
    collected = rest * co
    pretreated = collected * pt
    recovered = pretreated * rc
    lost_unc = rest - collected
    lost_pre = collected - pretreated
    lost_rec = pretreated - recovered
    parts = {"outflow": out, "reused": reused, "collected": collected, "pretreated": pretreated,
             "recovered": recovered, "lost_uncollected": lost_unc, "lost_pretreatment": lost_pre,
             "lost_recovery": lost_rec, "lost": lost_unc + lost_pre + lost_rec}
    shape = np.broadcast_shapes(*(np.shape(v) for v in parts.values()))
    return {k: np.broadcast_to(v, shape) for k, v in parts.items()}


def balance_residual(parts: Mapping[str, np.ndarray]) -> np.ndarray:
    """``outflow - reused - recovered - lost``: zero up to rounding (the mass balance)."""
    return parts["outflow"] - parts["reused"] - parts["recovered"] - parts["lost"]


# ------------------------------------------------------------------------------------------ indicators
def recycling_input_rate(recovered: np.ndarray, demand: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(eol_rir, secondary_to_demand)``: ``min(recovered, demand) / demand`` and ``recovered / demand``.

    Both are ``nan`` where demand is 0. Inputs must be >= 0 (tonnes).
    """
    r = np.asarray(recovered, dtype=float)
    d = np.asarray(demand, dtype=float)
    for name, a in (("recovered", r), ("demand", d)):
        if (~np.isfinite(a) | (a < 0)).any():
            raise ModelError(f"{name} must be finite and >= 0")
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(d > 0, r / np.where(d > 0, d, 1.0), np.nan)
    return np.minimum(ratio, 1.0), ratio


def indicator_frame(recovered: pd.Series, demand: pd.Series, benchmark: float | None = None) -> pd.DataFrame:
    """Per material and year: ``material, year, secondary_supply_t, demand_t, eol_rir, secondary_to_demand``
    (+ ``benchmark_share`` and ``meets_benchmark`` when a benchmark is given).

    ``recovered`` and ``demand`` are Series indexed by ``(material, year)`` in tonnes.
    """
    idx = recovered.index.union(demand.index)
    rec = recovered.reindex(idx, fill_value=0.0)
    dem = demand.reindex(idx, fill_value=0.0)
    rir, ratio = recycling_input_rate(rec.to_numpy(), dem.to_numpy())
    out = pd.DataFrame({"secondary_supply_t": rec.to_numpy(), "demand_t": dem.to_numpy(), "eol_rir": rir,
                        "secondary_to_demand": ratio}, index=idx).reset_index()
    out.columns = ["material", "year", *out.columns[2:]]
    if benchmark is not None:
        b = _check_share(benchmark, "CRMA recycling benchmark")
        out["benchmark_share"] = b
        out["meets_benchmark"] = np.where(np.isnan(out["eol_rir"]), pd.NA, out["eol_rir"] >= b)
    return out


def summary_frame(recovered: pd.Series, demand: pd.Series, benchmark: float | None = None) -> pd.DataFrame:
    """Window totals per material: the same columns as :func:`indicator_frame` without ``year`` (sums of
    tonnes; rates of the sums)."""
    rec = recovered.groupby(level=0).sum()
    dem = demand.groupby(level=0).sum()
    ind = indicator_frame(pd.concat({0: rec}).swaplevel(), pd.concat({0: dem}).swaplevel(), benchmark)
    return ind.drop(columns="year")
