"""Am I eligible? Who it is for, the age, the situation, the town → the services they may get, and why."""

import dataclasses
import re

from bot.core.dialogs.common import StaleButton, Turn, screen
from bot.core.events import Button, Reply, Text
from bot.core.flows import Flow, ScreenerDraft
from bot.core.payloads import ANY, Card, Handoff, Screener
from catalog.directory import ServiceItem
from catalog.search import lexicon
from catalog.search.normalize import words
from catalog.texts import pick
from catalog.vocabulary import N_, TARGET_GROUP_LABELS
from catalog.vocabulary import TargetGroup as G

# The questions the screener asks, in order: the count it announces and "Question 2 of 4" come from here.
QUESTIONS = ("who", "age", "s", "done")
AGES = {"0-17": N_("Under 18"), "18-64": N_("18–64"), "65-79": N_("65–79"), "80-120": N_("80 or older")}
OLD_AGE, ADULT_AGE, MAX_AGE = 65, 18, 120
# Services for children that do not say up to which age are for children and young people: up to
# 29, the age to which Bulgarian law (Закон за младежта) and Ukrainian social services count youth.
YOUNG_AGE = 29
# Situation chips and the catalogue's target groups each one stands for.
SITUATIONS: dict[str, tuple[str, tuple[G, ...]]] = {
    "disability": (N_("Disability"), (G.PEOPLE_WITH_DISABILITIES, G.VISUAL_IMPAIRMENT, G.LIMITED_MOBILITY)),
    "care": (N_("Needs daily care, bedridden"), (G.LIMITED_MOBILITY, G.SERIOUSLY_ILL)),
    "dementia": (N_("Dementia or mental illness"), (G.PEOPLE_WITH_DEMENTIA, G.MENTAL_HEALTH)),
    "alone": (N_("Lives alone"), (G.LIVING_ALONE,)),
    "displaced": (N_("Displaced or refugee"), (G.IDP, G.TEMPORARY_PROTECTION)),
    "veteran": (N_("Veteran or veteran's family"), (G.VETERANS,)),
    "income": (N_("Low income"), (G.LOW_INCOME, G.FAMILIES_IN_DIFFICULTY)),
    "carer": (N_("Cares for a relative"), (G.CARERS,)),
    "violence": (N_("Violence at home"), (G.VIOLENCE_SURVIVORS,)),
    "homeless": (N_("No home"), (G.HOMELESS,)),
}
# Groups that narrow a service to people in that situation. The catalogue lists a service's groups
# without saying "and" or "or": a home for "older people" and "people with dementia" is for older
# people WITH dementia, while home care for "older people", "people with disabilities" and "people
# living alone" is for any of them. So a service whose groups, older people aside, are all of
# these is offered only when one of them was ticked; needs such as living alone, limited mobility
# or a disability are alternatives to old age and do not narrow.
NARROWING = frozenset(
    str(g)
    for g in (
        G.PEOPLE_WITH_DEMENTIA,
        G.MENTAL_HEALTH,
        G.VISUAL_IMPAIRMENT,
        G.SERIOUSLY_ILL,
        G.HOMELESS,
        G.VIOLENCE_SURVIVORS,
        G.VETERANS,
        G.IDP,
        G.TEMPORARY_PROTECTION,
        G.CARERS,
        G.CHILDREN_WITH_DISABILITIES,
        G.CHILDREN_AT_RISK,
        G.YOUNG_PEOPLE_LEAVING_CARE,
    )
)
CHILDREN = frozenset(str(g) for g in (G.CHILDREN_WITH_DISABILITIES, G.CHILDREN_AT_RISK, G.YOUNG_PEOPLE_LEAVING_CARE))
BY_AGE = frozenset({str(G.OLDER_PEOPLE), *CHILDREN})  # groups the age decides (with the situation, for children)
ANYWHERE = ANY
MAX_SHOWN = 8


def _draft(turn: Turn) -> ScreenerDraft:
    return turn.state.data.setdefault("screener", ScreenerDraft())


def _for_relative(turn: Turn) -> bool:
    return _draft(turn).get("who") == "relative"


def _question(turn: Turn, step: str) -> str:
    """ "Question 2 of 4", the first line of each question: where the person is in the screener."""
    return turn._("Question %(n)d of %(total)d", n=QUESTIONS.index(step) + 1, total=len(QUESTIONS))


async def screener(turn: Turn, pressed: Screener | None = None) -> list[Reply]:
    step, value = (pressed.step, pressed.value) if pressed else ("", "")
    steps = {"": start, "who": who, "age": age, "s": toggle, "done": where, "at": results}
    if step not in ("", "who") and "who" not in _draft(turn):
        return await start(turn)  # an old screener's button: begin again rather than guess
    return await steps[step](turn, value)


