"""The help desk's rules on both databases: codes, access, reminders, retention and /forget."""

import datetime as dt

import pytest
from sqlalchemy import select

from bot.helpdesk.desk import AccessDenied, Draft, Erased, HelpDesk, InvalidCode
from bot.helpdesk.models import HelpRequest, OutboxMessage, RequestMessage
from bot.helpdesk.worktime import Deadlines, working_time
from catalog import SEED_DATA
from catalog.loader import load_catalog
from catalog.validation import load_checked

MONDAY_9 = dt.datetime(2026, 11, 23, 7, 0, tzinfo=dt.UTC)  # 09:00 in Sofia and Kyiv


class Clock:
    def __init__(self, now: dt.datetime):
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


async def render(request, text="", lang=None) -> dict:
    return {"text": f"request {request.id} {text}"}


@pytest.fixture
async def desk(db):
    await load_catalog(db, load_checked(SEED_DATA))
    return HelpDesk(db, Clock(MONDAY_9))


async def ask(desk: HelpDesk, user="501", text="Мамі 82 роки") -> HelpRequest:
    return await desk.create(
        Draft("telegram", user, "uk", "kramatorsk-dnipro", None, text, phone="+380501234567"), card=render
    )


async def test_an_invite_binds_one_chat_once_and_expires(desk):
    code = await desk.invite("kramatorsk-dnipro")
    await desk.join(code, "telegram", "-1", card=render)
    with pytest.raises(InvalidCode):
        await desk.join(code, "telegram", "-2", card=render)
    late = await desk.invite("kramatorsk-dnipro")
    desk.now.now += dt.timedelta(hours=25)
    with pytest.raises(InvalidCode):
        await desk.join(late, "telegram", "-2", card=render)
    with pytest.raises(InvalidCode):
        await desk.join("NOT-A-CODE", "telegram", "-2", card=render)


async def test_a_new_staff_chat_gets_the_open_requests(desk):
    request = await ask(desk)
    await desk.join(await desk.invite("kramatorsk-dnipro"), "telegram", "-1", card=render)
    async with desk.sessions() as session:
        cards = (await session.scalars(select(OutboxMessage).where(OutboxMessage.chat_id == "-1"))).all()
    assert [(c.request_id, c.card) for c in cards] == [(request.id, True)]


async def test_only_the_queues_staff_can_act(desk):
    request = await ask(desk)
    await desk.join(await desk.invite("kazanlak-social"), "telegram", "-9", card=render)
    with pytest.raises(AccessDenied):
        await desk.take(request.id, "telegram", "-9", notify=render)
    with pytest.raises(AccessDenied):
        await desk.reply(request.id, "telegram", "501", "hello", relay=render)


async def test_staff_are_reminded_once_after_four_working_hours(desk):
    await desk.join(await desk.invite("kramatorsk-dnipro"), "telegram", "-1", card=render)
    await ask(desk)
    deadlines = Deadlines(dt.timedelta(hours=4), zones={"kramatorsk-dnipro": "Europe/Kyiv"})

    def overdue(request):
        return deadlines.overdue(request, desk.now())

    desk.now.now = MONDAY_9 + dt.timedelta(hours=3)
    assert await desk.due_reminders(overdue, render) == 0
    desk.now.now = MONDAY_9 + dt.timedelta(hours=5)
    assert await desk.due_reminders(overdue, render) == 1
    assert await desk.due_reminders(overdue, render) == 0


def test_working_time_skips_nights_and_weekends():
    friday_4pm = dt.datetime(2026, 11, 27, 14, 0, tzinfo=dt.UTC)
    monday_10am = dt.datetime(2026, 11, 30, 8, 0, tzinfo=dt.UTC)
    assert working_time(friday_4pm, monday_10am, None, "Europe/Sofia") == dt.timedelta(hours=3)


async def test_personal_data_is_erased_after_retention_and_statistics_stay(desk):
    await desk.join(await desk.invite("kramatorsk-dnipro"), "telegram", "-1", card=render)
    request = await ask(desk)
    await desk.close(request.id, "telegram", "-1", notify=render)
    desk.now.now += dt.timedelta(days=89)
    assert await desk.erase_expired(dt.timedelta(days=90)) == 0
    desk.now.now += dt.timedelta(days=2)
    assert await desk.erase_expired(dt.timedelta(days=90)) == 1
    async with desk.sessions() as session:
        stored = await session.get(HelpRequest, request.id)
        texts = (await session.scalars(select(RequestMessage.text))).all()
        outbox = (await session.scalars(select(OutboxMessage.message))).all()
    assert (stored.user_id, stored.phone, stored.status) == (None, None, "closed")
    assert texts == [None] and all(m == {} for m in outbox)
    assert "requests,closed,1" in await desk.report("kramatorsk-dnipro")
    assert [(e.action, e.detail) for e in await desk.events(request.id)][-1] == ("erased", "retention")


async def test_a_queue_nobody_works_in_is_known(desk):
    assert await desk.staffed_queues() == set()
    await desk.join(await desk.invite("kramatorsk-dnipro"), "telegram", "-1", card=render)
    assert await desk.staffed_queues() == {"kramatorsk-dnipro"}  # a transfer elsewhere is said to wait unseen
    await desk.join(await desk.invite("kazanlak-social"), "web", "account-1", card=render)  # an admin oversees it
    assert await desk.staffed_queues(overseers={"account-1"}) == {"kramatorsk-dnipro"}


async def test_a_list_shows_each_requests_first_words_and_whether_the_citizen_wrote_again(desk):
    await desk.join(await desk.invite("kramatorsk-dnipro"), "telegram", "-1", card=render)
    request = await ask(desk, user="601", text="Потрібні ліки для мами")
    await desk.note(request.id, "telegram", "-1", "Подзвонити завтра")
    (summary,) = (await desk.summaries([request.id])).values()
    assert (summary.words, summary.follow_up) == ("Потрібні ліки для мами", False)  # new, not a follow-up

    await desk.reply(request.id, "telegram", "-1", "Приходьте у вівторок", relay=render)
    assert (await desk.summaries([request.id]))[request.id].follow_up is False  # answered
    await desk.add_from_citizen(request.id, "telegram", "601", "А можна в середу?", relay=render)
    assert (await desk.summaries([request.id]))[request.id].follow_up is True  # she wrote again: it needs staff


async def test_forget_erases_the_citizens_requests(desk):
    await desk.join(await desk.invite("kramatorsk-dnipro"), "telegram", "-1", card=render)
    request = await ask(desk, user="777", text="секрет")
    assert await desk.forget("telegram", "777") == 1
    with pytest.raises(Erased):  # staff answering it are told why it is closed
        await desk.reply(request.id, "telegram", "-1", "Ще ви се обадим", relay=render)
    async with desk.sessions() as session:
        stored = await session.get(HelpRequest, request.id)
        assert stored.user_id is None and stored.status == "closed"
        assert "секрет" not in str((await session.scalars(select(RequestMessage.text))).all())
    # Staff looking at it read why it is empty: the trail says the citizen had it erased.
    assert [(e.action, e.detail) for e in await desk.events(request.id)][-1] == ("erased", "citizen")


async def test_the_report_shows_a_staff_members_name_as_text_whatever_it_begins_with(desk):
    await desk.join(await desk.invite("kramatorsk-dnipro"), "telegram", "-1", card=render)
    request = await ask(desk)
    await desk.take(request.id, "telegram", "-1", by='=HYPERLINK("http://x")')
    assert 'staff_taken,"\'=HYPERLINK(""http://x"")",1' in await desk.report("kramatorsk-dnipro")
