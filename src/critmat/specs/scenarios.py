"""Flow scenarios: frozen pydantic specs read from YAML (unknown keys rejected).

A scenario changes the sourced parameters of the circularity package (``critmat/data/packages/circularity``)
and fixes the pipeline of planned assets. Bundled scenarios live in ``critmat/data/scenarios/<name>.yaml``;
any other YAML file can be given by path. ``extends: <name>`` starts from another scenario (bundled, or a
file ``<name>.yaml`` beside this one) and overrides it key by key (mappings are merged, values replaced).

Keys (all optional except ``name``)::

    name: high-recovery                  # lowercase id
    title: / description:                # text
    extends: baseline                    # parent scenario
    source_id: critmat_assumption_scenarios
    region: nh-fl                        # region the asset ids below belong to (other regions ignore them)
    years: {start: 2025, end: 2050}      # default window of the results (start <= end)
    registry_year: 2024                  # operational assets are known in use at the end of this year
    commissioning_years: {asset_id: year}          # for registered assets without a year
    pipeline: {asset_id: {commissioning_year: 2029, include: true, note: ...}}
    lifetime_shift_years: {wind_onshore: 5}        # +: longer lives, -: earlier exit (repowering)
    pathways: {wind_onshore: {export_reuse: 0.2, collection: 0.95, replacement: 1.0}}
    pretreatment: {wind_onshore: {neodymium: {2030: 0.9}}}
    recovery: {all: {copper: 0.9}, solar_pv: {silver: {2030: 0.8}}}
    targets: {wind_dd_pmsg: {points: {2030: 1.0, 2040: 2.0}, relative: true, municipality: GM0453,
              source_id: ..., note: ...}}        # target fleets per technology (see FleetTarget)
    ev_sales: {points: {2023: 0.35, 2030: 0.6}, bev_share_of_ev: 0.62, source_id: ...}

A share is a number in 0..1 (from the first year on) or a step schedule ``{year: share}`` (from that year
until the next; before the first year the circularity package's value holds). Asset classes are those of the
region packs or ``all``. Errors are :class:`~critmat.errors.ScenarioError` naming the file, key and value.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

import pandas as pd
import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from critmat.errors import ScenarioError, UnknownIdError
from critmat.paths import bundled_data
from critmat.safeyaml import excerpt

AssetClass = Literal["wind_onshore", "wind_offshore", "solar_pv", "datacentre", "grid_cable",
                     "grid_transformer", "vehicle"]
AppliesTo = Literal["all", "wind_onshore", "wind_offshore", "solar_pv", "datacentre", "grid_cable",
                    "grid_transformer", "vehicle"]
#: Year a plain (unscheduled) share starts: before any data year, so it applies to every year.
ALWAYS = 1900
Year = Annotated[int, Field(ge=1900, le=2200)]


def _share(value: Any, where: str = "") -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{where}share must be a number between 0 and 1, got {excerpt(value)}")
    if not 0 <= float(value) <= 1:
        raise ValueError(f"{where}share must be between 0 and 1, got {excerpt(value)}")
    return float(value)


def _schedule(value: Any) -> tuple[tuple[int, float], ...]:
    """A share or ``{year: share}`` → sorted ``((year_from, share), ...)``."""
    if isinstance(value, (tuple, list)) and all(isinstance(p, (tuple, list)) and len(p) == 2 for p in value):
        value = {y: v for y, v in value}
    if isinstance(value, dict):
        if not value:
            raise ValueError("empty schedule: give a share or {year: share}")
        out = []
        for y, v in value.items():
            if isinstance(y, bool) or not isinstance(y, int) or not 1900 <= y <= 2200:
                raise ValueError(f"schedule year must be a whole year 1900..2200, got {excerpt(y)}")
            out.append((int(y), _share(v, f"year {y}: ")))
        return tuple(sorted(out))
    return ((ALWAYS, _share(value)),)


ShareSchedule = Annotated[tuple[tuple[int, float], ...], BeforeValidator(_schedule)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


class Window(_Frozen):
    """Years of the results, both included."""

    start: Year = 2025
    end: Year = 2050

    @model_validator(mode="after")
    def _order(self) -> Window:
        if self.end < self.start:
            raise ValueError(f"years out of order: end {self.end} is before start {self.start}")
        return self


class PipelineEntry(_Frozen):
    """A planned or under-construction asset of the region pack: its expected year, or left out."""

    commissioning_year: Year | None = None
    include: bool = True
    note: str = ""


class PathwayOverride(_Frozen):
    export_reuse: ShareSchedule | None = None
    collection: ShareSchedule | None = None
    replacement: ShareSchedule | None = None


class FleetTarget(_Frozen):
    """A target fleet of one technology in the region: ``points`` ``{year: value}``, linear in between and
    flat after the last point. ``relative`` (default): multiples of the stock the registered assets of the
    technology hold in that year (1 = the registry as it is, replaced like for like); else absolute, in the
    technology's basis unit (MW, km, units). Fleets (cars, cables) follow the target as a whole; for wind
    farms and solar parks the part above the registered assets is a new fleet, placed in ``municipality``
    (CBS code) or, without one, unallocated in ``province``."""

    points: dict[Year, Annotated[float, Field(ge=0)]]
    relative: bool = True
    since: Year | None = None
    municipality: str | None = None
    province: str | None = None
    source_id: str = "critmat_assumption_scenarios"
    note: str = ""

    @model_validator(mode="after")
    def _nonempty(self) -> FleetTarget:
        if not self.points:
            raise ValueError("a target needs at least one {year: value} point")
        return self


class EvSales(_Frozen):
    """Electric share of new car sales ``{year: share}`` (linear in between): with the car fleet held at its
    registered size, the new cars of each year are split into BEV (``bev_share_of_ev``), PHEV and the
    rest (ICE and hybrids keep their registered ratio); the fleets by drivetrain that result are targets."""

    points: dict[Year, Annotated[float, Field(ge=0, le=1)]]
    bev_share_of_ev: Annotated[float, Field(ge=0, le=1)] = 0.62
    source_id: str = "critmat_assumption_scenarios"
    note: str = ""


class Scenario(_Frozen):
    """A flow scenario (see the module docstring for the keys)."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9\-_]*$")
    title: str = ""
    description: str = ""
    extends: str | None = None
    source_id: str = "critmat_assumption_scenarios"
    region: str | None = None
    years: Window = Window()
    registry_year: Year = 2024
    commissioning_years: dict[str, Year] = {}
    pipeline: dict[str, PipelineEntry] = {}
    lifetime_shift_years: dict[AssetClass, Annotated[float, Field(ge=-100, le=100)]] = {}
    pathways: dict[AppliesTo, PathwayOverride] = {}
    pretreatment: dict[AppliesTo, dict[str, ShareSchedule]] = {}
    recovery: dict[AppliesTo, dict[str, ShareSchedule]] = {}
    targets: dict[str, FleetTarget] = {}
    ev_sales: EvSales | None = None

    def pathway_overrides(self) -> dict[tuple[str, str], tuple[tuple[int, float], ...]]:
        """``{(applies_to, pathway): schedule}`` for :func:`critmat.models.circularity.resolve_parameters`."""
        out = {}
        for cls, ov in self.pathways.items():
            for key in ("export_reuse", "collection", "replacement"):
                sched = getattr(ov, key)
                if sched is not None:
                    out[(cls, key)] = sched
        return out

    def stage_overrides(self) -> dict[tuple[str, str, str], tuple[tuple[int, float], ...]]:
        """``{(applies_to, material, stage): schedule}`` (pretreatment and recovery)."""
        out = {}
        for stage in ("pretreatment", "recovery"):
            for cls, mats in getattr(self, stage).items():
                for mat, sched in mats.items():
                    out[(cls, mat, stage)] = sched
        return out

    def to_dict(self) -> dict[str, Any]:
        """Plain mapping in the YAML layout (schedules as ``{year: share}``, plain shares as numbers)."""
        def sched(s: tuple[tuple[int, float], ...] | None) -> Any:
            if s is None:
                return None
            return s[0][1] if len(s) == 1 and s[0][0] == ALWAYS else {y: v for y, v in s}

        d = self.model_dump(mode="python")
        d["pathways"] = {c: {k: sched(v) for k, v in ov.items() if v is not None} for c, ov in d["pathways"].items()}
        for stage in ("pretreatment", "recovery"):
            d[stage] = {c: {m: sched(s) for m, s in mats.items()} for c, mats in d[stage].items()}
        d["pipeline"] = {a: {k: v for k, v in e.items() if v not in (None, "")} for a, e in d["pipeline"].items()}
        return d

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True, width=110)


