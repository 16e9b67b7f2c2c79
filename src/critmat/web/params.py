"""Validated request parameters and the bounds on a request's cost.

Every parameter is typed and bounded here, so FastAPI/pydantic rejects anything else with a 422 problem
detail naming the parameter and the rule, before any service runs.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Path, Query
from pydantic import BaseModel, ConfigDict, Field

MAX_DRAWS = 5000          # Monte Carlo draws per request
DEFAULT_DRAWS = 1000
MIN_YEAR, MAX_YEAR = 1990, 2100
MAX_TOP = 500             # rows of a ranking
MAX_IDS = 20              # ids in a list parameter (materials of a shock)
MAX_MONTHS = 120          # length of a disruption

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_\-]{0,63}$"
NAME_PATTERN = r"^[\w][\w \-,.()'/]{0,79}$"   # a material name, id or symbol ("heavy rare earth elements")

RegionId = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9\-]{0,39}$", description="Region pack id, e.g. nh-fl",
                               examples=["nh-fl"])]
MaterialQuery = Annotated[str, Path(pattern=NAME_PATTERN, description="Material id, name or symbol",
                                    examples=["gallium"])]
OptMaterial = Annotated[str | None, Query(pattern=NAME_PATTERN, description="Material id, name or symbol")]
Draws = Annotated[int, Query(ge=0, le=MAX_DRAWS, description=f"Monte Carlo draws (0..{MAX_DRAWS}; 0: low/high "
                                                             "intensities)")]
Seed = Annotated[int, Query(ge=0, le=2**31 - 1, description="Random seed; same seed, same numbers")]
Year = Annotated[int | None, Query(ge=MIN_YEAR, le=MAX_YEAR, description=f"Year ({MIN_YEAR}..{MAX_YEAR})")]
Top = Annotated[int | None, Query(ge=1, le=MAX_TOP, description=f"Only the first N rows (1..{MAX_TOP})")]
FormatQ = Annotated[Literal["json", "csv"] | None,
                    Query(alias="format", description="json (default) or csv; `Accept: text/csv` works too")]
ScenarioName = Annotated[str, Query(pattern=r"^[a-z0-9][a-z0-9\-_]{0,63}$", description="Flow scenario name")]
AssetClassQ = Annotated[str | None, Query(pattern=r"^[a-z_]{2,32}$",
                                          description="wind | solar | datacentre | grid | vehicles, or an "
                                                      "asset_class")]
StatusQ = Annotated[Literal["operational", "under_construction", "planned", "decommissioned"] | None,
                    Query(description="Asset status")]


class ShockRequest(BaseModel):
    """A disruption to simulate: a bundled shock by name, or a material (or component) cut by a country.

    ``share``: the fraction of the supplier country's exports withheld (0..1); ``months``: its length.
    """

    model_config = ConfigDict(extra="forbid")

    shock: str | None = Field(None, pattern=ID_PATTERN, description="A bundled shock (see /api/v1/shocks)")
    materials: list[Annotated[str, Field(pattern=NAME_PATTERN)]] | None = Field(
        None, max_length=MAX_IDS, description=f"Material or component ids (at most {MAX_IDS})")
    country: str | None = Field(None, pattern=r"^[A-Za-z][A-Za-z .'\-]{1,59}$",
                                description="Supplier country (ISO3 or name), e.g. CHN")
    share: float | None = Field(None, ge=0, le=1, description="Share of the country's supply withheld, 0..1")
    months: float | None = Field(None, gt=0, le=MAX_MONTHS, description=f"Length in months (0..{MAX_MONTHS}]")
    top: int | None = Field(None, ge=1, le=MAX_TOP, description="Rows of each exposed list")
