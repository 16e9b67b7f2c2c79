"""Export a region's assets and material stock: CSV, Parquet and a GeoPackage of the assets.

Files written to ``out_dir`` (created if needed; each file is written to a temporary name and renamed,
so a failure leaves no half-written file):

* ``<region>_stock.csv`` / ``.parquet`` — the long-format stock (``region, area_type, area, asset_class,
  material, variable, unit, value``; variables ``mass_t``, ``low_t``, ``high_t`` in tonnes);
* ``<region>_assets.csv`` / ``.parquet`` — the asset registry as loaded (plus ``capacity_imputed``);
* ``<region>_assets.gpkg`` — layer ``assets``, point geometries (EPSG:4326) of the assets with lat/lon.

The GeoPackage is written with ``pyogrio`` (a dependency), imported only when the GeoPackage is
written; should it be missing, a clear :class:`CritmatError` says so.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from critmat.errors import CritmatError, DataError


def _atomic(path: Path, write: Callable[[Path], None]) -> Path:
    tmp = path.with_name(f".{path.stem}.tmp{path.suffix}")  # keep the extension (GDAL checks it)
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
        elif pd.api.types.is_integer_dtype(dt) and out[c].isna().any():
            out[c] = out[c].astype("float64")
        elif pd.api.types.is_extension_array_dtype(dt):
            out[c] = out[c].astype("float64") if pd.api.types.is_numeric_dtype(dt) else out[c].astype("object")
    return out


def write_csv(df: pd.DataFrame, path: Path) -> Path:
    return _atomic(Path(path), lambda p: df.to_csv(p, index=False))


def write_parquet(df: pd.DataFrame, path: Path) -> Path:
    return _atomic(Path(path), lambda p: _plain(df).to_parquet(p, index=False))


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


def _geo_assets(assets: pd.DataFrame) -> pd.DataFrame:
    for col in ("lat", "lon"):
        if col not in assets.columns:
            raise DataError(f"assets lack column '{col}' needed for the GeoPackage", column=col)
    geo = _plain(assets[assets["lat"].notna() & assets["lon"].notna()].reset_index(drop=True))
    if geo.empty:
        raise DataError("no asset has coordinates; nothing to write to the GeoPackage", column="lat")
    return geo


def write_geopackage(assets: pd.DataFrame, path: Path, layer: str = "assets") -> Path:
    """Point layer of the assets that have lat/lon (WGS84); needs ``pyogrio``."""
    ogr_write = _ogr_write()
    geo = _geo_assets(assets)
    geometry = np.array([point_wkb(x, y) for x, y in zip(geo["lon"], geo["lat"])], dtype=object)
    fields = [c for c in geo.columns]
    data = []
    for c in fields:
        col = geo[c]
        if col.dtype == object:
            data.append(np.array([None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)
                                  for v in col], dtype=object))
        elif col.dtype == bool:
            data.append(col.to_numpy(dtype="int32"))
        else:
            data.append(col.to_numpy())

    def _write(p: Path) -> None:
        ogr_write(str(p), geometry, data, fields, layer=layer, driver="GPKG", geometry_type="Point",
                  crs="EPSG:4326")

    return _atomic(Path(path), _write)


def export_region(out_dir: Path, region_id: str, assets: pd.DataFrame, stock: pd.DataFrame,
                  geopackage: bool = True) -> list[Path]:
    """Write stock and assets as CSV and Parquet, and the assets as a GeoPackage; returns the paths."""
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise DataError("export target exists and is not a folder", file=str(out_dir))
    if geopackage:  # fail before writing anything
        _ogr_write()
        _geo_assets(assets)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [write_csv(stock, out_dir / f"{region_id}_stock.csv"),
             write_parquet(stock, out_dir / f"{region_id}_stock.parquet"),
             write_csv(assets, out_dir / f"{region_id}_assets.csv"),
             write_parquet(assets, out_dir / f"{region_id}_assets.parquet")]
    if geopackage:
        paths.append(write_geopackage(assets, out_dir / f"{region_id}_assets.gpkg"))
    return paths
