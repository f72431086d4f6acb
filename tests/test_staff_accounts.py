"""Personal staff accounts: an admin adds one (`opora staff add` or the admin page), the person
sets a password with a one-time link, logs in, and sees only the queues of their account."""

import asyncio
import datetime as dt
import json
from types import SimpleNamespace

import pytest
from support.databases import POSTGRES_URL, empty_postgres, seeded_sqlite
from support.opora import opora_command
from support.web_visitor import ADMIN, StaffBrowser, Visitor, WebOpora, set_password, text

from bot.helpdesk.accounts import (
    LINK_LIFETIME,
    AccountDisabled,
    AccountError,
    Accounts,
    LinkInvalid,
    PasswordTooShort,
)
from bot.helpdesk.desk import HelpDesk
from bot.web.sessions import STAFF_IDLE, STAFF_LIFETIME, Sessions, WebSession, digest, end_account
from catalog.models import Queue

MONDAY = dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.UTC)
KAZANLAK, DNIPRO = "kazanlak-social", "kramatorsk-dnipro"


@pytest.fixture
async def office(db):
    """Two queues, accounts and web sessions on one clock (`office.clock[0]`), on SQLite and PostgreSQL."""
    async with db() as session, session.begin():
        session.add_all([Queue(id=queue, provider_id="p", name=queue) for queue in (KAZANLAK, DNIPRO)])
    clock = [MONDAY]

    def now() -> dt.datetime:
        return clock[0]

    return SimpleNamespace(
        clock=clock,
        db=db,
        accounts=Accounts(db, now, enders=[end_account]),
        sessions=Sessions(db, now, "key"),
        desk=HelpDesk(db, now),
    )


async def test_a_one_time_link_sets_the_password_once_and_expires(office):
    accounts = office.accounts
    maria, link = await accounts.add("Мария Иванова", [KAZANLAK], "agent", "bg")
    with pytest.raises(PasswordTooShort):
        await accounts.set_password(link, "123456789")  # 9 characters
    assert await accounts.verify("Мария Иванова", "123456789") is None  # no password yet
    assert await accounts.set_password(link, "зелена ябълка на масата") == maria
    with pytest.raises(LinkInvalid):
        await accounts.set_password(link, "another long password")  # it worked once
    assert await accounts.verify("мария  иванова", "зелена ябълка на масата") == maria  # the name as typed
    assert await accounts.verify("Мария Иванова", "зелена ябълка") is None
    assert await accounts.verify("Nobody", "зелена ябълка на масата") is None

    _, again = await accounts.invite("Мария Иванова")  # forgot it: a new link
    office.clock[0] += LINK_LIFETIME + dt.timedelta(minutes=1)
    with pytest.raises(LinkInvalid):
        await accounts.set_password(again, "a new long password")
    assert await accounts.verify("Мария Иванова", "зелена ябълка на масата") == maria  # the old one still works
    assert [(a.account.name, a.state(office.clock[0])) for a in await accounts.all()] == [("Мария Иванова", "active")]


async def test_an_accounts_chat_is_bound_to_its_queues_and_disabling_ends_everything(office):
    accounts, desk, sessions = office.accounts, office.desk, office.sessions
    olena, link = await accounts.add("Олена Коваль", [DNIPRO], "agent", "uk")
    await accounts.set_password(link, "довгий пароль Олени")
    assert await desk.staff_queues("web", olena.chat) == [DNIPRO]
    await accounts.set_queues("Олена Коваль", [DNIPRO, KAZANLAK])
    assert sorted(await desk.staff_queues("web", olena.chat)) == [KAZANLAK, DNIPRO]
    assert await desk.chat_language("web", olena.chat) == "uk"  # Kazanlak's cards reach her in Ukrainian

    session = await sessions.staff(olena.id)
    assert await sessions.staff_account(session) == olena.id
    await accounts.disable("Олена Коваль")
    assert await sessions.staff_account(session) is None  # ended at once
    assert await desk.staff_queues("web", olena.chat) == []
    with pytest.raises(AccountDisabled):  # the right password is told why it does not let her in
        await accounts.verify("Олена Коваль", "довгий пароль Олени")
    assert await accounts.verify("Олена Коваль", "a wrong guess") is None  # a guess learns nothing
    assert await accounts.get(olena.id) is None

    await accounts.enable("Олена Коваль")
    assert sorted(await desk.staff_queues("web", olena.chat)) == [KAZANLAK, DNIPRO]
    assert await sessions.staff_account(session) is None  # log in again
    assert await accounts.verify("Олена Коваль", "довгий пароль Олени") is not None


