"""Issue 16, the server's side: each finding of the security review (shared/reviews/security-2026-11.md)
reproduced, on real databases, through the conversation core as a person uses it."""

import asyncio
import datetime as dt
import json
import time

import pytest
from sqlalchemy import select, text, update
from support.chat_helpers import FakeChannel
from support.databases import POSTGRES_URL, empty_postgres

from bot.app import build_app, build_conversation, build_engine, ensure_catalog
from bot.coordination import Limits, RateLimits
from bot.core.events import User
from bot.core.state import ChatState
from bot.helpdesk.desk import Draft, HelpDesk, NotFound
from bot.helpdesk.models import HelpRequest, OutboxMessage
from bot.helpdesk.outbox import Delivery, RetryLater
from bot.settings import Settings
from bot.storage.engine import SecondConnection, make_engine, sessions
from bot.storage.models import Base
from bot.web.inbox import WebInbox

START = dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.UTC)  # Monday, 10:00 in Kyiv and Sofia
NEED = "Мамі 82 роки, потрібні ліки та продукти"


class Clock:
    def __init__(self, now: dt.datetime):
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


async def make_opora(url: str, **settings):
    app = await build_app(Settings(database_url=url, **settings))
    await ensure_catalog(app)
    app.clock = Clock(START)
    app.conversation = build_conversation(app, await build_engine(app), now=app.clock)
    return app


@pytest.fixture(scope="module")
async def opora(tmp_path_factory):
    app = await make_opora(
        f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('abuse')}/opora.sqlite3",
        limit_requests="3/hour",
        limit_turns="40/minute",
    )
    yield app
    await app.close()


def person(opora, user_id: str, channel: str = "test") -> FakeChannel:
    chat = FakeChannel(opora.conversation, user_id=user_id, language="uk")
    chat.user = User(channel, user_id, "Olena", "uk")
    return chat


async def to_consent(chat: FakeChannel, need: str = NEED, phone: str | None = None):
    await chat.says("/start")
    await chat.presses("staff")
    await chat.presses("staff:queues")
    await chat.presses("staff:q:kramatorsk-dnipro")
    await chat.says(need)
    if phone:
        return await chat.shares_contact(phone)
    return await chat.presses("staff:phone:skip")


async def requests_of(app, user_id: str) -> list[HelpRequest]:
    async with app.sessions() as session:
        return list((await session.scalars(select(HelpRequest).where(HelpRequest.user_id == user_id))).all())


# --- H1: SQLite, one writer --------------------------------------------------------------------


async def test_h1_many_people_sending_requests_at_once_on_sqlite_never_freeze(tmp_path):
    """The review's freeze: more flows than the pool's 15 connections, all sending at once."""
    app = await make_opora(f"sqlite+aiosqlite:///{tmp_path}/opora.sqlite3", limit_requests="", limit_turns="")
    try:
        people = [person(app, f"flow{n}") for n in range(40)]
        await asyncio.gather(*(to_consent(p) for p in people))
        started = time.monotonic()
        sent = await asyncio.gather(*(p.presses("staff:send") for p in people))
        took = time.monotonic() - started
        assert all("№" in s.text for s in sent)
        bystander = person(app, "bystander")
        before = time.monotonic()
        assert "Вітаю" in (await bystander.says("/start")).text
        assert time.monotonic() - before < 1.0
        assert took < 10, f"40 requests at once took {took:.1f} s"
        async with app.sessions() as session:
            assert len((await session.scalars(select(HelpRequest))).all()) == 40
    finally:
        await app.close()


async def test_h1_no_second_connection_is_opened_inside_a_write_on_sqlite(tmp_path):
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path}/o.sqlite3")
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    db = sessions(engine)
    try:
        with pytest.raises(SecondConnection):
            async with db() as session, session.begin():
                session.add(ChatState(channel="t", user_id="1", data={}, updated_at=START))
                await session.flush()
                async with db() as other:  # what HelpDesk.create did, through card() → desk.queue()
                    await other.execute(text("SELECT 1"))
        writes = [asyncio.create_task(_write(db, n)) for n in range(50)]  # writers queue, none waits in SQLite
        await asyncio.wait_for(asyncio.gather(*writes), 10)
    finally:
        await engine.dispose()


