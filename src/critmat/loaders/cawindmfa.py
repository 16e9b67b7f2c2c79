"""CAwindMFA wind-turbine material data (Jiang et al. 2025, source ``jiang_2025_cawindmfa``).

The sheets ``on_material`` / ``off_material`` of ``input_data/Wind_data.xls`` (exported to CSV) are a
spreadsheet block, not a table:

* row 1: component headers (``Nacelle (Generator)`` spanning the generator columns, ``Tower``, ``Rotor``,
  ``Foundation``), row 2: sub-headers (generator types ``DFIG/SCIG, EESGDD, PMSGDD, PMSGGB, PDD, SDD``,
  then tower types ...), row 3: a ``%`` marker;
* then one row per material (``Cast Iron, Steel, Cu, Al, EE, Concrete, Composites, Others``) with mass
  fractions (0-1) of each component;
* a row whose second cell is ``kg/MW``, then ``Nd`` and ``Dy`` rows with generator magnet content in kg/MW.
  Cells of these two rows under the tower/rotor columns are spreadsheet spill-over and are ignored.

:func:`read_material_sheet` returns ``(fractions, magnets)``: ``generator, material_id, mass_fraction``
for the nacelle by generator type, and ``generator, material_id, kg_per_mw`` for the magnet metals.
Generator types are mapped to critmat technology ids where one exists (:data:`GENERATORS`).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from critmat.errors import DataError
from critmat.loaders._tables import read_text_csv, to_number

#: CAwindMFA generator type → critmat technology id (types without a critmat id keep a ``cawind_`` id).
GENERATORS = {"DFIG/SCIG": "wind_gb_dfig", "EESGDD": "wind_dd_eesg", "PMSGDD": "wind_dd_pmsg",
              "PMSGGB": "wind_gb_pmsg", "PDD": "cawind_pdd", "SDD": "cawind_sdd"}
MATERIALS = {"Cast Iron": "cast_iron", "Steel": "steel", "Cu": "copper", "Al": "aluminium",
             "EE": "electrical_steel", "Concrete": "concrete", "Composites": "composites", "Others": "other",
             "Nd": "neodymium", "Dy": "dysprosium"}


def read_material_sheet(path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Parse one CAwindMFA material sheet; see the module docstring for the layout."""
    path = Path(path)
    grid = read_text_csv(path, header=False).map(lambda s: str(s).strip())
    if grid.shape[0] < 4 or not grid.iat[0, 0].lower().startswith("nacelle"):
        raise DataError("expected the CAwindMFA layout: first cell 'Nacelle (Generator)'", file=str(path), row=1)
    sub = list(grid.iloc[1])
    gen_cols = [j for j, name in enumerate(sub) if name in GENERATORS]
    if not gen_cols:
        raise DataError(f"no generator types found in row 2 (expected {sorted(GENERATORS)})", file=str(path), row=2)
    # the nacelle block ends where the next component header starts in row 1
    header = list(grid.iloc[0])
    end = next((j for j in range(gen_cols[0] + 1, len(header)) if header[j]), len(header))
    gen_cols = [j for j in gen_cols if j < end]
    fractions, magnets = [], []
    in_kg = False
    for i in range(2, grid.shape[0]):
        label, line = grid.iat[i, 0], i + 1
        if grid.iat[i, 1] == "kg/MW" or label == "kg/MW":
            in_kg = True
            continue
        if not label or label == "%":
            continue
        if label not in MATERIALS:
            raise DataError(f"unknown material row {label!r}; known: {sorted(MATERIALS)}", file=str(path),
                            row=line, column="A")
        for j in gen_cols:
            val = to_number(grid.iat[i, j], path, line, sub[j])
            if val < 0:
                raise DataError(f"negative value {val}", file=str(path), row=line, column=sub[j])
            if in_kg:
                magnets.append((GENERATORS[sub[j]], MATERIALS[label], val))
            else:
                if val > 1:
                    raise DataError(f"mass fraction {val} above 1", file=str(path), row=line, column=sub[j])
                fractions.append((GENERATORS[sub[j]], MATERIALS[label], val))
    if not magnets:
        raise DataError("no 'kg/MW' block with Nd/Dy rows found", file=str(path))
    frac = pd.DataFrame(fractions, columns=["generator", "material_id", "mass_fraction"])
    sums = frac.groupby("generator")["mass_fraction"].sum()
    bad = sums[(sums - 1).abs() > 0.02]
    if len(bad):
        raise DataError(f"nacelle mass fractions of {bad.index[0]} sum to {bad.iloc[0]:.3f}, not 1",
                        file=str(path))
    return frac, pd.DataFrame(magnets, columns=["generator", "material_id", "kg_per_mw"])