async def start(turn: Turn, value: str = "") -> list[Reply]:
    _ = turn._
    turn.state.data["screener"] = ScreenerDraft()
    turn.state.flow = None
    count = _.plural("I will ask %(n)d short question.", "I will ask %(n)d short questions.", len(QUESTIONS))
    return [
        screen(
            turn,
            _question(turn, "who") + "\n" + count + " " + _("Who is the help for?"),
            [
                Button(_("For me"), Screener("who", "me").pack()),
                Button(_("For a relative"), Screener("who", "relative").pack()),
            ],
            per_row=2,
        )
    ]


async def who(turn: Turn, value: str) -> list[Reply]:
    if value not in ("me", "relative"):
        raise StaleButton(value)
    _draft(turn)["who"] = value
    _ = turn._
    question = _("How old are you?") if value == "me" else _("How old is your relative?")
    return [ask_age(turn, question + " " + _("Choose, or write the age as a number."))]


def ask_age(turn: Turn, text: str) -> Text:
    _ = turn._
    turn.state.flow = Flow.SCREENER_AGE
    buttons = [Button(_(label), Screener("age", ages).pack()) for ages, label in AGES.items()]
    buttons.append(Button(_("I do not know ➡"), Screener("age", ANY).pack()))
    return screen(turn, _question(turn, "age") + "\n" + text, buttons, back=Screener().pack(), per_row=2)


async def age(turn: Turn, value: str) -> list[Reply]:
    match = re.fullmatch(r"(\d{1,3})(?:-(\d{1,3}))?", value.strip())
    if value == ANY:
        ages = []  # not known: no age condition, either way
    elif match and int(match[1]) <= MAX_AGE:
        ages = [int(match[1]), int(match[2] or match[1])]
    else:
        raise StaleButton(value)
    _draft(turn)["ages"] = ages
    _draft(turn)["situations"] = []
    turn.state.flow = None
    return [situations(turn)]


def age_in(text: str, year: int) -> int | None:
    """The age a person wrote, in digits or words: "82", "мені 45 років", "сорок п'ять",
    "четиридесет и пет", "на 70 години", or a year of birth ("1944 року народження"). A number
    followed by "years" wins over another number in the same message."""
    said = words(text)
    found = lexicon.numbers_in(said)
    for number, after in found:
        if number <= MAX_AGE and after < len(said) and lexicon.matches(said[after], lexicon.AGE_WORDS):
            return number
    for number, _after in found:
        if number <= MAX_AGE:
            return number
        if 1900 <= number <= year:
            return year - number
    return None


async def typed_age(turn: Turn, text: str) -> list[Reply]:
    """What the person writes while the screener asks for the age: the age, in digits or words,
    or the question again (with a way to go on without it). Never a search: "не знаю" is no question."""
    years = age_in(text, turn.services.now().year)
    if years is None:
        _ = turn._
        return [
            ask_age(
                turn,
                _(
                    "Sorry, I did not understand the age. Write it as a number, for example 45, or choose below. "
                    "If you do not know it, tap “I do not know”."
                ),
            )
        ]
    turn.state.data["age"] = years  # the search uses it for later questions too
    return await age(turn, str(years))


def situations(turn: Turn, replaces: bool = False) -> Text:
    """The situation chips, each showing whether it is ticked; `replaces`: in place of the list pressed."""
    _ = turn._
    chosen = _draft(turn).get("situations", [])
    buttons = [
        Button(("✅ " if key in chosen else "▫ ") + _(label), Screener("s", key).pack(), pressed=key in chosen)
        for key, (label, _groups) in SITUATIONS.items()
    ]
    buttons.append(Button(_("Done ➡"), Screener("done").pack()))
    question = (
        _("What applies to your relative? Tap all that fit, then Done.")
        if _for_relative(turn)
        else _("What applies to you? Tap all that fit, then Done.")
    )
    shown = screen(
        turn,
        _question(turn, "s") + "\n" + question,
        buttons,
        back=Screener("who", _draft(turn)["who"]).pack(),
        per_row=2,
    )
    return dataclasses.replace(shown, replaces=replaces)


async def toggle(turn: Turn, key: str) -> list[Reply]:
    if "ages" not in _draft(turn):
        raise StaleButton(key)
    if key == "":
        return [situations(turn)]  # back to the list from the question after it
    if key not in SITUATIONS:
        raise StaleButton(key)
    chosen = _draft(turn).setdefault("situations", [])
    chosen.remove(key) if key in chosen else chosen.append(key)
    return [situations(turn, replaces=True)]


