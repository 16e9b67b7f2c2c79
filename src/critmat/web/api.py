"""The REST API, version 1 (``/api/v1``): one route per question, each a call to :mod:`critmat.services`.

Tables answer JSON (a :class:`~critmat.web.render.Table`) or CSV; every GET has an ETag and cache headers
keyed on the warehouse build id; errors are problem details (:mod:`critmat.web.problems`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field, StringConstraints

from critmat.services.flows import scenarios as flows_scenarios
from critmat.web import jobs as J
from critmat.web.params import (
    MAX_DRAWS,
    NAME_PATTERN,
    AssetClassQ,
    Draws,
    FormatQ,
    MaterialQuery,
    OptMaterial,
    RegionId,
    ScenarioName,
    Seed,
    ShockRequest,
    StatusQ,
    Top,
    Year,
)
from critmat.web.problems import BODY_RESPONSES, RESPONSES
from critmat.web.render import DOC_RESPONSES, GEO_RESPONSES, TABLE_RESPONSES, Document, Table, respond
from critmat.web.state import ServerState

router = APIRouter(prefix="/api/v1", responses=RESPONSES)


def state_of(request: Request) -> ServerState:
    return request.app.state.critmat


class Health(BaseModel):
    status: Literal["ok"]
    build: str
    built_at: str
    critmat_version: str
    region: str
    features: dict[str, bool]
    warm: bool = Field(description="the dashboard's default answers are rendered (start-up warm-up done)")
    cached_answers: int = Field(description="answers in this process's response cache")
    tiles: str | None = None
    tiles_attribution: str = ""


@router.get("/health", response_model=Health, tags=["server"], summary="Liveness and the warehouse build")
async def health(request: Request) -> Health:
    """Cheap (no thread, no query): the warehouse file the server opened is still there, and its build."""
    st = state_of(request)
    if not st.db.is_file():
        from critmat.errors import CritmatError

        raise CritmatError(f"the warehouse {st.db} is gone")
    return Health(status="ok", build=st.build_id, built_at=st.built_at, critmat_version=st.critmat_version,
                  region=st.region, features=features(), warm=st.warm, cached_answers=st.cache_size(),
                  tiles=st.tiles, tiles_attribution=st.tiles_attribution)


def features() -> dict[str, bool]:
    """Optional services this version has (the dashboard hides what is missing)."""
    return {"policy": True, "coverage": True, "boundaries": True}




# ------------------------------------------------------------------------------------------- materials
@router.get("/materials", response_model=Table, responses=TABLE_RESPONSES, tags=["materials"],
            summary="Materials with their EU list memberships and 2023 SR/EI")
def materials(request: Request, list_: Annotated[Literal["crm2023", "srm", "all"], Query(alias="list")] = "crm2023",
              fmt: FormatQ = None) -> Response:
    st = state_of(request)
    which = {"crm2023": "2023", "srm": "srm", "all": "all"}[list_]
    return respond(request, st, job=(J.materials, {"which": which}), fmt=fmt, name=f"materials-{list_}",
                   args=locals())


@router.get("/materials/{material}", response_model=Document, responses=DOC_RESPONSES, tags=["materials"],
            summary="Profile of one material: lists, SR/EI history, suppliers per stage, HHI, controls")
def material(request: Request, material: MaterialQuery) -> Response:
    st = state_of(request)
    return respond(request, st, job=(J.material_profile, {"material": material}), kind="doc", args=locals())


PROFILE_TABLES = ("criticality", "supply", "export_controls", "sr_inputs_2023")


@router.get("/materials/{material}/{table}", response_model=Table, responses=TABLE_RESPONSES, tags=["materials"],
            summary="One table of a material's profile (SR/EI history, suppliers, export controls, SR inputs)")
def material_table(request: Request, material: MaterialQuery,
                   table: Literal["criticality", "supply", "export_controls", "sr_inputs_2023"],
                   fmt: FormatQ = None) -> Response:
    st = state_of(request)
    return respond(request, st, job=(J.material_table, {"material": material, "table_name": table}), fmt=fmt,
                   name=f"{material}-{table}", args=locals())


# ------------------------------------------------------------------------------------------- regions
@router.get("/regions", response_model=Table, responses=TABLE_RESPONSES, tags=["regions"],
            summary="Region packs")
def regions(request: Request, fmt: FormatQ = None) -> Response:
    st = state_of(request)
    return respond(request, st, job=(J.regions, {}), fmt=fmt, name="regions", args=locals())


@router.get("/regions/{region}/assets", response_model=Table, responses=TABLE_RESPONSES, tags=["regions"],
            summary="The region's strategic assets (wind, solar, data centres, grid, vehicles)")
def assets(request: Request, region: RegionId, fmt: FormatQ = None, asset_class: AssetClassQ = None,
           status: StatusQ = None) -> Response:
    st = state_of(request)
    return respond(request, st, job=(J.assets, {"region": region, "asset_class": asset_class, "status": status}),
                   fmt=fmt, name=f"assets-{region}", args=locals())


@router.get("/regions/{region}/assets.geojson", responses=GEO_RESPONSES, tags=["regions"],
            summary="The region's assets as GeoJSON points")
def assets_geojson(request: Request, region: RegionId, asset_class: AssetClassQ = None,
                   status: StatusQ = None) -> Response:
    st = state_of(request)
    return respond(request, st, job=(J.assets_geojson, {"region": region, "asset_class": asset_class,
                                                         "status": status}), kind="geojson", args=locals())


@router.get("/regions/{region}/boundaries", responses=GEO_RESPONSES, tags=["regions"],
            summary="Area outlines: municipalities, provinces, offshore areas (polygons when the region pack has a "
                    "boundaries table, else municipality centroids; `kind` says which)")
def boundaries(request: Request, region: RegionId) -> Response:
    st = state_of(request)
    return respond(request, st, job=(J.boundaries, {"region": region}), kind="geojson", args=locals())


@router.get("/regions/{region}/municipalities", response_model=Table, responses=TABLE_RESPONSES,
            tags=["regions"], summary="The region's municipalities (CBS codes) and provinces")
def municipalities(request: Request, region: RegionId, fmt: FormatQ = None) -> Response:
    st = state_of(request)
    return respond(request, st, job=(J.region_table, {"region": region, "name": "municipalities"}), fmt=fmt,
                   name=f"municipalities-{region}", args=locals())


@router.get("/regions/{region}/summary", response_model=Table, responses=TABLE_RESPONSES, tags=["regions"],
            summary="The region's assets counted per class and status")
def region_summary(request: Request, region: RegionId, fmt: FormatQ = None) -> Response:
    st = state_of(request)
    return respond(request, st, job=(J.region_summary, {"region": region}), fmt=fmt, name=f"summary-{region}",
                   args=locals())


# ------------------------------------------------------------------------------------------- stock
@router.get("/regions/{region}/stock", response_model=Table, responses=TABLE_RESPONSES, tags=["stock"],
            summary="Tonnes of each material held in the region's assets, with a 90 % interval")
def stock(request: Request, region: RegionId, fmt: FormatQ = None,
          by: Literal["material", "asset_class", "municipality", "province"] = "material",
          material: OptMaterial = None, draws: Draws = 1000, seed: Seed = 0, pipeline: bool = False,
          top: Top = None) -> Response:
    st = state_of(request)
    return respond(request, st, job=(J.stock, {"region": region, "by": by, "material": material, "draws": draws,
                                               "seed": seed, "pipeline": pipeline, "top": top}),
                   fmt=fmt, name=f"stock-{region}-{by}", args=locals())


# ------------------------------------------------------------------------------------------- flows
@router.get("/scenarios", response_model=Table, responses=TABLE_RESPONSES, tags=["flows"],
            summary="Flow scenarios")
def scenarios(request: Request, fmt: FormatQ = None) -> Response:
    st = state_of(request)
    return respond(request, st, lambda: flows_scenarios(st.warehouse()), fmt=fmt, name="scenarios", args=locals())


@router.get("/regions/{region}/flows", response_model=Table, responses=TABLE_RESPONSES, tags=["flows"],
            summary="End-of-life flows and demand per year (or per material) under a scenario")
def flows(request: Request, region: RegionId, fmt: FormatQ = None, scenario: ScenarioName = "baseline",
          material: OptMaterial = None, start: Year = None, end: Year = None,
          draws: Annotated[int, Query(ge=0, le=MAX_DRAWS // 5, description="Lifetime Monte Carlo draws "
                                      f"(0..{MAX_DRAWS // 5}); 0: deterministic, no band")] = 0,
          seed: Seed = 0, by: Literal["year", "material", "asset_class"] = "year",
          lifetime_shift: Annotated[float | None, Query(ge=-20, le=20, description="Years added to every "
                                                         "asset class's lifetime (-20..20)")] = None,
          recovery: Annotated[float | None, Query(ge=0, le=1, description="Recovery rate of every material, "
                                                   "0..1 (default: the scenario's rates)")] = None) -> Response:
    st = state_of(request)
    if start is not None and end is not None and end < start:
        from critmat.errors import ModelError

        raise ModelError(f"years out of order: start {start} is after end {end}")

    job = (J.flows, {"region": region, "scenario": scenario, "material": material, "start": start, "end": end,
                     "draws": draws, "seed": seed, "by": by, "lifetime_shift": lifetime_shift, "recovery": recovery})
    return respond(request, st, job=job, fmt=fmt, name=f"flows-{region}-{scenario}", args=locals())


# ------------------------------------------------------------------------------------------- exposure
@router.get("/risk", response_model=Table, responses=TABLE_RESPONSES, tags=["exposure"],
            summary="Supply-risk indicators per material; with a region, its exposure ranking")
def risk(request: Request, fmt: FormatQ = None, region: Annotated[str | None, Query(
             pattern=r"^[a-z0-9][a-z0-9\-]{0,39}$")] = None, material: OptMaterial = None,
         top: Top = None) -> Response:
    st = state_of(request)
    return respond(request, st, job=(J.risk, {"region": region, "material": material, "top": top}), fmt=fmt,
                   name=f"risk-{region or 'materials'}", args=locals())


@router.get("/shocks", response_model=Table, responses=TABLE_RESPONSES, tags=["exposure"],
            summary="Bundled supply shocks")
def shocks(request: Request, fmt: FormatQ = None) -> Response:
    st = state_of(request)
    from critmat.services.exposure import bundled_shocks

    return respond(request, st, lambda: bundled_shocks(st.warehouse()), fmt=fmt, name="shocks", args=locals())


class DisruptionResult(BaseModel):
    shock: dict[str, Any]
    description: str
    region: str | None
    totals: dict[str, Any]
    sources: list[str] = []
    sections: dict[str, dict[str, Any]]


@router.post("/regions/{region}/disruptions", response_model=DisruptionResult, tags=["exposure"],
             responses=BODY_RESPONSES, summary="Simulate a disruption: a shock in, the exposed need, assets, projects and companies out")
def disrupt(request: Request, region: RegionId, body: ShockRequest) -> Response:
    st = state_of(request)
    return respond(request, st, job=(J.disruption, {"region": region, **_shock(body)}), kind="doc",
                   cacheable=False, args=locals())


def _shock(body: ShockRequest) -> dict[str, Any]:
    return {"shock": body.shock, "materials": body.materials, "country": body.country, "share": body.share,
            "months": body.months}


@router.get("/regions/{region}/disruptions", response_model=Table, responses=TABLE_RESPONSES, tags=["exposure"],
            summary="One table of a disruption run (for CSV downloads): the same parameters as the POST body")
def disrupt_table(request: Request, region: RegionId, fmt: FormatQ = None,
                  section: Literal["supply", "affected", "mitigations", "companies", "projects"] = "mitigations",
                  shock: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9][A-Za-z0-9_\-]{0,63}$")] = None,
                  material: Annotated[list[Annotated[str, StringConstraints(pattern=NAME_PATTERN)]] | None,
                                      Query(max_length=20)] = None,
                  country: Annotated[str | None, Query(pattern=r"^[A-Za-z][A-Za-z .'\-]{1,59}$")] = None,
                  share: Annotated[float | None, Query(ge=0, le=1)] = None,
                  months: Annotated[float | None, Query(gt=0, le=120)] = None) -> Response:
    st = state_of(request)
    body = ShockRequest(shock=shock, materials=material, country=country, share=share, months=months)
    return respond(request, st, job=(J.disruption_table, {"region": region, "section": section, **_shock(body)}),
                   fmt=fmt, name=f"disruption-{region}-{section}", args=locals())


# ------------------------------------------------------------------------------------------- capabilities
@router.get("/regions/{region}/companies", response_model=Table, responses=TABLE_RESPONSES,
            tags=["capabilities"], summary="The region's companies in CRM supply chains")
def companies(request: Request, region: RegionId, fmt: FormatQ = None,
              activity: Annotated[str | None, Query(pattern=r"^[a-z_]{2,40}$")] = None) -> Response:
    st = state_of(request)
    return respond(request, st, job=(J.companies, {"region": region, "activity": activity}), fmt=fmt,
                   name=f"companies-{region}", args=locals())


@router.get("/regions/{region}/companies.geojson", responses=GEO_RESPONSES, tags=["capabilities"],
            summary="The region's companies as GeoJSON points")
def companies_geojson(request: Request, region: RegionId,
                      activity: Annotated[str | None, Query(pattern=r"^[a-z_]{2,40}$")] = None) -> Response:
    st = state_of(request)
    return respond(request, st, job=(J.companies_geojson, {"region": region, "activity": activity}), kind="geojson",
                   args=locals())


@router.get("/regions/{region}/capabilities", response_model=Table, responses=TABLE_RESPONSES,
            tags=["capabilities"], summary="Stage coverage: companies per stream and supply-chain stage, and gaps")
def capabilities(request: Request, region: RegionId, fmt: FormatQ = None) -> Response:
    st = state_of(request)
    return respond(request, st, job=(J.capabilities, {"region": region}), fmt=fmt,
                   name=f"capabilities-{region}", args=locals())


@router.get("/regions/{region}/matches", response_model=Table, responses=TABLE_RESPONSES, tags=["capabilities"],
            summary="Recyclers and offtakers ranked for the region's end-of-life streams")
def matches(request: Request, region: RegionId, fmt: FormatQ = None,
            stream: Annotated[str | None, Query(pattern=r"^[a-z0-9][a-z0-9\-_]{0,63}$")] = None,
            top: Annotated[int, Query(ge=1, le=50)] = 10) -> Response:
    st = state_of(request)
    return respond(request, st, job=(J.matches, {"region": region, "stream": stream, "top": top}), fmt=fmt,
                   name=f"matches-{region}", args=locals())


@router.get("/regions/{region}/streams", response_model=Table, responses=TABLE_RESPONSES, tags=["capabilities"],
            summary="The region's end-of-life stream specs (inputs of matchmaking)")
def streams(request: Request, region: RegionId, fmt: FormatQ = None) -> Response:
    st = state_of(request)
    return respond(request, st, job=(J.streams, {"region": region}), fmt=fmt, name=f"streams-{region}",
                   args=locals())


@router.get("/regions/{region}/coverage", response_model=Table, responses=TABLE_RESPONSES, tags=["regions"],
            summary="Coverage of the region's asset registry against published totals")
def coverage(request: Request, region: RegionId, fmt: FormatQ = None) -> Response:
    st = state_of(request)
    return respond(request, st, job=(J.coverage, {"region": region}), fmt=fmt, name=f"coverage-{region}",
                   args=locals())


@router.get("/regions/{region}/provinces", response_model=Table, responses=TABLE_RESPONSES, tags=["regions"],
            summary="The region's provinces compared: stock with its band and share, end-of-life outflow, "
                    "secondary supply, own demand and EoL-RIR per material (or the assets counted per province)")
def provinces(request: Request, region: RegionId, fmt: FormatQ = None, material: OptMaterial = None,
              scenario: ScenarioName = "baseline",
              section: Literal["materials", "assets"] = "materials") -> Response:
    """Stock: the build's 1,000-draw run (seed 0); flows: the scenario's deterministic run, window totals."""
    st = state_of(request)
    return respond(request, st, job=(J.provinces, {"regions": [region], "material": material, "scenario": scenario,
                                                   "section": section}),
                   fmt=fmt, name=f"provinces-{region}-{section}", args=locals())


@router.get("/provinces", response_model=Table, responses=TABLE_RESPONSES, tags=["regions"],
            summary="Provinces compared across region packs (e.g. the 12 of `critmat region build "
                    "--all-provinces`): the same table as /regions/{region}/provinces")
def provinces_across(request: Request, fmt: FormatQ = None,
                     region: Annotated[list[Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9\-]{0,39}$")]]
                                       | None, Query(max_length=50, description="Region pack (repeatable); "
                                                     "default: every region pack of the warehouse")] = None,
                     material: OptMaterial = None, scenario: ScenarioName = "baseline",
                     section: Literal["materials", "assets"] = "materials") -> Response:
    st = state_of(request)
    regions = sorted(set(region)) if region else None
    return respond(request, st, job=(J.provinces, {"regions": regions, "material": material, "scenario": scenario,
                                                   "section": section}),
                   fmt=fmt, name=f"provinces-{section}", args=locals())


@router.get("/regions/{region}/policy", response_model=Table, responses=TABLE_RESPONSES, tags=["policy"],
            summary="The region's policy items: SWOT, opportunities and recommendations")
def policy(request: Request, region: RegionId, fmt: FormatQ = None) -> Response:
    st = state_of(request)
    return respond(request, st, job=(J.policy, {"region": region}), fmt=fmt, name=f"policy-{region}", args=locals())


@router.get("/regions/{region}/policy/indicators", response_model=Table, responses=TABLE_RESPONSES,
            tags=["policy"], summary="The indicators that track the policy items, with their values and basis")
def policy_indicators(request: Request, region: RegionId, fmt: FormatQ = None) -> Response:
    st = state_of(request)
    return respond(request, st, job=(J.policy_indicators, {"region": region}), fmt=fmt,
                   name=f"policy-indicators-{region}", args=locals())


@router.get("/provenance", response_model=Table, responses=TABLE_RESPONSES, tags=["sources"],
            summary="Provenance of every warehouse table: package, sources, vintage, sha256, rows")
def provenance(request: Request, fmt: FormatQ = None) -> Response:
    st = state_of(request)
    return respond(request, st, job=(J.provenance, {}), fmt=fmt, name="provenance", args=locals())


@router.get("/sources", response_model=Table, responses=TABLE_RESPONSES, tags=["sources"],
            summary="The source registry: every source a figure cites")
def sources(request: Request, fmt: FormatQ = None) -> Response:
    st = state_of(request)
    return respond(request, st, job=(J.sources, {}), fmt=fmt, name="sources", args=locals())
