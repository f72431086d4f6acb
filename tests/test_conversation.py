"""Conversations with the core through an in-process channel: no network, real database."""

import asyncio
import datetime as dt
import sqlite3

import pytest
from sqlalchemy import func, select, update
from support.chat_helpers import MONDAY_MORNING, FakeChannel
from support.databases import POSTGRES_URL, empty_postgres

from bot.app import build_app, build_conversation, build_engine, ensure_catalog
from bot.core.events import Text, User, Venue
from bot.core.i18n import Translator
from bot.core.state import ChatState, Claim, State, StateStore
from bot.settings import Settings
from bot.storage.base import Base
from bot.storage.engine import make_engine, sessions

# Monday 23 November 2026, 10:00 in Kyiv and Sofia.


@pytest.fixture(scope="module")
async def opora(tmp_path_factory):
    app = await build_app(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('chat')}/opora.sqlite3"))
    await ensure_catalog(app)
    answers = await build_engine(app)
    app.conversation = build_conversation(app, answers, now=lambda: MONDAY_MORNING)
    app.answers = answers
    yield app
    await app.close()


@pytest.fixture
def olena(opora, request):
    return FakeChannel(opora.conversation, user_id=request.node.name, language="uk")


def has_menu(said) -> bool:
    return any(b.payload == "menu" for b in said.buttons)


async def test_greeted_in_the_apps_language_with_a_one_tap_switch(olena):
    hello = await olena.says("/start")
    assert "Вітаю" in hello.text
    assert "🇧🇬 Български" in hello.labels()
    switched = await olena.taps("Български")
    assert "Отсега ще отговарям на български" in switched.text
    assert "🇺🇦 Українська" in (await olena.says("/language")).labels()


async def test_browsing_category_then_town_then_service_never_dead_ends(olena):
    await olena.says("/start")
    categories = await olena.taps("Знайти послугу")
    assert has_menu(categories)
    towns = await olena.taps("Харчування")
    assert has_menu(towns) and any(b.label.startswith("⬅") for b in towns.buttons)
    services = await olena.taps("Казанлик")
    assert has_menu(services)
    card = await olena.taps("Домашній соціальний патронаж")
    assert card[0].title == "Домашній соціальний патронаж"
    for part in ("📍", "☎", "🕘", "👥", "За даними"):
        assert part in card.text
    assert "staff:topic:kazanlak-home-patronage" in [b.payload for b in card.buttons]
    more = await olena.taps("Докладніше")
    for part in ("Хто може отримати", "Як звернутися", "За даними"):
        assert part in more.text
    assert "staff:topic:kazanlak-home-patronage" in [b.payload for b in more.buttons]
    back = await olena.taps("⬅")
    assert back.buttons == services.buttons


async def test_a_free_text_question_gets_cards_in_the_askers_language(olena):
    said = await olena.says("кой носи топъл обяд на баба в Казанлък")
    assert "Домашен социален патронаж" in said.text  # asked in Bulgarian, answered in Bulgarian
    cards = [r for r in said if isinstance(r, Text) and r.title]
    assert 1 <= len(cards) <= 3
    assert all(any(b.payload.startswith("staff:") for row in c.buttons for b in row) for c in cards)


async def test_unknown_facts_are_said_plainly(olena):
    card = await olena.presses("svc:kramatorsk-idp-support")
    assert "Контакти невідомі: працівник може їх з'ясувати." in card.text
    assert card.text.count("невідом") == 1 and "не вказано" not in card.text  # said once


async def test_a_displaced_person_gets_the_hromadas_branch_where_they_live_now(olena):
    said = await olena.says("Я з Краматорська, тепер живу в Дніпрі. Куди звернутися?")
    first_card = said[0].text.split("\n\n")[1]  # after what the answer is
    assert "\n📍 Дніпро" in first_card  # its first office is the branch in Dnipro


