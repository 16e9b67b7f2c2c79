"""Reading the capabilities data: the bundled package, the region it belongs to, the stream specs.

The one I/O module of the capabilities topic (models stay pure). It loads
``critmat/data/packages/capabilities`` with the generic package checks (schema, keys, foreign keys to the
source registry and the reference package's ``materials`` and ``countries``), then the registry rules of
:func:`critmat.models.capabilities.validate_registry` against the region: its provinces from the region
pack's ``region.yaml`` and, when the pack exists, its ``municipalities`` table. Until the lead moves this
data into the warehouse, the CLI reads it here.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import ValidationError

from critmat.catalog.package import bundled_frames, load_package
from critmat.catalog.sources import source_registry
from critmat.errors import DataError, UnknownIdError
from critmat.models.capabilities import validate_registry
from critmat.models.matching import StreamSpec, check_spec
from critmat.paths import bundled_packages

#: Provinces of the bundled regions, used only when the region pack (critmat.regions) is not installed.
FALLBACK_PROVINCES: dict[str, tuple[str, ...]] = {"nh-fl": ("PV27", "PV24")}
STREAMS_FILE = "eol_streams.yaml"


def package_dir() -> Path:
    """Folder of the bundled capabilities package."""
    return bundled_packages() / "capabilities"


def reference_frames() -> dict[str, pd.DataFrame]:
    """Frames the package's foreign keys point to: ``sources`` and the reference package's tables."""
    known = bundled_frames("reference")
    for name in ("materials", "countries"):
        if name not in known:
            raise DataError(f"resource '{name}' not found: the bundled reference package "
                            f"({bundled_packages() / 'reference'}) is missing or incomplete")
    return known


@dataclass(frozen=True)
class RegionContext:
    """What the capability registry is checked against: the region's provinces and municipalities."""

    region_id: str
    provinces: tuple[str, ...]
    municipalities: pd.DataFrame | None  # municipality_code, province_code; None without a region pack


def region_context(region_id: str) -> RegionContext:
    """Provinces and municipalities of a region from its region pack (:mod:`critmat.regions`).

    Without a region pack, the provinces of :data:`FALLBACK_PROVINCES` and no municipality table. Cached
    per region and ``CRITMAT_HOME`` (where built packs live) for the life of the process.
    """
    from critmat.paths import home

    return _region_context(region_id, str(home()))


@lru_cache(maxsize=8)
def _region_context(region_id: str, _home: str) -> RegionContext:
    try:
        from critmat import regions
    except ImportError:  # pragma: no cover - region packs are part of critmat
        regions = None
    if regions is not None:
        try:
            path = regions.region_path(region_id)
        except UnknownIdError:
            path = None
        if path is not None:
            cfg = regions.read_region_config(path)
            mun = regions.load_region(path).tables["municipalities"][["municipality_code", "province_code"]]
            return RegionContext(region_id, tuple(cfg.provinces), mun)
    if region_id not in FALLBACK_PROVINCES:
        raise UnknownIdError(f"unknown region '{region_id}' (known: {', '.join(sorted(FALLBACK_PROVINCES))})")
    return RegionContext(region_id, FALLBACK_PROVINCES[region_id], None)


def load_tables(pkg_dir: Path | None = None) -> dict[str, pd.DataFrame]:
    """All resources of a capabilities package as validated frames (package schema and keys only).

    The bundled package (``pkg_dir`` None) is read once per process; callers get copies.
    """
    if pkg_dir is None:
        return {name: df.copy() for name, df in _bundled_tables()}
    loaded = load_package(pkg_dir, known=reference_frames())
    return {name: res.frame for name, res in loaded.items()}


@lru_cache(maxsize=1)
def _bundled_tables() -> tuple[tuple[str, pd.DataFrame], ...]:
    loaded = load_package(package_dir(), known=reference_frames())
    return tuple((name, res.frame) for name, res in loaded.items())


def load_capabilities(region_id: str = "nh-fl", pkg_dir: Path | None = None,
                      context: RegionContext | None = None, source: Any = None) -> dict[str, pd.DataFrame]:
    """The package's tables for ``region_id``, checked against the region (see module docstring).

    ``source``: the warehouse to read the tables and the region from (the package's files otherwise).
    Raises :class:`UnknownIdError` when the package holds no company of that region and
    :class:`DataError` naming table, row and column when a rule is broken.
    """
    if source is not None and pkg_dir is None:
        from critmat.warehouse import access

        tables = _warehouse_tables(source)
        if context is None and region_id in access.region_ids(source):
            reg = access.region(source, region_id)
            context = RegionContext(region_id, tuple(reg.config.provinces),
                                    reg.table("municipalities")[["municipality_code", "province_code"]])
    else:
        tables = load_tables(pkg_dir)
    regions_in_pkg = sorted(set(tables["companies"]["region_id"]))
    if region_id not in regions_in_pkg:
        raise UnknownIdError(f"no capability registry for region '{region_id}' "
                             f"(known: {', '.join(regions_in_pkg) or 'none'})")
    for name in ("companies", "towns"):
        tables[name] = tables[name][tables[name]["region_id"] == region_id].reset_index(drop=True)
    ctx = context or region_context(region_id)
    validate_registry(tables, region_id=region_id, provinces=ctx.provinces, municipalities=ctx.municipalities)
    return tables


