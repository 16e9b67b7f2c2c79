"""End-of-life flows and demand of a region's assets, aggregated before anything is per asset and year.

Pure functions on integer-coded arrays (no I/O, no frames): :mod:`critmat.flows` is the glue that reads
the region pack and the scenario and builds the long-format result. Shapes: ``n`` assets, ``Y`` years,
``M`` materials, ``T`` technologies, ``G`` profile groups, ``K`` output keys (cells). Tonnes throughout;
time convention of :mod:`critmat.models.dynamics` (end-of-year values; a cohort entering in year t has
age 0 in t).

The flows of an asset are linear in what it holds, so nothing is computed per asset and year:

* **populations and cohorts** (fleets, grid, data centres; solar parks) share a *profile* per group
  (technology, class, commissioning year, build-up start): the flows of one unit
  (:func:`population_profiles`, :func:`cohort_profiles`). An asset's outflow is its content times the
  profile, so the content is summed per (cell, group) first (one sparse product) and multiplied by the
  group's profile once;
* **single assets** (wind farms) leave whole, or in parts, in one exit year each (deterministic
  :class:`~critmat.models.dynamics.AssetExits`): one sparse entry per part (cell x exit year);
* **replacement and new demand** of a unit built in year y is the technology's vintage content
  (``vintage`` ``(T, Y, M)``), so quantities are summed per (cell, technology, year) with ``bincount`` and
  multiplied by the vintage table once.

:func:`accumulate` returns ``outflow``, ``demand_replacement`` and ``demand_new`` ``(K, Y, M)`` for any
integer key per asset (output cells, or class x technology for the Monte Carlo), :func:`area_cells` the
output cells and their membership of the finest key. The per-asset implementation this replaces computed
the same numbers (``tests/test_flows_agreement.py`` checks to 1e-9).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from critmat.models import circularity as circ
from critmat.models import fleets
from critmat.models.dynamics import AssetExits, inflow_driven
from critmat.models.lifetimes import Lifetime

VARIABLES = ("outflow", "demand_replacement", "demand_new")


@dataclass
class FlowPlan:
    """Integer-coded inputs of :func:`accumulate`.

    * ``content`` ``(n, M)``: central tonnes a whole asset holds; ``quantity`` ``(n,)`` basis units;
      ``tech`` ``(n,)`` index into ``vintage`` ``(T, Y, M)`` (tonnes per basis unit built in each year);
      ``cls`` ``(n,)`` index into ``replacement`` ``(C, Y)`` (share of an outflow that is replaced);
    * ``group`` ``(n,)``: profile group of populations and cohorts (-1 for the others), with ``g_out``
      ``(G, Y, M)`` outflow per tonne held, ``g_repl`` ``(G, Y, M)`` replacement demand per basis unit and
      ``g_new`` ``(G, Y, M)`` new demand per tonne held;
    * ``single`` ``(n_s,)`` positions of the single assets, ``exits`` their deterministic exits (same
      order), ``successor`` ``(n_s,)``: replaced by a registered asset (no replacement demand);
    * ``new_pos`` / ``new_year``: assets commissioned within the window (their content is new demand in
      year index ``new_year``);
    * ``driven``: positions of assets whose flows a target fleet sets, ``d_out``, ``d_repl``, ``d_new``
      ``(k, Y)`` in basis units, ``d_vintage`` ``(k,)``: outflow at the vintage content (a fleet above the
      registered assets, or a registered asset of zero quantity) instead of the asset's own content.
    """

    years: np.ndarray
    content: np.ndarray
    quantity: np.ndarray
    tech: np.ndarray
    cls: np.ndarray
    vintage: np.ndarray
    replacement: np.ndarray
    group: np.ndarray
    g_out: np.ndarray
    g_repl: np.ndarray
    g_new: np.ndarray
    single: np.ndarray
    exits: AssetExits | None
    successor: np.ndarray
    new_pos: np.ndarray
    new_year: np.ndarray
    driven: np.ndarray
    d_out: np.ndarray
    d_repl: np.ndarray
    d_new: np.ndarray
    d_vintage: np.ndarray

    @property
    def n(self) -> int:
        return len(self.quantity)


# ------------------------------------------------------------------------------------------ profiles
def lifetime_key(lt: Lifetime) -> tuple:
    """What a lifetime distribution's numbers depend on: its class and parameter values (a cache key)."""
    vals = [np.asarray(getattr(lt, p), dtype=float) for p in lt._params]
    return (type(lt).__name__, *((v.shape, v.tobytes()) for v in vals))


