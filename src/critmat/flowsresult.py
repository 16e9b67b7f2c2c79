"""The output of the flows model (:func:`critmat.flows.run_flows`), in a module of its own: the build's stored
default answer is read back into it without importing the model (scipy, the scenario machinery)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    import numpy as np

    from critmat.specs.scenarios import Scenario


@dataclass(frozen=True)
class ScenarioLabel:
    """What a stored answer keeps of its scenario: its name and title (the faces show no more). Reading them
    from the warehouse's spec needs no validation of the whole scenario (pydantic: ~90 ms at a first call)."""

    name: str
    title: str = ""
    registry_year: int | None = None  # the year whose registry the run starts from (None: not recorded)


@dataclass
class FlowsResult:
    """Output of :func:`critmat.flows.run_flows` (see :mod:`critmat.flows`): ``flows`` the long rows (region,
    area_type, area, scenario, asset_class, material, year, variable, unit, value), ``indicators`` and
    ``summary`` per material, ``fleets`` the fleet rows, ``years`` the scenario's years; ``scenario``: the
    scenario run, or its :class:`ScenarioLabel` for the build's stored answer."""

    region: str
    scenario: Scenario | ScenarioLabel
    years: np.ndarray
    flows: pd.DataFrame
    indicators: pd.DataFrame
    summary: pd.DataFrame
    benchmark: float | None
    n_draws: int | None
    notes: list[str] = field(default_factory=list)
    sampled: tuple[str, ...] = ()
    not_sampled: tuple[str, ...] = ()
    fleets: pd.DataFrame = field(default_factory=pd.DataFrame)
