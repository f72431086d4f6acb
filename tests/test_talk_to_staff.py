"""Talking to staff, as people do it: the need typed at once, a number typed where no button
shares it, two services of the same name in two towns, when to expect an answer, and an old
button of a request closed since. In-process, on a real database."""

import datetime as dt

import pytest
from support.chat_helpers import MONDAY_MORNING, FakeChannel, app_on_a_clock

from bot.core import staffdesk
from bot.core.events import Text, User

# Monday 23 November 2026, 10:00 in Kyiv and Sofia.
# The Kyiv branch's hours (Mon–Fri 9–17, Sat 9–15) were published in October 2022: a year later
# they may be out of date, so they say when it is open only in the months after.
MONDAY_2022 = dt.datetime(2022, 11, 21, 8, 0, tzinfo=dt.UTC)  # 10:00 in Kyiv
SUNDAY_2022 = dt.datetime(2022, 11, 20, 8, 0, tzinfo=dt.UTC)
STAFF = ("web-staff", "staff-view")  # a staff chat bound to every queue, as the web staff view is


@pytest.fixture(scope="module")
async def opora(tmp_path_factory):
    async with app_on_a_clock(tmp_path_factory.mktemp("staff"), staff=STAFF) as app:
        yield app


@pytest.fixture
def at(opora):
    """Set the conversation's clock; it goes back to Monday morning after the test."""

    def set_clock(moment: dt.datetime) -> None:
        opora.clock[0] = moment

    yield set_clock
    opora.clock[0] = MONDAY_MORNING


@pytest.fixture
def olena(opora, request):
    """A Ukrainian speaker in Telegram (or any channel with a share-my-number button)."""
    return FakeChannel(opora.conversation, user_id=request.node.name, language="uk")


@pytest.fixture
def on_the_web(opora, request):
    """A Ukrainian speaker in the web chat, which has no share-my-number button."""
    channel = FakeChannel(opora.conversation, user_id=request.node.name, language="uk")
    channel.user = User("web", request.node.name, None, "uk-UA")
    return channel


async def requests_of(opora, person: FakeChannel):
    return await opora.conversation.services.desk.requests_of(person.user.channel, person.user.id)


async def test_what_is_typed_at_the_topic_step_is_the_message_and_is_not_asked_again(olena, opora):
    await olena.says("/start")
    topics = await olena.taps("Запитати працівника")
    assert "опишіть, що вам потрібно, в одному повідомленні" in topics.text

    office = await olena.says("Мамі 82 роки, вона живе сама в Казанлику і вже не може готувати")
    assert "Дякую, я це передам. Ваш запит буде передано сюди: Соціальні послуги – Община Казанлик." in office.text
    asked = await olena.taps("Продовжити")
    assert "зателефонував працівник" in asked.text and "Опишіть" not in asked.text

    consent = await olena.taps("Пропустити")
    assert "«Мамі 82 роки, вона живе сама в Казанлику і вже не може готувати»" in consent.text
    await olena.taps("Згоден")
    (request,) = await requests_of(opora, olena)
    thread = await opora.conversation.services.desk.messages(request.id)
    assert [m.text for m in thread] == ["Мамі 82 роки, вона живе сама в Казанлику і вже не може готувати"]


async def test_a_button_beside_the_share_button_sent_back_as_its_label_is_pressed_then_and_only_then(olena, opora):
    """Telegram shows them in its reply keyboard, where a button sends its label."""
    await olena.says("/start")
    await olena.taps("Запитати працівника")
    await olena.says("Мамі 82 роки, вона живе сама в Казанлику і вже не може готувати")
    (asked,) = await olena.taps("Продовжити")
    assert isinstance(asked, Text) and asked.request == "contact"
    assert [b.label for row in asked.buttons for b in row] == ["Пропустити ➡", "✖ Скасувати"]

    consent = await olena.says("Пропустити ➡")
    assert "«Мамі 82 роки, вона живе сама в Казанлику і вже не може готувати»" in consent.text
    await olena.says("✖ Скасувати")  # no share button beside it now: not a press, the draft is kept
    await olena.taps("Згоден")
    assert len(await requests_of(opora, olena)) == 1