#: Unit profiles shared by every region and scenario of a process: they depend only on the lifetime, the
#: years and the group's dates (``population_flows`` / ``inflow_driven`` of one unit), not on the region.
_UNIT_CACHE: dict[tuple, tuple[np.ndarray, ...]] = {}
#: Share the set-up that depends only on the scenario and the bundled data across regions (unit profiles
#: here, vintage contents in :func:`critmat.flows.vintage_content`); False recomputes it per call (the
#: per-region reference path of ``critmat.batch.per_region_reference``).
SHARE_SETUP = True
_UNIT_CACHE_MAX = 20_000  # entries of ~1 KB (three arrays of the years): at most ~20 MB a process


def _memo(key: tuple, make: Callable[[], tuple[np.ndarray, ...]]) -> tuple[np.ndarray, ...]:
    hit = _UNIT_CACHE.get(key) if SHARE_SETUP else None
    if hit is None:
        if not SHARE_SETUP:
            return tuple(np.asarray(a) for a in make())
        hit = tuple(np.asarray(a) for a in make())
        for a in hit:
            a.setflags(write=False)
        if len(_UNIT_CACHE) >= _UNIT_CACHE_MAX:
            _UNIT_CACHE.clear()
        _UNIT_CACHE[key] = hit
    return hit


def _unit_population(lt: Lifetime, years: np.ndarray, cy: float | None, st: int | None, registry_year: int
                     ) -> tuple[np.ndarray, ...]:
    """:func:`critmat.models.fleets.population_flows` of one unit, memoised per process."""
    key = ("pop", lifetime_key(lt), np.asarray(years).tobytes(), cy, st, registry_year)
    return _memo(key, lambda: fleets.population_flows(1.0, lt, years, cy, st, registry_year))


def _unit_cohort(lt: Lifetime, cy: int, start: int, end: int) -> np.ndarray:
    """The outflow (years ``start..end``) of one unit entering in ``cy`` (inflow-driven), memoised."""
    def make() -> tuple[np.ndarray]:
        hist = np.arange(min(cy, start), end + 1)
        return (inflow_driven(np.where(hist == cy, 1.0, 0.0), lt, hist).outflow[hist >= start],)

    return _memo(("cohort", lifetime_key(lt), int(cy), int(start), int(end)), make)[0]


