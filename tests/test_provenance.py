"""Where a fact comes from and how old it is, as a person sees it: on SQLite and PostgreSQL.

The seed catalogue is loaded with one change: the staff of Kazanlak's home patronage confirmed
its service and its office, as `opora staff verify` will let them. Nobody confirmed anything else.
"""

import datetime as dt
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select
from support.chat_helpers import MONDAY_MORNING, FakeChannel
from support.databases import POSTGRES_URL, empty_postgres
from support.opora import opora_command

from bot.answers import described
from bot.app import build_app, build_conversation, build_engine, ensure_catalog
from bot.core.dialogs.cards import office_lines
from bot.core.events import Text
from bot.core.i18n import Translator
from bot.settings import Settings
from catalog import SEED_DATA
from catalog.directory import Directory
from catalog.models import Service
from catalog.provenance import Fact

SATURDAY_MORNING = dt.datetime(2026, 11, 28, 8, 0, tzinfo=dt.UTC)
MONDAY_EVENING = dt.datetime(2026, 11, 23, 19, 0, tzinfo=dt.UTC)
NEXT_SPRING = dt.datetime(2027, 3, 1, 8, 0, tzinfo=dt.UTC)
UNCONFIRMED_WORDS = ("verified", "перевірено", "проверено", "потвърдено", "підтверджено")
CONFIRMATION = """\
    assured_date: 2026-11-20
    assured_by: {bg: Домашен социален патронаж – Казанлък, uk: Домашній соціальний патронаж – Казанлик}
"""


def confirmed_catalogue(path: Path) -> Path:
    """The seed catalogue, with the home patronage's service and office confirmed by its staff."""
    shutil.copytree(SEED_DATA, path)
    kazanlak = path / "bg-kazanlak.yaml"
    text = kazanlak.read_text(encoding="utf-8")
    for last_line in (
        "    # in лева is historical and left out.\n    source_date: 2026-01-28\n",
        "      - https://vestnikiskra.com/obshtinata/udaljavat-sroka-za-uslugata-topal-obyad/\n"
        "    source_date: 2018-04-30\n",
    ):
        assert text.count(last_line) == 1
        text = text.replace(last_line, last_line + CONFIRMATION)
    kazanlak.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
async def opora(request, tmp_path_factory):
    """Opora on the confirmed catalogue; `opora.clock` is what "now" is."""
    folder = tmp_path_factory.mktemp("provenance")
    if request.param == "postgresql":
        await empty_postgres()
    url = POSTGRES_URL if request.param == "postgresql" else f"sqlite+aiosqlite:///{folder}/opora.sqlite3"
    # one person reads every card in a row: faster than the limit of turns allows anyone
    app = await build_app(Settings(database_url=url, catalog_path=confirmed_catalogue(folder / "data"), limit_turns=""))
    await ensure_catalog(app)
    app.answers = await build_engine(app)
    app.clock = MONDAY_MORNING
    app.conversation = build_conversation(app, app.answers, now=lambda: app.clock)
    yield app
    await app.close()


def plain(text: str) -> str:
    """The text with Babel's narrow no-break spaces (11 жовтня 2022 р.) as plain ones."""
    return text.replace("\u202f", " ").replace("\xa0", " ")


def chat(opora, language: str, name: str = "person") -> FakeChannel:
    return FakeChannel(opora.conversation, user_id=f"{name}-{language}", language=language)


def office_block(said, name: str) -> str:
    """The lines of one office, from its 🏢 line to the next."""
    text = plain(said.text)
    start = text.index(f"🏢 {name}")
    end = text.find("\n🏢", start + 1)
    return text[start : end if end != -1 else len(text)]


async def test_the_kyiv_branchs_2022_hours_never_say_open_now(opora):
    for when in (MONDAY_MORNING, SATURDAY_MORNING, MONDAY_EVENING):
        opora.clock = when
        olena = chat(opora, "uk", f"kyiv-{when.isoformat()}")
        nearest = await olena.shares_location(50.41, 30.66)  # Darnytskyi district, Kyiv
        kyiv = next(plain(r.text) for r in nearest if isinstance(r, Text) and "в Києві" in r.text)
        assert (
            "Години роботи станом на 11 жовтня 2022 р.: пн–пт 09:00–17:00; сб 09:00–15:00. Вони могли змінитися."
        ) in kyiv
        assert "відчинено" not in kyiv and "зачинено" not in kyiv and "Сьогодні" not in kyiv
        card = await olena.presses("more:kramatorsk-legal-consultations")
        assert "Години роботи станом на 11 жовтня 2022 р." in office_block(card, "Відділення терцентру")
    opora.clock = MONDAY_MORNING
    petar = chat(opora, "bg", "kyiv")
    card = await petar.presses("more:kramatorsk-psychological-help")
    kyiv = office_block(card, "Клонът на терцентъра на Краматорск в Киев")
    assert "Работно време към 11 октомври 2022 г." in kyiv and "Може да се е променило." in kyiv
    assert "Според rubryka.com, 11 октомври 2022 г.; може вече да не е актуално" in kyiv
    office = await opora.conversation.services.directory.office("kramatorsk-tercentre-kyiv")
    assert office.open_at(MONDAY_MORNING) is None and office.next_opening(MONDAY_EVENING) is None


