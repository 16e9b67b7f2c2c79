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

    Raises :class:`DataError` when either is unknown or their dimensions differ (``kg`` → ``MW``).
    """
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
