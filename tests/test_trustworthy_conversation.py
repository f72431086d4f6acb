"""A conversation people can trust: the language stays, the place is remembered, and what Opora
does not cover is said plainly. Through the core, as a person talks to it."""

import re

import pytest
from support.chat_helpers import MONDAY_MORNING, FakeChannel

from bot.app import build_app, build_conversation, build_engine, ensure_catalog
from bot.settings import Settings

SHORT = ["ok", "1", "?", "😀", "Варна", "Самоков", "психолог", "не знаю", "сорок п'ять", "дякую"]


@pytest.fixture(scope="module")
async def opora(tmp_path_factory):
    app = await build_app(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('trust')}/o.sqlite3"))
    await ensure_catalog(app)
    app.conversation = build_conversation(app, await build_engine(app), now=lambda: MONDAY_MORNING)
    yield app
    await app.close()


@pytest.fixture
def person(opora, request):
    def make(language: str | None = "uk") -> FakeChannel:
        return FakeChannel(opora.conversation, user_id=f"{request.node.name}-{language}", language=language)

    return make


UK = re.compile("[іїєґІЇЄ]|Знайдено|послуг|Будь ласка|Напишіть|Оберіть")
BG = re.compile("ъ|Намерих|услуг[аи]|Моля!|Напишете|Изберете|Не намерих|не намерих")


def first_words(said) -> str:
    """The first reply's title and first line: Opora's own words (further down, a card may quote a
    source by its name in the other language)."""
    return f"{said[0].title or ''}\n{said[0].text.split(chr(10))[0]}"


def ukrainian(said) -> bool:
    """Opora's own first words are Ukrainian (cards may quote a Bulgarian source by name)."""
    first = first_words(said)
    return bool(UK.search(first)) and not BG.search(first)


def bulgarian(said) -> bool:
    first = first_words(said)
    return bool(BG.search(first) or re.search("[а-я]", first)) and not UK.search(first)


# --- the language stays ---------------------------------------------------------------------


async def test_after_choosing_ukrainian_no_short_message_and_no_bulgarian_sentence_switches_it(person):
    olena = person("bg")
    await olena.says("/start")
    await olena.taps("Українська")
    for message in SHORT + ["Търся дневен център за възрастни хора в Казанлък, моля"]:
        said = await olena.says(message)
        assert ukrainian(said), (message, said.text)


async def test_a_ukrainian_sentence_then_short_messages_keep_ukrainian(person):
    refugee = person("bg")  # a Bulgarian phone, a Ukrainian person
    said = await refugee.says("Добрий день, я з України, живу в Самокові з мамою, їй потрібна допомога вдома")
    assert ukrainian(said)
    assert "🇧🇬 Български" in said.labels()  # the switch was said, with a way back
    for message in SHORT:
        assert ukrainian(said := await refugee.says(message)), (message, said.text)


async def test_without_a_choice_a_whole_bulgarian_sentence_switches_with_a_notice_and_a_way_back(person):
    olena = person("uk")
    said = await olena.says("Търся дневен център за възрастни хора в Казанлък, моля")
    assert bulgarian(said)
    assert "Отсега ще отговарям на български" in said[0].text  # at the top of the answer: one message, not two
    assert said[0].text.index("Отсега") == 0 and "Казанлък" in said[0].text
    back = await olena.taps("Українська")
    assert ukrainian(back)
    assert ukrainian(await olena.says("Търся дом за стари хора в Казанлък за баща ми"))  # now chosen: it holds


async def test_after_choosing_bulgarian_nothing_short_switches_it(person):
    ivan = person("uk")
    await ivan.says("/start")
    await ivan.taps("Български")
    for message in SHORT + ["ок", "Київ", "Здравствуйте, мне нужна сиделка для мамы"]:
        said = await ivan.says(message)
        assert bulgarian(said), (message, said.text)


async def test_russian_is_answered_in_ukrainian_unless_bulgarian_was_chosen(person):
    mykola = person("bg")
    assert ukrainian(await mykola.says("Здравствуйте, мне нужна сиделка для мамы в Казанлыке"))
    chose = person(None)
    await chose.says("/language")
    await chose.taps("Български")
    assert bulgarian(await chose.says("Здравствуйте, мне нужна сиделка для мамы в Казанлыке"))


# --- honest coverage --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "question, town, language",
    [
        ("домашен патронаж във Варна", "Варна", "bg"),
        ("дневен център за възрастни в Бургас", "Бургас", "bg"),
        ("топъл обяд за баба в Пловдив", "Пловдив", "bg"),
        ("личен асистент за майка ми в София", "София", "bg"),
        ("психолог у Львові", "Львів", "uk"),
        ("гуманітарна допомога Харків", "Харків", "uk"),
        ("соціальні послуги в Одесі для літніх", "Одеса", "uk"),
        ("мама живе в селі Велика Бурімка, потрібен догляд", "Велика Бурімка", "uk"),
        ("domashen patronazh varna", "Варна", "bg"),
    ],
)
async def test_a_town_outside_the_catalogue_is_named_and_said_not_covered(person, question, town, language):
    said = await person(language).says(question)
    first = said[0].text
    assert town in first
    assert ("не покрива" if language == "bg" else "не охоплює") in first
    assert "Talk" not in said.text and any(b.payload == "staff" for b in said.buttons)