async def test_confirmed_hours_say_whether_the_office_is_open_now(opora):
    """The patronage's hours of 2020 give "open now" only because its staff confirmed them."""
    office = await opora.conversation.services.directory.office("kazanlak-home-patronage-office")
    shown = plain("\n".join(office_lines(Translator("bg"), office, MONDAY_MORNING)))
    assert "Днес: 8:30–16:30, сега е отворено" in shown
    assert "Потвърдено от Домашен социален патронаж – Казанлък на 20 ноември 2026 г." in shown
    assert office.open_at(MONDAY_EVENING) is False
    assert office.next_opening(MONDAY_EVENING).isoformat() == "2026-11-24T08:30:00+02:00"
    friday_night = dt.datetime(2026, 11, 27, 23, 0, tzinfo=dt.UTC)  # already Saturday, 01:00, in Kazanlak
    assert "Днес: затворено" in plain("\n".join(office_lines(Translator("bg"), office, friday_night)))


async def test_no_card_says_verified_for_a_fact_nobody_confirmed(opora):
    async with opora.sessions() as session:
        ids = (await session.scalars(select(Service.id).order_by(Service.id))).all()
    assert len(ids) > 40
    for language, according in (("bg", "📰 Според "), ("uk", "📰 За даними ")):
        person = chat(opora, language, "every-card")
        for service_id in ids:
            card = plain((await person.presses(f"svc:{service_id}")).text)
            if service_id == "kazanlak-home-patronage":
                continue
            assert according in card, (language, service_id)
            assert not any(word in card.lower() for word in UNCONFIRMED_WORDS), (language, service_id, card)


async def test_a_confirmed_fact_says_who_confirmed_it_and_when(opora):
    card = plain((await chat(opora, "uk", "confirmed").presses("more:kazanlak-home-patronage")).text)
    assert "✔ Підтверджено: Домашній соціальний патронаж – Казанлик, 20 листопада 2026 р." in card
    assert "📰 За даними Standart" not in card and "⏳" not in card
    office = card[card.index("🏢 Домашній соціальний патронаж – Казанлик") :]
    assert "+359 88 460 0281, +359 431 982 85" in office  # the phones of 2020, now confirmed
    assert "неактуально" not in office


async def test_facts_older_than_a_year_are_marked_as_possibly_out_of_date(opora):
    opora.clock = MONDAY_MORNING
    petar, olena = chat(opora, "bg", "old"), chat(opora, "uk", "old")
    card = plain((await petar.presses("more:pazardzhik-csri-visual")).text)
    assert "📰 Според trafficnews.bg, 1 декември 2015 г." in card
    assert "⏳ Информацията може вече да не е актуална." in card
    card = plain((await olena.presses("more:perushtitsa-patronage-meals")).text)
    assert "📰 За даними perushtitsa.bg; джерело не вказує дати" in card and "⏳" in card
    fresh = plain((await olena.presses("more:kramatorsk-home-care")).text)
    assert "📰 За даними freeradio.com.ua, 27 лютого 2026 р." in fresh and "⏳" not in fresh
    opora.clock = NEXT_SPRING  # a year after the source, the same card warns
    later = plain((await chat(opora, "uk", "spring").presses("more:kramatorsk-home-care")).text)
    assert "⏳ Ця інформація може бути вже неактуальною." in later
    opora.clock = MONDAY_MORNING