async def test_near_me_lists_the_three_nearest_offices_with_distance_and_todays_hours(olena):
    await olena.says("/start")
    ask = await olena.taps("Поруч")
    assert any(isinstance(r, Text) and r.request == "location" for r in ask)
    nearest = await olena.shares_location(50.41, 30.66)  # Darnytskyi district, Kyiv
    assert len(nearest) == 1  # one message
    offices = nearest[0].text.split("\n\n")[1:4]
    assert [office[:1] for office in offices] == ["1", "2", "3"]
    kyiv = offices[0]
    assert "Відділення терцентру Краматорська в Києві" in kyiv
    assert "кілометр" in kyiv  # Babel's Ukrainian unit name
    assert "Години роботи станом на 11 жовтня 2022" in kyiv  # hours from 2022 say so
    assert "відчинено" not in kyiv and "зачинено" not in kyiv  # and never "open now"
    assert not any(isinstance(r, Venue) for r in nearest)  # no office has exact coordinates


async def test_the_screener_explains_why(olena):
    await olena.says("/start")
    await olena.taps("Чи маю я право")
    await olena.taps("Для родича")
    await olena.says("Мамі 82 роки")
    chips = await olena.taps("Живе сам")
    assert any(label.startswith("✅") for label in chips.labels())
    await olena.taps("Готово")
    result = await olena.taps("Казанлик")
    assert "Домашній соціальний патронаж" in result.text
    assert "живе сам(а)" in result.text.lower()  # the situation ticked, as the reason
    assert has_menu(result)


async def test_forget_deletes_after_confirmation(opora, olena):
    async def stored() -> int:
        async with opora.sessions() as session:
            return await session.scalar(
                select(func.count()).select_from(ChatState).where(ChatState.user_id == olena.user.id)
            )

    await olena.says("/start")
    await olena.says("/forget")
    await olena.taps("Ні")
    assert await stored() == 1
    await olena.says("/forget")
    await olena.taps("Так")
    assert await stored() == 0


@pytest.mark.parametrize("url", ["sqlite", "postgresql"])
async def test_the_chosen_language_survives_a_restart(tmp_path, url):
    settings = Settings(
        database_url=POSTGRES_URL if url == "postgresql" else f"sqlite+aiosqlite:///{tmp_path}/o.sqlite3"
    )
    if url == "postgresql":
        await empty_postgres()  # whatever an earlier test left there
    app = await build_app(settings)
    try:
        await ensure_catalog(app)
        answers = await build_engine(app)
        await FakeChannel(build_conversation(app, answers), "42", "uk").presses("lang:bg")
        restarted = FakeChannel(build_conversation(app, answers), "42", "uk")
        assert "Какво" in (await restarted.says("/menu")).text
    finally:
        await app.close()


@pytest.mark.parametrize(
    "message", ["", "   ", "😀🙏", "\x00\x07", "'; DROP TABLE service; --", "a" * 10_000, 'NEAR(" OR *) AND -', None]
)
async def test_odd_messages_get_a_polite_answer(olena, message):
    said = await olena.says(message)
    assert said.text
    assert has_menu(said) or {"browse", "staff"} <= {b.payload for b in said.buttons}


@pytest.mark.parametrize(
    "payload",
    [
        "svc:nope",
        "cat:weather",
        "scr:s:veteran",
        "lang:ru",
        "town:meals:mars",
        "forget:maybe",
        "near:atlantis",
        "",
        ":",
        "staff:nope",
    ],
)
async def test_forged_or_stale_buttons_get_a_polite_answer(olena, payload):
    said = await olena.presses(payload)
    restarted_screener = said.buttons[0].payload == "scr:who:me"
    assert "кнопка" in said.text.lower() or restarted_screener
    assert has_menu(said) or "browse" in [b.payload for b in said.buttons]  # or is the menu


def test_plural_forms():
    uk, bg = Translator("uk"), Translator("bg")
    found = ("I found %(n)d service:", "I found %(n)d services:")
    assert [uk.plural(*found, n).split()[-1] for n in (1, 3, 5, 21)] == ["послугу:", "послуги:", "послуг:", "послугу:"]
    assert [bg.plural(*found, n).split()[-1] for n in (1, 3)] == ["услуга:", "услуги:"]


def test_dates_and_distances_follow_the_locale():
    assert Translator("uk").date(dt.date(2022, 10, 11)).replace("\u202f", " ") == "11 жовтня 2022 р."
    assert Translator("bg").date(dt.date(2022, 10, 11)).replace("\u202f", " ") == "11 октомври 2022 г."
    assert Translator("bg").km(2.34) == "2,3 километра"


