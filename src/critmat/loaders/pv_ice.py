"""NREL PV_ICE baselines (source ``nrel_pv_ice``): module material mass per m² and module efficiency by year.

Publisher layout (``PV_ICE/baselines``): a header row, a *units* row (first cell ``year``; ``g`` under
``mat_massperm2``, ``%`` under ``mod_eff``), then one row per year (1995-2050).

* ``baseline_material_mass_<material>.csv`` — ``mat_massperm2`` = g of material per m² of module made
  that year (c-Si files; ``_cdte`` suffix or ``cadmium`` / ``tellurium`` for CdTe);
* ``baseline_modules_mass_World.csv`` / ``baseline_modules_mass_US_CdTe.csv`` — ``mod_eff`` (%) among
  others; CdTe efficiencies are 0 before the technology's market entry (those years are dropped).

Conversion (:func:`kg_per_mwp`, :func:`areal_to_kg_per_mwp`): material per Wp = (material per m²) ÷
(efficiency × 1000 W/m², the irradiance at standard test conditions); units through
:mod:`critmat.catalog.units` (numerically kg/MWp = 100 × (g/m²) ÷ (efficiency in %)).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from critmat.catalog import units
from critmat.errors import DataError
from critmat.loaders._tables import read_text_csv, to_number

#: technology → (module-efficiency file, {critmat material id: material file stem})
TECHNOLOGIES: dict[str, tuple[str, dict[str, str]]] = {
    "pv_csi": ("baseline_modules_mass_World.csv",
               {"silicon_metal": "silicon", "silver": "silver", "copper": "copper",
                "aluminium": "aluminium_frames", "glass": "glass"}),
    "pv_cdte": ("baseline_modules_mass_US_CdTe.csv",
                {"cadmium": "cadmium", "tellurium": "tellurium", "copper": "copper_cdte",
                 "aluminium": "aluminium_frames_cdte", "glass": "glass_cdte"}),
}


def read_baseline(path: Path, column: str, unit: str) -> pd.Series:
    """One column of a PV_ICE baseline file as a Series indexed by year; checks the units row."""
    path = Path(path)
    df = read_text_csv(path)
    if "year" not in df.columns or column not in df.columns:
        raise DataError(f"expected PV_ICE columns 'year' and {column!r}", file=str(path), row=1,
                        column=column if "year" in df.columns else "year")
    if df.empty or df["year"].iloc[0].strip() != "year":
        raise DataError("missing the PV_ICE units row (second line must start with 'year')", file=str(path), row=2)
    if df[column].iloc[0].strip() != unit:
        raise DataError(f"unit of {column!r} is {df[column].iloc[0]!r}, expected {unit!r}", file=str(path), row=2,
                        column=column)
    years, vals = [], []
    for i, (y, v) in enumerate(zip(df["year"].iloc[1:], df[column].iloc[1:])):
        line = i + 3
        year = to_number(y, path, line, "year")
        val = to_number(v, path, line, column)
        if val < 0:
            raise DataError(f"negative value {val}", file=str(path), row=line, column=column)
        years.append(int(year))
        vals.append(val)
    s = pd.Series(vals, index=pd.Index(years, name="year"), name=column)
    if s.index.duplicated().any():
        raise DataError(f"year {s.index[s.index.duplicated()][0]} appears twice", file=str(path))
    return s


#: Irradiance at standard test conditions (W/m²): a module's peak watts (Wp) are its output under it.
STC_IRRADIANCE_W_PER_M2 = 1000.0


def areal_to_kg_per_mwp(mass_per_area: Any, area_unit: str, efficiency: Any) -> Any:
    """kg per MWp from material per module area (in ``area_unit``, e.g. ``g/m^2``) and module efficiency
    (fraction): mass per area ÷ (efficiency × STC irradiance)."""
    per_wp = mass_per_area / (efficiency * STC_IRRADIANCE_W_PER_M2)
    return units.convert(per_wp, f"({area_unit}) / (W/m^2)", "kg/MWp")


def kg_per_mwp(g_per_m2: pd.Series, efficiency_pct: pd.Series) -> pd.Series:
    """kg per MWp from g/m² and module efficiency (%); years without a positive efficiency are dropped."""
    eff = efficiency_pct.reindex(g_per_m2.index)
    ok = eff > 0
    return areal_to_kg_per_mwp(g_per_m2[ok], "g/m^2", units.convert(eff[ok], "%", "fraction")).rename("kg_per_mwp")


def read_technology(folder: Path, technology: str) -> pd.DataFrame:
    """Tidy ``year, material_id, g_per_m2, efficiency_pct, kg_per_mwp`` for ``pv_csi`` or ``pv_cdte``."""
    if technology not in TECHNOLOGIES:
        raise DataError(f"PV_ICE technology {technology!r} unknown; known: {sorted(TECHNOLOGIES)}")
    folder = Path(folder)
    eff_file, files = TECHNOLOGIES[technology]
    eff = read_baseline(folder / eff_file, "mod_eff", "%")
    parts = []
    for mid, stem in files.items():
        g = read_baseline(folder / f"baseline_material_mass_{stem}.csv", "mat_massperm2", "g")
        kg = kg_per_mwp(g, eff)
        parts.append(pd.DataFrame({"year": kg.index, "material_id": mid, "g_per_m2": g.reindex(kg.index).values,
                                   "efficiency_pct": eff.reindex(kg.index).values, "kg_per_mwp": kg.values}))
    return pd.concat(parts, ignore_index=True)


def vintage_table(frame: pd.DataFrame, bins: list[tuple[int, int]], spread: float = 0.2) -> pd.DataFrame:
    """Collapse yearly kg/MWp into vintage bins: ``material_id, year_from, year_to, low, central, high``.

    central = mean over the bin's years; low = min × (1 - spread); high = max × (1 + spread) — the
    within-bin trend plus a ``spread`` for the spread of real modules around PV_ICE's world average.
    Years with zero content are ignored; bins without data are skipped.
    """
    if not 0 <= spread < 1:
        raise DataError(f"spread {spread} must be in [0, 1)")
    rows = []
    for mid, sub in frame.groupby("material_id", sort=True):
        for y0, y1 in bins:
            vals = sub.loc[(sub["year"] >= y0) & (sub["year"] <= y1), "kg_per_mwp"].to_numpy()
            vals = vals[vals > 0]  # years before a component was used (e.g. CdTe frames) carry 0
            if vals.size == 0:
                continue
            rows.append((mid, y0, y1, float(vals.min()) * (1 - spread), float(np.mean(vals)),
                         float(vals.max()) * (1 + spread)))
    return pd.DataFrame(rows, columns=["material_id", "year_from", "year_to", "low", "central", "high"])
