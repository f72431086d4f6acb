"""Each rule of `opora catalog validate`, one test each, on a small catalogue."""

import datetime as dt
from pathlib import Path

import pytest
from support.opora import opora_command

from catalog import SEED_DATA
from catalog.validation import read_catalog

PLACES = """\
places:
  - id: kazanlak
    country: BG
    kind: town
    name: {bg: Казанлък, uk: Казанлик}
    latitude: 42.6194
    longitude: 25.3930
    source: https://www.geonames.org/
    assured_date: 2026-01-01
"""

PROVIDER = """\
provider:
  id: kazanlak
  country: BG
  place: kazanlak
  name: {bg: Община Казанлък, uk: Громада Казанлик}
  source: seeds/000.txt
  source_date: 2026-01-28
organizations:
  - id: kazanlak-municipality
    name: {bg: Община Казанлък, uk: Громада Казанлик}
    source: seeds/000.txt
    source_date: 2026-01-28
locations:
  - id: kazanlak-office
    organization: kazanlak-municipality
    name: {bg: Офис, uk: Офіс}
    place: kazanlak
    phones:
      - number: 0431 98 000
    source: seeds/000.txt
    source_date: 2026-01-28
services:
  - id: kazanlak-home-patronage
    organization: kazanlak-municipality
    category: meals
    name: {bg: Домашен социален патронаж, uk: Домашній соціальний патронаж}
    description: {bg: Топъл обяд у дома., uk: Гарячий обід удома.}
    eligibility:
      target_groups: [older_people]
    locations: [kazanlak-office]
    source: seeds/000.txt
    source_date: 2026-01-28
"""


def write(tmp_path: Path, provider: str = PROVIDER, places: str = PLACES) -> Path:
    (tmp_path / "places.yaml").write_text(places, encoding="utf-8")
    (tmp_path / "bg-kazanlak.yaml").write_text(provider, encoding="utf-8")
    return tmp_path


def problems(tmp_path: Path, provider: str = PROVIDER, places: str = PLACES) -> list[str]:
    return [str(p) for p in read_catalog(write(tmp_path, provider, places))[1]]


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_a_valid_catalogue_has_no_problems(tmp_path):
    assert problems(tmp_path) == []


def test_the_seed_catalogue_is_valid():
    catalog, found = read_catalog(SEED_DATA)
    assert [str(p) for p in found] == []
    assert len(catalog.providers) == 5


def test_missing_translation(tmp_path):
    text = PROVIDER.replace("uk: Гарячий обід удома.", "en: Hot lunch.")
    path = tmp_path / "bg-kazanlak.yaml"
    assert problems(tmp_path, text) == [
        f"{path}:{line_of(text, 'Hot lunch')}: services[0].description: missing uk translation"
    ]


def test_unknown_target_group(tmp_path):
    text = PROVIDER.replace("[older_people]", "[older_people, aliens]")
    [problem] = problems(tmp_path, text)
    assert problem.startswith(f"{tmp_path / 'bg-kazanlak.yaml'}:{line_of(text, 'aliens')}: ")
    assert "unknown target group 'aliens'" in problem


def test_malformed_phone(tmp_path):
    text = PROVIDER.replace("0431 98 000", "12-ab")
    [problem] = problems(tmp_path, text)
    assert problem.startswith(f"{tmp_path / 'bg-kazanlak.yaml'}:{line_of(text, '12-ab')}: ")
    assert "malformed phone '12-ab'" in problem


def test_coordinates_out_of_range(tmp_path):
    places = PLACES.replace("42.6194", "142.6194")
    [problem] = problems(tmp_path, places=places)
    assert problem == (
        f"{tmp_path / 'places.yaml'}:{line_of(places, '142.6194')}: "
        "kazanlak: latitude 142.6194 is out of range (-90..90)"
    )


def test_duplicate_id(tmp_path):
    text = PROVIDER + PROVIDER[PROVIDER.index("  - id: kazanlak-home-patronage") :]
    [problem] = problems(tmp_path, text)
    second = [i for i, line in enumerate(text.splitlines(), 1) if "id: kazanlak-home-patronage" in line][1]
    assert problem.startswith(f"{tmp_path / 'bg-kazanlak.yaml'}:{second}: duplicate service id")


def test_dangling_reference(tmp_path):
    text = PROVIDER.replace("locations: [kazanlak-office]", "locations: [kazanlak-nowhere]")
    assert problems(tmp_path, text) == [
        f"{tmp_path / 'bg-kazanlak.yaml'}:{line_of(text, 'kazanlak-nowhere')}: "
        "service 'kazanlak-home-patronage' refers to unknown location 'kazanlak-nowhere'"
    ]


def test_yaml_syntax_error_points_at_its_line(tmp_path):
    text = PROVIDER.replace("    category: meals", "    category: [meals")
    [problem] = problems(tmp_path, text)
    assert "YAML syntax" in problem and problem.startswith(f"{tmp_path / 'bg-kazanlak.yaml'}:")


