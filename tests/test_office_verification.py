"""Offices confirm their own facts from their staff chats (issue 15, steps 3 and 4), on SQLite and
PostgreSQL: when they are asked, a correction typed in plain words and checked as `catalog
validate` checks, shown back and saved with who and when; the citizen's card at once; "All
correct"; the YAML export that validates and shows the change; `catalog load` keeping newer
confirmed facts unless forced."""

import datetime as dt
import subprocess

import pytest
from sqlalchemy import select, text
from support.chat_helpers import FakeChannel, Said
from support.databases import POSTGRES_URL
from support.fake_telegram import FakeBotAPI, TelegramChat, texts
from support.opora import opora_cli, opora_command, start_opora, stop

from bot.app import build_app, build_services, ensure_catalog
from bot.core.conversation import Conversation
from bot.core.events import Event, User
from bot.helpdesk.models import OutboxMessage, Verification
from bot.settings import Settings
from bot.storage.engine import make_engine
from catalog import SEED_DATA
from catalog.corrections import BadCorrection, parse
from catalog.loader import load_catalog
from catalog.models import Location, Phone, Schedule
from catalog.validation import load_checked, read_catalog

NOW = dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.UTC)
OFFICE = "kazanlak-home-patronage-office"
SERVICE = "kazanlak-home-patronage"
GROUP = "-100555"


class Clock:
    def __init__(self, now: dt.datetime):
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture(params=["sqlite", "postgresql"])
async def opora(request, tmp_path):
    if request.param == "postgresql":
        engine = make_engine(POSTGRES_URL)
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
        await engine.dispose()
        url = POSTGRES_URL
    else:
        url = f"sqlite+aiosqlite:///{tmp_path}/opora.sqlite3"
    app = await build_app(Settings(database_url=url))
    await ensure_catalog(app)
    app.clock = Clock(NOW)
    app.services = build_services(app, None, now=app.clock)
    app.conversation = Conversation(app.services)
    app.url = url
    yield app
    await app.close()


class StaffGroup:
    """A staff member in a staff group, talking to the core as Telegram would hand it over."""

    def __init__(self, conversation: Conversation, user_id: str = "900", chat: str = GROUP):
        self.conversation, self.chat = conversation, chat
        self.user = User("telegram", user_id, "Maria", "bg")

    async def says(self, words: str) -> Said:
        return Said(await self.conversation.handle(Event(self.user, text=words, chat=self.chat)))

    async def presses(self, payload: str) -> Said:
        return Said(await self.conversation.handle(Event(self.user, payload=payload, chat=self.chat)))


async def joined(app, queue="kazanlak-social") -> StaffGroup:
    staff = StaffGroup(app.conversation)
    code = await app.services.desk.invite(queue)
    await staff.says(f"/join {code}")
    return staff


async def questions(app, chat: str = GROUP) -> dict[str, Verification]:
    return {v.location_id: v for v in await app.services.desk.verifications.of_chat("telegram", chat)}


async def outbox(app, chat: str = GROUP) -> list[OutboxMessage]:
    async with app.sessions() as session:
        return list(
            (
                await session.scalars(
                    select(OutboxMessage)
                    .where(OutboxMessage.chat_id == chat, OutboxMessage.request_id.is_(None))
                    .order_by(OutboxMessage.id)
                )
            ).all()
        )


