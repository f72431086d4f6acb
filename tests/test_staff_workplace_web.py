"""The web staff workplace's API, as staff.js uses it, against the real `opora run`: the list (by queue,
by status, oldest waiting first, searched by number or words), a request's detail, and the actions;
bad input is refused in the staff member's language and changes nothing."""

import datetime as dt

import pytest
from support.chat_helpers import app_on_a_clock
from support.web_visitor import StaffBrowser, WebOpora

from bot.core import staffdesk
from bot.helpdesk.desk import Draft

pytestmark = [pytest.mark.e2e, pytest.mark.filterwarnings("ignore::ResourceWarning")]

OLD = "Мамі 82 роки, їй потрібен гарячий обід щодня"
NEW_BG = "Баща ми е на 85 и живее сам, трябва му помощ вкъщи"
DNIPRO = "Потрібні ліки та продукти для бабусі"
MARIA, OLENA = "Мария Иванова", "Олена Коваль"


async def made(services, when: dt.datetime, clock: list, draft: Draft) -> int:
    """A request made through the real help desk at `when`."""
    clock[0] = when
    request = await services.desk.create(draft, card=lambda r, text, lang: staffdesk.card(services, r, text, lang))
    return request.id


@pytest.fixture(scope="module")
async def opora(tmp_path_factory):
    """Opora with three requests: one six days old (overdue), two of today, in two queues."""
    directory = tmp_path_factory.mktemp("workplace")
    now = dt.datetime.now(dt.UTC)
    async with app_on_a_clock(directory) as app:
        services = app.conversation.services
        numbers = [
            await made(
                services, now - dt.timedelta(days=6), app.clock, Draft("web", "a", "uk", "kazanlak-social", None, OLD)
            ),
            await made(
                services,
                now - dt.timedelta(minutes=5),
                app.clock,
                Draft("web", "b", "bg", "kazanlak-social", None, NEW_BG),
            ),
            await made(
                services,
                now - dt.timedelta(minutes=2),
                app.clock,
                Draft("web", "c", "uk", "kramatorsk-dnipro", None, DNIPRO),
            ),
        ]
    opora = await WebOpora(directory).start()
    await opora.staff_account(MARIA, "kazanlak-social", language="bg")
    await opora.staff_account(OLENA, "kramatorsk-dnipro", language="uk")
    opora.numbers = numbers
    yield opora
    assert await opora.stop() == 0


@pytest.fixture
async def staff(opora):
    """The first admin, on every queue."""
    browser = StaffBrowser(opora)
    await browser.logs_in()
    yield browser
    await browser.close()


@pytest.fixture
async def maria(opora):
    """A Bulgarian social worker of Kazanlak's queue."""
    browser = StaffBrowser(opora, MARIA)
    await browser.logs_in()
    yield browser
    await browser.close()


@pytest.fixture
async def olena(opora):
    """A Ukrainian social worker of the Dnipro branch's queue."""
    browser = StaffBrowser(opora, OLENA)
    await browser.logs_in()
    yield browser
    await browser.close()


async def test_the_list_shows_the_oldest_waiting_first_with_its_age_and_overdue_mark(opora, staff):
    old, new_bg, dnipro = opora.numbers
    status, answer = await staff.get("/staff/api/requests", lang="bg")
    assert status == 200
    rows = answer["requests"]
    assert [r["id"] for r in rows] == [old, new_bg, dnipro]
    assert answer["summary"] == "3 запитвания"
    first = rows[0]
    assert first["overdue"] is True and first["age"] == "6 дни"
    assert first["language"] == "украински"  # the citizen's language, named in the staff member's
    assert rows[1]["overdue"] is False and rows[1]["language"] == "български"
    assert rows[1]["age"] == "5 минути"
    assert rows[0]["topic"] == "Друг въпрос" and rows[0]["status_label"] == "получено"
    assert rows[0]["words"] == OLD  # what it is about, in the citizen's own words, when the topic says little

    _, newest = await staff.get("/staff/api/requests", lang="uk", sort="newest")
    assert [r["id"] for r in newest["requests"]] == [dnipro, new_bg, old]
    assert newest["requests"][2]["age"] == "6 днів" and newest["summary"] == "3 запити"


