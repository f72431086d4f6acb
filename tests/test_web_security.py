"""The web chat and the staff view against the attacks of the security review (M3, M6, M7, L1,
L4, L5, L6, L7), over HTTP, against the real `opora run`. Each failed on the code before."""

import asyncio
import hashlib
import time

import pytest
from aiohttp import ClientSession, CookieJar
from support.web_visitor import ADMIN, StaffBrowser, Visitor, WebOpora, text

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
async def opora(tmp_path_factory):
    server = await WebOpora(tmp_path_factory.mktemp("security"), OPORA_WEB_HEAD_SECONDS="3").start()
    yield server
    assert await server.stop() == 0


@pytest.fixture
async def visitor(opora):
    person = Visitor(opora, "uk")
    await person.opens_the_page()
    yield person
    await person.close()


# --- M3: cross-site request forgery from a same-site page -------------------------------------


async def test_a_form_on_another_port_cannot_act_for_a_citizen(opora, visitor):
    await visitor.says("/start")
    for headers in ({"Origin": "http://127.0.0.1:18222"}, {"Sec-Fetch-Site": "same-site"}):
        async with visitor.http.post(
            opora.url + "/api/messages", json={"payload": "forget:yes"}, headers={**await visitor.headers(), **headers}
        ) as response:
            assert response.status == 403
    # A text/plain form (no CORS preflight) carries no CSRF token: refused, nothing forgotten.
    async with visitor.http.post(
        opora.url + "/api/messages", data='{"payload":"forget:yes","x":"="}', headers={"Content-Type": "text/plain"}
    ) as response:
        assert response.status == 403
    assert (await visitor.says("/menu"))["language"] == "uk"  # the conversation is still there


async def test_staff_actions_need_the_pages_token(opora, visitor):
    staff = StaffBrowser(opora)
    try:
        await staff.logs_in()
        await staff.get("/staff/api/requests")
        token, staff.csrf = staff.csrf, "forged"
        status, _answer = await staff.post("/staff/api/requests/1/take")
        assert status == 403
        staff.csrf = token
        async with staff.http.post(
            opora.url + "/staff/api/requests/1/take",
            headers={"X-CSRF-Token": token, "Origin": "http://127.0.0.1:18222"},
        ) as response:
            assert response.status == 403
        async with staff.http.get(opora.url + "/staff/logout") as response:
            assert response.status == 405  # log-out is a POST: a link or an image cannot do it
    finally:
        await staff.close()


# --- L1: session fixation ---------------------------------------------------------------------


async def test_a_session_id_the_client_chose_is_replaced(opora):
    async with ClientSession(cookie_jar=CookieJar(unsafe=True)) as browser:
        browser.cookie_jar.update_cookies({"opora_web": "fixed-by-attacker-42"})
        async with browser.get(opora.url + "/") as response:
            issued = response.cookies["opora_web"].value
        assert issued != "fixed-by-attacker-42" and len(issued) > 40
        async with ClientSession(cookie_jar=CookieJar(unsafe=True)) as attacker:
            attacker.cookie_jar.update_cookies({"opora_web": "a"})
            async with attacker.post(
                opora.url + "/api/messages",
                json={"text": "/start"},
                headers={"X-CSRF-Token": hashlib.sha256(b"csrf:a").hexdigest()[:32]},
            ) as response:
                assert response.status == 403 and response.cookies["opora_web"].value != "a"


# --- L4 and L5: bodies ------------------------------------------------------------------------


async def test_deeply_nested_json_is_a_400_not_a_500(opora, visitor):
    nested = b"[" * 100_000 + b"]" * 100_000
    async with visitor.http.post(
        opora.url + "/api/messages",
        data=nested,
        headers={**await visitor.headers(), "Content-Type": "application/json"},
    ) as response:
        assert response.status in (400, 413) and "error" in await response.json()
    staff = StaffBrowser(opora)
    try:
        await staff.logs_in()
        await staff.get("/staff/api/requests")
        status, answer = await staff.post(
            "/staff/api/requests/1/note",
            data=b"[" * 20_000 + b"]" * 20_000,
            headers={"Content-Type": "application/json"},
        )
        assert status == 400 and "error" in answer
    finally:
        await staff.close()


async def test_the_body_limit_holds_for_chunked_bodies(opora, visitor):
    async def chunks():
        for _ in range(90):
            yield b'{"text": "' + b"a" * 10_000 if _ == 0 else b"a" * 10_000
        yield b'"}'

    async with visitor.http.post(
        opora.url + "/api/messages",
        data=chunks(),
        headers={**await visitor.headers(), "Content-Type": "application/json"},
    ) as response:
        assert response.status == 413


# --- L6: staff log-in -------------------------------------------------------------------------


async def test_staff_log_in_is_rotated_and_ended_by_log_out(opora):
    staff = StaffBrowser(opora)
    try:
        assert await staff.logs_in() == 200
        first = staff.cookie()
        password = await opora.admin()
        assert first and first != hashlib.sha256(password.encode()).hexdigest()  # not derived from the password
        await staff.logs_in()
        second = staff.cookie()
        assert second != first  # a new session at every log-in
        async with ClientSession(cookie_jar=CookieJar(unsafe=True)) as thief:  # the old cookie is dead
            thief.cookie_jar.update_cookies({"opora_staff": first})
            async with thief.get(opora.url + "/staff/api/requests") as response:
                assert response.status == 401
        await staff.get("/staff/api/requests")
        async with staff.http.post(opora.url + "/staff/logout") as response:
            assert response.status == 200
        async with ClientSession(cookie_jar=CookieJar(unsafe=True)) as thief:
            thief.cookie_jar.update_cookies({"opora_staff": second})
            async with thief.get(opora.url + "/staff/api/requests") as response:
                assert response.status == 401  # ended on the server, not only in the browser
    finally:
        await staff.close()


