"""The screener ("Am I eligible?") as people use it: the questions it announces, a relative's town,
ages in words, only the services whose conditions match and why, toggles that show their state and
are redrawn in place on every channel."""

import asyncio
import os
import shutil

import pytest
from playwright.async_api import async_playwright, expect
from support.chat_helpers import MONDAY_MORNING, FakeChannel, Said
from support.fake_telegram import FakeBotAPI, TelegramChat
from support.web_visitor import WebOpora

from bot.app import build_app, build_conversation, build_engine, ensure_catalog
from bot.core.dialogs.screener import QUESTIONS, age_in
from bot.core.flows import Flow
from bot.settings import Settings
from bot.telegram.runner import make_bot, make_dispatcher
from bot.terminal import show
from bot.viber.render import keyboard, messages
from bot.web.chat import reply_json

# Monday 23 November 2026, 10:00 in Kyiv and Sofia.
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="module")
async def opora(tmp_path_factory):
    app = await build_app(
        Settings(database_url=f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('screener')}/opora.sqlite3")
    )
    await ensure_catalog(app)
    app.conversation = build_conversation(app, await build_engine(app), now=lambda: MONDAY_MORNING)
    yield app
    await app.close()


@pytest.fixture
def olena(opora, request):
    return FakeChannel(opora.conversation, user_id=request.node.name, language="uk")


@pytest.fixture
def ivan(opora, request):
    return FakeChannel(opora.conversation, user_id="bg-" + request.node.name, language="bg")


def services_in(result: Said) -> list[str]:
    """The services the result offers: its buttons other than Back and Menu."""
    return [b.label for b in result.buttons if b.payload.startswith("svc:")]


async def test_it_announces_as_many_questions_as_it_asks(olena, ivan):
    await olena.says("/start")
    first = await olena.taps("Чи маю я право")
    assert "Я поставлю 4 короткі запитання" in first.text and len(QUESTIONS) == 4
    asked = [first[0].text.split("\n")[0]]
    asked.append((await olena.taps("Для мене"))[0].text.split("\n")[0])
    asked.append((await olena.says("82"))[0].text.split("\n")[0])
    asked.append((await olena.taps("Готово"))[0].text.split("\n")[0])
    result = await olena.taps("Не важливо")
    assert asked == ["Питання 1 з 4", "Питання 2 з 4", "Питання 3 з 4", "Питання 4 з 4"]
    assert "Можливо, ви маєте право" in result.text

    await ivan.says("/start")
    assert "Ще задам 4 кратки въпроса" in (await ivan.taps("Имам ли право")).text


async def test_for_a_relative_it_asks_where_the_relative_lives(ivan):
    await ivan.says("/start")
    await ivan.taps("Имам ли право")
    assert "роднината ви" in (await ivan.taps("За роднина")).text  # "На колко години е роднината ви?"
    situation = await ivan.says("на 70 години")
    assert "Кое се отнася за роднината ви?" in situation.text
    await ivan.taps("Живее сам")
    where = await ivan.taps("Готово")
    assert "Къде живее роднината ви?" in where.text and "Къде живеете" not in where.text
    result = await ivan.taps("Казанлък")
    assert "Роднината ви може да има право на" in result.text


async def test_for_oneself_it_asks_where_you_live(ivan):
    await ivan.says("/start")
    await ivan.taps("Имам ли право")
    await ivan.taps("За мен")
    await ivan.says("72")
    assert "Кое се отнася за вас?" in (await ivan.taps("Живее сам")).text
    assert "Къде живеете сега?" in (await ivan.taps("Готово")).text
    assert "Може да имате право на" in (await ivan.taps("Казанлък")).text


@pytest.mark.parametrize(
    "written, years",
    [
        ("сорок п'ять", 45),
        ("сорок пʼять", 45),  # the Ukrainian apostrophe as phones type it
        ("мені 45 років", 45),
        ("їй сімдесят", 70),
        ("Мамі 82 роки", 82),
        ("четиридесет и пет", 45),
        ("на 70 години", 70),
        ("семьдесят два", 72),
        ("вісімдесят два роки", 82),
        ("осемдесет и седем", 87),
        ("сто і два", 102),
        ("у мене 2 дітей, мені 40 років", 40),  # the number that is an age, not the first number
        ("мама 1944 року народження", 82),  # a year of birth
        ("не знаю", None),
        ("хз", None),
        ("200", None),
    ],
)
def test_ages_are_read_in_digits_and_in_words(written, years):
    assert age_in(written, 2026) == years


@pytest.mark.parametrize("written, years", [("сорок п'ять", "45"), ("їй сімдесят", "70"), ("мені 45 років", "45")])
async def test_an_age_in_words_is_understood_in_the_conversation(olena, written, years):
    await olena.says("/start")
    await olena.taps("Чи маю я право")
    await olena.taps("Для родича")
    situations = await olena.says(written)
    assert "Що з цього стосується вашого родича?" in situations.text
    await olena.taps("Інвалідність")
    await olena.taps("Готово")
    result = await olena.taps("Не важливо")
    assert f"вік {years}" in result.text


