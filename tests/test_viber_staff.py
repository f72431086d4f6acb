"""A social worker on Viber: Viber bots cannot join groups, so she binds her own chat with the bot
with a code and works there, with the same cards and buttons as a Telegram staff group. End to
end: the real `opora run`, a fake Viber API and a fake Bot API."""

import pytest
from support.fake_telegram import FakeBotAPI, TelegramChat, texts
from support.fake_viber import FakeViberAPI, ViberUser
from support.fake_viber import texts as viber_texts
from support.opora import opora_cli, start_opora, stop

pytestmark = [pytest.mark.e2e, pytest.mark.filterwarnings("ignore::ResourceWarning")]
TOKEN = "viber-token"
DNIPRO_GROUP = -100888


async def test_a_viber_social_worker_takes_a_telegram_citizens_request_answers_transfers_and_reopens_it(tmp_path):
    telegram, viber = FakeBotAPI(), FakeViberAPI()
    telegram_url, viber_url = await telegram.start(), await viber.start()
    opora = await start_opora(tmp_path, telegram_url, OPORA_VIBER_TOKEN=TOKEN, OPORA_VIBER_API_URL=viber_url)
    await telegram.wait_for("getUpdates")

    # Maria, in Kazanlak, works on Viber in Bulgarian; the Dnipro branch works in a Telegram group.
    maria = ViberUser(viber, f"{opora.url}/viber", TOKEN, "maria==", "bg", name="Мария Иванова")
    await maria.opens_the_chat()
    code = opora_cli(tmp_path, "staff", "invite", "kazanlak-social").strip().splitlines()[-1]
    joined = viber_texts(await maria.says(f"/join {code}"))
    assert "Този чат вече получава запитванията към: Социални услуги – Община Казанлък." in joined
    assert "/reply N" in joined
    dnipro = TelegramChat(telegram, 902, "uk", group=DNIPRO_GROUP, name="Ірина Бондар")
    await dnipro.says("/join " + opora_cli(tmp_path, "staff", "invite", "kramatorsk-dnipro").strip().splitlines()[-1])

    # Olena, a Ukrainian in Kazanlak, asks on Telegram.
    olena = TelegramChat(telegram, 511, "uk")
    await olena.says("/start")
    await olena.taps("Запитати працівника")
    await olena.says("Мамі 82 роки, вона живе сама в Казанлику і вже не може готувати")
    await olena.taps("Продовжити")
    await olena.taps("Пропустити")
    assert "№ 1" in texts(await olena.taps("Згоден"))

    card = await viber.wait_sent("maria==", "Мамі 82 роки")
    assert card["text"].startswith("*🆕 Запитване № 1*")
    assert "Език: украински" in card["text"] and "Населено място: Казанлък" in card["text"]
    assert [b["Text"] for b in card["keyboard"]["Buttons"]] == [
        "✉ Отговори на № 1",
        "🙋 Поеми № 1",
        "↪ Прехвърли № 1",
        "✅ Затвори № 1",
    ]

    took = viber_texts(await maria.taps("Поеми № 1"))
    assert "Запитване № 1 е поето от Мария Иванова." in took
    assert "Поеми" not in str(maria.keyboard()) and "Освободи № 1" in str(maria.keyboard())
    await telegram.wait_delivered(olena.user_id, "взяв ваш запит № 1 у роботу")

    asked = viber_texts(await maria.taps("Отговори на № 1"))
    assert "Напишете отговора си на запитване № 1" in asked
    sent = viber_texts(await maria.says("Ще ви се обадим утре сутринта, за да уговорим обяда."))
    assert "Изпратено на гражданина (запитване № 1)." in sent
    answer = await telegram.wait_delivered(olena.user_id, "Ще ви се обадим утре сутринта")
    assert "№ 1" in answer["text"]

    await olena.taps("Відповісти")
    await olena.says("Дякую! Вона вдома після 9-ї.")
    again = await viber.wait_sent("maria==", "Вона вдома після 9-ї.")
    assert "Запитване № 1: ново съобщение от гражданина" in again["text"]
    assert "Поеми" not in str(again["keyboard"])  # taken: no Take again

    sent = viber_texts(await maria.says("/reply 1 Добре, ще дойдем в 10 часа."))
    assert "Изпратено на гражданина (запитване № 1)." in sent
    await telegram.wait_delivered(olena.user_id, "ще дойдем в 10 часа")
    await maria.says("/note 1 Обядът от понеделник")
    assert "♻ Отвори отново № 1" in [b["Text"] for b in (await maria.taps("Затвори № 1"))[-1]["keyboard"]["Buttons"]]
    await telegram.wait_delivered(olena.user_id, "закрито")
    assert "отворено отново от Мария Иванова" in viber_texts(await maria.taps("Отвори отново № 1"))
    await telegram.wait_delivered(olena.user_id, "знову відкрито")

    await maria.taps("Прехвърли № 1")
    moved = viber_texts(await maria.taps("Клонът на терцентъра на Краматорск в Днипро"))
    assert "Мария Иванова прехвърли запитване № 1 към: Клонът на терцентъра на Краматорск в Днипро." in moved
    transferred = await telegram.wait_delivered(DNIPRO_GROUP, "Мамі 82 роки")
    assert "Запит № 1" in transferred["text"] and "Мова: українська" in transferred["text"]
    await telegram.wait_delivered(olena.user_id, "передано до: Відділення терцентру Краматорська в Дніпрі")
    assert "Това запитване е към друго звено." in viber_texts(await maria.says("/take 1"))

    history = texts(await dnipro.says("/history 1"))
    for done in ("взято в роботу (Мария Иванова)", "є відповідь (Мария Иванова)", "закрито (Мария Иванова)"):
        assert done in history
    assert "передано (Мария Иванова)" in history and "заявник написав знову" in history
    report = opora_cli(tmp_path, "staff", "report", "kazanlak-social")  # her work counts where she did it
    assert "staff_taken,Мария Иванова,1" in report and "staff_answered,Мария Иванова,1" in report
    assert "staff_closed,Мария Иванова,0" in report  # she reopened what she closed: no close counts
    assert "staff_first_response_minutes_median,Мария Иванова," in report
    assert "Мария Иванова" not in opora_cli(tmp_path, "staff", "report", "kramatorsk-dnipro")

    assert await stop(opora) == 0
    await telegram.stop()
    await viber.stop()