def _warehouse_tables(source: Any) -> dict[str, pd.DataFrame]:
    """The capabilities package's tables as the build stored them (names from the provenance table)."""
    from critmat.warehouse.access import typed

    prov = source.table("provenance")
    names = prov.loc[prov["package"] == "capabilities", "dataset"]
    return {n: typed(source, source.table(n)) for n in names}


def read_stream_specs(path: Path, streams: pd.Series | list[str] | None = None) -> dict[str, StreamSpec]:
    """Stream specs from a YAML list (see ``eol_streams.yaml``), checked against the source registry and,
    when given, the stream vocabulary. Errors name the file, the spec and the field."""
    path = Path(path)
    from critmat import safeyaml

    raw = safeyaml.load(path, DataError) or []
    if not isinstance(raw, list):
        raise DataError("stream specs must be a YAML list of mappings", file=str(path))
    registry = source_registry()
    out: dict[str, StreamSpec] = {}
    for i, entry in enumerate(raw, start=1):
        label = entry.get("name", "?") if isinstance(entry, dict) else "?"
        try:
            spec = StreamSpec.model_validate(entry)
        except ValidationError as exc:
            first = exc.errors()[0]
            loc = ".".join(map(str, first["loc"])) or "spec"
            raise DataError(f"entry {i}: stream spec '{label}': {loc}: {first['msg']}", file=str(path)) from exc
        if spec.name in out:
            raise DataError(f"entry {i}: stream spec '{spec.name}' defined twice", file=str(path))
        if spec.source_id not in registry:
            raise DataError(f"entry {i}: stream spec '{spec.name}': unknown source '{spec.source_id}'",
                            file=str(path))
        if streams is not None:
            try:
                check_spec(spec, streams)
            except DataError as exc:
                raise DataError(f"entry {i}: {exc}", file=str(path)) from None
        out[spec.name] = spec
    return out


def bundled_stream_specs(streams: pd.Series | list[str] | None = None) -> dict[str, StreamSpec]:
    """The bundled end-of-life stream specs (placeholder tonnages until the flows model provides them)."""
    return read_stream_specs(package_dir() / STREAMS_FILE, streams)


def resolve_material(query: str) -> str:
    """A material id from an id, name, symbol or alias (reference package); :class:`UnknownIdError` if none."""
    from critmat.materials import MaterialIndex

    ref = reference_frames()
    return MaterialIndex(ref["materials"], ref.get("material_aliases")).resolve(query)


def _json_value(v: object) -> object:
    if v is None or v is pd.NA or (isinstance(v, float) and v != v):
        return None
    return v.item() if hasattr(v, "item") else v


def write_geojson(df: pd.DataFrame, path: Path) -> Path:
    """Write rows with ``lat``/``lon`` (WGS84) as a GeoJSON FeatureCollection of points (RFC 7946:
    coordinates ``[lon, lat]``); the other columns become properties. Written atomically."""
    import json
    import os

    for col in ("lat", "lon"):
        if col not in df.columns:
            raise DataError(f"no column '{col}' to place the features", column=col)
    props = [c for c in df.columns if c not in ("lat", "lon")]
    feats = []
    for rec in df.to_dict(orient="records"):
        lat, lon = _json_value(rec["lat"]), _json_value(rec["lon"])
        geom = None if lat is None or lon is None else {"type": "Point", "coordinates": [float(lon), float(lat)]}
        feats.append({"type": "Feature", "geometry": geom, "properties": {c: _json_value(rec[c]) for c in props}})
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_text(json.dumps({"type": "FeatureCollection", "features": feats}, ensure_ascii=False, indent=1),
                       encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        raise DataError(f"cannot write GeoJSON: {exc}", file=str(path)) from exc
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def write_gpkg(df: pd.DataFrame, path: Path, layer: str = "companies") -> Path:
    """Write rows with ``lat``/``lon`` as a GeoPackage point layer (EPSG:4326); needs the optional
    ``pyogrio`` (a clear :class:`~critmat.errors.CritmatError` otherwise)."""
    from critmat.export import write_geopackage

    return write_geopackage(df, Path(path), layer=layer)


def streams_with_flows(specs: dict[str, StreamSpec], region: str, scenario: str, wh: object,
                       result: object = None) -> dict[str, StreamSpec]:
    """Stream specs whose tonnes come from the flows model (what is ``collected`` for recycling, region total)
    where the model covers them; the other specs are kept as given (placeholders, marked as assumptions).

    ``result``: a :class:`~critmat.flows.FlowsResult` of ``region`` and ``scenario`` over the scenario's
    window that the caller already holds (its deterministic rows are the same with or without Monte Carlo
    draws); None runs the flows model."""
    from critmat.flows import run_flows
    from critmat.models.matching import streams_from_flows

    res = result if result is not None else run_flows(region, scenario, wh=wh)
    return {**specs, **streams_from_flows(res.flows, specs, region=region, variable="collected",
                                          source_id=f"critmat flows, scenario {scenario}")}
