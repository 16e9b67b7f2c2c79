"""Synthetic region packs for scale tests and benchmarks (``critmat region synth``).

The packs have exactly the schema of real region packs (the spec of the bundled ``nh-fl`` pack; written by
:func:`critmat.regions.write_region_pack`, which validates them like any built pack), with made-up assets
drawn from stated distributions. Every asset row cites the source ``critmat_synthetic`` (kind assumption),
so a synthetic number can never pass as data.

Municipalities are the 342 real Dutch municipalities (CBS list and centroids) when a folder holding the CBS
municipality list and boundaries is given (``src``, e.g. ``../shared/data/nl_boundaries``); otherwise
synthetic codes ``GM9xxx`` in 12 provinces ``PV20``–``PV31`` with centroids inside the Netherlands.

Regions: with ``n_regions <= 12`` the 12 provinces are dealt round-robin to the regions; with more regions,
region ``r`` holds every municipality of province ``r mod 12`` (so 250 regions look like 250 NUTS-2 regions of
about 28 municipalities). Assets are split evenly over the regions and uniformly over each region's
municipalities.

Distributions (per asset, seeded :class:`numpy.random.Generator`: same arguments, same packs):

* asset classes (:data:`CLASS_SHARES`): 32 % wind (31 % onshore, 1 % offshore), 40 % solar PV, 28 % data
  centres, grid and car fleets;
* wind onshore: 1 + Poisson(3) turbines of 0.5 + 0.12 MW per year since 1990 (capped at 6 MW), commissioned
  1995–2025 with weights rising linearly; drivetrain shares move from DFIG to permanent-magnet and direct
  drive after 2010; offshore: 100–1,500 MW farms of 3–15 MW turbines, 2006–2030, at sea (EEZ box);
* solar PV: lognormal capacity (median 0.5 MWp, σ = 1.2, 0.01–500 MWp), commissioned 2010–2025 with weights
  growing 25 % a year; 95 % c-Si, 3 % CdTe, 2 % CIGS;
* data centres: half with a capacity (lognormal, median 5 MW, 0.1–200 MW), the rest with a type only;
* grid cables (lognormal length, median 40 km) and transformer stations (1–50 units), car fleets per
  municipality and drivetrain (lognormal, median 2,000 cars; 70 % ICE, 12 % HEV, 6 % PHEV, 12 % BEV):
  aggregates without a commissioning year (populations in the flow model);
* status: 4 % planned (commissioned 2026–2030), 2 % under construction (2025–2026), wind and PV commissioned
  before 2005 decommissioned with probability 0.3 (after 18–25 years, at the latest 2024); 1 % of the
  operational wind farms older than 2006 carry a 5-year lifetime extension event.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from critmat.errors import RegionError

SOURCE_ID = "critmat_synthetic"
NL_PROVINCES = {"PV20": "Groningen", "PV21": "Fryslân", "PV22": "Drenthe", "PV23": "Overijssel",
                "PV24": "Flevoland", "PV25": "Gelderland", "PV26": "Utrecht", "PV27": "Noord-Holland",
                "PV28": "Zuid-Holland", "PV29": "Zeeland", "PV30": "Noord-Brabant", "PV31": "Limburg"}
#: Share of the assets per class (sums to 1).
CLASS_SHARES = {"wind_onshore": 0.31, "wind_offshore": 0.01, "solar_pv": 0.40, "datacentre": 0.02,
                "grid_cable": 0.10, "grid_transformer": 0.06, "vehicle": 0.10}
#: Technology shares per class (before/after 2010 for onshore wind).
TECH_SHARES = {
    "wind_onshore_old": {"wind_gb_dfig": 0.85, "wind_dd_eesg": 0.15},
    "wind_onshore_new": {"wind_gb_dfig": 0.45, "wind_gb_pmsg": 0.25, "wind_dd_pmsg": 0.15, "wind_dd_eesg": 0.15},
    "wind_offshore": {"wind_dd_pmsg": 0.6, "wind_gb_pmsg": 0.25, "wind_gb_dfig": 0.15},
    "solar_pv": {"pv_csi": 0.95, "pv_cdte": 0.03, "pv_cigs": 0.02},
    "datacentre": {"datacentre_generic": 1.0},
    "grid_cable": {"cable_lv": 0.45, "cable_mv": 0.35, "cable_hv": 0.12, "line_hv_overhead": 0.08},
    "grid_transformer": {"transformer_distribution": 0.7, "transformer_station": 0.25, "transformer_station_hv": 0.05},
    "vehicle": {"car_ice": 0.70, "car_hev": 0.12, "car_phev": 0.06, "car_bev": 0.12},
}
ABBR = {"wind_onshore": "won", "wind_offshore": "wof", "solar_pv": "pv", "datacentre": "dc", "grid_cable": "gc",
        "grid_transformer": "gt", "vehicle": "car"}
OFFSHORE_BOX = (51.8, 54.0, 3.0, 4.4)  # lat_min, lat_max, lon_min, lon_max: inside the Dutch EEZ, at sea
LAND_BOX = (50.80, 53.45, 3.40, 7.15)  # a margin inside critmat.regions.NL_LAND_BBOX


@dataclass(frozen=True)
class Municipalities:
    """The municipality table the packs draw from and where it came from."""

    frame: pd.DataFrame  # municipality_code, municipality_name, province_code, province_name, lat, lon
    source_id: str
    real: bool


def municipalities(src: Path | None = None, seed: int = 0) -> Municipalities:
    """The real CBS municipalities with centroids from the files in ``src`` (CBS municipality list + CBS/PDOK
    boundaries, found as :func:`critmat.regions.discover_sources` finds them), or 342 synthetic ones."""
    if src is not None:
        from critmat.loaders import cbs, pdok
        from critmat.regions import BUILD_SOURCES, discover_sources

        files = discover_sources(Path(src))
        if "municipalities" not in files or "boundaries" not in files:
            raise RegionError(f"{src}: needs a CBS municipality list and CBS/PDOK municipality boundaries "
                              f"(found: {', '.join(sorted(files)) or 'nothing'})")
        mun = cbs.read_municipalities(files["municipalities"])
        cent = pdok.read_boundaries(files["boundaries"]).set_index("code")[["lat", "lon"]]
        mun = mun.join(cent, on="municipality_code")
        mun = mun[mun["lat"].notna()].reset_index(drop=True)
        mun["lat"], mun["lon"] = mun["lat"].round(4), mun["lon"].round(4)
        return Municipalities(mun, BUILD_SOURCES["municipalities"], True)
    rng = np.random.default_rng(seed + 7919)
    codes = list(NL_PROVINCES)
    n = 342
    prov = np.array(codes)[np.arange(n) % len(codes)]
    # each synthetic province is a band of latitude, so municipalities of a province lie together
    band = np.arange(n) % len(codes)
    lat0 = LAND_BOX[0] + 0.1 + band * (LAND_BOX[1] - LAND_BOX[0] - 0.2) / len(codes)
    frame = pd.DataFrame({
        "municipality_code": [f"GM{9000 + i:04d}" for i in range(n)],
        "municipality_name": [f"Synthetic municipality {i + 1}" for i in range(n)],
        "province_code": prov, "province_name": [f"Synthetic {NL_PROVINCES[p]}" for p in prov],
        "lat": np.round(lat0 + rng.uniform(0, 0.15, n), 4),
        "lon": np.round(rng.uniform(LAND_BOX[2] + 0.3, LAND_BOX[3] - 0.3, n), 4),
    })
    return Municipalities(frame, SOURCE_ID, False)


def _pick(rng: np.random.Generator, shares: dict[str, float], n: int) -> np.ndarray:
    keys = list(shares)
    p = np.array([shares[k] for k in keys], dtype=float)
    return np.array(keys, dtype=object)[rng.choice(len(keys), size=n, p=p / p.sum())]


def _years(rng: np.random.Generator, lo: int, hi: int, growth: float, n: int) -> np.ndarray:
    """Years lo..hi with weights (1 + growth) ** (year - lo) (growth 0: uniform)."""
    ys = np.arange(lo, hi + 1)
    w = (1.0 + growth) ** (ys - lo)
    return rng.choice(ys, size=n, p=w / w.sum())


def synth_assets(n: int, mun: pd.DataFrame, region_id: str, rng: np.random.Generator,
                 registry_year: int = 2025) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(assets, asset_events)`` of ``n`` synthetic assets over the municipalities ``mun`` (one region)."""
    classes = _pick(rng, CLASS_SHARES, n)
    order = np.argsort(pd.Categorical(classes, categories=list(CLASS_SHARES)).codes, kind="stable")
    classes = classes[order]
    m = rng.integers(0, len(mun), size=n)
    codes = mun["municipality_code"].to_numpy(object)[m]
    provs = mun["province_code"].to_numpy(object)[m]
    lat = mun["lat"].to_numpy(float)[m] + rng.normal(0.0, 0.02, n)
    lon = mun["lon"].to_numpy(float)[m] + rng.normal(0.0, 0.03, n)
    tech = np.empty(n, dtype=object)
    year = np.full(n, np.nan)
    cap = np.full(n, np.nan)
    length = np.full(n, np.nan)
    units = np.full(n, np.nan)
    dctype = np.full(n, None, dtype=object)
    has_xy = np.ones(n, dtype=bool)

    def sel(c: str) -> np.ndarray:
        return np.flatnonzero(classes == c)

    i = sel("wind_onshore")
    y = _years(rng, 1995, registry_year, 0.08, len(i))
    year[i] = y
    old = y < 2010
    tech[i[old]] = _pick(rng, TECH_SHARES["wind_onshore_old"], int(old.sum()))
    tech[i[~old]] = _pick(rng, TECH_SHARES["wind_onshore_new"], int((~old).sum()))
    units[i] = 1 + rng.poisson(3.0, len(i))
    cap[i] = units[i] * np.minimum(0.5 + 0.12 * (y - 1990), 6.0)
    i = sel("wind_offshore")
    year[i] = _years(rng, 2006, 2030, 0.1, len(i))
    tech[i] = _pick(rng, TECH_SHARES["wind_offshore"], len(i))
    cap[i] = np.round(rng.uniform(100.0, 1500.0, len(i)), 1)
    units[i] = np.ceil(cap[i] / rng.uniform(3.0, 15.0, len(i)))
    lat[i] = rng.uniform(OFFSHORE_BOX[0], OFFSHORE_BOX[1], len(i))
    lon[i] = rng.uniform(OFFSHORE_BOX[2], OFFSHORE_BOX[3], len(i))
    i = sel("solar_pv")
    year[i] = _years(rng, 2010, registry_year, 0.25, len(i))
    tech[i] = _pick(rng, TECH_SHARES["solar_pv"], len(i))
    cap[i] = np.clip(rng.lognormal(np.log(0.5), 1.2, len(i)), 0.01, 500.0)
    i = sel("datacentre")
    tech[i] = "datacentre_generic"
    units[i] = 1
    given = rng.random(len(i)) < 0.5
    cap[i[given]] = np.clip(rng.lognormal(np.log(5.0), 1.0, int(given.sum())), 0.1, 200.0)
    dctype[i] = _pick(rng, {"enterprise": 0.6, "colocation": 0.35, "hyperscale": 0.05}, len(i))
    dated = rng.random(len(i)) < 0.5
    year[i[dated]] = _years(rng, 2000, registry_year, 0.1, int(dated.sum()))
    for c, col, median in (("grid_cable", length, 40.0), ("vehicle", units, 2000.0)):
        i = sel(c)
        tech[i] = _pick(rng, TECH_SHARES[c], len(i))
        col[i] = np.round(np.clip(rng.lognormal(np.log(median), 1.0, len(i)), 1.0, 1e6))
        has_xy[i] = False
    i = sel("grid_transformer")
    tech[i] = _pick(rng, TECH_SHARES["grid_transformer"], len(i))
    units[i] = rng.integers(1, 51, len(i))
    has_xy[i] = False

    status = np.full(n, "operational", dtype=object)
    dated = ~np.isnan(year)
    u = rng.random(n)
    planned = dated & (u < 0.04)
    building = dated & (u >= 0.04) & (u < 0.06)
    year[planned] = rng.integers(registry_year + 1, registry_year + 6, int(planned.sum()))
    year[building] = rng.integers(registry_year, registry_year + 2, int(building.sum()))
    status[planned] = "planned"
    status[building] = "under_construction"
    decom_year = np.full(n, np.nan)
    is_gen = np.isin(classes, ["wind_onshore", "solar_pv"])
    gone = is_gen & dated & ~planned & ~building & (year < 2005) & (rng.random(n) < 0.3)
    decom_year[gone] = np.minimum(year[gone] + rng.integers(18, 26, int(gone.sum())), registry_year - 1)
    status[gone] = "decommissioned"
    lat, lon = np.round(lat, 5), np.round(lon, 5)
    land = has_xy & (classes != "wind_offshore")
    lat[land] = np.clip(lat[land], LAND_BOX[0], LAND_BOX[1])
    lon[land] = np.clip(lon[land], LAND_BOX[2], LAND_BOX[3])
    lat[~has_xy] = np.nan
    lon[~has_xy] = np.nan
    abbr = pd.Series(classes).map(ABBR).to_numpy(object)
    ids = np.char.add(np.char.add(f"{region_id}-", abbr.astype(str)), np.char.add("-", np.char.zfill(
        np.arange(1, n + 1).astype(str), 7)))
    assets = pd.DataFrame({
        "asset_id": ids.astype(object), "region_id": region_id,
        "name": np.char.add("Synthetic ", ids).astype(object), "asset_class": classes, "technology_id": tech,
        "status": status, "commissioning_year": pd.array(np.where(dated, year, np.nan), dtype="Float64").astype("Int64"),
        "decommissioning_year": pd.array(decom_year, dtype="Float64").astype("Int64"),
        "capacity_mw": np.round(cap, 3), "length_km": length, "units": pd.array(units, dtype="Float64").astype("Int64"),
        "lat": lat, "lon": lon, "municipality_code": codes, "province_code": provs, "turbine_model": None,
        "datacentre_type": dctype, "source_id": SOURCE_ID, "note": None,
    })
    ext = np.flatnonzero((classes == "wind_onshore") & (status == "operational") & (year < 2006)
                         & (rng.random(n) < 0.01))
    events = pd.DataFrame({
        "event_id": [f"ev-{a}-ext" for a in assets["asset_id"].to_numpy()[ext]], "region_id": region_id,
        "asset_id": assets["asset_id"].to_numpy()[ext], "event": "lifetime_extension",
        "year": np.full(len(ext), registry_year - 1), "replacement_asset_id": None,
        "extension_years": np.full(len(ext), 5), "units_removed": None, "source_id": SOURCE_ID,
        "note": "synthetic lifetime extension"})
    return assets, events


