"""Stand-in for the policy service, which still lives in the report package
(:mod:`critmat.report.policy_service`): the service call signatures and :class:`~critmat.services.base.Result`.
Goes when the policy service moves to :mod:`critmat.services`.
"""

from __future__ import annotations

from critmat.services.base import Result
from critmat.warehouse import Warehouse


def policy(wh: Warehouse, region: str = "nh-fl") -> Result:
    """The region's policy items (SWOT, opportunities, recommendations) from the report's policy service."""
    from critmat.report import policy_service as P
    from critmat.report.data import Inputs

    r = P.policy(Inputs(wh, region))
    return Result(r.frame, title=r.title, caption=r.caption, units=r.units, sources=r.sources,
                  params={"region": region})


def policy_indicators(wh: Warehouse, region: str = "nh-fl") -> Result:
    """The values of the indicators that track the policy items (report's policy service)."""
    from critmat.report import policy_service as P
    from critmat.report.data import Inputs

    r = P.indicators(Inputs(wh, region))
    return Result(r.frame, title=r.title or f"Policy indicators of {region}", caption=r.caption, units=r.units,
                  sources=r.sources, params={"region": region})
