"""Supply-chain capabilities of a region: stage coverage per stream or material, gaps, nearest fillers.

Pure functions on the frames of the ``capabilities`` data package (no I/O; load them with
:mod:`critmat.capabilities_data`). Conventions:

- The six stages are the activities of Table 4 of the source report (``processing``, ``manufacturing``,
  ``recycling_collection`` = collection/pre-treatment, ``recycling_metal_recovery``, ``services_trade``,
  ``research_development``), in the order of the ``supply_chain_activities`` table.
- A company *covers* (stream s, stage a) when a is one of its activities and s one of its streams (input or
  output). Activities and streams are recorded per company, not per site or line, so this is the cross
  product; a company with no stream row covers no stream.
- By material: a company covers (material m, stage a) when m is carried by one of its streams
  (``stream_materials``) or named for the company (``company_materials``).
- Distances are great-circle distances in km on a sphere of radius 6,371.0088 km (WGS84 mean radius);
  coordinates are WGS84 degrees.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from critmat.errors import DataError

EARTH_RADIUS_KM = 6371.0088
ACTIVITY_ORDER = ("processing", "manufacturing", "recycling_collection", "recycling_metal_recovery",
                  "services_trade", "research_development")
EXCLUDED_STATUSES = frozenset({"closed"})


def great_circle_km(lat1: float | np.ndarray, lon1: float | np.ndarray,
                    lat2: float | np.ndarray, lon2: float | np.ndarray) -> np.ndarray:
    """Great-circle (haversine) distance in km between WGS84 points given in degrees."""
    p1, p2 = np.radians(np.asarray(lat1, dtype=float)), np.radians(np.asarray(lat2, dtype=float))
    dphi = p2 - p1
    dlmb = np.radians(np.asarray(lon2, dtype=float) - np.asarray(lon1, dtype=float))
    h = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


# ---------------------------------------------------------------- validation

def _fail(table: str, i: int, column: str, value: object, rule: str) -> DataError:
    """Error at position ``i`` (0-based) of a table, reported as the line of its CSV (header = line 1)."""
    return DataError(f"value {value!r}: {rule}", file=f"{table}.csv", row=i + 2, column=column)


def validate_registry(tables: dict[str, pd.DataFrame], *, region_id: str, provinces: Iterable[str],
                      municipalities: pd.DataFrame | None = None) -> None:
    """Rules beyond the package schema, on frames as loaded (errors give the CSV line: row + 2).

    - every company activity is a Table 4 activity; every company has exactly one primary activity, equal to
      ``companies.primary_activity_id``;
    - every town (and so every company) lies in the region: its province is one of ``provinces`` and, when
      the region's ``municipalities`` table is given, its municipality code is one of the region's (with the
      same province);
    - every company's town is in the towns table, and its ``region_id`` is ``region_id``;
    - coordinates of ``address`` precision are given; facility capacities are not negative.
    Raises :class:`DataError` naming table, row, column and value.
    """
    acts = set(tables["supply_chain_activities"]["activity_id"])
    provinces = set(provinces)
    towns = tables["towns"]
    for i, r in towns.reset_index(drop=True).iterrows():
        if r["province_code"] not in provinces:
            raise _fail("towns", i, "province_code", r["province_code"],
                        f"town '{r['town']}' is not in region '{region_id}' (provinces {sorted(provinces)})")
        if r["region_id"] != region_id:
            raise _fail("towns", i, "region_id", r["region_id"], f"expected region '{region_id}'")
    if municipalities is not None:
        mun = dict(zip(municipalities["municipality_code"], municipalities["province_code"]))
        for i, r in towns.reset_index(drop=True).iterrows():
            code = r["municipality_code"]
            if code not in mun:
                raise _fail("towns", i, "municipality_code", code,
                            f"town '{r['town']}': municipality not in region '{region_id}' (municipalities table)")
            if mun[code] != r["province_code"]:
                raise _fail("towns", i, "province_code", r["province_code"],
                            f"municipality {code} belongs to {mun[code]}")
    comp = tables["companies"].reset_index(drop=True)
    town_set = set(towns["town"])
    for i, r in comp.iterrows():
        if r["town"] not in town_set:
            raise _fail("companies", i, "town", r["town"],
                        f"company '{r['company_id']}': town not in the region's towns table (region '{region_id}')")
        if r["region_id"] != region_id:
            raise _fail("companies", i, "region_id", r["region_id"], f"expected region '{region_id}'")
        if r["primary_activity_id"] not in acts:
            raise _fail("companies", i, "primary_activity_id", r["primary_activity_id"],
                        f"not an activity of Table 4 ({', '.join(sorted(acts))})")
        if r["location_precision"] == "address" and (pd.isna(r["lat"]) or pd.isna(r["lon"])):
            raise _fail("companies", i, "lat", None, "location_precision 'address' needs lat and lon")
    ca = tables["company_activities"].reset_index(drop=True)
    for i, r in ca.iterrows():
        if r["activity_id"] not in acts:
            raise _fail("company_activities", i, "activity_id", r["activity_id"],
                        f"company '{r['company_id']}': not an activity of Table 4 ({', '.join(sorted(acts))})")
    primary = ca[ca["is_primary"].astype(bool)]
    counts = primary.groupby("company_id").size()
    want = dict(zip(comp["company_id"], comp["primary_activity_id"]))
    for cid, pact in want.items():
        n = int(counts.get(cid, 0))
        if n != 1:
            raise DataError(f"company '{cid}' has {n} primary activities (exactly one required)",
                            file="company_activities.csv", column="is_primary")
        got = primary.loc[primary["company_id"] == cid, "activity_id"].iloc[0]
        if got != pact:
            raise DataError(f"company '{cid}': primary activity '{got}' differs from companies.primary_activity_id "
                            f"'{pact}'", file="company_activities.csv", column="activity_id")
    fc = tables.get("facility_capabilities")
    if fc is not None:
        for i, r in fc.reset_index(drop=True).iterrows():
            cap = r["capacity_t_per_yr"]
            if pd.notna(cap) and float(cap) < 0:
                raise _fail("facility_capabilities", i, "capacity_t_per_yr", float(cap),
                            f"facility '{r['facility_id']}': capacity cannot be negative")
            if r["activity_id"] not in acts:
                raise _fail("facility_capabilities", i, "activity_id", r["activity_id"],
                            f"facility '{r['facility_id']}': not an activity of Table 4")


# ---------------------------------------------------------------- registry views

def company_locations(companies: pd.DataFrame, towns: pd.DataFrame) -> pd.DataFrame:
    """Companies with municipality, province and coordinates (the site's if located, else the town's)."""
    t = towns[["town", "municipality_code", "province_code", "lat", "lon"]].rename(
        columns={"lat": "town_lat", "lon": "town_lon"})
    out = companies.merge(t, on="town", how="left", validate="many_to_one")
    has_site = out["location_precision"].eq("address") & out["lat"].notna() & out["lon"].notna()
    out["lat"] = out["lat"].where(has_site, out["town_lat"]).astype(float)
    out["lon"] = out["lon"].where(has_site, out["town_lon"]).astype(float)
    return out.drop(columns=["town_lat", "town_lon"])


def company_registry(tables: dict[str, pd.DataFrame], activity: str | None = None,
                     material: str | None = None, stream: str | None = None) -> pd.DataFrame:
    """One row per company: location, primary and all activities, streams and materials (joined with ``;``).

    ``activity`` keeps companies having that activity (primary or not); ``material`` those handling the
    material (via a stream or named directly); ``stream`` those handling the stream.
    """
    comp = company_locations(tables["companies"], tables["towns"])
    ca = tables["company_activities"]
    cs = tables["company_streams"]
    mats = company_material_sets(tables)
    acts_of = ca.groupby("company_id")["activity_id"].agg(lambda s: ";".join(sorted(s, key=ACTIVITY_ORDER.index)))
    streams_of = cs.groupby("company_id")["stream_id"].agg(lambda s: ";".join(sorted(set(s))))
    comp["activities"] = comp["company_id"].map(acts_of).fillna("")
    comp["streams"] = comp["company_id"].map(streams_of).fillna("")
    comp["materials"] = comp["company_id"].map(lambda c: ";".join(sorted(mats.get(c, set()))))
    if activity is not None:
        comp = comp[comp["company_id"].isin(set(ca.loc[ca["activity_id"] == activity, "company_id"]))]
    if stream is not None:
        comp = comp[comp["company_id"].isin(set(cs.loc[cs["stream_id"] == stream, "company_id"]))]
    if material is not None:
        comp = comp[comp["company_id"].map(lambda c: material in mats.get(c, set()))]
    order = {a: i for i, a in enumerate(ACTIVITY_ORDER)}
    comp = comp.assign(_o=comp["primary_activity_id"].map(order)).sort_values(["_o", "name"], kind="stable")
    cols = ["company_id", "name", "primary_activity_id", "activities", "town", "municipality_code", "province_code",
            "lat", "lon", "location_precision", "size_class", "streams", "materials", "source_id", "note"]
    return comp[[c for c in cols if c in comp.columns]].reset_index(drop=True)


def company_material_sets(tables: dict[str, pd.DataFrame]) -> dict[str, set[str]]:
    """Materials per company: carried by its streams plus those named for it."""
    sm = tables["stream_materials"].groupby("stream_id")["material_id"].agg(set).to_dict()
    out: dict[str, set[str]] = {}
    for cid, sid in tables["company_streams"][["company_id", "stream_id"]].itertuples(index=False, name=None):
        out.setdefault(cid, set()).update(sm.get(sid, set()))
    cm = tables.get("company_materials")
    if cm is not None:
        for cid, mid in cm[["company_id", "material_id"]].itertuples(index=False, name=None):
            out.setdefault(cid, set()).add(mid)
    return out


def activity_counts(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Per activity: companies with it as primary, companies with it at all, and list entries in Table 6 /
    Figure 10 (from the reconciliation table)."""
    acts = tables["supply_chain_activities"].sort_values("sort_order")
    comp = tables["companies"]
    ca = tables["company_activities"]
    rec = tables["reconciliation"]
    out = acts[["activity_id", "activity_name"]].copy()
    out["companies_primary"] = out["activity_id"].map(comp["primary_activity_id"].value_counts()).fillna(0).astype(int)
    out["companies_any"] = out["activity_id"].map(ca.groupby("activity_id")["company_id"].nunique()).fillna(0).astype(int)
    for listing in ("table6", "figure10"):
        sub = rec[rec["listing"] == listing]
        out[f"{listing}_entries"] = out["activity_id"].map(sub["listed_activity_id"].value_counts()).fillna(0).astype(int)
    return out.reset_index(drop=True)