async def _write(db, n: int) -> None:
    async with db() as session, session.begin():
        session.add(ChatState(channel="w", user_id=str(n), data={"n": n}, updated_at=START))
        await session.flush()
        await asyncio.sleep(0.001)  # a transaction that yields, as every real one does


# --- H2: one chat's backlog holds up no other ------------------------------------------------------


class Throttled:
    """A channel whose chat "group" is over its rate limit, as a staff group waiting out 20 a minute."""

    def __init__(self):
        self.received: dict[str, list[int]] = {}

    async def send(self, chat_id: str, message: dict, reply_to: str | None) -> str:
        if chat_id == "group" and len(self.received.get("group", [])) >= 2:
            raise RetryLater(60)
        self.received.setdefault(chat_id, []).append(message["n"])
        return str(message["n"])


async def test_h2_a_backlog_in_one_chat_holds_up_no_other(db):
    now = dt.datetime.now(dt.UTC)
    async with db() as session, session.begin():
        session.add_all(
            [
                OutboxMessage(
                    channel="test",
                    chat_id="group",
                    message={"n": n},
                    status="pending",
                    attempts=0,
                    next_attempt_at=now,
                    created_at=now,
                )
                for n in range(1000)
            ]
        )
        session.add(
            OutboxMessage(
                channel="test",
                chat_id="citizen",
                message={"n": 0},
                status="pending",
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
        )
    channel = Throttled()
    delivery = Delivery(db, {"test": channel}, lambda: dt.datetime.now(dt.UTC))
    started = time.monotonic()
    while "citizen" not in channel.received and time.monotonic() - started < 5:
        await delivery.deliver_due()
    assert channel.received.get("citizen") == [0]
    assert time.monotonic() - started < 2
    for _ in range(4):
        await delivery.deliver_due()
    assert channel.received["group"] == [0, 1]  # in order, and then put off, not skipped
    async with db() as session:
        head = await session.get(OutboxMessage, 3)
        assert head.status == "pending" and head.attempts == 0 and "retry after" in head.last_error


async def test_h2_the_rate_limits_put_off_an_outbox_message_rather_than_sleep():
    limits = RateLimits()
    assert [await limits.try_take("-100", group=True) for _ in range(20)] == [0.0] * 20
    started = time.monotonic()
    wait = await limits.try_take("-100", group=True)
    assert 0 < wait <= 60 and time.monotonic() - started < 0.1
    assert await limits.try_take("42", group=False) == 0.0  # another chat is not held up


# --- M1: limits per person ---------------------------------------------------------------------


async def test_m1_a_flood_from_one_person_is_told_once_to_slow_down_in_their_language(opora):
    flooder = person(opora, "flooder")
    await flooder.says("/start")
    said = [await flooder.says("пенсія") for _ in range(45)]
    refused = [s for s in said if not s or "швидше" in s.text]
    assert len(refused) == 6  # 40 a minute
    assert "Будь ласка, зачекайте хвилину" in refused[0].text
    assert all(not s for s in refused[1:])  # said once, then nothing
    assert "Вітаю" in (await person(opora, "neighbour").says("/start")).text  # nobody else is limited


async def test_m1_help_requests_per_person_are_limited_politely_and_the_draft_kept(opora):
    sender = person(opora, "sender")
    for n in range(3):
        await to_consent(sender, f"{NEED} {n}")
        assert "№" in (await sender.presses("staff:send")).text
    await to_consent(sender, f"{NEED} 4")
    refused = await sender.presses("staff:send")
    assert "кілька запитів" in refused.text and "/myrequests" in refused.text
    assert len(await requests_of(opora, "sender")) == 3
    assert any(b.payload == "staff:send" for b in refused.buttons)  # it can be sent later


def test_m1_the_limits_are_settings():
    settings = Settings(limit_turns="5/minute", limit_requests="1/hour;2/day", _env_file=None)
    limits = Limits({"turns": settings.limit_turns, "requests": settings.limit_requests})
    assert [str(i) for i in limits.items["requests"]] == ["1 per 1 hour", "2 per 1 day"]


async def test_m1_a_shared_office_can_send_thirty_requests_an_hour():
    limits = Limits({"office": "30/hour"})
    assert all([await limits.allow("office", "198.51.100.7") for _ in range(30)])
    assert not await limits.allow("office", "198.51.100.7")


async def test_m1_abandoned_conversations_are_pruned(opora):
    left = person(opora, "left-long-ago")
    await left.says("/start")
    states = opora.conversation.services.states
    opora.clock.now = START + dt.timedelta(days=31)
    try:
        assert await states.prune(dt.timedelta(days=30)) >= 1
    finally:
        opora.clock.now = START
    async with opora.sessions() as session:
        assert await session.get(ChatState, ("test", "left-long-ago")) is None


# --- M2: one draft, one request ----------------------------------------------------------------


@pytest.mark.parametrize("channel", ["telegram", "viber", "web"])
async def test_m2_a_crash_between_the_request_and_the_state_makes_no_second_request(opora, channel):
    """kill -9 after the request's commit and before the state's save: the database then holds the
    request and the state from before "send". Sending again (the update delivered again, or the
    person pressing again) gives the same request."""
    olena = person(opora, f"crash-{channel}", channel)
    await to_consent(olena)
    async with opora.sessions() as session:
        before = await session.get(ChatState, (channel, olena.user.id))
        saved = (before.flow, dict(before.data))
    first = await olena.presses("staff:send")
    async with opora.sessions() as session, session.begin():  # what a kill -9 at that moment leaves
        await session.execute(
            update(ChatState)
            .where(ChatState.channel == channel, ChatState.user_id == olena.user.id)
            .values(flow=saved[0], data=saved[1])
        )
    again = await olena.presses("staff:send")
    made = await requests_of(opora, olena.user.id)
    assert len(made) == 1 and f"№ {made[0].id}" in first.text and f"№ {made[0].id}" in again.text
    async with opora.sessions() as session:
        cards = (
            await session.scalars(
                select(OutboxMessage).where(OutboxMessage.request_id == made[0].id, OutboxMessage.card.is_(True))
            )
        ).all()
    assert len(cards) == len({(c.channel, c.chat_id) for c in cards})  # one card per staff chat


async def test_m2_the_same_draft_at_once_on_two_workers_is_one_request(db):
    from catalog import SEED_DATA
    from catalog.loader import load_catalog
    from catalog.validation import load_checked

    await load_catalog(db, load_checked(SEED_DATA))

    async def card(request, text, lang=None):
        return {"text": text}

    desks = [HelpDesk(db, lambda: START) for _ in range(2)]
    draft = Draft("telegram", "501", "uk", "kramatorsk-dnipro", None, NEED, key="draft-1")
    made = await asyncio.gather(*(desk.create(draft, card) for desk in desks), return_exceptions=True)
    assert not [m for m in made if isinstance(m, BaseException)], made
    assert made[0].id == made[1].id


# --- M4: /forget leaves nothing ----------------------------------------------------------------


async def test_m4_after_forget_nothing_of_the_person_is_left_in_any_table(opora):
    from bot.app import build_accounts
    from bot.web.chat import CHANNEL

    desk = opora.conversation.services.desk
    staff, _link = await build_accounts(opora).add("Staff", [q.id for q in await desk.queues()])
    chat = staff.chat  # a staff account's view, whose inbox gets the cards
    web = person(opora, "forget-me-0123456789abcdef", CHANNEL)
    marker, phone = "FORGETME пані Олена, вул. Трояндова 5", "+359 877 111 222"
    await to_consent(web, marker, phone=phone)
    number = int((await web.presses("staff:send")).text.split("№ ")[1].split()[0])
    await web.presses(f"staff:add:{number}")
    await web.says(f"{marker}: ще одне")
    inbox = WebInbox(opora.sessions)
    delivery = Delivery(opora.sessions, {CHANNEL: inbox}, opora.clock)
    while await delivery.deliver_due():
        pass
    await desk.reply(number, CHANNEL, chat, "Відповідь для Олени", relay=lambda r: _message("answer"))
    while await delivery.deliver_due():
        pass
    assert await _traces(opora, web.user.id, marker, phone)  # the check sees them before
    await web.presses("forget:yes")
    assert await _traces(opora, web.user.id, marker, phone) == []


async def _message(text_: str) -> dict:
    return {"text": text_}


async def _traces(app, user_id: str, marker: str, phone: str) -> list[str]:
    """Every row of every table that holds the person's id, words or phone number."""
    wanted = (user_id, marker.split(",")[0], phone, phone.replace(" ", ""))
    found = []
    async with app.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            for row in (await conn.execute(table.select())).all():
                flat = json.dumps([str(v) for v in row], ensure_ascii=False)
                if any(w in flat for w in wanted):
                    found.append(f"{table.name}: {flat[:200]}")
    return found


# --- M5: drafts expire -------------------------------------------------------------------------


async def test_m5_a_draft_never_sent_expires_with_everything_in_it(opora):
    leaver = person(opora, "leaver")
    await to_consent(leaver, "ABANDON син має епілепсію, вул. Трояндова 5", phone="+380 50 123 45 67")
    await leaver.presses("menu")
    states = opora.conversation.services.states
    assert await states.expire_drafts() == 0  # not yet
    opora.clock.now = START + dt.timedelta(hours=25)
    try:
        assert await states.expire_drafts() >= 1
        async with opora.sessions() as session:
            row = await session.get(ChatState, ("test", "leaver"))
        assert "ABANDON" not in json.dumps(row.data, ensure_ascii=False) and "123 45" not in json.dumps(row.data)
        assert row.draft_at is None
        # and a draft expired before the duties ran is not sent either
        late = person(opora, "late")
        opora.clock.now = START
        await to_consent(late)
        opora.clock.now = START + dt.timedelta(hours=25)
        await late.presses("staff:send")
        assert await requests_of(opora, "late") == []
    finally:
        opora.clock.now = START


# --- L2, L3: what cannot be stored, and numbers out of range ------------------------------------


async def test_l2_a_nul_character_is_cleaned_on_postgresql():
    await empty_postgres()
    app = await make_opora(POSTGRES_URL)
    try:
        nul = person(app, "nul")
        await to_consent(nul, "PGPII мій діагноз Z\x00, вул. Трояндова 5", phone="+380\x0050 123 45 67")
        sent = await nul.presses("staff:send")
        assert "№" in sent.text
        made = await requests_of(app, "nul")
        assert len(made) == 1 and made[0].phone == "+38050 123 45 67"
        async with app.sessions() as session:
            texts = (await session.scalars(text("SELECT text FROM opora_request_message"))).all()
        assert texts == ["PGPII мій діагноз Z, вул. Трояндова 5"]
    finally:
        await app.close()


async def test_l3_a_huge_request_number_is_out_of_date_and_poisons_nothing(opora):
    mallory = person(opora, "mallory")
    await mallory.says("/start")
    for payload in ("staff:add:" + "9" * 30, "staff:add:²", "staff:add:2147483648"):
        said = await mallory.presses(payload)
        if "вже не діє" not in said.text:
            said = await mallory.says("привіт")
        assert "вже не діє" in said.text
        assert "Вітаю" in (await mallory.says("/start")).text
    async with opora.sessions() as session, session.begin():  # a state poisoned before the fix
        await session.execute(
            update(ChatState).where(ChatState.user_id == "mallory").values(flow="request:" + "9" * 30)
        )
    assert "вже не діє" in (await mallory.says("привіт")).text
    assert "Вітаю" in (await mallory.says("/start")).text
    desk = opora.conversation.services.desk
    with pytest.raises(NotFound):  # the staff API's and staff chats' take, close, reply
        await desk.take(10**20, "web", "staff", notify=_message)