def region_layout(mun: pd.DataFrame, n_regions: int) -> list[list[str]]:
    """Province codes of each region (see the module docstring)."""
    provs = sorted(set(mun["province_code"]))
    if n_regions <= len(provs):
        return [provs[r::n_regions] for r in range(n_regions)]
    return [[provs[r % len(provs)]] for r in range(n_regions)]


def _generate(n_assets: int, n_regions: int, seed: int, src: Path | None, prefix: str):
    """Yield ``(region_id, provinces, municipalities, assets, events, Municipalities)`` per region."""
    if n_assets < 1 or n_regions < 1:
        raise RegionError(f"need at least one asset and one region (got {n_assets} assets, {n_regions} regions)")
    if n_regions > n_assets:
        raise RegionError(f"{n_regions} regions for {n_assets} assets: every region needs an asset")
    munis = municipalities(src, seed)
    layout = region_layout(munis.frame, n_regions)
    per = np.full(n_regions, n_assets // n_regions)
    per[: n_assets % n_regions] += 1
    width = max(3, len(str(n_regions)))
    rng = np.random.default_rng(seed)
    for r, provs in enumerate(layout):
        rid = f"{prefix}-{seed}-{r + 1:0{width}d}"
        mun = munis.frame[munis.frame["province_code"].isin(provs)].reset_index(drop=True)
        assets, events = synth_assets(int(per[r]), mun, rid, rng)
        yield rid, provs, mun.assign(region_id=rid, source_id=munis.source_id), assets, events, munis


def synth_regions(n_assets: int, n_regions: int = 1, seed: int = 0, out: Path | None = None,
                  src: Path | None = None, prefix: str = "synth") -> list[Path]:
    """Write ``n_regions`` synthetic region packs with ``n_assets`` assets in total into ``out``.

    Region ids are ``<prefix>-<seed>-<r>`` (e.g. ``synth-0-001``); ``out`` defaults to
    ``<CRITMAT_HOME>/regions`` (so ``--region synth-0-001`` works at once). Each pack is written and
    validated by :func:`critmat.regions.write_region_pack`. Returns the pack folders.
    """
    from critmat.regions import PROVINCE_NUTS2, RegionConfig, user_regions_dir, write_region_pack

    base = Path(out) if out is not None else user_regions_dir()
    paths = []
    for r, (rid, provs, mun, assets, events, munis) in enumerate(_generate(n_assets, n_regions, seed, src, prefix)):
        names = [NL_PROVINCES.get(p, p) for p in provs]
        config = RegionConfig(id=rid, name=f"Synthetic region {r + 1} ({', '.join(names)})", provinces=tuple(provs),
                              nuts2=tuple(PROVINCE_NUTS2[p] for p in provs if p in PROVINCE_NUTS2 and munis.real),
                              boundary_year=2025, source_id=munis.source_id,
                              description=f"Synthetic assets (critmat region synth, seed {seed}, region {r + 1} of "
                                          f"{n_regions}) on {'the real CBS' if munis.real else 'synthetic'} "
                                          "municipalities; for scale tests only, not data.")
        paths.append(write_region_pack(base / rid, config, {"municipalities": mun, "assets": assets,
                                                            "asset_events": events}))
    return paths


def synth_frames(n_assets: int, n_regions: int = 1, seed: int = 0, src: Path | None = None,
                 prefix: str = "synth") -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The frames :func:`synth_regions` writes (assets, asset_events, municipalities of all regions, the same
    rows for the same arguments), in memory, for benchmarks and tests that do not need files."""
    a_out, e_out, m_out = [], [], []
    for _rid, _provs, mun, assets, events, _m in _generate(n_assets, n_regions, seed, src, prefix):
        a_out.append(assets)
        e_out.append(events)
        m_out.append(mun)
    return (pd.concat(a_out, ignore_index=True), pd.concat(e_out, ignore_index=True),
            pd.concat(m_out, ignore_index=True))


__all__: Sequence[str] = ["CLASS_SHARES", "SOURCE_ID", "municipalities", "region_layout", "synth_assets",
                          "synth_frames", "synth_regions"]
