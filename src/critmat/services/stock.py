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


def _stored(wh: TableSource, region: str, params: dict) -> dict | None:
    """The ``results`` row of the build's stock run for ``region`` (by id) with ``params``, with its caption
    facts (:func:`critmat.stock.caption_facts`), or None: then the inputs are loaded."""
    from critmat.warehouse import results
    from critmat.warehouse.access import is_folder

    if is_folder(region) or params["scale_to_official"]:
        return None
    row = results.stored(wh, "stock", str(region), "pipeline" if params["pipeline"] else "stock", params)
    return row if row is not None and "sources" in row["meta"] else None


def _params(draws: int, seed: int, pipeline: bool, scale: bool) -> dict:
    return {"draws": int(draws), "seed": int(seed), "pipeline": bool(pipeline), "scale_to_official": bool(scale)}


def run(wh: TableSource, region: str = "nh-fl", draws: int = 1000, seed: int = 0, pipeline: bool = False,
        scale: bool = False, progress: Callable[[int, int], None] | None = None) -> pd.DataFrame:
    """The long stock frame (region, area_type, area, asset_class, material, variable, unit, value)."""
    from critmat.services.context import memo
    from critmat.stock import regional_stock
    from critmat.warehouse import results

    from critmat.warehouse.access import is_folder

    what = "pipeline" if pipeline else "stock"
    params = _params(draws, seed, pipeline, scale)
    row = _stored(wh, region, params)  # the build's run under this id: a query, no inputs loaded
    inp = inputs(wh, region, scale) if row is None else None
    if inp is not None and is_folder(region):
        return regional_stock(inp, n_draws=draws, seed=seed, pipeline=pipeline, progress=progress)
    rid = str(region) if inp is None else inp.region_id
    if row is not None or results.stored(wh, "stock", rid, what, params) is not None:
        return memo(wh, ("stock", rid, what),
                    lambda: results.read(wh, "result_stock", rid, what).drop(columns="scenario"))
    return memo(wh, ("stock_run", rid, tuple(sorted(params.items()))),
                lambda: regional_stock(inp, n_draws=draws, seed=seed, pipeline=pipeline, progress=progress))


@answer
def stock(wh: TableSource, region: str = "nh-fl", by: str = "material", material: str | None = None, draws: int = 1000,
          seed: int = 0, pipeline: bool = False, scale: bool = False, top: int | None = None,
          progress: Callable[[int, int], None] | None = None) -> Result:
    """Tonnes per material (``by`` material | asset_class | municipality | province) with the 90 % band."""
    from critmat.stock import caption_facts, summarize

    row = _stored(wh, region, _params(draws, seed, pipeline, scale))
    inp = inputs(wh, region, scale) if row is None or by == "municipality" else None
    region_id, scaling = (str(region), None) if inp is None else (inp.region_id, inp.scaling)
    facts = row["meta"] if row is not None else caption_facts(inp, pipeline)
    mat = None
    if material is not None:
        from critmat.knowledge import material_index

        mat = material_index(wh).resolve(material)
    if row is not None and by != "municipality":  # the build's run: only the rows this summary shows
        from critmat.warehouse import results

        kind = "pipeline" if pipeline else "stock"
        areas = ("province",) if by == "province" else ("region",)
        long = results.read(wh, "result_stock", str(region), kind, areas).drop(columns="scenario")
    else:
        long = run(wh, region, draws, seed, pipeline, scale, progress)
    table = summarize(long, by=by, material=mat, municipalities=None if inp is None else inp.municipalities)
    if scaling is not None:
        table.insert(0, "scaled", True)
    if top is not None:
        table = table.head(top)
    what = "pipeline (planned)" if pipeline else "stock"
    caption = (f"{draws} draws, seed {seed}; mass_t with central intensities (deterministic); median_t, low_t, "
               "high_t = 50th, 5th, 95th percentile of the draws (intensities sampled)" if draws
               else "no draws: low_t/high_t with the low/high intensities")
    if scaling is not None:
        caption = ("SCALED to official counts (scale_to_official): " + "; ".join(
            f"{r.asset_class} {r.scope} x{r.factor:.2f} ({r.counted:g} -> {r.official:g}, {r.source_id})"
            for r in scaling.itertuples()) + ". " + caption)
    if facts["not_counted"]:
        caption += f"; not counted (no capacity/length/units): {', '.join(facts['not_counted'])}"
    table = flag_groups(table, "material", group_ids(wh))
    units = {c: "t" for c in table.columns if c.endswith("_t")}
    return Result(table, title=f"Material {what} of {region_id} by {by}, tonnes", caption=caption, units=units,
                  sources=list(facts["sources"]), params={"region": region_id, "by": by, "material": mat,
                                                         "draws": draws, "seed": seed, "pipeline": pipeline,
                                                         "scale_to_official": scale, "top": top})
