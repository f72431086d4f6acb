"""Follow-ups reach staff: after a staff reply, what the person types the way people do in a
messenger goes to their request, with a one-tap "this is a new question". In-process for the
rules, then end to end on the web chat and on Telegram (the fake Bot API)."""

import asyncio
import datetime as dt

import pytest
from sqlalchemy import select
from support.chat_helpers import MONDAY_MORNING, FakeChannel, app_on_a_clock
from support.fake_telegram import FakeBotAPI, TelegramChat, texts
from support.opora import opora_cli, start_opora, stop
from support.outbox import card_message
from support.web_visitor import StaffBrowser, Visitor, WebOpora, text

from bot.core import staffdesk
from bot.helpdesk.models import OutboxMessage

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")

STAFF = ("web-staff", "staff-view")  # a staff chat bound to every queue, as the web staff view is
STAFF_GROUP = -100778
FOLLOW_UP = "Дякую! А скільки це коштує на місяць?"


@pytest.fixture(scope="module")
async def opora(tmp_path_factory):
    async with app_on_a_clock(tmp_path_factory.mktemp("follow-ups"), staff=STAFF) as app:
        yield app


@pytest.fixture
def later(opora):
    """Move the conversation's clock on; it goes back to Monday morning after the test."""

    def move(hours: float) -> None:
        opora.clock[0] += dt.timedelta(hours=hours)

    yield move
    opora.clock[0] = MONDAY_MORNING


@pytest.fixture
def oksana(opora, request):
    """A Ukrainian refugee in Samokov."""
    return FakeChannel(opora.conversation, user_id=request.node.name, language="uk")


async def asks_samokov_staff(oksana: FakeChannel, opora) -> int:
    await oksana.says("/start")
    await oksana.taps("Запитати працівника")
    office = await oksana.says("Мамі 70 років, вона погано ходить. Чи можна отримати домашній патронаж у Самокові?")
    assert "Община Самоков" in office.text
    await oksana.taps("Продовжити")
    await oksana.taps("Пропустити")
    await oksana.taps("Згоден")
    (request,) = await opora.conversation.services.desk.requests_of(oksana.user.channel, oksana.user.id)
    return request.id


async def staff_answer(opora, number: int, answer: str) -> None:
    services = opora.conversation.services
    await services.desk.reply(number, *STAFF, answer, relay=staffdesk.notice(services, "answered", answer))


async def thread(opora, number: int) -> list[tuple[str, str]]:
    return [(m.author, m.text) for m in await opora.conversation.services.desk.messages(number)]


async def to_staff(opora, number: int) -> list[dict]:
    async with opora.sessions() as session:
        rows = await session.scalars(
            select(OutboxMessage.message).where(
                OutboxMessage.request_id == number, OutboxMessage.chat_id == STAFF[1], OutboxMessage.card.is_(False)
            )
        )
        return list(rows.all())


async def test_typed_after_a_staff_reply_it_goes_to_the_request(oksana, opora):
    number = await asks_samokov_staff(oksana, opora)
    await staff_answer(opora, number, "Добър ден! Да, можете. Елате в общината в понеделник.")

    said = await oksana.says(FOLLOW_UP)
    assert said.text.strip() == f"✉ Надіслано працівникам, до вашого запиту № {number}."
    assert "🔎 Ні, це нове питання" in said.labels()
    assert (await thread(opora, number))[-1] == ("citizen", FOLLOW_UP)
    (relayed,) = await to_staff(opora, number)  # as a follow-up sent with "✉ Reply" reaches them
    assert relayed["text"] == FOLLOW_UP and f"№ {number}" in relayed["title"]


async def test_this_is_a_new_question_answers_it_as_a_question(oksana, opora):
    number = await asks_samokov_staff(oksana, opora)
    await staff_answer(opora, number, "Добър ден! Елате в понеделник.")
    said = await oksana.says("гарячий обід для мами в Самокові")
    new_question = next(b.payload for b in said.buttons if "нове питання" in b.label)

    answered = await oksana.presses(new_question)
    assert "Надіслано" not in answered.text and "Самоков" in answered.text
    stale = await oksana.presses(new_question)
    assert "кнопка вже не діє" in stale.text  # the text was kept until the next message only


async def test_before_staff_answer_and_after_the_request_is_closed_a_message_is_a_question(oksana, opora):
    number = await asks_samokov_staff(oksana, opora)
    before = await oksana.says("домашній патронаж Казанлик")
    assert "Надіслано" not in before.text and "Казанлик" in before.text  # staff have not answered yet

    await staff_answer(opora, number, "Добър ден! Елате в понеделник.")
    services = opora.conversation.services
    await services.desk.close(number, *STAFF, notify=staffdesk.notice(services, "closed"))
    after = await oksana.says("домашній патронаж Казанлик")
    assert "Надіслано" not in after.text and "Казанлик" in after.text
    assert [author for author, _ in await thread(opora, number)] == ["citizen", "staff"]