async def test_an_update_is_claimed_once_and_a_dead_workers_claim_is_taken_over(db):
    states, minute = StateStore(db), dt.timedelta(minutes=1)
    assert await states.claim_update("telegram", "1", minute) is Claim.NEW
    assert await states.claim_update("telegram", "1", minute) is Claim.BUSY  # a worker is at it
    assert await states.claim_update("telegram", "1", dt.timedelta(0)) is Claim.NEW  # it died: taken over
    await states.handled_update("telegram", "1")
    assert await states.claim_update("telegram", "1", dt.timedelta(0)) is Claim.HANDLED
    await states.forget_update("telegram", "1")  # handling failed: the next delivery handles it
    assert await states.claim_update("telegram", "1", minute) is Claim.NEW


async def test_on_sqlite_a_write_while_another_process_holds_the_file_waits_without_stopping_the_others(tmp_path):
    """Opora writes a person's state on the event loop, which must never wait for SQLite's lock:
    while another process (`opora catalog import`) holds it, the write waits aside, everything
    else goes on, and nothing is lost."""
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path}/opora.sqlite3")
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    states, olena = StateStore(sessions(engine)), User("telegram", "olena", "uk")
    other = sqlite3.connect(tmp_path / "opora.sqlite3", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # the other process's write transaction
    saving = asyncio.create_task(states.save(olena, State("uk", None, {"place": "kazanlak"})))
    ticks = 0
    for _ in range(10):
        await asyncio.sleep(0.03)
        ticks += 1  # the loop goes on: other people are answered meanwhile
    assert ticks == 10 and not saving.done()
    other.execute("COMMIT")
    await asyncio.wait_for(saving, 10)
    assert (await states.load(olena)).data == {"place": "kazanlak"}
    other.close()
    await engine.dispose()


async def test_records_of_handled_updates_are_kept_for_a_while_only(db):
    states, minute = StateStore(db), dt.timedelta(minutes=1)
    assert await states.claim_update("telegram", "1", minute) is Claim.NEW
    await states.handled_update("telegram", "1")
    await states.forget_updates_before(dt.datetime.now(dt.UTC) - dt.timedelta(days=2))
    assert await states.claim_update("telegram", "1", minute) is Claim.HANDLED  # recent: still known
    await states.forget_updates_before(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1))
    assert await states.claim_update("telegram", "1", minute) is Claim.NEW


async def test_pressing_send_again_shows_the_same_request_and_stores_no_second_one(olena, opora):
    """The confirmation may not arrive (the Bot API failed, and Telegram delivers the press again),
    or the person taps twice: either way they are told the number of the one request."""

    def first(said, prefix: str) -> str:
        return next(b.payload for b in said.buttons if b.payload.startswith(prefix))

    await olena.presses("svc:kazanlak-home-patronage")
    said = await olena.presses("staff:topic:kazanlak-home-patronage")
    if any(b.payload.startswith("staff:q:") for b in said.buttons):
        said = await olena.presses(first(said, "staff:q:"))
    said = await olena.says("Мамі 82 роки, потрібен догляд вдома")
    said = await olena.presses(first(said, "staff:phone:skip"))
    sent = await olena.presses("staff:send")
    again = await olena.presses("staff:send")
    assert "№" in sent.text and again.text == sent.text
    requests = await opora.conversation.services.desk.requests_of("test", olena.user.id)
    assert len(requests) == 1 and str(requests[0].id) in sent.text


async def test_a_message_begun_before_flows_were_typed_still_reaches_its_request(olena, opora):
    """The previous version kept the request's number in the flow ("request:N"): a person who
    pressed "Add a message" before a deploy and writes after it is not lost."""
    said = await olena.presses("staff:topic:kazanlak-home-patronage")
    await olena.presses(next(b.payload for b in said.buttons if b.payload.startswith("staff:q:")))
    await olena.says("Мамі 82 роки, потрібен догляд вдома")
    await olena.presses("staff:phone:skip")
    await olena.presses("staff:send")
    (request,) = await opora.conversation.services.desk.requests_of("test", olena.user.id)
    async with opora.sessions() as session, session.begin():
        await session.execute(
            update(ChatState).where(ChatState.user_id == olena.user.id).values(flow=f"request:{request.id}")
        )
    said = await olena.says("Вона вже не виходить з дому")
    assert f"Додано до запиту № {request.id}." in said.text
