"""A developer's own settings never reach the tests: neither a `.env` in the working directory nor
OPORA_ variables in their shell."""

import pytest
from support.fake_telegram import FakeBotAPI
from support.opora import OporaProcess

from bot.settings import Settings


@pytest.mark.e2e
async def test_a_dotenv_with_a_bot_token_reaches_no_test_started_opora(tmp_path, monkeypatch):
    api = FakeBotAPI()
    url = await api.start()
    developer = {"OPORA_TELEGRAM_TOKEN": "123456:DEVELOPERS-own-token", "OPORA_TELEGRAM_API_URL": url}
    (tmp_path / ".env").write_text("".join(f"{k}={v}\n" for k, v in developer.items()))
    monkeypatch.chdir(tmp_path)
    assert Settings().telegram_token is None  # in the tests' own process

    for name, value in developer.items():
        monkeypatch.setenv(name, value)
    opora = await OporaProcess(tmp_path, fresh=True).start()  # and it makes its database itself
    try:
        await opora.wait_until(lambda: opora.said("Staff view:"), 10)  # the web chat: on only with no bot token
        assert api.calls == []  # nothing asked the Bot API for the developer's bot
    finally:
        assert await opora.stop() == 0
        await api.stop()
