"""The ASGI app: the API router, the dashboard's static files, security headers and problem details.

``create_app(db, region)`` serves one warehouse file, opened read-only. ``app_from_env()`` is the factory
uvicorn's workers import (``critmat serve --workers N``): it reads ``CRITMAT_SERVE_DB`` and
``CRITMAT_SERVE_REGION``.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from critmat import __version__
from critmat.web import api, problems
from critmat.web.security import CachedGets, SecurityHeaders, tile_origin
from critmat.web.state import ServerState

STATIC = Path(str(files("critmat.web") / "static"))


class _Static(StaticFiles):
    """Static files with a revalidation policy (the vendored files are pinned; ours change with releases)."""

    def file_response(self, *args, **kwargs):  # type: ignore[override]
        resp = super().file_response(*args, **kwargs)
        resp.headers["Cache-Control"] = "public, max-age=3600, must-revalidate"
        return resp


def create_app(db: str | Path, region: str = "nh-fl", tiles: str | None = None,
               tiles_attribution: str = "") -> FastAPI:
    """The app over the warehouse file ``db`` (must exist; opened read-only) with ``region`` as default.

    ``tiles``: an https tile URL template for a basemap (opt-in; the map works without, offline); its origin
    is the only remote source the CSP then allows, for images only."""
    origin = tile_origin(tiles) if tiles else None
    state = ServerState(Path(db), region=region, tiles=tiles, tiles_attribution=tiles_attribution)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        state.close()

    app = FastAPI(lifespan=lifespan, title="critmat API", version=__version__,
                  summary="Critical raw materials in a region: materials, holdings, flows, exposure, capabilities.",
                  description="Read-only. Tables: JSON or CSV (`format=csv`). Every figure names its sources "
                              "(`/api/v1/sources`). Tonnes are metric tonnes of contained material; shares 0..1. "
                              "Errors are problem details (application/problem+json).",
                  openapi_url="/api/v1/openapi.json", docs_url=None, redoc_url=None)
    app.state.critmat = state
    problems.install(app)
    app.include_router(api.router)
    app.mount("/static", _Static(directory=STATIC), name="static")

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> RedirectResponse:
        return RedirectResponse("static/favicon.svg")

    inner = app.build_middleware_stack
    app.build_middleware_stack = lambda: SecurityHeaders(CachedGets(inner(), state), origin)  # type: ignore[method-assign]
    return app


def app_from_env() -> FastAPI:
    """Factory for uvicorn workers: the warehouse and region from ``CRITMAT_SERVE_DB``/``CRITMAT_SERVE_REGION``."""
    return create_app(os.environ["CRITMAT_SERVE_DB"], os.environ.get("CRITMAT_SERVE_REGION", "nh-fl"),
                      tiles=os.environ.get("CRITMAT_SERVE_TILES") or None,
                      tiles_attribution=os.environ.get("CRITMAT_SERVE_TILES_ATTRIBUTION", ""))