async def test_another_towns_service_is_never_shown_as_if_it_were_in_varna(person):
    said = await person("uk").says("домашній патронаж Варна")
    assert "Варна" in said[0].text and "Казанлик" in said[0].text  # the nearest covered place, named as such
    assert "кілометр" in said[0].text


async def test_a_town_said_after_a_question_answers_it_there_not_in_the_town_the_question_named(person):
    maria = person("bg")
    await maria.says("топъл обяд Казанлък")
    varna = await maria.says("Варна")
    assert "Варна: все още нямам услуги там" in varna.text and "Казанлък, ул." not in varna.text
    samokov = await maria.says("Самоков")  # the same need, in the next town she names
    assert "📍 Самоков" in samokov.text and "Казанлък" not in samokov.text


async def test_near_me_in_varna_says_nothing_is_near(person):
    olena = person("uk")
    await olena.says("/start")
    await olena.taps("Поруч")
    said = await olena.shares_location(43.2141, 27.9147)  # Varna
    assert "Поруч із вами я не знаю жодного офісу" in said[0].text
    assert "Казанлик" in said[0].text


async def test_a_topic_outside_social_services_is_said_not_covered(person):
    said = await person("uk").says("як отримати відстрочку від мобілізації")
    assert "не охоплює" in said.text and "мобілізац" in said.text
    said = await person("bg").says("как се изчислява пенсията ми")
    assert "не покрива" in said.text and "пенси" in said.text


async def test_a_vague_need_gets_a_clarifying_question_not_cards(person):
    said = await person("uk").says("Мені потрібна допомога, але я не знаю яка")
    assert "кому потрібна допомога" in said.text and not any(r.title for r in said)
    assert any(b.payload.startswith("cat:") for b in said.buttons)


async def test_thanks_and_ok_get_a_short_human_answer_not_the_greeting(person):
    olena = person("uk")
    await olena.says("/start")
    for message, expected in (("дякую", "Будь ласка"), ("ok", "👍"), ("ти тут?", "Так, я тут")):
        said = await olena.says(message)
        assert expected in said.text and "Опора" not in said.text


# --- the place is remembered ------------------------------------------------------------------


async def test_a_place_said_once_is_used_and_named_later(person):
    maria = person("bg")
    noted = await maria.says("аз съм от Пазарджик")
    assert "Пазарджик" in noted.text
    said = await maria.says("топъл обяд")
    # Pazardzhik has no meals service, and its home-care project ended: where to ask there.
    assert "Пазарджик" in said[0].text and "не намерих точно такава услуга" in said[0].text
    assert "📋 Социално подпомагане" in said[0].text  # the closest service, in the same message
    other = await maria.says("а в Самоков има ли домашен патронаж")  # a place named in the question wins
    assert "Самоков" in other[0].text


async def test_which_town_is_asked_once_when_the_answer_depends_on_it(person):
    olena = person("uk")
    asked = await olena.says("гарячий обід для бабусі")
    assert "Де вам це потрібно" in asked.text and "Інше місто" in asked.labels()
    said = await olena.taps("Самоков")
    assert "📍 Самоков" in said[0].text and said[0].title == "Домашній соціальний патронаж"
    again = await olena.says("денний центр")  # remembered: not asked again
    assert "Де вам це потрібно" not in again.text


async def test_another_town_typed_in_answer_to_which_town(person):
    olena = person("uk")
    await olena.says("гарячий обід для бабусі")
    await olena.taps("Інше місто")
    said = await olena.says("Бургас")
    assert "Бургас" in said[0].text and "не охоплює" in said[0].text


async def test_forget_erases_the_place(person):
    maria = person("bg")
    await maria.says("аз съм от Пазарджик")
    await maria.says("/forget")
    await maria.taps("Да, изтрий")
    asked = await maria.says("топъл обяд")
    assert "Пазарджик" not in asked.text


async def test_the_age_said_once_counts_later(opora):
    from bot.core.dialogs.answers import understand

    engine = opora.conversation.services.answers
    data: dict = {}
    understand(engine, "синът ми е на 24 години и има увреждане", data, "bg")
    assert data["age"] == 24
    later = understand(engine, "дневен център в Казанлък", data, "bg")
    assert later.age == 24
    assert later.results[0].service_id != "kazanlak-day-centre-children-disabilities"  # not for a child of 24
