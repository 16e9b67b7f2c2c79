"""The stock model as it was before the integer-code rewrite (pandas string keys, per-asset loop), kept as
a reference: tests/test_inventory_scale.py checks that the current model gives the same numbers (same seed).

Not used by critmat itself; slow by design (it is the baseline the rewrite is measured against).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import sparse

from critmat.errors import DataError, ModelError
from critmat.models.inventory import (ALL_CLASSES, ASSET_COLUMNS, COMPATIBLE, OUTPUT_COLUMNS, PERCENTILES,
                                      QUANTITY, STOCK_STATUSES, pert_draws)


def _require(frame: pd.DataFrame, cols: Sequence[str], what: str) -> None:
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise DataError(f"{what} lacks column(s) {missing}", column=missing[0])


def asset_row_pairs(assets: pd.DataFrame, technologies: pd.DataFrame, intensities: pd.DataFrame,
                    default_year: int = 2020) -> pd.DataFrame:
    """One row per (asset, intensity row) the asset uses: ``asset_id, row, quantity`` + asset columns.

    ``row`` is the positional index of the intensity row. Raises :class:`DataError` naming the asset for an
    unknown technology, a technology of another asset class, or a missing/negative quantity.
    """
    _require(assets, ASSET_COLUMNS, "assets")
    _require(technologies, ["technology_id", "asset_class", "basis"], "technologies")
    _require(intensities, ["technology_id", "material_id", "year_from", "low_kg_per_basis",
                           "central_kg_per_basis", "high_kg_per_basis"], "material_intensities")
    if assets["asset_id"].duplicated().any():
        dup = assets.loc[assets["asset_id"].duplicated(), "asset_id"].iloc[0]
        raise DataError(f"duplicate asset_id '{dup}'", column="asset_id")
    tech = technologies.set_index("technology_id")
    a = assets.reset_index(drop=True).copy()
    for pos, r in enumerate(a.itertuples(index=False)):
        where = f"asset '{r.asset_id}' (row {pos + 1})"
        if pd.isna(r.technology_id) or r.technology_id not in tech.index:
            raise DataError(f"{where}: unknown technology_id '{r.technology_id}' (not in technologies)",
                            row=pos + 1, column="technology_id")
        tclass = tech.at[r.technology_id, "asset_class"]
        if r.asset_class != tclass and r.asset_class not in COMPATIBLE.get(tclass, set()):
            raise DataError(f"{where}: technology '{r.technology_id}' is for asset class '{tclass}', "
                            f"not '{r.asset_class}'", row=pos + 1, column="technology_id")
    basis = a["technology_id"].map(tech["basis"])
    qty = pd.Series(np.nan, index=a.index, dtype=float)
    for b, col in QUANTITY.items():
        m = basis == b
        qty[m] = pd.to_numeric(a.loc[m, col], errors="coerce").astype(float)
    bad = qty.isna() | (qty < 0)
    if bad.any():
        pos = int(np.flatnonzero(bad.to_numpy())[0])
        col = QUANTITY[basis.iloc[pos]]
        raise DataError(f"asset '{a.at[pos, 'asset_id']}' (row {pos + 1}): {col} is "
                        f"{a.at[pos, col]!r}; technology '{a.at[pos, 'technology_id']}' needs a quantity >= 0 "
                        f"in {col}", row=pos + 1, column=col)
    a["quantity"] = qty.to_numpy()
    a["vintage"] = pd.to_numeric(a["commissioning_year"], errors="coerce").fillna(default_year).astype("int64")

    rows = intensities.reset_index(drop=True)[["technology_id", "material_id", "year_from"]].copy()
    rows["row"] = np.arange(len(rows))
    rows["year_from"] = pd.to_numeric(rows["year_from"]).astype("int64")
    pairs = a[["asset_id", "technology_id", "vintage"]].merge(rows, on="technology_id", how="inner")
    # per (asset, material): the row with the largest year_from <= vintage, else the first row
    pairs = pairs.sort_values(["asset_id", "material_id", "year_from"], kind="stable")
    key = ["asset_id", "material_id"]
    chosen = pairs[pairs["year_from"] <= pairs["vintage"]].groupby(key, sort=False)["row"].last()
    fallback = pairs.groupby(key, sort=False)["row"].first()
    pick = chosen.reindex(fallback.index).fillna(fallback).astype("int64").rename("row").reset_index()
    out = pick.merge(a.drop(columns=["vintage"]), on="asset_id", how="left")
    return out


# ---------------------------------------------------------------------------------------- aggregation
def _cells(pairs: pd.DataFrame, material: pd.Series, groups: Mapping[str, Iterable[str]]) -> pd.DataFrame:
    """Expand pairs to (row, quantity, region, area_type, area, asset_class, material) contributions."""
    base = pairs.assign(material=material.to_numpy()[pairs["row"].to_numpy()])
    direct = sorted(set(base["material"]) & set(groups))
    if direct:  # the group total would add this row to its members' rows
        raise ModelError(f"intensity rows give material group '{direct[0]}' directly while the stock also sums "
                         f"it from its members ({', '.join(sorted(groups[direct[0]]))}): give the elements")
    members = [base]
    for gid, mats in groups.items():
        sub = base[base["material"].isin(set(mats))]
        if len(sub):
            members.append(sub.assign(material=gid))
    base = pd.concat(members, ignore_index=True)
    munis = base["municipality_code"].astype("object")
    has_muni = munis.notna() & (munis.astype(str) != "")
    areas = base["area_code"].astype("object") if "area_code" in base.columns else pd.Series(None, index=base.index)
    offshore = ~has_muni & areas.notna() & (areas.astype(str) != "")
    levels = [
        base.assign(area_type="region", area=base["region_id"]),
        base.assign(area_type="province", area=base["province_code"]),
        base[has_muni].assign(area_type="municipality", area=base.loc[has_muni, "municipality_code"]),
        base[offshore].assign(area_type="offshore", area=areas[offshore]),
        base[~has_muni & ~offshore].assign(area_type="unallocated", area=base.loc[~has_muni & ~offshore, "province_code"]),
    ]
    lv = pd.concat(levels, ignore_index=True)
    lv = pd.concat([lv, lv.assign(asset_class=ALL_CLASSES)], ignore_index=True)
    keys = ["region_id", "area_type", "area", "asset_class", "material", "row"]
    return lv.groupby(keys, sort=False, dropna=False)["quantity"].sum().reset_index()


def material_stock(assets: pd.DataFrame, technologies: pd.DataFrame, intensities: pd.DataFrame, *,
                   statuses: Sequence[str] = STOCK_STATUSES, groups: Mapping[str, Iterable[str]] | None = None,
                   n_draws: int = 1000, seed: int = 0, default_year: int = 2020,
                   percentiles: tuple[float, float] = PERCENTILES, block: int = 4000,
                   progress: Callable[[int, int], None] | None = None) -> pd.DataFrame:
    """Tonnes of each material held by the assets with ``statuses``, long format (see module docstring).

    Returns ``region, area_type, area, asset_class, material, variable, unit, value`` with variables
    ``mass_t`` (central), ``low_t`` and ``high_t`` (Monte Carlo percentiles). ``n_draws = 0`` skips the
    Monte Carlo (low_t/high_t then use the low/high intensities directly). ``progress(done, total)`` is
    called after each block of output cells.
    """
    if n_draws < 0:
        raise ModelError(f"n_draws must be >= 0, got {n_draws}")
    unknown = set(map(str, assets["status"].dropna())) - {"operational", "under_construction", "planned",
                                                         "decommissioned"}
    if unknown:
        raise DataError(f"unknown asset status {sorted(unknown)[0]!r}", column="status")
    sel = assets[assets["status"].isin(list(statuses))]
    missing_prov = sel["province_code"].isna()
    if missing_prov.any():
        raise DataError(f"asset '{sel.loc[missing_prov, 'asset_id'].iloc[0]}' has no province_code "
                        "(needed to aggregate)", column="province_code")
    ints = intensities.reset_index(drop=True)
    if sel.empty:
        return pd.DataFrame(columns=OUTPUT_COLUMNS)
    pairs = asset_row_pairs(sel, technologies, ints, default_year=default_year)
    cells = _cells(pairs, ints["material_id"], groups or {})
    keys = ["region_id", "area_type", "area", "asset_class", "material"]
    index = cells[keys].drop_duplicates().reset_index(drop=True)
    index["cell"] = np.arange(len(index))
    cells = cells.merge(index, on=keys)
    n_rows, n_cells = len(ints), len(index)
    A = sparse.csc_matrix((cells["quantity"].to_numpy(float), (cells["row"].to_numpy(), cells["cell"].to_numpy())),
                          shape=(n_rows, n_cells))
    lo = ints["low_kg_per_basis"].to_numpy(float)
    ce = ints["central_kg_per_basis"].to_numpy(float)
    hi = ints["high_kg_per_basis"].to_numpy(float)
    central = np.asarray(A.T @ ce).ravel() / 1000.0
    if n_draws == 0:
        low_t = np.asarray(A.T @ lo).ravel() / 1000.0
        high_t = np.asarray(A.T @ hi).ravel() / 1000.0
        median_t = None
    else:
        median_t = np.empty(n_cells)
        rng = np.random.default_rng(seed)
        draws = pert_draws(lo, ce, hi, n_draws, rng)  # (n_draws, n_rows)
        low_t = np.empty(n_cells)
        high_t = np.empty(n_cells)
        for start in range(0, n_cells, block):
            stop = min(start + block, n_cells)
            tot = np.asarray((A[:, start:stop].T @ draws.T).T) / 1000.0  # (n_draws, block)
            low_t[start:stop], median_t[start:stop], high_t[start:stop] = np.percentile(
                tot, (percentiles[0], 50.0, percentiles[1]), axis=0)
            if progress:
                progress(stop, n_cells)
    out = []
    for var, vals in (("mass_t", central), ("low_t", low_t), ("median_t", median_t), ("high_t", high_t)):
        if vals is None:
            continue
        out.append(index[keys].assign(variable=var, unit="t", value=vals))
    res = pd.concat(out, ignore_index=True).rename(columns={"region_id": "region"})
    return res[OUTPUT_COLUMNS]


