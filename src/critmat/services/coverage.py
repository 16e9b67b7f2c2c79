"""Coverage: what a region's holdings cover - the EU CRM 2023 / SRM 2024 materials held (tonnes, or why
none) and, per asset class, what the pack counts against the best official count known.

Thin service over :mod:`critmat.coverage` (glue) and :func:`critmat.models.coverage.crm_coverage` (model);
the warehouse's regions are used when it holds them, else the region packs' files.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from critmat.warehouse.access import TableSource


def _region(wh: TableSource, region: str | Path) -> Any:
    if wh is not None and hasattr(wh, "has") and wh.has("regions"):
        from critmat.warehouse import access  # the warehouse data path of critmat.services

        return access.region(wh, str(region))
    from critmat.regions import load_region

    return load_region(region)


def crm_coverage(wh: TableSource = None, region: str | Path = "nh-fl", draws: int = 1000, seed: int = 0) -> Any:
    """One row per CRM 2023 / SRM 2024 material: status (held, no_data, not_contained), tonnes with the
    Monte Carlo band, the asset classes holding it, the reason and what was searched.

    With a warehouse the tonnes are the stock service's (:func:`critmat.services.stock.run`: the build's
    stored run for the default 1,000 draws, seed 0), so they and their band are those of ``critmat stock``;
    the REE-for-magnets group, which that run does not sum, comes from the same draws."""
    from critmat import coverage
    from critmat.services.base import Result

    if wh is not None and hasattr(wh, "has") and wh.has("regions"):
        from critmat.services import stock as stock_service
        from critmat.warehouse.access import is_folder

        long = stock_service.run(wh, str(region), draws=draws, seed=seed)
        inp = None if is_folder(region) else stock_service.inputs(wh, str(region))
        r = coverage.crm_coverage(region, n_draws=draws, seed=seed, source=wh, stock=long, inputs=inp)
    else:
        r = coverage.crm_coverage(region, n_draws=draws, seed=seed, loaded=_region(wh, region))
    return Result(r.frame, title=r.title,
                  caption=f"t; {draws} draws, seed {seed}; low_t/high_t = 5th/95th percentiles of the draws; held = "
                          "stock of operational and under-construction assets; bauxite counted as aluminium metal, "
                          "fluorspar as the CaF2 equivalent of contained fluorine",
                  units=r.units, sources=r.sources, params={"region": r.region, **r.params})


def asset_coverage(wh: TableSource = None, region: str | Path = "nh-fl") -> Any:
    """The pack's coverage statements (counted vs official, with sources) and the classes its build did not find."""
    from critmat.services.base import Result

    reg = _region(wh, region)
    cov = reg.tables.get("coverage")
    import pandas as pd

    frame = cov.copy() if cov is not None else pd.DataFrame(columns=["asset_class", "statement"])
    srcs = sorted(set(frame["official_source_id"].dropna())) if "official_source_id" in frame else []
    return Result(frame, title=f"Coverage of {reg.config.id} against official counts",
                  caption="missing: " + ("; ".join(reg.config.missing) or "none"), sources=srcs,
                  units={"counted": "per measure", "official": "per measure", "coverage_share": "fraction"},
                  params={"region": reg.config.id, "missing": list(reg.config.missing),
                          "build_command": reg.config.build_command})