def test_missing_source_and_date(tmp_path):
    text = PROVIDER.replace("    source: seeds/000.txt\n    source_date: 2026-01-28\nservices:", "services:")
    found = problems(tmp_path, text)
    assert any("location 'kazanlak-office': source is required" in p for p in found)
    assert any("location 'kazanlak-office': source_date is required" in p for p in found)


def test_an_undated_source_says_so_with_null(tmp_path):
    text = PROVIDER.replace(
        "    source_date: 2026-01-28\nservices:", "    source_date: null  # undated page\nservices:"
    )
    assert problems(tmp_path, text) == []


def test_a_source_date_is_as_precise_as_the_source(tmp_path):
    for given in ("2022", "2022-10", "2022-10-11"):
        text = PROVIDER.replace("    source_date: 2026-01-28\nservices:", f"    source_date: {given}\nservices:")
        assert problems(tmp_path, text) == [], given
    text = PROVIDER.replace("    source_date: 2026-01-28\nservices:", "    source_date: 2022-13\nservices:")
    [problem] = problems(tmp_path, text)
    assert problem.startswith(f"{tmp_path / 'bg-kazanlak.yaml'}:{line_of(text, '2022-13')}: ")
    assert "month out of range" in problem


def test_a_confirmation_says_who_and_when(tmp_path):
    text = PROVIDER.replace(
        "    source_date: 2026-01-28\nservices:", "    source_date: 2026-01-28\n    assured_date: 2026-11-20\nservices:"
    )
    [problem] = problems(tmp_path, text)
    assert problem.startswith(f"{tmp_path / 'bg-kazanlak.yaml'}:{line_of(text, '2026-11-20')}: ")
    assert "assured_date needs assured_by" in problem
    text = text.replace(
        "    assured_date: 2026-11-20\n",
        "    assured_date: 2026-11-20\n    assured_by: {bg: Община Казанлък, uk: Община Казанлик}\n",
    )
    assert problems(tmp_path, text) == []


def test_a_phone_with_a_source_of_its_own_gives_its_date(tmp_path):
    text = PROVIDER.replace(
        "      - number: 0431 98 000\n", "      - number: 0431 98 000\n        source: https://example.org/x\n"
    )
    [problem] = problems(tmp_path, text)
    assert problem.startswith(f"{tmp_path / 'bg-kazanlak.yaml'}:{line_of(text, 'example.org')}: ")
    assert "needs its source_date" in problem


def test_unknown_key(tmp_path):
    text = PROVIDER.replace("    category: meals", "    category: meals\n    colour: red")
    assert problems(tmp_path, text) == [
        f"{tmp_path / 'bg-kazanlak.yaml'}:{line_of(text, 'colour')}: services[0].colour: unknown key 'colour'"
    ]


def test_schedule_must_open_before_it_closes(tmp_path):
    text = PROVIDER.replace(
        "      - number: 0431 98 000",
        "      - number: 0431 98 000\n    schedule:\n      - {days: [MO], opens: '17:00', closes: '09:00'}",
    )
    [problem] = problems(tmp_path, text)
    assert "opens 17:00 is not before closes 09:00" in problem


def test_age_range_must_be_ordered(tmp_path):
    text = PROVIDER.replace(
        "      target_groups: [older_people]",
        "      target_groups: [older_people]\n      min_age: 65\n      max_age: 18",
    )
    [problem] = problems(tmp_path, text)
    assert "min_age 65 > max_age 18" in problem


def test_dates_cannot_be_in_the_future(tmp_path):
    text = PROVIDER.replace("source_date: 2026-01-28\nservices:", "source_date: 2999-01-01\nservices:")
    [problem] = problems(tmp_path, text)
    assert "source_date 2999-01-01 is in the future" in problem
    text = PROVIDER.replace(
        "source_date: 2026-01-28\nservices:",
        "source_date: 2026-01-28\n    assured_date: 2999-01-01\n    assured_by: {bg: Офис, uk: Офіс}\nservices:",
    )
    [problem] = problems(tmp_path, text)
    assert "assured_date 2999-01-01 is in the future" in problem


def test_the_future_is_after_the_given_today(tmp_path):
    text = PROVIDER.replace("source_date: 2026-01-28\nservices:", "source_date: 2026-02\nservices:")
    write(tmp_path, text)
    assert read_catalog(tmp_path, today=dt.date(2026, 2, 1))[1] == []
    [problem] = read_catalog(tmp_path, today=dt.date(2026, 1, 31))[1]
    assert "source_date 2026-02 is in the future" in str(problem)


@pytest.mark.e2e
def test_validate_command_prints_file_line_and_exits_1(tmp_path):
    text = PROVIDER.replace("[older_people]", "[aliens]")
    write(tmp_path, text)
    result = opora_command("catalog", "validate", str(tmp_path), env={})
    assert result.returncode == 1
    assert f"{tmp_path / 'bg-kazanlak.yaml'}:{line_of(text, 'aliens')}: " in result.stderr
