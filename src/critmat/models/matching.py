"""Matchmaking: rank recyclers and offtakers for a region's end-of-life streams (pure functions, no I/O).

A :class:`StreamSpec` describes one end-of-life stream: what it is (``product_stream_id``), how much
(``tonnes_per_year``, t/yr, over ``year_from``..``year_to``), where it arises (``origin_lat``/``origin_lon``,
WGS84 degrees) and, per role (``recycler`` takes the stream in; ``offtaker`` takes the secondary material
out of recycling), which stages (Table 4 activity ids) and which input streams qualify.

Candidates are the region's companies (tier ``region``) and the facility registry (tier ``eu``: Europe incl.
the UK and Norway; a facility linked to a company of the region by ``company_id`` is tier ``region`` and
stands for that company). Ranking, per stream and role:

1. **Hard filter**: the candidate has a qualifying stage *and* takes a qualifying stream in
   (``flow_direction = input``); closed lines and lines starting after ``year_to`` are dropped.
2. **Score** in [0, 1] = w_capacity·s_capacity + w_distance·s_distance + w_status·s_status with
   s_capacity = min(1, capacity / tonnes_per_year) — the share of the stream the line could take if it had
   no other feed (utilisation is not known) — or ``unknown_capacity_score`` when no capacity is published;
   s_distance = exp(-distance_km / distance_scale_km) on the great circle from the stream's origin;
   s_status from :data:`STATUS_SCORE`. A candidate qualifying through several lines keeps its best one.
3. **Order**: tier (region first, then eu), score (high first), distance (near first), candidate id — a
   total order, so the ranking is deterministic.
Region companies carry no capacity (unknown) and status ``operational`` (listed as active in 2025).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from critmat.catalog import units
from critmat.errors import DataError, ModelError, UnknownIdError
from critmat.models.capabilities import (
    ACTIVITY_ORDER,
    EXCLUDED_STATUSES,
    great_circle_km,
)

Role = Literal["recycler", "offtaker"]
TIERS = ("region", "eu")

#: Status score: how soon and surely a line can take material (0..1).
STATUS_SCORE: dict[str, float] = {"operational": 1.0, "pilot": 0.7, "under_construction": 0.6,
                                  "planned": 0.3, "unknown": 0.5}


class StreamRole(BaseModel):
    """Who may take the stream in one role: qualifying stages and input streams."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    role: Role
    activities: tuple[str, ...] = Field(min_length=1)
    accepts: tuple[str, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _known_activities(self) -> StreamRole:
        bad = [a for a in self.activities if a not in ACTIVITY_ORDER]
        if bad:
            raise ValueError(f"activity {bad[0]!r} is not a Table 4 activity ({', '.join(ACTIVITY_ORDER)})")
        return self


class StreamSpec(BaseModel):
    """An end-of-life stream of a region (tonnes per year of ``product_stream_id`` over a year range)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9\-]*$")
    title: str
    region_id: str = "nh-fl"
    product_stream_id: str
    material_ids: tuple[str, ...] = ()
    tonnes_per_year: float = Field(ge=0)
    year_from: int = Field(ge=1900, le=2200)
    year_to: int = Field(ge=1900, le=2200)
    origin_lat: float = Field(ge=-90, le=90)
    origin_lon: float = Field(ge=-180, le=180)
    origin_note: str = ""
    basis: str = ""
    assumption: bool = True
    source_id: str
    roles: tuple[StreamRole, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _years_and_roles(self) -> StreamSpec:
        if self.year_to < self.year_from:
            raise ValueError(f"year_to {self.year_to} is before year_from {self.year_from}")
        names = [r.role for r in self.roles]
        if len(names) != len(set(names)):
            raise ValueError("each role may appear once")
        return self


@dataclass(frozen=True)
class MatchWeights:
    """Weights of the score components (summing to 1) and the scales of the component scores."""

    capacity: float = 0.40
    distance: float = 0.35
    status: float = 0.25
    distance_scale_km: float = 500.0
    unknown_capacity_score: float = 0.5

    def __post_init__(self) -> None:
        ws = (self.capacity, self.distance, self.status)
        if min(ws) < 0 or not math.isclose(sum(ws), 1.0, abs_tol=1e-9):
            raise ModelError(f"match weights must be >= 0 and sum to 1, got {ws}")
        if self.distance_scale_km <= 0:
            raise ModelError(f"distance_scale_km must be > 0, got {self.distance_scale_km}")
        if not 0 <= self.unknown_capacity_score <= 1:
            raise ModelError(f"unknown_capacity_score must be in [0, 1], got {self.unknown_capacity_score}")


CANDIDATE_COLUMNS = ["candidate_id", "kind", "tier", "name", "country_iso3", "town", "lat", "lon", "activity_id",
                     "stream_id", "capacity_t_per_yr", "facility_status", "start_year", "source_id"]


def candidates(locations: pd.DataFrame, company_activities: pd.DataFrame, company_streams: pd.DataFrame,
               facilities: pd.DataFrame, facility_capabilities: pd.DataFrame) -> pd.DataFrame:
    """Long table of what each candidate takes in: one row per (candidate, activity, input stream).

    ``locations`` are the region's companies with lat/lon (:func:`critmat.models.capabilities.company_locations`).
    """
    cs = company_streams[company_streams["flow_direction"] == "input"]
    comp = (locations[["company_id", "name", "town", "lat", "lon"]]
            .merge(company_activities[["company_id", "activity_id"]], on="company_id")
            .merge(cs[["company_id", "stream_id", "source_id"]], on="company_id"))
    comp = comp.rename(columns={"company_id": "candidate_id"}).assign(
        kind="company", tier="region", country_iso3="NLD", capacity_t_per_yr=np.nan,
        facility_status="operational", start_year=np.nan)
    fc = facility_capabilities[facility_capabilities["flow_direction"] == "input"]
    fac = fc.merge(facilities[["facility_id", "name", "country_iso3", "town", "lat", "lon", "company_id"]],
                   on="facility_id")
    linked = fac["company_id"].notna()
    fac = fac.assign(candidate_id=fac["company_id"].where(linked, fac["facility_id"]),
                     kind=np.where(linked, "company", "facility"), tier=np.where(linked, "region", "eu"))
    fac = fac.assign(start_year=pd.to_numeric(fac["start_year"], errors="coerce").astype(float),
                     capacity_t_per_yr=pd.to_numeric(fac["capacity_t_per_yr"], errors="coerce").astype(float))
    frames = [f[CANDIDATE_COLUMNS] for f in (comp, fac) if not f.empty]
    out = (pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=CANDIDATE_COLUMNS))
    out["capacity_t_per_yr"] = pd.to_numeric(out["capacity_t_per_yr"], errors="coerce").astype(float)
    out["lat"] = out["lat"].astype(float)
    out["lon"] = out["lon"].astype(float)
    return out


def check_spec(spec: StreamSpec, streams: Iterable[str]) -> None:
    """Every stream id a spec names must be in the stream vocabulary."""
    known = set(streams)
    for sid in (spec.product_stream_id, *[a for r in spec.roles for a in r.accepts]):
        if sid not in known:
            raise DataError(f"stream spec '{spec.name}': unknown stream_id '{sid}' "
                            f"(known: {', '.join(sorted(known))})")


MATCH_COLUMNS = ["stream", "role", "rank", "tier", "candidate_id", "kind", "name", "country_iso3", "town",
                 "activity_id", "matched_streams", "capacity_t_per_yr", "facility_status", "distance_km",
                 "s_capacity", "s_distance", "s_status", "score", "source_id"]


def match_stream(spec: StreamSpec, cands: pd.DataFrame, weights: MatchWeights = MatchWeights(),
                 top: int | None = None) -> pd.DataFrame:
    """Ranked candidates for one stream, both roles, with the score broken down (see module docstring).

    ``top`` keeps the first ``top`` rows of each role. Columns: :data:`MATCH_COLUMNS`; ``distance_km`` in km,
    ``capacity_t_per_yr`` in t/yr, scores in [0, 1].
    """
    parts = []
    for role in spec.roles:
        sub = cands[cands["activity_id"].isin(role.activities) & cands["stream_id"].isin(role.accepts)
                    & ~cands["facility_status"].isin(EXCLUDED_STATUSES)]
        starts = pd.to_numeric(sub["start_year"], errors="coerce").astype(float)
        sub = sub[~(starts > spec.year_to).to_numpy(dtype=bool, na_value=False)].copy()
        if sub.empty:
            continue
        sub["distance_km"] = great_circle_km(spec.origin_lat, spec.origin_lon, sub["lat"], sub["lon"])
        cap = sub["capacity_t_per_yr"]
        if spec.tonnes_per_year > 0:
            s_cap = np.minimum(1.0, cap / spec.tonnes_per_year)
        else:
            s_cap = pd.Series(1.0, index=sub.index)
        sub["s_capacity"] = s_cap.where(cap.notna(), weights.unknown_capacity_score).astype(float)
        sub["s_distance"] = np.exp(-sub["distance_km"] / weights.distance_scale_km)
        sub["s_status"] = sub["facility_status"].map(STATUS_SCORE).fillna(STATUS_SCORE["unknown"]).astype(float)
        sub["score"] = (weights.capacity * sub["s_capacity"] + weights.distance * sub["s_distance"]
                        + weights.status * sub["s_status"])
        names = sub.groupby("candidate_id")["stream_id"].agg(lambda s: ";".join(sorted(set(s))))
        best = (sub.sort_values(["candidate_id", "score", "distance_km", "activity_id", "stream_id"],
                                ascending=[True, False, True, True, True])
                .drop_duplicates("candidate_id").copy())
        best["matched_streams"] = best["candidate_id"].map(names)
        best["_tier"] = best["tier"].map({t: i for i, t in enumerate(TIERS)})
        best = best.sort_values(["_tier", "score", "distance_km", "candidate_id"],
                                ascending=[True, False, True, True]).drop(columns="_tier")
        best["rank"] = np.arange(1, len(best) + 1)
        best["role"] = role.role
        best["stream"] = spec.name
        parts.append(best if top is None else best.head(top))
    if not parts:
        return pd.DataFrame(columns=MATCH_COLUMNS)
    out = pd.concat(parts, ignore_index=True)[MATCH_COLUMNS]
    for c in ("distance_km",):
        out[c] = out[c].round(1)
    for c in ("s_capacity", "s_distance", "s_status", "score"):
        out[c] = out[c].round(4)
    return out


def match_streams(specs: Iterable[StreamSpec], cands: pd.DataFrame, weights: MatchWeights = MatchWeights(),
                  top: int | None = None) -> pd.DataFrame:
    """:func:`match_stream` for several streams, concatenated."""
    frames = [match_stream(s, cands, weights, top) for s in specs]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=MATCH_COLUMNS)


def get_spec(specs: Mapping[str, StreamSpec], name: str) -> StreamSpec:
    """The spec called ``name``; :class:`UnknownIdError` listing the known names otherwise."""
    try:
        return specs[name]
    except KeyError:
        raise UnknownIdError(f"unknown stream '{name}' (known: {', '.join(sorted(specs)) or 'none'})") from None


# ---------------------------------------------------------------- streams from the flows model

#: Which flows rows feed which bundled stream: asset classes and (None = all) materials.
DEFAULT_FLOW_STREAMS: dict[str, dict[str, Any]] = {
    # NdFeB magnets: flows give contained rare earths; recyclers count magnet mass. Nd2Fe14B holds 26.7 wt%
    # Nd by stoichiometry (2 x 144.24 / 1081.2); sintered NdFeB magnets carry about 30-32 wt% rare earths
    # (Nd, Pr, Dy, Tb; sources metals_2023_ndfeb_scrap_review, yang_2017_ndfeb_recycling) — the factor
    # 1/0.30 converts contained rare earths to magnet mass (the upper end of the magnet mass).
    "ndfeb-magnets-wind-repowering": {"asset_classes": frozenset({"wind_onshore", "wind_offshore"}),
                                      "materials": frozenset({"neodymium", "praseodymium", "dysprosium", "terbium"}),
                                      "product_per_contained": 1 / 0.30},
    "pv-panels-eol": {"asset_classes": frozenset({"solar_pv"}), "materials": None},
    "li-ion-batteries-ev": {"asset_classes": frozenset({"vehicle"}),
                            "materials": frozenset({"lithium", "cobalt", "nickel", "manganese", "natural_graphite"})},
    "copper-cable-scrap": {"asset_classes": frozenset({"grid_cable"}), "materials": frozenset({"copper"})},
}
FLOW_COLUMNS = ("region", "area", "asset_class", "material", "year", "variable", "unit", "value")


def streams_from_flows(flows: pd.DataFrame, templates: Mapping[str, StreamSpec], *, region: str,
                       variable: str = "outflow", source_id: str,
                       mapping: Mapping[str, Mapping[str, Any]] = DEFAULT_FLOW_STREAMS,
                       ) -> dict[str, StreamSpec]:
    """Turn the flows model's long output into stream specs (adapter).

    ``flows`` has columns region, area, asset_class, material, year, variable, unit, value (a mass unit:
    t, kg, kt, Mt ...). For each template named in ``mapping``, rows of ``region`` and ``variable`` with a
    mapped asset
    class and material are summed per year (when the frame has ``area_type``, as
    :attr:`critmat.flows.FlowsResult.flows` has, only the ``region`` rows: province and municipality rows
    repeat the same tonnes); the stream covers the first to the last year with a positive
    total and ``tonnes_per_year`` is the mean total over those years. The result keeps the template's roles
    and origin; its tonnes are *contained material* (not product mass), ``assumption`` is False and
    ``source_id`` is the flows run's source. Templates without any positive flow are left out.
    """
    missing = [c for c in FLOW_COLUMNS if c not in flows.columns]
    if missing:
        raise DataError(f"flows frame lacks column(s) {missing} (long format {', '.join(FLOW_COLUMNS)})",
                        column=missing[0])
    df = flows[(flows["region"] == region) & (flows["variable"] == variable)]
    if "area_type" in df.columns:  # region, province, municipality rows hold the same tonnes: count once
        df = df[df["area_type"] == "region"]
    to_t: dict[str, float] = {}
    for u in sorted(set(map(str, df["unit"]))):
        try:
            to_t[u] = units.factor(u, "t")
        except DataError as exc:
            raise DataError(f"flows unit {u!r} not convertible to tonnes ({exc})", column="unit") from None
    if (df["value"] < 0).any():
        i = df.index[df["value"] < 0][0]
        raise DataError(f"negative flow {df.at[i, 'value']} ({df.at[i, 'asset_class']}, {df.at[i, 'material']}, "
                        f"{df.at[i, 'year']})", row=int(i) + 1, column="value")
    tonnes = df["value"] * df["unit"].astype(str).map(to_t)
    out: dict[str, StreamSpec] = {}
    for name, rule in mapping.items():
        if name not in templates:
            continue
        sel = df["asset_class"].isin(rule["asset_classes"])
        if rule["materials"] is not None:
            sel &= df["material"].isin(rule["materials"])
        factor = float(rule.get("product_per_contained", 1.0))  # type: ignore[arg-type]
        per_year = tonnes[sel].groupby(df.loc[sel, "year"]).sum().sort_index() * factor
        pos = per_year[per_year > 0]
        if pos.empty:
            continue
        y0, y1 = int(pos.index.min()), int(pos.index.max())
        window = per_year.loc[y0:y1]
        tpl = templates[name]
        out[name] = tpl.model_copy(update={
            "tonnes_per_year": float(window.mean()), "year_from": y0, "year_to": y1, "assumption": False,
            "source_id": source_id, "region_id": region,
            "basis": f"flows model, variable '{variable}', contained material of "
                     f"{', '.join(sorted(rule['materials'])) if rule['materials'] else 'all materials'} "
                     f"({', '.join(sorted(rule['asset_classes']))}), mean {y0}-{y1}"
                     + (f", x{factor:.2f} to product mass" if factor != 1.0 else "")})
    return out
