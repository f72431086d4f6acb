"""The web chat's conversation is kept on the server for the session: a reopened tab asks for it
(`/api/transcript`) and shows it again, staff answers included. A message the page sends again,
because the answer was lost on the way, is answered once. "Forget me" and the retention period
erase it."""

import datetime as dt

import pytest
from support.web_visitor import StaffBrowser, Visitor, WebOpora, text

from bot.web.inbox import KEEP, WebInbox

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")


@pytest.fixture(scope="module")
async def opora(tmp_path_factory):
    opora = await WebOpora(tmp_path_factory.mktemp("transcript")).start()
    yield opora
    assert await opora.stop() == 0


@pytest.fixture
async def visitor(opora):
    visitor = Visitor(opora)
    yield visitor
    await visitor.close()


async def transcript(visitor: Visitor) -> list[dict]:
    async with visitor.http.get(visitor.opora.url + "/api/transcript") as response:
        assert response.status == 200 and response.headers["Cache-Control"] == "no-store"
        return (await response.json())["entries"]


async def test_the_conversation_comes_back_as_the_person_saw_it(opora, visitor):
    await visitor.opens_the_page()
    assert await transcript(visitor) == []
    welcome = await visitor.sends(text="/start", quiet=True)  # the page's own, unseen
    await visitor.sends(payload="lang:uk", said="UA")
    answer = await visitor.says("Потрібна психологічна допомога в Києві")
    await visitor.sends(location={"latitude": 50.45, "longitude": 30.52}, said="📍 Надіслати моє місцезнаходження")

    entries = await transcript(visitor)
    assert [e["said"] for e in entries] == [
        None,
        "UA",
        "Потрібна психологічна допомога в Києві",
        "📍 Надіслати моє місцезнаходження",  # the button's label, never the coordinates
    ]
    assert entries[0]["replies"] == welcome["replies"]
    assert entries[2]["replies"] == answer["replies"]
    assert "50.45" not in str(entries)

    other = Visitor(opora)
    try:
        await other.opens_the_page()
        assert await transcript(other) == []  # each browser sees only its own
    finally:
        await other.close()

    await visitor.says("/forget")
    await visitor.taps("Так, видалити")
    assert await transcript(visitor) == []


async def test_a_message_sent_again_with_its_key_is_answered_once(visitor):
    await visitor.opens_the_page()
    await visitor.sends(text="/start", quiet=True)
    first = await visitor.sends(text="Хто приносить гарячий обід бабусі в Казанлику?", key="a1b2c3d4e5f60718")
    buttons = [b for reply in first["replies"] for row in reply["buttons"] for b in row]
    ask = next(b["payload"] for b in buttons if "працівника" in b["label"])
    step = await visitor.sends(payload=ask, said="Запитати працівника", key="0f1e2d3c4b5a6978")
    again = await visitor.sends(payload=ask, said="Запитати працівника", key="0f1e2d3c4b5a6978")
    assert again["replies"] == step["replies"]  # the same answer: no second turn
    saids = [e["said"] for e in await transcript(visitor)]
    assert saids.count("Запитати працівника") == 1
    # A second press with a new key is a second turn, as before.
    await visitor.sends(payload=ask, said="Запитати працівника", key="99aa88bb77cc66dd")
    assert [e["said"] for e in await transcript(visitor)].count("Запитати працівника") == 2


async def test_a_staff_answer_the_page_showed_joins_the_transcript(opora, visitor):
    browser = StaffBrowser(opora)
    staff = browser.http
    try:
        assert await browser.logs_in() == 200
        staff.headers["X-CSRF-Token"] = browser.csrf

        await visitor.opens_the_page()
        await visitor.says("/start")
        await visitor.says("Я з Краматорська, тепер у Дніпрі. Потрібна гуманітарна допомога")
        await visitor.taps("Запитати працівника")
        await visitor.taps("Продовжити")
        await visitor.says("Мамі 82 роки, потрібні ліки та продукти")
        await visitor.taps("Пропустити")
        received = await visitor.taps("Згоден")
        number = int(text(received).split("№ ")[1].split()[0].strip(".,"))
        async with staff.post(
            opora.url + f"/staff/api/requests/{number}/reply?lang=uk", json={"text": "Приходьте завтра о 10:00."}
        ) as response:
            assert response.status == 200
        await visitor.receives("Приходьте завтра")
        assert "Приходьте завтра" not in str(await transcript(visitor))  # not shown for sure yet
        async with staff.post(opora.url + f"/staff/api/requests/{number}/close?lang=uk") as response:
            assert response.status == 200
        await visitor.receives("закрито")  # asking for what is newer, the page says what it has shown
        entries = await transcript(visitor)
        assert "Приходьте завтра о 10:00." in text(entries[-1]["replies"][0])
        assert entries[-1]["said"] is None
        assert "Мамі 82 роки" in str(entries)
    finally:
        await staff.close()


async def test_the_transcript_keeps_the_newest_entries_and_is_erased_after_the_retention_period(db):
    inbox = WebInbox(db)
    for n in range(KEEP + 5):
        await inbox.record("chat-a", f"питання {n}", [{"type": "text", "text": f"відповідь {n}"}], None)
    await inbox.record("chat-b", "інше", [], "k" * 16)
    kept = await inbox.transcript("chat-a")
    assert len(kept) == KEEP
    assert kept[0]["said"] == "питання 5" and kept[-1]["said"] == f"питання {KEEP + 4}"
    assert await inbox.answered("chat-b", "k" * 16) == []
    await inbox.erase_older(dt.timedelta(days=90))
    assert len(await inbox.transcript("chat-a")) == KEEP
    await inbox.erase_older(dt.timedelta(0))
    assert await inbox.transcript("chat-a") == [] and await inbox.transcript("chat-b") == []
