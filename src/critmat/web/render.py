"""Render service results as HTTP responses: JSON tables, CSV downloads, documents and GeoJSON, each with
an ETag and cache headers keyed on the warehouse build id (and served from a bounded in-memory cache).

A table is the service's frame in an envelope that keeps its metadata: ``title``, ``caption``, ``units``
(column -> unit), ``sources`` (source ids), ``params`` (the parameters actually used), ``columns``, ``rows``.
``?format=csv`` (or ``Accept: text/csv``) returns the bare frame as CSV, full precision.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import inspect
import json
import math
import re
from collections.abc import Callable
from typing import Any, Literal

import numpy as np
import pandas as pd
from fastapi import Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from critmat.web.state import ServerState

Format = Literal["json", "csv"]
Kind = Literal["table", "doc", "geojson"]
CACHE_CONTROL = "public, max-age=300, must-revalidate"
GEOJSON = "application/geo+json"


class Table(BaseModel):
    """A table: the frame of a service result with its metadata."""

    title: str = ""
    caption: str = ""
    units: dict[str, str] = Field(default_factory=dict, description="column -> unit")
    sources: list[str] = Field(default_factory=list, description="source ids (see /api/v1/sources)")
    params: dict[str, Any] = Field(default_factory=dict, description="parameters actually used")
    columns: list[str]
    rows: list[dict[str, Any]]
    build: str = Field(description="warehouse build id the table comes from")


class Document(BaseModel):
    """A JSON document of a service result (e.g. a material profile)."""

    model_config = {"extra": "allow"}


TABLE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {"schema": {"type": "string"}}},
          "description": "The table as JSON (default) or CSV (`format=csv` or `Accept: text/csv`)"},
    304: {"description": "Not modified (If-None-Match matched the ETag)"},
}
GEO_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {GEOJSON: {"schema": {"type": "object"}}}, "description": "A GeoJSON FeatureCollection"},
    304: {"description": "Not modified (If-None-Match matched the ETag)"},
}
DOC_RESPONSES: dict[int | str, dict[str, Any]] = {304: {"description": "Not modified"}}


def wants_csv(request: Request, fmt: Format | None) -> bool:
    if fmt is not None:
        return fmt == "csv"
    accept = request.headers.get("accept", "")
    return "text/csv" in accept and "application/json" not in accept


def _plain(value: Any) -> Any:
    """JSON-safe value: numpy scalars to Python, NaN/inf to None, dates to ISO strings, tuples to lists."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if value is pd.NaT:
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "model_dump"):
        return _plain(value.model_dump(mode="json"))
    return str(value)


