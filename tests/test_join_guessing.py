"""/join codes cannot be guessed: a chat that sends wrong codes must wait (security review L7)."""

import pytest
from support.chat_helpers import FakeChannel

from bot.app import build_app, build_conversation, build_engine, ensure_catalog
from bot.settings import Settings


@pytest.fixture(scope="module")
async def opora(tmp_path_factory):
    app = await build_app(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('join')}/o.sqlite3"))
    await ensure_catalog(app)
    app.conversation = build_conversation(app, await build_engine(app))
    yield app
    await app.close()


async def test_wrong_codes_lock_the_chat_out_even_for_a_right_code(opora):
    guesser = FakeChannel(opora.conversation, user_id="guesser", language="uk")
    for attempt in range(5):
        assert "недійсний" in (await guesser.says(f"/join WRONG{attempt}")).text
    code = await opora.conversation.services.desk.invite("kazanlak-social")
    locked = await guesser.says(f"/join {code}")
    assert "Забагато" in locked.text
    other = FakeChannel(opora.conversation, user_id="staff", language="uk")
    assert (
        "получава запитванията" in (await other.says(f"/join {code}")).text
    )  # another chat is not locked (in the queue's language)