# ---------------------------------------------------------------- coverage and gaps

def _company_keys(tables: dict[str, pd.DataFrame], by: str) -> pd.DataFrame:
    """Long frame company_id, key (stream or material id)."""
    if by == "stream":
        cs = tables["company_streams"][["company_id", "stream_id"]].rename(columns={"stream_id": "key"})
        return cs.drop_duplicates()
    if by == "material":
        rows = [(c, m) for c, ms in company_material_sets(tables).items() for m in ms]
        return pd.DataFrame(rows, columns=["company_id", "key"]).drop_duplicates()
    raise DataError(f"coverage by '{by}': expected 'stream' or 'material'")


def coverage(tables: dict[str, pd.DataFrame], by: str = "stream", keys: Iterable[str] | None = None) -> pd.DataFrame:
    """Long stage-coverage table: key (stream or material id), activity_id, n_companies, company_ids.

    ``keys`` defaults to every stream of the vocabulary (by stream) or every material any stream carries
    (by material). A zero count is a gap.
    """
    pairs = _company_keys(tables, by).merge(tables["company_activities"][["company_id", "activity_id"]],
                                            on="company_id")
    if keys is None:
        keys = (tables["streams"]["stream_id"] if by == "stream"
                else pd.concat([tables["stream_materials"]["material_id"],
                                tables.get("company_materials", pd.DataFrame(columns=["material_id"]))["material_id"]]))
    keys = sorted(set(keys))
    acts = [a for a in tables["supply_chain_activities"].sort_values("sort_order")["activity_id"]]
    grid = pd.MultiIndex.from_product([keys, acts], names=["key", "activity_id"]).to_frame(index=False)
    agg = (pairs.groupby(["key", "activity_id"])["company_id"]
           .agg(n_companies="nunique", company_ids=lambda s: ";".join(sorted(set(s)))).reset_index())
    out = grid.merge(agg, on=["key", "activity_id"], how="left")
    out["n_companies"] = out["n_companies"].fillna(0).astype(int)
    out["company_ids"] = out["company_ids"].fillna("")
    return out.rename(columns={"key": by})


