"""Build a region pack from the publishers' files with critmat's own loaders, merged with curated rows.

``critmat region build`` (:func:`critmat.regions.build_region`) calls :func:`build_tables`. The steps, and
the rules every row states in its ``note`` and in the pack's ``match_decisions`` table:

1. **Areas.** The CBS municipality list selects the provinces; the CBS/PDOK municipality polygons place
   every point asset by point-in-polygon (shapely). A wind farm outside every municipal polygon but within
   :data:`LAKE_KM` of a province polygon stands in inland water (IJsselmeer, Markermeer, Wadden) and belongs
   to the nearest municipality; farther out it is a North Sea farm. A North Sea farm is booked in its own
   offshore area ``NS-<GM code>`` named "North Sea (landing: <municipality>)": the landing municipality is
   the curated port where one is curated (nh-fl: IJmuiden, Velsen), else the nearest coastal municipality
   (source ``critmat_allocation_rules``); the province of that municipality carries the farm in provincial
   totals.
2. **Wind on land** comes from the RIVM turbine list (turbine level). Curated farms on land claim the
   nearest RIVM turbines of their municipality (a matching turbine model first) up to their capacity; the
   other turbines are summed per municipality and turbine model. powerplantmatching onshore farms inside a
   municipality are superseded by the turbine list (recorded, not added). Lake and sea farms come from the
   curated rows and from powerplantmatching farms outside the polygons.
3. **Solar parks** from powerplantmatching and the solar-park list, **data centres** from the atlas; a loaded
   row within :data:`DEDUP_KM` of a curated row of the same class family, or with the same distinctive first
   name word, is merged into the curated row (the curated row wins on every field it gives).
4. **Cars** per municipality and drivetrain: private cars per municipality (CBS 70072 via the CBS EV-share
   table) scaled to all cars by the national all/private ratio (CBS 85237NED), BEV by the municipal EV
   share, PHEV and HEV by national shares; curated province totals, where given, win and are distributed
   with the same weights (integer largest-remainder rounding keeps the totals exact).
5. **Grid** per municipality: curated (or apportioned national) cable km per province and voltage level,
   and curated station counts, distributed by population share (stated proxy).
6. **Boundaries** (municipalities, provinces, offshore areas; simplified, EPSG:4326 WKT), **build_inputs**
   (every input file with its sha256) and **coverage** (counted vs the best official count known).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from critmat.catalog import units
from critmat.errors import RegionError

#: km: a loaded row this close to a curated row of the same class family is the same asset
DEDUP_KM = {"wind": 3.0, "solar": 1.0, "datacentre": 0.25}
#: km: lake/sea farms are matched more loosely (curated farm centres are approximate, ppm points often wrong)
DEDUP_KM_WATER = {"lake": 6.0, "sea": 12.0}
#: relative capacity difference above which two solar parks with the same name or place are different parks
CAPACITY_TOLERANCE = 0.25
#: km: rows this close are the same site whatever their capacities (phases, DC vs AC figures)
SAME_SITE_KM = 0.3
#: km: a wind farm outside the municipal polygons but this close to a province polygon stands in inland water
LAKE_KM = 8.0
#: km: curated onshore farms claim RIVM turbines within this distance of the farm point
CLAIM_KM = 8.0
#: National grid length (km) and its split by voltage level (sources nl_grid_length, critmat_grid_apportionment)
GRID_NATIONAL_KM = 310_000.0
GRID_LEVEL_SHARE = {"lv": 0.58, "mv": 0.35, "hv": 0.07}
#: National drivetrain shares where no municipal figure exists (cbs_85405ned: PHEV 2 %; critmat_vehicle_split: HEV 7 %)
PHEV_SHARE = 0.02
HEV_SHARE = 0.07

SOURCES = {
    "ppm": "ppm_v060", "datacentres": "nl_datacenter_atlas_2020", "solar_list": "wikipedia_nl_solar_parks",
    "boundaries": "cbs_gebiedsindelingen", "municipalities": "cbs_gemeenten_2025", "rivm_wind": "rivm_windturbines_2026",
    "ev_share": "cbs_ev_share_gemeente_2026", "vehicles_region": "cbs_85236ned", "cars_province": "cbs_85237ned",
    "solar_cbs": "cbs_85005ned", "rules": "critmat_allocation_rules", "build": "critmat_build_assumptions",
    "grid_length": "nl_grid_length", "grid_split": "critmat_grid_apportionment", "nuts": "gisco_nuts_2024",
}

_STOP = {"windpark", "zonnepark", "wind", "farm", "solar", "park", "de", "het", "the", "onshore", "offshore", "x",
         "offshorewindpark", "windplan", "zonneveld", "energy", "pv", "windpark", "on", "shore", "land", ""}


def name_words(name: Any) -> frozenset[str]:
    """Distinctive words of a name (stop words and numbers removed)."""
    return frozenset(w for w in slug(str(name)).split("-") if w not in _STOP and not w.isdigit())


def same_name(a: Any, b: Any) -> bool:
    """True when every distinctive word of the shorter name occurs in the other (``Prinses Ariane Windpark``
    ~ ``Windpark Wieringermeer (Vattenfall; Prinses Ariane)``)."""
    wa, wb = name_words(a), name_words(b)
    return bool(wa) and bool(wb) and (wa <= wb or wb <= wa)


def slug(text: Any) -> str:
    import unicodedata

    t = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", t).strip("-")[:48] or "x"


def name_key(name: Any) -> str:
    """First distinctive word of an asset name (``Zuidwester Onshore Wind Farm`` → ``zuidwester``)."""
    words = [w for w in slug(str(name)).split("-") if w not in _STOP and not w.isdigit()]
    return words[0] if words else ""


def family(cls: str) -> str:
    return "wind" if str(cls).startswith("wind") else "solar" if cls == "solar_pv" else str(cls)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# ------------------------------------------------------------------------------------------ turbine models
def wind_technology(model: Any) -> tuple[str, bool]:
    """Technology id from a turbine model string, and whether the model decided it (else assumed DFIG).

    Rules (source critmat_region_curation / critmat_build_assumptions): Enercon (E-nn) = direct-drive
    electrically excited; Lagerwey, Siemens (Gamesa) "DD" models, SWT-3.0/3.2/3.3 = direct-drive PMSG; Vestas
    3/4 MW platform and EnVentus (V105-V172) = geared PMSG with full converter; Nordex, GE, Senvion/REpower,
    older Vestas (V52-V100), other Siemens = geared induction (DFIG/SCIG); unknown = DFIG assumed.
    """
    m = str(model or "").strip().lower()
    if not m or m == "nan":
        return "wind_gb_dfig", False
    if re.search(r"(^|[^a-z])e-?\d{2,3}", m) or "enercon" in m:
        return "wind_dd_eesg", True
    if "lagerwey" in m or re.search(r"(^|\s)l\d{2,3}", m) or " dd" in f" {m}" or "-dd-" in m or "swt-3.0" in m \
            or "swt-3.2" in m or "swt-3.3" in m or "swt-dd" in m:
        return "wind_dd_pmsg", True
    v = re.search(r"v-?\s?(\d{2,3})", m)
    if v and ("vestas" in m or m.startswith("v")):
        return ("wind_gb_pmsg", True) if int(v.group(1)) >= 105 else ("wind_gb_dfig", True)
    if any(k in m for k in ("nordex", "n117", "n131", "n133", "n149", "n163", "n-1", "n1", "n9", "ge ", "cypress",
                            "senvion", "repower", "3.4m", "mm92", "swt", "sg ", "delta")):
        return "wind_gb_dfig", True
    return "wind_gb_dfig", False


def _model_tokens(model: Any) -> set[str]:
    """Model tokens of a turbine type (``Vestas V136 (20), V126`` → {v136, v126}; ``E-126 EP4`` → {e126})."""
    return {t.replace("-", "") for t in re.findall(r"[a-z]+-?\d{2,3}", str(model or "").lower())}


def full_key(name: Any) -> str:
    """All distinctive words of a name (``Zonnepark Dorhout Mees`` → ``dorhout-mees``)."""
    return "-".join(w for w in slug(str(name)).split("-") if w not in _STOP and not w.isdigit())


# ------------------------------------------------------------------------------------------ inputs
@dataclass
class Inputs:
    files: dict[str, Path]
    src: Path
    rows: dict[str, int] = field(default_factory=dict)

    def table(self) -> pd.DataFrame:
        out = []
        for role, path in sorted(self.files.items()):
            try:
                rel = str(path.relative_to(self.src))
            except ValueError:
                rel = path.name
            out.append({"input": role, "file": rel, "sha256": sha256_file(path), "bytes": path.stat().st_size,
                        "rows_read": self.rows.get(role), "source_id": SOURCES.get(role, SOURCES["build"])})
        return pd.DataFrame(out)


class Decisions:
    """The match decisions of a build (one row per loaded input row: added, merged, aggregated, dropped)."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []

    def add(self, source: str, input_id: Any, name: Any, cls: str, decision: str, asset_id: Any = None,
            distance_km: float | None = None, rule: str = "") -> None:
        if not rule and decision == "added":
            rule = "no curated or earlier row with the same name or within the duplicate distance"
        self.rows.append({"input_source_id": source, "input_id": str(input_id), "input_name": str(name or ""),
                          "asset_class": cls, "decision": decision, "asset_id": asset_id,
                          "distance_km": None if distance_km is None else round(float(distance_km), 3), "rule": rule})

    def frame(self, region_id: str) -> pd.DataFrame:
        df = pd.DataFrame(self.rows, columns=["input_source_id", "input_id", "input_name", "asset_class", "decision",
                                              "asset_id", "distance_km", "rule"])
        df.insert(0, "decision_id", [f"md-{i + 1:05d}" for i in range(len(df))])
        df.insert(0, "region_id", region_id)
        return df


