"""Field dictionary: one definition (type, unit, description, constraints) per column name.

Entries live in ``critmat/data/fields/*.yaml`` (one file per domain, merged; a name defined twice is an
error). Units live in the column name too (``mass_t``, ``capacity_mw``, ``share``), the dictionary
states them explicitly. Frictionless schemas and load-time checks are generated from here.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from critmat.errors import DataError, UnknownIdError
from critmat.paths import bundled_data

FieldType = Literal["string", "number", "integer", "boolean", "date", "year"]


class Constraints(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    minimum: float | None = None
    maximum: float | None = None
    enum: list[Any] | None = None
    pattern: str | None = None


class Field(BaseModel):
    """A column: name, type, unit (``None`` for ids and text) and description."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    type: FieldType
    unit: str | None = None
    description: str
    constraints: Constraints = Constraints()

    def frictionless(self, required: bool = False) -> dict[str, Any]:
        """The Frictionless Table Schema field descriptor."""
        desc: dict[str, Any] = {"name": self.name, "type": self.type, "description": self.description}
        if self.unit:
            desc["unit"] = self.unit
        cons = {k: v for k, v in self.constraints.model_dump().items() if v is not None}
        if required:
            cons["required"] = True
        if cons:
            desc["constraints"] = cons
        return desc


def read_fields(paths: list[Path]) -> dict[str, Field]:
    out: dict[str, Field] = {}
    for path in paths:
        from critmat import safeyaml

        entries = safeyaml.load(path, DataError) or {}
        if not isinstance(entries, dict):
            raise DataError("a field dictionary must hold a mapping of field names", file=str(path))
        for name, spec in entries.items():
            if name in out:
                raise DataError(f"field '{name}' defined twice", file=str(path))
            try:
                out[name] = Field.model_validate({"name": name, **spec})
            except ValidationError as exc:
                first = exc.errors()[0]
                raise DataError(f"field '{name}': {'.'.join(map(str, first['loc']))}: {first['msg']}",
                                file=str(path)) from exc
    return out


@lru_cache(maxsize=1)
def field_dictionary() -> dict[str, Field]:
    """All bundled field definitions by name."""
    return read_fields(sorted((bundled_data() / "fields").glob("*.yaml")))


def get_field(name: str) -> Field:
    try:
        return field_dictionary()[name]
    except KeyError:
        raise UnknownIdError(f"field '{name}' is not in the field dictionary (critmat/data/fields)") from None