async def test_a_new_password_ends_the_sessions_made_with_the_old_one(office):
    accounts, sessions = office.accounts, office.sessions
    ivan, link = await accounts.add("Иван", [KAZANLAK])
    await accounts.set_password(link, "first long password")
    stolen = await sessions.staff(ivan.id)
    _, link = await accounts.invite("Иван")
    await accounts.set_password(link, "second long password")
    assert await sessions.staff_account(stolen) is None


async def test_a_staff_session_ends_when_idle_and_after_a_working_day(office):
    accounts, sessions, clock = office.accounts, office.sessions, office.clock
    ivan, _ = await accounts.add("Иван", [KAZANLAK])
    idle = await sessions.staff(ivan.id)
    clock[0] += STAFF_IDLE - dt.timedelta(minutes=1)
    assert await sessions.staff_account(idle) == ivan.id
    clock[0] += STAFF_IDLE  # nothing asked for two hours
    assert await sessions.staff_account(idle) is None

    busy = await sessions.staff(ivan.id)
    for _hour in range(11):
        clock[0] += dt.timedelta(hours=1)
        assert await sessions.staff_account(busy) == ivan.id
    clock[0] += STAFF_LIFETIME - dt.timedelta(hours=11)
    assert await sessions.staff_account(busy) is None
    assert await sessions.staff_account("made-up") is None

    forgotten = await sessions.staff(ivan.id)  # never shown again: cleared at a later log-in
    clock[0] += STAFF_LIFETIME + dt.timedelta(minutes=1)
    await sessions.staff(ivan.id)
    async with office.db() as session:
        assert await session.get(WebSession, digest(forgotten)) is None


async def test_an_admins_mistakes_are_named(office):
    accounts = office.accounts
    await accounts.add("Иван", [KAZANLAK])
    mistakes = [
        accounts.add("иван", [KAZANLAK]),
        accounts.add("Петър", ["no-such-queue"]),
        accounts.add("Петър", []),
        accounts.add("Петър", [KAZANLAK], "boss"),
        accounts.add("Петър", [KAZANLAK], "agent", "en"),
        accounts.add("  ", [KAZANLAK]),
        accounts.disable("Петър"),
        accounts.set_queues("Иван", [KAZANLAK, "nope"]),
    ]
    kinds = []
    for mistake in mistakes:
        with pytest.raises(AccountError) as error:
            await mistake
        kinds.append(error.value.kind)
    assert kinds == ["duplicate", "queue", "no queue", "role", "language", "name", "unknown", "queue"]
    assert [a.account.queues for a in await accounts.all()] == [(KAZANLAK,)]


# --- the command line, on SQLite and PostgreSQL -----------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request, tmp_path):
    if request.param == "postgresql":
        await empty_postgres()
        return POSTGRES_URL
    await seeded_sqlite(tmp_path / "opora.sqlite3")  # as a first start leaves it: no seconds of loading
    return f"sqlite+aiosqlite:///{tmp_path}/opora.sqlite3"


