"""Staff at work on a request, in-process on a real database: who took it, in whose language
staff read it, release, transfer to another queue, close and reopen, search, the audit trail and
the report, and when a request is overdue. Staff chats are driven like any chat; what the outbox
holds for a staff chat is what its members read."""

import datetime as dt

import pytest
from sqlalchemy import select
from support.chat_helpers import MONDAY_MORNING, FakeChannel, app_on_a_clock

from bot.core import staff as staffing
from bot.core import staffdesk, verification
from bot.core.events import User, from_message
from bot.helpdesk.models import OutboxMessage

FRIDAY_EVENING = dt.datetime(2026, 11, 27, 16, 0, tzinfo=dt.UTC)  # 18:00 in Sofia: the office has closed
SATURDAY_NOON = dt.datetime(2026, 11, 28, 10, 0, tzinfo=dt.UTC)
MONDAY_1PM = dt.datetime(2026, 11, 30, 11, 0, tzinfo=dt.UTC)  # 13:00 in Sofia: 5 working hours later
NEED = "Мамі 82 роки, вона живе сама в Казанлику і вже не може готувати"


@pytest.fixture(scope="module")
async def opora(tmp_path_factory):
    async with app_on_a_clock(tmp_path_factory.mktemp("workplace")) as app:
        yield app


@pytest.fixture
def at(opora):
    def set_clock(moment: dt.datetime) -> None:
        opora.clock[0] = moment

    yield set_clock
    opora.clock[0] = MONDAY_MORNING


def staff_member(opora, user_id: str, name: str, channel: str = "telegram") -> FakeChannel:
    """A staff member in their own chat with the bot (as on Viber), named as their app names them."""
    person = FakeChannel(opora.conversation, user_id=user_id, language="bg")
    person.user = User(channel, user_id, name, "bg")
    return person


async def joined(opora, person: FakeChannel, queue: str) -> FakeChannel:
    code = await opora.conversation.services.desk.invite(queue)
    assert "This chat" not in (await person.says(f"/join {code}")).text
    return person


async def read(opora, person: FakeChannel) -> list[str]:
    """What has reached the staff member's chat through the outbox, oldest first: title, text and buttons."""
    async with opora.sessions() as session:
        rows = (
            await session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.channel == person.user.channel, OutboxMessage.chat_id == person.user.id)
                .order_by(OutboxMessage.id)
            )
        ).all()
    shown = []
    for row in rows:
        message = from_message(row.message)
        labels = " ".join(f"[{b.label}]" for line in message.buttons for b in line)
        shown.append("\n".join(filter(None, (message.title, message.text, labels))))
    return shown


async def presses(opora, person: FakeChannel, label: str):
    """The staff member presses the button labelled `label` on the newest message of their chat that has it."""
    for said in reversed(person.history):
        for button in said.buttons:
            if label in button.label:
                return await person.presses(button.payload)
    async with opora.sessions() as session:
        rows = (
            await session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.channel == person.user.channel, OutboxMessage.chat_id == person.user.id)
                .order_by(OutboxMessage.id.desc())
            )
        ).all()
    for row in rows:
        for line in from_message(row.message).buttons:
            for button in line:
                if label in button.label:
                    return await person.presses(button.payload)
    raise AssertionError(f"no button {label!r} in the chat")


async def told_citizen(opora, citizen: FakeChannel) -> list[str]:
    async with opora.sessions() as session:
        rows = (
            await session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.channel == citizen.user.channel, OutboxMessage.chat_id == citizen.user.id)
                .order_by(OutboxMessage.id)
            )
        ).all()
    return ["\n".join(filter(None, (r.message.get("title"), r.message.get("text")))) for r in rows]


async def asks(citizen: FakeChannel, need: str = NEED, language: str = "uk") -> int:
    """The citizen asks a social worker of Kazanlak, in their language; the request's number."""
    await citizen.says("/start")
    if language == "bg":
        await citizen.taps("Връзка със служител")
        await citizen.says(need)
        await citizen.taps("Продължи")
        await citizen.taps("Пропусни")
        sent = await citizen.taps("Съгласен")
    else:
        await citizen.taps("Запитати працівника")
        await citizen.says(need)
        await citizen.taps("Продовжити")
        await citizen.taps("Пропустити")
        sent = await citizen.taps("Згоден")
    return int(sent.text.split("№ ")[1].split()[0])


