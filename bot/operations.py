"""What operators see: /healthz, /readyz, Prometheus /metrics, and structured logs that carry no
personal data (no message texts, no query strings, no addresses)."""

import asyncio
import datetime as dt
import json
import logging
import time
from collections.abc import Awaitable

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from redis.asyncio import Redis
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.helpdesk.desk import OPEN
from bot.helpdesk.models import HelpRequest, OutboxMessage, aware
from bot.metrics import Metrics

log = logging.getLogger(__name__)


class Operations:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], metrics: Metrics, redis: "Redis[bytes] | None" = None
    ):
        self.sessions = sessions
        self.metrics = metrics
        self.redis = redis

    def register(self, http: web.Application) -> None:
        http.router.add_get("/healthz", self.healthz)
        http.router.add_get("/readyz", self.readyz)
        http.router.add_get("/metrics", self.scrape)

    async def healthz(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def readyz(self, request: web.Request) -> web.Response:
        """Ready when the database (and Redis, when configured) answer."""
        checks: dict[str, Awaitable[object]] = {"database": self._database()}
        if self.redis is not None:
            checks["redis"] = self.redis.ping()
        results = {}
        for name, check in checks.items():
            try:
                await asyncio.wait_for(check, 2)
                results[name] = "ok"
            except Exception as error:
                results[name] = type(error).__name__
        ready = all(v == "ok" for v in results.values())
        return web.json_response({"status": "ready" if ready else "not ready", **results}, status=200 if ready else 503)

    async def scrape(self, request: web.Request) -> web.Response:
        try:
            await self.measure()
        except Exception:  # the database may be away; the counters are still worth reading
            log.warning("could not measure the queues for /metrics")
        return web.Response(body=generate_latest(self.metrics.registry), headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def measure(self) -> None:
        async with self.sessions() as session:
            by_status = dict(
                (await session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status))).all()
            )
            oldest = await session.scalar(
                select(func.min(OutboxMessage.created_at)).where(OutboxMessage.status == "pending")
            )
            by_queue = dict(
                (
                    await session.execute(
                        select(HelpRequest.queue_id, func.count())
                        .where(HelpRequest.status.in_(OPEN))
                        .group_by(HelpRequest.queue_id)
                    )
                ).all()
            )
        for status in ("pending", "sending", "sent", "unreachable", "failed"):
            self.metrics.outbox.labels(status).set(by_status.get(status, 0))
        lag = (dt.datetime.now(dt.UTC) - aware(oldest)).total_seconds() if oldest else 0.0
        self.metrics.outbox_lag.set(max(0.0, lag))
        self.metrics.open_requests.clear()
        for queue, n in by_queue.items():
            self.metrics.open_requests.labels(queue).set(n)

    async def _database(self) -> None:
        async with self.sessions() as session:
            await session.execute(text("SELECT 1"))


class AccessLogger(AbstractAccessLogger):
    """Method, path without its query (a staff token or a session may be in it), status and time;
    never the client's address."""

    # Long polls come every 25 s from every open page, and Telegram's updates by the hundred a
    # second under load: one line each would bury the rest (and cost more than the update).
    QUIET = frozenset({"/api/inbox", "/staff/api/inbox", "/healthz", "/telegram", "/viber"})

    def log(self, request: web.BaseRequest, response: web.StreamResponse, duration: float) -> None:
        if request.path in self.QUIET and response.status < 400:
            return
        self.logger.info(
            "%s %s %s",
            request.method,
            request.path,
            response.status,
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status,
                "duration_ms": round(duration * 1000, 1),
            },
        )


class JsonFormatter(logging.Formatter):
    """One JSON object per line. Only the message and fields given on purpose are written."""

    FIELDS = ("method", "path", "status", "duration_ms", "channel", "outbox_id", "request_id")

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry |= {f: getattr(record, f) for f in self.FIELDS if hasattr(record, f)}
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(json_lines: bool) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(
        JsonFormatter() if json_lines else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)
    logging.getLogger("pymorphy3").setLevel(logging.WARNING)  # "loading dictionaries", at every start
    logging.getLogger("aiogram.event").setLevel(logging.WARNING)  # "Update id=… is handled", for each one
