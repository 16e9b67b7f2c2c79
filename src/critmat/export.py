"""Export a region as a self-describing Frictionless data package: CSV + Parquet tables, a GeoPackage.

:func:`export_package` takes frames (no I/O of critmat's own data: the caller, a service or the CLI, hands
them over) and writes into ``out_dir``:

* ``datapackage.json`` — one tabular resource per table (the CSV files), with the Table Schema of each
  column (type, unit, description), primary keys and the **foreign keys between the tables** (stock →
  areas, materials; assets → areas, sources; asset_stock → assets, materials; ...), so an outside
  ``frictionless validate datapackage.json`` checks every link; ``bytes`` and ``hash`` of each file, so a
  truncated copy is caught too. The Parquet twins and the GeoPackage are listed as plain resources.
* ``stock`` — the long stock (``region, area_type, area, asset_class_level, asset_class, material_level,
  material, variable, unit, value``). Totals share a column with their parts only under a *level* column:
  ``area_type`` (region > province > municipality / unallocated), ``asset_class_level`` (``asset_class`` or
  ``all``: the row sums every class) and ``material_level`` (``material`` or ``group``: a group row such as
  ``rare_earth_elements_light`` sums its member elements, which are rows too). Filter on one level before
  summing.
* ``assets`` — every asset handed over (also those the stock model could not count: ``counted = false``
  with the reason in ``not_counted_reason``); ``asset_stock`` — tonnes per asset and material;
  ``areas`` — every area the stock names; ``materials``, ``sources`` — what the other tables point to.
* ``<region>.gpkg`` (EPSG:4326) — layer ``assets`` (points; assets without coordinates are kept with an
  empty geometry) with the central tonnes of each material (``t_<material>``); layers ``municipalities``,
  ``provinces`` (and ``offshore_areas``) with polygons and the stock of all classes per material, when
  boundaries are given.

Each Parquet file carries column metadata (``unit``, ``description``, ``source``, ``build_id``) in its Arrow
schema, and the package's ``critmat:build_id`` names the warehouse build the numbers come from.

Nothing is dropped silently: every row handed over is written (the row counts are checked after writing),
and the export fails before writing anything when an input cannot be written whole. Files are written into
a temporary folder first and moved into place, so a failure leaves ``out_dir`` as it was.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import struct
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from critmat.errors import CritmatError, DataError

STOCK_COLUMNS = ["region", "area_type", "area", "asset_class_level", "asset_class", "material_level", "material",
                 "variable", "unit", "value"]
ALL_CLASSES = "all"
#: GeoPackage layer of each boundaries area_type.
AREA_LAYERS = {"municipality": "municipalities", "province": "provinces", "offshore": "offshore_areas"}
AREA_LEVELS = ("region", "province", "municipality", "unallocated", "offshore", "nuts")

#: Columns the export adds or that are not (yet) in the field dictionary: the export's own contract.
#: These win over a dictionary field of the same name (the stock's area_type has more levels than a pack's).
EXPORT_FIELDS: dict[str, dict[str, Any]] = {
    "region": {"type": "string", "description": "Region id (critmat region pack)."},
    "area_type": {"type": "string", "description": "Level of the area: region > province > municipality; "
                  "unallocated = assets of a province without a municipality (area = province code), so "
                  "municipalities + unallocated = province; offshore = a sea area.",
                  "constraints": {"enum": list(AREA_LEVELS)}},
    "area": {"type": "string", "description": "Area code: region id, CBS province (PV..) or municipality (GM..) "
             "code; for unallocated rows the province code."},
    "area_code": {"type": "string", "description": "Area code (see area)."},
    "area_name": {"type": "string", "description": "Name of the area."},
    "parent_type": {"type": "string", "description": "Level of the area this one lies in."},
    "parent_code": {"type": "string", "description": "Code of the area this one lies in."},
    "has_polygon": {"type": "boolean", "description": "The GeoPackage holds this area's polygon."},
    "asset_class_level": {"type": "string", "description": "asset_class: the row is one class; all: the row "
                          "sums every class (asset_class = 'all'). Never sum across levels.",
                          "constraints": {"enum": ["asset_class", "all"]}},
    "asset_class": {"type": "string", "description": "Asset class, or 'all' on total rows (asset_class_level)."},
    "material_level": {"type": "string", "description": "material: one material; group: an EU-list group "
                       "summing its member materials, which are rows too. Never sum across levels.",
                       "constraints": {"enum": ["material", "group"]}},
    "material": {"type": "string", "description": "Material id (materials.material_id)."},
    "variable": {"type": "string", "description": "mass_t: tonnes with the central intensities; low_t, median_t, "
                 "high_t: 5th, 50th, 95th percentile of the Monte Carlo draws (low/high intensities without "
                 "draws)."},
    "unit": {"type": "string", "description": "Unit of value (critmat.catalog.units)."},
    "pipeline": {"type": "boolean", "description": "true: content of planned assets (the pipeline); false: the "
                 "stock (operational and under construction). Never sum the two."},
    "value": {"type": "number", "description": "The value of variable, in unit."},
    "mass_t": {"type": "number", "unit": "t", "description": "Tonnes with the central intensity."},
    "low_t": {"type": "number", "unit": "t", "description": "Tonnes with the low intensity."},
    "high_t": {"type": "number", "unit": "t", "description": "Tonnes with the high intensity."},
    "capacity_imputed": {"type": "boolean", "description": "capacity_mw is the assumed capacity of the data "
                         "centre type (critmat_assumption_datacentre), not a published figure."},
    "counted": {"type": "boolean", "description": "The stock model counts this asset (false: its quantity - "
                "capacity, length or units - is unknown; see not_counted_reason)."},
    "not_counted_reason": {"type": "string", "description": "Why the stock model could not count the asset."},
    "is_group": {"type": "boolean", "description": "The material is a group of materials."},
    "publisher": {"type": "string", "description": "Publisher of the source."},
    "url": {"type": "string", "description": "Where the source is published."},
    "licence": {"type": "string", "description": "Licence of the source."},
    "vintage": {"type": "string", "description": "Year or version of the source."},
    "citation": {"type": "string", "description": "Full citation; for an assumption, its reasoning."},
    "kind": {"type": "string", "description": "Kind of source (dataset, report, assumption, ...)."},
    "accessed": {"type": "string", "description": "Date the source was accessed."},
}

KIND_TITLES = {"stock": "Material stock of the region (long)", "assets": "Strategic assets",
               "asset_stock": "Material content per asset", "areas": "Areas", "materials": "Materials",
               "sources": "Sources"}


# ------------------------------------------------------------------------------------------ helpers
def _atomic(path: Path, write: Callable[[Path], None]) -> Path:
    # hidden, with this process's id (removed if we are killed: critmat.warehouse.staging.clean_stale); keeps the
    # extension (GDAL checks it)
    tmp = path.with_name(f".{path.stem}.tmp-{os.getpid()}{path.suffix}")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def _plain(df: pd.DataFrame) -> pd.DataFrame:
    """Nullable pandas dtypes → plain numpy/object columns (for Parquet and GDAL)."""
    out = df.copy()
    for c in out.columns:
        dt = out[c].dtype
        if isinstance(dt, pd.StringDtype) or dt == object:
            out[c] = out[c].astype("object").where(out[c].notna(), None)
        elif pd.api.types.is_bool_dtype(dt) and pd.api.types.is_extension_array_dtype(dt):
            out[c] = out[c].astype("object").where(out[c].notna(), None)
        elif pd.api.types.is_integer_dtype(dt) and out[c].isna().any():
            out[c] = out[c].astype("float64")
        elif pd.api.types.is_extension_array_dtype(dt):
            out[c] = out[c].astype("float64") if pd.api.types.is_numeric_dtype(dt) else out[c].astype("object")
    return out


def write_csv(df: pd.DataFrame, path: Path) -> Path:
    return _atomic(Path(path), lambda p: df.to_csv(p, index=False, lineterminator="\n"))


def write_parquet(df: pd.DataFrame, path: Path, columns: Mapping[str, Mapping[str, str]] | None = None,
                  meta: Mapping[str, str] | None = None) -> Path:
    """Parquet with per-column metadata (``columns``: name → {unit, description, source, ...}) and
    schema-level metadata (``meta``) in the Arrow schema."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(_plain(df), preserve_index=False)
    fields = []
    for f in table.schema:
        md = {k: str(v) for k, v in (columns or {}).get(f.name, {}).items() if v is not None}
        fields.append(f.with_metadata(md) if md else f)
    schema = pa.schema(fields, metadata={**(table.schema.metadata or {}),
                                         **{k.encode(): str(v).encode() for k, v in (meta or {}).items()}})
    table = table.cast(schema)
    return _atomic(Path(path), lambda p: pq.write_table(table, p))


