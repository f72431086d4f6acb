"""Short cards, one message per answer: what a person reads on Telegram, Viber and the web chat.

One `opora run` serves all three at once: Telegram long-polls a fake Bot API, Viber posts to a
fake Viber API, and the web chat is used over HTTP as a browser would. A card starts with what
a person needs in order to act, in about 500 characters; the rest is behind "More"."""

import pytest
from support.chat_helpers import MONDAY_MORNING, FakeChannel
from support.fake_telegram import FakeBotAPI, TelegramChat
from support.fake_viber import FakeViberAPI, ViberUser
from support.web_visitor import Visitor, WebOpora
from support.web_visitor import text as web_text

from bot.app import build_app, build_conversation, build_engine, ensure_catalog
from bot.settings import Settings

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")

TELEGRAM_TOKEN = "123456:TEST-token"
VIBER_TOKEN = "viber-test-token"
SHORT = 500  # characters of a short card, its title included
KAZANLAK = "топъл обяд Казанлък"
KYIV = "терцентр Краматорська в Києві"


@pytest.fixture(scope="module")
async def opora(tmp_path_factory):
    telegram, viber = FakeBotAPI(), FakeViberAPI()
    telegram_url, viber_url = await telegram.start(), await viber.start()
    opora = WebOpora(
        tmp_path_factory.mktemp("short-cards"),
        OPORA_WEB_CHAT="1",
        OPORA_TELEGRAM_TOKEN=TELEGRAM_TOKEN,
        OPORA_TELEGRAM_API_URL=telegram_url,
        OPORA_VIBER_TOKEN=VIBER_TOKEN,
        OPORA_VIBER_API_URL=viber_url,
        OPORA_VIBER_WEBHOOK_URL="https://opora.example.org",
    )
    await opora.start()
    await telegram.wait_for("getUpdates")
    await viber.wait_for("set_webhook")
    opora.telegram, opora.viber = telegram, viber
    yield opora
    assert await opora.stop() == 0
    await telegram.stop()
    await viber.stop()


def first_card(message: str) -> str:
    """The first card of a message: the whole message when it shows one service, else the
    first numbered one (from "1️⃣" to the blank line after it)."""
    start = message.find("1️⃣")
    if start == -1:
        return message
    end = message.find("\n\n", start)
    return message[start : end if end != -1 else len(message)]


def telegram_messages(sent) -> list[str]:
    return [p["text"] for m, p in sent if m == "sendMessage"]


# --- Telegram ---------------------------------------------------------------------------------


@pytest.mark.e2e
async def test_on_telegram_a_warm_lunch_in_kazanlak_is_one_short_card_with_more(opora):
    ivan = TelegramChat(opora.telegram, 701, "bg")
    messages = telegram_messages(await ivan.says(KAZANLAK))
    assert len(messages) == 1
    card = messages[0]
    assert len(card) <= SHORT, card
    assert "<b>Домашен социален патронаж</b>" in card
    assert "📍 Казанлък, ул. „Отец Паисий Хилендарски“ № 3" in card
    assert "☎ +359" in card  # international: Telegram apps make it a link
    assert "🕘" in card and "отворено" not in card  # hours of 2020: never "open now"
    assert "не е посочено" not in card and card.count("Не е това") == 0

    more = telegram_messages(await ivan.taps("Повече"))
    assert len(more) == 1
    assert "Как да подадете заявление" in more[0] and "Офис" in more[0] and "tvstz.com" in more[0]
    # It lists the usual documents and the monthly fee: it never then says they are unknown.
    assert "Документи: не е посочено" not in more[0] and "Цена: не е посочено" not in more[0]


@pytest.mark.e2e
async def test_on_telegram_three_services_come_as_one_message_with_a_more_button_each(opora):
    olena = TelegramChat(opora.telegram, 702, "uk")
    sent = await olena.says(KYIV)
    messages = telegram_messages(sent)
    assert len(messages) == 1  # one sendMessage for the whole answer: nothing trickles in
    answer = messages[0]
    assert all(mark in answer for mark in ("1️⃣", "2️⃣", "3️⃣"))
    card = first_card(answer)
    assert len(card) <= SHORT, card
    assert "Київ, Дарницький район" in card and "Дарницький район, Дарницький район" not in card
    keyboard = next(p for m, p in sent if m == "sendMessage")["reply_markup"]["inline_keyboard"]
    labels = [b["text"] for row in keyboard for b in row]
    assert [label[:1] for label in labels if "Докладніше" in label] == ["1", "2", "3"]
    assert sum("працівника" in label for label in labels) == 1  # talk to staff: once per answer

    more = telegram_messages(await olena.taps("1️⃣ Докладніше"))
    assert len(more) == 1 and "Як звернутися" in more[0] and "Офіси:" in more[0]