def test_corrections_are_read_and_checked_as_catalog_validate_checks():
    assert parse("пн–пт 8–17", "BG").hours[0].days == ("MO", "TU", "WE", "TH", "FR")
    assert (parse("пн–пт 8:00–17:00", "UA").hours[0].opens, parse("пн–пт 8–17:30", "UA").hours[0].closes) == (
        "08:00",
        "17:30",
    )
    week = parse("Пн-Чт 8:00-17:00, пт 8-14", "BG").hours
    assert [(h.days, h.opens, h.closes) for h in week] == [
        (("MO", "TU", "WE", "TH"), "08:00", "17:00"),
        (("FR",), "08:00", "14:00"),
    ]
    assert parse("понеділок–п’ятниця 9–18", "UA").hours[0].days[-1] == "FR"
    assert parse("нд 9-13", "UA").hours[0].days == ("SU",)
    assert parse("0431 6 23 61", "BG").phone == "+359 431 623 61"
    assert parse("050 123 45 67", "UA").phone == "+380 50 123 4567"
    assert parse("ул. „Искра“ № 4", "BG").address == "ул. „Искра“ № 4"
    for wrong, country, reason in [
        ("0431 1", "BG", "phone"),
        ("12345", "BG", "phone"),
        ("пн–пт 17–8", "BG", "hours_order"),
        ("пн-пт 8-25", "BG", "hours"),
        ("   ", "BG", "empty"),
        ("пн–пт 8–17 и нещо", "BG", "hours"),
    ]:
        with pytest.raises(BadCorrection) as error:
            parse(wrong, country)
        assert error.value.reason == reason, wrong


async def test_a_bound_chat_is_asked_at_once_about_its_offices_and_not_again_for_six_months(opora):
    await joined(opora)
    asked = await questions(opora)
    offices = await opora.services.desk.verifications.offices("kazanlak-social")
    assert offices[0] == "kazanlak-municipality-office" and OFFICE in offices
    assert set(asked) == set(offices)  # the seed's facts are unknown or older than six months
    first = (await outbox(opora))[0].message
    assert "✔" in first["buttons"][0][0][0] and first["buttons"][0][1][1].startswith("sv:fix:")
    assert all(len(payload.encode()) <= 64 for row in first["buttons"] for _label, payload in row)

    assert await opora.services.desk.verifications.ask(_render) == 0  # the schedule, a minute later
    opora.clock.now = NOW + dt.timedelta(days=190)
    assert await opora.services.desk.verifications.ask(_render) == len(offices)  # due again
    other = await opora.services.desk.invite("kramatorsk-dnipro")
    await StaffGroup(opora.conversation, chat="-100556").says(f"/join {other}")
    assert set(await questions(opora, "-100556")) == set(
        await opora.services.desk.verifications.offices("kramatorsk-dnipro")
    )


async def _render(verification) -> dict:
    return {"text": f"check {verification.location_id}"}


