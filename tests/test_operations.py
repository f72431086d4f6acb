"""What an operator sees: health, readiness, metrics and logs without personal data."""

import json

import pytest
from aiohttp import ClientSession, web
from aiohttp.test_utils import TestClient, TestServer
from support.web_visitor import Visitor, WebOpora

from bot.metrics import Metrics
from bot.operations import Operations
from bot.storage.engine import make_engine, sessions

pytestmark = [pytest.mark.e2e, pytest.mark.filterwarnings("ignore::ResourceWarning")]


async def test_health_metrics_and_json_logs_without_personal_data(tmp_path):
    opora = await WebOpora(tmp_path, OPORA_LOG_FORMAT="json").start()
    olena = Visitor(opora)
    try:
        async with ClientSession() as http:
            async with http.get(opora.url + "/healthz") as response:
                assert response.status == 200
            async with http.get(opora.url + "/readyz") as response:
                assert response.status == 200 and (await response.json())["database"] == "ok"

            await olena.says("/start")
            await olena.says("Де отримати гарячий обід у Казанлику? Мій телефон +380671234567")
            await olena.taps("Знайти послугу")

            async with http.get(opora.url + "/metrics") as response:
                metrics = await response.text()
        assert 'opora_updates_total{channel="web",kind="text"} 2.0' in metrics
        assert 'opora_updates_total{channel="web",kind="button"} 1.0' in metrics
        assert 'opora_answers_total{intent="search"} 1.0' in metrics
        assert 'opora_turn_seconds_count{kind="text"} 2.0' in metrics
        assert 'opora_outbox_messages{status="pending"}' in metrics and "opora_outbox_lag_seconds" in metrics
    finally:
        await olena.close()
        assert await opora.stop() == 0

    lines = opora.log.read_text(encoding="utf-8").splitlines()
    entries = [json.loads(line) for line in lines]  # every line is one JSON object
    assert any(e.get("path") == "/api/messages" and e.get("status") == 200 for e in entries)
    everything = "\n".join(lines)
    link = opora.first_admin_link().partition("#")[2]  # the first admin's one-time link
    for private in ("гарячий обід", "380671234567", link, "127.0.0.1 ["):
        assert private not in everything


async def test_not_ready_while_the_database_is_away():
    away = make_engine("postgresql+asyncpg://postgres@127.0.0.1:9/none")  # nothing listens on port 9
    http = web.Application()
    Operations(sessions(away), Metrics()).register(http)
    async with TestClient(TestServer(http)) as client:
        assert (await client.get("/healthz")).status == 200
        response = await client.get("/readyz")
        assert response.status == 503 and (await response.json())["database"] != "ok"
        assert (await client.get("/metrics")).status == 200  # counters are readable all the same
    await away.dispose()
