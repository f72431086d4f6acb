"""The web chat and the staff view, over HTTP, against the real `opora run` with no bot token."""

import pytest
from aiohttp import ClientSession, CookieJar
from support.waiting import wait_until
from support.web_visitor import ADMIN, StaffBrowser, Visitor, WebOpora, text

pytestmark = [pytest.mark.e2e, pytest.mark.filterwarnings("ignore::ResourceWarning")]


@pytest.fixture(scope="module")
async def opora(tmp_path_factory):
    opora = await WebOpora(tmp_path_factory.mktemp("web")).start()
    yield opora
    assert await opora.stop() == 0


@pytest.fixture
async def visitor(opora):
    visitor = Visitor(opora)
    yield visitor
    await visitor.close()


async def test_with_no_staff_account_a_first_admins_one_time_link_is_printed_at_start_up(opora):
    printed = "".join(opora.printed)
    assert f"http://127.0.0.1:{opora.port}/staff\n" in printed
    link = opora.first_admin_link()
    assert link.startswith(f"http://127.0.0.1:{opora.port}/staff/password?lang=bg#")
    token = link.partition("#")[2]
    assert len(token) >= 40 and token not in opora.log.read_text(errors="replace")  # printed, never logged


async def test_a_ukrainian_conversation(visitor):
    page = await visitor.opens_the_page()
    assert "/static/chat.js" in page

    welcome = await visitor.says("/start")
    assert "Опора" in text(welcome) and welcome["language"] == "uk"
    assert welcome["ui"]["send"] == "Надіслати"

    await visitor.taps("Знайти послугу")
    await visitor.taps("Догляд удома")
    await visitor.taps("Казанлик")
    card = await visitor.taps("Асистентська підтримка")
    assert card["replies"][0]["title"] and "За даними Standart" in text(card)

    answer = await visitor.says("Я з Краматорська, тепер живу в Дніпрі, де отримати допомогу?")
    assert "Дніпр" in text(answer) and any(r["title"] for r in answer["replies"])

    asked = await visitor.taps("Поруч")
    assert any(r["request"] == "location" for r in asked["replies"])
    nearest = await visitor.shares_location(42.6191, 25.3930)  # Kazanlak
    assert "Казанлик" in text(nearest)

    switched = await visitor.taps("Мова")
    switched = await visitor.taps("Български")
    assert switched["language"] == "bg" and switched["ui"]["send"] == "Изпрати"
    assert "Какво" in text(switched)


async def test_each_browser_has_its_own_conversation(opora):
    ivan, olena = Visitor(opora, "bg-BG"), Visitor(opora, "uk")
    try:
        assert (await ivan.says("/start"))["language"] == "bg"
        assert (await olena.says("/start"))["language"] == "uk"
        await ivan.taps("Език")
        await ivan.taps("Українська")
        assert (await olena.says("/menu"))["language"] == "uk"
        assert (await ivan.says("/menu"))["language"] == "uk"
    finally:
        await ivan.close()
        await olena.close()


async def test_bad_input_gets_a_polite_answer_in_the_persons_language(visitor):
    await visitor.says("/start")
    status, answer = await visitor.post({"text": "hi", "payload": "menu"})
    assert status == 400 and "Вибачте" in answer["error"]
    status, answer = await visitor.post({"location": {"latitude": 95, "longitude": 10}})
    assert status == 400 and answer["error"]
    status, answer = await visitor.post([1, 2])
    assert status == 400
    async with visitor.http.post(
        visitor.opora.url + "/api/messages",
        data=b"\xff{not json",
        headers={**await visitor.headers(), "Content-Type": "application/json"},
    ) as response:
        assert response.status == 400 and "Вибачте" in (await response.json())["error"]
    # no session and no page: not from Opora's page, said in the browser's language
    async with (
        ClientSession() as stranger,
        stranger.post(
            visitor.opora.url + "/api/messages", data=b"{", headers={"Accept-Language": "bg-BG,bg;q=0.9"}
        ) as response,
    ):
        assert response.status == 403 and "презаредете" in (await response.json())["error"]
    async with visitor.http.post(
        visitor.opora.url + "/api/messages", json={"text": "я" * 50_000}, headers=await visitor.headers()
    ) as response:
        assert response.status == 413 and "задовге" in (await response.json())["error"]

    forged = await visitor.sends(payload="svc:no-such-service")
    assert "кнопка вже не діє" in text(forged)
    empty = await visitor.says("")
    assert empty["replies"]
    emoji = await visitor.says("🙏🙏🙏 👵🏻❤️")
    assert emoji["replies"]
    long = await visitor.says("допомога " * 1500)
    assert long["replies"]