async def test_a_phone_is_corrected_confirmed_and_seen_by_citizens_at_once(opora, tmp_path):
    staff = await joined(opora)
    question = (await questions(opora))[OFFICE]
    citizen = FakeChannel(opora.conversation, "501", "bg")
    before = await citizen.presses(f"svc:{SERVICE}")  # the card is read (and cached) before the change
    assert "+359 88 460 0281" in before.text

    prompt = await staff.presses(f"sv:fix:{question.id}")
    assert "телефон" in prompt.text
    wrong = await staff.says("0431 1")
    assert "не е валиден" in wrong.text
    assert (await questions(opora))[OFFICE].status == "fixing"  # nothing lost: still waiting for it
    shown = await staff.says("0431 6 23 61")
    assert "+359 431 623 61" in shown.text
    assert [b.payload for b in shown.buttons][:3] == [
        f"sv:save:{question.id}:0",
        f"sv:save:{question.id}:1",
        f"sv:save:{question.id}:new",
    ]
    saved = await staff.presses(f"sv:save:{question.id}:0")
    assert "Запазено" in saved.text

    card = await citizen.presses(f"svc:{SERVICE}")
    assert "+359 431 623 61" in card.text and "+359 88 460 0281" not in card.text
    assert "+359 431 623 61 (потвърдено от Социални услуги – Община Казанлък на 23 ноември 2026" in card.text
    async with opora.sessions() as session:
        phone = (await session.scalars(select(Phone).where(Phone.number == "+359 431 623 61"))).one()
    assert phone.assured_date == NOW.date() and phone.translations["assured_by"]["uk"].startswith("Соціальні")
    assert (await questions(opora))[OFFICE].answered_by == "Maria"

    # Another chat can do nothing with this chat's question.
    intruder = StaffGroup(opora.conversation, user_id="901", chat="-100999")
    assert "не е чат" in (await intruder.presses(f"sv:ok:{question.id}")).text

    # The export is the seed with the change, and it validates.
    exported = tmp_path / "exported"
    cli(opora, "catalog", "export", "--format", "yaml", str(exported))
    catalog, problems = read_catalog(exported)
    assert problems == []
    diff = subprocess.run(
        ["diff", "-u", str(SEED_DATA / "bg-kazanlak.yaml"), str(exported / "bg-kazanlak.yaml")],
        capture_output=True,
        text=True,
    ).stdout
    removed = [line for line in diff.splitlines() if line.startswith("-") and not line.startswith("---")]
    added = [line for line in diff.splitlines() if line.startswith("+") and not line.startswith("+++")]
    assert any("0884 600 281" in line for line in removed)
    assert any("+359 431 623 61" in line for line in added)
    assert any("assured_date: 2026-11-23" in line for line in added)
    for name in ("bg-pazardzhik.yaml", "ua-kramatorsk.yaml", "places.yaml"):
        assert (exported / name).read_text() == (SEED_DATA / name).read_text()
    office = next(loc for pf in catalog.providers for loc in pf.locations if loc.id == OFFICE)
    assert office.phones[0].number == "+359 431 623 61" and office.phones[0].assured_date == NOW.date()
    assert office.phones[1].assured_date is None  # the other line was not confirmed

    # Loading the seed again keeps the newer confirmed phone, and says so; --force loads the file's.
    report = await load_catalog(opora.sessions, load_checked(SEED_DATA))
    assert [(c.location_id, c.fact, c.kept) for c in report.conflicts] == [(OFFICE, "phones", True)]
    async with opora.sessions() as session:
        assert await session.scalar(select(Phone.id).where(Phone.number == "+359 431 623 61")) is not None
    # … and loading the exported files changes nothing and reports nothing.
    assert (await load_catalog(opora.sessions, catalog)).conflicts == []
    forced = await load_catalog(opora.sessions, load_checked(SEED_DATA), force=True)
    assert [c.kept for c in forced.conflicts] == [False]
    async with opora.sessions() as session:
        assert await session.scalar(select(Phone.id).where(Phone.number == "+359 431 623 61")) is None


async def test_hours_and_address_are_corrected_and_all_correct_confirms_the_rest(opora):
    staff = await joined(opora)
    question = (await questions(opora))[OFFICE]
    await staff.presses(f"sv:fix:{question.id}")
    shown = await staff.says("пн–пт 8–17")
    assert "08:00" in shown.text or "8:00" in shown.text
    await staff.presses(f"sv:save:{question.id}")
    async with opora.sessions() as session:
        hours = (
            await session.scalars(select(Schedule).where(Schedule.location_id == OFFICE, Schedule.byday.is_not(None)))
        ).all()
    assert [(h.byday, h.opens_at, h.closes_at, h.assured_date) for h in hours] == [
        ("MO,TU,WE,TH,FR", "08:00:00", "17:00:00", NOW.date())
    ]

    await staff.presses(f"sv:fix:{question.id}")
    cancelled = await staff.says("ул. „Искра“ № 4")
    assert "✖" in " ".join(cancelled.labels())
    assert "Нищо не е променено" in (await staff.presses(f"sv:no:{question.id}")).text
    await staff.presses(f"sv:fix:{question.id}")
    await staff.says("ул. „Искра“ № 4")
    await staff.presses(f"sv:save:{question.id}")
    office = await opora.services.directory.office(OFFICE)
    assert office.address["bg"] == "ул. „Искра“ № 4" and office.latitude is None  # the old point is gone

    done = await staff.presses(f"sv:ok:{question.id}")
    assert "Потвърдено от" in done.text
    office = await opora.services.directory.office(OFFICE)
    assert all(f.confirmed for f in office.phone_facts) and office.address_fact.confirmed
    assert (await questions(opora)).get(OFFICE) is None  # answered
    async with opora.sessions() as session:
        assert (await session.get(Location, OFFICE)).assured_date == NOW.date()
    # Confirmed today: not due again before six months.
    from catalog.corrections import office_facts

    assert not (await office_facts(opora.sessions, OFFICE)).due(NOW.date())
    assert (await office_facts(opora.sessions, OFFICE)).due(NOW.date() + dt.timedelta(days=200))


