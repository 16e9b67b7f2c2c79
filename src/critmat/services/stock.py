"""Stock: tonnes of each material held in a region's strategic assets, with the Monte Carlo band.

The default run (:data:`critmat.warehouse.results.STOCK_DRAWS` draws, seed 0, stock or pipeline, not scaled)
is read from the warehouse (computed at build); other parameters run the model (:mod:`critmat.stock`,
:mod:`critmat.models.inventory`) on the warehouse's inputs and are kept for the life of the build.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from critmat.services.base import Result, flag_groups, group_ids
from critmat.services.context import answer

if TYPE_CHECKING:
    from critmat.warehouse.access import TableSource
    import pandas as pd

    from critmat.stock import StockInputs


def inputs(wh: TableSource, region: str = "nh-fl", scale: bool = False) -> StockInputs:
    """The stock model's inputs for ``region`` from the warehouse (shared per build; do not mutate)."""
    from critmat.services.context import memo
    from critmat.stock import load_inputs

    from critmat.warehouse.access import is_folder

    if is_folder(region):  # a pack folder outside the warehouse: read afresh each time
        return load_inputs(str(region), source=wh, scale=scale)
    return memo(wh, ("stock_inputs", str(region), scale), lambda: load_inputs(str(region), source=wh, scale=scale))


def run(wh: TableSource, region: str = "nh-fl", draws: int = 1000, seed: int = 0, pipeline: bool = False,
        scale: bool = False, progress: Callable[[int, int], None] | None = None) -> pd.DataFrame:
    """The long stock frame (region, area_type, area, asset_class, material, variable, unit, value)."""
    from critmat.services.context import memo
    from critmat.stock import regional_stock
    from critmat.warehouse import results

    from critmat.warehouse.access import is_folder

    inp = inputs(wh, region, scale)
    what = "pipeline" if pipeline else "stock"
    params = {"draws": int(draws), "seed": int(seed), "pipeline": bool(pipeline), "scale_to_official": bool(scale)}
    if is_folder(region):
        return regional_stock(inp, n_draws=draws, seed=seed, pipeline=pipeline, progress=progress)
    if results.stored(wh, "stock", inp.region_id, what, params) is not None:
        return memo(wh, ("stock", inp.region_id, what),
                    lambda: results.read(wh, "result_stock", inp.region_id, what).drop(columns="scenario"))
    return memo(wh, ("stock_run", inp.region_id, tuple(sorted(params.items()))),
                lambda: regional_stock(inp, n_draws=draws, seed=seed, pipeline=pipeline, progress=progress))


@answer
def stock(wh: TableSource, region: str = "nh-fl", by: str = "material", material: str | None = None, draws: int = 1000,
          seed: int = 0, pipeline: bool = False, scale: bool = False, top: int | None = None,
          progress: Callable[[int, int], None] | None = None) -> Result:
    """Tonnes per material (``by`` material | asset_class | municipality | province) with the 90 % band."""
    from critmat.stock import summarize

    inp = inputs(wh, region, scale)
    mat = None
    if material is not None:
        from critmat.knowledge import material_index

        mat = material_index(wh).resolve(material)
    table = summarize(run(wh, region, draws, seed, pipeline, scale, progress), by=by, material=mat,
                      municipalities=inp.municipalities)
    if inp.scaling is not None:
        table.insert(0, "scaled", True)
    if top is not None:
        table = table.head(top)
    what = "pipeline (planned)" if pipeline else "stock"
    caption = (f"{draws} draws, seed {seed}; mass_t with central intensities (deterministic); median_t, low_t, "
               "high_t = 50th, 5th, 95th percentile of the draws (intensities sampled)" if draws
               else "--draws 0: low_t/high_t with the low/high intensities")
    if inp.scaling is not None:
        caption = ("SCALED to official counts (--scale-to-official): " + "; ".join(
            f"{r.asset_class} {r.scope} x{r.factor:.2f} ({r.counted:g} -> {r.official:g}, {r.source_id})"
            for r in inp.scaling.itertuples()) + ". " + caption)
    statuses = ("planned",) if pipeline else ("operational", "under_construction")
    ex = inp.excluded
    if ex is not None and len(ex) and ex["status"].isin(statuses).any():
        ids = ex.loc[ex["status"].isin(statuses), "asset_id"].tolist()
        caption += f"; not counted (no capacity/length/units): {', '.join(ids)}"
    table = flag_groups(table, "material", group_ids(wh.table("materials")))
    units = {c: "t" for c in table.columns if c.endswith("_t")}
    srcs = sorted(set(inp.assets["source_id"].dropna()) | set(inp.intensities["source_id"].dropna()))
    return Result(table, title=f"Material {what} of {inp.region_id} by {by}, tonnes", caption=caption, units=units,
                  sources=srcs, params={"region": inp.region_id, "by": by, "material": mat, "draws": draws,
                                        "seed": seed, "pipeline": pipeline, "scale_to_official": scale, "top": top})