def point_wkb(lon: float, lat: float) -> bytes:
    """Little-endian WKB of a 2D point."""
    return struct.pack("<BIdd", 1, 1, float(lon), float(lat))


def _ogr_write() -> Callable[..., None]:
    try:
        from pyogrio.raw import write
    except ImportError:
        raise CritmatError("writing a GeoPackage needs the optional package 'pyogrio' "
                           "(pip install pyogrio)") from None
    return write


def _wkt_to_wkb() -> Callable[[str], bytes]:
    try:
        import shapely
    except ImportError:
        raise CritmatError("writing boundary polygons to the GeoPackage needs the package 'shapely' "
                           "(pip install shapely)") from None
    return lambda wkt: shapely.to_wkb(shapely.from_wkt(wkt))


def _ogr_columns(frame: pd.DataFrame) -> tuple[list[str], list[np.ndarray]]:
    geo = _plain(frame)
    data = []
    for c in geo.columns:
        col = geo[c]
        if col.dtype == object:
            data.append(np.array([None if v is None or (isinstance(v, float) and np.isnan(v)) else
                                  (str(v).lower() if isinstance(v, (bool, np.bool_)) else str(v))
                                  for v in col], dtype=object))
        elif col.dtype == bool:
            data.append(col.to_numpy(dtype="int32"))
        else:
            data.append(col.to_numpy())
    return list(geo.columns), data