@pytest.mark.e2e
async def test_staff_verify_asks_every_office_of_the_queue_now(opora):
    assert "no staff chat" in cli(opora, "staff", "verify", "kramatorsk-dnipro", check=False).stderr
    await joined(opora, "kramatorsk-dnipro")
    before = len(await outbox(opora))
    done = cli(opora, "staff", "verify", "kramatorsk-dnipro")
    offices = await opora.services.desk.verifications.offices("kramatorsk-dnipro")
    assert f"about {len(offices)} office(s)" in done.stdout
    assert len(await outbox(opora)) == before + len(offices)
    assert cli(opora, "staff", "verify", "no-such-queue", check=False).returncode == 1


def cli(app, *args, check=True) -> subprocess.CompletedProcess:
    done = opora_command(*args, env={"OPORA_DATABASE_URL": app.url, "PATH": ""})
    if check:
        assert done.returncode == 0, done.stderr
    return done


@pytest.mark.e2e
async def test_end_to_end_a_telegram_staff_group_corrects_a_phone_and_citizens_see_it(tmp_path):
    """Over the fake Bot API, against the real `opora run`: the bound group is asked, corrects
    a phone and confirms it; the citizen's card shows it, confirmed; the YAML export validates
    and its diff shows the change."""
    api = FakeBotAPI()
    url = await api.start()
    opora = await start_opora(tmp_path, url)
    try:
        await api.wait_for("getUpdates")
        code = opora_cli(tmp_path, "staff", "invite", "kazanlak-social").strip().splitlines()[-1]
        staff = TelegramChat(api, 900, "bg", group=-100321)
        assert "Казанлък" in texts(await staff.says(f"/join {code}"))
        asked = await api.wait_delivered(-100321, "Домашен социален патронаж – Казанлък")
        assert "+359 88 460 0281" in asked["text"]
        fix = next(
            b["callback_data"]
            for row in asked["reply_markup"]["inline_keyboard"]
            for b in row
            if b["callback_data"].startswith("sv:fix:")
        )
        number = fix.rsplit(":", 1)[1]
        assert "Напишете верния телефон" in texts(await staff.presses(fix))
        assert "не е валиден" in texts(await staff.says("0431 1", reply_to=1))
        assert "+359 431 623 61" in texts(await staff.says("0431 6 23 61", reply_to=1))
        assert "Запазено" in texts(await staff.presses(f"sv:save:{number}:0"))
        assert "Благодарим" in texts(await staff.presses(f"sv:ok:{number}"))

        citizen = TelegramChat(api, 501, "bg")
        await citizen.says("/start")
        card = texts(await citizen.says("домашен социален патронаж казанлък"))
        assert (
            "+359 431 623 61 (потвърдено от Социални услуги – Община Казанлък" in card
            or "Потвърдено от Социални услуги – Община Казанлък" in card
        )
        assert "+359 431 623 61" in card and "+359 88 460 0281" not in card
    finally:
        assert await stop(opora) == 0
        await api.stop()

    exported = tmp_path / "yaml"
    opora_cli(tmp_path, "catalog", "export", "--format", "yaml", str(exported))
    assert "ok:" in opora_cli(tmp_path, "catalog", "validate", str(exported))
    diff = subprocess.run(
        ["diff", "-u", str(SEED_DATA / "bg-kazanlak.yaml"), str(exported / "bg-kazanlak.yaml")],
        capture_output=True,
        text=True,
    ).stdout
    assert "-      - number: 0884 600 281" in diff and "+      - number: +359 431 623 61" in diff
