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


async def made(services, when: dt.datetime, clock: list, draft: Draft) -> int:
    """A request made through the real help desk at `when`."""
    clock[0] = when
    request = await services.desk.create(draft, card=lambda r, text: staffdesk.card(services, r, text))
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
    opora.numbers = numbers
    yield opora
    assert await opora.stop() == 0


@pytest.fixture
async def staff(opora):
    browser = StaffBrowser(opora)
    await browser.logs_in()
    await browser.get("/staff/api/requests")
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