async def test_not_knowing_the_age_asks_again_and_offers_to_go_on_without_it(opora, olena):
    await olena.says("/start")
    await olena.taps("Чи маю я право")
    await olena.taps("Для родича")
    again = await olena.says("не знаю")
    assert "не зрозуміла вік" in again.text and "Не знаю ➡" in again.labels()  # no "not found", no search
    state = await opora.conversation.services.states.load(olena.user)
    assert state.flow == Flow.SCREENER_AGE
    again = await olena.says("ну десь як пенсіонерка")
    assert "не зрозуміла вік" in again.text
    situations = await olena.taps("Не знаю")
    assert "Що з цього стосується вашого родича?" in situations.text
    await olena.taps("Переселенець")
    await olena.taps("Готово")
    result = await olena.taps("Київ")
    assert services_in(result) and "✓ переселенець або біженець · місце: Київ" in result.text
    assert "вік" not in result.text  # no age was said, so none is claimed


async def test_an_older_person_without_dementia_is_not_offered_dementia_services(olena):
    await olena.says("/start")
    await olena.taps("Чи маю я право")
    await olena.taps("Для родича")
    await olena.says("Мамі 82 роки")
    await olena.taps("Живе сам")
    await olena.taps("Готово")
    result = await olena.taps("Казанлик")
    assert "Домашній соціальний патронаж" in services_in(result)
    assert not [s for s in services_in(result) if "деменц" in s.lower()]

    await olena.taps("⬅")  # back to the town, then the situations, to tick dementia too
    await olena.taps("⬅")
    await olena.taps("Деменція")
    await olena.taps("Готово")
    with_dementia = await olena.taps("Казанлик")
    home = next(s for s in services_in(with_dementia) if "деменц" in s.lower())
    assert home.startswith("Будинок для повнолітніх осіб з деменцією")
    line = with_dementia.text.split(home, 1)[1].split("\n")[1]
    assert "деменція або психічний розлад" in line and "від 18" in line


async def test_a_70_year_old_is_not_offered_childrens_services_and_a_child_is(olena):
    await olena.says("/start")
    await olena.taps("Чи маю я право")
    await olena.taps("Для родича")
    await olena.says("70")
    await olena.taps("Інвалідність")
    await olena.taps("Готово")
    older = services_in(await olena.taps("Казанлик"))
    assert older and not [s for s in older if "діт" in s.lower()]

    await olena.says("/start")
    await olena.taps("Чи маю я право")
    await olena.taps("Для родича")
    await olena.says("синові 10 років")
    await olena.taps("Інвалідність")
    await olena.taps("Готово")
    child = services_in(await olena.taps("Казанлик"))
    assert "Денний центр для дітей з інвалідністю" in child


async def test_each_service_says_why_per_condition(olena):
    await olena.says("/start")
    await olena.taps("Чи маю я право")
    await olena.taps("Для мене")
    await olena.says("мені 82")
    await olena.taps("Живе сам")
    await olena.taps("Готово")
    result = await olena.taps("Казанлик")
    patronage = result.text.split("• Домашній соціальний патронаж\n", 1)[1].split("\n")[0]
    assert patronage.strip() == "✓ вік 82 (літні люди) · живе сам(а) · місце: Казанлик"


async def test_toggles_show_their_state_and_replace_their_list(olena):
    await olena.says("/start")
    await olena.taps("Чи маю я право")
    await olena.taps("Для родича")
    shown = await olena.says("82")
    assert not shown[0].replaces  # the list comes as a message of its own
    toggles = [b for b in shown.buttons if b.payload.startswith("scr:s:")]
    assert len(toggles) == 10 and all(b.pressed is False and b.label.startswith("▫") for b in toggles)

    ticked = await olena.taps("Лежачий")
    care = next(b for b in ticked.buttons if b.payload == "scr:s:care")
    assert care.pressed is True and care.label.startswith("✅")
    assert len(ticked) == 1 and ticked[0].replaces  # the same list, redrawn in place
    assert [b.pressed for b in ticked.buttons if b.payload.startswith("scr:s:")].count(True) == 1

    unticked = await olena.taps("Лежачий")
    care = next(b for b in unticked.buttons if b.payload == "scr:s:care")
    assert care.pressed is False and care.label.startswith("▫")
    assert all(b.pressed is None for b in unticked.buttons if not b.payload.startswith("scr:s:"))

    # What each channel is given: the web's JSON carries both; Viber keeps the glyph in the label.
    web = reply_json(ticked[0])
    assert web["replaces"] is True
    assert {"label": "✅ Лежачий(а), потребує догляду", "payload": "scr:s:care", "pressed": True} in web["buttons"][0]
    assert "pressed" not in web["buttons"][-1][-1]  # Menu is no toggle
    assert "✅ Лежачий(а), потребує догляду" in [b["Text"] for b in keyboard([ticked[0]])["Buttons"]]
    assert len(messages(list(ticked))) == 1  # Viber cannot edit: the list is sent again, with its keyboard