def _material_columns(long: pd.DataFrame, key: str) -> pd.DataFrame:
    """``key, t_<material>...`` (central tonnes, wide) from a frame with ``key, material, mass_t``."""
    if long.empty:
        return pd.DataFrame(columns=[key])
    wide = long.pivot_table(index=key, columns="material", values="mass_t", aggfunc="sum")
    wide.columns = [f"t_{m}" for m in wide.columns]
    return wide.reset_index()


# ------------------------------------------------------------------------------------------ tables
def stock_table(stock: pd.DataFrame, group_ids: Iterable[str] = ()) -> pd.DataFrame:
    """The long stock with its level columns (see the module docstring); every row kept."""
    need = ["region", "area_type", "area", "asset_class", "material", "variable", "unit", "value"]
    missing = [c for c in need if c not in stock.columns]
    if missing:
        raise DataError(f"stock frame lacks column(s) {missing}", column=missing[0])
    out = stock.copy()
    groups = set(group_ids)
    out["asset_class_level"] = np.where(out["asset_class"].astype(str) == ALL_CLASSES, "all", "asset_class")
    out["material_level"] = np.where(out["material"].astype(str).isin(groups), "group", "material")
    extra = [c for c in out.columns if c not in STOCK_COLUMNS]
    return out[STOCK_COLUMNS + extra].reset_index(drop=True)


