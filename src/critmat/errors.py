"""One exception family for critmat.

Every message names *what* is wrong and *where* (file, row, column, value) and the rule broken,
so a user can fix the input without reading code.
"""

from __future__ import annotations


class CritmatError(Exception):
    """Base class of every error critmat raises on purpose."""


class DataError(CritmatError):
    """A data file or table breaks its schema or a rule (missing column, bad type, share > 1, ...)."""

    def __init__(self, message: str, *, file: str | None = None, row: int | None = None,
                 column: str | None = None) -> None:
        where = []
        if file:
            where.append(str(file))
        if row is not None:
            where.append(f"line {row}")
        if column:
            where.append(f"column '{column}'")
        self.file, self.row, self.column = file, row, column
        super().__init__(f"{': '.join([', '.join(where), message]) if where else message}")


class UnknownIdError(CritmatError, KeyError):
    """An id (material, country, region, scenario, stream ...) that critmat does not know."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class ScenarioError(CritmatError):
    """A scenario or shock specification is invalid (unknown key, value out of range ...)."""


class ModelError(CritmatError, ValueError):
    """A model got inputs it cannot work with (negative inflow, sd <= 0, years out of order ...)."""


class RegionError(CritmatError):
    """A region pack or asset registry is invalid."""


class DataWarning(UserWarning):
    """A publisher file has a flaw critmat can repair unambiguously (the repair is named in the message)."""
