"""Regions: the region packs in the warehouse, their configuration, asset registries and tables."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from critmat.services.base import Result, Section
from critmat.services.context import answer

if TYPE_CHECKING:
    from critmat.warehouse.access import TableSource

ASSET_COLUMNS = ["asset_id", "name", "asset_class", "status", "commissioning_year", "capacity_mw",
                 "length_km", "units", "municipality_code", "source_id"]
ASSET_STATUSES = ("operational", "under_construction", "planned", "decommissioned")
SUMMARY_CAPTION = ("units: turbines, transformer stations or cars; capacity_mw: MW (MWp for PV); length_km: km "
                   "of cable")


def region(wh: TableSource, region_id: str = "nh-fl") -> Any:
    """The region pack as the build validated it (:class:`critmat.regions.Region`; shared per build)."""
    from critmat.services.context import memo
    from critmat.warehouse import access

    if access.is_folder(region_id):
        return access.region(wh, region_id)
    return memo(wh, ("region", str(region_id)), lambda: access.region(wh, str(region_id)))


@answer
def regions(wh: TableSource) -> Result:
    """The region packs in the warehouse: id, name, provinces, boundary year, origin (bundled | built), path."""
    import json

    import pandas as pd

    from critmat.paths import bundled_data

    rows = []
    for r in wh.table("regions").itertuples(index=False):
        cfg = json.loads(r.config_json)
        rows.append({"region_id": r.region_id, "name": r.name, "provinces": " ".join(cfg["provinces"]),
                     "boundary_year": cfg["boundary_year"],
                     "origin": "bundled" if str(r.path).startswith(str(bundled_data())) else "built", "path": r.path})
    df = pd.DataFrame(rows, columns=["region_id", "name", "provinces", "boundary_year", "origin", "path"])
    return Result(df, title="Region packs")


@answer
def assets(wh: TableSource, region_id: str = "nh-fl", asset_class: str | None = None, status: str | None = None,
           all_columns: bool = True) -> Result:
    """The strategic asset registry (wind, solar, data centres, grid, cars), each row with its source."""
    from critmat.errors import UnknownIdError
    from critmat.regions import resolve_classes

    if status is not None and status not in ASSET_STATUSES:
        raise UnknownIdError(f"unknown --status '{status}' (use one of {', '.join(ASSET_STATUSES)})")
    df = region(wh, region_id).table("assets")
    classes = resolve_classes(asset_class)
    if classes is not None:
        df = df[df["asset_class"].isin(classes)]
    df = df.reset_index(drop=True)
    if status:
        df = df[df["status"] == status]
    shown = df
    if not all_columns:
        shown = df[ASSET_COLUMNS]
        empty = [c for c in ("length_km", "capacity_mw", "units", "commissioning_year") if shown[c].isna().all()]
        shown = shown.drop(columns=empty)
    title = (f"Assets of {region_id}" + (f" ({asset_class})" if asset_class else "") + (f", {status}" if status else ""))
    caption = f"{len(df)} rows; capacity_mw: MW (MWp for PV); length_km: km; units: turbines, stations or cars"
    hint = "--all-columns or --format csv for technology, province, coordinates and notes."
    return Result(df, title=title, caption=caption, hint=hint,
                  units={"capacity_mw": "MW", "length_km": "km", "units": "count", "lat": "degree", "lon": "degree"},
                  sources=sorted(set(df["source_id"].dropna())),
                  params={"region": region_id, "asset_class": asset_class, "status": status},
                  sections=[Section("assets", shown, title, caption, hint=hint)])


@answer
def summary(wh: TableSource, region_id: str = "nh-fl") -> Result:
    """Per asset class and status: rows, units, capacity (MW) and cable length (km), with the config,
    the coverage statements and what the build did not find."""
    from critmat.regions import summary as class_summary

    reg = region(wh, region_id)
    c = reg.config
    head = (f"{c.id}: {c.name} | provinces {', '.join(c.provinces)} | NUTS2 {', '.join(c.nuts2) or '-'} "
            f"| boundary year {c.boundary_year} | {len(reg.table('municipalities'))} municipalities | {reg.path}")
    lines = []
    cov = reg.tables.get("coverage")
    if cov is not None and len(cov):
        lines.append("Coverage (counted vs the best official count known):")
        lines += [f"  - {st}" for st in cov["statement"]]
    if c.missing:
        lines.append("Missing (not found in the inputs): " + "; ".join(c.missing))
    if c.build_command:
        lines.append(f"Rebuild: {c.build_command}")
    frame = class_summary(reg)
    title = f"Assets of {c.id} by class and status"
    return Result(frame, title=title, caption=SUMMARY_CAPTION, params={"region": c.id, "config": c.model_dump()},
                  sections=[Section("config", text=head), Section("summary", frame, title, SUMMARY_CAPTION),
                            *([Section("coverage", text="\n".join(lines))] if lines else [])])


@answer
def table(wh: TableSource, region_id: str, name: str) -> Result:
    """One table of the region pack (municipalities, assets, boundaries, coverage ...)."""
    from critmat.errors import UnknownIdError
    from critmat.regions import REGION_TABLES

    if name not in REGION_TABLES:
        raise UnknownIdError(f"unknown --table '{name}' (use one of {', '.join(REGION_TABLES)})")
    return Result(region(wh, region_id).table(name), title=f"{region_id}: {name}")


@answer
def boundaries(wh: TableSource, region_id: str = "nh-fl") -> Result:
    """Area outlines of the region (``area_code, area_type, name, ..., geometry_wkt``, WGS84) from the
    warehouse's ``boundaries`` table (loaded with ``critmat region build``); a region without them gets its
    municipality centroids as points (``params['kind']``: polygon | centroid), said in the caption."""
    import pandas as pd

    rid = region(wh, region_id).config.id
    if wh.has("boundaries"):
        b = wh.sql("SELECT * FROM boundaries WHERE region_id = ?", [rid]) if hasattr(wh, "sql") else \
            wh.table("boundaries").query("region_id == @rid").reset_index(drop=True)
        if len(b):
            srcs = sorted({str(s) for s in b["source_id"].dropna()}) if "source_id" in b else []
            return Result(b, title=f"Boundaries of {rid}", sources=srcs, params={"region": rid, "kind": "polygon"})
    mun = region(wh, region_id).table("municipalities")
    pts = pd.DataFrame({"area_code": mun["municipality_code"], "area_type": "municipality",
                        "name": mun["municipality_name"], "province_code": mun["province_code"],
                        "geometry_wkt": [f"POINT ({lo} {la})" if pd.notna(la) and pd.notna(lo) else None
                                         for la, lo in zip(mun["lat"], mun["lon"])]})
    srcs = sorted({str(s) for s in mun["source_id"].dropna()}) if "source_id" in mun else []
    return Result(pts, title=f"Municipality centroids of {rid}", sources=srcs,
                  caption="no boundary polygons in this region pack: municipality centroids only",
                  params={"region": rid, "kind": "centroid"})
