"""Errors as RFC 9457 problem details (``application/problem+json``), never a traceback.

A :class:`~critmat.errors.UnknownIdError` is a 404, any other :class:`~critmat.errors.CritmatError` (a bad
scenario, shock or parameter) a 422, a request that fails validation a 422 listing each parameter and rule,
and anything unexpected a 500 whose detail says only that (the traceback goes to the server log).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from critmat.errors import CritmatError, UnknownIdError
from critmat.web.state import Busy

PROBLEM = "application/problem+json"
log = logging.getLogger("critmat.web")


class ParamError(BaseModel):
    """One invalid parameter: where (``query.draws``), the rule broken and the value given."""

    loc: str
    msg: str
    value: Any = None


class Problem(BaseModel):
    """A problem detail (RFC 9457)."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[ParamError] | None = None


def problem(status: int, title: str, detail: str, request: Request | None = None,
            errors: list[dict[str, Any]] | None = None, headers: dict[str, str] | None = None) -> JSONResponse:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status, "detail": detail,
                            "instance": request.url.path if request is not None else None}
    if errors is not None:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def _plain(value: Any) -> Any:
    """A JSON-safe echo of a rejected value (short)."""
    if value is None or isinstance(value, (bool, int, float)):
        return value
    text = str(value)
    return text if len(text) <= 200 else text[:200] + "…"


def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = []
    for e in exc.errors():
        loc = ".".join(str(p) for p in e.get("loc", ()))
        errors.append({"loc": loc, "msg": e.get("msg", "invalid"), "value": _plain(e.get("input"))})
    detail = "; ".join(f"{e['loc']}: {e['msg']}" for e in errors) or "invalid request"
    return problem(422, "Invalid parameter", detail, request, errors)


RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {"model": Problem, "description": "Unknown id (material, region, scenario ...)",
          "content": {PROBLEM: {}}},
    422: {"model": Problem, "description": "A parameter is invalid or beyond its bounds", "content": {PROBLEM: {}}},
    503: {"model": Problem, "description": "Every compute slot stayed busy; retry after the Retry-After seconds",
          "content": {PROBLEM: {}}},
}
"""OpenAPI ``responses`` for every API route: errors are documented as problem details."""

BODY_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem, "description": "The body is not JSON (a body that is JSON but breaks the rules: 422)",
          "content": {PROBLEM: {}}},
}
"""OpenAPI ``responses`` added for routes that take a request body."""


def install(app: FastAPI) -> None:
    """Register the handlers that turn every error into a problem detail."""

    @app.exception_handler(RequestValidationError)
    async def on_validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        return _validation(request, exc)

    @app.exception_handler(ValidationError)
    async def on_model_validation(request: Request, exc: ValidationError) -> JSONResponse:
        errors = [{"loc": ".".join(str(p) for p in e.get("loc", ())), "msg": e.get("msg", "invalid"),
                   "value": _plain(e.get("input"))} for e in exc.errors()]
        return problem(422, "Invalid parameter", "; ".join(f"{e['loc']}: {e['msg']}" for e in errors), request,
                       errors)

    @app.exception_handler(UnknownIdError)
    async def on_unknown(request: Request, exc: UnknownIdError) -> JSONResponse:
        return problem(404, "Not found", " ".join(str(exc).split()), request)

    @app.exception_handler(Busy)
    async def on_busy(request: Request, exc: Busy) -> JSONResponse:
        return problem(503, "Busy", str(exc), request, headers={"Retry-After": "5"})

    @app.exception_handler(CritmatError)
    async def on_critmat(request: Request, exc: CritmatError) -> JSONResponse:
        return problem(422, "Cannot compute this request", " ".join(str(exc).split()), request)

    @app.exception_handler(StarletteHTTPException)
    async def on_http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        titles = {404: "Not found", 405: "Method not allowed", 406: "Not acceptable", 304: "Not modified"}
        return problem(exc.status_code, titles.get(exc.status_code, "HTTP error"), str(exc.detail), request,
                       headers=dict(exc.headers or {}))

    @app.exception_handler(Exception)
    async def on_bug(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return problem(500, "Internal error", "the server failed on this request; the error is in its log",
                       request)