async def test_guessing_a_staff_password_is_stopped(tmp_path):
    """Per name typed (known or not: the answer is the same) and per address."""
    opora = await WebOpora(tmp_path).start()
    try:
        password = await opora.staff_account("Мария Иванова", "kazanlak-social")
        maria = StaffBrowser(opora, "Мария Иванова")
        async with ClientSession() as guesser:

            async def tries(name: str, password: str) -> str:
                async with guesser.post(
                    opora.url + "/staff/login", data={"name": name, "password": password}, allow_redirects=False
                ) as response:
                    return response.headers["Location"]

            assert [await tries("Мария Иванова", f"guess {n}") for n in range(5)] == ["/staff?error=wrong"] * 5
            assert await tries("Мария Иванова", password) == "/staff?error=wait"  # even the right one, for a while
            assert await tries("мария  иванова", password) == "/staff?error=wait"  # the same name, typed otherwise
            assert [await tries("Nobody", f"guess {n}") for n in range(5)] == ["/staff?error=wrong"] * 5
            assert await tries("Nobody", "guess") == "/staff?error=wait"  # an unknown name: the same answers
            assert await tries(ADMIN, await opora.admin()) == "/staff?error=wait"  # this address: 10 wrong
        assert await maria.logs_in() == 200 and await maria.get("/staff/api/requests") == (401, {"error": "log in"})
        await maria.close()
    finally:
        assert await opora.stop() == 0


async def test_every_answer_has_the_security_headers_and_https_cookies_are_secure(opora):
    async with ClientSession() as browser:
        for path in ("/", "/staff", "/api/ui", "/healthz"):
            async with browser.get(opora.url + path, headers={"X-Forwarded-Proto": "https"}) as response:
                assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
                assert response.headers["X-Frame-Options"] == "DENY"
                assert response.headers["X-Content-Type-Options"] == "nosniff"
                assert response.headers["Referrer-Policy"] == "same-origin"
                if path == "/":
                    assert response.cookies["opora_web"]["secure"]


# --- M6: what reaches the output and the log --------------------------------------------------


async def test_a_staff_password_is_never_printed_nor_logged(opora):
    staff = StaffBrowser(opora)
    await staff.logs_in()
    await staff.close()
    password = await opora.admin()
    assert password not in "".join(opora.printed)
    assert password not in opora.log.read_text(errors="replace")


# --- M7: slow clients -------------------------------------------------------------------------


async def test_healthz_answers_while_many_slow_connections_are_open_and_they_are_closed(opora):
    port = opora.port
    held = []
    for _ in range(2000):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"POST /api/messages HTTP/1.1\r\nHost: x\r\n")  # and then nothing more
        held.append((reader, writer))
    started = time.monotonic()
    async with ClientSession() as probe, probe.get(opora.url + "/healthz") as response:
        assert response.status == 200
    assert time.monotonic() - started < 1.0
    # The server closes each once the head timeout (3 s here) has passed; nothing else is read.
    read = await asyncio.wait_for(asyncio.gather(*(reader.read(1) for reader, _ in held)), 30)
    for _, writer in held:
        writer.close()
    assert read == [b""] * len(held)
    log = opora.log.read_text(errors="replace")
    assert "Too many open files" not in log and len(log) < 200_000


# --- L7: /join codes --------------------------------------------------------------------------


async def test_the_citizen_web_chat_takes_no_staff_commands(opora, visitor):
    said = await visitor.says("/join ABCDEFGH")  # treated as /help: no code is checked
    assert "/join" not in text(said) and "недійсний" not in text(said)


async def test_every_staff_api_needs_a_log_in(opora):
    async with ClientSession() as stranger:
        for path in ("/staff/api/requests", "/staff/api/inbox", "/staff/api/offices"):
            async with stranger.get(opora.url + path) as response:
                assert response.status == 401, path
        for path in ("/staff/api/requests/1/take", "/staff/api/offices/1"):
            async with stranger.post(opora.url + path, json={"payload": "sv:ok:1"}) as response:
                assert response.status == 401, path


async def test_one_address_is_limited_but_a_shared_office_is_not(tmp_path):
    opora = await WebOpora(tmp_path, OPORA_LIMIT_WEB_ADDRESS="20/hour", OPORA_LIMIT_TURNS="").start()
    people = [Visitor(opora, "bg-BG") for _ in range(4)]
    try:
        statuses = []
        for _turn in range(6):
            for person in people:
                statuses.append((await person.post({"text": "/menu"}))[0])
        assert statuses[:20] == [200] * 20 and set(statuses[20:]) == {429}
        status, answer = await people[0].post({"text": "/menu"})
        assert status == 429 and "Моля" in answer["error"]
    finally:
        for person in people:
            await person.close()
        assert await opora.stop() == 0
