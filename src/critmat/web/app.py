"""The ASGI app: the API router, the dashboard's static files, security headers and problem details.

``create_app(db, region)`` serves one warehouse file, opened read-only. ``app_from_env()`` is the factory
uvicorn's workers import (``critmat serve --workers N``): it reads ``CRITMAT_SERVE_DB`` and
``CRITMAT_SERVE_REGION`` (``CRITMAT_SERVE_WARM=0`` skips rendering the default answers at start-up,
``CRITMAT_SERVE_PROCESSES`` sets the compute processes of each worker, default 2).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.resources import files
from pathlib import Path
from typing import Any

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


def default_requests(region: str) -> list[str]:
    """The API requests the dashboard makes when its pages open with their default controls (rendered into
    the response cache at start-up, so a first visitor does not wait for them)."""
    r = f"/api/v1/regions/{region}"
    return ["/api/v1/regions", "/api/v1/materials?list=crm2023", "/api/v1/materials?list=all",
            f"{r}/assets", f"{r}/companies", f"{r}/boundaries", f"{r}/stock?by=material",
            f"{r}/stock?by=municipality&draws=0", "/api/v1/scenarios",
            f"{r}/flows?scenario=baseline&material=neodymium&draws=200",
            f"{r}/flows?scenario=baseline&draws=0&by=material", "/api/v1/shocks",
            f"{r}/capabilities", f"{r}/streams", f"{r}/matches?top=5", f"{r}/policy", f"{r}/policy/indicators",
            f"/api/v1/risk?region={region}", "/api/v1/sources", "/api/v1/provenance", f"{r}/coverage",
            "/api/v1/materials/gallium", f"{r}/stock?by=asset_class&material=gallium", f"{r}/provinces"]


async def _get(app: Any, url: str) -> int:
    """GET ``url`` through the whole app in this process (middleware, validation, route); the status."""
    path, _, query = url.partition("?")
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
             "path": path, "raw_path": path.encode(), "root_path": "", "query_string": query.encode(),
             "headers": [(b"host", b"localhost"), (b"accept", b"application/json")], "client": ("127.0.0.1", 0),
             "server": ("127.0.0.1", 0)}
    status = 0

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


async def warm(app: Any, urls: list[str]) -> dict[str, int]:
    """Render ``urls`` one after the other (best effort: a failure is the request's own problem detail)."""
    out = {}
    for url in urls:
        try:
            out[url] = await _get(app, url)
        except Exception:  # noqa: BLE001 - warming must never take the server down
            out[url] = 0
    return out


def create_app(db: str | Path, region: str = "nh-fl", tiles: str | None = None,
               tiles_attribution: str = "", warm_cache: bool = False, compute_processes: int = 0) -> FastAPI:
    """The app over the warehouse file ``db`` (must exist; opened read-only) with ``region`` as default.

    ``tiles``: an https tile URL template for a basemap (opt-in; the map works without, offline); its origin
    is the only remote source the CSP then allows, for images only. ``warm_cache``: at start-up, render the
    dashboard's default answers (:func:`default_requests`) in the background. ``compute_processes``: compute
    answers in that many processes (started with the app, :meth:`ServerState.start_pool`) so a long computation
    never stalls the server's event loop; 0 computes in the server process."""
    origin = tile_origin(tiles) if tiles else None
    state = ServerState(Path(db), region=region, tiles=tiles, tiles_attribution=tiles_attribution)

    @asynccontextmanager
    async def lifespan(app_: FastAPI) -> AsyncIterator[None]:
        async def warm_up() -> None:
            await warm(app_, default_requests(region))
            state.warm = True

        state.warm = not warm_cache
        state.start_pool(compute_processes)
        task = asyncio.create_task(warm_up()) if warm_cache else None
        yield
        if task is not None:
            task.cancel()
        state.stop_pool()
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
    """Factory for uvicorn workers: the warehouse and region from ``CRITMAT_SERVE_DB``/``CRITMAT_SERVE_REGION`` (``CRITMAT_SERVE_WARM=0`` skips rendering the default answers at start-up,
``CRITMAT_SERVE_PROCESSES`` sets the compute processes of each worker, default 2)."""
    return create_app(os.environ["CRITMAT_SERVE_DB"], os.environ.get("CRITMAT_SERVE_REGION", "nh-fl"),
                      tiles=os.environ.get("CRITMAT_SERVE_TILES") or None,
                      tiles_attribution=os.environ.get("CRITMAT_SERVE_TILES_ATTRIBUTION", ""),
                      warm_cache=os.environ.get("CRITMAT_SERVE_WARM", "1") != "0",
                      compute_processes=int(os.environ.get("CRITMAT_SERVE_PROCESSES", "2")))