async def test_the_list_is_filtered_by_queue_and_searched_by_number_and_words(opora, staff):
    old, new_bg, dnipro = opora.numbers
    _, kazanlak = await staff.get("/staff/api/requests", queue="kazanlak-social")
    assert [r["id"] for r in kazanlak["requests"]] == [old, new_bg]
    open_ = {q["id"]: q["open"] for q in kazanlak["queues"]}  # the staff member's queues, to choose from
    assert open_["kazanlak-social"] == 2 and open_["kramatorsk-dnipro"] == 1

    _, by_number = await staff.get("/staff/api/requests", q=f"№{dnipro}")
    assert [r["id"] for r in by_number["requests"]] == [dnipro]
    _, by_words = await staff.get("/staff/api/requests", q="ЛІКИ та")
    assert [r["id"] for r in by_words["requests"]] == [dnipro]
    _, nothing = await staff.get("/staff/api/requests", q="нічого такого", lang="uk")
    assert nothing["requests"] == [] and nothing["summary"] == "0 запитів"


async def test_a_request_shows_its_conversation_and_ready_answers_in_the_citizens_language(opora, staff):
    old, _new_bg, _dnipro = opora.numbers
    status, request = await staff.get(f"/staff/api/requests/{old}", lang="bg")
    assert status == 200
    assert [m["text"] for m in request["messages"]] == [OLD]
    assert request["queue_name"] == "Социални услуги – Община Казанлък"
    # the menu in the staff member's language, the text sent in the citizen's (Ukrainian)
    assert request["canned"][0]["label"].startswith("Благодарим Ви!")
    assert request["canned"][0]["text"].startswith("Дякуємо!")
    assert "kazanlak-social" not in [q["id"] for q in request["queues"]]  # where it can be transferred


async def test_bad_input_is_refused_in_the_staff_members_language_and_changes_nothing(opora, staff):
    old, _new_bg, _dnipro = opora.numbers
    _, before = await staff.get(f"/staff/api/requests/{old}")

    status, answer = await staff.post(f"/staff/api/requests/{old}/reply?lang=bg", json={"text": "дълъг " * 1000})
    assert status == 400 and answer["error"] == "Първо напишете текста (най-много 4000 знака)."
    status, answer = await staff.post(f"/staff/api/requests/{old}/note?lang=uk", json={"text": "  "})
    assert status == 400 and answer["error"] == "Спершу напишіть текст (щонайбільше 4000 символів)."
    status, answer = await staff.post("/staff/api/requests/99999/take?lang=bg")
    assert status == 404 and answer["error"] == "Няма такова запитване."
    status, answer = await staff.get("/staff/api/requests/99999", lang="uk")
    assert status == 404 and answer["error"] == "Такого запиту немає."
    status, answer = await staff.post("/staff/api/requests/99999999999/close?lang=uk")
    assert status == 404 and answer["error"] == "Такого запиту немає."

    status, answer = await staff.get("/staff/api/requests", lang="bg", status="someone's")
    assert status == 400 and answer["error"] == "Този филтър е непознат. Моля, презаредете страницата."
    status, answer = await staff.get("/staff/api/requests", lang="uk", queue="no-such-queue")
    assert status == 400 and answer["error"] == "Ця черга не належить до ваших."
    status, answer = await staff.get("/staff/api/requests", lang="bg", q="x" * 201)
    assert status == 400 and answer["error"] == "Търсете най-много 200 знака."

    _, after = await staff.get(f"/staff/api/requests/{old}")
    assert after == before