def areas_table(region_id: str, stock: pd.DataFrame, municipalities: pd.DataFrame | None,
                boundaries: pd.DataFrame | None, region_name: str | None = None,
                assets: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every area the stock, the municipalities, the boundaries or the assets name: ``area_type, area_code,
    area_name, parent_type, parent_code, has_polygon``."""
    rows: dict[tuple[str, str], dict[str, Any]] = {}

    def add(kind: str, code: Any, name: Any = None, parent: tuple[str, Any] | None = None) -> None:
        if code is None or (isinstance(code, float) and np.isnan(code)) or pd.isna(code):
            return
        key = (kind, str(code))
        row = rows.setdefault(key, {"area_type": kind, "area_code": str(code), "area_name": None,
                                    "parent_type": None, "parent_code": None})
        if row["area_name"] is None and name is not None and not pd.isna(name):
            row["area_name"] = str(name)
        if parent and row["parent_code"] is None and parent[1] is not None and not pd.isna(parent[1]):
            row["parent_type"], row["parent_code"] = parent[0], str(parent[1])

    add("region", region_id, region_name or region_id)
    if municipalities is not None and len(municipalities):
        m = municipalities
        for pc, pn in zip(m["province_code"], m.get("province_name", pd.Series([None] * len(m)))):
            add("province", pc, pn, ("region", region_id))
            add("unallocated", pc, f"{pn if pn is not None and not pd.isna(pn) else pc}: not allocated to a "
                "municipality", ("province", pc))
        for mc, mn, pc in zip(m["municipality_code"], m["municipality_name"], m["province_code"]):
            add("municipality", mc, mn, ("province", pc))
    if boundaries is not None and len(boundaries):
        b = boundaries
        prov = b["province_code"] if "province_code" in b.columns else pd.Series([None] * len(b))
        for kind, code, name, pc in zip(b["area_type"], b["area_code"], b["name"], prov):
            parent = ("region", region_id) if kind == "province" else ("province", pc)
            add(str(kind), code, name, parent)
    for kind, code in stock[["area_type", "area"]].drop_duplicates().itertuples(index=False, name=None):
        add(str(kind), code)
    if assets is not None and len(assets):
        for pc in assets.get("province_code", pd.Series(dtype=object)).dropna().unique():
            add("province", pc, None, ("region", region_id))
        if "municipality_code" in assets.columns:
            pairs = assets[["municipality_code", "province_code"]].dropna(subset=["municipality_code"])
            for mc, pc in pairs.drop_duplicates().itertuples(index=False, name=None):
                add("municipality", mc, None, ("province", pc))
    out = pd.DataFrame(list(rows.values()), columns=["area_type", "area_code", "area_name", "parent_type",
                                                     "parent_code"])
    poly = set()
    if boundaries is not None and len(boundaries):
        ok = boundaries["geometry_wkt"].notna() if "geometry_wkt" in boundaries.columns else []
        poly = set(zip(boundaries.loc[ok, "area_type"].astype(str), boundaries.loc[ok, "area_code"].astype(str)))
    out["has_polygon"] = [(t, c) in poly for t, c in zip(out["area_type"], out["area_code"])]
    return out


def assets_table(assets: pd.DataFrame, excluded: pd.DataFrame | None = None) -> pd.DataFrame:
    """Counted assets plus the ones the stock model set aside (``counted``, ``not_counted_reason``)."""
    a = assets.assign(counted=True, not_counted_reason=None)
    if excluded is not None and len(excluded):
        ex = excluded.assign(counted=False,
                             not_counted_reason="quantity unknown (no capacity, length or units published)")
        a = pd.concat([a, ex], ignore_index=True)
    dup = a["asset_id"].astype(str).duplicated()
    if dup.any():
        raise DataError(f"asset '{a.loc[dup, 'asset_id'].iloc[0]}' appears twice in the export", column="asset_id")
    return a.reset_index(drop=True)


# ------------------------------------------------------------------------------------------ schema
def _field(name: str, frame: pd.DataFrame, unit: str | None = None) -> dict[str, Any]:
    from critmat.catalog.fields import field_dictionary

    if name in EXPORT_FIELDS:
        d = {"name": name, **json.loads(json.dumps(EXPORT_FIELDS[name]))}
    elif name in field_dictionary():
        d = field_dictionary()[name].frictionless()
        d.get("constraints", {}).pop("required", None)
        if not d.get("constraints"):
            d.pop("constraints", None)
    else:
        kind = frame[name].dtype
        d = {"name": name, "type": "number" if pd.api.types.is_float_dtype(kind) else
             "integer" if pd.api.types.is_integer_dtype(kind) else
             "boolean" if pd.api.types.is_bool_dtype(kind) else "string",
             "description": "Central tonnes of the material named after t_ in this asset." if name.startswith("t_")
             else f"Column {name} as held by critmat."}
    if unit:
        d["unit"] = unit
    return d


def _schema(frame: pd.DataFrame, primary_key: list[str], foreign_keys: list[tuple[list[str], str, list[str]]],
            units: Mapping[str, str] | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"fields": [_field(c, frame, (units or {}).get(c)) for c in frame.columns],
                              "missingValues": [""]}
    for f in schema["fields"]:
        if f["name"] in primary_key:
            f.setdefault("constraints", {})["required"] = True
    if primary_key:
        schema["primaryKey"] = primary_key
    if foreign_keys:
        schema["foreignKeys"] = [{"fields": f, "reference": {"resource": r, "fields": rf}}
                                 for f, r, rf in foreign_keys]
    return schema


def _conform(name: str, frame: pd.DataFrame, schema: Mapping[str, Any]) -> pd.DataFrame:
    """Integer and year columns held as floats (a column with gaps) become nullable integers; a fraction
    there is an error, not a rounding."""
    out = frame.copy()
    for f in schema["fields"]:
        if f["type"] in ("integer", "year") and not pd.api.types.is_integer_dtype(out[f["name"]].dtype):
            col = pd.to_numeric(out[f["name"]], errors="raise")
            frac = col.notna() & (col != col.round())
            if frac.any():
                raise DataError(f"{name}: {f['name']} = {col[frac].iloc[0]} is not a whole number",
                                column=f["name"])
            out[f["name"]] = col.astype("Int64")
    return out


def _file_stats(path: Path) -> dict[str, Any]:
    data = path.read_bytes()
    return {"bytes": len(data), "hash": "sha256:" + hashlib.sha256(data).hexdigest()}


def _check_links(tables: Mapping[str, tuple[pd.DataFrame, list[str], list[tuple[list[str], str, list[str]]],
                                            Any]]) -> None:
    """Every foreign key of the package resolves (checked before writing, so no broken package is written)."""
    for name, (frame, pk, fks, _) in tables.items():
        if pk and frame.duplicated(pk).any():
            dup = frame[frame.duplicated(pk)].iloc[0]
            raise DataError(f"{name}: key ({', '.join(pk)}) = {tuple(dup[pk])} appears twice", column=pk[0])
        for fields, target, ref in fks:
            sub = frame[fields].dropna()
            have = set(map(tuple, tables[target][0][ref].astype(str).itertuples(index=False, name=None)))
            bad = [row for row in sub.astype(str).itertuples(index=False, name=None) if row not in have]
            if bad:
                raise DataError(f"{name}: {dict(zip(fields, bad[0]))} not in {target} ({len(bad)} row(s)); "
                                "the export would hold a broken link", column=fields[0])


# ------------------------------------------------------------------------------------------ geopackage
def _write_gpkg(path: Path, layers: list[tuple[str, pd.DataFrame, list[bytes | None], str]]) -> None:
    ogr_write = _ogr_write()
    for i, (layer, frame, geoms, gtype) in enumerate(layers):
        fields, data = _ogr_columns(frame)
        ogr_write(str(path), np.array(geoms, dtype=object), data, fields, layer=layer, driver="GPKG",
                  geometry_type=gtype, crs="EPSG:4326", append=i > 0)


def write_geopackage(frame: pd.DataFrame, path: Path, layer: str = "assets") -> Path:
    """One point layer (EPSG:4326) of the rows of ``frame``, from its ``lat``/``lon``; rows without
    coordinates are kept with an empty geometry. Needs ``pyogrio``."""
    _ogr_write()
    for c in ("lat", "lon"):
        if c not in frame.columns:
            raise DataError(f"rows lack column '{c}' needed for the GeoPackage", column=c)
    geoms = [point_wkb(x, y) if pd.notna(x) and pd.notna(y) else None
             for x, y in zip(pd.to_numeric(frame["lon"]), pd.to_numeric(frame["lat"]))]
    return _atomic(Path(path), lambda p: _write_gpkg(p, [(layer, frame.reset_index(drop=True), geoms, "Point")]))


def _asset_layer(assets: pd.DataFrame, asset_stock: pd.DataFrame | None) -> tuple[pd.DataFrame, list[bytes | None]]:
    layer = assets.copy()
    if asset_stock is not None and len(asset_stock):
        layer = layer.merge(_material_columns(asset_stock, "asset_id"), on="asset_id", how="left", validate="1:1")
    if len(layer) != len(assets):
        raise DataError("asset layer lost or gained rows while adding tonnes", column="asset_id")
    geoms = [point_wkb(x, y) if pd.notna(x) and pd.notna(y) else None
             for x, y in zip(pd.to_numeric(layer["lon"]), pd.to_numeric(layer["lat"]))]
    return layer, geoms


def _area_layer(kind: str, boundaries: pd.DataFrame, stock: pd.DataFrame,
                to_wkb: Callable[[str], bytes]) -> tuple[pd.DataFrame, list[bytes | None]]:
    b = boundaries[boundaries["area_type"].astype(str) == kind]
    layer = b.drop(columns=["geometry_wkt"]).reset_index(drop=True)
    tot = stock[(stock["area_type"].astype(str) == kind) & (stock["asset_class_level"] == "all")
                & (stock["variable"] == "mass_t")]
    tot = tot.rename(columns={"area": "area_code", "value": "mass_t"})[["area_code", "material", "mass_t"]]
    layer = layer.merge(_material_columns(tot, "area_code"), on="area_code", how="left", validate="1:1")
    geoms = [to_wkb(w) if isinstance(w, str) and w.strip() else None for w in b["geometry_wkt"]]
    return layer, geoms


# ------------------------------------------------------------------------------------------ the package
def export_package(out_dir: Path, region_id: str, *, stock: pd.DataFrame, assets: pd.DataFrame,
                   build_id: str | None = None, excluded: pd.DataFrame | None = None,
                   asset_stock: pd.DataFrame | None = None, municipalities: pd.DataFrame | None = None,
                   boundaries: pd.DataFrame | None = None, materials: pd.DataFrame | None = None,
                   sources: pd.DataFrame | None = None, group_ids: Iterable[str] = (),
                   region_name: str | None = None, params: Mapping[str, Any] | None = None,
                   geopackage: bool = True) -> list[Path]:
    """Write the region's data package into ``out_dir`` (see the module docstring); returns the paths.

    ``stock``: long stock (``region, area_type, area, asset_class, material, variable, unit, value``);
    ``assets``: the counted assets, ``excluded``: those set aside; ``asset_stock``: ``asset_id, material,
    low_t, mass_t, high_t``; ``boundaries``: ``area_code, area_type, name, geometry_wkt`` (a region pack's
    ``boundaries`` resource, or None); ``materials``: the reference materials; ``sources``: the source
    registry frame; ``group_ids``: material ids that are groups; ``build_id``: the warehouse build the
    frames come from (a hash of the exported tables when None); ``params``: parameters of the stock run.
    """
    from critmat.warehouse.staging import MARKER, clean_stale, mark_output, staging_dir

    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise DataError("export target exists and is not a folder", file=str(out_dir))
    fresh = not out_dir.exists() or not any(out_dir.iterdir())
    if not fresh and not (out_dir / MARKER).exists():  # overwrite only what an earlier export wrote
        raise DataError(f"the folder exists and was not written by critmat export (no {MARKER} marker); critmat "
                        "will not overwrite files in it (give a new or empty folder)", file=str(out_dir))
    group_ids = set(group_ids)
    if materials is not None and "material_kind" in materials.columns:
        group_ids |= set(materials.loc[materials["material_kind"].astype(str) == "group", "material_id"].astype(str))
    st = stock_table(stock, group_ids)
    a = assets_table(assets, excluded)
    areas = areas_table(region_id, st, municipalities, boundaries, region_name, a)
    if boundaries is not None:
        need = [c for c in ("area_code", "area_type", "name", "geometry_wkt") if c not in boundaries.columns]
        if need:
            raise DataError(f"boundaries lack column(s) {need}", column=need[0])
        boundaries = boundaries[boundaries["region_id"].astype(str) == region_id] \
            if "region_id" in boundaries.columns else boundaries
    to_wkb = None
    if geopackage:  # fail before writing anything
        _ogr_write()
        for c in ("lat", "lon"):
            if c not in a.columns:
                raise DataError(f"assets lack column '{c}' needed for the GeoPackage", column=c)
        if boundaries is not None and boundaries["geometry_wkt"].notna().any():
            to_wkb = _wkt_to_wkb()

    tables: dict[str, tuple[pd.DataFrame, list[str], list[tuple[list[str], str, list[str]]], dict[str, str]]] = {}
    unit_of_value = st["unit"].dropna().unique()
    tables["stock"] = (st, [], [(["area_type", "area"], "areas", ["area_type", "area_code"])], {})
    if materials is not None:
        tables["stock"][2].append((["material"], "materials", ["material_id"]))
    asset_fks = [([c], "areas", ["area_code"]) for c in ("municipality_code", "province_code") if c in a.columns]
    tables["assets"] = (a, ["asset_id"], asset_fks, {})
    if asset_stock is not None:
        ast = asset_stock.reset_index(drop=True)
        fks = [(["asset_id"], "assets", ["asset_id"])]
        if materials is not None:
            fks.append((["material"], "materials", ["material_id"]))
        tables["asset_stock"] = (ast, ["asset_id", "material"], fks, {})
    tables["areas"] = (areas, ["area_type", "area_code"], [], {})
    if materials is not None:
        mat = materials.reset_index(drop=True)
        tables["materials"] = (mat, ["material_id"], [], {})
    if sources is not None:
        src = sources.reset_index(drop=True)
        src = src.assign(**{c: src[c].map(lambda v: v if v is None or isinstance(v, str) else str(v))
                            for c in src.columns if src[c].dtype == object})
        tables["sources"] = (src, ["source_id"], [], {})
        for name in ("assets", "materials"):
            if name in tables and "source_id" in tables[name][0].columns:
                tables[name][2].append((["source_id"], "sources", ["source_id"]))
    _check_links(tables)
    content = hashlib.sha256()
    for name, (frame, *_rest) in tables.items():
        content.update(name.encode())
        content.update(pd.util.hash_pandas_object(_plain(frame).astype(str), index=False).values.tobytes())
    build = build_id or f"content-sha256:{content.hexdigest()[:16]}"

    out_dir.parent.mkdir(parents=True, exist_ok=True)
    clean_stale(out_dir.parent)
    tmp = staging_dir(out_dir.parent, f"{out_dir.name}-export")  # hidden, PID-named: cleaned if we are killed
    try:
        resources: list[dict[str, Any]] = []
        for name, (frame, pk, fks, _) in tables.items():
            units = {"value": unit_of_value[0]} if name == "stock" and len(unit_of_value) == 1 else {}
            schema = _schema(frame, pk, fks, units)
            frame = _conform(name, frame, schema)
            csv = write_csv(frame, tmp / f"{name}.csv")
            back = pd.read_csv(csv, dtype=str, keep_default_na=False)
            if len(back) != len(frame):
                raise DataError(f"{name}.csv holds {len(back)} rows, {len(frame)} handed over", file=str(csv))
            source = ("rows: source_id" if "source_id" in frame.columns else
                      "critmat stock model (critmat.models.inventory): assets × material_intensities"
                      if name in ("stock", "asset_stock") else "critmat export (derived from the tables above)")
            col_meta = {f["name"]: {"unit": f.get("unit"), "description": f.get("description"), "source": source,
                                    "build_id": build} for f in schema["fields"]}
            pq_path = write_parquet(frame, tmp / f"{name}.parquet", col_meta,
                                    {"critmat:resource": name, "critmat:region": region_id,
                                     "critmat:build_id": build})
            resources.append({"name": name, "path": csv.name, "title": KIND_TITLES.get(name, name),
                              "profile": "tabular-data-resource", "format": "csv", "mediatype": "text/csv",
                              "encoding": "utf-8", **_file_stats(csv), "schema": schema,
                              "critmat:rows": len(frame), "critmat:source": source})
            import pyarrow.parquet as pq

            if pq.read_metadata(pq_path).num_rows != len(frame):
                raise DataError(f"{name}.parquet does not hold the {len(frame)} rows handed over", file=str(pq_path))
            # A file resource (bytes, hash): Frictionless's Parquet reader turns nulls into NaN and would
            # report them against the schema; the CSV twin is the table it validates.
            resources.append({"name": f"{name}-parquet", "type": "file", "path": pq_path.name,
                              "profile": "data-resource", "format": "parquet",
                              "mediatype": "application/vnd.apache.parquet",
                              "description": f"{name} as Parquet, same rows as {csv.name} (Arrow column metadata: "
                              "unit, description, source, build_id)", **_file_stats(pq_path)})
        notes = []
        if geopackage:
            gpkg = tmp / f"{region_id}.gpkg"
            layer, geoms = _asset_layer(a, asset_stock)
            layers = [("assets", layer, geoms, "Point")]
            if to_wkb is not None and boundaries is not None:
                for kind in dict.fromkeys(boundaries["area_type"].astype(str)):
                    lay, g = _area_layer(kind, boundaries, st, to_wkb)
                    layers.append((AREA_LAYERS.get(kind, f"{kind}_areas"), lay, g, "Unknown"))
            else:
                notes.append("no boundary polygons were loaded for this region: the GeoPackage holds the assets only")
            _atomic(gpkg, lambda p: _write_gpkg(p, layers))
            resources.append({"name": "geopackage", "path": gpkg.name, "profile": "data-resource", "format": "gpkg",
                              "mediatype": "application/geopackage+sqlite3",
                              "description": "EPSG:4326 layers: " + ", ".join(
                                  f"{n} ({len(f)} features)" for n, f, _, _ in layers)
                              + "; t_<material> columns are central tonnes", **_file_stats(gpkg)})
        desc = {"name": f"critmat-{region_id}".lower(), "title": f"critmat export of region {region_id}",
                "description": "Material stock, assets and areas of the region as computed by critmat. Level "
                "columns (area_type, asset_class_level, material_level) tell totals from parts: filter on one "
                "level before summing." + ("" if not notes else " " + "; ".join(notes) + "."),
                "licenses": [{"name": "CC-BY-4.0", "title": "Creative Commons Attribution 4.0"}],
                "critmat:build_id": build, "critmat:region": region_id, "critmat:params": dict(params or {}),
                "resources": resources}
        (tmp / "datapackage.json").write_text(json.dumps(desc, indent=2, ensure_ascii=False, default=str) + "\n",
                                              encoding="utf-8")
        out_dir.mkdir(parents=True, exist_ok=True)
        mark_output(out_dir)
        paths = []
        for f in sorted(tmp.iterdir()):
            os.replace(f, out_dir / f.name)
            paths.append(out_dir / f.name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return paths


def export_region(out_dir: Path, region_id: str, assets: pd.DataFrame, stock: pd.DataFrame,
                  geopackage: bool = True, **frames: Any) -> list[Path]:
    """:func:`export_package` with the older positional signature (``assets``, ``stock``)."""
    return export_package(out_dir, region_id, stock=stock, assets=assets, geopackage=geopackage, **frames)


def stock_input_frames(inputs: Any, materials: pd.DataFrame | None = None, sources: pd.DataFrame | None = None,
                       boundaries: pd.DataFrame | None = None) -> dict[str, Any]:
    """Keyword frames of :func:`export_package` from the stock model's inputs (a
    :class:`critmat.stock.StockInputs`): the set-aside assets, the tonnes per asset (central and low/high
    intensities, every status), municipalities, material groups, plus the given reference frames."""
    from critmat.models.inventory import asset_content

    return {"excluded": inputs.excluded, "municipalities": inputs.municipalities, "group_ids": list(inputs.groups),
            "asset_stock": asset_content(inputs.assets, inputs.technologies, inputs.intensities),
            "materials": materials, "sources": sources, "boundaries": boundaries}