def frame_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows of a frame as JSON-safe dicts (NaN as null, full precision)."""
    return json.loads(frame.to_json(orient="records", date_format="iso", double_precision=15,
                                    default_handler=str))


def table_json(result: Any, build: str) -> dict[str, Any]:
    frame: pd.DataFrame = result.frame
    return {"title": getattr(result, "title", "") or "", "caption": getattr(result, "caption", "") or "",
            "units": {str(k): str(v) for k, v in (getattr(result, "units", None) or {}).items()},
            "sources": [str(s) for s in (getattr(result, "sources", None) or [])],
            "params": _plain(dict(getattr(result, "params", None) or {})),
            "columns": [str(c) for c in frame.columns], "rows": frame_rows(frame), "build": build}


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:80] or "table"


def _today() -> str:
    return dt.date.today().isoformat()


def request_key(build: str, method: str, path: str, query: list[tuple[str, str]], accept: str,
                extra: str = "") -> str:
    """The raw key of a request: build, day, method, path, sorted query, representation (json|csv), extra.

    The day is part of every key because some answers depend on it (controls in force today)."""
    q = "&".join(f"{k}={v}" for k, v in sorted(query))
    fmt = dict(query).get("format")
    csv = fmt == "csv" if fmt else ("text/csv" in accept and "application/json" not in accept)
    return f"{build}|{_today()}|{method}|{path}?{q}|{'csv' if csv else 'json'}|{extra}"


def cache_key(state: ServerState, request: Request, extra: str = "") -> str:
    from starlette.routing import get_route_path

    return request_key(state.build_id, request.method, get_route_path(request.scope),
                       request.query_params.multi_items(), request.headers.get("accept", ""), extra)


_SIGNATURES: dict[Any, tuple[str, ...]] = {}
_NOT_PARAMS = {"request", "fmt"}


def _param_names(endpoint: Any) -> tuple[str, ...]:
    names = _SIGNATURES.get(endpoint)
    if names is None:
        names = _SIGNATURES[endpoint] = tuple(n for n in inspect.signature(endpoint).parameters
                                              if n not in _NOT_PARAMS)
    return names


def canonical_key(build: str, request: Request, args: dict[str, Any], csv: bool) -> str:
    """The cache key of an answer: build, day, the route (path template) and its **validated** parameters
    (defaults filled in, types coerced), and the representation; ``?draws=1000`` and no ``draws`` (its
    default) share one entry, ETag and computation."""
    route = request.scope.get("route")
    endpoint = request.scope.get("endpoint")
    names = _param_names(endpoint) if endpoint is not None else tuple(sorted(args))
    params = {n: _plain(args[n]) for n in names if n in args}
    template = getattr(route, "path", request.scope["path"])
    return (f"{build}|{_today()}|{request.method}|{template}|"
            f"{json.dumps(params, sort_keys=True, separators=(',', ':'))}|{'csv' if csv else 'json'}")


def response_headers(state: ServerState, etag: str, cacheable: bool = True) -> dict[str, str]:
    return {"ETag": etag, "Cache-Control": CACHE_CONTROL if cacheable else "no-store",
            "X-Critmat-Build": state.build_id}


def not_modified(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
    return etag in tags or "*" in tags


def etag_of(key: str) -> str:
    return '"' + hashlib.sha256(key.encode()).hexdigest()[:24] + '"'


def respond(request: Request, state: ServerState, produce: Callable[[], Any] | None = None, *,
            job: tuple[Callable[..., Any], dict[str, Any]] | None = None, kind: Kind = "table",
            fmt: Format | None = None, name: str = "table", args: dict[str, Any] | None = None,
            cacheable: bool = True) -> Response:
    """Compute the answer unless the client or the cache already has it; render it.

    The answer is ``produce()`` (a cheap call, in this process) or ``job = (fn, params)``: a function of
    :mod:`critmat.web.jobs` called as ``fn(wh, **params)`` in the server's pool of compute processes when it
    has one (else in this process), so a long computation never holds this process's interpreter.

    ``kind``: ``table`` (a service Result with a frame: JSON envelope or CSV), ``doc`` (a Result's ``doc`` or a
    plain mapping, as JSON) or ``geojson`` (a FeatureCollection mapping). ``args``: the route's validated
    parameters (pass ``locals()``; only the route's own parameters are used), the cache key of the answer.
    ``cacheable``: False for answers HTTP caches must not keep (a POST): no ETag revalidation, ``no-store``;
    the server still keeps the rendered answer, so the same request is not computed twice.

    Answers are computed once per key at a time (concurrent requests for it wait for the first) and at
    most ``state.max_compute`` at once (a request waits for a slot; after ``state.compute_wait`` seconds,
    a 503 problem with Retry-After).
    """
    csv = kind == "table" and wants_csv(request, fmt)
    build = state.build_id
    raw = cache_key(state, request)
    key = canonical_key(build, request, args, csv) if args is not None else raw
    etag = etag_of(key)
    headers = response_headers(state, etag, cacheable)
    if cacheable and not_modified(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    hit = state.lookup(key)
    if hit is None:
        with state.single_flight(key):
            hit = state.lookup(key)
            if hit is None:
                with state.compute_slot(), state.using():
                    if job is not None and state.pool is not None:
                        body, media, extra_headers = state.run_job(job[0], job[1], kind, csv, name, build)
                    else:
                        result = produce() if produce is not None else job[0](state.warehouse(), **job[1])  # type: ignore[index]
                        body, media, extra_headers = render(result, kind, csv, name, build)
                state.remember(key, body, media, extra_headers, aliases=(raw,))
                return Response(body, media_type=media, headers={**headers, **extra_headers})
    body, media, extra_headers = hit[1]
    state.alias(raw, key)  # this request's spelling leads to the answer next time (before routing)
    return Response(body, media_type=media, headers={**headers, **extra_headers})


def render(result: Any, kind: Kind, csv: bool, name: str, build: str) -> tuple[bytes, str, dict[str, str]]:
    extra_headers: dict[str, str] = {}
    if kind == "table" and csv:
        body = result.frame.to_csv(index=False, lineterminator="\n").encode("utf-8")
        media = "text/csv; charset=utf-8"
        extra_headers["Content-Disposition"] = f'attachment; filename="{_slug(name)}.csv"'
    elif kind == "table":
        body = json.dumps(table_json(result, build), allow_nan=False, separators=(",", ":")).encode()
        media = "application/json"
    else:
        doc = result.doc if hasattr(result, "doc") else result
        body = json.dumps(_plain(doc), allow_nan=False, separators=(",", ":")).encode()
        media = GEOJSON if kind == "geojson" else "application/json"
    return body, media, extra_headers


# ------------------------------------------------------------------------------------------------ WKT
_NUM = r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?"


def _coords(text: str) -> Any:
    """Nested coordinate lists of a WKT body: ``(1 2, 3 4)`` → ``[[1, 2], [3, 4]]`` (any depth)."""
    import re as _re

    out: list = []
    stack = [out]
    for tok in _re.finditer(rf"\(|\)|{_NUM}(?:\s+{_NUM})+", text):
        t = tok.group()
        if t == "(":
            new: list = []
            stack[-1].append(new)
            stack.append(new)
        elif t == ")":
            stack.pop()
        else:
            stack[-1].append([float(v) for v in t.split()[:2]])
    return out[0] if out else []


def wkt_geometry(wkt: str | None) -> dict[str, Any] | None:
    """A GeoJSON geometry from WKT (POINT, LINESTRING, POLYGON, MULTIPOLYGON, MULTILINESTRING); a
    representation change for the map (Leaflet reads GeoJSON), nothing is computed. None when empty."""
    if not wkt or not isinstance(wkt, str):
        return None
    kind = wkt.strip().split("(", 1)[0].strip().upper()
    body = _coords(wkt[wkt.index("("):]) if "(" in wkt else []
    if kind == "POINT":
        return {"type": "Point", "coordinates": body[0]} if body else None
    names = {"LINESTRING": "LineString", "POLYGON": "Polygon", "MULTIPOLYGON": "MultiPolygon",
             "MULTILINESTRING": "MultiLineString", "MULTIPOINT": "MultiPoint"}
    if kind not in names:
        return None
    return {"type": names[kind], "coordinates": body}


def frame_geojson(frame: pd.DataFrame, wkt_column: str = "geometry_wkt") -> dict[str, Any]:
    """A FeatureCollection of a frame with a WKT column (the other columns become properties)."""
    props = [c for c in frame.columns if c != wkt_column]
    rows = frame_rows(frame[props])
    return {"type": "FeatureCollection",
            "features": [{"type": "Feature", "geometry": wkt_geometry(w), "properties": r}
                         for w, r in zip(frame[wkt_column], rows)]}