# --- Viber ------------------------------------------------------------------------------------


def viber_user(opora, user_id: str, language: str) -> ViberUser:
    return ViberUser(opora.viber, opora.url + "/viber", VIBER_TOKEN, user_id, language)


@pytest.mark.e2e
async def test_on_viber_the_first_card_is_short_and_more_shows_the_rest(opora):
    halyna = viber_user(opora, "halyna-short==", "uk")
    await halyna.opens_the_chat()
    for question in (KAZANLAK, KYIV):
        messages = [m["text"] for m in await halyna.says(question)]
        assert len(messages) == 1, messages
        card = first_card(messages[0])
        assert len(card) <= SHORT, card
        assert "📍" in card and "📰" in card
    assert sum("Запитати працівника" in b["Text"] for b in halyna.keyboard()) == 1
    more = [m["text"] for m in await halyna.taps("1️⃣ Докладніше")]
    assert len(more) == 1 and "Як звернутися" in more[0]


# --- the web chat -----------------------------------------------------------------------------


@pytest.mark.e2e
async def test_in_the_web_chat_the_answer_is_one_bubble_of_short_cards(opora):
    visitor = Visitor(opora, "bg-BG")
    try:
        for question in (KAZANLAK, KYIV):
            answer = await visitor.says(question)
            assert len(answer["replies"]) == 1
            card = first_card(web_text(answer).strip())
            assert len(card) <= SHORT, card
        assert "Как да подадете заявление" in web_text(await visitor.taps("1️⃣"))
        kazanlak = await visitor.says(KAZANLAK)
        assert kazanlak["replies"][0]["title"] == "Домашен социален патронаж"
        more = await visitor.taps("Повече")
        assert "Как да подадете заявление" in web_text(more) and "📍" in web_text(more)
    finally:
        await visitor.close()


# --- what cards and near-me say, through the core ---------------------------------------------


@pytest.fixture(scope="module")
async def core(tmp_path_factory):
    app = await build_app(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('core')}/opora.sqlite3"))
    await ensure_catalog(app)
    app.conversation = build_conversation(app, await build_engine(app), now=lambda: MONDAY_MORNING)
    yield app
    await app.close()


def person(core, name: str, language: str) -> FakeChannel:
    return FakeChannel(core.conversation, user_id=name, language=language)


async def test_near_kazanlak_says_less_than_a_kilometre_to_the_centre_never_zero(core):
    petar = person(core, "near-kazanlak", "bg")
    await petar.says("/start")
    await petar.taps("Близо до мен")
    nearest = await petar.taps("Казанлък")
    assert len(nearest) == 1  # one message: the offices numbered, a button per service
    assert "около 0 километра" not in nearest.text and " 0 километра" not in nearest.text
    assert nearest.text.count("по-малко от 1 километър (до центъра на града: точното място не е известно)") == 3
    assert [label[:1] for label in nearest.labels()][:3] == ["1", "2", "3"]


async def test_a_town_and_a_district_are_said_once_and_unknowns_once(core):
    olena = person(core, "kropyvnytskyi", "uk")
    more = await olena.presses("more:kramatorsk-idp-support")
    assert "вул. Архітектора Паученка, 64/53, м. Кропивницький" in more.text
    assert "Кропивницький, вул." not in more.text
    assert "📍 Київ, Дарницький район (точна адреса не опублікована)" in more.text
    assert "Дарницький район, Дарницький район" not in more.text
    assert "📍 Дніпро\n   ❔ Невідомо: точна адреса, телефон, години роботи" in more.text
    assert "Телефон невідомий" not in more.text and "не вказано в наших джерелах" not in more.text
    card = await olena.presses("svc:kramatorsk-idp-support")
    assert card.text.count("невідом") == 1


async def test_a_card_never_says_unknown_what_its_own_text_covers(core):
    petar = person(core, "documents", "bg")
    more = await petar.presses("more:kazanlak-home-patronage")
    assert "копие на личната карта" in more.text and "месечна такса" in more.text
    assert "Нашите източници не посочват" not in more.text and "не е посочено" not in more.text
    other = await petar.presses("more:kazanlak-csri")  # says nothing of either: said once, together
    assert "❔ Нашите източници не посочват: документи, цена." in other.text
