"""How old a request is, as the staff workplace says it: whole days, else working hours, else
minutes, with the plural forms of Bulgarian and Ukrainian."""

import datetime as dt

import pytest

from bot.core.i18n import Translator
from bot.helpdesk.models import HelpRequest
from bot.web.workplace import age


@pytest.mark.parametrize(
    ("lang", "days", "said"),
    [
        ("uk", 1, "1 день"),
        ("uk", 3, "3 дні"),
        ("uk", 5, "5 днів"),
        ("uk", 21, "21 день"),
        ("bg", 1, "1 ден"),
        ("bg", 2, "2 дни"),
    ],
)
def test_ages_have_the_right_plural_forms(lang, days, said):
    now = dt.datetime(2026, 11, 25, 12, tzinfo=dt.UTC)
    request = HelpRequest(created_at=now - dt.timedelta(days=days, minutes=1))
    assert age(Translator(lang), request, dt.timedelta(hours=40), now) == said


def test_ages_under_a_day_count_working_hours_then_minutes():
    now = dt.datetime(2026, 11, 25, 12, tzinfo=dt.UTC)
    request = HelpRequest(created_at=now - dt.timedelta(hours=5))
    assert age(Translator("uk"), request, dt.timedelta(hours=2, minutes=59), now) == "2 робочі години"
    assert age(Translator("bg"), request, dt.timedelta(hours=1), now) == "1 работен час"
    assert age(Translator("bg"), request, dt.timedelta(0), now) == "5 часа"  # came outside working hours
    recent = HelpRequest(created_at=now - dt.timedelta(minutes=11))
    assert age(Translator("uk"), recent, dt.timedelta(minutes=11), now) == "11 хвилин"
