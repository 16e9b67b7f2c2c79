"""critmat's one unit registry (pint), built on first use so that importing critmat stays cheap.

Every unit string of the field dictionary, of a data file's header or of a conversion goes through
:func:`parse`; numbers change unit only through :func:`convert` / :func:`factor`, never through a
hand-written factor. On top of pint's default definitions critmat defines:

* ``fraction`` (alias ``share``): one dimensionless unit, 1; ``percent`` / ``%`` is 0.01 of it;
* ``watt_peak`` (``Wp``, so ``MWp``): the nameplate (peak, STC) power of PV modules. critmat books PV
  capacity in MWp under ``capacity_mw``, so ``Wp`` is defined equal to ``W``;
* ``piece`` (aliases ``pcs``, ``unit``, ``units``): one counted item (a car, a transformer), dimensionless;
* ``kilotonne`` (``kt``): 1000 t (pint's default ``kt`` is the knot, a speed);
* ``basis_unit`` (``basis``): the technology's basis unit of an intensity (``technologies.basis``: MW, km or
  piece) as a dimension of its own, so ``kg/basis`` converts to ``t/basis`` but not to ``t/MW`` until
  :func:`basis_unit` names the basis.

``t`` is the metric tonne (1000 kg), ``yr`` / ``year`` the Julian year. ``year`` also labels calendar-year
columns (``commissioning_year``): a point in time, which the registry cannot tell from a duration.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any, TypeVar

from critmat.errors import DataError

if TYPE_CHECKING:  # pragma: no cover
    import pint

#: Definitions added to pint's defaults (pint definition syntax).
DEFINITIONS = (
    "fraction = 1 = share",
    "watt_peak = watt = Wp",
    "piece = count = pcs = unit = units",
    "basis_unit = [basis] = basis",
    "kilotonne = 1e3 * tonne = kt",  # pint's default kt is the knot; in material tables kt is 1000 t
)
#: ``technologies.basis`` value → the unit an asset's quantity is counted in.
BASIS_UNITS = {"mw": "MW", "km": "km", "unit": "piece"}
#: The units critmat's tables use (each must parse; a test checks).
CRITMAT_UNITS = ("t", "kg", "g", "MW", "MWp", "km", "piece", "t/yr", "kg/MW", "t/MW", "kg/km", "kg/piece",
                 "g/m^2", "%", "fraction", "share", "kg/basis", "kWh", "kg/kWh", "year", "degree")

V = TypeVar("V")


@lru_cache(maxsize=1)
def registry() -> "pint.UnitRegistry":
    """The registry (pint defaults + :data:`DEFINITIONS`); imported and built on the first call."""
    import pint

    reg = pint.UnitRegistry(cache_folder=None)
    for line in DEFINITIONS:
        reg.define(line)
    return reg


@lru_cache(maxsize=256)
def parse(unit: str) -> "pint.Unit":
    """The pint unit of ``unit`` (``"t/yr"``, ``"g/m²"``, ``"share"``); raises :class:`DataError` when unknown."""
    if not isinstance(unit, str) or not unit.strip():
        raise DataError(f"not a unit: {unit!r}")
    text = unit.strip().replace("²", "^2").replace("³", "^3").replace("µ", "u")
    import pint

    try:
        return registry().Unit(text)
    except (pint.errors.UndefinedUnitError, pint.errors.DefinitionSyntaxError, AttributeError, TypeError,
            ValueError) as exc:
        raise DataError(f"unknown unit {unit!r} ({exc})") from None


def same(a: str, b: str) -> bool:
    """True when ``a`` and ``b`` name the same unit (``share`` and ``fraction`` do)."""
    return factor(a, b) == 1.0


@lru_cache(maxsize=256)
def factor(from_unit: str, to_unit: str) -> float:
    """The number a value in ``from_unit`` is multiplied by to express it in ``to_unit``.

    Raises :class:`DataError` when either is unknown or their dimensions differ (``kg`` → ``MW``). Between
    two of :data:`CRITMAT_UNITS` the factor is pint's, written down by :func:`write_factors`
    (``critmat/catalog/unit_factors.py``; a test recomputes them with pint), so that a process converting
    kg to t does not build the registry (0.3-0.6 s).
    """
    from critmat.catalog.unit_factors import FACTORS

    known = FACTORS.get((from_unit, to_unit))
    if known is not None:
        return known
    return _pint_factor(from_unit, to_unit)


def _pint_factor(from_unit: str, to_unit: str) -> float:
    import pint

    src, dst = parse(from_unit), parse(to_unit)
    reg = registry()
    try:
        f = float(reg.Quantity(1.0, src).to(dst).magnitude)
        if float(reg.Quantity(0.0, src).to(dst).magnitude) != 0.0:  # offset units (°C → K)
            raise DataError(f"{from_unit!r} → {to_unit!r} has an offset, not a factor")
        return f
    except pint.errors.DimensionalityError:
        raise DataError(f"cannot convert {from_unit!r} ({src.dimensionality}) to {to_unit!r} "
                        f"({dst.dimensionality})") from None


def convert(values: V, from_unit: str, to_unit: str) -> V:
    """``values`` (a number, NumPy array or pandas Series/DataFrame) expressed in ``to_unit`` instead of
    ``from_unit``; the container type and index are kept."""
    f = factor(from_unit, to_unit)
    if f == 1.0:
        return values
    inverse = factor(to_unit, from_unit)
    if inverse > 1.0 and inverse == round(inverse):  # kg → t, % → fraction: divide by 1000 / 100, which
        return values / inverse  # type: ignore[operator,return-value]  # rounds once (× 0.001 rounds twice)
    return values * f  # type: ignore[operator,return-value]


def basis_unit(basis: str) -> str:
    """The unit of one ``technologies.basis`` (``mw`` → ``MW``, ``km`` → ``km``, ``unit`` → ``piece``)."""
    try:
        return BASIS_UNITS[basis]
    except KeyError:
        raise DataError(f"unknown technology basis {basis!r}; known: {sorted(BASIS_UNITS)}") from None


def dimensionless(unit: str) -> bool:
    """True for shares, fractions, percentages, counts."""
    return bool(parse(unit).dimensionless)


def describe(unit: str) -> dict[str, Any]:
    """``{unit, dimensionality}`` of a unit string, for metadata."""
    return {"unit": unit, "dimensionality": str(parse(unit).dimensionality)}


def pint_factors() -> dict[tuple[str, str], float]:
    """pint's factor between every ordered pair of :data:`CRITMAT_UNITS` of the same dimension."""
    out = {}
    for a in CRITMAT_UNITS:
        for b in CRITMAT_UNITS:
            if parse(a).dimensionality == parse(b).dimensionality:
                out[(a, b)] = _pint_factor(a, b)
    return out


def write_factors(path: str | None = None) -> str:
    """The source of ``critmat/catalog/unit_factors.py`` (written to ``path`` when given)::

        python -m critmat.catalog.units src/critmat/catalog/unit_factors.py
    """
    rows = "".join(f"    ({a!r}, {b!r}): {f!r},\n" for (a, b), f in pint_factors().items())
    text = ('"""Factors between the units critmat\'s tables use, as pint computes them (generated by\n'
            "``python -m critmat.catalog.units src/critmat/catalog/unit_factors.py``; do not edit: a test\n"
            'recomputes them). Read by :func:`critmat.catalog.units.factor`."""\n\n'
            f"FACTORS: dict[tuple[str, str], float] = {{\n{rows}}}\n")
    if path:
        from pathlib import Path

        Path(path).write_text(text, encoding="utf-8")
    return text


if __name__ == "__main__":
    import sys

    text = write_factors(sys.argv[1] if len(sys.argv) > 1 else None)
    if len(sys.argv) == 1:
        print(text, end="")