async def test_typed_after_an_answers_talk_to_staff_it_goes_to_the_office_of_the_town_asked_about(olena, opora):
    answer = await olena.says("домашній патронаж Казанлик")
    assert "Знайдено 2 послуги" in answer.text  # one message, one talk-to-staff button for the answer
    office = await olena.taps("Запитати працівника")
    assert "опишіть, що вам потрібно" in office.text
    office = await olena.says("Скільки коштує патронаж для тата, йому 79?")
    assert "Община Казанлик" in office.text  # the town the answer was about; another office is a tap away
    asked = await olena.taps("Продовжити")
    assert "зателефонував працівник" in asked.text  # the need is not asked for again
    consent = await olena.taps("Пропустити")
    assert "«Скільки коштує патронаж для тата, йому 79?»" in consent.text


async def test_on_the_web_the_number_is_typed_and_shown_back_to_be_checked(on_the_web, opora):
    await on_the_web.says("/start")
    await on_the_web.taps("Запитати працівника")
    await on_the_web.says("Потрібна допомога вдома для бабусі")
    asked = await on_the_web.taps("Самоков")
    assert "Напишіть тут свій номер телефону" in asked.text
    assert not any(isinstance(r, Text) and r.request == "contact" for r in asked)  # no button the web lacks

    wrong = await on_the_web.says("0888 12")
    assert "не схоже на номер" in wrong.text
    shown = await on_the_web.says("0888 123 456")
    assert "📞 Ваш номер телефону: 0888 123 456" in shown.text
    corrected = await on_the_web.taps("Змінити номер")
    assert "Напишіть тут свій номер телефону" in corrected.text
    shown = await on_the_web.says("0888 123 465")
    assert "0888 123 465" in shown.text and "0888 123 456" not in shown.text
    again = await on_the_web.says("+359 888 123 466")  # typed again at the consent: it replaces it
    assert "📞 Ваш номер телефону: +359 888 123 466" in again.text

    await on_the_web.taps("Згоден")
    (request,) = await requests_of(opora, on_the_web)
    assert request.phone == "+359 888 123 466"


async def test_the_office_is_preselected_in_the_town_the_need_names_or_the_person_lives_in(olena):
    await olena.says("/start")
    await olena.taps("Запитати працівника")
    office = await olena.says("Потрібна гуманітарна допомога, ми з Краматорська, тепер живемо в Києві")
    assert "Ваш запит буде передано сюди: Відділення терцентру Краматорська в Києві." in office.text

    await olena.taps("Меню")
    await olena.says("Я живу в Самокові")
    await olena.taps("Запитати працівника")
    office = await olena.says("Потрібна допомога вдома для мами")
    assert "Ваш запит буде передано сюди: Соціальні послуги – Община Самоков." in office.text
    assert "Обрати інший офіс" in office.labels()


async def test_a_town_typed_at_the_topic_step_chooses_the_office_and_is_not_the_message(olena, opora):
    await olena.says("/start")
    await olena.taps("Запитати працівника")
    office = await olena.says("Перущиця")
    assert "Ваш запит буде передано сюди: Соціальні послуги – Община Перущиця." in office.text
    office = await olena.says("у Києві")  # another town, on the office's screen
    assert "Ваш запит буде передано сюди: Відділення терцентру Краматорська в Києві." in office.text
    asked = await olena.taps("Продовжити")
    assert "Опишіть в одному повідомленні" in asked.text  # the town was no description


async def test_where_a_button_shares_the_number_it_is_offered_and_shown_back(olena, opora):
    await olena.says("/start")
    await olena.taps("Запитати працівника")
    await olena.says("Потрібна допомога вдома для бабусі")
    asked = await olena.taps("Самоков")
    assert any(isinstance(r, Text) and r.request == "contact" for r in asked)
    shown = await olena.shares_contact("+359888123456")
    assert "📞 Ваш номер телефону: +359888123456" in shown.text
    assert "✏ Змінити номер" in shown.labels()


async def test_topics_with_the_same_name_are_told_apart_by_town(olena):
    """A Samokov refugee tapping the second of two "Домашній соціальний патронаж" is sent to
    Samokov, not to Kazanlak."""
    await olena.says("домашній соціальний патронаж в Казанлику і Самокові")
    topics = await olena.says("хочу поговорити з працівником")
    assert {"Домашній соціальний патронаж, Казанлик", "Домашній соціальний патронаж, Самоков"} <= set(topics.labels())
    office = await olena.taps("патронаж, Самоков")
    assert "Община Самоков" in office.text and "Казан" not in office.text


