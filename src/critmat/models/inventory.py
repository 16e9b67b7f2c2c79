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
  (``asset_class = "all"``); assets without a municipality (statistical aggregates per province) appear
  under ``area_type = "unallocated"`` with the province code as area, so municipalities + unallocated =
  province. Material groups (``groups``: group id → member ids, e.g. ``rare_earth_elements_light``) are
  added as extra materials summing their members.

Computation is a sparse matmul: draws (n_draws × intensity rows) @ A (rows × output cells), where A holds
the summed asset quantities per row and cell.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import sparse

from critmat.catalog.units import factor
from critmat.errors import DataError, ModelError

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
    levels = [
        base.assign(area_type="region", area=base["region_id"]),
        base.assign(area_type="province", area=base["province_code"]),
        base[has_muni].assign(area_type="municipality", area=base.loc[has_muni, "municipality_code"]),
        base[~has_muni].assign(area_type="unallocated", area=base.loc[~has_muni, "province_code"]),
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
    ``mass_t`` (deterministic: central intensities), ``low_t``, ``median_t`` and ``high_t`` (5th, 50th and
    95th percentiles of the draws; the median is the Monte Carlo central value and lies in its band).
    ``n_draws = 0`` skips the Monte Carlo (low_t/high_t then use the low/high intensities directly, no
    median_t). ``progress(done, total)`` is
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
    kg_t = factor("kg", "t")
    central = np.asarray(A.T @ ce).ravel() * kg_t
    median_t = None
    if n_draws == 0:
        low_t = np.asarray(A.T @ lo).ravel() * kg_t
        high_t = np.asarray(A.T @ hi).ravel() * kg_t
    else:
        median_t = np.empty(n_cells)
        rng = np.random.default_rng(seed)
        draws = pert_draws(lo, ce, hi, n_draws, rng)  # (n_draws, n_rows)
        low_t = np.empty(n_cells)
        high_t = np.empty(n_cells)
        for start in range(0, n_cells, block):
            stop = min(start + block, n_cells)
            tot = np.asarray((A[:, start:stop].T @ draws.T).T) * kg_t  # (n_draws, block)
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
    pairs = asset_row_pairs(assets, technologies, ints, default_year=default_year)
    q = pairs["quantity"].to_numpy(float) * factor("kg", "t")
    r = pairs["row"].to_numpy()
    return pd.DataFrame({"asset_id": pairs["asset_id"].to_numpy(), "material": ints["material_id"].to_numpy()[r],
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
    sub = df[df["area_type"].isin(["municipality", "unallocated"])]
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
    """Municipalities (+ unallocated) sum to their province, using a municipality → province map."""
    df = result[result["variable"] == variable]
    sub = df[df["area_type"].isin(["municipality", "unallocated"])].copy()
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
