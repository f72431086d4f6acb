"""Telegram delivers an update again when it is not sure it arrived: the real `opora run`, in
webhook mode, answers each update_id once, even after a restart."""

import datetime as dt
import time
from dataclasses import dataclass

import pytest
from aiohttp import ClientSession
from sqlalchemy import insert
from support.fake_telegram import FakeBotAPI
from support.opora import OporaProcess, start_opora, stop

from bot.core.state import ProcessedUpdate
from bot.storage.engine import make_engine

pytestmark = pytest.mark.e2e
CHAT = 701


@dataclass
class Opora:
    api: FakeBotAPI
    tmp_path: object
    process: OporaProcess | None = None
    webhook: dict | None = None

    async def start(self) -> None:
        self.api.calls.clear()
        self.process = await start_opora(
            self.tmp_path, self.api.url, OPORA_TELEGRAM_WEBHOOK_URL="http://127.0.0.1:{port}"
        )
        self.webhook = await self.api.wait_for("setWebhook")

    async def restart(self) -> None:
        assert await stop(self.process) == 0
        await self.start()

    async def delivers(self, update: dict) -> int:
        """Telegram posts an update to the webhook; the HTTP status it gets."""
        async with (
            ClientSession() as http,
            http.post(
                self.webhook["url"],
                json=update,
                headers={"X-Telegram-Bot-Api-Secret-Token": self.webhook["secret_token"]},
            ) as response,
        ):
            return response.status


@pytest.fixture(scope="module")
async def opora(tmp_path_factory):
    api = FakeBotAPI()
    await api.start()
    opora = Opora(api, tmp_path_factory.mktemp("once"))
    await opora.start()
    yield opora
    assert await stop(opora.process) == 0
    await api.stop()


def answers(api: FakeBotAPI) -> list[dict]:
    return [p for m, p in api.delivered if m == "sendMessage" and str(p["chat_id"]) == str(CHAT)]


def start_command(update_id: int) -> dict:
    return {
        "update_id": update_id,
        "message": {
            "message_id": 1,
            "date": int(time.time()),
            "text": "/start",
            "chat": {"id": CHAT, "type": "private"},
            "from": {"id": CHAT, "is_bot": False, "first_name": "Olena", "language_code": "uk"},
        },
    }


async def test_an_update_whose_answer_failed_is_answered_when_telegram_delivers_it_again(opora):
    opora.api.fail_for(CHAT, 60, 502)
    assert await opora.delivers(start_command(9101)) == 500  # so Telegram delivers it again
    assert answers(opora.api) == []
    opora.api.recovers(CHAT)
    assert await opora.delivers(start_command(9101)) == 200
    assert len(answers(opora.api)) == 1


async def test_a_repeated_update_is_answered_once_even_after_a_restart(opora):
    before = len(answers(opora.api))
    assert await opora.delivers(start_command(9001)) == 200
    assert len(answers(opora.api)) == before + 1
    assert await opora.delivers(start_command(9001)) == 200
    assert len(answers(opora.api)) == before + 1

    await opora.restart()
    assert await opora.delivers(start_command(9001)) == 200
    assert len(answers(opora.api)) == before + 1

    assert await opora.delivers(start_command(9002)) == 200  # a new update is answered
    assert len(answers(opora.api)) == before + 2


async def test_an_update_another_worker_is_at_is_left_to_it_and_taken_over_if_that_worker_died(opora):
    """A worker claims an update before handling it. While the claim is fresh, a second delivery
    gets 503 (Telegram tries again later); a claim older than a minute is a dead worker's."""
    engine = make_engine(f"sqlite+aiosqlite:///{opora.tmp_path}/opora.sqlite3")
    now = dt.datetime.now(dt.UTC)
    async with engine.begin() as conn:
        await conn.execute(
            insert(ProcessedUpdate),
            [
                {"channel": "telegram", "key": "9201", "at": now},
                {"channel": "telegram", "key": "9202", "at": now - dt.timedelta(minutes=2)},
            ],
        )
    await engine.dispose()
    before = len(answers(opora.api))
    assert await opora.delivers(start_command(9201)) == 503
    assert len(answers(opora.api)) == before
    assert await opora.delivers(start_command(9202)) == 200
    assert len(answers(opora.api)) == before + 1
    assert await opora.delivers(start_command(9202)) == 200
    assert len(answers(opora.api)) == before + 1
