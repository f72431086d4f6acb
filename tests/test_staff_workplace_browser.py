"""The staff workplace in a real headless Chromium (Debian's), driven by Playwright, with two staff
accounts on different queues. Each sees only their own requests (the overdue one marked). Maria
takes a citizen's request, answers it with a ready answer changed before sending (the citizen gets
it), notes something, closes it after confirming, undoes the close, closes it again, and finds it
in the history by number and by words, with its note and its audit trail."""

import datetime as dt
import os
import shutil

import pytest
from playwright.async_api import async_playwright, expect
from support.chat_helpers import app_on_a_clock
from support.web_visitor import Visitor, WebOpora, text

from bot.core import staffdesk
from bot.helpdesk.desk import Draft

pytestmark = [pytest.mark.e2e, pytest.mark.filterwarnings("ignore::ResourceWarning")]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
expect.set_options(timeout=15_000)  # two cores shared with other test runs: a page may take a while

KAZANLAK, DNIPRO = "kazanlak-social", "kramatorsk-dnipro"
MARIA, OLENA = "Мария Иванова", "Олена Коваль"
UK = ("Запитати працівника", "Продовжити", "Пропустити", "Згоден")


async def asks_for_staff(visitor: Visitor, question: str, message: str) -> int:
    """A citizen's request to staff through the web chat; its number."""
    await visitor.says(question)
    ask, go_on, skip, agree = UK
    await visitor.taps(ask)
    await visitor.taps(go_on)
    await visitor.says(message)
    await visitor.taps(skip)
    received = await visitor.taps(agree)
    return int(text(received).split("№ ")[1].split()[0].strip(".,"))


async def logs_in(page, opora: WebOpora, name: str, password: str | None = None) -> str:
    """The login form, as a social worker fills it; her password."""
    password = password or await opora.staff_account(name)
    await page.goto(opora.url + "/staff")
    await page.fill("input[name=name]", name)
    await page.fill("input[name=password]", password)
    await page.press("input[name=password]", "Enter")
    await expect(page.locator("#list")).to_have_attribute("aria-busy", "false")
    return password


async def an_old_request(directory) -> int:
    """A request made six days ago, through the real help desk on a shifted clock: overdue now."""
    async with app_on_a_clock(directory) as app:
        services = app.conversation.services
        app.clock[0] = dt.datetime.now(dt.UTC) - dt.timedelta(days=6)
        draft = Draft("web", "old", "uk", KAZANLAK, None, "Тато після інсульту, потрібен патронаж")
        made = await services.desk.create(draft, card=lambda r, first, lang: staffdesk.card(services, r, first, lang))
        return made.id