def population_profiles(keys: Sequence[tuple[int, int, float | None, int | None]], lifetimes: Sequence[
        Sequence[Lifetime]], vintage: np.ndarray, years: np.ndarray, registry_year: int
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(g_out, g_repl, g_new)`` ``(G, Y, M)`` of population groups ``(tech, class, commissioning year or
    None, build-up start or None)`` with one lifetime per material ``lifetimes[g][m]``: the flows of one
    unit of :func:`critmat.models.fleets.population_flows` (outflow and new demand per tonne held,
    replacement per basis unit at the vintage content)."""
    n_y, n_m = len(years), vintage.shape[2]
    g_out = np.zeros((len(keys), n_y, n_m))
    g_repl = np.zeros_like(g_out)
    g_new = np.zeros_like(g_out)
    for g, (tech, _cls, cy, st) in enumerate(keys):
        groups: dict[int, tuple[Lifetime, list[int]]] = {}
        for j, lt in enumerate(lifetimes[g]):
            groups.setdefault(id(lt), (lt, []))[1].append(j)
        for lt, js in groups.values():
            o, rp, nw = _unit_population(lt, years, cy, st, registry_year)
            g_out[g][:, js] = o[:, None]
            g_repl[g][:, js] = rp[:, None] * vintage[tech][:, js]
            g_new[g][:, js] = nw[:, None]
    return g_out, g_repl, g_new


def cohort_profiles(keys: Sequence[tuple[int, int, int]], lifetimes: Sequence[Lifetime], vintage: np.ndarray,
                    replacement: np.ndarray, years: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(g_out, g_repl, g_new)`` ``(G, Y, M)`` of cohort groups ``(tech, class, commissioning year)``: one
    unit entering in its commissioning year fails along ``lifetimes[g]`` (inflow-driven); what fails is
    replaced (share ``replacement[class]``) at the vintage content."""
    start, end = int(years[0]), int(years[-1])
    n_y, n_m = len(years), vintage.shape[2]
    g_out = np.zeros((len(keys), n_y, n_m))
    g_repl = np.zeros_like(g_out)
    for g, (tech, cls, cy) in enumerate(keys):
        o = _unit_cohort(lifetimes[g], cy, start, end)
        g_out[g] = o[:, None]
        g_repl[g] = (o * replacement[cls])[:, None] * vintage[tech]
    return g_out, g_repl, np.zeros_like(g_out)


# -------------------------------------------------------------------------------------- accumulation
def _rows_times(rows: np.ndarray, cols: np.ndarray, vals: np.ndarray, n_rows: int, x: np.ndarray) -> np.ndarray:
    """``S @ x`` for the sparse ``S[rows, cols] = vals`` (duplicates summed): ``(n_rows, x.shape[1])``."""
    if not len(rows):
        return np.zeros((n_rows, x.shape[1]))
    s = sparse.csr_matrix((vals, (rows, cols)), shape=(n_rows, x.shape[0]))
    return np.asarray(s @ x)


def _add_rows(out: np.ndarray, idx: np.ndarray, vals: np.ndarray) -> None:
    """``np.add.at(out, idx, vals)`` along the first axis (repeated ``idx`` summed), as sorted runs summed
    with ``np.add.reduceat``: the same sums to rounding (the order of the additions differs)."""
    if not len(idx):
        return
    order = np.argsort(idx, kind="stable")
    idx_s = idx[order]
    starts = np.flatnonzero(np.r_[True, idx_s[1:] != idx_s[:-1]])
    out[idx_s[starts]] += np.add.reduceat(vals[order], starts, axis=0)


def accumulate(plan: FlowPlan, key: np.ndarray, n_keys: int, select: np.ndarray | None = None
               ) -> dict[str, np.ndarray]:
    """``{outflow, demand_replacement, demand_new}`` ``(n_keys, Y, M)``: the flows of the assets with
    ``select`` (default all) summed per ``key`` (an integer ``0..n_keys-1`` per asset)."""
    years = plan.years
    n_y, n_m = len(years), plan.content.shape[1]
    n_t = plan.vintage.shape[0]
    key = np.asarray(key, dtype=np.int64)
    sel = np.ones(plan.n, dtype=bool) if select is None else np.asarray(select, dtype=bool)
    flat = n_keys * n_y
    # content-based entries (row key*Y + year, asset, weight) and vintage-based weights (key, tech, year)
    c_rows: dict[str, list[np.ndarray]] = {"outflow": [], "demand_new": []}
    c_cols: dict[str, list[np.ndarray]] = {"outflow": [], "demand_new": []}
    c_vals: dict[str, list[np.ndarray]] = {"outflow": [], "demand_new": []}
    vt = {v: np.zeros(n_keys * n_t * n_y) for v in VARIABLES}
    yr = np.arange(n_y)

    def content_rows(v: str, pos: np.ndarray, yidx: np.ndarray, w: np.ndarray) -> None:
        c_rows[v].append(key[pos] * n_y + yidx)
        c_cols[v].append(pos)
        c_vals[v].append(w)

    def vintage_weights(v: str, pos: np.ndarray, yidx: np.ndarray, w: np.ndarray) -> None:
        idx = (key[pos] * n_t + plan.tech[pos]) * n_y + yidx
        vt[v] += np.bincount(idx, weights=w, minlength=len(vt[v]))

    # single assets: one entry per part and exit year inside the window
    if plan.exits is not None and len(plan.single):
        ex = plan.exits
        pos = plan.single[ex.part_asset]
        yi = ex.exit_year.astype(np.int64) - int(years[0])
        ok = sel[pos] & (yi >= 0) & (yi < n_y)
        qty = plan.quantity[pos]
        ok_c = ok & (qty > 0)
        content_rows("outflow", pos[ok_c], yi[ok_c], ex.part_share[ok_c] * ex.quantity[ex.part_asset][ok_c]
                     / qty[ok_c])
        ok_r = ok & ~plan.successor[ex.part_asset]
        w = ex.part_share[ok_r] * ex.quantity[ex.part_asset][ok_r] * plan.replacement[plan.cls[pos[ok_r]], yi[ok_r]]
        vintage_weights("demand_replacement", pos[ok_r], yi[ok_r], w)
    # new single assets and cohorts commissioned within the window
    ok = sel[plan.new_pos]
    content_rows("demand_new", plan.new_pos[ok], plan.new_year[ok], np.ones(int(ok.sum())))
    # target fleets
    if len(plan.driven):
        ok = sel[plan.driven]
        pos, d_out, d_repl, d_new = plan.driven[ok], plan.d_out[ok], plan.d_repl[ok], plan.d_new[ok]
        vin = plan.d_vintage[ok]
        k = len(pos)
        rep_pos, rep_y = np.repeat(pos, n_y), np.tile(yr, k)
        own = np.repeat(~vin, n_y)
        q = np.repeat(np.where(vin, 1.0, plan.quantity[pos]), n_y)
        o = d_out.ravel()
        content_rows("outflow", rep_pos[own], rep_y[own], o[own] / q[own])
        vintage_weights("outflow", rep_pos[~own], rep_y[~own], o[~own])
        vintage_weights("demand_replacement", rep_pos, rep_y, d_repl.ravel())
        vintage_weights("demand_new", rep_pos, rep_y, d_new.ravel())

    out = {v: np.zeros((flat, n_m)) for v in VARIABLES}
    for v in c_rows:
        if c_rows[v]:
            out[v] += _rows_times(np.concatenate(c_rows[v]), np.concatenate(c_cols[v]), np.concatenate(c_vals[v]),
                                  flat, plan.content)
    out = {v: a.reshape(n_keys, n_y, n_m) for v, a in out.items()}
    for v in VARIABLES:
        w = vt[v].reshape(n_keys, n_t, n_y)
        if w.any():
            kk, tt = np.nonzero(w.any(axis=2))
            _add_rows(out[v], kk, w[kk, tt][:, :, None] * plan.vintage[tt])
    # populations and cohorts: content and quantity per (key, group), times the group's profile
    gm = sel & (plan.group >= 0)
    if gm.any():
        n_g = plan.g_out.shape[0]
        pos = np.flatnonzero(gm)
        kg = key[pos] * n_g + plan.group[pos]
        u, inv = np.unique(kg, return_inverse=True)
        cont = _rows_times(inv, pos, np.ones(len(pos)), len(u), plan.content)            # (U, M)
        qty = np.bincount(inv, weights=plan.quantity[pos], minlength=len(u))             # (U,)
        uk, ug = u // n_g, u % n_g
        _add_rows(out["outflow"], uk, cont[:, None, :] * plan.g_out[ug])
        _add_rows(out["demand_replacement"], uk, qty[:, None, None] * plan.g_repl[ug])
        _add_rows(out["demand_new"], uk, cont[:, None, :] * plan.g_new[ug])
    return out


# ------------------------------------------------------------------------------------------- cells
def area_cells(region: str, province: np.ndarray, municipality: np.ndarray, asset_class: np.ndarray,
               all_label: str = "all") -> tuple[list[tuple[str, str, str]], np.ndarray, sparse.csr_matrix]:
    """Output cells ``(area_type, area, asset_class)``, the finest key per asset and the membership of the
    finest keys in the cells ``(cells x keys)``.

    Area types, in order: ``region``, ``province``, ``municipality`` and ``unallocated`` (assets without a
    municipality, under their province code); areas sorted, in each area the classes present (sorted) and
    ``all_label`` (their sum). The finest key is (province, municipality, class)."""
    prov = np.asarray(province, dtype=object)
    muni = pd.Series(np.asarray(municipality, dtype=object))
    has = (muni.notna() & (muni.astype(str) != "")).to_numpy()
    mun = np.where(has, muni.to_numpy(object), None)
    cls = np.asarray(asset_class, dtype=object)
    fine = pd.DataFrame({"p": prov, "m": pd.Series(mun, dtype=object).fillna("\x00").to_numpy(), "c": cls})
    codes, uniq = pd.MultiIndex.from_frame(fine).factorize()
    f_prov, f_mun, f_cls = (np.asarray(uniq.get_level_values(i), dtype=object) for i in range(3))
    f_has = f_mun != "\x00"
    n_f = len(uniq)
    levels = {"region": (np.full(n_f, region, dtype=object), np.ones(n_f, dtype=bool)),
              "province": (f_prov, np.ones(n_f, dtype=bool)),
              "municipality": (f_mun, f_has),
              "unallocated": (f_prov, ~f_has)}
    cells: list[tuple[str, str, str]] = []
    rows, cols = [], []
    for area_type, (areas, valid) in levels.items():
        fi = np.flatnonzero(valid)
        for area in sorted(set(areas[fi])):
            in_area = fi[areas[fi] == area]
            for c in sorted(set(f_cls[in_area])):
                cells.append((area_type, str(area), c))
                members = in_area[f_cls[in_area] == c]
                rows.append(np.full(len(members), len(cells) - 1))
                cols.append(members)
            cells.append((area_type, str(area), all_label))
            rows.append(np.full(len(in_area), len(cells) - 1))
            cols.append(in_area)
    r = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    c = np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64)
    member = sparse.csr_matrix((np.ones(len(r)), (r, c)), shape=(len(cells), n_f))
    return cells, codes.astype(np.int64), member


