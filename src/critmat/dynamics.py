"""Public namespace of the dynamic stock model: lifetimes, inflow-/stock-driven models, asset-level exits.

The implementation lives in :mod:`critmat.models.dynamics` and :mod:`critmat.models.lifetimes` (pure
functions, no I/O); this module only gathers the names users call. Time convention: end-of-year values,
a cohort entering in year t has age 0 in year t, survival sf(age), outflow(t) = stock(t-1) + inflow(t) −
stock(t) (ODYM's convention; flodym with ``inflow_at="end"``).
"""

from critmat.models.dynamics import (
           AssetExits,
           StockModelResult,
           asset_exits,
           inflow_driven,
           stock_driven,
)
from critmat.models.lifetimes import (
           Fixed,
           FoldedNormal,
           Lifetime,
           LogNormal,
           Normal,
           Weibull,
)

__all__ = ["AssetExits", "Fixed", "FoldedNormal", "Lifetime", "LogNormal", "Normal", "StockModelResult", "Weibull",
           "asset_exits", "inflow_driven", "stock_driven"]
