"""The REST API, version 1 (``/api/v1``): one route per question, each a call to :mod:`critmat.services`.

Tables answer JSON (a :class:`~critmat.web.render.Table`) or CSV; every GET has an ETag and cache headers
keyed on the warehouse build id; errors are problem details (:mod:`critmat.web.problems`).
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel

from critmat.web.params import FormatQ, MaterialQuery, RegionId
from critmat.web.problems import RESPONSES
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


@router.get("/health", response_model=Health, tags=["server"], summary="Liveness and the warehouse build")
def health(request: Request) -> Health:
    st = state_of(request)
    st.warehouse().sql("SELECT 1")
    return Health(status="ok", build=st.build_id, built_at=st.built_at, critmat_version=st.critmat_version,
                  region=st.region)


def _table(frame: Any, title: str = "", caption: str = "", units: dict | None = None,
           sources: list | None = None, params: dict | None = None) -> SimpleNamespace:
    return SimpleNamespace(frame=frame, title=title, caption=caption, units=units or {}, sources=sources or [],
                           params=params or {})


# ------------------------------------------------------------------------------------------- materials
@router.get("/materials", response_model=Table, responses=TABLE_RESPONSES, tags=["materials"],
            summary="Materials with their EU list memberships and 2023 SR/EI")
def materials(request: Request, list_: Annotated[Literal["crm2023", "srm", "all"], Query(alias="list")] = "crm2023",
              fmt: FormatQ = None) -> Response:
    from critmat.knowledge import list_materials

    st = state_of(request)
    which = {"crm2023": "2023", "srm": "srm", "all": "all"}[list_]
    return respond(request, st, lambda: _table(list_materials(st.warehouse(), which), title="Materials",
                                               params={"list": list_}),
                   fmt=fmt, name=f"materials-{list_}")


@router.get("/materials/{material}", response_model=Document, responses=DOC_RESPONSES, tags=["materials"],
            summary="Profile of one material: lists, SR/EI history, suppliers per stage, HHI, controls")
def material(request: Request, material: MaterialQuery) -> Response:
    from critmat.knowledge import material_profile

    st = state_of(request)
    return respond(request, st, lambda: material_profile(st.warehouse(), material), kind="doc")


# ------------------------------------------------------------------------------------------- regions
@router.get("/regions", response_model=Table, responses=TABLE_RESPONSES, tags=["regions"],
            summary="Region packs")
def regions(request: Request, fmt: FormatQ = None) -> Response:
    from critmat.regions import list_regions

    st = state_of(request)
    return respond(request, st, lambda: _table(list_regions().drop(columns=["path"]), title="Region packs"),
                   fmt=fmt, name="regions")


@router.get("/regions/{region}/assets", response_model=Table, responses=TABLE_RESPONSES, tags=["regions"],
            summary="The region's strategic assets (wind, solar, data centres, grid, vehicles)")
def assets(request: Request, region: RegionId, fmt: FormatQ = None,
           asset_class: Annotated[str | None, Query(pattern=r"^[a-z_]{2,32}$")] = None) -> Response:
    from critmat.regions import assets as region_assets

    st = state_of(request)
    return respond(request, st, lambda: _table(region_assets(region, asset_class), title=f"Assets of {region}"),
                   fmt=fmt, name=f"assets-{region}")


@router.get("/sources", response_model=Table, responses=TABLE_RESPONSES, tags=["sources"],
            summary="The source registry: every source a figure cites")
def sources(request: Request, fmt: FormatQ = None) -> Response:
    st = state_of(request)
    return respond(request, st, lambda: _table(st.warehouse().table("sources"), title="Sources"),
                   fmt=fmt, name="sources")