def roll_up(member: sparse.csr_matrix, parts: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """``{variable: (cells, M, Y)}`` from ``{variable: (keys, Y, M)}`` and the membership (cells x keys)."""
    names = list(parts)
    if not names:
        return {}
    return dict(zip(names, rolled(member, [parts[v] for v in names]).transpose(1, 0, 2, 3)))


def rolled(member: sparse.csr_matrix, parts: Sequence[np.ndarray]) -> np.ndarray:
    """:func:`roll_up` as one C-contiguous array ``(cells, variables, M, Y)`` (``parts`` ``(keys, Y, M)`` each):
    a cell's years of a material are adjacent, so picking (cell, material) pairs reads whole runs."""
    k, n_y, n_m = parts[0].shape
    w = n_y * n_m
    # one sparse product for every variable (a product per variable spent its time in call overhead)
    stacked = np.empty((k, len(parts), n_m, n_y))
    for i, a in enumerate(parts):
        stacked[:, i] = np.swapaxes(a, 1, 2)
    res = np.asarray(member @ stacked.reshape(k, len(parts) * w))
    return res.reshape(-1, len(parts), n_m, n_y)


def pathways(parts: Mapping[str, np.ndarray], params: circ.PathwayParameters, key_class: np.ndarray
             ) -> dict[str, np.ndarray]:
    """Pathways of the outflow per key (class index ``key_class``): :func:`critmat.models.circularity.
    apply_pathways` with the class's parameters, plus the demand parts (``(K, Y, M)`` each)."""
    er = params.export_reuse[key_class][:, :, None]             # (K, Y, 1)
    co = params.collection[key_class][:, :, None]
    pt = np.transpose(params.pretreatment[key_class], (0, 2, 1))  # (K, Y, M)
    rc = np.transpose(params.recovery[key_class], (0, 2, 1))
    p = {k: np.asarray(v) for k, v in circ.apply_pathways(parts["outflow"], er, co, pt, rc).items()}
    p["demand_replacement"] = parts["demand_replacement"]
    p["demand_new"] = parts["demand_new"]
    p["demand"] = parts["demand_replacement"] + parts["demand_new"]
    return p


# ------------------------------------------------------------------ on the non-zero (key, material) pairs
@dataclass
class PairRollUp:
    """The accumulated parts on the (key, material) pairs that are non-zero in some part and year (a key holds
    the materials of its class's technologies only: ~20 % of a synthetic region's pairs), and the roll-up of
    pair values to the (cell, material) rows they reach.

    ``keys``, ``mats`` ``(P,)`` the pairs, key-major; ``raw`` ``{variable: (P, Y)}`` the parts' values on them;
    ``rows`` ``(R,)`` the reached rows ``cell * M + material``, ascending; ``to_rows`` ``(R x P)`` the membership
    of the cells on the pairs, each row's entries in ascending key (the order of the product over all keys)."""

    keys: np.ndarray
    mats: np.ndarray
    raw: dict[str, np.ndarray]
    rows: np.ndarray
    to_rows: sparse.csr_matrix
    n_cells: int
    n_mats: int


def pair_roll_up(member: sparse.csr_matrix, raw: Mapping[str, np.ndarray]) -> PairRollUp:
    """:class:`PairRollUp` of the parts ``raw`` ``{variable: (keys, Y, M)}`` and the membership (cells x keys)."""
    first = next(iter(raw.values()))
    k, n_y, n_m = first.shape
    nz = np.zeros((k, n_m), dtype=bool)
    for a in raw.values():
        nz |= np.logical_or.reduce(a != 0, axis=1)
    kk, mm = np.nonzero(nz)
    # gathered on flat indices (fancy indexing around a slice is several times slower)
    src = (kk * (n_y * n_m) + mm)[:, None] + np.arange(n_y) * n_m      # (P, Y) into a (K, Y, M) array
    vals = {v: np.ascontiguousarray(a).ravel().take(src) for v, a in raw.items()}
    pid = np.full((k, n_m), -1, dtype=np.int64)
    pid[kk, mm] = np.arange(len(kk))
    m = sparse.csr_matrix(member).sorted_indices()  # a copy: the caller's (memoised) matrix stays as it is
    n_c = m.shape[0]
    e_cell = np.repeat(np.arange(n_c), np.diff(m.indptr))
    cand = pid[m.indices]                                             # (entries, M): each entry's pairs
    ei, mi = np.nonzero(cand >= 0)
    rows, inv = np.unique(e_cell[ei] * n_m + mi, return_inverse=True)
    to_rows = sparse.csr_matrix((m.data[ei], (inv.ravel(), cand[ei, mi])), shape=(len(rows), len(kk)))
    to_rows.sort_indices()
    return PairRollUp(keys=kk, mats=mm, raw=vals, rows=rows, to_rows=to_rows, n_cells=n_c, n_mats=n_m)


def pair_pathways(pr: PairRollUp, params: circ.PathwayParameters, key_class: np.ndarray
                  ) -> dict[str, np.ndarray] | None:
    """:func:`pathways` on the pairs of ``pr`` (``{variable: (P, Y)}``, element by element the same
    arithmetic), or None when a check of :func:`critmat.models.circularity.apply_pathways` would fail (an
    outflow or share out of range: the caller runs :func:`pathways` on the full arrays for its error). A pair
    left out is zero in every part, so every variable is zero there (shares are finite)."""
    used = np.unique(key_class)
    out = pr.raw["outflow"]
    for a in (params.export_reuse[used], params.collection[used], params.pretreatment[used],
              params.recovery[used]):
        if not (np.isfinite(a).all() and (a >= 0).all() and (a <= 1).all()):
            return None
    if not (np.isfinite(out).all() and (out >= 0).all()):
        return None
    cls = key_class[pr.keys]
    p = {k: np.asarray(v) for k, v in circ.apply_pathways(
        out, params.export_reuse[cls], params.collection[cls], params.pretreatment[cls, pr.mats],
        params.recovery[cls, pr.mats]).items()}
    p["demand_replacement"] = pr.raw["demand_replacement"]
    p["demand_new"] = pr.raw["demand_new"]
    p["demand"] = pr.raw["demand_replacement"] + pr.raw["demand_new"]
    return p


def pair_rolled(pr: PairRollUp, names: Sequence[str], values: Sequence[np.ndarray]) -> "RolledPairs":
    """The roll-up of pair values ``values`` (``(P, Y)`` each, variables ``names``) to the (cell, material)
    rows the pairs reach (:class:`RolledPairs`: ``{variable: (cells, M, Y)}``). The same sums, term by term in
    the same order, as :func:`rolled` on the full arrays (the terms left out are zeros)."""
    n_v = len(values)
    n_y = values[0].shape[1] if n_v else 0
    x = np.empty((len(pr.keys), n_v, n_y))
    for i, a in enumerate(values):
        x[:, i] = a
    res = np.asarray(pr.to_rows @ x.reshape(len(pr.keys), n_v * n_y)).reshape(-1, n_v, n_y)
    return RolledPairs(names, pr.rows, res, pr.n_cells, pr.n_mats)


class RolledPairs(Mapping):
    """``{variable: (cells, M, Y)}`` tonnes, held as the reached (cell, material) rows only: ``rows`` ``(R,)``
    ``cell * M + material`` ascending, ``row_values`` ``(R, variables, Y)``; zero elsewhere. A variable's dense
    array is made when first asked for (a batch reads the rows: :meth:`take`, :meth:`column`, :attr:`present`)."""

    def __init__(self, names: Sequence[str], rows: np.ndarray, values: np.ndarray, n_cells: int, n_mats: int
                 ) -> None:
        self.names = tuple(names)
        self.rows, self.row_values, self.n_cells, self.n_mats = rows, values, n_cells, n_mats
        self._dense: dict[str, np.ndarray] = {}
        present = np.zeros(n_cells * n_mats, dtype=bool)
        present[rows] = (values != 0).any(axis=(1, 2))
        #: ``(cells, M)``: some variable is non-zero in some year
        self.present = present.reshape(n_cells, n_mats)

    def _index(self, v: str) -> int:
        if v not in self.names:
            raise KeyError(v)
        return self.names.index(v)

    def __getitem__(self, v: str) -> np.ndarray:
        if v not in self._dense:
            i = self._index(v)
            a = np.zeros((self.n_cells * self.n_mats, self.row_values.shape[2]))
            a[self.rows] = self.row_values[:, i]
            self._dense[v] = a.reshape(self.n_cells, self.n_mats, -1)
        return self._dense[v]

    def __contains__(self, v: object) -> bool:  # without making the dense array (Mapping's would)
        return v in self.names

    def __iter__(self):  # noqa: ANN204
        return iter(self.names)

    def __len__(self) -> int:
        return len(self.names)

    def take(self, v: str, cells: Sequence[int] | np.ndarray) -> np.ndarray:
        """``self[v][cells]`` ``(len(cells), M, Y)`` without the dense array (a cell may be asked twice)."""
        i = self._index(v)
        cells, back = np.unique(np.asarray(cells, dtype=np.int64), return_inverse=True)
        where = np.full(self.n_cells, -1, dtype=np.int64)
        where[cells] = np.arange(len(cells))
        out = np.zeros((len(cells) * self.n_mats, self.row_values.shape[2]))
        pos = where[self.rows // self.n_mats]
        sel = pos >= 0
        out[pos[sel] * self.n_mats + self.rows[sel] % self.n_mats] = self.row_values[sel, i]
        return out.reshape(len(cells), self.n_mats, -1)[back.ravel()]

    def column(self, v: str, k: np.ndarray) -> np.ndarray:
        """Variable ``v`` at the rows ``k`` (positions in :attr:`rows`): ``(len(k), Y)``."""
        return self.row_values[k, self._index(v)]

    def present_rows(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(ci, mi, k)``: the present (cell, material) pairs in the order of ``np.nonzero(present)`` and their
        positions in :attr:`rows` (and :attr:`row_values`)."""
        k = np.flatnonzero(self.present.ravel()[self.rows])
        r = self.rows[k]
        return r // self.n_mats, r % self.n_mats, k
