"""Supply shocks as specifications: frozen pydantic :class:`ShockSpec` read from YAML (``extra="forbid"``).

A shock withholds a share of one supplier country's supply of some materials at one stage, from a start
date for a number of months, optionally only towards some destinations. The simulator is
:func:`critmat.models.disruption.simulate`; this module only reads, validates and resolves specs.

YAML keys (units in the names' descriptions)::

    id: ree-april-2025            # slug
    title: ...                    # free text
    materials: [dysprosium, rare_earth_elements_heavy]   # ids, names or groups (groups expand to members)
    country: CHN                  # ISO 3166-1 alpha-3 of the supplier
    stage: processing             # extraction | processing
    share: 0.56                   # share of that country's supply withheld, fraction 0..1
    start: 2025-04-04             # first day of the shock
    months: 3                     # duration in months, >= 0
    destinations: [USA]           # optional; omitted = every destination. ISO3 codes or EU
    eu_leakage: 0.0               # share of the loss reaching EU sourcing when the EU is not a destination
    spare_capacity: 0.10          # other suppliers' possible extra output, fraction of their output
    source_ids: [hk_2025_ree]     # where the numbers come from (source registry)
    note: ...

Every bad value is one :class:`~critmat.errors.ScenarioError` naming the file, the key and the value.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Collection, Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from critmat.errors import ScenarioError
from critmat.paths import bundled_data
from critmat.safeyaml import excerpt

Stage = Literal["extraction", "processing"]
STAGES: tuple[str, ...] = ("extraction", "processing")
#: Destination keyword for "every EU member state" in ``destinations``.
EU = "EU"
#: Default assumption on other suppliers' extra output within a shock (source critmat_assumption_spare_capacity).
DEFAULT_SPARE_CAPACITY = 0.10
#: Default share of a loss aimed at other destinations that reaches EU sourcing (critmat_assumption_eu_leakage).
DEFAULT_EU_LEAKAGE = 0.0

_RULES = {
    "share": "share of the country's supply withheld, a fraction 0..1 (not %)",
    "months": "duration in months, a finite number 0..600",
    "stage": f"one of {', '.join(STAGES)}",
    "eu_leakage": "a fraction 0..1",
    "spare_capacity": "a fraction 0..1 of the other suppliers' output",
    "country": "an ISO 3166-1 alpha-3 code such as CHN",
    "start": "a date YYYY-MM-DD",
    "materials": "a non-empty list of material ids, names or groups",
    "destinations": "ISO 3166-1 alpha-3 codes or EU",
    "id": "a lowercase slug such as ree-april-2025",
}


class ShockSpec(BaseModel):
    """One supply shock (see the module docstring for the keys and units)."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    id: str = Field(default="custom", pattern=r"^[a-z0-9][a-z0-9\-_.]*$")
    title: str = ""
    materials: tuple[str, ...] = Field(min_length=1)
    country: str
    stage: Stage = "processing"
    share: float = Field(default=1.0, ge=0.0, le=1.0)
    start: dt.date
    months: float = Field(default=12.0, ge=0.0, le=600.0)
    destinations: tuple[str, ...] | None = None
    eu_leakage: float = Field(default=DEFAULT_EU_LEAKAGE, ge=0.0, le=1.0)
    spare_capacity: float = Field(default=DEFAULT_SPARE_CAPACITY, ge=0.0, le=1.0)
    source_ids: tuple[str, ...] = ()
    note: str = ""

    @field_validator("start", mode="before")
    @classmethod
    def _date(cls, v: Any) -> Any:
        if isinstance(v, dt.datetime):
            return v.date()
        if not isinstance(v, (str, dt.date)):
            raise ValueError("not a date")
        return v

    @field_validator("country")
    @classmethod
    def _iso3(cls, v: str) -> str:
        v = str(v).strip().upper()
        if not re.fullmatch(r"[A-Z]{3}", v):
            raise ValueError("not an ISO3 code")
        return v

    @field_validator("destinations")
    @classmethod
    def _dest(cls, v: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if v is None:
            return None
        out = tuple(str(d).strip().upper() for d in v)
        if not out:
            raise ValueError("empty list (omit the key for every destination)")
        bad = [d for d in out if d != EU and not re.fullmatch(r"[A-Z]{3}", d)]
        if bad:
            raise ValueError(f"{excerpt(bad[0])} is not an ISO3 code or EU")
        return out

    @field_validator("materials")
    @classmethod
    def _mats(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        out = tuple(str(m).strip() for m in v)
        if any(not m for m in out):
            raise ValueError("empty material name")
        return out

    @property
    def end(self) -> dt.date:
        """First day after the shock (``start`` + ``months``; fractional months as 30.4375 days each)."""
        return add_months(self.start, self.months)

    def hits(self, destinations_of_interest: Collection[str], eu_members: Collection[str]) -> bool:
        """Does the shock apply to supply going to any of ``destinations_of_interest`` (ISO3 or EU)?"""
        if self.destinations is None:
            return True
        targets = set(self.destinations)
        if EU in targets:
            targets |= set(eu_members)
        want = set(destinations_of_interest)
        if EU in want:
            want |= set(eu_members)
        return bool(targets & want)

    def describe(self) -> str:
        dest = "all destinations" if self.destinations is None else ", ".join(self.destinations)
        return (f"{self.country} withholds {self.share:.0%} of its {self.stage} supply of "
                f"{', '.join(self.materials)} from {self.start} for {self.months:g} months ({dest})")


def add_months(start: dt.date, months: float) -> dt.date:
    """``start`` plus ``months``: whole calendar months (day clipped to the month's end), then the fraction
    as days of an average month (30.4375)."""
    whole = int(months)
    frac = months - whole
    y, m = divmod(start.month - 1 + whole, 12)
    year, month = start.year + y, m + 1
    import calendar

    day = min(start.day, calendar.monthrange(year, month)[1])
    return dt.date(year, month, day) + dt.timedelta(days=round(frac * 30.4375))


def _error(where: str, exc: ValidationError, data: Mapping[str, Any]) -> ScenarioError:
    e = exc.errors()[0]
    loc = [str(p) for p in e["loc"]]
    key = loc[0] if loc else "?"
    if e["type"] == "extra_forbidden":
        allowed = ", ".join(ShockSpec.model_fields)
        return ScenarioError(f"{where}: unknown key '{key}' (allowed: {allowed})")
    if e["type"] == "missing":
        return ScenarioError(f"{where}: missing key '{key}' ({_RULES.get(key, 'required')})")
    value = data.get(key) if isinstance(data, Mapping) else None
    if len(loc) > 1 and isinstance(value, (list, tuple)) and loc[1].isdigit() and int(loc[1]) < len(value):
        value = value[int(loc[1])]
    msg = str(e["msg"]).removeprefix("Value error, ")
    return ScenarioError(f"{where}: key '{key}' = {excerpt(value)}: {msg} (expected {_RULES.get(key, 'a valid value')})")


def shock_from_dict(data: Mapping[str, Any], where: str = "shock") -> ShockSpec:
    """Validate a mapping into a :class:`ShockSpec`; a ScenarioError names ``where``, the key and the value."""
    if not isinstance(data, Mapping):
        raise ScenarioError(f"{where}: a shock must be a mapping of keys to values, got {type(data).__name__}")
    try:
        return ShockSpec.model_validate(dict(data))
    except ValidationError as exc:
        raise _error(where, exc, data) from None


def bundled_shocks_dir() -> Path:
    return bundled_data() / "shocks"


def bundled_shocks() -> list[str]:
    """Names of the bundled example shocks (file stems in ``critmat/data/shocks``)."""
    d = bundled_shocks_dir()
    return sorted(p.stem for p in d.glob("*.yaml")) if d.is_dir() else []


def read_shock(path: str | Path) -> ShockSpec:
    """Read one shock from a YAML file (errors name the file)."""
    p = Path(path)
    from critmat import safeyaml

    if not p.exists():
        raise ScenarioError(f"{p}: no such shock file")
    data = safeyaml.load(p, ScenarioError)
    return shock_from_dict(data, where=str(p))


def load_shock(name_or_path: str | Path) -> ShockSpec:
    """A bundled shock by name (``ree-april-2025``) or a YAML file path."""
    text = str(name_or_path)
    p = Path(text)
    if p.suffix in (".yaml", ".yml") or p.exists():
        return read_shock(p)
    if text in bundled_shocks():
        return read_shock(bundled_shocks_dir() / f"{text}.yaml")
    raise ScenarioError(f"unknown shock '{text}': not a YAML file and not a bundled shock "
                        f"(bundled: {', '.join(bundled_shocks()) or 'none'})")


def resolve_ids(spec: ShockSpec, *, resolve_material: Callable[[str], str | None],
                countries: Collection[str], sources: Collection[str] | None = None,
                where: str | None = None) -> ShockSpec:
    """The spec with material names turned into ids; unknown materials, countries or sources are a
    ScenarioError naming the key and the value. ``resolve_material`` returns an id or None."""
    w = where or f"shock '{spec.id}'"
    mats = []
    for m in spec.materials:
        mid = resolve_material(m)
        if mid is None:
            raise ScenarioError(f"{w}: key 'materials' = {excerpt(m)}: unknown material (see `critmat materials list "
                                "--list all`)")
        if mid not in mats:
            mats.append(mid)
    known = set(countries)
    if spec.country not in known:
        raise ScenarioError(f"{w}: key 'country' = {spec.country!r}: unknown country (not in the countries "
                            "table; use an ISO3 code such as CHN)")
    for d in spec.destinations or ():
        if d != EU and d not in known:
            raise ScenarioError(f"{w}: key 'destinations' = {excerpt(d)}: unknown country")
    if sources is not None:
        for s in spec.source_ids:
            if s not in sources:
                raise ScenarioError(f"{w}: key 'source_ids' = {excerpt(s)}: not in the source registry")
    return spec.model_copy(update={"materials": tuple(mats)})


__all__ = ["DEFAULT_EU_LEAKAGE", "DEFAULT_SPARE_CAPACITY", "EU", "STAGES", "ShockSpec", "add_months",
           "bundled_shocks", "bundled_shocks_dir", "load_shock", "read_shock", "resolve_ids", "shock_from_dict"]
