"""The language holds on every channel: the web chat, Telegram and `opora chat`, end to end."""

import re

import pytest
from support.fake_telegram import FakeBotAPI, TelegramChat, texts
from support.opora import opora_command, start_opora, stop
from support.web_visitor import Visitor, WebOpora, text

pytestmark = pytest.mark.e2e
SHORT = ["ok", "?", "😀", "Варна", "Самоков", "психолог", "не знаю", "сорок п'ять", "дякую"]


def ukrainian(words: str) -> bool:
    return bool(re.search("[іїєґ]", words)) and "Здравейте" not in words


async def test_the_web_chat_keeps_ukrainian(tmp_path):
    opora = await WebOpora(tmp_path).start()
    refugee = Visitor(opora, language="bg-BG")  # a Bulgarian phone
    try:
        said = await refugee.says("Добрий день, я з України, живу в Самокові, мамі потрібна допомога вдома")
        assert said["language"] == "uk" and ukrainian(text(said))
        for message in SHORT:
            said = await refugee.says(message)
            assert said["language"] == "uk" and ukrainian(text(said)), (message, text(said))
        varna = await refugee.says("домашній патронаж Варна")
        assert "Варна" in text(varna) and "не охоплює" in text(varna)
    finally:
        await refugee.close()
        assert await opora.stop() == 0


async def test_telegram_keeps_the_chosen_language(tmp_path):
    api = FakeBotAPI()
    process = await start_opora(tmp_path, await api.start())
    try:
        await api.wait_for("getUpdates")
        olena = TelegramChat(api, 601, "bg")
        await olena.says("/start")
        await olena.taps("Українська")
        for message in SHORT + ["Търся дневен център за възрастни хора в Казанлък"]:
            answer = texts(await olena.says(message))
            assert ukrainian(answer), (message, answer)
    finally:
        assert await stop(process) == 0
        await api.stop()


async def test_opora_chat_with_lang_uk_holds_ukrainian(tmp_path):
    typed = "\n".join(["ok", "😀", "Варна", "психолог", "дякую"]) + "\n"
    done = opora_command(
        "chat",
        "--lang",
        "uk",
        env={"OPORA_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/chat.sqlite3"},
        input=typed,
        timeout=180,
    )
    printed = done.stdout
    assert done.returncode == 0
    assert "Здравейте" not in printed
    for answer in ("👍", "🙂", "Варна: поки що я не маю там послуг", "Будь ласка"):
        assert answer in printed