async def test_three_days_after_the_last_staff_reply_a_message_is_a_question_again(oksana, opora, later):
    """72 hours (OPORA_FOLLOW_UP_HOURS): a reply read on a Friday is still answered on Monday."""
    number = await asks_samokov_staff(oksana, opora)
    await staff_answer(opora, number, "Добър ден! Елате в понеделник.")
    later(71)
    assert "Надіслано" in (await oksana.says(FOLLOW_UP)).text
    later(2)
    assert "Надіслано" not in (await oksana.says("домашній патронаж Казанлик")).text
    assert [author for author, _ in await thread(opora, number)] == ["citizen", "staff", "citizen"]


async def test_commands_and_buttons_are_not_follow_ups(oksana, opora):
    number = await asks_samokov_staff(oksana, opora)
    await staff_answer(opora, number, "Добър ден! Елате в понеделник.")
    mine = await oksana.says("/myrequests")
    assert f"№ {number}" in mine.text and "Надіслано" not in mine.text
    await oksana.taps("Меню")
    assert [author for author, _ in await thread(opora, number)] == ["citizen", "staff"]


# --- end to end ---------------------------------------------------------------------------


@pytest.mark.e2e
async def test_on_the_web_chat_a_typed_follow_up_reaches_the_staff_view(tmp_path):
    opora = await WebOpora(tmp_path).start()
    visitor, staff = Visitor(opora), StaffBrowser(opora)
    try:
        assert await staff.logs_in() == 200
        await staff.get("/staff/api/requests")
        await visitor.says("/start")
        await visitor.taps("Запитати працівника")
        await visitor.says("Мамі 70 років, вона погано ходить. Чи можна отримати домашній патронаж у Самокові?")
        await visitor.taps("Продовжити")
        await visitor.taps("Пропустити")
        received = await visitor.taps("Згоден")
        number = int(text(received).split("№ ")[1].split()[0].strip(".,"))

        status, _ = await staff.post(
            f"/staff/api/requests/{number}/reply", json={"text": "Добър ден! Елате в понеделник."}
        )
        assert status == 200
        await visitor.receives("Елате в понеделник")

        said = await visitor.says(FOLLOW_UP)
        assert f"запиту № {number}" in text(said)
        _, request = await staff.get(f"/staff/api/requests/{number}")
        assert [m["text"] for m in request["messages"]][-1] == FOLLOW_UP
        assert await staff_view_receives(staff, FOLLOW_UP)

        answered = await visitor.taps("нове питання")
        assert "Надіслано" not in text(answered)
    finally:
        await visitor.close()
        await staff.close()
        assert await opora.stop() == 0


async def staff_view_receives(staff: StaffBrowser, wanted: str, timeout: float = 30) -> dict:
    """The staff view's long poll, as staff.js reads it, until a message holds `wanted`."""

    async def poll():
        after = 0
        while True:
            _, found = await staff.get("/staff/api/inbox", after=after)
            for message in found["messages"]:
                after = message["id"]
                if any(wanted in text(reply) for reply in message["replies"]):
                    return message

    return await asyncio.wait_for(poll(), timeout)


@pytest.mark.e2e
async def test_on_telegram_a_typed_follow_up_reaches_the_staff_group_under_the_card(tmp_path):
    api = FakeBotAPI()
    url = await api.start()
    opora = await start_opora(tmp_path, url)
    try:
        await api.wait_for("getUpdates")
        code = opora_cli(tmp_path, "staff", "invite", "samokov-social").strip().splitlines()[-1]
        staff = TelegramChat(api, 901, "bg", group=STAFF_GROUP)
        await staff.says(f"/join {code}")

        oksana = TelegramChat(api, 502, "uk")
        await oksana.says("/start")
        await oksana.taps("Запитати працівника")
        await oksana.says("Мамі 70 років, вона погано ходить. Чи можна отримати домашній патронаж у Самокові?")
        await oksana.taps("Продовжити")
        await oksana.taps("Пропустити")
        assert "№ 1" in texts(await oksana.taps("Згоден"))
        await api.wait_delivered(STAFF_GROUP, "Мамі 70 років")

        card = await card_message(tmp_path)
        await staff.says("Добър ден! Да, елате в общината в понеделник.", reply_to=card)
        await api.wait_delivered(oksana.user_id, "елате в общината")

        said = texts(await oksana.says(FOLLOW_UP))  # typed, without tapping "✉ Reply"
        assert "Надіслано працівникам, до вашого запиту № 1." in said
        follow_up = await api.wait_delivered(STAFF_GROUP, FOLLOW_UP)
        assert follow_up["reply_parameters"]["message_id"] == card
    finally:
        assert await stop(opora) == 0
        await api.stop()