# ------------------------------------------------------------------------------------------ placement
class Geography:
    """Municipal polygons of the whole country (placement, landing) and province polygons (lake rule)."""

    def __init__(self, boundaries: pd.DataFrame, provinces: pd.DataFrame | None, mun_all: pd.DataFrame):
        from critmat.build import geo

        self.mun_all = mun_all
        b = boundaries[boundaries["code"].str.startswith("GM")].reset_index(drop=True)
        self.mun_geoms = dict(zip(b["code"], geo.shapes(b["geometry"])))
        self.mun = geo.AreaIndex(list(self.mun_geoms), list(self.mun_geoms.values()))
        prov_of = dict(zip(mun_all["municipality_code"], mun_all["province_code"]))
        if provinces is not None and len(provinces):
            self.prov_geoms = dict(zip(provinces["code"], geo.shapes(provinces["geometry"])))
        else:  # union of the municipal polygons per province
            groups: dict[str, list[Any]] = {}
            for code, g in self.mun_geoms.items():
                if code in prov_of:
                    groups.setdefault(prov_of[code], []).append(g)
            self.prov_geoms = {p: geo.union(gs) for p, gs in groups.items()}
        self.prov = geo.AreaIndex(list(self.prov_geoms), list(self.prov_geoms.values()))
        self.prov_of = prov_of

    def locate(self, lats: Any, lons: Any) -> list[str | None]:
        return self.mun.locate(lats, lons)

    def water_kind(self, lat: float, lon: float) -> tuple[str, str, float]:
        """For a point outside every municipal polygon: ('lake'|'sea', nearest municipality, km to it)."""
        _, dprov = self.prov.nearest(lat, lon)
        code, dmun = self.mun.nearest(lat, lon)
        return ("lake" if dprov <= LAKE_KM else "sea"), code, dmun


# ------------------------------------------------------------------------------------------ the build
@dataclass
class BuildContext:
    region_id: str
    mun: pd.DataFrame  # the region's municipalities
    geo: Geography | None
    inputs: Inputs
    decisions: Decisions
    now: int
    curated: dict[str, pd.DataFrame]

    fills: dict[str, dict[str, Any]] = field(default_factory=dict)

    def fill(self, asset_id: str, row: dict[str, Any] | pd.Series, source: str, input_id: Any) -> None:
        """Remember the fields a matched loaded row can give a curated row that leaves them empty (the curated
        row wins on every field it gives; the first match fills the rest)."""
        have = self.fills.setdefault(asset_id, {})
        for col in ("capacity_mw", "commissioning_year"):
            v = row.get(col)
            if col not in have and v is not None and pd.notna(v):
                have[col] = (v, source, input_id)

    @property
    def codes(self) -> set[str]:
        return set(self.mun["municipality_code"])

    @property
    def how(self) -> str:
        return "CBS polygon" if self.geo is not None else "nearest municipality centroid (no polygons)"


def _status(year_in: Any, year_out: Any, now: int) -> str:
    if pd.notna(year_out) and int(year_out) <= now:
        return "decommissioned"
    if pd.notna(year_in) and int(year_in) > now:
        return "planned"
    return "operational"


def _nearest_centroid(mun: pd.DataFrame, lat: float, lon: float, max_km: float = 8.0) -> str | None:
    from critmat.build import geo

    if mun["lat"].isna().all() or pd.isna(lat) or pd.isna(lon):
        return None
    d = geo.km_between(lat, lon, mun["lat"].to_numpy(float), mun["lon"].to_numpy(float))
    j = int(np.nanargmin(d))
    return mun["municipality_code"].iloc[j] if d[j] <= max_km else None


def place_points(ctx: BuildContext, df: pd.DataFrame) -> pd.Series:
    """Municipality code (any NL municipality) of each point: polygon, else the nearest polygon within 1 km
    (generalised coastlines), else — without polygons — the nearest region centroid within 8 km."""
    if ctx.geo is None:
        return pd.Series([_nearest_centroid(ctx.mun, la, lo) for la, lo in zip(df["lat"], df["lon"])],
                         index=df.index, dtype="object")
    codes = ctx.geo.locate(df["lat"], df["lon"])
    for k, (la, lo) in enumerate(zip(df["lat"], df["lon"])):
        if codes[k] is None and pd.notna(la) and pd.notna(lo):
            c, d = ctx.geo.mun.nearest(float(la), float(lo))
            if d <= 1.0:
                codes[k] = c
    return pd.Series(codes, index=df.index, dtype="object")


def _match(row_lat: float, row_lon: float, name: Any, fam: str, ref: pd.DataFrame, km: float,
           capacity: float | None = None) -> tuple[str | None, float | None, str]:
    """Curated asset a loaded row duplicates: same class family and (the same name by :func:`same_name`,
    nearest first, or within ``km``); with ``capacity`` given, a candidate whose capacity is known and differs
    by more than :data:`CAPACITY_TOLERANCE` is a different asset (solar parks: names are often place names)."""
    from critmat.build import geo

    cand = ref[ref["family"] == fam]
    if capacity is not None and pd.notna(capacity) and "capacity_mw" in cand.columns and pd.notna(row_lat):
        cap = pd.to_numeric(cand["capacity_mw"], errors="coerce")
        close = geo.km_between(row_lat, row_lon, cand["lat"].to_numpy(float), cand["lon"].to_numpy(float)) <= SAME_SITE_KM
        ok = cap.isna() | ((cap - float(capacity)).abs() <= CAPACITY_TOLERANCE * np.maximum(cap, float(capacity)))
        cand = cand[ok.to_numpy() | close]
    if cand.empty:
        return None, None, ""
    d = (geo.km_between(row_lat, row_lon, cand["lat"].to_numpy(float), cand["lon"].to_numpy(float))
         if pd.notna(row_lat) else np.full(len(cand), np.nan))
    same = np.flatnonzero([same_name(name, n) for n in cand["name"]])
    if len(same):
        j = same[np.nanargmin(d[same])] if not np.isnan(d[same]).all() else same[0]
        return cand["asset_id"].iloc[j], (None if np.isnan(d[j]) else float(d[j])), "same name"
    if np.isnan(d).all():
        return None, None, ""
    j = int(np.nanargmin(d))
    if d[j] <= km:
        return cand["asset_id"].iloc[j], float(d[j]), f"within {km:g} km"
    return None, float(d[j]), ""


def _ref_frame(curated: pd.DataFrame, classes: tuple[str, ...] | None = None) -> pd.DataFrame:
    ref = curated if classes is None else curated[curated["asset_class"].isin(classes)]
    return ref.assign(family=ref["asset_class"].map(family), key=ref["name"].map(name_key))


# ---------------------------------------------------------------------------------------------- wind
def _is_water_farm(row: pd.Series) -> bool:
    text = f"{row.get('name', '')} {row.get('note', '')}".lower()
    return row["asset_class"] == "wind_offshore" or any(k in text for k in ("ijsselmeer", "nearshore", "lake farm",
                                                                             "markermeer", "buitendijks"))