async def test_a_ukrainian_request_reaches_bulgarian_staff_in_bulgarian_and_a_ukrainian_speaking_chat_in_ukrainian(
    opora, request
):
    maria = await joined(opora, staff_member(opora, "maria-" + request.node.name, "Мария Иванова"), "kazanlak-social")
    oksana = await joined(opora, staff_member(opora, "oksana-" + request.node.name, "Оксана Коваль"), "kazanlak-social")
    assert "українською" in (await oksana.says("/lang uk")).text  # a Ukrainian-speaking colleague in Kazanlak

    olena = FakeChannel(opora.conversation, user_id="olena-" + request.node.name, language="uk")
    number = await asks(olena)
    card = (await read(opora, maria))[-1]
    assert f"🆕 Запитване № {number}" in card
    assert "Език: украински" in card and "Населено място: Казанлък" in card and "Звено: Социални услуги" in card
    assert "[🙋 Поеми № " in card and "[✉ Отговори на №" in card
    assert NEED in card  # the citizen's own words, as written
    assert not any(word in card.replace(NEED, "") for word in ("Мова", "Черга", "Запит ", "українська"))
    ukrainian_card = (await read(opora, oksana))[-1]
    assert f"🆕 Запит № {number}" in ukrainian_card and "Мова: українська" in ukrainian_card
    assert "Населений пункт: Казанлик" in ukrainian_card and "Черга: Соціальні послуги" in ukrainian_card

    took = await presses(opora, maria, f"Поеми № {number}")
    assert f"Запитване № {number} е поето от Мария Иванова." in took.text
    assert "Поеми" not in " ".join(took.labels()) and f"↩ Освободи № {number}" in took.labels()
    assert f"Запит № {number} взяв(ла) в роботу: Мария Иванова." in (await read(opora, oksana))[-1]
    assert "Соціальні послуги – Община Казанлик" in (await told_citizen(opora, olena))[-1]  # in her language

    await presses(opora, maria, f"Отговори на № {number}")
    sent = await maria.says("Ще ви се обадим утре сутринта.")
    assert f"Изпратено на гражданина (запитване № {number})" in sent.text
    assert "Ще ви се обадим утре сутринта." in (await told_citizen(opora, olena))[-1]

    await olena.says("Дякую! А можна раніше?")  # she writes again: the request needs staff again
    (mine,) = await opora.conversation.services.desk.requests_of(olena.user.channel, olena.user.id)
    assert mine.status == "taken"
    follow_up = (await read(opora, maria))[-1]
    assert f"✉ Запитване № {number}: ново съобщение от гражданина" in follow_up
    assert "Поеми" not in follow_up and f"[↩ Освободи № {number}]" in follow_up  # it is taken: no Take again
    assert f"✉ Запит № {number}: нове повідомлення від заявника" in (await read(opora, oksana))[-1]


async def test_a_request_a_colleague_took_is_not_taken_again_nor_released_by_another(opora, request):
    maria = await joined(opora, staff_member(opora, "maria-" + request.node.name, "Мария Петрова"), "kazanlak-social")
    ivan = await joined(opora, staff_member(opora, "ivan-" + request.node.name, "Иван Колев"), "kazanlak-social")
    olena = FakeChannel(opora.conversation, user_id="olena-" + request.node.name, language="uk")
    number = await asks(olena)
    await presses(opora, maria, f"Поеми № {number}")

    late = await presses(opora, ivan, f"Поеми № {number}")  # on his card, a moment after her
    assert f"Запитване № {number} вече е поето от Мария Петрова." in late.text and "е ваше" not in late.text
    refused = await ivan.says(f"/release {number}")
    assert f"Запитване № {number} е поето от Мария Петрова: само той или тя може да го освободи." in refused.text
    (mine,) = await opora.conversation.services.desk.requests_of(olena.user.channel, olena.user.id)
    assert (mine.status, mine.taken_by) == ("taken", "Мария Петрова")
    assert sum("взяв ваш запит" in told for told in await told_citizen(opora, olena)) == 1  # told once

    released = await maria.says(f"/release {number}")  # she can
    assert "Освободи" not in released.text and "поето от" not in released.text


async def test_a_bulgarian_request_reaches_a_ukrainian_speaking_chat_in_ukrainian(opora, request):
    oksana = await joined(opora, staff_member(opora, "oksana-" + request.node.name, "Оксана Коваль"), "kazanlak-social")
    await oksana.says("/lang uk")
    ivan = FakeChannel(opora.conversation, user_id="ivan-" + request.node.name, language="bg")
    number = await asks(ivan, "Баба ми е на 85 години и живее сама в Казанлък, трябва ѝ топъл обяд", "bg")
    card = (await read(opora, oksana))[-1]
    assert f"🆕 Запит № {number}" in card and "Мова: болгарська" in card and "Населений пункт: Казанлик" in card
    assert "Звено" not in card and "Език" not in card
    took = await presses(opora, oksana, f"Взяти № {number}")
    assert f"Запит № {number} взяв(ла) в роботу: Оксана Коваль." in took.text
    assert "Социален работник (Социални услуги – Община Казанлък) пое" in (await told_citizen(opora, ivan))[-1]

    services = opora.conversation.services  # an office's facts to confirm: in her language too
    await services.desk.verifications.ask(
        verification.render(services), channel="telegram", chat_id=oksana.user.id, force=True
    )
    assert "🔎 Будь ласка, перевірте: " in (await read(opora, oksana))[-1]


