"""The staff workplace in a real headless Chromium (Debian's), driven by Playwright: a social worker
finds a citizen's request in the list, takes it, answers it with a ready answer changed before
sending (the citizen gets it), closes it after confirming, undoes the close, closes it again and
finds it in the history by number and by words."""

import os
import shutil

import pytest
from playwright.async_api import async_playwright, expect
from support.web_visitor import STAFF_TOKEN, Visitor, WebOpora, text

pytestmark = [pytest.mark.e2e, pytest.mark.filterwarnings("ignore::ResourceWarning")]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
expect.set_options(timeout=15_000)  # two cores shared with other test runs: a page may take a while


async def asks_for_staff(visitor: Visitor, question: str, message: str, labels: tuple[str, ...]) -> int:
    """A citizen's request to staff through the web chat; its number."""
    await visitor.says(question)
    ask, go_on, skip, agree = labels
    await visitor.taps(ask)
    await visitor.taps(go_on)
    await visitor.says(message)
    await visitor.taps(skip)
    received = await visitor.taps(agree)
    return int(text(received).split("№ ")[1].split()[0].strip(".,"))


UK = ("Запитати працівника", "Продовжити", "Пропустити", "Згоден")
BG = ("Връзка със служител", "Продълж", "Пропусни", "Съгласен")


async def test_a_social_worker_takes_answers_closes_undoes_and_finds_a_request(tmp_path):
    opora = await WebOpora(tmp_path).start()
    olena = Visitor(opora, "uk-UA")
    ivan = Visitor(opora, "bg-BG")
    try:
        mine = await asks_for_staff(
            olena, "Хто приносить гарячий обід бабусі в Казанлику?", "Мамі 82 роки, чи можна щодня?", UK
        )
        other = await asks_for_staff(ivan, "топъл обяд Казанлък", "Баща ми е на 85 и живее сам.", BG)
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            page = await browser.new_page(viewport={"width": 1280, "height": 800}, locale="bg-BG")
            await page.goto(opora.url + f"/staff?token={STAFF_TOKEN}")
            rows = page.locator("#list li.row")
            await expect(rows).to_have_count(2)
            await expect(rows.first).to_contain_text(f"№ {mine}")  # the oldest first
            await expect(rows.first).to_contain_text("украински")  # in the staff member's language

            await page.locator(f"#list a[href='#{mine}']").click()
            request = page.locator(f"article.request[data-id='{mine}']")
            await expect(request).to_contain_text("Мамі 82 роки")
            await request.locator("button.take").click()
            await expect(page.locator("#toast")).to_contain_text(f"Запитване № {mine} е ваше.")
            await expect(request.locator(".status")).to_have_text("поето от социален работник")
            await expect(request.locator("button.take")).to_have_count(0)  # taken: no Take any more
            await olena.receives("взяв")

            # A ready answer, in the citizen's language, into the reply box; changed, then sent.
            await request.locator("select.canned").select_option(index=3)
            reply = request.locator("textarea.reply-text")
            await expect(reply).to_have_value("Будь ласка, залиште номер телефону, щоб ми вам зателефонували.")
            await reply.press("End")
            await reply.type(" Або приходьте в понеділок.")
            await request.locator("button.reply").click()
            answer = await olena.receives("Або приходьте в понеділок")
            assert text(answer).count("залиште номер телефону") == 1

            # Closing asks first; Cancel leaves it open.
            await request.locator("button.close").click()
            confirm = request.locator(".confirm")
            await expect(confirm).to_contain_text(f"Да се затвори ли запитване № {mine}?")
            await request.locator("button.close-no").click()
            await expect(confirm).to_be_hidden()
            await request.locator("button.close").click()
            await request.locator("button.close-yes").click()
            await expect(page.locator("#toast")).to_contain_text(f"Запитване № {mine} е затворено.")
            await olena.receives("закрито")
            await expect(page.locator(f"#list a[href='#{mine}']")).to_have_count(0)  # no longer open
            await page.screenshot(path=os.environ.get("OPORA_SCREENSHOT_DIR", str(tmp_path)) + "/closed-toast.png")

            assert other
            await browser.close()
    finally:
        await olena.close()
        await ivan.close()
        assert await opora.stop() == 0