async def test_the_closed_shelter_and_the_ended_project_are_not_shown_as_operating(opora):
    petar = chat(opora, "bg", "closed")
    crisis = await petar.presses("cat:crisis")
    assert not any("Пазарджик" in label for label in crisis.labels())  # its only crisis service closed
    families = await petar.presses("town:children_families:pazardzhik")
    assert any("Комплекс за социални услуги" in label for label in families.labels())
    assert not any("социално включване" in label for label in families.labels())
    nearest = await petar.shares_location(42.1928, 24.3336)  # Pazardzhik
    assert "Величков" not in nearest.text and "Велико Търново" not in nearest.text
    assert "Любен Боянов" not in nearest.text

    shelter = plain((await petar.presses("svc:pazardzhik-temporary-shelter")).text)
    assert "⛔ Закрита: тази услуга вече не се предоставя." in shelter
    assert "📍" not in shelter and "Как се кандидатства" not in shelter
    shelter = plain((await petar.presses("more:pazardzhik-temporary-shelter")).text)
    assert "⛔ Закрита: тази услуга вече не се предоставя." in shelter
    assert "Решение № 112 от 31.05.2022" in shelter and "„Приют“" in shelter
    assert "📍" not in shelter and "Как се кандидатства" not in shelter
    project = plain((await petar.presses("svc:pazardzhik-inclusion-centre")).text)
    assert "⛔ Доколкото знаем, не работи" in project and "📍" not in project
    project = plain((await petar.presses("more:pazardzhik-inclusion-centre")).text)
    assert "⛔ Доколкото знаем, не работи" in project and "📍" not in project
    assert "до около средата на 2019 г." in project

    asked = await petar.says("спя на улицата в Пазарджик, има ли подслон")
    for card in (r for r in asked if isinstance(r, Text) and r.title):
        if card.title == "Дом за временно настаняване":
            assert "⛔ Закрита" in card.text and "📍" not in card.text
    groups = await opora.conversation.services.directory.eligible(
        {"homeless", "children_with_disabilities"}, None, "pazardzhik"
    )
    assert {item.id for item, _ in groups}.isdisjoint({"pazardzhik-temporary-shelter", "pazardzhik-inclusion-centre"})


async def test_the_kazanlak_home_patronage_is_found_with_its_phones(opora):
    answer = await described(opora.answers.ask("домашен социален патронаж казанлък"), Directory(opora.sessions))
    first = answer.results[0]
    assert first.service_id == "kazanlak-home-patronage"
    assert first.locations[0].phones == ["+359 88 460 0281", "+359 431 982 85"]


@pytest.mark.e2e
def test_opora_ask_json_gives_the_home_patronages_phone(tmp_path):
    env = {"OPORA_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/opora.sqlite3"}
    result = opora_command("ask", "--json", "домашен социален патронаж казанлък", env=env)
    assert result.returncode == 0, result.stderr
    first = json.loads(result.stdout)["results"][0]
    assert first["service_id"] == "kazanlak-home-patronage"
    assert "+359 88 460 0281" in first["locations"][0]["phones"]


def stale(*args: str) -> subprocess.CompletedProcess:
    return opora_command("catalog", "stale", *args, env={}, timeout=120)


def line_of(path: Path, needle: str, after: str = "") -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if after in line) if after else 0
    return next(i for i, line in enumerate(lines[start:], start + 1) if needle in line)


@pytest.mark.e2e
def test_catalog_stale_lists_every_old_fact_where_it_is_written():
    kramatorsk = SEED_DATA / "ua-kramatorsk.yaml"
    result = stale("--today", "2026-11-23")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    hours = line_of(kramatorsk, "- days: [MO, TU, WE, TH, FR]", after="id: kramatorsk-tercentre-kyiv")
    assert (
        f"{kramatorsk}:{hours}: Відділення терцентру Краматорська в Києві – центр «Наш Краматорськ»: "
        "hours MO–FR 09:00–17:00, 2022-10-11"
    ) in lines
    shelter = line_of(SEED_DATA / "bg-pazardzhik.yaml", "status: defunct")
    assert (
        f"{SEED_DATA / 'bg-pazardzhik.yaml'}:{shelter}: Дом за временно настаняване: status defunct, 2022-05-31"
        in lines
    )
    assert any(line.endswith(": description, undated") and "bg-perushtitsa.yaml" in line for line in lines)
    assert not any("Догляд удома: description" in line for line in lines)  # 27.02.2026 is recent
    assert all(line.split(":")[1].isdigit() for line in lines)

    ten_years = stale("--today", "2026-11-23", "--months", "120").stdout.splitlines()
    assert not any("hours MO–FR 09:00–17:00, 2022-10-11" in line for line in ten_years)
    assert any(line.endswith(", undated") for line in ten_years)  # unknown dates are never recent
    half_a_year = stale("--today", "2026-11-23", "--months", "6").stdout
    assert "Догляд удома: description, 2026-02-27" in half_a_year


@pytest.mark.parametrize(
    "given, today, stale_",
    [
        ("2025-11-24", "2026-11-23", False),
        ("2025-11-22", "2026-11-23", True),
        ("2025-12", "2026-11-23", False),
        ("2025", "2026-11-23", True),
        ("2026", "2026-11-23", False),
        (None, "2026-11-23", True),
    ],
)
def test_a_fact_may_be_out_of_date_once_it_may_be_a_year_old(given, today, stale_):
    assert Fact("example.org", given).stale(dt.date.fromisoformat(today)) is stale_


def test_only_a_confirmation_with_who_and_when_confirms():
    when = dt.date(2026, 11, 20)
    assert Fact("x", "2020", when, {"bg": "Офис"}).confirmed
    assert not Fact("x", "2020", when, {}).confirmed
    assert not Fact("x", "2020", None, {"bg": "Офис"}).confirmed
    assert not Fact("x", "2020", when, {"bg": "Офис"}).stale(dt.date(2026, 11, 23))
