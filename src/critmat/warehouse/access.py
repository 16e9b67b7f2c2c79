"""Typed readers over a built warehouse: the one data path of every question after ``critmat build``.

Each reader takes a :class:`TableSource` (a :class:`~critmat.warehouse.store.Warehouse`, or any object
with ``table`` and ``has``, e.g. a frame dict in tests) and returns the model's inputs: a region pack, the
intensities, the material groups, a scenario, a shock, the stream specs. None of them opens a package file.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import pandas as pd

from critmat.errors import UnknownIdError

if TYPE_CHECKING:
    from critmat.flowsresult import ScenarioLabel
    from critmat.models.matching import StreamSpec
    from critmat.regions import Region
    from critmat.specs.scenarios import Scenario
    from critmat.specs.shocks import ShockSpec


@runtime_checkable
class TableSource(Protocol):
    """Where tables come from: the warehouse, or a dict of frames (:class:`FrameSource`)."""

    def table(self, name: str) -> pd.DataFrame: ...

    def has(self, name: str) -> bool: ...


class FrameSource:
    """A :class:`TableSource` over a dict of frames (tests, or a region pack loaded from its files)."""

    def __init__(self, frames: dict[str, pd.DataFrame]) -> None:
        self.frames = frames

    def table(self, name: str) -> pd.DataFrame:
        if name not in self.frames:
            raise UnknownIdError(f"no table '{name}' (tables: {', '.join(sorted(self.frames))})")
        return self.frames[name]

    def has(self, name: str) -> bool:
        return name in self.frames


def is_warehouse(src: Any, needs: str = "regions") -> bool:
    """``src`` is an open table source (warehouse or :class:`FrameSource`) holding table ``needs``."""
    return src is not None and hasattr(src, "has") and not getattr(src, "closed", False) and src.has(needs)


def typed(src: TableSource, df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with the pandas dtypes the package loader gives each field type (string, Float64, Int64,
    boolean, date), so a frame read from the warehouse equals the one read from its file."""
    from critmat.catalog.package import _DTYPES

    if not src.has("fields") or isinstance(src, FrameSource):
        return df
    kinds = dict(zip(src.table("fields")["name"], src.table("fields")["type"]))
    out = df.copy()
    for col in out.columns:
        kind = kinds.get(col)
        if kind == "date":
            out[col] = pd.to_datetime(out[col]).dt.date
        elif kind in ("number", "integer", "year"):
            out[col] = pd.to_numeric(out[col]).astype("float64").astype(_DTYPES[kind])
        elif kind in _DTYPES:
            out[col] = out[col].astype(_DTYPES[kind])
    return out


def where(src: TableSource, table: str, column: str, value: str) -> pd.DataFrame:
    """The rows of ``table`` whose ``column`` equals ``value`` (a warehouse filters in DuckDB, parameters
    bound and names quoted; another source filters the frame), in table order, index from 0."""
    sql = getattr(src, "sql", None)
    if sql is not None:
        from critmat.catalog.ident import quote_ident

        return sql(f"SELECT * FROM {quote_ident(table)} WHERE {quote_ident(column)} = ?", [value])
    df = src.table(table)
    return df[df[column] == value].reset_index(drop=True)


def _rows(src: TableSource, table: str, column: str, value: str) -> pd.DataFrame:
    return typed(src, where(src, table, column, value))


class RegionTables(Mapping):
    """A region's tables, each read from the warehouse when first asked for (a question about the stock
    never reads the pack's boundary polygons)."""

    def __init__(self, src: TableSource, region_id: str, names: list[str]) -> None:
        self._src, self._region, self._names, self._frames = src, region_id, list(names), {}

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name not in self._names:
            raise KeyError(name)
        if name not in self._frames:
            self._frames[name] = _rows(self._src, name, "region_id", self._region)
        return self._frames[name]

    def __iter__(self):  # noqa: ANN204
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


def region_ids(src: TableSource) -> list[str]:
    """Ids of the region packs in the warehouse."""
    return sorted(src.table("regions")["region_id"]) if src.has("regions") else []


def is_folder(region: str | Path) -> bool:
    """``region`` names a pack folder (a path), not a region id of the warehouse."""
    return isinstance(region, Path) or "/" in str(region) or "\\" in str(region)


