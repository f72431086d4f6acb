"""What the web server does for every request before any page or API sees it.

- Security headers on every answer (a content policy, no framing, no referrer, no sniffing).
- Changes only from Opora's own pages: a POST that a browser says comes from another origin
  (`Sec-Fetch-Site`, `Origin`) is refused; the pages' own APIs also want a CSRF token bound to
  the session (`X-CSRF-Token`) and a JSON body (`read_json`). Webhooks come from servers, which
  send neither header, and prove themselves with their own signatures.
- JSON bodies are read with a size limit that also holds for chunked bodies, and deep nesting
  is a 400, not a 500.
- Slow clients cannot hold the server: a connection must deliver its request within
  `HEADER_SECONDS`, and beyond `max_connections` new ones are closed at once, so the process never
  runs out of file descriptors (and its log never fills with the errors that follow).
- An error no handler caught is logged by type and place only, never with the client's address
  or what it sent.

aiohttp has no header timeout or connection cap of its own, so those are here.
"""

import asyncio
import contextlib
import json
import logging
import resource
import traceback
from collections.abc import Awaitable, Callable
from typing import cast

from aiohttp import web

from bot.core.i18n import Translator, language

log = logging.getLogger(__name__)

HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
}
HEADER_SECONDS = 10.0  # to deliver a request's head, and between requests on one connection (a setting)
BODY_SECONDS = 10.0  # to deliver a body
CSRF_HEADER = "X-CSRF-Token"


class BadBody(ValueError):
    """Not a JSON body this server takes: `status` says why (400, 413, 415)."""

    def __init__(self, status: int):
        super().__init__(status)
        self.status = status


async def read_json(request: web.Request, max_bytes: int) -> object:
    """The request's JSON, at most `max_bytes` whatever the transfer encoding."""
    if request.content_type != "application/json":
        raise BadBody(415)
    if (request.content_length or 0) > max_bytes:
        raise BadBody(413)
    try:
        raw = await asyncio.wait_for(_read_at_most(request, max_bytes + 1), BODY_SECONDS)
    except TimeoutError:
        raise BadBody(400) from None
    if len(raw) > max_bytes:
        raise BadBody(413)
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        raise BadBody(400) from None


async def _read_at_most(request: web.Request, limit: int) -> bytes:
    parts, size = [], 0
    while size < limit and (part := await request.content.read(limit - size)):
        parts.append(part)
        size += len(part)
    return b"".join(parts)


def secure(request: web.Request) -> bool:
    """Served over HTTPS, here or at a reverse proxy in front: cookies get the Secure flag."""
    return request.secure or request.headers.get("X-Forwarded-Proto", "").lower() == "https"


def same_origin(request: web.Request) -> bool:
    """Not sent by a page of another origin. A browser's Sec-Fetch-Site cannot be forged by a
    page; without it (an older browser, or a server: a webhook) Origin, when given, must be ours."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site in ("same-origin", "none")
    origin = request.headers.get("Origin")
    return origin is None or origin.split("://", 1)[-1].rstrip("/") == request.host


class Guard:
    def __init__(self, max_connections: int | None = None, head_seconds: float = HEADER_SECONDS):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft < hard:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # all the process may have
            soft = hard
        # Room for the database, Redis and the log beside the connections.
        self.max_connections = max_connections or max(64, soft - 128)
        self._since: dict[asyncio.Transport, float] = {}  # connections awaiting a request
        self._busy: set[asyncio.Transport] = set()
        self.refused = 0
        self.head_seconds = head_seconds

    @web.middleware
    async def middleware(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        transport = request.transport
        if transport is not None:
            self._busy.add(transport)
        try:
            if request.method not in ("GET", "HEAD", "OPTIONS") and not same_origin(request):
                _ = Translator(language(request.headers.get("Accept-Language")) or "bg")
                response: web.StreamResponse = web.json_response(
                    {"error": _("This request did not come from Opora's own page. Please reload the page.")}, status=403
                )
            else:
                response = await handler(request)
        except web.HTTPException as answer:
            response = answer
        except asyncio.CancelledError:
            raise
        except Exception as error:  # by type and place only: no address, no message text
            where = traceback.extract_tb(error.__traceback__)[-1]
            log.error(
                "unhandled %s in %s %s at %s:%d",
                type(error).__name__,
                request.method,
                request.path,
                where.filename,
                where.lineno,
            )
            response = web.json_response({"error": "internal error"}, status=500)
        finally:
            if transport is not None:
                self._busy.discard(transport)
                if transport in self._since:
                    self._since[transport] = asyncio.get_running_loop().time()
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    def protocol(self, server: web.Server) -> Callable[[], asyncio.Protocol]:
        """`server`'s protocol factory, with the connection cap and the head timeout."""
        return lambda: _Counted(server(), self)

    async def watch(self, stop: asyncio.Event) -> None:
        """Close connections that have sent no complete request head in time."""
        loop = asyncio.get_running_loop()
        while not stop.is_set():
            now = loop.time()
            for transport, since in list(self._since.items()):
                if transport not in self._busy and now - since > self.head_seconds:
                    self._since.pop(transport, None)
                    transport.abort()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 1.0)


class _Counted(asyncio.Protocol):
    """aiohttp's protocol for one connection, counted and timed by the guard."""

    def __init__(self, inner: asyncio.Protocol, guard: Guard):
        self.inner, self.guard = inner, guard
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport = cast(asyncio.Transport, transport)  # a TCP connection's (uvloop's is no subclass of it)
        if len(self.guard._since) >= self.guard.max_connections:
            self.guard.refused += 1
            transport.abort()
            return
        self.transport = transport
        self.guard._since[transport] = asyncio.get_running_loop().time()
        self.inner.connection_made(transport)

    def connection_lost(self, error: Exception | None) -> None:
        if self.transport is None:
            return  # refused: aiohttp never saw it
        self.guard._since.pop(self.transport, None)
        self.guard._busy.discard(self.transport)
        self.inner.connection_lost(error)

    def data_received(self, data: bytes) -> None:
        self.inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self.inner.eof_received()

    def pause_writing(self) -> None:
        self.inner.pause_writing()

    def resume_writing(self) -> None:
        self.inner.resume_writing()


class GuardedSite(web.TCPSite):
    """A TCP site whose connections go through the guard."""

    def __init__(self, runner: web.AppRunner, guard: Guard, host: str, port: int):
        super().__init__(runner, host, port, backlog=1024)
        self.guard = guard

    async def start(self) -> None:
        await web.BaseSite.start(self)
        server = self._runner.server
        assert server is not None  # set up before any site starts, as aiohttp's TCPSite asserts too
        self._server = await asyncio.get_running_loop().create_server(
            self.guard.protocol(server), self._host, self._port, backlog=self._backlog
        )
