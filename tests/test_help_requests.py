"""Help requests end to end over the fake Bot API: a citizen asks, staff in their group take,
answer and close; the bot restarts in between and the Bot API fails for a while; nothing is
lost and nothing arrives twice."""

from collections import Counter

import pytest
from support.fake_telegram import FakeBotAPI, TelegramChat, texts
from support.fake_viber import FakeViberAPI, ViberUser
from support.fake_viber import texts as viber_texts
from support.opora import opora_cli, start_opora, stop
from support.outbox import card_message, outbox_rows
from support.waiting import wait_until

from bot.helpdesk.models import OutboxMessage

STAFF_GROUP = -100777
pytestmark = [pytest.mark.e2e, pytest.mark.filterwarnings("ignore::ResourceWarning")]


async def test_a_request_goes_to_staff_and_back_through_restarts_and_failures(tmp_path):
    api = FakeBotAPI()
    url = await api.start()
    opora = await start_opora(tmp_path, url)
    await api.wait_for("getUpdates")

    assert "kramatorsk-dnipro\t" in opora_cli(tmp_path, "staff", "queues")
    code = opora_cli(tmp_path, "staff", "invite", "kramatorsk-dnipro").strip().splitlines()[-1]
    staff = TelegramChat(api, 900, "uk", group=STAFF_GROUP)
    assert "Дніпр" in texts(await staff.says(f"/join {code}"))
    assert "недійсний" in texts(await staff.says(f"/join {code}"))  # a code works once

    olena = TelegramChat(api, 501, "uk")
    await olena.says("/start")
    await olena.says("Я з Краматорська, тепер у Дніпрі. Потрібна гуманітарна допомога")
    assert "Дніпрі" in texts(await olena.taps("Запитати працівника"))  # the card's button: its office
    (description,) = [p for m, p in await olena.taps("Продовжити") if m == "sendMessage"]  # one message,
    assert description["reply_markup"]["keyboard"][0][0]["request_location"]  # its location button on top
    (phone,) = [p for m, p in await olena.says("Мамі 82 роки, потрібні ліки та продукти") if m == "sendMessage"]
    keyboard = [[b["text"] for b in row] for row in phone["reply_markup"]["keyboard"]]
    assert keyboard[0] == ["📞 Надіслати номер телефону"] and ["Пропустити ➡"] in keyboard
    consent = texts(await olena.taps("Пропустити"))  # the keyboard's button sends its label
    assert "90" in consent
    received = texts(await olena.taps("Згоден"))
    assert "№ 1" in received

    card = await api.wait_delivered(STAFF_GROUP, "Мамі 82 роки")
    assert "№ 1" in card["text"]

    assert await stop(opora) == 0  # a restart between steps
    opora = await start_opora(tmp_path, url)
    await api.wait_for("getUpdates")

    intruder = TelegramChat(api, 666, "uk")
    assert "не є чатом працівників" in texts(await intruder.says("/take 1"))
    assert "Мамі" not in texts(intruder.seen)

    await staff.taps("Взяти № 1")
    await api.wait_delivered(olena.user_id, "взяв")
    card_message_id = await card_message(tmp_path)
    await staff.says("Завтра о 10:00 приходьте до відділення, візьміть паспорт.", reply_to=card_message_id)
    await api.wait_delivered(olena.user_id, "Завтра о 10:00")

    await olena.taps("Відповісти")
    await olena.says("Дякую, прийдемо!")
    follow_up = await api.wait_delivered(STAFF_GROUP, "Дякую, прийдемо!")
    assert follow_up["reply_parameters"]["message_id"] == card_message_id

    # The citizen's chat refuses deliveries for a while: first 429 with retry_after, then 502.
    api.fail_for(olena.user_id, 2, 429, retry_after=1)
    api.fail_for(olena.user_id, 2, 502)
    await staff.says("/close 1")
    assert await stop(opora) == 0  # and a restart while the notice waits
    opora = await start_opora(tmp_path, url)
    await api.wait_delivered(olena.user_id, "закрито", timeout=90)

    async def all_sent() -> list[OutboxMessage] | None:  # the last one is marked sent just after the Bot API answers
        rows = await outbox_rows(tmp_path)
        return rows if {row.status for row in rows} == {"sent"} else None

    outbox = await wait_until(all_sent, timeout=10)
    delivered = Counter((str(p["chat_id"]), p["text"]) for m, p in api.delivered if m == "sendMessage")
    for row in outbox:
        assert delivered[(row.chat_id, expected_text(row))] == 1, row.message
    assert await stop(opora) == 0
    await api.stop()


def expected_text(row: OutboxMessage) -> str:
    from bot.core.events import from_message
    from bot.telegram.render import html

    return html(from_message(row.message))


async def test_a_viber_citizen_is_answered_by_telegram_staff(tmp_path):
    telegram, viber = FakeBotAPI(), FakeViberAPI()
    telegram_url, viber_url = await telegram.start(), await viber.start()
    opora = await start_opora(tmp_path, telegram_url, OPORA_VIBER_TOKEN="viber-token", OPORA_VIBER_API_URL=viber_url)
    await telegram.wait_for("getUpdates")
    code = opora_cli(tmp_path, "staff", "invite", "kazanlak-social").strip().splitlines()[-1]
    staff = TelegramChat(telegram, 901, "bg", group=STAFF_GROUP)
    await staff.says(f"/join {code}")

    halyna = ViberUser(viber, f"{opora.url}/viber", "viber-token", "halyna==", "uk")
    await halyna.opens_the_chat()
    await halyna.says("хто приносить гарячий обід бабусі в Казанлику?")
    await halyna.taps("Запитати працівника")
    await halyna.taps("Продовжити")
    await halyna.says("Бабусі 85 років, живе сама на вул. Розова")
    assert any(b["ActionType"] == "share-phone" for b in halyna.keyboard())
    await halyna.shares_phone("+359888123456")
    assert "№ 1" in viber_texts(await halyna.taps("Згоден"))

    card = await telegram.wait_delivered(STAFF_GROUP, "Бабусі 85 років")
    assert "+359888123456" in card["text"]
    await staff.taps("Поеми № 1")
    await viber.wait_sent("halyna==", "взяв")
    await staff.says("Обадете се в общината утре.", reply_to=await card_message(tmp_path))
    answer = await viber.wait_sent("halyna==", "Обадете се в общината утре.")
    assert any("staff:add:1" in b["ActionBody"] for b in answer["keyboard"]["Buttons"])
    assert await stop(opora) == 0
    await telegram.stop()
    await viber.stop()
