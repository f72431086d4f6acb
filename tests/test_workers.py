"""Two workers on PostgreSQL and Redis, in webhook mode, as behind a load balancer: each update is
answered once, even when Telegram delivers it to both."""

import asyncio
import itertools
import random
import time

import pytest
from aiohttp import ClientSession
from support.databases import POSTGRES_URL, REDIS_URL, empty_postgres
from support.fake_telegram import FakeBotAPI
from support.opora import telegram_opora

pytestmark = [pytest.mark.e2e, pytest.mark.filterwarnings("ignore::ResourceWarning")]


def script(chat_id: int, ids) -> list[dict]:
    """What one person does: start, ask, browse, back to the menu."""
    person = {"id": chat_id, "is_bot": False, "first_name": "Olena", "language_code": "uk"}
    chat = {"id": chat_id, "type": "private"}

    def message(words: str) -> dict:
        return {
            "update_id": next(ids),
            "message": {"message_id": next(ids), "date": int(time.time()), "chat": chat, "from": person, "text": words},
        }

    def press(data: str) -> dict:
        return {
            "update_id": next(ids),
            "callback_query": {
                "id": str(next(ids)),
                "from": person,
                "chat_instance": "1",
                "data": data,
                "message": {"message_id": 1, "date": int(time.time()), "chat": chat},
            },
        }

    return [message("/start"), message("гарячий обід для бабусі в Казанлику"), press("browse"), press("menu")]


async def test_two_workers_answer_each_update_once(tmp_path):
    await empty_postgres()
    api = FakeBotAPI()
    api_url = await api.start()
    workers = []
    for name in ("first", "second"):
        (tmp_path / name).mkdir()
        workers.append(
            telegram_opora(
                tmp_path / name,
                api_url,
                OPORA_DATABASE_URL=POSTGRES_URL,
                OPORA_REDIS_URL=REDIS_URL,
                OPORA_TELEGRAM_WEBHOOK_URL="http://127.0.0.1:{port}",
            )
        )
    await asyncio.gather(*(w.start() for w in workers))  # both create the schema at once
    ports = [w.port for w in workers]
    try:
        async with ClientSession() as http:
            secret = (await api.wait_for("setWebhook"))["secret_token"]

            async def deliver(update: dict, port: int) -> None:
                while True:  # as Telegram: a 503 (the other worker is at it) is delivered again later
                    async with http.post(
                        f"http://127.0.0.1:{port}/telegram",
                        json=update,
                        headers={"X-Telegram-Bot-Api-Secret-Token": secret},
                    ) as response:
                        if response.status != 503:
                            assert response.status == 200
                            return
                    await asyncio.sleep(0.1)

            async def person(chat_id: int, twice: bool) -> None:
                for update in script(chat_id, ids):
                    if twice:  # Telegram retried: the same update reaches both workers at once
                        await asyncio.gather(*(deliver(update, port) for port in ports))
                    else:
                        await deliver(update, random.choice(ports))

            ids = itertools.count(10_000)
            once, twice = range(7001, 7011), range(8001, 8011)
            await asyncio.gather(*(person(c, False) for c in once), *(person(c, True) for c in twice))

        def answers(chat_id: int) -> int:
            return sum(1 for m, p in api.delivered if m == "sendMessage" and str(p.get("chat_id")) == str(chat_id))

        expected = answers(once[0])
        assert expected >= 4
        assert [answers(c) for c in [*once, *twice]] == [expected] * 20
    finally:
        assert await asyncio.gather(*(w.stop() for w in workers)) == [0, 0]
        await api.stop()
