"""The web chat on small phones and with large text, in a real headless Chromium (Debian's): a
person on a 320 px phone, or with the browser's text at 200 %, can still read the header, type in
the box, see and press the send button, and get an answer; the page never scrolls sideways.

Also: the conversation is still there when the tab is reopened; a message typed without a
connection is sent once the connection is back, exactly once; phone numbers in the bot's text are
tappable; hover styles only apply where something hovers.

Screenshots are taken by the tests, into a temporary folder and, when OPORA_SCREENSHOT_DIR is set,
into it too."""

import os
import shutil
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from playwright.async_api import Page, async_playwright, expect
from support.web_visitor import WebOpora

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
DEFAULT_FONT = 16  # Chromium's default text size, in px: 200 % is twice that


@pytest.fixture(scope="module")
async def opora(tmp_path_factory):
    opora = await WebOpora(tmp_path_factory.mktemp("small")).start()
    yield opora
    assert await opora.stop() == 0


@pytest.fixture(scope="module")
async def browser():
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        await browser.close()


@asynccontextmanager
async def phone(browser, width: int, locale: str, text_size: int = 100, height: int = 640):
    """A touch phone `width` CSS px wide, its browser's text at `text_size` % (as the phone's own
    text-size setting: the default font size, which the page's rem sizes follow)."""
    context = await browser.new_context(
        viewport={"width": width, "height": height},
        locale=locale,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    page = await context.new_page()
    if text_size != 100:
        cdp = await context.new_cdp_session(page)
        size = DEFAULT_FONT * text_size // 100
        await cdp.send("Page.setFontSizes", {"fontSizes": {"standard": size, "fixed": size}})
    try:
        yield page
    finally:
        await context.close()


@asynccontextmanager
async def window(browser):
    """A browser of its own (its own cookie, so its own conversation), with a mouse, 390 px wide."""
    context = await browser.new_context(viewport={"width": 390, "height": 800}, locale="uk-UA")
    try:
        yield context
    finally:
        await context.close()


async def opens_the_chat(context, opora) -> Page:
    """A new tab on the chat, once it shows its first message."""
    page = await context.new_page()
    await page.goto(opora.url + "/")
    await expect(page.locator(".msg.bot").first).to_contain_text("Опора")
    return page


def screenshot_paths(tmp_path: Path, name: str) -> list[Path]:
    paths = [tmp_path / f"{name}.png"]
    if os.environ.get("OPORA_SCREENSHOT_DIR"):
        folder = Path(os.environ["OPORA_SCREENSHOT_DIR"])
        folder.mkdir(parents=True, exist_ok=True)
        paths.append(folder / f"{name}.png")
    return paths


async def snap(page: Page, tmp_path: Path, name: str) -> None:
    shot = await page.screenshot()
    for path in screenshot_paths(tmp_path, name):
        path.write_bytes(shot)
    assert shot


# What the person sees, measured in the page: in CSS px, and the box's width in characters of its
# own font (of a real question's letters, on average).
GEOMETRY = """() => {
  const SAMPLE = "Хто приносить гарячий обід бабусі? Помощ за дете с увреждане";
  const box = document.getElementById("text");
  const send = document.getElementById("send").getBoundingClientRect();
  const locate = document.getElementById("locate").getBoundingClientRect();
  const header = document.querySelector("header.top").getBoundingClientRect();
  const style = getComputedStyle(box);
  const canvas = document.createElement("canvas").getContext("2d");
  canvas.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
  const inner = box.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  const brand = document.getElementById("header").getBoundingClientRect();
  return {
    innerWidth, innerHeight,
    scrollWidth: document.documentElement.scrollWidth,
    rootFont: parseFloat(getComputedStyle(document.documentElement).fontSize),
    boxChars: inner / (canvas.measureText(SAMPLE).width / SAMPLE.length),
    boxHeight: box.getBoundingClientRect().height,
    send: {left: send.left, right: send.right, top: send.top, bottom: send.bottom, width: send.width},
    locate: {left: locate.left, right: locate.right, bottom: locate.bottom},
    headerHeight: header.height,
    titleLines: Math.round(brand.height / parseFloat(getComputedStyle(document.getElementById("header")).lineHeight)),
  };
}"""


async def geometry(page: Page) -> dict:
    return await page.evaluate(GEOMETRY)


def assert_usable(shape: dict, width: int, chars: int) -> None:
    assert shape["innerWidth"] == width, shape  # a mobile browser widens its viewport to what overflows
    assert shape["scrollWidth"] <= width, shape  # no sideways scrolling
    assert shape["boxChars"] >= chars, shape
    send = shape["send"]
    assert send["left"] >= 0 and send["right"] <= width and send["bottom"] <= shape["innerHeight"], shape
    assert send["width"] >= 44, shape  # a finger's tap target
    assert shape["locate"]["left"] >= 0 and shape["locate"]["right"] <= width, shape


SMALL_SCREENS = [
    # width, language, text size (%), the box at least this many characters wide
    (320, "uk-UA", 100, 14),
    (320, "bg-BG", 100, 14),
    (390, "uk-UA", 100, 20),
    (390, "bg-BG", 100, 20),
    (320, "uk-UA", 200, 9),
    (320, "bg-BG", 200, 9),
    (390, "uk-UA", 200, 11),
]


@pytest.mark.parametrize(("width", "locale", "text_size", "chars"), SMALL_SCREENS)
async def test_the_composer_is_usable_on_a_small_phone_and_with_large_text(
    opora, browser, tmp_path, width, locale, text_size, chars
):
    lang = locale[:2]
    question = {"uk": "Хто приносить гарячий обід бабусі в Казанлику?", "bg": "топъл обяд за баба в Казанлък"}[lang]
    async with phone(browser, width, locale, text_size) as page:
        await page.goto(opora.url + "/")
        await expect(page.locator(".msg.bot").first).to_contain_text("Опора")
        await expect(page.locator("html")).to_have_attribute("lang", lang)
        shape = await geometry(page)
        if text_size == 200:
            assert shape["rootFont"] >= 2 * 18 - 1, shape  # the page follows the browser's text size
        assert_usable(shape, width, chars)
        assert shape["headerHeight"] <= shape["innerHeight"] / 4, shape  # the header leaves room for the chat
        await snap(page, tmp_path, f"{width}px-{lang}-text{text_size}-welcome")

        # The send button is an arrow here, but a screen reader still reads "Send".
        await expect(page.locator("#send")).to_have_accessible_name({"uk": "Надіслати", "bg": "Изпрати"}[lang])

        await page.locator("#text").tap()
        await page.locator("#text").fill(question)
        shape = await geometry(page)
        assert_usable(shape, width, chars)
        await page.locator("#send").tap()
        await expect(page.locator(".msg.me").last).to_have_text(question)
        await expect(page.locator(".msg.bot.card").first).to_contain_text({"uk": "Казанлик", "bg": "Казанлък"}[lang])
        assert_usable(await geometry(page), width, chars)
        await snap(page, tmp_path, f"{width}px-{lang}-text{text_size}-answer")


async def test_the_header_is_one_line_on_a_320_px_phone_and_says_all_on_a_wide_screen(opora, browser, tmp_path):
    async with phone(browser, 320, "uk-UA") as page:
        await page.goto(opora.url + "/")
        await expect(page.locator("#brand")).to_have_text("Опора")
        assert (await geometry(page))["titleLines"] == 1
        # A screen reader still hears the whole title.
        await expect(page.locator("h1")).to_have_text("Опора: соціальні послуги в Болгарії та Україні")
    async with phone(browser, 720, "uk-UA") as page:
        await page.goto(opora.url + "/")
        await expect(page.locator(".tagline")).to_be_visible()
        await expect(page.locator(".tagline")).to_contain_text("соціальні послуги")
        await expect(page.locator("#send .send-label")).to_be_visible()


async def test_a_reopened_tab_shows_the_conversation_so_far(opora, browser, tmp_path):
    async with window(browser) as context:
        page = await opens_the_chat(context, opora)
        await page.fill("#text", "Хто приносить гарячий обід бабусі в Казанлику?")
        await page.press("#text", "Enter")
        await expect(page.locator(".msg.bot.card").first).to_contain_text("Казанлик")
        cards = await page.locator(".msg.bot.card").count()
        await page.close()  # the tab is closed; the browser (and its cookie) stays

        again = await opens_the_chat(context, opora)
        await expect(again.locator(".msg.me")).to_have_text(["Хто приносить гарячий обід бабусі в Казанлику?"])
        await expect(again.locator(".msg.bot.card")).to_have_count(cards)
        await expect(again.locator(".msg.bot").first).to_contain_text("Опора")  # the welcome, once
        await expect(again.locator(".msg.bot", has_text="Вітаю")).to_have_count(1)
        await snap(again, tmp_path, "reopened-tab")

        # "Forget me" empties it, on the server too.
        await again.fill("#text", "/forget")
        await again.press("#text", "Enter")
        await again.locator("button.choice", has_text="Так").last.click()
        await expect(again.locator(".msg.me")).to_have_count(0)
        third = await opens_the_chat(context, opora)  # the welcome anew
        await expect(third.locator(".msg.me")).to_have_count(0)
        await expect(third.locator(".msg.bot.card")).to_have_count(0)


async def test_a_message_written_offline_is_sent_once_the_connection_is_back(opora, browser, tmp_path):
    sent = []
    async with window(browser) as context:
        context.on("request", lambda r: sent.append(r) if r.url.endswith("/api/messages") else None)
        page = await opens_the_chat(context, opora)
        await context.set_offline(True)
        await page.fill("#text", "Потрібна психологічна допомога в Києві")
        await page.press("#text", "Enter")
        await expect(page.locator(".sys-note")).to_have_text(["Немає з'єднання. Пробую ще раз…"])
        await expect(page.locator(".msg.me.unsent")).to_have_text("Потрібна психологічна допомога в Києві")
        await expect(page.locator("#text")).to_have_value("")  # it waits to be sent, not given back
        await snap(page, tmp_path, "offline-waiting")

        await context.set_offline(False)
        await expect(page.locator(".msg.me")).to_have_text(["Потрібна психологічна допомога в Києві"])
        await expect(page.locator(".msg.me.unsent")).to_have_count(0)
        await expect(page.locator(".sys-note")).to_have_count(0)
        await expect(page.locator(".msg.bot").nth(1)).to_contain_text("Київ")
        answers = await page.locator(".msg.bot").count()

        # On the server it was one question with one answer, however often the page tried.
        again = await opens_the_chat(context, opora)
        await expect(again.locator(".msg.me")).to_have_text(["Потрібна психологічна допомога в Києві"])
        await expect(again.locator(".msg.bot")).to_have_count(answers)
        assert len([r for r in sent if "психологічна" in (r.post_data or "")]) >= 2  # tried offline, then sent


async def test_an_answer_lost_on_the_way_back_is_not_asked_twice(opora, browser):
    """The server answered, but the answer never reached the page: the page sends the message
    again with the same key, and gets the same answer, not a second turn."""
    async with window(browser) as context:
        page = await opens_the_chat(context, opora)
        lost = []

        async def lose_the_first_answer(route):
            if "Запитати працівника" not in (route.request.post_data or "") and not lost:
                await route.continue_()
                return
            if not lost:
                lost.append(await route.fetch())  # the server handles it...
                await route.abort("connectionreset")  # ...and the answer is lost
                return
            await route.continue_()

        await page.fill("#text", "Хто приносить гарячий обід бабусі в Казанлику?")
        await page.press("#text", "Enter")
        await expect(page.locator(".msg.bot.card").first).to_contain_text("Казанлик")
        await page.route("**/api/messages", lose_the_first_answer)
        await page.locator("button.choice", has_text="Запитати працівника").last.click()
        await expect(page.locator(".msg.bot").last).to_contain_text("Продовжити")
        assert len(lost) == 1 and lost[0].status == 200
        await expect(page.locator(".msg.me", has_text="Запитати працівника")).to_have_count(1)
        # The page shows the answer the server gave the first time, and the server took one turn.
        repeated = await lost[0].json()
        await expect(page.locator(".msg.bot").last).to_contain_text(repeated["replies"][-1]["text"][:40])
        entries = (await page.evaluate("fetch('/api/transcript').then((r) => r.json())"))["entries"]
        assert [e["said"] for e in entries if "працівника" in (e["said"] or "")] == ["👤 Запитати працівника"]


async def test_phone_numbers_in_the_bots_text_are_tappable(opora, browser):
    async with window(browser) as context:
        page = await opens_the_chat(context, opora)
        links = await page.evaluate(
            """() => {
              const shown = botView({type: "text", title: null, text:
                "Телефон для переселенців: 066 024 61 00. Або урядова гаряча лінія 1545.\\n" +
                "Офіс: +380 66 024 6100. Дані 12.10.2022, у 2020–2021 роках; пн–пт 8:00–17:00; 6100 Казанлик."});
              return Array.from(shown.querySelectorAll("a.tel"), (a) => [a.textContent, a.getAttribute("href")]);
            }"""
        )
        assert links == [
            ["066 024 61 00", "tel:0660246100"],
            ["1545", "tel:1545"],
            ["+380 66 024 6100", "tel:+380660246100"],
        ]
        hidden = await page.evaluate(
            """() => Array.from(botView({type: "text", text: "Офіс:\\n   ☎ +359 88 460 0281\\n№ 1 ✅"})
              .querySelectorAll("[aria-hidden=true]"), (e) => e.textContent)"""
        )
        assert hidden == ["☎"]  # a leading emoji, even indented; not one at the end of a line


async def test_decorative_emoji_are_hidden_from_screen_readers_and_the_composer_is_in_a_landmark(opora, browser):
    async with window(browser) as context:
        page = await opens_the_chat(context, opora)
        # The welcome's buttons ("🔎 Знайти послугу", …) are read without their emoji.
        first = page.locator(".msg.bot").first.locator("button.choice").first
        await expect(first.locator("span[aria-hidden=true]")).to_have_count(1)
        name = await first.evaluate("b => b.textContent")
        emoji = await first.locator("span[aria-hidden=true]").text_content()
        await expect(first).to_have_accessible_name(name.removeprefix(emoji).strip())
        # So is the 📍 before the town that heads an answer.
        await page.fill("#text", "Потрібна психологічна допомога в Києві")
        await page.press("#text", "Enter")
        head = page.locator(".msg.bot", has_text="Знайдено").last
        await expect(head).to_contain_text("📍 Київ")
        assert (await head.aria_snapshot()).startswith('- text: "Київ')
        await expect(page.locator("#locate")).to_have_accessible_name("📍 Надіслати моє місцезнаходження")
        await expect(page.locator("main #composer")).to_have_count(1)  # in the main landmark


async def test_a_button_pressed_from_the_keyboard_hands_the_focus_to_the_next_choices(opora, browser):
    async with window(browser) as context:
        page = await opens_the_chat(context, opora)
        find = page.locator(".msg.bot").first.locator("button.choice").first  # 🔎 Знайти послугу
        await find.focus()
        await page.keyboard.press("Enter")
        answer = page.locator(".msg.bot").last
        await expect(answer.locator("button").first).to_be_focused()
        await page.keyboard.press("Enter")  # and on, without a mouse
        await expect(page.locator(".msg.me")).to_have_count(2)


async def test_hover_styles_apply_only_where_something_hovers(opora, browser, tmp_path):
    """A tapped toggle on a touch screen does not stay filled as if it were chosen."""
    hover_rules = await first_page_rules(opora, browser)
    assert hover_rules, "the styles have hover rules"
    assert all("(hover: hover)" in media for _selector, media in hover_rules), hover_rules

    async with phone(browser, 390, "bg-BG") as page:
        await page.goto(opora.url + "/")
        await page.locator("#text").fill("помощ за дете с увреждане")
        await page.locator("#send").tap()
        choice = page.locator("button.choice").last
        await expect(choice).to_be_visible()
        await choice.hover()  # where the finger last was
        assert await choice.evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(255, 255, 255)"


async def first_page_rules(opora, browser) -> list[tuple[str, str]]:
    """The style rules with :hover, each with the media condition it is under ("" if none)."""
    async with window(browser) as context:
        page = await opens_the_chat(context, opora)
        return await page.evaluate(
            """() => {
              const found = [];
              const walk = (rules, media) => {
                for (const rule of rules) {
                  if (rule.media) walk(rule.cssRules, media + " " + rule.media.mediaText);
                  else if (rule.cssRules && !rule.selectorText) walk(rule.cssRules, media);
                  else if ((rule.selectorText || "").includes(":hover")) found.push([rule.selectorText, media]);
                }
              };
              for (const sheet of document.styleSheets) walk(sheet.cssRules, "");
              return found;
            }"""
        )