def test_an_admin_manages_accounts_with_opora_staff(database_url):
    def opora(*args):
        return opora_command("staff", *args, env={"OPORA_DATABASE_URL": database_url, "PATH": ""})

    added = opora("add", "Мария Иванова", "--queue", KAZANLAK, "--language", "bg")
    assert added.returncode == 0, added.stderr
    assert "works once, within 72 hours" in added.stdout
    assert added.stdout.strip().splitlines()[-1].startswith("http://127.0.0.1:8080/staff/password?lang=bg#")
    olena = opora("add", "Олена", "--queue", DNIPRO, "--queue", KAZANLAK, "--role", "admin", "--language", "uk")
    assert olena.returncode == 0

    assert opora("list").stdout.splitlines() == [
        f"Мария Иванова\tagent\tbg\tinvited\t{KAZANLAK}",
        f"Олена\tadmin\tuk\tinvited\t{DNIPRO} {KAZANLAK}",
    ]
    assert opora("queues", "мария иванова", "--queue", DNIPRO).stdout == f"Мария Иванова: {DNIPRO}\n"
    assert opora("disable", "Мария Иванова").returncode == 0
    listed = json.loads(opora("list", "--json").stdout)
    assert [(a["name"], a["state"], a["queues"]) for a in listed] == [
        ("Мария Иванова", "disabled", [DNIPRO]),
        ("Олена", "invited", [DNIPRO, KAZANLAK]),
    ]
    assert opora("enable", "Мария Иванова").returncode == 0
    invited = opora("invite", "Олена")
    assert invited.returncode == 0 and "/staff/password?lang=uk#" in invited.stdout
    assert "/join" in opora("invite", KAZANLAK).stdout  # a queue id: a code for a Telegram or Viber chat

    for args, said in [
        (("add", "мария иванова", "--queue", KAZANLAK), "an account named 'мария иванова' exists already"),
        (("add", "Петър", "--queue", "no-such-queue"), "no queue 'no-such-queue'; see `opora staff queues`"),
        (("disable", "Петър"), "no account 'Петър'; see `opora staff list`"),
        (("enable", "Петър"), "no account 'Петър'; see `opora staff list`"),
        (("queues", "Петър", "--queue", KAZANLAK), "no account 'Петър'; see `opora staff list`"),
        (("queues", "Олена", "--queue", "nope"), "no queue 'nope'; see `opora staff queues`"),
        (("queues", "--queue", KAZANLAK), "--queue needs an account"),
        (("invite", "Петър"), "no account or queue 'Петър'"),
        (("add", "Петър", "--queue", KAZANLAK, "--role", "boss"), "invalid choice: 'boss'"),
        (("add", "Петър"), "the following arguments are required: --queue"),
    ]:
        done = opora(*args)
        assert done.returncode == 2 and said in done.stderr and "Traceback" not in done.stderr, (args, done.stderr)
    assert len(opora("list").stdout.splitlines()) == 2


# --- the staff view, against the real `opora run` -----------------------------------------------


@pytest.fixture(scope="module")
async def opora(tmp_path_factory):
    opora = await WebOpora(tmp_path_factory.mktemp("accounts")).start()
    yield opora
    assert await opora.stop() == 0


async def asks_staff(visitor: Visitor, question: str) -> int:
    await visitor.says("/start")
    await visitor.taps("Запитати працівника")
    await visitor.says(question)
    await visitor.taps("Продовжити")
    await visitor.taps("Пропустити")
    received = await visitor.taps("Згоден")
    return int(text(received).split("№ ")[1].split()[0].strip(".,"))


@pytest.mark.e2e
async def test_each_account_sees_and_acts_on_its_own_queues_only(opora):
    await opora.staff_account("Олена Коваль", DNIPRO, language="uk")
    await opora.staff_account("Мария Иванова", "samokov-social", language="bg")
    olena, maria = StaffBrowser(opora, "Олена Коваль"), StaffBrowser(opora, "Мария Иванова")
    citizen = Visitor(opora)
    try:
        dnipro = await asks_staff(citizen, "Я з Краматорська, тепер у Дніпрі. Потрібна гуманітарна допомога")
        samokov = await asks_staff(citizen, "Мамі 70 років, чи можна отримати домашній патронаж у Самокові?")
        assert await olena.logs_in() == 200 and await maria.logs_in() == 200

        _, hers = await olena.get("/staff/api/requests")
        assert [q["id"] for q in hers["queues"]] == [DNIPRO]
        assert [r["id"] for r in hers["requests"]] == [dnipro]
        _, mine = await maria.get("/staff/api/requests")
        assert [q["id"] for q in mine["queues"]] == ["samokov-social"]
        assert [r["id"] for r in mine["requests"]] == [samokov]

        status, refused = await maria.post(f"/staff/api/requests/{dnipro}/take")
        assert status == 403 and refused["error"] == "Това запитване е към друго звено."
        status, refused = await maria.post(f"/staff/api/requests/{dnipro}/reply", json={"text": "Не е мое"})
        assert status == 403
        status, _ = await olena.post(f"/staff/api/requests/{dnipro}/take")
        assert status == 200

        _, me = await olena.get("/staff/api/me")  # her view is in her language
        assert me["language"] == "uk" and me["ui"]["log_out"] == "Вийти" and me["account"]["role"] == "agent"
        _, me = await maria.get("/staff/api/me")
        assert me["language"] == "bg" and me["ui"]["log_out"] == "Изход"
    finally:
        for browser in (olena, maria, citizen):
            await browser.close()


