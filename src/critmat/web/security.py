"""Security headers for every response (pure ASGI middleware, so it also covers errors and static files).

The Content-Security-Policy allows nothing remote: scripts, styles, images, fonts and fetches come from the
server itself (``'self'``); no inline script or style, no eval, no framing (``frame-ancestors 'none'``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]]

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
       "connect-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")

SECURITY_HEADERS: list[tuple[bytes, bytes]] = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"geolocation=(), camera=(), microphone=(), payment=(), usb=()"),
]


class SecurityHeaders:
    """Add :data:`SECURITY_HEADERS` to every HTTP response (replacing any of the same name)."""

    def __init__(self, app: ASGIApp, tiles_origin: str | None = None) -> None:
        self.app = app
        self._names = {name for name, _ in SECURITY_HEADERS}
        self._headers = SECURITY_HEADERS
        if tiles_origin:  # opt-in basemap (`critmat serve --tiles URL`): its origin may serve images, nothing else
            csp = CSP.replace("img-src 'self' data:", f"img-src 'self' data: {tiles_origin}")
            self._headers = [(b"content-security-policy", csp.encode())] + SECURITY_HEADERS[1:]

    async def __call__(self, scope: Scope, receive: Callable[[], Awaitable[Message]],
                       send: Callable[[Message], Awaitable[None]]) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in self._names]
                message["headers"] = headers + self._headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class CachedGets:
    """Look at the warehouse file first (:meth:`ServerState.refresh`: a new build drops every cached answer),
    then answer a GET of ``/api/v1`` from the server's response cache before routing (no validation, no
    thread hop): only the request keys of answers a route rendered earlier are in the cache, so every
    parameter was validated then. Everything else goes to the app."""

    def __init__(self, app: ASGIApp, state: object) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Callable[[], Awaitable[Message]],
                       send: Callable[[Message], Awaitable[None]]) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        st = self.state
        st.refresh()  # type: ignore[attr-defined]
        from starlette.routing import get_route_path

        path = get_route_path(scope)  # without the --root-path prefix (uvicorn puts it in front of the path)
        if scope["method"] != "GET" or not path.startswith("/api/v1/"):
            await self.app(scope, receive, send)
            return
        from urllib.parse import parse_qsl

        from critmat.web.render import etag_of, not_modified, request_key, response_headers

        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        key = request_key(st.build_id, "GET", path, query, headers.get("accept", ""))  # type: ignore[attr-defined]
        hit = None if st.swapping else st.lookup(key)  # type: ignore[attr-defined]
        if hit is None:
            await self.app(scope, receive, send)
            return
        canon, (body, media, extra) = hit
        etag = etag_of(canon)
        out = {**response_headers(st, etag), **extra}  # type: ignore[arg-type]
        if not_modified(headers.get("if-none-match"), etag):
            status, body = 304, b""
        else:
            status = 200
            out["content-type"] = media
            out["content-length"] = str(len(body))
        await send({"type": "http.response.start", "status": status,
                    "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in out.items()]})
        await send({"type": "http.response.body", "body": body})


def tile_origin(url: str) -> str:
    """The origin (``https://host[:port]``) of a tile URL template such as
    ``https://tile.openstreetmap.org/{z}/{x}/{y}.png``; only https is accepted."""
    from urllib.parse import urlsplit

    from critmat.errors import CritmatError

    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname or any(c in parts.netloc for c in "{}'\" ;"):
        raise CritmatError(f"--tiles {url!r}: expected an https URL template like "
                           "https://tile.example.org/{z}/{x}/{y}.png")
    return f"https://{parts.netloc}"