async def test_in_the_terminal_a_toggled_list_is_printed_again(olena, capsys):
    await olena.says("/start")
    await olena.taps("Чи маю я право")
    await olena.taps("Для мене")
    await olena.says("сімдесят вісім")
    choices = show(list(await olena.taps("Живе сам")))
    printed = capsys.readouterr().out
    assert "Питання 3 з 4" in printed and "[4] ✅ Живе сам(а)" in printed and "[1] ▫ Інвалідність" in printed
    assert choices[3].payload == "scr:s:alone"


@pytest.fixture
async def telegram(opora):
    """The real aiogram dispatcher and routers, polling a fake Bot API."""
    api = FakeBotAPI()
    url = await api.start()
    bot = make_bot(Settings(telegram_token="123456:TEST-token", telegram_api_url=url))
    dispatcher = make_dispatcher(opora.conversation)
    polling = asyncio.create_task(
        dispatcher.start_polling(bot, handle_signals=False, handle_as_tasks=False, polling_timeout=1)
    )
    await api.wait_for("getUpdates")
    yield api
    await dispatcher.stop_polling()
    await polling
    await bot.session.close()
    await api.stop()


async def test_on_telegram_a_toggle_edits_the_message_whose_button_was_pressed(telegram):
    olena = TelegramChat(telegram, 7001, "uk")
    await olena.says("/start")
    await olena.taps("Чи маю я право")
    await olena.taps("Для родича")
    await olena.says("82")
    listed = [p for m, p in olena.received() if m == "sendMessage"][-1]
    assert "Що з цього стосується" in listed["text"]

    pressed = await olena.taps("Лежачий")
    assert [m for m, _p in pressed if m in ("sendMessage", "editMessageText")] == ["editMessageText"]
    edited = next(p for m, p in pressed if m == "editMessageText")
    assert edited["message_id"] == listed["message_id"]  # the list pressed, not a new one
    labels = [b["text"] for row in edited["reply_markup"]["inline_keyboard"] for b in row]
    assert "✅ Лежачий(а), потребує догляду" in labels

    again = await olena.taps("Живе сам")  # pressed on the edited message: edited again
    assert [p["message_id"] for m, p in again if m == "editMessageText"] == [listed["message_id"]]
    await olena.taps("Готово")
    assert "Де живе ваш родич?" in [p for m, p in olena.received() if m == "sendMessage"][-1]["text"]

    # A list Telegram no longer lets the bot edit (deleted, or too old): the new state is sent instead.
    await olena.taps("⬅")
    gone = await olena.presses("scr:s:veteran", message_id=1)
    assert [m for m, _p in gone if m in ("sendMessage", "editMessageText")] == ["editMessageText", "sendMessage"]
    assert "✅ Ветеран або родина ветерана" in [
        b["text"] for m, p in gone if m == "sendMessage" for row in p["reply_markup"]["inline_keyboard"] for b in row
    ]


async def test_in_the_browser_toggles_have_aria_pressed_and_the_list_is_redrawn_in_place(tmp_path):
    opora = await WebOpora(tmp_path).start()
    try:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            phone = await browser.new_page(viewport={"width": 412, "height": 900}, locale="uk-UA")
            await phone.goto(opora.url + "/")
            await expect(phone.locator(".msg.bot").first).to_contain_text("Опора")
            await phone.locator("button.choice", has_text="Чи маю я право").last.click()
            await phone.locator("button.choice", has_text="Для родича").last.click()
            await phone.fill("#text", "їй сімдесят")
            await phone.press("#text", "Enter")
            care = phone.locator("button.choice", has_text="Лежачий").last
            await expect(care).to_have_attribute("aria-pressed", "false")
            messages = await phone.locator("#messages > *").count()
            await care.click()
            await expect(phone.locator("button.choice", has_text="Лежачий").last).to_have_attribute(
                "aria-pressed", "true"
            )
            # The list is redrawn where it was: no second list, and no bubble of the person's tap.
            await expect(phone.locator("button.choice", has_text="Лежачий")).to_have_count(1)
            assert await phone.locator("#messages > *").count() == messages
            await expect(phone.locator("button.choice", has_text="Готово").last).not_to_have_attribute(
                "aria-pressed", "false"
            )
            await phone.screenshot(path=os.environ.get("OPORA_SCREENSHOT") or tmp_path / "screener.png")
            await browser.close()
    finally:
        assert await opora.stop() == 0
