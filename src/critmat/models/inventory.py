"""Regional material stock: assets × material intensities, with Monte Carlo uncertainty.

Pure functions on frames and arrays (no I/O). Conventions:

* **Quantity.** An asset contributes ``capacity_mw`` (technology basis ``mw``: MW, MWp for PV, MW IT for
  data centres), ``length_km`` (basis ``km``) or ``units`` (basis ``unit``) times the intensity (kg per
  basis unit). Results are **tonnes** (``mass_t``).
* **Status.** The *stock* counts assets that are ``operational`` or ``under_construction``; ``planned``
  assets are the *pipeline* (:func:`pipeline`); ``decommissioned`` assets count in neither.
* **Vintage.** Each asset uses, per material, the intensity row with the largest ``year_from`` <= its
  ``commissioning_year`` (older assets use the first row; a missing year counts as ``default_year``).
* **Uncertainty.** Each intensity row is drawn from a beta-PERT distribution over (low, central, high)
  (shape λ = 4; a point mass when low == high). One draw of a row applies to *every* asset using that row
  (the uncertainty is about the technology, not independent per asset), so regional totals do not shrink
  towards the mean by the law of large numbers. ``low_t`` / ``high_t`` are the 5th / 95th percentiles of
  ``n_draws`` draws from a seeded :class:`numpy.random.Generator`: same seed, same numbers. ``mass_t`` is
  the deterministic central value (quantity × central intensity), not the Monte Carlo mean.
* **Aggregation.** Totals per region, province and municipality, per asset class and over all classes
  (``asset_class = "all"``); assets in an offshore area (``area_code``, e.g. North Sea farms) appear under
  ``area_type = "offshore"``; assets with neither (statistical aggregates per province) appear under
  ``area_type = "unallocated"`` with the province code as area, so municipalities + offshore + unallocated =
  province. Material groups (``groups``: group id → member ids, e.g. ``rare_earth_elements_light``) are
  added as extra materials summing their members.

Computation (:func:`stock_matrix`) works on integer codes and never expands assets to per-asset string keys:
assets are summed per leaf (region, province, municipality, class) × combo (technology × vintage bucket), the
combos give the intensity rows used, a sparse membership maps leaves to their output areas, so
``A`` (rows × output cells) holds the summed quantities. The Monte Carlo is then draws (n_draws × rows) @ A,
in blocks of cells, with the two percentiles taken by one partial sort per cell (:func:`row_percentiles`).
Cost: O(assets) integer work to build ``A``, O(nnz(A) × n_draws) for the products and O(cells × n_draws)
for the percentiles — the last term dominates at scale and is the lower bound of an exact percentile.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from critmat.catalog.units import factor
from critmat.errors import DataError, ModelError

if TYPE_CHECKING:
    from scipy import sparse

STOCK_STATUSES = ("operational", "under_construction")
PIPELINE_STATUSES = ("planned",)
QUANTITY = {"mw": "capacity_mw", "km": "length_km", "unit": "units"}
#: Technology asset classes that also serve another asset class (wind drivetrains on- and offshore).
COMPATIBLE = {"wind_onshore": {"wind_onshore", "wind_offshore"}, "wind_offshore": {"wind_onshore", "wind_offshore"}}
ALL_CLASSES = "all"
PERCENTILES = (5.0, 95.0)
PERT_LAMBDA = 4.0
OUTPUT_COLUMNS = ["region", "area_type", "area", "asset_class", "material", "variable", "unit", "value"]
ASSET_COLUMNS = ["asset_id", "region_id", "asset_class", "technology_id", "status", "commissioning_year",
                 "capacity_mw", "length_km", "units", "municipality_code", "province_code"]


# ------------------------------------------------------------------------------------------ matching
def _require(frame: pd.DataFrame, cols: Sequence[str], what: str) -> None:
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise DataError(f"{what} lacks column(s) {missing}", column=missing[0])


def _prepare(assets: pd.DataFrame, technologies: pd.DataFrame, default_year: int = 2020
             ) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
    """Checked, integer-coded assets: ``(assets, technology code, quantity, vintage)``.

    The technology code indexes ``technologies`` rows. Raises :class:`DataError` naming the first asset with an
    unknown technology, a technology of another asset class, or a missing/negative quantity.
    """
    _require(assets, ASSET_COLUMNS, "assets")
    _require(technologies, ["technology_id", "asset_class", "basis"], "technologies")
    a = assets.reset_index(drop=True)
    ids = a["asset_id"]
    dup = ids.duplicated()
    if dup.any():
        raise DataError(f"duplicate asset_id '{ids[dup].iloc[0]}'", column="asset_id")
    tech_ids = technologies["technology_id"].astype(str).to_numpy()
    code = pd.Index(tech_ids).get_indexer(a["technology_id"].astype(object).where(a["technology_id"].notna(), None))
    unknown = np.flatnonzero(code < 0)
    if len(unknown):
        pos = int(unknown[0])
        r = a.iloc[pos]
        raise DataError(f"asset '{r['asset_id']}' (row {pos + 1}): unknown technology_id '{r['technology_id']}' "
                        "(not in technologies)", row=pos + 1, column="technology_id")
    tclass = technologies["asset_class"].astype(str).to_numpy()[code]
    acls = a["asset_class"].astype(object).to_numpy()
    ok = acls == tclass
    for tc, allowed in COMPATIBLE.items():
        m = ~ok & (tclass == tc)
        if m.any():
            ok[m] = np.isin(acls[m], list(allowed))
    wrong = np.flatnonzero(~ok)
    if len(wrong):
        pos = int(wrong[0])
        raise DataError(f"asset '{a.at[pos, 'asset_id']}' (row {pos + 1}): technology '{a.at[pos, 'technology_id']}' "
                        f"is for asset class '{tclass[pos]}', not '{acls[pos]}'", row=pos + 1, column="technology_id")
    basis = technologies["basis"].astype(str).to_numpy()[code]
    qty = np.full(len(a), np.nan)
    for b, col in QUANTITY.items():
        m = basis == b
        if m.any():
            qty[m] = pd.to_numeric(a[col], errors="coerce").to_numpy(dtype=float)[m]
    bad = np.flatnonzero(np.isnan(qty) | (qty < 0))
    if len(bad):
        pos = int(bad[0])
        col = QUANTITY[basis[pos]]
        raise DataError(f"asset '{a.at[pos, 'asset_id']}' (row {pos + 1}): {col} is "
                        f"{a.at[pos, col]!r}; technology '{a.at[pos, 'technology_id']}' needs a quantity >= 0 "
                        f"in {col}", row=pos + 1, column=col)
    vintage = pd.to_numeric(a["commissioning_year"], errors="coerce").fillna(default_year).to_numpy().astype("int64")
    return a, code, qty, vintage


def _vintage_combos(code: np.ndarray, vintage: np.ndarray, technologies: pd.DataFrame,
                    intensities: pd.DataFrame) -> tuple[np.ndarray, sparse.csr_matrix]:
    """Group assets by the set of intensity rows they use: ``(combo per asset, R)``.

    A combo is a technology and a vintage bucket (between two consecutive ``year_from`` of the technology);
    ``R`` (combos x intensity rows) is 1 where the combo uses the row: per material, the row with the largest
    ``year_from`` <= the vintage, else the material's first row (the module's vintage rule; ties keep the
    last row in table order, the fallback the first).
    """
    from scipy import sparse  # imported where used: the stock model, not every command

    ints = intensities.reset_index(drop=True)
    tech_ids = pd.Index(technologies["technology_id"].astype(str))
    row_tech = tech_ids.get_indexer(ints["technology_id"].astype(str))
    year_from = pd.to_numeric(ints["year_from"]).to_numpy().astype("int64")
    material = ints["material_id"].astype(str).to_numpy()
    n_tech = len(tech_ids)
    combo_rows: list[list[int]] = []
    offset = np.zeros(n_tech + 1, dtype=np.int64)
    bps: list[np.ndarray] = []
    for t in range(n_tech):
        rows_t = np.flatnonzero(row_tech == t)
        bp = np.unique(year_from[rows_t])
        bps.append(bp)
        # order rows as the reference rule does: by material, then year_from, stable in table order
        order = rows_t[np.lexsort((year_from[rows_t], material[rows_t]))] if len(rows_t) else rows_t
        by_mat: dict[str, np.ndarray] = {}
        for r in order:
            by_mat.setdefault(material[r], []).append(r)  # type: ignore[arg-type]
        for b in range(-1, len(bp)):
            chosen = []
            for rows_m in by_mat.values():
                eligible = [r for r in rows_m if b >= 0 and year_from[r] <= bp[b]]
                chosen.append(eligible[-1] if eligible else rows_m[0])
            combo_rows.append(sorted(chosen))
        offset[t + 1] = offset[t] + len(bp) + 1
    bucket = np.full(len(code), -1, dtype=np.int64)
    for t in np.unique(code):
        m = code == t
        if len(bps[t]):
            bucket[m] = np.searchsorted(bps[t], vintage[m], side="right") - 1
    combo = offset[code] + bucket + 1
    indptr = np.cumsum([0] + [len(r) for r in combo_rows])
    indices = np.array([r for rows in combo_rows for r in rows], dtype=np.int64)
    R = sparse.csr_matrix((np.ones(len(indices)), indices, indptr), shape=(len(combo_rows), len(ints)))
    return combo, R


def pair_arrays(assets: pd.DataFrame, technologies: pd.DataFrame, intensities: pd.DataFrame,
                default_year: int = 2020) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
    """``(assets, asset position, intensity row, quantity)`` per (asset, intensity row) used, as arrays
    (ordered by asset, then row); checks as :func:`asset_row_pairs`."""
    _require(intensities, ["technology_id", "material_id", "year_from", "low_kg_per_basis",
                           "central_kg_per_basis", "high_kg_per_basis"], "material_intensities")
    a, code, qty, vintage = _prepare(assets, technologies, default_year)
    combo, R = _vintage_combos(code, vintage, technologies, intensities)
    counts = np.diff(R.indptr)[combo]
    take = np.repeat(np.arange(len(a)), counts)
    within = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    rows = R.indices[np.repeat(R.indptr[combo], counts) + within].astype(np.int64)
    return a, take, rows, qty[take]


def asset_row_pairs(assets: pd.DataFrame, technologies: pd.DataFrame, intensities: pd.DataFrame,
                    default_year: int = 2020) -> pd.DataFrame:
    """One row per (asset, intensity row) the asset uses: ``asset_id, material_id, row, quantity`` + asset
    columns.

    ``row`` is the positional index of the intensity row. Raises :class:`DataError` naming the asset for an
    unknown technology, a technology of another asset class, or a missing/negative quantity.
    """
    a, take, rows, q = pair_arrays(assets, technologies, intensities, default_year)
    out = a.iloc[take].reset_index(drop=True)
    out.insert(1, "material_id", intensities["material_id"].to_numpy()[rows])
    out.insert(2, "row", rows)
    out["quantity"] = q
    return out


# --------------------------------------------------------------------------------------------- draws
def pert_draws(low: np.ndarray, mode: np.ndarray, high: np.ndarray, n_draws: int,
               rng: np.random.Generator, lam: float = PERT_LAMBDA) -> np.ndarray:
    """Beta-PERT draws, shape (n_draws, n): min ``low``, mode ``mode``, max ``high`` (point mass if equal)."""
    low, mode, high = (np.asarray(x, dtype=float) for x in (low, mode, high))
    if np.any(low > mode) or np.any(mode > high):
        raise ModelError("PERT needs low <= central <= high for every intensity row")
    span = high - low
    flat = span <= 0
    safe = np.where(flat, 1.0, span)
    alpha = np.where(flat, 1.0, 1.0 + lam * (mode - low) / safe)
    beta = np.where(flat, 1.0, 1.0 + lam * (high - mode) / safe)
    u = rng.beta(alpha, beta, size=(n_draws, low.size))
    return low + u * np.where(flat, 0.0, span)


# ---------------------------------------------------------------------------------------- aggregation
@dataclass
class StockMatrix:
    """The stock as a linear map: ``A`` (intensity rows x output cells) of summed asset quantities.

    ``cells`` holds one row per output cell (``region_id, area_type, area, asset_class, material``, as
    categoricals); tonnes of cell ``c`` for intensities ``x`` (kg per basis unit) = ``(x @ A)[c] / 1000``.
    """

    A: sparse.csc_matrix
    cells: pd.DataFrame


def _factor(values: pd.Series | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    codes, uniques = pd.factorize(np.asarray(values, dtype=object), use_na_sentinel=True)
    return codes.astype(np.int64), np.asarray(uniques, dtype=object)


def stock_matrix(assets: pd.DataFrame, technologies: pd.DataFrame, intensities: pd.DataFrame,
                 groups: Mapping[str, Iterable[str]] | None = None, default_year: int = 2020) -> StockMatrix:
    """Aggregate assets into :class:`StockMatrix` on integer codes, without any per-asset row expansion.

    Assets are summed per *leaf* (region, province, municipality or none, asset class) and *combo*
    (technology x vintage bucket, :func:`_vintage_combos`) with one sparse COO sum; leaves x combos x rows
    give leaf quantities per intensity row (``Q @ R``), a membership matrix maps every leaf to its six output
    areas (region, province, municipality or unallocated; its class and ``all``), and each row's material
    (plus the groups holding it) gives the output cells. Cells exist wherever an asset contributes, even with
    quantity 0 (as in the long-format reference).
    """
    from scipy import sparse  # imported where used: the stock model, not every command

    groups = groups or {}
    ints = intensities.reset_index(drop=True)
    a, code, qty, vintage = _prepare(assets, technologies, default_year)
    combo, R = _vintage_combos(code, vintage, technologies, ints)
    # leaves: region, province, municipality (or none), asset class
    muni = a["municipality_code"].astype(object)
    muni = muni.where(muni.notna() & (muni.astype(str) != ""), None)
    offshore_areas: set = set()
    if "area_code" in a.columns:  # an asset in an offshore area (no municipality) is held by that area
        area = a["area_code"].astype(object)
        off = muni.isna() & area.notna() & (area.astype(str) != "")
        offshore_areas = set(area[off])
        muni = muni.where(~off, area)
    reg_c, reg_u = _factor(a["region_id"])
    prov_c, prov_u = _factor(a["province_code"])
    mun_c, mun_u = _factor(muni)
    cls_c, cls_u = _factor(a["asset_class"])
    radix = np.array([len(reg_u) + 1, len(prov_u) + 1, len(mun_u) + 1, len(cls_u) + 1], dtype=np.int64)
    key = (((reg_c + 1) * radix[1] + prov_c + 1) * radix[2] + mun_c + 1) * radix[3] + cls_c + 1
    leaf_keys, leaf = np.unique(key, return_inverse=True)
    n_leaf, n_combo, n_rows = len(leaf_keys), R.shape[0], len(ints)
    Q = sparse.csr_matrix((qty, (leaf, combo)), shape=(n_leaf, n_combo))
    present = sparse.csr_matrix((np.ones(len(a)), (leaf, combo)), shape=(n_leaf, n_combo))
    used_rows = np.flatnonzero(np.asarray(R[np.unique(combo)].sum(axis=0)).ravel() > 0)
    row_mat = ints["material_id"].astype(str).to_numpy()
    direct = sorted(set(row_mat[used_rows]) & set(groups))
    if direct:  # the group total would add this row to its members' rows
        raise ModelError(f"intensity rows give material group '{direct[0]}' directly while the stock also sums "
                         f"it from its members ({', '.join(sorted(groups[direct[0]]))}): give the elements")
    # decode the leaves
    k = leaf_keys.copy()
    l_cls = k % radix[3] - 1
    k //= radix[3]
    l_mun = k % radix[2] - 1
    k //= radix[2]
    l_prov = k % radix[1] - 1
    l_reg = k // radix[1] - 1

    def label(uniques: np.ndarray, c: np.ndarray) -> np.ndarray:
        out = np.empty(len(c), dtype=object)
        out[:] = None
        ok = c >= 0
        out[ok] = uniques[c[ok]]
        return out

    reg_l, prov_l, mun_l, cls_l = (label(reg_u, l_reg), label(prov_u, l_prov), label(mun_u, l_mun),
                                   label(cls_u, l_cls))
    has_mun = l_mun >= 0
    area_rows = []
    for area_type, area in (("region", reg_l), ("province", prov_l),
                            ("local", np.where(has_mun, mun_l, prov_l))):
        kind = (np.where(has_mun, np.where(np.isin(mun_l, list(offshore_areas)), "offshore", "municipality"),
                         "unallocated") if area_type == "local"
                else np.full(n_leaf, area_type, dtype=object))
        for cls in (cls_l, np.full(n_leaf, ALL_CLASSES, dtype=object)):
            area_rows.append(pd.DataFrame({"leaf": np.arange(n_leaf), "region_id": reg_l, "area_type": kind,
                                           "area": area, "asset_class": cls}))
    ac = pd.concat(area_rows, ignore_index=True)
    ac_keys = ["region_id", "area_type", "area", "asset_class"]
    ac_id = ac.groupby(ac_keys, sort=False, dropna=False).ngroup().to_numpy()
    n_ac = int(ac_id.max()) + 1 if len(ac_id) else 0
    ac_index = ac.drop_duplicates(ac_keys).reset_index(drop=True)[ac_keys]
    M = sparse.csr_matrix((np.ones(len(ac)), (ac_id, ac["leaf"].to_numpy())), shape=(n_ac, n_leaf))
    B = (M @ (Q @ R)).tocoo()             # area-class cells x rows: summed quantities
    Bp = (M @ (present @ R)).tocoo()      # the same pattern with counts: cells that exist
    Bq = sparse.csr_matrix((B.data, (B.row, B.col)), shape=B.shape)
    ac_i, row_i = Bp.row.astype(np.int64), Bp.col.astype(np.int64)
    vals = np.asarray(Bq[ac_i, row_i]).ravel()
    # materials: each row's own material, plus every group holding it
    mat_names = sorted(set(row_mat) | set(groups))
    mat_code = {m: i for i, m in enumerate(mat_names)}
    row_mcode = np.array([mat_code[m] for m in row_mat], dtype=np.int64)
    e_ac, e_row, e_mat, e_val = [ac_i], [row_i], [row_mcode[row_i]], [vals]
    for gid, members in groups.items():
        in_g = np.isin(row_mat[row_i], list(set(members)))
        if in_g.any():
            e_ac.append(ac_i[in_g])
            e_row.append(row_i[in_g])
            e_mat.append(np.full(int(in_g.sum()), mat_code[gid]))
            e_val.append(vals[in_g])
    ac_all, row_all, mat_all, val_all = (np.concatenate(x) for x in (e_ac, e_row, e_mat, e_val))
    cell_key = ac_all * len(mat_names) + mat_all
    cell_keys, cell = np.unique(cell_key, return_inverse=True)
    A = sparse.csc_matrix((val_all, (row_all, cell)), shape=(n_rows, len(cell_keys)))
    c_ac, c_mat = cell_keys // len(mat_names), cell_keys % len(mat_names)
    cells = ac_index.iloc[c_ac].reset_index(drop=True)
    cells["material"] = np.asarray(mat_names, dtype=object)[c_mat]
    for c in cells.columns:
        cells[c] = cells[c].astype("category")
    return StockMatrix(A=A, cells=cells)


def row_percentiles(tot: np.ndarray, percentiles: Sequence[float], overwrite: bool = False) -> list[np.ndarray]:
    """``list(np.percentile(tot, percentiles, axis=1))`` (method ``linear``), bit for bit, in about half the time.

    One ``np.partition`` at the order statistic below each percentile; the one above it is the minimum of the
    segment that follows (up to the next partition point). ``percentiles`` must be increasing.
    """
    n = tot.shape[1]
    q = np.asarray(percentiles, dtype=float) / 100.0
    if n < 2 or np.any(np.diff(q) <= 0) or np.any((q < 0) | (q > 1)):
        return list(np.percentile(tot, percentiles, axis=1))
    virtual = (n - 1) * q  # numpy's 'linear' method
    below = np.floor(virtual).astype(np.int64)
    above = np.minimum(below + 1, n - 1)
    gamma = virtual - below
    anchors = sorted(set(below.tolist()))
    # ``tot`` is the caller's scratch array with ``overwrite``: partitioned in place (no copy of cells x draws)
    part = tot if overwrite else tot.copy()
    _partition_at(part, anchors)
    bounds = anchors[1:] + [n]
    out = []
    for b, a_, g in zip(below, above, gamma):
        lo_v = part[:, b]
        if a_ == b:
            hi_v = lo_v
        elif a_ in anchors:
            hi_v = part[:, a_]
        else:
            end = bounds[anchors.index(int(b))]
            hi_v = part[:, b + 1:end].min(axis=1)
        d = hi_v - lo_v
        out.append(hi_v - d * (1.0 - g) if g >= 0.5 else lo_v + d * g)
    return out


def _partition_at(a: np.ndarray, kth: Sequence[int]) -> None:
    """``a.partition(kth, axis=1)`` in place, the middle index first and then each side on its own (numpy's
    partition at several indices at once took 3.5x longer for three percentiles of 1,000 draws). Afterwards
    every ``a[:, k]`` is the k-th smallest of its row, with no larger value before it and no smaller after
    it: the same as one call at all of ``kth``, and the same order statistics."""
    if not kth:
        return
    mid = kth[len(kth) // 2]
    a.partition(mid, axis=1)
    _partition_at(a[:, :mid], [k for k in kth if k < mid])
    _partition_at(a[:, mid + 1:], [k - mid - 1 for k in kth if k > mid])


def _percentile_block(A: sparse.csc_matrix, draws_t: np.ndarray, percentiles: tuple[float, float]
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """5th, 50th and 95th percentiles (tonnes) of the cells of ``A`` over the draws (``draws_t``: rows x
    draws)."""
    tot = np.asarray(A.T @ draws_t)  # (cells, draws), kg
    tot *= factor("kg", "t")
    lo, med, hi = row_percentiles(tot, (percentiles[0], 50.0, percentiles[1]), overwrite=True)
    return lo, med, hi


_DRAWS_MEMO: dict[str, tuple] = {}


def _row_draws(lo: np.ndarray, ce: np.ndarray, hi: np.ndarray, n_draws: int, seed: int | None) -> np.ndarray:
    """``(rows, draws)`` PERT draws of the intensity rows for ``seed``: the same for every region of a batch (the
    draws depend on the intensity table and the seed only), so the last one is kept (read-only)."""
    from critmat.models.eolflows import SHARE_SETUP

    keep = SHARE_SETUP and isinstance(seed, (int, np.integer)) and not isinstance(seed, bool)
    key = (lo.tobytes(), ce.tobytes(), hi.tobytes(), int(n_draws), int(seed)) if keep else None
    hit = _DRAWS_MEMO.get("last")
    if keep and hit is not None and hit[0] == key:
        return hit[1]
    draws_t = np.ascontiguousarray(pert_draws(lo, ce, hi, n_draws, np.random.default_rng(seed)).T)
    if keep:
        draws_t.setflags(write=False)
        _DRAWS_MEMO["last"] = (key, draws_t)
    return draws_t


def stock_values(sm: StockMatrix, intensities: pd.DataFrame, *, n_draws: int = 1000, seed: int = 0,
                 percentiles: tuple[float, float] = PERCENTILES, block: int = 20000,
                 progress: Callable[[int, int], None] | None = None
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray]:
    """``(mass_t, low_t, median_t, high_t)`` per cell of ``sm`` (``median_t`` None without draws; see
    :func:`material_stock`)."""
    ints = intensities.reset_index(drop=True)
    A = sm.A
    n_cells = A.shape[1]
    lo = ints["low_kg_per_basis"].to_numpy(float)
    ce = ints["central_kg_per_basis"].to_numpy(float)
    hi = ints["high_kg_per_basis"].to_numpy(float)
    kg_t = factor("kg", "t")
    central = np.asarray(A.T @ ce).ravel() * kg_t
    if n_draws == 0:
        return central, np.asarray(A.T @ lo).ravel() * kg_t, None, np.asarray(A.T @ hi).ravel() * kg_t
    draws_t = _row_draws(lo, ce, hi, n_draws, seed)  # (n_rows, n_draws)
    # cells with the same column (a region of one province and that province, a material one class holds and
    # the class 'all') have the same draws: their percentiles are computed once
    uniq, inverse = _unique_columns(A)
    Au = A[:, uniq] if len(uniq) < n_cells else A
    n_u = Au.shape[1]
    low_u, median_u, high_u = np.empty(n_u), np.empty(n_u), np.empty(n_u)
    for start in range(0, n_u, block):
        stop = min(start + block, n_u)
        low_u[start:stop], median_u[start:stop], high_u[start:stop] = _percentile_block(
            Au[:, start:stop], draws_t, percentiles)
        if progress:
            progress(int(stop * n_cells / max(n_u, 1)), n_cells)
    if n_u == n_cells:
        return central, low_u, median_u, high_u
    return central, low_u[inverse], median_u[inverse], high_u[inverse]


def _unique_columns(A: sparse.csc_matrix) -> tuple[np.ndarray, np.ndarray]:
    """``(first, inverse)``: the first of each group of columns of ``A`` stored identically (same row indices
    and values in the same order, so every product with them is bit for bit the same) and each column's group.
    Candidates share two random projections and their length; equality is then checked on the bytes."""
    n = A.shape[1]
    ptr = A.indptr
    nnz = np.diff(ptr)
    if n < 2 or A.nnz == 0:
        return np.arange(n), np.arange(n)
    rng = np.random.default_rng(12345)
    w1, w2 = rng.random(A.shape[0]), rng.random(A.shape[0])
    starts = ptr[:-1]  # into the values with a 0 appended: every start is a valid index
    h1 = np.where(nnz > 0, np.add.reduceat(np.append(A.data * w1[A.indices], 0.0), starts), 0.0)
    h2 = np.where(nnz > 0, np.add.reduceat(np.append(A.data * w2[A.indices], 0.0), starts), 0.0)
    order = np.lexsort((h2, h1, nnz))
    same = np.zeros(n, dtype=bool)
    same[1:] = (nnz[order][1:] == nnz[order][:-1]) & (h1[order][1:] == h1[order][:-1]) & (h2[order][1:] == h2[order][:-1])
    inverse = np.arange(n)
    # each candidate against the first column of its run of equal (nnz, h1, h2), all pairs at once; if any pair
    # differs (two hashes colliding) the column-by-column rule below decides instead
    cand = np.flatnonzero(same)
    run_start = np.maximum.accumulate(np.where(same, 0, np.arange(n)))
    b_all, r_all = order[cand], order[run_start[cand]]
    length = nnz[b_all]
    offs = np.arange(int(length.sum())) - np.repeat(np.cumsum(length) - length, length)
    ib, ir = np.repeat(ptr[b_all], length) + offs, np.repeat(ptr[r_all], length) + offs
    if ((A.indices[ib] == A.indices[ir]) & (A.data[ib] == A.data[ir])).all():
        inverse[b_all] = r_all
    else:
        for k in cand:
            a, b = int(order[k - 1]), int(order[k])
            ra = inverse[a]  # the representative of the previous column in sorted order
            if (np.array_equal(A.indices[ptr[ra]:ptr[ra + 1]], A.indices[ptr[b]:ptr[b + 1]])
                    and np.array_equal(A.data[ptr[ra]:ptr[ra + 1]], A.data[ptr[b]:ptr[b + 1]])):
                inverse[b] = ra
    first = np.flatnonzero(inverse == np.arange(n))
    pos = np.full(n, -1, dtype=np.int64)
    pos[first] = np.arange(len(first))
    return first, pos[inverse]


def material_stock(assets: pd.DataFrame, technologies: pd.DataFrame, intensities: pd.DataFrame, *,
                   statuses: Sequence[str] = STOCK_STATUSES, groups: Mapping[str, Iterable[str]] | None = None,
                   n_draws: int = 1000, seed: int = 0, default_year: int = 2020,
                   percentiles: tuple[float, float] = PERCENTILES, block: int = 20000,
                   progress: Callable[[int, int], None] | None = None) -> pd.DataFrame:
    """Tonnes of each material held by the assets with ``statuses``, long format (see module docstring).

    Returns ``region, area_type, area, asset_class, material, variable, unit, value`` with variables
    ``mass_t`` (deterministic: central intensities), ``low_t``, ``median_t`` and ``high_t`` (5th, 50th and
    95th percentiles of the draws; the median is the Monte Carlo central value and lies in its band).
    ``n_draws = 0`` skips the Monte Carlo (low_t/high_t then use the low/high intensities directly, no
    median_t). ``progress(done, total)`` is called after each block of output cells.
    """
    sm = select_matrix(assets, technologies, intensities, statuses=statuses, groups=groups,
                       n_draws=n_draws, default_year=default_year)
    if sm is None:
        return pd.DataFrame(columns=OUTPUT_COLUMNS)
    central, low_t, median_t, high_t = stock_values(sm, intensities, n_draws=n_draws, seed=seed,
                                                    percentiles=percentiles, block=block, progress=progress)
    keys = ["region_id", "area_type", "area", "asset_class", "material"]
    index = sm.cells[keys].astype(object)
    out = [index.assign(variable=var, unit="t", value=vals)
           for var, vals in (("mass_t", central), ("low_t", low_t), ("median_t", median_t), ("high_t", high_t))
           if vals is not None]
    res = pd.concat(out, ignore_index=True).rename(columns={"region_id": "region"})
    return res[OUTPUT_COLUMNS]


def select_matrix(assets: pd.DataFrame, technologies: pd.DataFrame, intensities: pd.DataFrame, *,
                  statuses: Sequence[str] = STOCK_STATUSES, groups: Mapping[str, Iterable[str]] | None = None,
                  n_draws: int = 0, default_year: int = 2020) -> StockMatrix | None:
    """The checked status selection of ``assets`` as a :class:`StockMatrix` (None when nothing is selected)."""
    if n_draws < 0:
        raise ModelError(f"n_draws must be >= 0, got {n_draws}")
    status = assets["status"]
    unknown = set(map(str, pd.unique(status.dropna()))) - {"operational", "under_construction", "planned",
                                                          "decommissioned"}
    if unknown:
        raise DataError(f"unknown asset status {sorted(unknown)[0]!r}", column="status")
    sel = assets[status.isin(list(statuses)).to_numpy()]
    missing_prov = sel["province_code"].isna()
    if missing_prov.any():
        raise DataError(f"asset '{sel.loc[missing_prov, 'asset_id'].iloc[0]}' has no province_code "
                        "(needed to aggregate)", column="province_code")
    if sel.empty:
        return None
    return stock_matrix(sel, technologies, intensities, groups=groups, default_year=default_year)


def stock(assets: pd.DataFrame, technologies: pd.DataFrame, intensities: pd.DataFrame,
          **kwargs) -> pd.DataFrame:
    """The material stock of operational and under-construction assets (see :func:`material_stock`)."""
    return material_stock(assets, technologies, intensities, statuses=STOCK_STATUSES, **kwargs)


def pipeline(assets: pd.DataFrame, technologies: pd.DataFrame, intensities: pd.DataFrame,
             **kwargs) -> pd.DataFrame:
    """The material content of *planned* assets (future inflow), same layout as :func:`stock`."""
    return material_stock(assets, technologies, intensities, statuses=PIPELINE_STATUSES, **kwargs)


def asset_content(assets: pd.DataFrame, technologies: pd.DataFrame, intensities: pd.DataFrame,
                  default_year: int = 2020) -> pd.DataFrame:
    """Per asset and material: ``asset_id, material, low_t, mass_t, high_t`` from the intensity bounds.

    Deterministic (no Monte Carlo); every status is included — filter beforehand. For flows and exposure.
    """
    ints = intensities.reset_index(drop=True)
    if assets.empty:
        return pd.DataFrame(columns=["asset_id", "material", "low_t", "mass_t", "high_t"])
    a, take, r, q = pair_arrays(assets, technologies, ints, default_year=default_year)
    q = q * factor("kg", "t")
    return pd.DataFrame({"asset_id": a["asset_id"].to_numpy()[take], "material": ints["material_id"].to_numpy()[r],
                         "low_t": q * ints["low_kg_per_basis"].to_numpy(float)[r],
                         "mass_t": q * ints["central_kg_per_basis"].to_numpy(float)[r],
                         "high_t": q * ints["high_kg_per_basis"].to_numpy(float)[r]})


# -------------------------------------------------------------------------------------------- checks
def check_aggregate(result: pd.DataFrame, variable: str = "mass_t", rtol: float = 1e-9,
                    atol: float = 1e-9) -> pd.DataFrame:
    """Parts sum to the whole: municipalities + unallocated = province, provinces = region, asset classes =
    ``all``. Returns the mismatching rows (``check, region, area, asset_class, material, whole, parts``);
    empty when consistent. Only additive variables (``mass_t``) can be checked; percentiles do not add up.
    """
    df = result[result["variable"] == variable]
    out: list[pd.DataFrame] = []

    def compare(name: str, whole: pd.Series, parts: pd.Series) -> None:
        both = pd.concat([whole.rename("whole"), parts.rename("parts")], axis=1).fillna(0.0)
        bad = ~np.isclose(both["whole"], both["parts"], rtol=rtol, atol=atol)
        if bad.any():
            b = both[bad].reset_index()
            b.insert(0, "check", name)
            out.append(b)

    prov = df[df["area_type"] == "province"]
    sub = df[df["area_type"].isin(["municipality", "offshore", "unallocated"])]
    # provinces → region
    reg = df[df["area_type"] == "region"].set_index(["region", "asset_class", "material"])["value"]
    compare("provinces_to_region", reg, prov.groupby(["region", "asset_class", "material"])["value"].sum())
    # asset classes → all
    cls = df[df["asset_class"] != ALL_CLASSES].groupby(["region", "area_type", "area", "material"])["value"].sum()
    tot = df[df["asset_class"] == ALL_CLASSES].set_index(["region", "area_type", "area", "material"])["value"]
    compare("asset_classes_to_all", tot, cls)
    # municipalities + unallocated → region (province membership is not in the long format; see
    # check_municipalities for the province level)
    parts = sub.groupby(["region", "asset_class", "material"])["value"].sum()
    compare("municipalities_to_region", reg, parts)
    if not out:
        return pd.DataFrame(columns=["check", "whole", "parts"])
    return pd.concat(out, ignore_index=True)


def check_municipalities(result: pd.DataFrame, municipality_province: Mapping[str, str],
                         variable: str = "mass_t", rtol: float = 1e-9) -> pd.DataFrame:
    """Municipalities (+ offshore areas + unallocated) sum to their province, using an area → province map."""
    df = result[result["variable"] == variable]
    sub = df[df["area_type"].isin(["municipality", "offshore", "unallocated"])].copy()
    prov_of = sub["area"].map(lambda a: municipality_province.get(a, a))
    if prov_of.isna().any():
        raise ModelError(f"municipality {sub.loc[prov_of.isna(), 'area'].iloc[0]} has no province")
    parts = sub.assign(area=prov_of).groupby(["region", "area", "asset_class", "material"])["value"].sum()
    whole = df[df["area_type"] == "province"].set_index(["region", "area", "asset_class", "material"])["value"]
    both = pd.concat([whole.rename("whole"), parts.rename("parts")], axis=1).fillna(0.0)
    bad = ~np.isclose(both["whole"], both["parts"], rtol=rtol, atol=1e-9)
    return both[bad].reset_index().assign(check="municipalities_to_province")


def assert_aggregate(result: pd.DataFrame, municipality_province: Mapping[str, str] | None = None) -> None:
    """Raise :class:`ModelError` when :func:`check_aggregate` (and the municipality check) finds mismatches."""
    bad = check_aggregate(result)
    if municipality_province is not None:
        bad = pd.concat([bad, check_municipalities(result, municipality_province)], ignore_index=True)
    if len(bad):
        r = bad.iloc[0]
        raise ModelError(f"aggregation check '{r['check']}' failed for {len(bad)} cell(s), e.g. "
                         f"whole {r['whole']:.6g} t vs parts {r['parts']:.6g} t")


def wide(result: pd.DataFrame) -> pd.DataFrame:
    """Long result → one row per cell with columns ``mass_t, low_t, high_t`` (+ ``median_t`` with draws)."""
    key = ["region", "area_type", "area", "asset_class", "material"]
    w = result.pivot_table(index=key, columns="variable", values="value", aggfunc="first").reset_index()
    w.columns.name = None
    for c in ("mass_t", "low_t", "high_t"):
        if c not in w.columns:
            w[c] = np.nan
    return w[key + ["mass_t", "low_t", "high_t"] + (["median_t"] if "median_t" in w.columns else [])]