# --------------------------------------------------------------------------------------------- loading
def bundled_scenarios_dir() -> Path:
    return bundled_data() / "scenarios"


def _describe(exc: ValidationError, where: str, raw: Any) -> ScenarioError:
    msgs = []
    for e in exc.errors()[:3]:
        loc = ".".join(str(p) for p in e["loc"] if not str(p).startswith("function-"))
        msg = str(e["msg"]).removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            parent = ".".join(str(p) for p in e["loc"][:-1])
            msgs.append(f"unknown key {excerpt(str(e['loc'][-1]))}" + (f" in '{parent}'" if parent else "")
                        + " (not a scenario setting; see `critmat scenario show baseline`)")
            continue
        if e["type"] == "literal_error":
            keys = [str(p) for p in e["loc"] if p != "[key]"]
            parent = ".".join(keys[:-1]) if "[key]" in e["loc"] else ".".join(keys)
            what = "unknown key" if "[key]" in e["loc"] else "unknown value"
            msgs.append(f"{what} {excerpt(e['input'])} in '{parent}': {msg.replace('Input should be', 'expected')}")
            continue
        value = e.get("input")
        shown = "" if isinstance(value, dict) or msg.endswith(repr(value)) else f" (got {excerpt(value)})"
        msgs.append(f"'{loc}': {msg}{shown}" if loc else f"{msg}{shown}")
    more = f" (and {len(exc.errors()) - 3} more)" if len(exc.errors()) > 3 else ""
    return ScenarioError(f"{where}: " + "; ".join(msgs) + more)


