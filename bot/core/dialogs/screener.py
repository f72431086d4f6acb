"""Am I eligible? Who it is for, the age, the situation, the town → the services they may get, and why."""

import re

from bot.core.dialogs.common import StaleButton, Turn, screen
from bot.core.events import Button, Reply
from bot.core.flows import Flow, ScreenerDraft
from bot.core.payloads import ANY, Card, Handoff, Screener
from catalog.texts import pick
from catalog.vocabulary import N_, TARGET_GROUP_LABELS
from catalog.vocabulary import TargetGroup as G

AGES = {"0-17": N_("Under 18"), "18-64": N_("18–64"), "65-79": N_("65–79"), "80-120": N_("80 or older")}
OLD_AGE, ADULT_AGE = 65, 18
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
ANYWHERE = ANY
MAX_SHOWN = 8


def _draft(turn: Turn) -> ScreenerDraft:
    return turn.state.data.setdefault("screener", ScreenerDraft())


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
    return [
        screen(
            turn,
            _("I will ask three short questions. Who is the help for?"),
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
    turn.state.flow = Flow.SCREENER_AGE
    _ = turn._
    question = _("How old are you?") if value == "me" else _("How old is your relative?")
    buttons = [Button(_(label), Screener("age", ages).pack()) for ages, label in AGES.items()]
    return [
        screen(
            turn,
            question + " " + _("Choose, or write the age as a number."),
            buttons,
            back=Screener().pack(),
            per_row=2,
        )
    ]


async def age(turn: Turn, value: str) -> list[Reply]:
    match = re.fullmatch(r"(\d{1,3})(?:-(\d{1,3}))?", value.strip())
    if not match or int(match[1]) > 120:
        raise StaleButton(value)
    _draft(turn)["ages"] = [int(match[1]), int(match[2] or match[1])]
    _draft(turn)["situations"] = []
    turn.state.flow = None
    return situations(turn)


async def typed_age(turn: Turn, text: str) -> list[Reply] | None:
    """An age written as a number ("82", "82 роки") while the screener asks for it; None for any other text."""
    match = re.search(r"\b(\d{1,3})\b", text)
    return await age(turn, match[1]) if match and int(match[1]) <= 120 else None


def situations(turn: Turn) -> list[Reply]:
    _ = turn._
    chosen = _draft(turn).get("situations", [])
    buttons = [
        Button(("✅ " if key in chosen else "▫ ") + _(label), Screener("s", key).pack())
        for key, (label, _groups) in SITUATIONS.items()
    ]
    buttons.append(Button(_("Done ➡"), Screener("done").pack()))
    return [
        screen(
            turn,
            _("What applies? Tap all that fit, then Done."),
            buttons,
            back=Screener("who", _draft(turn)["who"]).pack(),
            per_row=2,
        )
    ]


async def toggle(turn: Turn, key: str) -> list[Reply]:
    if key not in SITUATIONS or "ages" not in _draft(turn):
        raise StaleButton(key)
    chosen = _draft(turn).setdefault("situations", [])
    chosen.remove(key) if key in chosen else chosen.append(key)
    return situations(turn)


async def where(turn: Turn, value: str = "") -> list[Reply]:
    if "ages" not in _draft(turn):
        raise StaleButton(value)
    _ = turn._
    places = await turn.services.directory.places()
    buttons = [Button(pick(p.name, _.lang) or p.id, Screener("at", p.id).pack()) for p in places]
    buttons.append(Button(_("Anywhere"), Screener("at", ANYWHERE).pack()))
    return [screen(turn, _("Where do you live now?"), buttons, back=Screener("done").pack(), per_row=2)]


def groups_for(ages: list[int], situations: list[str]) -> set[str]:
    groups = {str(g) for key in situations for g in SITUATIONS[key][1]}
    if ages[1] >= OLD_AGE:
        groups.add(str(G.OLDER_PEOPLE))
    if ages[0] < ADULT_AGE and "disability" in situations:
        groups.add(str(G.CHILDREN_WITH_DISABILITIES))
    if ages[0] < ADULT_AGE and "income" in situations:
        groups.add(str(G.CHILDREN_AT_RISK))
    return groups


async def results(turn: Turn, place: str) -> list[Reply]:
    draft = _draft(turn)
    if "ages" not in draft:
        raise StaleButton(place)
    _ = turn._
    ages = draft["ages"]
    found = await turn.services.directory.eligible(
        groups_for(ages, draft.get("situations", [])), (ages[0], ages[1]), None if place == ANYWHERE else place
    )
    if not found:
        return [
            screen(
                turn,
                _("I found no service for this situation in the catalogue. A member of staff can advise you."),
                [Button(_("👤 Talk to staff"), Handoff().pack())],
                back=Screener("done").pack(),
            )
        ]
    lines = [_.plural("You may qualify for %(n)d service:", "You may qualify for %(n)d services:", len(found))]
    for item, matched in found[:MAX_SHOWN]:
        why = ", ".join(_(TARGET_GROUP_LABELS[G(g)]).lower() for g in matched)
        lines.append(f"• {pick(item.name, _.lang)} — " + _("for: %(groups)s", groups=why))
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
