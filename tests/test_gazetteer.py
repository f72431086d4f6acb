"""The gazetteer: every settlement, found in any case or alphabet, and made only from its sources."""

import gzip

import pytest

from catalog.gazetteer import DATA, Gazetteer
from catalog.gazetteer.build import build
from catalog.search.morphology import Morphology


@pytest.fixture(scope="module")
def gazetteer():
    return Gazetteer()


@pytest.fixture(scope="module")
def lemmas():
    morphology = Morphology()
    return lambda word: {morphology.lemma(word, lang) for lang in ("uk", "ru")}


def test_the_shipped_file_is_exactly_what_the_data_packages_give():
    assert gzip.decompress(build()) == gzip.decompress(DATA.read_bytes())


@pytest.mark.parametrize(
    "typed, name, country",
    [
        ("варна", "Варна", "BG"),
        ("Варні", "Варна", "BG"),
        ("varna", "Варна", "BG"),
        ("Бургасі", "Бургас", "BG"),
        ("Пловдиві", "Пловдив", "BG"),
        ("софии", "София", "BG"),
        ("Софії", "София", "BG"),
        ("Львові", "Львів", "UA"),
        ("львова", "Львів", "UA"),
        ("Харкові", "Харків", "UA"),
        ("харькове", "Харків", "UA"),
        ("kharkiv", "Харків", "UA"),
        ("Одесі", "Одеса", "UA"),
        ("одессе", "Одеса", "UA"),
        ("Києві", "Київ", "UA"),
        ("Слов'янську", "Слов’янськ", "UA"),
        ("Шипка", "Шипка", "BG"),
    ],
)
def test_a_town_is_found_in_any_case_and_alphabet(gazetteer, lemmas, typed, name, country):
    found = gazetteer.find(typed, lemmas)[0]
    assert (found.name, found.country) == (name, country)


def test_a_village_knows_its_hromada(gazetteer):
    bilenke = [s for s in gazetteer.named("Біленьке") if s.region == "Донецька"][0]
    assert bilenke.within == "Краматорська"


def test_places_of_two_words(gazetteer):
    assert gazetteer.find_phrase(["стара", "загора"])[0].name == "Стара Загора"
    assert gazetteer.find_phrase(["велика", "бурімка"])[0].name == "Велика Бурімка"


def test_every_ukrainian_settlement_is_there(gazetteer):
    assert sum(p.country == "UA" for p in gazetteer.places) > 29_000
    assert sum(p.country == "BG" for p in gazetteer.places) > 300
