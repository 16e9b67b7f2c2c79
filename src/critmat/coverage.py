"""Coverage of the EU lists by a region's holdings: glue between the region pack, the stock model and
:func:`critmat.models.coverage.crm_coverage` (the numbers are computed in the models).

``crm_coverage(region)`` runs the stock (central values and a Monte Carlo band), sums it per material over
all asset classes, adds the EU groups (light/heavy REE, PGM, REE for magnets) and explains every listed
material without tonnage from the curated ``material_coverage_notes`` of the intensities package.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from critmat.models import coverage as model
from critmat.models import inventory

COVERAGE_GROUPS = ("rare_earth_elements_light", "rare_earth_elements_heavy", "platinum_group_metals",
                   "rare_earth_elements_for_magnets")


@dataclass
class CoverageResult:
    """The coverage table with its title, units and sources (a Result-like object the service layer wraps)."""

    frame: pd.DataFrame
    region: str
    params: dict = field(default_factory=dict)

    @property
    def title(self) -> str:
        held = self.frame[self.frame["crm_2023"] & (self.frame["status"] == "held")]
        return f"EU CRM 2023 / SRM 2024 held by the assets of {self.region}: {len(held)} of 34 CRMs with tonnage"

    @property
    def units(self) -> dict[str, str]:
        return {"mass_t": "t", "low_t": "t", "high_t": "t"}

    @property
    def sources(self) -> list[str]:
        return sorted({s for s in self.frame["source_id"].dropna()} | {"ec_crm_2023", "eu_2024_1252"})

    @property
    def doc(self) -> dict:
        return {"title": self.title, "region": self.region, "params": self.params, "units": self.units,
                "sources": self.sources, "rows": self.frame.to_dict(orient="records")}


def coverage_notes(source=None) -> pd.DataFrame:
    """Curated explanations per listed material (intensities package, ``material_coverage_notes``), from
    ``source`` (the warehouse) or the bundled packages."""
    if source is not None:
        n = source.table("material_coverage_notes") if source.has("material_coverage_notes") else None
    else:
        from critmat.catalog.package import bundled_frames

        n = bundled_frames("reference", "intensities").get("material_coverage_notes")
    if n is None:
        return pd.DataFrame(columns=["material_id", "status", "reason", "searched", "source_id"])
    return n.rename(columns={"coverage_status": "status"})


def crm_coverage(region: str | Path = "nh-fl", *, n_draws: int = 200, seed: int = 0,
                 loaded=None, source=None) -> CoverageResult:
    """Tonnes held per EU-listed material in ``region`` (stock: operational + under construction), or why none.
    ``source``: the warehouse to read everything from (None: the package files)."""
    from critmat import stock

    inputs = stock.load_inputs(region, groups=COVERAGE_GROUPS, loaded=loaded, source=source)
    res = stock.regional_stock(inputs, n_draws=n_draws, seed=seed)
    w = inventory.wide(res)
    reg = w[w["area_type"] == "region"]
    totals = reg[reg["asset_class"] == inventory.ALL_CLASSES][["material", "mass_t", "low_t", "high_t"]]
    by_class = reg[reg["asset_class"] != inventory.ALL_CLASSES][["asset_class", "material", "mass_t"]]
    if source is not None:
        mats, lists = source.table("materials"), source.table("material_lists")
    else:
        from critmat.regions import reference_frames

        ref = reference_frames()
        mats, lists = ref["materials"], ref["material_lists"]
    frame = model.crm_coverage(totals, by_class, lists, dict(zip(mats["material_id"], mats["name"])),
                               coverage_notes(source))
    return CoverageResult(frame=frame, region=inputs.region_id, params={"draws": n_draws, "seed": seed,
                                                                        "statuses": list(inventory.STOCK_STATUSES)})