def wind_assets(ctx: BuildContext) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(loaded wind rows, curated wind rows updated) from RIVM turbines, ppm farms and the curated farms."""
    from critmat.build import geo as g
    from critmat.loaders import powerplantmatching, rivm_wind

    cur = ctx.curated.get("assets", pd.DataFrame(columns=ASSET_FIELDS))
    cur_wind = cur[cur["asset_class"].isin(["wind_onshore", "wind_offshore"])].copy()
    rows: list[dict[str, Any]] = []
    files = ctx.inputs.files
    # -- RIVM turbines on land
    if "rivm_wind" in files:
        t = rivm_wind.read_turbines(files["rivm_wind"])
        ctx.inputs.rows["rivm_wind"] = len(t)
        t["municipality_code"] = place_points(ctx, t)
        if ctx.geo is None:  # no polygons: RIVM's own municipality name
            from critmat.loaders.cbs_regional import norm_name

            by_name = dict(zip(ctx.mun["municipality_name"].map(norm_name), ctx.mun["municipality_code"]))
            t["municipality_code"] = t["municipality"].map(norm_name).map(by_name)
        t = t[t["municipality_code"].isin(ctx.codes)].reset_index(drop=True)
        t["claimed_by"] = None
        t["legacy"] = False
        land_farms = cur_wind[(cur_wind["asset_class"] == "wind_onshore")
                              & cur_wind["status"].isin(["operational", "under_construction"])
                              & ~cur_wind.apply(_is_water_farm, axis=1) & cur_wind["capacity_mw"].notna()]
        pairs = []
        for _, f in land_farms.iterrows():
            d = g.km_between(float(f["lat"]), float(f["lon"]), t["lat"].to_numpy(), t["lon"].to_numpy())
            toks = _model_tokens(f.get("turbine_model"))
            unit_mw = float(f["capacity_mw"]) / float(f["units"]) if pd.notna(f.get("units")) and f["units"] else None
            for i in np.flatnonzero(d <= CLAIM_KM):
                score = float(d[i])
                if toks and (_model_tokens(t.at[i, "type"]) & toks):
                    score -= 3.0
                if unit_mw:
                    score += min(5.0 * abs(float(t.at[i, "capacity_mw"]) - unit_mw) / unit_mw, 5.0)
                if t.at[i, "municipality_code"] != f["municipality_code"]:
                    score += 1.0
                pairs.append((score, float(d[i]), int(i), f["asset_id"]))
        budget = dict(zip(land_farms["asset_id"], land_farms["capacity_mw"].astype(float)))
        for _score, dist, i, aid in sorted(pairs, key=lambda p: (p[0], p[2], p[3])):
            if t.at[i, "claimed_by"] is not None:
                continue
            mw = float(t.at[i, "capacity_mw"])
            if budget[aid] - mw >= -0.5 * mw:
                t.at[i, "claimed_by"] = aid
                t.at[i, "claim_km"] = dist
                budget[aid] -= mw
        # repowered-away turbines RIVM still lists: curated decommissioned rows (units, no MW) claim the nearest
        # small (< 2 MW) turbines of their municipality up to their unit count
        legacy = cur_wind[(cur_wind["status"] == "decommissioned") & cur_wind["units"].notna()
                          & ~cur_wind.apply(_is_water_farm, axis=1)]
        for _, f in legacy.iterrows():
            free = t.index[t["claimed_by"].isna() & (t["municipality_code"] == f["municipality_code"])
                           & (t["capacity_mw"] < 2.0)]
            if not len(free):
                continue
            d = g.km_between(float(f["lat"]), float(f["lon"]), t.loc[free, "lat"].to_numpy(), t.loc[free, "lon"].to_numpy())
            order = np.argsort(d, kind="stable")[: int(f["units"])]
            for k in order:
                t.at[free[k], "claimed_by"] = f["asset_id"]
                t.at[free[k], "claim_km"] = float(d[k])
                t.at[free[k], "legacy"] = True
        for _, r in t[t["claimed_by"].notna()].iterrows():
            if r.get("legacy") is True:
                ctx.decisions.add(SOURCES["rivm_wind"], r["turbine_id"], r["name"] or r["type"], "wind_onshore",
                                  "merged_into_curated", r["claimed_by"], r["claim_km"],
                                  "a turbine below 2 MW that the curated repowering removed but RIVM still lists: "
                                  "matched to the decommissioned row (nearest first, up to its unit count)")
                continue
            ctx.decisions.add(SOURCES["rivm_wind"], r["turbine_id"], r["name"] or r["type"], "wind_onshore",
                              "merged_into_curated", r["claimed_by"], r["claim_km"],
                              "curated farm claims the turbines nearest to it (same model, same unit size and same "
                              f"municipality first, within {CLAIM_KM:g} km) up to its capacity")
        rest = t[t["claimed_by"].isna()].copy()
        rest["type"] = rest["type"].replace("", "type not given")
        rest["type_key"] = rest["type"].map(slug)  # 'SWP25-16TG20' and 'SWP25 16TG20' are one model
        for (code, _key), grp in rest.groupby(["municipality_code", "type_key"], sort=True):
            model = sorted(grp["type"])[0]
            tech, decided = wind_technology(model if model != "type not given" else "")
            aid = f"wind-rivm-{code.lower()}-{slug(model)}"
            mname = ctx.mun.set_index("municipality_code").at[code, "municipality_name"]
            rows.append({
                "asset_id": aid, "name": f"Wind turbines in {mname} ({model}, RIVM)", "asset_class": "wind_onshore",
                "technology_id": tech, "status": "operational", "capacity_mw": round(float(grp["capacity_mw"].sum()), 4),
                "units": len(grp), "lat": round(float(grp["lat"].mean()), 5), "lon": round(float(grp["lon"].mean()), 5),
                "municipality_code": code, "turbine_model": None if model == "type not given" else model,
                "source_id": SOURCES["rivm_wind"],
                "note": (f"{len(grp)} turbine(s) of the RIVM list (onshore, {grp['source_date'].iloc[0]}) summed per "
                         f"municipality and model; point = mean turbine position; municipality by {ctx.how}; "
                         "commissioning year not in source; "
                         + ("technology from the turbine model (critmat_region_curation)" if decided else
                            "model not given or not classified: wind_gb_dfig assumed (critmat_build_assumptions)")),
            })
            for _, r in grp.iterrows():
                ctx.decisions.add(SOURCES["rivm_wind"], r["turbine_id"], r["name"] or r["type"], "wind_onshore",
                                  "aggregated", aid, None, "turbine not claimed by a curated farm: summed per "
                                  "municipality and model")
    # -- powerplantmatching wind farms
    if "powerplants" in files:
        pp = powerplantmatching.renewables(powerplantmatching.read_powerplants(files["powerplants"]))
        ctx.inputs.rows["powerplants"] = len(pp)
        pp = pp[pp["asset_class"].isin(["wind_onshore", "wind_offshore"])].reset_index(drop=True)
        pp = _ppm_corrections(pp, ctx)
        pp["municipality_code"] = place_points(ctx, pp)
        ref = _ref_frame(cur_wind)
        ov = ctx.curated.get("match_overrides", pd.DataFrame(columns=["input_source_id", "input_id", "asset_id", "reason"]))
        overrides = {str(i): (a, why) for s_, i, a, why in ov[["input_source_id", "input_id", "asset_id", "reason"]]
                     .itertuples(index=False) if s_ == SOURCES["ppm"]}
        for _, r in pp.iterrows():
            aid = f"wind-ppm-{r['ppm_id']}"
            if str(r["ppm_id"]) in overrides:
                target, why = overrides[str(r["ppm_id"])]
                ctx.decisions.add(SOURCES["ppm"], r["ppm_id"], r["name"], r["asset_class"], "merged_into_curated",
                                  target, None, f"curated match (match_overrides.csv): {why}")
                continue
            inside = r["municipality_code"] is not None and pd.notna(r["municipality_code"])
            if inside:
                if r["municipality_code"] not in ctx.codes:
                    continue
                where, muni, landing = "land", r["municipality_code"], None
            elif ctx.geo is not None and pd.notna(r["lat"]):
                where, muni, dist = ctx.geo.water_kind(float(r["lat"]), float(r["lon"]))
                landing = muni
            else:
                continue
            if where == "land":
                # a ppm onshore farm on land: the RIVM turbines are its turbines; curated farms win anyway
                hit, d, why = _match(r["lat"], r["lon"], r["name"], "wind", ref, DEDUP_KM["wind"])
                if hit:
                    ctx.fill(hit, {"capacity_mw": r["capacity_mw"], "commissioning_year": r["year_in"]},
                             SOURCES["ppm"], r["ppm_id"])
                    ctx.decisions.add(SOURCES["ppm"], r["ppm_id"], r["name"], "wind_onshore", "merged_into_curated",
                                      hit, d, f"duplicate of a curated farm ({why})")
                elif "rivm_wind" in files:
                    ctx.decisions.add(SOURCES["ppm"], r["ppm_id"], r["name"], "wind_onshore",
                                      "dropped_covered", None, None,
                                      "farm on land: its turbines are counted from the RIVM turbine list")
                else:
                    rows.append(_ppm_wind_row(r, aid, "wind_onshore", muni, ctx, "on land"))
                    ctx.decisions.add(SOURCES["ppm"], r["ppm_id"], r["name"], "wind_onshore", "added", aid)
                continue
            if where == "lake":
                if muni not in ctx.codes:
                    continue
                hit, d, why = _match(r["lat"], r["lon"], r["name"], "wind", ref, DEDUP_KM_WATER["lake"])
                if hit:
                    ctx.decisions.add(SOURCES["ppm"], r["ppm_id"], r["name"], "wind_onshore", "merged_into_curated",
                                      hit, d, f"lake farm duplicate of a curated farm ({why})")
                    continue
                rows.append(_ppm_wind_row(r, aid, "wind_onshore", muni, ctx,
                                          f"farm in inland water (IJsselmeer/Markermeer/Wadden: outside the municipal "
                                          f"polygons, within {LAKE_KM:g} km of a province); nearest municipality"))
                ctx.decisions.add(SOURCES["ppm"], r["ppm_id"], r["name"], "wind_onshore", "added", aid, None,
                                  "lake farm (water rule, critmat_allocation_rules)")
                continue
            # North Sea
            if r["asset_class"] == "wind_onshore":
                ctx.decisions.add(SOURCES["ppm"], r["ppm_id"], r["name"], "wind_onshore", "dropped_outside", None,
                                  None, "an onshore farm outside every municipal polygon and far from any province: "
                                  "mislocated or abroad")
                continue
            hit, d, why = _match(r["lat"], r["lon"], r["name"], "wind", ref, DEDUP_KM_WATER["sea"])
            if hit:
                ctx.decisions.add(SOURCES["ppm"], r["ppm_id"], r["name"], "wind_offshore", "merged_into_curated",
                                  hit, d, f"sea farm duplicate of a curated farm ({why})")
                continue
            if landing not in ctx.codes:
                continue
            row = _ppm_wind_row(r, aid, "wind_offshore", None, ctx, "North Sea farm")
            row.update({"landing_municipality_code": landing, "area_code": f"NS-{landing}",
                        "province_code": ctx.geo.prov_of.get(landing) if ctx.geo else None})
            row["note"] += ("; landing municipality = nearest coastal municipality (critmat_allocation_rules), "
                            "an attribute, not a holder")
            rows.append(row)
            ctx.decisions.add(SOURCES["ppm"], r["ppm_id"], r["name"], "wind_offshore", "added", aid, None,
                              "sea farm; landing = nearest coastal municipality")
    return pd.DataFrame(rows), cur_wind


def _ppm_corrections(pp: pd.DataFrame, ctx: BuildContext) -> pd.DataFrame:
    """Apply the curated powerplantmatching corrections (``curation/ppm_corrections.csv``: wrong locations
    moved, a duplicate dropped) to every Dutch build; each applied correction is a match decision."""
    from critmat.paths import bundled_data

    f = bundled_data() / "curation" / "ppm_corrections.csv"
    if not f.is_file():
        return pp
    corr = pd.read_csv(f, dtype={"ppm_id": str})
    pp = pp.copy()
    pp["corrected"] = ""
    drop = []
    for _, c in corr.iterrows():
        i = pp.index[pp["ppm_id"] == c["ppm_id"]]
        if not len(i):
            continue
        i = i[0]
        if c["action"] == "drop":
            drop.append(i)
            ctx.decisions.add(c["source_id"], c["ppm_id"], pp.at[i, "name"], pp.at[i, "asset_class"], "dropped_duplicate",
                              None, None, f"curated correction (ppm_corrections.csv): {c['reason']}")
            continue
        pp.at[i, "lat"], pp.at[i, "lon"] = float(c["lat"]), float(c["lon"])
        if pd.notna(c["year_out"]):
            pp.at[i, "year_out"] = int(c["year_out"])
        pp.at[i, "corrected"] = f"location corrected ({c['source_id']}, ppm_corrections.csv); "
    return pp.drop(index=drop).reset_index(drop=True)


def _ppm_wind_row(r: pd.Series, aid: str, cls: str, muni: str | None, ctx: BuildContext, where: str) -> dict[str, Any]:
    return {"asset_id": aid, "name": r["name"], "asset_class": cls, "technology_id": "wind_gb_dfig",
            "status": _status(r["year_in"], r["year_out"], ctx.now), "commissioning_year": r["year_in"],
            "decommissioning_year": r["year_out"], "capacity_mw": round(float(r["capacity_mw"]), 3),
            "lat": round(float(r["lat"]), 5), "lon": round(float(r["lon"]), 5), "municipality_code": muni,
            "source_id": SOURCES["ppm"],
            "note": (f"{r.get('corrected', '') or ''}{where}; generator technology not in source: wind_gb_dfig "
                     f"assumed (critmat_build_assumptions); municipality by {ctx.how}")}


# ------------------------------------------------------------------------------------- solar, data centres
def solar_and_dc_assets(ctx: BuildContext) -> pd.DataFrame:
    from critmat.loaders import datacentres, nl_solar_parks, powerplantmatching

    cur = ctx.curated.get("assets", pd.DataFrame(columns=ASSET_FIELDS))
    files = ctx.inputs.files
    kept: list[dict[str, Any]] = []
    base = cur[cur["asset_class"].isin(["solar_pv", "datacentre"])]
    base = base.assign(family=base["asset_class"].map(family), key=base["name"].map(full_key))
    curated_ids = set(base["asset_id"])
    ref = {"curated": base, "ppm": base.iloc[0:0]}
    used_ids: set[str] = set(cur["asset_id"])
    ppm_rows: list[dict[str, Any]] = []

    def take(row: dict[str, Any], source: str, input_id: Any, against: tuple[str, ...] = ("curated",)) -> None:
        """Keep a loaded row unless it duplicates a curated row (or, for the solar list, a ppm park): the
        same full distinctive name, or within DEDUP_KM of the same class family."""
        fam = family(row["asset_class"])
        parts = [ref[k] for k in against if len(ref[k])]
        frame = pd.concat(parts, ignore_index=True) if parts else ref["curated"]
        cap = row.get("capacity_mw") if fam == "solar" else None
        hit, d, why = _match(row["lat"], row["lon"], row["name"], fam, frame, DEDUP_KM[fam], capacity=cap)
        if hit:
            cur_hit = hit in curated_ids
            if cur_hit:
                ctx.fill(hit, row, source, input_id)
            ctx.decisions.add(source, input_id, row["name"], row["asset_class"],
                              "merged_into_curated" if cur_hit else "dropped_duplicate", hit, d,
                              f"duplicate ({why}) of a {'curated' if cur_hit else 'powerplantmatching'} row, which wins")
            return
        base_id, k = row["asset_id"], 1
        while row["asset_id"] in used_ids:  # two listed parks with the same name slug
            k += 1
            row["asset_id"] = f"{base_id}-{k}"
        used_ids.add(row["asset_id"])
        kept.append(row)
        ctx.decisions.add(source, input_id, row["name"], row["asset_class"], "added", row["asset_id"])
        if source == SOURCES["ppm"]:
            ppm_rows.append({"asset_id": row["asset_id"], "lat": row["lat"], "lon": row["lon"], "family": fam,
                             "name": row["name"], "capacity_mw": row.get("capacity_mw")})
            ref["ppm"] = pd.DataFrame(ppm_rows)

    if "powerplants" in files:
        pp = powerplantmatching.renewables(powerplantmatching.read_powerplants(files["powerplants"]))
        pp = pp[pp["asset_class"] == "solar_pv"].reset_index(drop=True)
        pp["municipality_code"] = place_points(ctx, pp)
        for _, r in pp[pp["municipality_code"].isin(ctx.codes)].iterrows():
            take({"asset_id": f"solar-ppm-{r['ppm_id']}", "name": r["name"], "asset_class": "solar_pv",
                  "technology_id": "pv_csi", "status": _status(r["year_in"], r["year_out"], ctx.now),
                  "commissioning_year": r["year_in"], "decommissioning_year": r["year_out"],
                  "capacity_mw": round(float(r["capacity_mw"]), 3), "lat": round(float(r["lat"]), 5),
                  "lon": round(float(r["lon"]), 5), "municipality_code": r["municipality_code"],
                  "source_id": SOURCES["ppm"],
                  "note": f"cell technology not in source: pv_csi assumed (critmat_build_assumptions); "
                          f"municipality by {ctx.how}"}, SOURCES["ppm"], r["ppm_id"])
    if "solar_list" in files:
        sp = nl_solar_parks.read_solar_parks(files["solar_list"])
        ctx.inputs.rows["solar_list"] = len(sp)
        sp["municipality_code"] = place_points(ctx, sp)
        for _, r in sp[sp["municipality_code"].isin(ctx.codes)].iterrows():
            take({"asset_id": f"solar-list-{slug(r['name'])}", "name": r["name"], "asset_class": "solar_pv",
                  "technology_id": "pv_csi", "status": "operational",
                  "capacity_mw": r["capacity_mw"] if pd.notna(r["capacity_mw"]) else None,
                  "lat": round(float(r["lat"]), 5), "lon": round(float(r["lon"]), 5),
                  "municipality_code": r["municipality_code"], "source_id": SOURCES["solar_list"],
                  "note": f"operator {r['operator'] or 'n/a'}; status and year not in source (operational assumed, critmat_build_assumptions); "
                          f"location geocoded from the park name; municipality by {ctx.how}"},
                 SOURCES["solar_list"], slug(r["name"]), against=("curated", "ppm"))
    if "datacentres" in files:
        dc = datacentres.read_datacentres(files["datacentres"])
        ctx.inputs.rows["datacentres"] = len(dc)
        dc["municipality_code"] = place_points(ctx, dc)
        for k, r in dc.iterrows():
            if r["municipality_code"] not in ctx.codes:
                continue
            take({"asset_id": f"dc-atlas-{k + 1:03d}-{slug(r['name'])}", "name": r["name"],
                  "asset_class": "datacentre", "technology_id": "datacentre_generic", "status": "operational",
                  "units": 1, "lat": round(float(r["lat"]), 5), "lon": round(float(r["lon"]), 5),
                  "municipality_code": r["municipality_code"],
                  "datacentre_type": datacentres.classify(r["name"], r["owner"]),
                  "source_id": SOURCES["datacentres"],
                  "note": f"owner {r['owner']}; {r['street']} {r['city']}; type from owner (critmat_build_assumptions); "
                          f"MW not in source; municipality by {ctx.how}"}, SOURCES["datacentres"], f"feature-{k + 1}")
    return pd.DataFrame(kept)


# ------------------------------------------------------------------------------------------- cars, grid
def _apportion(total: int, weights: np.ndarray) -> np.ndarray:
    """Integers summing to ``total`` in proportion to ``weights`` (largest remainder, ties by position)."""
    w = np.asarray(weights, float)
    if total <= 0 or w.sum() <= 0:
        return np.zeros(len(w), dtype=int)
    exact = total * w / w.sum()
    base = np.floor(exact).astype(int)
    rem = total - int(base.sum())
    order = np.lexsort((np.arange(len(w)), -(exact - base)))
    base[order[:rem]] += 1
    return base


def car_assets(ctx: BuildContext) -> tuple[pd.DataFrame, list[str]]:
    """Cars per municipality and drivetrain; returns (rows, notes on what was missing)."""
    from critmat.loaders import cbs_regional

    files = ctx.inputs.files
    if "ev_share" not in files:
        return pd.DataFrame(), ["cars: no CBS EV-share/private-car table by municipality found"]
    ev = cbs_regional.read_ev_share(files["ev_share"])
    ctx.inputs.rows["ev_share"] = len(ev)
    ratio, ratio_note = 1.0, "all/private ratio not applied (CBS 85237NED not found)"
    if "cars_province" in files:
        cp = cbs_regional.read_cars_by_province(files["cars_province"])
        ctx.inputs.rows["cars_province"] = len(cp)
        year = int(cp["year"].max())
        nat = float(cp[(cp["year"] == year) & (cp["province_code"] == "NL01")]["cars"].iloc[0])
        ratio = nat / float(ev["private_cars"].sum())
        ratio_note = (f"private cars x {ratio:.4f} = national all cars {nat:,.0f} (CBS 85237NED, 1 Jan {year}) / "
                      f"private cars {ev['private_cars'].sum():,.0f}")
    m = ctx.mun[["municipality_code", "municipality_name", "province_code"]].merge(
        ev[["municipality_code", "ev_share", "private_cars"]], on="municipality_code", how="left")
    missing = m[m["private_cars"].isna()]
    if len(missing):
        raise RegionError(f"{files['ev_share']}: no private-car count for {len(missing)} municipality(ies) of the "
                          f"region, e.g. {missing['municipality_code'].iloc[0]}")
    est = m["private_cars"].to_numpy(float) * ratio
    share = {"car_bev": m["ev_share"].to_numpy(float), "car_phev": np.full(len(m), PHEV_SHARE),
             "car_hev": np.full(len(m), HEV_SHARE)}
    share["car_ice"] = 1.0 - share["car_bev"] - PHEV_SHARE - HEV_SHARE
    cur = ctx.curated.get("assets")
    cur_cars = cur[cur["asset_class"] == "vehicle"] if cur is not None else pd.DataFrame()
    rows = []
    for prov in sorted(set(m["province_code"])):
        pm = (m["province_code"] == prov).to_numpy()
        for tech, sh in share.items():
            weights = est[pm] * sh[pm]
            cur_row = cur_cars[(cur_cars["province_code"] == prov) & (cur_cars["technology_id"] == tech)] \
                if len(cur_cars) else pd.DataFrame()
            if len(cur_row):
                total = int(cur_row["units"].sum())
                src = cur_row["source_id"].iloc[0]
                how = (f"curated province total {total:,} ({cur_row['asset_id'].iloc[0]}, source {src}) distributed by "
                       f"municipal private cars{' x EV share' if tech == 'car_bev' else ''} (CBS EV-share table)")
                for aid in cur_row["asset_id"]:
                    ctx.decisions.add(src, aid, cur_row["name"].iloc[0], "vehicle", "distributed_to_municipalities",
                                      None, None, "curated province total kept, split by the municipal weights")
            else:
                total = int(round(weights.sum()))
                src = SOURCES["ev_share"]
                how = (f"{ratio_note}; " + ("x municipal EV share (CBS maatwerk 2026, taken as BEV)" if tech == "car_bev"
                       else f"x national share {sh[pm][0]:.0%} ({'cbs_85405ned' if tech == 'car_phev' else 'critmat_vehicle_split'})"
                       if tech != "car_ice" else "remainder after BEV, PHEV and HEV"))
            units = _apportion(total, weights)
            for (code, name), u in zip(m.loc[pm, ["municipality_code", "municipality_name"]].itertuples(index=False), units):
                rows.append({"asset_id": f"cars-{code.lower()}-{tech.split('_')[1]}",
                             "name": f"{name}: passenger cars, {tech.split('_')[1].upper()}", "asset_class": "vehicle",
                             "technology_id": tech, "status": "operational", "units": int(u), "municipality_code": code,
                             "source_id": src, "note": how + " (allocation proxies: critmat_allocation_rules)"})
    return pd.DataFrame(rows), []


def _has_companies(region_id: str) -> bool:
    from critmat.paths import bundled_packages

    f = bundled_packages() / "capabilities" / "companies.csv"
    return f.is_file() and region_id in set(pd.read_csv(f, usecols=["region_id"])["region_id"])


def grid_assets(ctx: BuildContext, population: pd.Series | None) -> tuple[pd.DataFrame, list[str]]:
    """Grid cables per municipality and level (and stations where curated), by population share."""
    if population is None:
        return pd.DataFrame(), ["grid: no population by municipality found (CBS EV-share table) to apportion the grid"]
    m = ctx.mun[["municipality_code", "municipality_name", "province_code"]].copy()
    m["population"] = m["municipality_code"].map(population)
    if m["population"].isna().any():
        raise RegionError(f"no population for municipality {m.loc[m['population'].isna(), 'municipality_code'].iloc[0]}")
    nat_pop = float(population.sum())
    cur = ctx.curated.get("assets")
    cur_grid = cur[cur["asset_class"].isin(["grid_cable", "grid_transformer"])] if cur is not None else pd.DataFrame()
    rows, missing = [], []
    for prov in sorted(set(m["province_code"])):
        pm = m[m["province_code"] == prov]
        w = pm["population"].to_numpy(float)
        for level, share in GRID_LEVEL_SHARE.items():
            tech = f"cable_{level}"
            cr = cur_grid[(cur_grid["province_code"] == prov) & (cur_grid["technology_id"] == tech)] if len(cur_grid) else cur_grid
            if len(cr):
                km = float(cr["length_km"].sum())
                src, how = cr["source_id"].iloc[0], f"curated province length {km:,.0f} km ({cr['asset_id'].iloc[0]})"
                ctx.decisions.add(src, cr["asset_id"].iloc[0], cr["name"].iloc[0], "grid_cable",
                                  "distributed_to_municipalities", None, None, "curated province length split by population")
            else:
                km = GRID_NATIONAL_KM * share * w.sum() / nat_pop
                src = SOURCES["grid_split"]
                how = (f"ASSUMPTION: {GRID_NATIONAL_KM:,.0f} km national (nl_grid_length) x {share:.0%} {level.upper()} x "
                       f"province population share {w.sum() / nat_pop:.4f}")
            for (code, name), x in zip(pm[["municipality_code", "municipality_name"]].itertuples(index=False), w):
                rows.append({"asset_id": f"grid-{code.lower()}-cable-{level}", "name": f"{name}: {level.upper()} cables (apportioned)",
                             "asset_class": "grid_cable", "technology_id": tech, "status": "operational",
                             "length_km": round(km * x / w.sum(), 2), "municipality_code": code, "source_id": src,
                             "note": f"{how}; municipal share by population (CBS 70072 via the EV-share table; proxy "
                                     "stated in critmat_allocation_rules); not a grid-operator figure"})
        st = cur_grid[(cur_grid["province_code"] == prov) & (cur_grid["asset_class"] == "grid_transformer")] if len(cur_grid) else cur_grid
        if len(st):
            for _, s in st.iterrows():
                units = _apportion(int(s["units"]), w)
                ctx.decisions.add(s["source_id"], s["asset_id"], s["name"], "grid_transformer",
                                  "distributed_to_municipalities", None, None, "curated station count split by population")
                for (code, name), u in zip(pm[["municipality_code", "municipality_name"]].itertuples(index=False), units):
                    if u:
                        rows.append({"asset_id": f"grid-{code.lower()}-{slug(s['technology_id'])}",
                                     "name": f"{name}: {s['name'].split(': ', 1)[-1]} (apportioned)",
                                     "asset_class": "grid_transformer", "technology_id": s["technology_id"],
                                     "status": s["status"], "units": int(u), "municipality_code": code,
                                     "source_id": s["source_id"],
                                     "note": f"{int(s['units'])} stations of {s['asset_id']} split by population "
                                             "(largest remainder; critmat_allocation_rules)"})
        else:
            missing.append(f"grid stations in {prov}: no station count known (only cables apportioned)")
    if not _has_companies(ctx.region_id):
        missing.append("companies: the bundled company registry has none for this region (it covers nh-fl); "
                       "matching falls back to EU facilities")
    return pd.DataFrame(rows), missing


# ------------------------------------------------------------------------------------------ boundaries
def boundary_rows(ctx: BuildContext, assets: pd.DataFrame, boundaries: pd.DataFrame | None,
                  provinces: pd.DataFrame | None) -> pd.DataFrame:
    """Municipality, province and offshore-area polygons of the region (simplified WKT, EPSG:4326)."""
    from critmat.build import geo

    rows = []
    prov_names = dict(zip(ctx.mun["province_code"], ctx.mun["province_name"]))
    if ctx.geo is not None:
        for code, name, prov in ctx.mun[["municipality_code", "municipality_name", "province_code"]].itertuples(index=False):
            rows.append({"area_code": code, "area_type": "municipality", "name": name, "province_code": prov,
                         "landing_municipality_code": None, "geometry_wkt": geo.simplified_wkt(ctx.geo.mun_geoms[code]),
                         "source_id": SOURCES["boundaries"]})
        for prov in sorted(prov_names):
            g = ctx.geo.prov_geoms.get(prov)
            if g is None:
                continue
            rows.append({"area_code": prov, "area_type": "province", "name": prov_names[prov], "province_code": prov,
                         "landing_municipality_code": None, "geometry_wkt": geo.simplified_wkt(g, tolerance=0.0015),
                         "source_id": SOURCES["boundaries"]})
    off = assets[assets["area_code"].notna()] if "area_code" in assets.columns else assets.iloc[0:0]
    names = dict(zip(ctx.mun["municipality_code"], ctx.mun["municipality_name"]))
    for area, grp in off.groupby("area_code", sort=True):
        landing = grp["landing_municipality_code"].iloc[0]
        pts = grp[grp["lat"].notna()]
        rows.append({"area_code": area, "area_type": "offshore", "name": f"North Sea (landing: {names.get(landing, landing)})",
                     "province_code": grp["province_code"].iloc[0], "landing_municipality_code": landing,
                     "geometry_wkt": geo.hull_wkt(pts["lat"], pts["lon"]) if len(pts) else None,
                     "source_id": SOURCES["rules"]})
    df = pd.DataFrame(rows, columns=["area_code", "area_type", "name", "province_code", "landing_municipality_code",
                                     "geometry_wkt", "source_id"])
    df.insert(0, "region_id", ctx.region_id)
    return df


# ------------------------------------------------------------------------------------------ coverage
def coverage_rows(ctx: BuildContext, assets: pd.DataFrame) -> pd.DataFrame:
    """Per asset class: what the pack counts against the best official count known (with sources)."""
    from critmat.loaders import cbs_regional, rivm_wind

    files = ctx.inputs.files
    a = assets[assets["status"].isin(["operational", "under_construction"])]
    rows: list[dict[str, Any]] = []

    def add(cls: str, scope: str, measure: str, counted: float, official: float | None, source: str | None,
            statement: str) -> None:
        share = (counted / official) if official else None
        rows.append({"asset_class": cls, "coverage_scope": scope, "measure": measure, "counted": round(float(counted), 3),
                     "official": None if official is None else round(float(official), 3),
                     "coverage_share": None if share is None else round(share, 4), "official_source_id": source,
                     "statement": statement})

    provs = sorted(set(ctx.mun["province_code"]))
    prov_name = dict(zip(ctx.mun["province_code"], ctx.mun["province_name"]))
    water = a["note"].fillna("").str.contains("inland water|lake|IJsselmeer|nearshore", case=False, regex=True)
    on_land = a[(a["asset_class"] == "wind_onshore") & ~water]
    # curated official counts (report figures) first
    for _, o in ctx.curated.get("official_counts", pd.DataFrame()).iterrows():
        sel = a[a["asset_class"] == o["asset_class"]]
        if o["measure"] == "count_with_capacity":
            counted = float(sel["capacity_mw"].notna().sum())
        elif o["measure"] == "count":
            counted = float(len(sel))
        else:
            counted = float(sel[o["measure"]].sum())
        add(o["asset_class"], o["scope"], o["measure"], counted, float(o["official"]), o["source_id"],
            f"{counted:,.0f} of {o['official_label']} {o['what']} ({o['citation']})")
    curated_classes = set(ctx.curated.get("official_counts", pd.DataFrame(columns=["asset_class"]))["asset_class"])
    if "rivm_wind" in files:
        t = rivm_wind.read_turbines(files["rivm_wind"])
        for p in provs:
            off = float(t.loc[t["province"].map(cbs_regional.norm_name) == cbs_regional.norm_name(prov_name[p]), "capacity_mw"].sum())
            cnt = float(on_land.loc[on_land["province_code"] == p, "capacity_mw"].sum())
            add("wind_onshore", p, "capacity_mw", cnt, off or None, SOURCES["rivm_wind"],
                f"{cnt:,.0f} MW of wind on land counted vs {off:,.0f} MW in the RIVM turbine list ({prov_name[p]}, "
                "land turbines only; lake farms counted separately)")
    for p in provs:
        lake = a[(a["asset_class"] == "wind_onshore") & water & (a["province_code"] == p)]
        if len(lake):
            add("wind_onshore", p, "capacity_mw", float(lake["capacity_mw"].sum()), None, None,
                f"{lake['capacity_mw'].sum():,.0f} MW of wind in inland water ({', '.join(lake['name'].head(4))}"
                f"{' ...' if len(lake) > 4 else ''}); no official lake total in the shared data")
    if "solar_cbs" in files:
        s = cbs_regional.read_solar_by_municipality(files["solar_cbs"])
        key = dict(zip(s["name_key"], s["panel_kwp"]))
        for p in provs:
            names = ctx.mun.loc[ctx.mun["province_code"] == p, "municipality_name"].map(cbs_regional.norm_name)
            off = units.convert(sum(key.get(n, 0.0) for n in names), "kWp", "MWp")
            cnt = float(a.loc[(a["asset_class"] == "solar_pv") & (a["province_code"] == p), "capacity_mw"].sum())
            add("solar_pv", p, "capacity_mw", cnt, off or None, SOURCES["solar_cbs"],
                f"{cnt:,.0f} MWp in solar parks counted vs {off:,.0f} MWp of all solar panels (CBS 85005NED, 2024 H1, "
                f"{prov_name[p]}; incl. rooftops, which critmat does not count)")
    if "cars_province" in files:
        cp = cbs_regional.read_cars_by_province(files["cars_province"])
        year = int(cp["year"].max())
        for p in provs:
            off = cp[(cp["year"] == year) & (cp["province_code"] == p)]["cars"]
            cnt = float(a.loc[(a["asset_class"] == "vehicle") & (a["province_code"] == p), "units"].sum())
            if len(off):
                add("vehicle", p, "units", cnt, float(off.iloc[0]), SOURCES["cars_province"],
                    f"{cnt:,.0f} cars counted vs {float(off.iloc[0]):,.0f} registered (CBS 85237NED, 1 Jan {year}, "
                    f"{prov_name[p]}; registrations include lease fleets registered at the lessor's address)")
    curated_dc = "datacentre" in curated_classes
    for p in provs:
        dc = a[(a["asset_class"] == "datacentre") & (a["province_code"] == p)]
        if not curated_dc:
            add("datacentre", p, "count", float(len(dc)), None, None,
                f"{len(dc)} data centres counted (2020 atlas); no official count known for {prov_name[p]}")
    df = pd.DataFrame(rows, columns=["asset_class", "coverage_scope", "measure", "counted", "official", "coverage_share",
                                     "official_source_id", "statement"])
    df.insert(0, "coverage_id", [f"cov-{i + 1:03d}" for i in range(len(df))])
    df.insert(0, "region_id", ctx.region_id)
    return df


# ------------------------------------------------------------------------------------------ orchestration
ASSET_FIELDS = ["asset_id", "region_id", "name", "asset_class", "technology_id", "status", "commissioning_year",
                "decommissioning_year", "capacity_mw", "length_km", "units", "lat", "lon", "municipality_code",
                "province_code", "area_code", "landing_municipality_code", "turbine_model", "datacentre_type",
                "source_id", "note"]


def curated_tables(region_id: str) -> dict[str, pd.DataFrame]:
    """Curated inputs of a region (``critmat/data/curation/<id>/*.csv``), or {} when none exist."""
    from critmat.paths import bundled_data

    d = bundled_data() / "curation" / region_id
    if not d.is_dir():
        return {}
    out = {}
    for f in sorted(d.glob("*.csv")):
        out[f.stem] = pd.read_csv(f, dtype={"municipality_code": "object", "province_code": "object"},
                                  keep_default_na=True)
    return out


def curation_dir(region_id: str) -> Path:
    from critmat.paths import bundled_data

    return bundled_data() / "curation" / region_id


def build_tables(mun: pd.DataFrame, mun_all: pd.DataFrame, files: dict[str, Path], src: Path, region_id: str,
                 now: int) -> tuple[dict[str, pd.DataFrame], list[str]]:
    """All tables of a region pack (see the module docstring) and the list of missing classes/inputs."""
    from critmat.loaders import cbs_regional, pdok

    #: inputs a Dutch province build reads (NUTS boundaries and CBS 85236NED are found but not used)
    inputs = Inputs(files={k: v for k, v in files.items() if k not in ("nuts", "vehicles_region")}, src=Path(src))
    curated = curated_tables(region_id)
    geo_ = None
    bnd = prov_b = None
    if "boundaries" in files:
        bnd = pdok.read_boundaries(files["boundaries"])
        inputs.rows["boundaries"] = len(bnd)
        if "province_boundaries" in files:
            prov_b = pdok.read_boundaries(files["province_boundaries"])
            inputs.rows["province_boundaries"] = len(prov_b)
        geo_ = Geography(bnd, prov_b, mun_all)
    ctx = BuildContext(region_id=region_id, mun=mun, geo=geo_, inputs=inputs, decisions=Decisions(), now=now,
                       curated=curated)
    missing: list[str] = []
    wind, cur_wind = wind_assets(ctx)
    other = solar_and_dc_assets(ctx)
    population = None
    if "ev_share" in files:
        ev = cbs_regional.read_ev_share(files["ev_share"])
        population = ev.set_index("municipality_code")["population"]
    cars, miss = car_assets(ctx)
    missing += miss
    grid, miss = grid_assets(ctx, population)
    missing += miss
    cur_assets = curated.get("assets", pd.DataFrame(columns=ASSET_FIELDS))
    keep_cur = cur_assets[~cur_assets["asset_class"].isin(["vehicle", "grid_cable", "grid_transformer"])].copy()
    off = keep_cur["asset_class"] == "wind_offshore"
    if off.any():  # curated North Sea farms: the port municipality is the landing attribute, the area is offshore
        keep_cur["landing_municipality_code"] = keep_cur["landing_municipality_code"] \
            if "landing_municipality_code" in keep_cur.columns else None
        keep_cur.loc[off, "landing_municipality_code"] = keep_cur.loc[off, "municipality_code"]
        keep_cur.loc[off, "area_code"] = "NS-" + keep_cur.loc[off, "municipality_code"].astype(str)
        keep_cur.loc[off, "municipality_code"] = None
    for aid, cols in ctx.fills.items():
        i = keep_cur.index[keep_cur["asset_id"] == aid]
        if not len(i):
            continue
        i = i[0]
        if keep_cur.at[i, "status"] == "decommissioned":
            continue
        for col, (v, source, input_id) in cols.items():
            if pd.isna(keep_cur.at[i, col]):
                keep_cur.at[i, col] = v
                keep_cur.at[i, "note"] = (f"{keep_cur.at[i, 'note']}; {col} {v} from {source} row {input_id} "
                                          "(matched loaded row fills a field the curated row leaves empty)")
    for _, r in keep_cur.iterrows():
        ctx.decisions.add(r["source_id"], r["asset_id"], r["name"], r["asset_class"], "curated", r["asset_id"], None,
                          "curated row, kept as given (wins on every field it sources)")
    frames = [f.dropna(axis=1, how="all") for f in (keep_cur, wind, other, cars, grid) if len(f)]
    assets = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=ASSET_FIELDS)
    assets = assets.reindex(columns=ASSET_FIELDS)
    assets["region_id"] = region_id
    prov_of = dict(zip(mun_all["municipality_code"], mun_all["province_code"]))
    assets["province_code"] = assets["province_code"].astype(object)
    has_m = assets["municipality_code"].notna()
    assets.loc[has_m, "province_code"] = assets.loc[has_m, "municipality_code"].map(prov_of)
    dup = assets["asset_id"].duplicated()
    if dup.any():
        raise RegionError(f"build produced duplicate asset id {assets.loc[dup, 'asset_id'].iloc[0]!r}")
    classes = {"wind_onshore": "wind on land", "wind_offshore": "wind at sea", "solar_pv": "solar parks",
               "datacentre": "data centres", "grid_cable": "grid cables", "grid_transformer": "grid stations",
               "vehicle": "cars"}
    for cls, label in classes.items():
        if not (assets["asset_class"] == cls).any() and not any(m.startswith(label) for m in missing):
            missing.append(f"{label}: none found in the inputs for this region")
    tables: dict[str, pd.DataFrame] = {"assets": assets}
    for t in ("asset_events", "goods_categories", "goods_category_materials"):
        if t in curated:
            tables[t] = curated[t]
    tables["boundaries"] = boundary_rows(ctx, assets, bnd, prov_b)
    tables["coverage"] = coverage_rows(ctx, assets)
    tables["match_decisions"] = ctx.decisions.frame(region_id)
    bi = inputs.table()
    bi.insert(0, "region_id", region_id)
    tables["build_inputs"] = bi
    tables["municipalities"] = mun
    return tables, missing


# ------------------------------------------------------------------------------------------ NUTS regions (EU)
def build_nuts_tables(code: str, files: dict[str, Path], src: Path, region_id: str, now: int
                      ) -> tuple[dict[str, Any], dict[str, pd.DataFrame], list[str]]:
    """Tables of a region defined by a NUTS code (any EU/EEA country): wind and solar from powerplantmatching
    placed by point-in-polygon in the GISCO NUTS polygon; North Sea/offshore farms of the same country whose
    nearest NUTS region of the same level is this one form the offshore area ``SEA-<code>``. No municipal
    split (GISCO LAU is not read yet): assets carry the NUTS code as their province code.
    Returns (config fields, tables, missing)."""
    from critmat.build import geo
    from critmat.loaders import gisco, powerplantmatching

    if "nuts" not in files:
        raise RegionError(f"{src}: no GISCO NUTS GeoJSON found (NUTS_RG_*_4326*.geojson)")
    if "powerplants" not in files:
        raise RegionError(f"{src}: no powerplantmatching powerplants.csv found")
    nuts = gisco.read_nuts(files["nuts"])
    hit = nuts[nuts["nuts_id"] == code.upper()]
    if hit.empty:
        raise RegionError(f"unknown NUTS code '{code}' in {files['nuts'].name} (e.g. {', '.join(nuts['nuts_id'].head(5))})")
    row = hit.iloc[0]
    country = row["country"]
    if country not in gisco.COUNTRY_NAMES:
        raise RegionError(f"NUTS code '{code}': country {country} has no powerplantmatching name")
    peers = nuts[(nuts["level"] == row["level"]) & (nuts["country"] == country)].reset_index(drop=True)
    index = geo.AreaIndex(list(peers["nuts_id"]), geo.shapes(peers["geometry"]))
    inputs = Inputs(files={k: files[k] for k in ("nuts", "powerplants")}, src=Path(src))
    inputs.rows["nuts"] = len(nuts)
    dec = Decisions()
    pp = powerplantmatching.renewables(powerplantmatching.read_powerplants(files["powerplants"],
                                                                          country=gisco.COUNTRY_NAMES[country]))
    inputs.rows["powerplants"] = len(pp)
    where = index.locate(pp["lat"], pp["lon"])
    rows = []
    for (_, r), area in zip(pp.iterrows(), where):
        if pd.isna(r["lat"]) or pd.isna(r["lon"]):
            continue
        sea = area is None and r["asset_class"] == "wind_offshore"
        if area is None and sea:
            near, _d = index.nearest(float(r["lat"]), float(r["lon"]))
            if near != code.upper():
                continue
        elif area != code.upper():
            continue
        wind = r["asset_class"] != "solar_pv"
        cls = "wind_offshore" if sea else ("wind_onshore" if wind else "solar_pv")
        aid = f"{'wind' if wind else 'solar'}-ppm-{r['ppm_id']}"
        rows.append({"asset_id": aid, "name": r["name"], "asset_class": cls,
                     "technology_id": "wind_gb_dfig" if wind else "pv_csi",
                     "status": _status(r["year_in"], r["year_out"], now), "commissioning_year": r["year_in"],
                     "decommissioning_year": r["year_out"], "capacity_mw": round(float(r["capacity_mw"]), 3),
                     "lat": round(float(r["lat"]), 5), "lon": round(float(r["lon"]), 5),
                     "province_code": code.upper(), "area_code": f"SEA-{code.upper()}" if sea else None,
                     "source_id": SOURCES["ppm"],
                     "note": ("offshore farm; nearest NUTS region of its level = this one (critmat_allocation_rules); "
                              if sea else "inside the NUTS polygon (GISCO, point-in-polygon); ")
                     + ("generator technology not in source: wind_gb_dfig assumed (critmat_build_assumptions)" if wind
                        else "cell technology not in source: pv_csi assumed (critmat_build_assumptions)")})
        dec.add(SOURCES["ppm"], r["ppm_id"], r["name"], cls, "added", aid, None,
                "inside the NUTS polygon" if not sea else "offshore, nearest NUTS region")
    assets = pd.DataFrame(rows).reindex(columns=ASSET_FIELDS)
    assets["region_id"] = region_id
    g = index.geoms[index.codes.index(code.upper())]
    bnd = [{"area_code": code.upper(), "area_type": "nuts", "name": row["name"], "province_code": code.upper(),
            "landing_municipality_code": None, "geometry_wkt": geo.simplified_wkt(g, tolerance=0.002),
            "source_id": "gisco_nuts_2024"}]
    off = assets[assets["area_code"].notna()]
    if len(off):
        bnd.append({"area_code": f"SEA-{code.upper()}", "area_type": "offshore", "name": f"Sea off {row['name']}",
                    "province_code": code.upper(), "landing_municipality_code": None,
                    "geometry_wkt": geo.hull_wkt(off["lat"], off["lon"]), "source_id": SOURCES["rules"]})
    boundaries = pd.DataFrame(bnd)
    boundaries.insert(0, "region_id", region_id)
    op = assets[assets["status"].isin(["operational", "under_construction"])]
    cov = []
    for cls, label in (("wind_onshore", "wind on land"), ("wind_offshore", "wind at sea"), ("solar_pv", "solar parks")):
        sel = op[op["asset_class"] == cls]
        cov.append({"asset_class": cls, "coverage_scope": code.upper(), "measure": "capacity_mw",
                    "counted": round(float(sel["capacity_mw"].sum()), 3), "official": None, "coverage_share": None,
                    "official_source_id": None,
                    "statement": f"{len(sel)} {label} ({sel['capacity_mw'].sum():,.0f} MW) from powerplantmatching; "
                                 "no official regional capacity total in the shared data (Eurostat nrg_inf_epcrw is "
                                 "national; national statistics offices publish regional totals)"})
    coverage = pd.DataFrame(cov)
    coverage.insert(0, "coverage_id", [f"cov-{i + 1:03d}" for i in range(len(coverage))])
    coverage.insert(0, "region_id", region_id)
    bi = inputs.table()
    bi.insert(0, "region_id", region_id)
    missing = ["cars: no regional car registry read (Eurostat road_eqs_carhab gives cars per NUTS 2 region and "
               "tran_r_vehst by fuel; national registers such as KBA (DE) or DMV (BE) split by drivetrain)",
               "grid: no regional grid lengths (ENTSO-E grid map / OpenStreetMap power lines via GridKit or "
               "PyPSA-Eur for transmission; distribution-grid lengths from national regulators, e.g. BNetzA "
               "Monitoringbericht, or apportioned by population from Eurostat/CEER totals)",
               "data centres: no EU data-centre directory in the shared data",
               "municipalities: GISCO LAU boundaries not read (assets carry the NUTS code only)",
               "companies: the bundled company registry covers nh-fl only; matching falls back to EU facilities"]
    cfg = {"name": str(row["name"]), "provinces": (code.upper(),), "country": country,
           "nuts2": (code.upper(),) if row["level"] == 2 else (), "nuts3": (code.upper(),) if row["level"] == 3 else (),
           "source_id": "gisco_nuts_2024"}
    tables = {"municipalities": pd.DataFrame(), "assets": assets, "boundaries": boundaries, "coverage": coverage,
              "match_decisions": dec.frame(region_id), "build_inputs": bi}
    return cfg, tables, missing