@pytest.mark.e2e
async def test_log_out_and_disabling_end_a_session_at_once(opora):
    await opora.staff_account("Иван Петров", KAZANLAK)
    ivan = StaffBrowser(opora, "Иван Петров")
    try:
        assert await ivan.logs_in() == 200
        cookie = ivan.cookie()
        async with ivan.http.post(opora.url + "/staff/logout") as response:
            assert response.status == 200
        ivan.http.cookie_jar.update_cookies({"opora_staff": cookie})
        assert (await ivan.get("/staff/api/requests"))[0] == 401  # ended on the server

        assert await ivan.logs_in() == 200
        assert (await ivan.get("/staff/api/requests"))[0] == 200
        assert opora.cli("staff", "disable", "Иван Петров").returncode == 0  # the admin, on the server
        assert (await ivan.get("/staff/api/requests"))[0] == 401
        await ivan.logs_in()
        assert (await ivan.get("/staff/api/requests"))[0] == 401  # cannot log in again
        password = await opora.staff_account("Иван Петров")
        async with ivan.http.post(
            opora.url + "/staff/login", data={"name": "Иван Петров", "password": password}, allow_redirects=False
        ) as response:
            assert response.headers["Location"] == "/staff?error=disabled"  # told why, not "wrong password"
    finally:
        await ivan.close()


@pytest.mark.e2e
async def test_an_admin_adds_an_account_on_the_admin_page_and_others_cannot(opora):
    admin, agent = StaffBrowser(opora), StaffBrowser(opora, "Агент")
    await opora.staff_account("Агент", KAZANLAK)
    try:
        await admin.logs_in()
        status, listed = await admin.get("/staff/api/accounts")
        assert status == 200 and ADMIN in [a["name"] for a in listed["accounts"]]
        assert {"id": KAZANLAK, "name": "Социални услуги – Община Казанлък"} in listed["queues"]

        status, added = await admin.post(
            "/staff/api/accounts/add",
            json={"name": "Петя Стоянова", "role": "agent", "language": "bg", "queues": [KAZANLAK]},
        )
        assert status == 200 and "/staff/password?lang=bg#" in added["link"]
        assert await set_password(added["link"], "петя има дълга парола") == "/staff"
        petya = StaffBrowser(opora, "Петя Стоянова")
        assert await petya.logs_in("петя има дълга парола") == 200
        assert [q["id"] for q in (await petya.get("/staff/api/requests"))[1]["queues"]] == [KAZANLAK]
        await petya.close()
        assert await set_password(added["link"], "once more a password") == "/staff/password?error=link"

        for body, said in [
            ({"name": "петя стоянова", "queues": [KAZANLAK]}, "Вече има профил с името петя стоянова."),
            ({"name": "Нов", "queues": ["nope"]}, "Няма звено nope."),
            ({"name": "Нов", "queues": []}, "Изберете поне едно звено."),
        ]:
            status, refused = await admin.post("/staff/api/accounts/add", json=body)
            assert (status, refused["error"]) == (400, said)
        status, refused = await admin.post("/staff/api/accounts/disable", json={"name": ADMIN})
        assert status == 400  # not oneself
        status, _ = await admin.post("/staff/api/accounts/queues", json={"name": "Петя Стоянова", "queues": [DNIPRO]})
        assert status == 200

        await agent.logs_in()
        assert (await agent.get("/staff/api/accounts"))[0] == 403
        assert (await agent.post("/staff/api/accounts/add", json={"name": "X", "queues": [KAZANLAK]}))[0] == 403
        async with agent.http.get(opora.url + "/staff/admin", allow_redirects=False) as response:
            assert response.status == 303
        async with admin.http.get(opora.url + "/staff/admin") as response:
            assert response.status == 200 and "staff-admin.js" in await response.text()
    finally:
        await admin.close()
        await agent.close()


@pytest.mark.e2e
async def test_a_restart_before_the_first_admin_set_a_password_says_how_to_get_a_new_link(tmp_path):
    opora = await WebOpora(tmp_path).start()
    try:
        assert opora.first_admin_link()
        assert await opora.stop() == 0
        await opora.start()
        assert opora.first_admin_link() is None  # the first link is still the one to use, for 72 hours
        assert opora.said("No staff account can log in yet: `opora staff invite admin` prints a new link.")
        invited = await asyncio.to_thread(opora.cli, "staff", "invite", ADMIN)
        assert await set_password(invited.stdout.strip().splitlines()[-1], "the admin's long password") == "/staff"
    finally:
        assert await opora.stop() == 0
