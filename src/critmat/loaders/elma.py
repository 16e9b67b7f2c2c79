"""ELMA model inputs (Deetman et al. 2021, source ``deetman_2021_elma``).

The ELMA repository publishes its inputs as wide CSV tables: a ``year`` column, a second column whose
*header is the unit* (``g/MW``, ``kg/km``, ``kg/unit``, ``wt%``) and whose cells name the component
(``Wind onshore``, ``MV underground``, ``Hv Transformer``, ``NMC`` ...), then one column per material
(``Steel, Aluminium, Concrete, Plastics, Glass, Cu, Nd, Co, Pb``). Storage densities and lifetimes use a
third layout: component in the first column, years as the other column headers.

:func:`read_components` turns the first layout into a tidy frame ``year, component, material_id, value,
unit``; values are converted to kg (``g/MW`` → ``kg/MW``), weight fractions stay fractions (0-1).
:func:`read_storage_density` reads ``elma_storage_density_kg_per_kwh.csv`` into ``component, year,
kg_per_kwh``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from critmat.catalog import units
from critmat.errors import DataError
from critmat.loaders._tables import read_text_csv, to_number

#: ELMA material column → critmat material id.
MATERIALS = {"Steel": "steel", "Aluminium": "aluminium", "Concrete": "concrete", "Plastics": "plastics",
             "Glass": "glass", "Cu": "copper", "Nd": "neodymium", "Co": "cobalt", "Pb": "lead"}
#: unit header of the component column → (unit the cells are in, output unit); converted with
#: :mod:`critmat.catalog.units`. ELMA's ``wt%`` tables hold fractions (0-1), not percentages.
UNITS = {"g/MW": ("g/MW", "kg/MW"), "kg/km": ("kg/km", "kg/km"), "kg/unit": ("kg/unit", "kg/unit"),
         "wt%": ("fraction", "fraction")}


def read_components(path: Path) -> pd.DataFrame:
    """Read an ELMA component table (generation, grid lines, grid additions, storage materials).

    Returns ``year, component, material_id, value, unit``; placeholder rows (``<EMPTY>``) are dropped.
    """
    path = Path(path)
    df = read_text_csv(path)
    cols = [c.strip() for c in df.columns]
    df.columns = cols
    if len(cols) < 3 or cols[0] != "year":
        raise DataError(f"expected the ELMA layout 'year,<unit>,<materials...>', got header {cols[:3]}",
                        file=str(path), row=1)
    unit_col = cols[1]
    if unit_col not in UNITS:
        raise DataError(f"unknown unit column {unit_col!r}; expected one of {sorted(UNITS)}", file=str(path),
                        row=1, column=unit_col)
    unknown = [c for c in cols[2:] if c not in MATERIALS]
    if unknown:
        raise DataError(f"unknown material column(s) {unknown}; known: {sorted(MATERIALS)}", file=str(path),
                        row=1, column=unknown[0])
    cell_unit, unit = UNITS[unit_col]
    factor = units.factor(cell_unit, unit)
    rows = []
    for i, rec in enumerate(df.to_dict(orient="records")):
        line = i + 2
        comp = rec[unit_col].strip()
        if not comp or comp == "<EMPTY>":
            continue
        year = int(to_number(rec["year"], path, line, "year"))
        for col in cols[2:]:
            val = to_number(rec[col], path, line, col) * factor
            if val < 0:
                raise DataError(f"negative content {val}", file=str(path), row=line, column=col)
            rows.append((year, comp, MATERIALS[col], val, unit))
    return pd.DataFrame(rows, columns=["year", "component", "material_id", "value", "unit"])


def read_storage_density(path: Path) -> pd.DataFrame:
    """Read ELMA storage densities (``kg/kWh`` header, then years) → ``component, year, kg_per_kwh``."""
    path = Path(path)
    df = read_text_csv(path)
    cols = [c.strip() for c in df.columns]
    if not cols or cols[0] != "kg/kWh":
        raise DataError(f"expected first header 'kg/kWh', got {cols[:1]}", file=str(path), row=1)
    rows = []
    for i, rec in enumerate(df.itertuples(index=False, name=None)):
        comp = str(rec[0]).strip()
        for col, val in zip(cols[1:], rec[1:]):
            year = int(to_number(col, path, 1, col))
            rows.append((comp, year, to_number(val, path, i + 2, col)))
    return pd.DataFrame(rows, columns=["component", "year", "kg_per_kwh"])


def value(frame: pd.DataFrame, component: str, material_id: str, year: int | None = None) -> float:
    """One value of a :func:`read_components` frame (first year when ``year`` is None)."""
    sub = frame[(frame["component"] == component) & (frame["material_id"] == material_id)]
    if year is not None:
        sub = sub[sub["year"] == year]
    if sub.empty:
        raise DataError(f"ELMA table has no value for component {component!r}, material {material_id!r}"
                        + (f", year {year}" if year is not None else ""))
    return float(sub.sort_values("year")["value"].iloc[0])
