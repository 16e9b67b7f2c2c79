"""Which listed raw materials (EU CRM 2023, SRM 2024) a region's assets hold, and why the others show none.

Pure function on frames (no I/O). Conventions: tonnes are the stock model's region totals over all asset
classes (``mass_t`` central, ``low_t``/``high_t`` the Monte Carlo band); a listed material is *held* when
its total is > 0. Some listed materials are accounted through a proxy material that states the form the
assets hold (``bauxite`` as aluminium metal); EU groups (light/heavy REE, PGM, REE for magnets) sum their
members. A material with no tonnage gets the status and reason of the curated coverage notes
(``not_contained``: the assets do not hold it, it is used up in processing; ``no_data``: the assets may hold
it but no composition data were found, with what was searched); a material with neither is ``unexplained``
(a gap the data must close).
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

#: listed material → material the stock counts it as (and the wording of that form)
PROXIES: dict[str, tuple[str, str]] = {"bauxite": ("aluminium", "as aluminium metal (bauxite → alumina → aluminium)")}
COLUMNS = ["material_id", "name", "crm_2023", "srm_2024", "counted_as", "status", "mass_t", "low_t", "high_t",
           "asset_classes", "reason", "searched", "source_id"]


def crm_coverage(totals: pd.DataFrame, by_class: pd.DataFrame, lists: pd.DataFrame, names: Mapping[str, str],
                 notes: pd.DataFrame, proxies: Mapping[str, tuple[str, str]] = PROXIES) -> pd.DataFrame:
    """One row per material of the CRM 2023 and SRM 2024 lists.

    ``totals``: material, mass_t, low_t, high_t (region, all classes); ``by_class``: asset_class, material,
    mass_t; ``lists``: list_id, material_id (``crm_2023``, ``srm_2024``); ``names``: material_id → name;
    ``notes``: material_id, status, reason, searched, source_id (curated explanations).
    """
    tot = totals.set_index("material")
    crm = set(lists.loc[lists["list_id"] == "crm_2023", "material_id"])
    srm = set(lists.loc[lists["list_id"] == "srm_2024", "material_id"])
    note = notes.set_index("material_id") if len(notes) else pd.DataFrame(columns=["status", "reason", "searched", "source_id"])
    rows = []
    for mid in sorted(crm | srm):
        counted, form = proxies.get(mid, (mid, ""))
        mass = float(tot.at[counted, "mass_t"]) if counted in tot.index else 0.0
        held = mass > 0
        classes = by_class[(by_class["material"] == counted) & (by_class["mass_t"] > 0)].sort_values("mass_t", ascending=False)
        share = ", ".join(f"{c} {m / mass:.0%}" for c, m in zip(classes["asset_class"], classes["mass_t"])) if held else ""
        n = note.loc[mid] if mid in note.index else None
        status = "held" if held else (n["status"] if n is not None else "unexplained")
        reason = (n["reason"] if n is not None else "") if not held or n is not None else ""
        if held and form:
            reason = f"counted {form}" + (f"; {reason}" if reason else "")
        none = 0.0 if status == "not_contained" else float("nan")
        rows.append({"material_id": mid, "name": names.get(mid, mid), "crm_2023": mid in crm, "srm_2024": mid in srm,
                     "counted_as": counted, "status": status,
                     # not held: 0 t when the assets do not contain it, unknown (NaN) when data are missing
                     "mass_t": mass if held else none,
                     "low_t": float(tot.at[counted, "low_t"]) if held else none,
                     "high_t": float(tot.at[counted, "high_t"]) if held else none,
                     "asset_classes": share, "reason": reason or "",
                     "searched": (n["searched"] if n is not None and pd.notna(n["searched"]) else ""),
                     "source_id": (n["source_id"] if n is not None else None)})
    out = pd.DataFrame(rows, columns=COLUMNS)
    order = {"held": 0, "no_data": 1, "not_contained": 2, "unexplained": 3}
    return out.sort_values(["status", "mass_t"], key=lambda s: s.map(order) if s.name == "status" else -s,
                           kind="stable").reset_index(drop=True)