async def test_the_persons_own_town_comes_first(olena, opora):
    await olena.says("домашній соціальний патронаж в Казанлику і Самокові")
    states = opora.conversation.services.states
    state = await states.load(olena.user)
    state.data["place"] = "samokov"  # the conversation remembers that she lives in Samokov
    await states.save(olena.user, state)
    topics = await olena.says("хочу поговорити з працівником")
    assert topics.labels()[:2] == ["Домашній соціальний патронаж, Самоков", "Домашній соціальний патронаж, Казанлик"]


async def ask_staff(person: FakeChannel, need: str, office: str) -> str:
    """Talk to staff from the menu, typing the need at once (which names no town), choose the
    office, then skip the number and agree."""
    bulgarian = person.user.language == "bg"
    await person.says("/start")
    await person.taps("Връзка със служител" if bulgarian else "Запитати працівника")
    await person.says(need)
    await person.taps(office)
    await person.taps("Пропусни" if bulgarian else "Пропустити")
    return (await person.taps("Съгласен" if bulgarian else "Згоден")).text


async def test_a_bulgarian_office_with_unknown_hours_answers_on_working_days_maybe_in_bulgarian(olena):
    received = await ask_staff(olena, "Чи можна отримати патронаж без болгарських документів?", "Самоков")
    assert "Працівники відповідають у робочі дні, у робочий час." in received
    assert "Це болгарська установа: працівники можуть відповісти болгарською." in received
    assert ":00" not in received  # no hours are invented


async def test_in_bulgarian_a_bulgarian_office_is_not_announced(opora, request):
    ivan = FakeChannel(opora.conversation, user_id=request.node.name, language="bg")
    received = await ask_staff(ivan, "Може ли патронаж за баща ми?", "Самоков")
    assert "работни дни" in received and "на български" not in received


async def test_an_office_open_now_says_until_when(olena, at):
    at(MONDAY_2022)
    received = await ask_staff(olena, "Потрібна гуманітарна допомога для переселенців", "Києві")
    assert "Офіс зараз відчинено, до 17:00" in received
    assert "болгарськ" not in received


async def test_an_office_closed_now_says_when_it_opens(olena, at):
    at(SUNDAY_2022)
    received = await ask_staff(olena, "Потрібна гуманітарна допомога для переселенців", "Києві")
    assert "Офіс зараз зачинено. Відчиниться: понеділок 09:00; чекайте на відповідь після цього." in received


async def test_an_old_consent_button_of_a_closed_request_says_it_is_closed(olena, opora):
    received = await ask_staff(olena, "Потрібна допомога вдома для бабусі", "Самоков")
    (request,) = await requests_of(opora, olena)
    assert f"№ {request.id}" in received
    services = opora.conversation.services
    await services.desk.close(request.id, *STAFF, notify=staffdesk.notice(services, "closed"))

    again = await olena.taps("Згоден")  # the old "✅ Згоден(на), надіслати"
    assert f"Запит № {request.id} закрито" in again.text and "отримано" not in again.text
    assert "👤 Запитати працівника" in again.labels()
    assert len(await requests_of(opora, olena)) == 1


async def test_the_consent_names_what_staff_see_with_and_before_the_last(olena, opora, request):
    await olena.says("/start")
    await olena.taps("Запитати працівника")
    await olena.says("Потрібна допомога вдома")
    await olena.taps("Самоков")
    await olena.shares_location(42.336, 23.553)
    consent = await olena.shares_contact("+359888123456")
    assert "побачать ваше повідомлення, ваш номер телефону і ваше місцезнаходження." in consent.text

    ivan = FakeChannel(opora.conversation, user_id=request.node.name + "-bg", language="bg")
    await ivan.says("/start")
    await ivan.taps("Връзка със служител")
    await ivan.says("Нужда от помощ вкъщи")
    await ivan.taps("Самоков")
    consent = await ivan.shares_contact("+359888123456")
    assert "„Нужда от помощ вкъщи“" in consent.text and "«" not in consent.text
    assert "ще видят съобщението ви и телефонния ви номер." in consent.text