async def test_each_action_is_in_the_audit_trail_and_the_report(opora, request):
    desk = opora.conversation.services.desk
    donka = await joined(opora, staff_member(opora, "donka-" + request.node.name, "Донка Маринова"), "kazanlak-social")
    petar = await joined(opora, staff_member(opora, "petar-" + request.node.name, "Петър Петров"), "kazanlak-social")
    olena = FakeChannel(opora.conversation, user_id="olena-" + request.node.name, language="uk")
    number = await asks(olena)

    await donka.says(f"/take {number}")
    assert "вече е поето от Донка Маринова" in (await petar.says(f"/take {number}")).text
    await donka.says(f"/release {number}")
    await petar.says(f"/take {number}")
    await petar.says(f"/note {number} Обадих се, не отговаря")
    await petar.says(f"/reply {number} Ще ви се обадим утре.")
    await olena.says("Добре, чекаю")
    await petar.says(f"/close {number}")

    trail = [(e.action, e.by) for e in await desk.events(number)]
    assert trail == [
        ("created", None),
        ("taken", "Донка Маринова"),
        ("released", "Донка Маринова"),
        ("taken", "Петър Петров"),
        ("note", "Петър Петров"),
        ("answered", "Петър Петров"),
        ("citizen", None),
        ("closed", "Петър Петров"),
    ]
    events = await desk.events(number)
    assert not any(word in (e.detail or "") for e in events for word in ("Обадих", "утре", "чекаю"))  # no texts
    history = (await petar.says(f"/history {number}")).text
    assert "История на запитване" in history and "добавена бележка (Петър Петров)" in history

    report = await desk.report("kazanlak-social")
    assert "staff_taken,Донка Маринова,1" in report and "staff_taken,Петър Петров,1" in report
    assert "staff_answered,Петър Петров,1" in report and "staff_closed,Петър Петров,1" in report
    assert "staff_first_response_minutes_median,Донка Маринова," in report
    assert "staff_close_minutes_median,Петър Петров," in report

    await petar.says(f"/reopen {number}")  # closed by mistake: an undone close is no close in the report
    report = await desk.report("kazanlak-social")
    assert "staff_closed,Петър Петров,0" in report and "staff_close_minutes_median,Петър Петров," not in report


async def test_reopen_undoes_a_close_with_the_notes_and_a_transfer_moves_the_request_to_the_other_queue(opora, request):
    desk = opora.conversation.services.desk
    maria = await joined(opora, staff_member(opora, "maria-" + request.node.name, "Мария Иванова"), "kazanlak-social")
    dnipro = await joined(opora, staff_member(opora, "dnipro-" + request.node.name, "Ірина"), "kramatorsk-dnipro")
    olena = FakeChannel(opora.conversation, user_id="olena-" + request.node.name, language="uk")
    number = await asks(olena)

    await presses(opora, maria, f"Поеми № {number}")
    await maria.says(f"/note {number} Дъщеря ѝ живее в Днипро")
    closed = await presses(opora, maria, f"Затвори № {number}")
    assert f"✅ Запитване № {number} е затворено от Мария Иванова." in closed.text
    assert closed.labels() == [f"♻ Отвори отново № {number}"]
    assert "закрито" in (await told_citizen(opora, olena))[-1]

    reopened = await presses(opora, maria, f"Отвори отново № {number}")  # pressed by mistake: undone
    assert f"♻ Запитване № {number} е отворено отново от Мария Иванова." in reopened.text
    (mine,) = await desk.requests_of(olena.user.channel, olena.user.id)
    assert (mine.status, mine.taken_by, mine.closed_at) == ("taken", "Мария Иванова", None)
    assert "Дъщеря ѝ живее в Днипро" in [m.text for m in await desk.messages(number)]
    assert "знову відкрито" in (await told_citizen(opora, olena))[-1]

    choose = await presses(opora, maria, f"Прехвърли № {number}")
    assert f"Към кое звено да прехвърля запитване № {number}?" in choose.text
    moved = await presses(opora, maria, "Клон")  # the Kramatorsk centre's branch in Dnipro, in Bulgarian
    assert f"прехвърли запитване № {number} към" in moved.text
    card = (await read(opora, dnipro))[-1]
    assert f"🆕 Запит № {number}" in card and NEED in card and "[🙋 Взяти №" in card
    assert "передано до" in (await told_citizen(opora, olena))[-1]
    (mine,) = await desk.requests_of(olena.user.channel, olena.user.id)
    assert (mine.queue_id, mine.status, mine.taken_by) == ("kramatorsk-dnipro", "received", None)

    assert f"№ {number}" not in (await maria.says("/queue")).text  # it left Kazanlak's queue
    assert "друго звено" in (await maria.says(f"/take {number}")).text
    assert f"№ {number}" in (await dnipro.says("/queue")).text
    transferred = [e for e in await desk.events(number) if e.action == "transferred"]
    assert [(e.by, e.detail) for e in transferred] == [("Мария Иванова", "kazanlak-social>kramatorsk-dnipro")]


