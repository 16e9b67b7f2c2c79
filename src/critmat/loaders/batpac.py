"""Battery mineral intensities from Argonne BatPaC 5.1 (via Busch et al., source ``busch_batpac_2024``).

Publisher layout (sheet ``BatPac`` of ``Mineral_Intensity.xlsx`` exported to CSV): ``mineral, chemistry,
kg_per_kwh`` — kg of material per kWh of pack capacity for 21 chemistries (``NMC 622``, ``LFP``, ``NCA``,
solid-state ``SS ...``, sodium-ion ``SIB`` ...). The pseudo-mineral ``Battery_MWh`` (always 1) is dropped.

:func:`read_mineral_intensity` → ``chemistry, mineral, material_id, kg_per_kwh``; ``material_id`` is the
critmat id, or ``graphite`` / ``stainless_steel`` where critmat splits or does not track the material.
:func:`pack_content` multiplies by a pack size (kWh) → kg per pack.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from critmat.errors import DataError
from critmat.loaders._tables import read_text_csv, to_number

MINERALS = {"Lithium": "lithium", "Nickel": "nickel", "Cobalt": "cobalt", "Manganese": "manganese",
            "Graphite": "graphite", "Aluminum": "aluminium", "Copper": "copper", "Steel": "steel",
            "Stainless steel": "stainless_steel", "Phosphorus": "phosphorus"}
IGNORED = {"Battery_MWh"}
COLUMNS = ["mineral", "chemistry", "kg_per_kwh"]


def read_mineral_intensity(path: Path) -> pd.DataFrame:
    """Read the BatPaC mineral-intensity CSV; unknown minerals or negative values raise DataError."""
    path = Path(path)
    df = read_text_csv(path)
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise DataError(f"missing column(s) {missing}; expected {COLUMNS}", file=str(path), row=1,
                        column=missing[0])
    rows = []
    for i, rec in enumerate(df.to_dict(orient="records")):
        line = i + 2
        mineral = rec["mineral"].strip()
        if mineral in IGNORED:
            continue
        if mineral not in MINERALS:
            raise DataError(f"unknown mineral {mineral!r}; known: {sorted(MINERALS)}", file=str(path), row=line,
                            column="mineral")
        val = to_number(rec["kg_per_kwh"], path, line, "kg_per_kwh")
        if val < 0 or val > 50:
            raise DataError(f"kg_per_kwh {val} outside 0-50 (not a plausible battery content)", file=str(path),
                            row=line, column="kg_per_kwh")
        rows.append((rec["chemistry"].strip(), mineral, MINERALS[mineral], val))
    out = pd.DataFrame(rows, columns=["chemistry", "mineral", "material_id", "kg_per_kwh"])
    dup = out.duplicated(["chemistry", "material_id"])
    if dup.any():
        r = out[dup].iloc[0]
        raise DataError(f"duplicate row for chemistry {r['chemistry']!r}, mineral {r['mineral']!r}", file=str(path))
    return out


def pack_content(intensity: pd.DataFrame, chemistry: str, pack_kwh: float) -> pd.Series:
    """kg of each material in one pack of ``pack_kwh`` kWh of ``chemistry`` (index: material_id)."""
    sub = intensity[intensity["chemistry"] == chemistry]
    if sub.empty:
        raise DataError(f"unknown battery chemistry {chemistry!r}; known: {sorted(intensity['chemistry'].unique())}")
    if pack_kwh < 0:
        raise DataError(f"pack size {pack_kwh} kWh is negative")
    return sub.set_index("material_id")["kg_per_kwh"] * float(pack_kwh)
