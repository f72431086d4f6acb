"""Whole conversations over Viber: signed requests to the real `opora run`, replies to a fake Viber API."""

import json
import time

import pytest
from support.fake_viber import FakeViberAPI, ViberUser, texts
from support.opora import OporaProcess

pytestmark = pytest.mark.e2e
TOKEN = "viber-test-token"


@pytest.fixture(scope="module")
async def viber(tmp_path_factory):
    api = FakeViberAPI()
    opora = await OporaProcess(
        tmp_path_factory.mktemp("viber"),
        OPORA_VIBER_TOKEN=TOKEN,
        OPORA_VIBER_API_URL=await api.start(),
        OPORA_VIBER_WEBHOOK_URL="https://opora.example.org",
    ).start()
    api.webhook = await api.wait_for("set_webhook")
    api.url = f"{opora.url}/viber"
    yield api
    assert await opora.stop() == 0
    await api.stop()


def user(api, user_id: str, language: str) -> ViberUser:
    return ViberUser(api, api.url, TOKEN, user_id, language)


async def test_the_webhook_is_registered_on_start(viber):
    assert viber.webhook["url"] == "https://opora.example.org/viber"
    assert "conversation_started" in viber.webhook["event_types"]


async def test_a_ukrainian_conversation(viber):
    halyna = user(viber, "halyna==", "uk")
    welcome = await halyna.opens_the_chat()
    assert "Опора" in welcome["text"] and welcome["sender"]["name"] == "Opora"
    assert (await halyna.event("subscribed", user=halyna.profile))[0] == 200

    await halyna.taps("Знайти послугу")
    await halyna.taps("Догляд удома")
    await halyna.taps("Казанлик")
    card = texts(await halyna.taps("Асистентська підтримка"))
    assert "За даними Standart" in card and "перевірено" not in card

    answer = texts(await halyna.says("Я з Краматорська, тепер живу в Дніпрі, де отримати допомогу?"))
    assert "Дніпр" in answer

    await halyna.taps("Меню")  # Viber shows only the latest keyboard
    await halyna.taps("Поруч")
    assert any(b["ActionType"] == "location-picker" for b in halyna.keyboard())
    nearest = texts(await halyna.shares_location(42.62, 25.39))
    assert "Казанлик" in nearest and "кілометр" in nearest

    await halyna.taps("Меню")
    await halyna.taps("Чи маю я право")
    await halyna.taps("Для родича")
    await halyna.says("82")
    await halyna.taps("Живе сам")
    await halyna.taps("Готово")
    assert "літні люди" in texts(await halyna.taps("Казанлик"))

    assert all(len(m.get("text", "")) <= 7000 for m in viber.sent_to("halyna=="))
    assert all(len(b["ActionBody"]) <= 250 for b in halyna.keyboard())


async def test_a_bulgarian_conversation(viber):
    ivan = user(viber, "ivan==", "bg")
    assert "Здравейте" in (await ivan.opens_the_chat())["text"]
    assert "Домашен социален патронаж" in texts(await ivan.says("кой носи топъл обяд на баба в Казанлък"))
    await ivan.says("/language")
    assert "українською" in texts(await ivan.taps("Українська"))


async def test_a_repeated_delivery_is_handled_once(viber):
    olha = user(viber, "olha==", "uk")
    assert await olha.says("/start", token=777001)
    assert await olha.says("/start", token=777001) == []


async def test_a_message_whose_answer_failed_is_answered_when_viber_delivers_it_again(viber):
    taras = user(viber, "taras==", "uk")
    viber.failures = 1
    body = {"message_token": 777101, "sender": taras.profile, "message": {"type": "text", "text": "/start"}}
    assert (await taras.event("message", **body))[0] == 500  # so Viber delivers it again
    assert viber.sent_to(taras.profile["id"]) == []
    assert await taras.says("/start", token=777101)
    assert await taras.says("/start", token=777101) == []


async def test_forged_unsigned_and_malformed_requests_never_reach_the_core(viber):
    mallory = user(viber, "mallory==", "uk")
    before = len(viber.calls)
    body = (
        b'{"event": "message", "timestamp": 1, "message_token": 1, "sender": {"id": "x"}, '
        b'"message": {"type": "text", "text": "/start"}}'
    )
    assert (await mallory.post(body, signed=False))[0] == 403
    assert (await mallory.post(body, sign_with="another-token"))[0] == 403
    assert (await mallory.post(b"{not json"))[0] == 400
    assert (await mallory.post(b'{"event": "message", "timestamp": 1}'))[0] == 400
    assert (await mallory.post(b'{"event": "client_status", "timestamp": 1}'))[0] == 200
    assert (await mallory.post(b"[1, 2]"))[0] == 400
    answered = await mallory.says("/start")  # a genuine message after them: only it is answered
    assert answered and viber.calls[before:] == [("send_message", m) for m in answered]


async def test_a_replay_older_than_the_time_window_is_refused(viber):
    """L8: a captured signed event, replayed after its de-duplication record was pruned (2 days)."""
    replayer = user(viber, "replayed==", "uk")
    old = {
        "event": "message",
        "timestamp": int((time.time() - 3 * 86400) * 1000),
        "message_token": 555000111,
        "sender": replayer.profile,
        "message": {"type": "text", "text": "/start"},
    }
    status, answer = await replayer.post(json.dumps(old).encode())
    assert (status, answer) == (200, "too old")
    fresh = await replayer.says("/start")  # a fresh event of the same person is answered, and only it
    assert fresh and viber.sent_to(replayer.profile["id"]) == fresh