async def test_two_social_workers_each_in_their_queue_and_a_request_taken_answered_closed_undone_found(tmp_path):
    old = await an_old_request(tmp_path)
    opora = await WebOpora(tmp_path).start()
    await opora.staff_account(MARIA, KAZANLAK, language="bg")
    await opora.staff_account(OLENA, DNIPRO, language="uk")
    citizen, displaced = Visitor(opora, "uk-UA"), Visitor(opora, "uk-UA")
    shots = os.environ.get("OPORA_SCREENSHOT_DIR", str(tmp_path))
    try:
        mine = await asks_for_staff(
            citizen, "Хто приносить гарячий обід бабусі в Казанлику?", "Мамі 82 роки, чи можна щодня?"
        )
        theirs = await asks_for_staff(
            displaced, "Я з Краматорська, тепер у Дніпрі. Потрібна гуманітарна допомога", "Нас троє, потрібні ліки"
        )
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            maria = await browser.new_page(viewport={"width": 1280, "height": 800})
            olena = await browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2)
            await logs_in(maria, opora, MARIA)
            olenas_password = await logs_in(olena, opora, OLENA)

            # Each sees only their own queue's requests, in their own language; the oldest first, marked overdue.
            rows = maria.locator("#list li.row")
            await expect(rows).to_have_count(2)
            await expect(rows.nth(0)).to_contain_text(f"№ {old}")
            await expect(rows.nth(0).locator(".overdue-mark")).to_have_text("⚠ Просрочено")
            await expect(rows.nth(0)).to_contain_text("6 дни")
            await expect(rows.nth(1)).to_contain_text(f"№ {mine}")
            await expect(rows.nth(1).locator(".overdue-mark")).to_have_count(0)
            await expect(rows.nth(1)).to_contain_text("украински")  # the citizen's language, in Maria's words
            await expect(olena.locator("#list li.row")).to_have_count(1)
            await expect(olena.locator("#list li.row")).to_contain_text(f"№ {theirs}")
            await expect(olena.locator("#f-queue")).to_be_hidden()  # one queue: nothing to choose
            await olena.screenshot(path=f"{shots}/olena-list-phone.png")

            await maria.locator(f"#list a[href='#{mine}']").click()
            request = maria.locator(f"article.request[data-id='{mine}']")
            await expect(request).to_contain_text("Мамі 82 роки")
            await request.locator("button.take").click()
            await expect(maria.locator("#toast")).to_contain_text(f"Запитване № {mine} е ваше.")
            await expect(request.locator(".status")).to_have_text("поето от социален работник")
            await expect(request.locator(".facts")).to_contain_text(MARIA)  # who took it
            await expect(request.locator("button.take")).to_have_count(0)  # taken: no Take any more
            await expect(request.locator("button.release")).to_be_visible()
            await expect(maria.locator(f"#list li[data-id='{mine}']")).to_contain_text(MARIA)
            await citizen.receives("взяв")

            # A ready answer, in the citizen's language, into the reply box; changed, then sent.
            await request.locator("select.canned").select_option(index=3)
            reply = request.locator("textarea.reply-text")
            await expect(reply).to_have_value("Будь ласка, залиште номер телефону, щоб ми вам зателефонували.")
            await reply.press("End")
            await reply.type(" Або приходьте в понеділок.")
            await request.locator("button.reply").click()
            answer = await citizen.receives("Або приходьте в понеділок")
            assert text(answer).count("залиште номер телефону") == 1
            await request.locator("textarea.note-text").fill("Дъщерята ще се обади в понеделник")
            await request.locator("button.note").click()
            await expect(request.locator(".thread")).to_contain_text("Дъщерята ще се обади")

            # Closing asks first; Cancel leaves it open; a close can be undone from its message.
            await request.locator("button.close").click()
            confirm = request.locator(".confirm")
            await expect(confirm).to_contain_text(f"Да се затвори ли запитване № {mine}?")
            await expect(request.locator("button.close-yes")).to_be_focused()
            await request.locator("button.close-no").click()
            await expect(confirm).to_be_hidden()
            await request.locator("button.close").click()
            await request.locator("button.close-yes").click()
            await expect(maria.locator("#toast")).to_contain_text(f"Запитване № {mine} е затворено.")
            await citizen.receives("закрито")
            await expect(maria.locator(f"#list a[href='#{mine}']")).to_have_count(0)  # no longer among the open
            await maria.screenshot(path=f"{shots}/maria-closed-undo-desktop.png")
            await maria.locator("#toast-undo").click()
            await expect(maria.locator("#toast")).to_contain_text(f"Запитване № {mine} е отново отворено.")
            await expect(request.locator(".status")).to_have_text("отговорено")
            await expect(maria.locator(f"#list a[href='#{mine}']")).to_have_count(1)
            await citizen.receives("знову відкрито")

            await request.locator("button.close").click()
            await request.locator("button.close-yes").click()
            await expect(request.locator("button.reopen")).to_be_visible()  # a closed request can be reopened

            # The history: closed requests, found by number and by words, with their notes and trail.
            await maria.locator("label:has(input[value=closed])").click()
            await expect(maria.locator("#list li.row")).to_have_count(1)
            await maria.locator("label:has(input[value=all])").click()
            await expect(maria.locator("#list li.row")).to_have_count(2)
            await maria.fill("#f-q", f"№{mine}")
            await maria.press("#f-q", "Enter")
            await expect(maria.locator("#list li.row")).to_have_count(1)
            await expect(maria.locator("#list li.row")).to_contain_text("затворено")
            await maria.fill("#f-q", "ЩОДНЯ")
            await maria.click("#search-button")
            await expect(maria.locator("#list li.row")).to_have_count(1)
            await maria.locator(f"#list a[href='#{mine}']").click()
            await expect(request.locator(".thread")).to_contain_text("Дъщерята ще се обади")
            history = request.locator(".history")
            await expect(history).to_contain_text(MARIA)
            for what in ("поето", "отговорено", "добавена бележка", "затворено", "отворено отново"):
                await expect(history).to_contain_text(what)
            await maria.screenshot(path=f"{shots}/maria-history-desktop.png", full_page=True)

            # Olena cannot open Maria's request, even by its address.
            await olena.goto(opora.url + f"/staff#{mine}")
            await expect(olena.locator("#toast")).to_contain_text("Цей запит належить до іншої черги.")

            # Her session ends while she types (an admin disabled her account): the login page, once; when
            # she is let in again, what she typed is still there.
            await olena.goto(opora.url + f"/staff#{theirs}")
            hers = olena.locator(f"article.request[data-id='{theirs}']")
            await hers.locator("textarea.reply-text").fill("Приходьте у вівторок о 10:00")
            assert opora.cli("staff", "disable", OLENA).returncode == 0
            await hers.locator("button.reply").click()
            await expect(olena.locator("input[name=password]")).to_be_visible()
            assert olena.url.endswith("/staff/login")
            assert opora.cli("staff", "enable", OLENA).returncode == 0
            await logs_in(olena, opora, OLENA, olenas_password)
            await olena.goto(opora.url + f"/staff#{theirs}")
            await expect(hers.locator("textarea.reply-text")).to_have_value("Приходьте у вівторок о 10:00")
            await browser.close()
    finally:
        await citizen.close()
        await displaced.close()
        assert await opora.stop() == 0