def validate_scenario(raw: Any, where: str = "scenario") -> Scenario:
    """A :class:`Scenario` from a mapping; :class:`ScenarioError` naming ``where``, the key and the value."""
    if not isinstance(raw, dict):
        raise ScenarioError(f"{where}: a scenario must be a mapping of keys (name, years, recovery ...), "
                            f"got {type(raw).__name__}")
    try:
        return Scenario.model_validate(raw)
    except ValidationError as exc:
        raise _describe(exc, where, raw) from None


def _read_yaml(path: Path) -> dict[str, Any]:
    from critmat import safeyaml

    if not path.exists():
        raise ScenarioError(f"{path}: no such scenario file")
    raw = safeyaml.load(path, ScenarioError)
    if not isinstance(raw, dict):
        raise ScenarioError(f"{path}: a scenario file must hold a mapping of keys, got "
                            f"{type(raw).__name__}")
    return raw


def _merge(parent: dict[str, Any], child: dict[str, Any]) -> dict[str, Any]:
    out = dict(parent)
    for k, v in child.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def _find(name: str, beside: Path | None) -> Path:
    if beside is not None and (beside / f"{name}.yaml").exists():
        return beside / f"{name}.yaml"
    path = bundled_scenarios_dir() / f"{name}.yaml"
    if path.exists():
        return path
    raise UnknownIdError(f"unknown scenario '{name}' (bundled: {', '.join(scenario_names())}; or give a YAML file)")


def _resolve(path: Path, seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    path = path.resolve()
    if path in seen:
        chain = " → ".join(p.stem for p in (*seen, path))
        raise ScenarioError(f"{path}: 'extends' makes a cycle ({chain})")
    raw = _read_yaml(path)
    validate_scenario(raw, str(path))  # the file on its own: unknown keys, ranges, order
    parent_name = raw.get("extends")
    if not parent_name:
        return raw
    try:
        parent_path = _find(str(parent_name), path.parent)
    except UnknownIdError as exc:
        raise ScenarioError(f"{path}: 'extends': {exc}") from None
    merged = _merge(_resolve(parent_path, (*seen, path)), raw)
    merged["extends"] = parent_name
    return merged


def scenario_names() -> list[str]:
    d = bundled_scenarios_dir()
    return sorted(p.stem for p in d.glob("*.yaml")) if d.is_dir() else []


def load_scenario(scenario: str | Path) -> Scenario:
    """A bundled scenario by name (``baseline``) or a YAML file by path, with ``extends`` resolved."""
    s = str(scenario)
    path = Path(s)
    if not (path.suffix in (".yaml", ".yml") or path.exists()):
        path = _find(s, None)
    raw = _resolve(path)
    return validate_scenario(raw, str(path))


def list_scenarios() -> pd.DataFrame:
    """Bundled scenarios: ``name, title, extends, description``."""
    rows = []
    for name in scenario_names():
        s = load_scenario(name)
        rows.append({"name": name, "title": s.title, "extends": s.extends or "",
                     "description": " ".join(s.description.split())})
    return pd.DataFrame(rows, columns=["name", "title", "extends", "description"])
