"""Whole conversations over Telegram: the real `opora run` long-polls a fake Bot API."""

import pytest
from aiohttp import ClientSession
from support.fake_telegram import FakeBotAPI, TelegramChat, texts
from support.opora import start_opora, stop

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
async def telegram(tmp_path_factory):
    api = FakeBotAPI()
    url = await api.start()
    process = await start_opora(tmp_path_factory.mktemp("telegram"), url)
    await api.wait_for("getUpdates")
    yield api
    assert await stop(process) == 0
    await api.stop()


async def test_commands_are_registered_in_both_languages(telegram):
    registered = {
        p.get("language_code"): p["commands"] for m, p in telegram.calls if m == "setMyCommands" and not p.get("scope")
    }
    assert {"bg", "uk", None} <= set(registered)
    assert [c["command"] for c in registered["uk"]] == ["start", "help", "language", "myrequests", "forget"]
    assert registered["uk"][3]["description"] != registered["bg"][3]["description"]


async def test_a_ukrainian_conversation(telegram):
    olena = TelegramChat(telegram, 501, "uk")
    assert "Опора" in texts(await olena.says("/start"))

    await olena.taps("Знайти послугу")
    assert "Догляд удома" in texts(await olena.taps("Догляд удома"))
    assert "послуг" in texts(await olena.taps("Казанлик"))
    card = texts(await olena.taps("Асистентська підтримка"))
    assert "За даними Standart" in card and "перевірено" not in card

    answer = texts(await olena.says("Я з Краматорська, тепер живу в Дніпрі, де отримати допомогу?"))
    assert "Дніпр" in answer and "Краматорськ" in answer

    await olena.taps("Поруч")
    nearest = texts(await olena.shares_location(42.62, 25.39))
    assert "Казанлик" in nearest and "кілометр" in nearest

    await olena.taps("Чи маю я право")
    await olena.taps("Для родича")
    await olena.says("Мамі 82 роки")
    await olena.taps("Живе сам")
    await olena.taps("Готово")
    eligible = texts(await olena.taps("Казанлик"))
    assert "літні люди" in eligible

    await olena.says("/forget")
    assert "видал" in texts(await olena.taps("Так"))


async def test_a_bulgarian_conversation_with_a_language_switch(telegram):
    ivan = TelegramChat(telegram, 502, "uk")
    await ivan.says("/start")
    assert "Отсега ще отговарям на български" in texts(await ivan.taps("Български"))
    assert "топъл обяд" in texts(await ivan.says("кой носи топъл обяд на баба в Казанлък")).lower()
    await ivan.says("/language")
    assert "українською" in texts(await ivan.taps("Українська"))


async def test_forged_buttons_and_odd_messages_get_a_polite_answer(telegram):
    chat = TelegramChat(telegram, 503, "bg")
    await chat.says("/start")
    for forged in ("svc:does-not-exist", "scr:s:veteran", "cat:weather", "x" * 64, "town:meals:nowhere"):
        sent = await chat.presses(forged)
        assert any(m == "answerCallbackQuery" for m, _ in sent)
        assert "бутон" in texts(sent) or "Кой" in texts(sent)
    assert texts(await chat.says("😀😀😀"))
    long_answer = await chat.says("помощ " * 2000)
    assert all(len(p.get("text", "")) <= 4096 for _, p in long_answer)


async def test_webhook_mode_checks_the_secret(tmp_path):
    api = FakeBotAPI()
    url = await api.start()
    process = await start_opora(tmp_path, url, OPORA_TELEGRAM_WEBHOOK_URL="http://127.0.0.1:{port}")
    try:
        webhook = await api.wait_for("setWebhook")
        assert webhook["url"] == f"{process.url}/telegram"
        async with ClientSession() as http:
            forged = await http.post(
                webhook["url"],
                json={"update_id": 1, "message": {}},
                headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"},
            )
            assert forged.status == 401
        chat = TelegramChat(api, 601, "bg", webhook=(webhook["url"], webhook["secret_token"]))
        assert "Опора" in texts(await chat.says("/start"))
        pressed = await chat.presses("menu")
        assert texts(pressed)  # the menu
        # the button's spinner is stopped by the webhook's response, not by a request of its own
        assert [p.get("via") for m, p in pressed if m == "answerCallbackQuery"] == ["webhook response"]
    finally:
        assert await stop(process) == 0
        await api.stop()