async def test_staff_answer_a_web_citizen_through_the_staff_view(opora, visitor):
    staff = ClientSession(cookie_jar=CookieJar(unsafe=True))
    try:
        async with staff.get(opora.url + "/staff/api/requests") as response:
            assert response.status == 401
        password = await opora.admin()
        async with staff.post(opora.url + "/staff/login", data={"name": ADMIN, "password": "wrong"}) as response:
            assert response.url.query.get("error") == "wrong"
        async with staff.post(opora.url + "/staff/login", data={"name": ADMIN, "password": password}) as response:
            assert response.status == 200 and "staff.js" in await response.text()
        async with staff.get(opora.url + "/staff/api/requests") as response:
            staff.headers["X-CSRF-Token"] = (await response.json())["csrf"]  # staff.js keeps it so

        await visitor.says("/start")
        await visitor.says("Я з Краматорська, тепер у Дніпрі. Потрібна гуманітарна допомога")
        await visitor.taps("Запитати працівника")
        await visitor.taps("Продовжити")
        await visitor.says("Мамі 82 роки, потрібні ліки та продукти")
        await visitor.taps("Пропустити")
        received = await visitor.taps("Згоден")
        number = int(text(received).split("№ ")[1].split()[0].strip(".,"))

        async with staff.get(opora.url + "/staff/api/inbox?after=0") as response:
            cards = (await response.json())["messages"]
        assert any(f"№ {number}" in text(m["replies"][0]) for m in cards)

        async with staff.get(
            opora.url + "/staff/api/requests", params={"lang": "uk", "queue": "kramatorsk-dnipro"}
        ) as response:
            rows = (await response.json())["requests"]
        assert [r["id"] for r in rows] == [number] and rows[0]["status"] == "received"
        async with staff.get(opora.url + f"/staff/api/requests/{number}", params={"lang": "uk"}) as response:
            request = await response.json()
        assert request["messages"][0]["text"] == "Мамі 82 роки, потрібні ліки та продукти"
        assert request["phone"] is None and request["language"] == "українська"

        async with staff.post(opora.url + f"/staff/api/requests/{number}/take?lang=uk") as response:
            assert response.status == 200 and str(number) in (await response.json())["message"]
        await visitor.receives("взяв")
        async with staff.post(
            opora.url + f"/staff/api/requests/{number}/reply?lang=uk",
            json={"text": "Приходьте завтра о 10:00, візьміть паспорт."},
        ) as response:
            assert response.status == 200
        answer = await visitor.receives("Приходьте завтра")
        assert any(b["payload"] == f"staff:add:{number}" for row in answer["buttons"] for b in row)

        await visitor.sends(payload=f"staff:add:{number}")  # the "✉ Reply" button under the answer
        await visitor.says("Дякую, прийдемо!")
        async with staff.get(opora.url + f"/staff/api/requests/{number}") as response:
            thread = (await response.json())["messages"]
        assert [m["author"] for m in thread] == ["citizen", "staff", "citizen"]

        async with staff.post(opora.url + f"/staff/api/requests/{number}/reply", json={"text": ""}) as response:
            assert response.status == 400
        async with staff.post(opora.url + f"/staff/api/requests/{number}/close?lang=uk") as response:
            assert response.status == 200, await response.text()
        await visitor.receives("закрито")
        async with staff.post(opora.url + f"/staff/api/requests/{number}/close?lang=uk") as response:
            assert response.status == 409 and "уже закрито" in (await response.json())["error"]
        async with staff.post(opora.url + "/staff/api/requests/999999/take") as response:
            assert response.status == 404
    finally:
        await staff.close()


async def test_staff_correct_an_offices_phone_from_the_staff_view(opora, visitor):
    """The first admin's staff view is a staff chat bound to every queue: it is asked about the
    offices, and a correction made there is what a citizen's card shows next, confirmed."""
    office = "kazanlak-home-patronage-office"
    browser = StaffBrowser(opora)
    await browser.logs_in()
    staff = browser.http
    staff.headers["X-CSRF-Token"] = browser.csrf
    try:

        async def asked_about_the_office() -> dict | None:  # the staff duties ask at start-up
            async with staff.get(opora.url + "/staff/api/offices", params={"lang": "bg"}) as response:
                return next((o for o in (await response.json())["offices"] if o["location"] == office), None)

        asked = await wait_until(asked_about_the_office, timeout=20)
        assert "+359 88 460 0281" in text(asked["question"])
        payloads = [b["payload"] for row in asked["question"]["buttons"] for b in row]
        assert payloads == [f"sv:ok:{asked['id']}", f"sv:fix:{asked['id']}"]
        address = opora.url + f"/staff/api/offices/{asked['id']}?lang=bg"

        async with staff.post(address, json={"text": "0431 1"}) as response:
            assert "не е валиден" in text(await response.json())
        async with staff.post(address, json={"text": "0431 6 23 61"}) as response:
            shown = await response.json()
        assert "+359 431 623 61" in text(shown)
        save = next(
            b["payload"] for r in shown["replies"] for row in r["buttons"] for b in row if b["payload"].endswith(":0")
        )
        async with staff.post(address, json={"payload": save}) as response:
            assert "Запазено" in text(await response.json())
        async with staff.post(opora.url + "/staff/api/offices/999999", json={"payload": "sv:ok:999999"}) as response:
            assert response.status == 409
        async with staff.post(address, json={}) as response:
            assert response.status == 400

        await visitor.says("/start")
        await visitor.taps("Български")
        card = text(await visitor.says("домашен социален патронаж казанлък"))
        assert "+359 431 623 61 (потвърдено от Социални услуги – Община Казанлък" in card
    finally:
        await staff.close()
