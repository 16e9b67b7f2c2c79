"""Coverage of the EU lists by a region's holdings: glue between the stock (stored or run), the region pack
and :func:`critmat.models.coverage.crm_coverage` (the numbers are computed in the models).

``crm_coverage(region)`` sums the stock (central values and the Monte Carlo band) per material over all asset
classes, adds the EU groups (light/heavy REE, PGM, REE for magnets) and explains every listed material
without tonnage from the curated ``material_coverage_notes`` of the intensities package.

Given a stock run (``stock``: the long frame of :func:`critmat.services.stock.run`, e.g. the build's stored
1,000-draw run), the table uses its rows, so its tonnes and bands are the ones ``critmat stock`` shows; a group
that run does not sum (``rare_earth_elements_for_magnets``) is computed by :func:`group_rows` from the same
draws, i.e. exactly the rows a run with that group would have given.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from critmat.models import coverage as model
from critmat.models import inventory

if TYPE_CHECKING:
    from critmat.stock import StockInputs

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


def group_rows(inputs: StockInputs, groups: Mapping[str, Sequence[str]], *, n_draws: int = 1000,
               seed: int = 0) -> pd.DataFrame:
    """Region-level stock rows (per asset class and ``all``) of the material ``groups``, in the long layout of
    :func:`critmat.models.inventory.stock`.

    The draws are taken per intensity row from ``seed`` whatever groups are summed, so these rows equal the
    group's rows of ``critmat.stock.regional_stock(inputs, n_draws=n_draws, seed=seed)`` with the group added
    to ``inputs.groups``: only the region's cells of the groups are drawn and sorted, not every area's."""
    empty = pd.DataFrame(columns=inventory.OUTPUT_COLUMNS)
    if not groups:
        return empty
    sm = inventory.select_matrix(inputs.assets, inputs.technologies, inputs.intensities, groups=dict(groups),
                                 n_draws=n_draws)
    if sm is None:
        return empty
    cells = sm.cells
    keep = np.flatnonzero(((cells["area_type"] == "region") & cells["material"].isin(list(groups))).to_numpy())
    if not len(keep):
        return empty
    sub = inventory.StockMatrix(A=sm.A[:, keep], cells=cells.iloc[keep].reset_index(drop=True))
    central, low_t, median_t, high_t = inventory.stock_values(sub, inputs.intensities, n_draws=n_draws, seed=seed)
    index = sub.cells[["region_id", "area_type", "area", "asset_class", "material"]].astype(object)
    out = [index.assign(variable=var, unit="t", value=vals)
           for var, vals in (("mass_t", central), ("low_t", low_t), ("median_t", median_t), ("high_t", high_t))
           if vals is not None]
    return pd.concat(out, ignore_index=True).rename(columns={"region_id": "region"})[inventory.OUTPUT_COLUMNS]


def crm_coverage(region: str | Path = "nh-fl", *, n_draws: int = 1000, seed: int = 0, loaded=None, source=None,
                 stock: pd.DataFrame | None = None, inputs: StockInputs | None = None) -> CoverageResult:
    """Tonnes held per EU-listed material in ``region`` (stock: operational + under construction), or why none.

    ``stock``: a stock run of the region with ``n_draws`` and ``seed`` (long frame) to read the tonnes from;
    groups of :data:`COVERAGE_GROUPS` it lacks come from :func:`group_rows` on ``inputs`` (loaded when None).
    Without ``stock`` the stock model runs here. ``source``: the warehouse to read everything from (None: the
    package files)."""
    from critmat import stock as glue

    if stock is None:
        inputs = glue.load_inputs(region, groups=COVERAGE_GROUPS, loaded=loaded, source=source)
        res = glue.regional_stock(inputs, n_draws=n_draws, seed=seed)
        region_id = inputs.region_id
    else:
        res = stock[stock["area_type"] == "region"]
        missing = [g for g in COVERAGE_GROUPS if g not in set(res["material"])]
        if missing:
            if inputs is None:
                inputs = glue.load_inputs(region, loaded=loaded, source=source)
            if source is not None:
                from critmat.warehouse import access

                members = access.material_groups(source, missing)
            else:
                members = glue.material_groups(missing)
            res = pd.concat([res, group_rows(inputs, members, n_draws=n_draws, seed=seed)], ignore_index=True)
        region_id = str(res["region"].iloc[0]) if len(res) else str(region)
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
    return CoverageResult(frame=frame, region=region_id, params={"draws": n_draws, "seed": seed,
                                                                 "statuses": list(inventory.STOCK_STATUSES)})
