"""The web chat in a real headless Chromium (Debian's), driven by Playwright: a person picks
Ukrainian, asks a question, sees an answer card, asks for staff, and a social worker answers
from /staff in a second window."""

import os
import shutil

import pytest
from playwright.async_api import async_playwright, expect
from support.web_visitor import ADMIN, WebOpora

pytestmark = [pytest.mark.e2e, pytest.mark.filterwarnings("ignore::ResourceWarning")]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


async def test_a_question_and_a_staff_round_trip_in_chromium(tmp_path):
    opora = await WebOpora(tmp_path).start()
    try:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            phone = await browser.new_page(
                viewport={"width": 412, "height": 900}, locale="bg-BG", device_scale_factor=2
            )
            await phone.goto(opora.url + "/")
            await expect(phone.locator(".msg.bot").first).to_contain_text("Опора")  # the welcome, in Bulgarian

            await phone.click("#lang-uk")
            await expect(phone.locator("#send")).to_have_text("Надіслати")
            await expect(phone.locator("html")).to_have_attribute("lang", "uk")

            await phone.fill("#text", "Хто приносить гарячий обід бабусі в Казанлику?")
            await phone.click("#send")
            await expect(phone.locator(".msg.me").last).to_contain_text("гарячий обід")
            title = phone.locator(".msg.bot.card .card-title").first
            await expect(title).to_be_visible()
            await expect(phone.locator(".msg.bot.card").first).to_contain_text("Казанлик")
            await phone.screenshot(path=os.environ.get("OPORA_SCREENSHOT") or tmp_path / "web-chat.png")

            await phone.locator("button.choice", has_text="Запитати працівника").last.click()
            await phone.locator("button.choice", has_text="Продовжити").last.click()
            await phone.fill("#text", "Мамі 82 роки, чи можна щодня?")
            await phone.press("#text", "Enter")
            await phone.locator("button.choice", has_text="Пропустити").last.click()
            await phone.locator("button.choice", has_text="Згоден").last.click()
            await expect(phone.locator(".msg.bot").last).to_contain_text("№ 1")

            desk = await browser.new_page()
            await desk.goto(opora.url + "/staff")
            await desk.fill("input[name=name]", ADMIN)
            await desk.fill("input[name=password]", await opora.admin())
            await desk.press("input[name=password]", "Enter")
            await desk.locator("#list a[href='#1']").click()
            request = desk.locator("article.request[data-id='1']")
            await expect(request).to_contain_text("Мамі 82 роки")
            await request.locator("button.take").click()
            await expect(phone.locator(".msg.bot").last).to_contain_text("взяв", timeout=30_000)
            await request.locator("textarea.reply-text").fill("Так, щодня о 12:00. Зателефонуйте нам.")
            await request.locator("button.reply").click()
            await expect(phone.locator(".msg.bot").last).to_contain_text("щодня о 12:00", timeout=30_000)
            await browser.close()
    finally:
        assert await opora.stop() == 0