def coverage_matrix(cov: pd.DataFrame, activities: pd.DataFrame) -> pd.DataFrame:
    """Wide matrix: one row per stream/material, one column per stage label (company counts), plus
    ``covered`` (stages present) and ``gaps`` (stage labels missing, ``;``-joined)."""
    key = cov.columns[0]
    labels = activities.set_index("activity_id")["stage_label"]
    order = list(activities.sort_values("sort_order")["activity_id"])
    wide = cov.pivot(index=key, columns="activity_id", values="n_companies")[order]
    wide.columns = [labels[a] for a in order]
    wide["covered"] = (wide > 0).sum(axis=1)
    wide["gaps"] = wide[[labels[a] for a in order]].apply(
        lambda r: ";".join(c for c in r.index if r[c] == 0), axis=1)
    return wide.reset_index()


def gaps(cov: pd.DataFrame) -> pd.DataFrame:
    """Rows of the long coverage table with no company (the missing links)."""
    return cov[cov["n_companies"] == 0].drop(columns=["company_ids"]).reset_index(drop=True)


def region_origin(locations: pd.DataFrame) -> tuple[float, float]:
    """Reference point of a region: the mean lat/lon of its companies' locations (degrees)."""
    if locations.empty:
        raise DataError("no company locations to place the region's reference point")
    return float(locations["lat"].mean()), float(locations["lon"].mean())