async def test_staff_find_requests_by_number_and_by_words_open_and_closed(opora, request):
    desk = opora.conversation.services.desk
    maria = await joined(opora, staff_member(opora, "maria-" + request.node.name, "Мария Иванова"), "kazanlak-social")
    olena = FakeChannel(opora.conversation, user_id="olena-" + request.node.name, language="uk")
    number = await asks(olena, "Потрібен слуховий апарат для тата в Казанлику")
    await maria.says(f"/close {number}")
    assert [r.id for r in await desk.search(["kazanlak-social"], text="СЛУХОВИЙ")] == [number]
    assert [r.id for r in await desk.search(["kazanlak-social"], number=number)] == [number]
    assert await desk.search(["kramatorsk-dnipro"], number=number) == []  # another queue's
    assert await desk.search(["kazanlak-social"], text="слуховий", statuses=["received"]) == []
    found = (await maria.says("/find слуховий апарат")).text
    assert f"№ {number} — затворено" in found
    assert "Не са намерени запитвания." in (await maria.says("/find 99999")).text


async def test_a_friday_evening_request_is_not_overdue_on_saturday_but_is_on_monday_afternoon(opora, at, request):
    services = opora.conversation.services
    maria = await joined(opora, staff_member(opora, "maria-" + request.node.name, "Мария Иванова"), "kazanlak-social")
    olena = FakeChannel(opora.conversation, user_id="olena-" + request.node.name, language="uk")
    at(FRIDAY_EVENING)
    number = await asks(olena)
    (made,) = await services.desk.requests_of(olena.user.channel, olena.user.id)

    deadlines = await staffing.deadlines(services)
    assert not deadlines.overdue(made, SATURDAY_NOON)
    at(SATURDAY_NOON)
    await services.desk.due_reminders(lambda r: deadlines.overdue(r, SATURDAY_NOON), _reminder(services))
    assert "reminded" not in [e.action for e in await services.desk.events(number)]

    assert deadlines.overdue(made, MONDAY_1PM)
    at(MONDAY_1PM)
    await services.desk.due_reminders(lambda r: deadlines.overdue(r, MONDAY_1PM), _reminder(services))
    assert ("reminded", None) in [(e.action, e.by) for e in await services.desk.events(number)]
    assert any(f"⏰ Запитване № {number} чака отговор от 27 ноември" in m for m in await read(opora, maria))


def _reminder(services):
    return lambda request, lang: staffdesk.reminder(services, request, lang)


async def test_after_reply_is_pressed_the_next_text_answers_and_cancel_or_another_command_drops_it(opora, request):
    maria = await joined(opora, staff_member(opora, "maria-" + request.node.name, "Мария Иванова"), "kazanlak-social")
    olena = FakeChannel(opora.conversation, user_id="olena-" + request.node.name, language="uk")
    number = await asks(olena)

    await presses(opora, maria, f"Отговори на № {number}")
    assert "Отменено. Нищо не е изпратено." in (await presses(opora, maria, "Отказ")).text
    await maria.says("Това не е отговор")
    await presses(opora, maria, f"Отговори на № {number}")
    await maria.says("/queue")  # something else first: the answer is no longer awaited
    await maria.says("И това не е отговор")
    assert not any("не е отговор" in message for message in await told_citizen(opora, olena))

    await presses(opora, maria, f"Отговори на № {number}")
    sent = await maria.says("Ето отговора.")
    assert f"Изпратено на гражданина (запитване № {number})." in sent.text
    assert f"✉ Отговори на № {number}" in sent.labels()  # Viber shows only the newest message's buttons
    assert "Ето отговора." in (await told_citizen(opora, olena))[-1]