async def where(turn: Turn, value: str = "") -> list[Reply]:
    if "ages" not in _draft(turn):
        raise StaleButton(value)
    _ = turn._
    places = await turn.services.directory.places()
    buttons = [Button(pick(p.name, _.lang) or p.id, Screener("at", p.id).pack()) for p in places]
    buttons.append(Button(_("Anywhere"), Screener("at", ANYWHERE).pack()))
    question = _("Where does your relative live?") if _for_relative(turn) else _("Where do you live now?")
    return [screen(turn, _question(turn, "done") + "\n" + question, buttons, back=Screener("s").pack(), per_row=2)]


def groups_for(ages: list[int], situations: list[str]) -> set[str]:
    groups = {str(g) for key in situations for g in SITUATIONS[key][1]}
    if ages and ages[1] >= OLD_AGE:
        groups.add(str(G.OLDER_PEOPLE))
    if ages and ages[0] < ADULT_AGE and "disability" in situations:
        groups.add(str(G.CHILDREN_WITH_DISABILITIES))
    if ages and ages[0] < ADULT_AGE and "income" in situations:
        groups.add(str(G.CHILDREN_AT_RISK))
    return groups


def meant_for(item: ServiceItem, matched: list[str], ages: list[int]) -> bool:
    """Whether a service the groups found is meant for this person (see NARROWING and YOUNG_AGE)."""
    groups = set(item.target_groups)
    narrowing = groups - {str(G.OLDER_PEOPLE)}
    if narrowing and narrowing <= NARROWING and not narrowing & set(matched):
        return False  # a dementia home for an older person without dementia
    if ages and groups & CHILDREN and str(G.OLDER_PEOPLE) not in groups and item.max_age is None:
        return ages[0] <= YOUNG_AGE  # a children's centre for a 70-year-old
    return True


def why(turn: Turn, item: ServiceItem, matched: list[str], place: str | None) -> str:
    """Each condition the person meets: the age (against the service's ages), each situation
    ticked that the service is for, and the place."""
    _, draft = turn._, _draft(turn)
    ages = draft.get("ages", [])
    reasons = []
    if ages:
        said = str(ages[0]) if ages[0] == ages[1] else f"{ages[0]}–{ages[1]}"
        if item.min_age is not None and item.max_age is not None:
            rule = f"{item.min_age}–{item.max_age}"
        elif item.min_age is not None:
            rule = _("from %(n)d", n=item.min_age)
        elif item.max_age is not None:
            rule = _("up to %(n)d", n=item.max_age)
        else:
            rule = ", ".join(_(TARGET_GROUP_LABELS[G(g)]).lower() for g in matched if g in BY_AGE)
        if rule:
            reasons.append(_("age %(age)s (%(rule)s)", age=said, rule=rule))
    for key in draft.get("situations", []):
        label, groups = SITUATIONS[key]
        if any(str(g) in matched for g in groups):
            reasons.append(_(label).lower())
    if place:
        reasons.append(_("place: %(place)s", place=place))
    return "✓ " + " · ".join(reasons)


async def results(turn: Turn, place: str) -> list[Reply]:
    draft = _draft(turn)
    if "ages" not in draft:
        raise StaleButton(place)
    _ = turn._
    ages = draft["ages"]
    chosen = draft.get("situations", [])
    found = [
        (item, matched)
        for item, matched in await turn.services.directory.eligible(
            groups_for(ages, chosen), (ages[0], ages[1]) if ages else None, None if place == ANYWHERE else place
        )
        if meant_for(item, matched, ages)
    ]
    if not found:
        return [
            screen(
                turn,
                _("I found no service for this situation in the catalogue. A member of staff can advise you."),
                [Button(_("👤 Talk to staff"), Handoff().pack())],
                back=Screener("done").pack(),
            )
        ]
    town = None
    if place != ANYWHERE:
        town = next((pick(p.name, _.lang) for p in await turn.services.directory.places() if p.id == place), place)
    lines = [
        _.plural(
            "Your relative may qualify for %(n)d service:", "Your relative may qualify for %(n)d services:", len(found)
        )
        if _for_relative(turn)
        else _.plural("You may qualify for %(n)d service:", "You may qualify for %(n)d services:", len(found))
    ]
    for item, matched in found[:MAX_SHOWN]:
        lines.append(f"• {pick(item.name, _.lang)}\n   {why(turn, item, matched, town)}")
    if len(found) > MAX_SHOWN:
        lines.append(
            _.plural(
                "…and %(n)d more. Narrow it down by choosing a town.",
                "…and %(n)d more. Narrow it down by choosing a town.",
                len(found) - MAX_SHOWN,
            )
        )
    lines.append(_("This is a guide, not a decision: the office decides who gets a service."))
    buttons = [Button(pick(item.name, _.lang) or item.id, Card(item.id).pack()) for item, _m in found[:MAX_SHOWN]]
    turn.state.data["back"] = Screener("at", place).pack()
    return [screen(turn, "\n".join(lines), buttons, back=Screener("done").pack())]