def nearest_fillers(gap_rows: pd.DataFrame, facilities: pd.DataFrame, facility_capabilities: pd.DataFrame,
                    origin: tuple[float, float], k: int = 3) -> pd.DataFrame:
    """For each gap (stream, activity_id), the ``k`` nearest facilities with that stage for that stream.

    Facilities linked to a company of the region (``company_id`` set) and closed lines are skipped. A gap
    no facility fills gets one row with empty facility columns. Distances from ``origin`` (lat, lon).
    """
    if "stream" not in gap_rows.columns:
        raise DataError("nearest_fillers needs gaps by stream (column 'stream')")
    fac = facilities[facilities["company_id"].isna()]
    lines = facility_capabilities[~facility_capabilities["facility_status"].isin(EXCLUDED_STATUSES)]
    lines = lines.merge(fac[["facility_id", "name", "country_iso3", "town", "lat", "lon"]], on="facility_id")
    lines = lines.assign(distance_km=great_circle_km(origin[0], origin[1], lines["lat"], lines["lon"]))
    rows = []
    for stream, act in gap_rows[["stream", "activity_id"]].itertuples(index=False, name=None):
        sub = lines[(lines["stream_id"] == stream) & (lines["activity_id"] == act)]
        sub = (sub.sort_values(["distance_km", "facility_id"]).drop_duplicates("facility_id").head(k))
        if sub.empty:
            rows.append({"stream": stream, "activity_id": act, "rank": None})
            continue
        for rank, r in enumerate(sub.itertuples(index=False), start=1):
            rows.append({"stream": stream, "activity_id": act, "rank": rank, "facility_id": r.facility_id,
                         "name": r.name, "country_iso3": r.country_iso3, "town": r.town,
                         "distance_km": round(float(r.distance_km), 1), "facility_status": r.facility_status,
                         "capacity_t_per_yr": r.capacity_t_per_yr, "source_id": r.source_id})
    cols = ["stream", "activity_id", "rank", "facility_id", "name", "country_iso3", "town", "distance_km",
            "facility_status", "capacity_t_per_yr", "source_id"]
    out = pd.DataFrame(rows, columns=cols)
    out["rank"] = out["rank"].astype("Int64")
    return out