def region(src: TableSource, region_id: str | Path) -> Region:
    """The region pack ``region_id`` as the build validated it (its rows of every region table); a pack
    folder given by path is not in the warehouse: it is read and validated from its files."""
    from critmat.regions import Region, RegionConfig

    if is_folder(region_id):
        from critmat.regions import load_region

        return load_region(Path(region_id))

    if not src.has("regions"):
        raise UnknownIdError("the warehouse has no regions table (built by an older critmat): run `critmat build`")
    row = _rows(src, "regions", "region_id", str(region_id))
    if row.empty:
        raise UnknownIdError(f"unknown region '{region_id}' (known: {', '.join(region_ids(src)) or 'none'}; "
                             "build one with `critmat region build`)")
    r = row.iloc[0]
    names = [n for n in str(r["resources"]).split(",") if n and src.has(n)]
    tables = RegionTables(src, str(region_id), names)
    return Region(config=RegionConfig.model_validate_json(r["config_json"]), path=Path(r["path"]),
                  tables=tables, files={n: Path(f"warehouse:{n}") for n in names})  # type: ignore[arg-type]


def intensities(src: TableSource) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(technologies, material_intensities)`` as validated by the build."""
    return typed(src, src.table("technologies")), typed(src, src.table("material_intensities"))


def material_names(src: TableSource, language: str = "en") -> dict[str, str]:
    """Material id → its display name in ``language``: the ``materials`` table's (English) for ``en``, else
    the ``material_names`` rows of that language, the English name where a material has none."""
    mats = src.table("materials")
    names = dict(zip(mats["material_id"].astype(str), mats["name"].astype(str)))
    if language != "en" and src.has("material_names"):
        other = src.table("material_names")
        other = other[other["language"] == language]
        names.update(zip(other["material_id"].astype(str), other["name"].astype(str)))
    return names


def material_groups(src: TableSource, group_ids: Any = None) -> dict[str, list[str]]:
    """Material group id → sorted member ids (all groups, or only ``group_ids``)."""
    mg = src.table("material_groups")
    if group_ids is not None:
        unknown = sorted(set(group_ids) - set(mg["group_id"].astype(str)))
        if unknown:
            raise UnknownIdError(f"unknown material group '{unknown[0]}' (not in reference material_groups)")
        mg = mg[mg["group_id"].isin(list(group_ids))]
    out: dict[str, list[str]] = {}
    for g, m in zip(mg["group_id"].astype(str), mg["material_id"].astype(str)):
        out.setdefault(g, []).append(m)
    return {g: sorted(out[g]) for g in sorted(out)}


def _spec(src: TableSource, kind: str, name: str) -> str:
    if not src.has("specs"):
        raise UnknownIdError("the warehouse has no specs table (built by an older critmat): run `critmat build`")
    specs = src.table("specs")
    hit = specs[(specs["kind"] == kind) & (specs["name"] == name)]
    if hit.empty:
        known = ", ".join(sorted(specs.loc[specs["kind"] == kind, "name"]))
        raise UnknownIdError(f"unknown {kind} '{name}' (bundled: {known or 'none'}; or give a YAML file)")
    return str(hit["spec_json"].iloc[0])


def spec_names(src: TableSource, kind: str) -> list[str]:
    """Names of the stored specs of one kind (scenario | shock | streams)."""
    if not src.has("specs"):
        return []
    specs = src.table("specs")
    return sorted(specs.loc[specs["kind"] == kind, "name"])


def scenario(src: TableSource, name: str) -> Scenario:
    """A bundled scenario (``extends`` resolved at build)."""
    from critmat.specs.scenarios import Scenario

    return Scenario.model_validate_json(_spec(src, "scenario", name))


def scenario_label(src: TableSource, name: str) -> ScenarioLabel:
    """A bundled scenario's name, title and registry year, read from its stored spec (no validation of the
    whole scenario)."""
    from critmat.flowsresult import ScenarioLabel

    spec = json.loads(_spec(src, "scenario", name))
    year = spec.get("registry_year")
    return ScenarioLabel(name=str(spec.get("name") or name), title=str(spec.get("title") or ""),
                         registry_year=int(year) if year is not None else None)


def shock(src: TableSource, name: str) -> ShockSpec:
    """A bundled shock spec."""
    from critmat.specs.shocks import ShockSpec

    return ShockSpec.model_validate_json(_spec(src, "shock", name))


def stream_specs(src: TableSource) -> dict[str, StreamSpec]:
    """The bundled end-of-life stream specs, by name."""
    from critmat.models.matching import StreamSpec

    return {d["name"]: StreamSpec.model_validate(d) for d in json.loads(_spec(src, "streams", "bundled"))}