async def test_another_queues_request_is_refused_and_left_as_it_was(opora, maria, olena):
    old, _new_bg, dnipro = opora.numbers
    _, hers = await olena.get("/staff/api/requests")
    assert [r["id"] for r in hers["requests"]] == [dnipro] and [q["id"] for q in hers["queues"]] == [
        "kramatorsk-dnipro"
    ]
    _, before = await maria.get(f"/staff/api/requests/{old}")

    status, answer = await olena.get(f"/staff/api/requests/{old}")
    assert status == 403 and answer["error"] == "Цей запит належить до іншої черги."
    for action, body in (
        ("take", None),
        ("close", None),
        ("reply", {"text": "Не ваш"}),
        ("transfer", {"queue": "kramatorsk-dnipro"}),
    ):
        status, answer = await olena.post(f"/staff/api/requests/{old}/{action}", json=body)
        assert status == 403 and answer["error"] == "Цей запит належить до іншої черги.", action
    status, answer = await olena.get("/staff/api/requests", queue="kazanlak-social")
    assert status == 400 and answer["error"] == "Ця черга не належить до ваших."

    _, after = await maria.get(f"/staff/api/requests/{old}")
    assert after == before


async def test_take_release_transfer_close_reopen_and_the_list_follows(opora, maria, olena):
    old, new_bg, dnipro = opora.numbers

    status, taken = await maria.post(f"/staff/api/requests/{old}/take")
    assert status == 200 and taken["request"]["taken_by"] == MARIA and taken["message"] == f"Запитване № {old} е ваше."
    _, mine = await maria.get("/staff/api/requests", status="mine")
    assert [r["id"] for r in mine["requests"]] == [old]
    _, detail = await maria.get(f"/staff/api/requests/{old}")
    assert detail["can_release"] and detail["overdue"] is False  # taken: no longer waiting for a first response
    status, released = await maria.post(f"/staff/api/requests/{old}/release")
    assert status == 200 and released["request"]["taken_by"] is None
    _, mine = await maria.get("/staff/api/requests", status="mine")
    assert mine["requests"] == []

    # A queue that does not exist: refused, nothing moves.
    _, before = await maria.get(f"/staff/api/requests/{new_bg}")
    status, answer = await maria.post(f"/staff/api/requests/{new_bg}/transfer", json={"queue": "no-such-queue"})
    assert status == 400 and answer["error"] == "Няма такова звено. Изберете от списъка."
    _, after = await maria.get(f"/staff/api/requests/{new_bg}")
    assert after == before
    status, moved = await maria.post(f"/staff/api/requests/{new_bg}/transfer", json={"queue": "kramatorsk-dnipro"})
    assert status == 200 and "Днипро" in moved["message"]
    _, hers = await olena.get("/staff/api/requests")
    assert [r["id"] for r in hers["requests"]] == [new_bg, dnipro]
    assert (await maria.get(f"/staff/api/requests/{new_bg}"))[0] == 403

    # Closed: out of the open list, in the history with its messages; Undo is a reopen.
    status, closed = await maria.post(f"/staff/api/requests/{old}/close")
    assert status == 200 and closed["undo"] is True and closed["request"]["status"] == "closed"
    _, open_ = await maria.get("/staff/api/requests")
    assert old not in [r["id"] for r in open_["requests"]]
    _, by_number = await maria.get("/staff/api/requests", status="closed", q=str(old))
    assert [r["id"] for r in by_number["requests"]] == [old]
    _, by_words = await maria.get("/staff/api/requests", status="all", q="гарячий ОБІД")
    assert [r["id"] for r in by_words["requests"]] == [old]
    _, detail = await maria.get(f"/staff/api/requests/{old}")
    assert detail["can_reopen"] and [m["text"] for m in detail["messages"]] == [OLD]
    status, again = await maria.post(f"/staff/api/requests/{old}/close")
    assert status == 409 and again["error"] == "Това запитване вече е затворено."
    status, reopened = await maria.post(f"/staff/api/requests/{old}/reopen", json={})
    assert status == 200 and reopened["request"]["status"] == "received"
    _, detail = await maria.get(f"/staff/api/requests/{old}", lang="uk")
    reminded = "нагадування працівникам"  # when Opora's duties found it overdue (at start)
    assert [(e["by"], e["what"]) for e in detail["events"] if e["what"] != reminded] == [
        (None, "подано заявником"),
        (MARIA, "взято в роботу"),
        (MARIA, "звільнено"),
        (MARIA, "закрито"),
        (MARIA, "знову відкрито"),
    ]
