"""Find a service: category → town → service → card."""

from bot.core.dialogs import handoff
from bot.core.dialogs.cards import service_card
from bot.core.dialogs.common import StaleButton, Turn, screen
from bot.core.events import Button, Reply
from catalog.texts import pick
from catalog.vocabulary import CATEGORY_LABELS, Category

ANY_TOWN = "*"


async def categories(turn: Turn, arg: str = "") -> list[Reply]:
    _ = turn._
    counts = await turn.services.directory.categories()
    buttons = [Button(f"{_(label)} ({counts[c]})", f"cat:{c}") for c, label in CATEGORY_LABELS.items() if counts.get(c)]
    if not buttons:
        return [screen(turn, _("The catalogue is empty at the moment."))]
    return [screen(turn, _("What kind of help are you looking for?"), buttons)]


async def towns(turn: Turn, category: str) -> list[Reply]:
    _ = turn._
    if category not in Category.__members__.values():
        raise StaleButton(category)
    places = await turn.services.directory.places(category)
    if not places:
        raise StaleButton(category)
    buttons = [Button(f"{pick(p.name, _.lang)} ({p.services})", f"town:{category}:{p.id}") for p in places]
    buttons.append(Button(_("All towns"), f"town:{category}:{ANY_TOWN}"))
    return [
        screen(
            turn,
            _("%(category)s. Where?", category=_(CATEGORY_LABELS[Category(category)])),
            buttons,
            back="browse",
            per_row=2,
        )
    ]


async def services(turn: Turn, arg: str) -> list[Reply]:
    _ = turn._
    category, _sep, place = arg.partition(":")
    if category not in Category.__members__.values() or not place:
        raise StaleButton(arg)
    items = await turn.services.directory.services(category, None if place == ANY_TOWN else place)
    if not items:
        raise StaleButton(arg)
    turn.state.data["back"] = f"town:{arg}"
    buttons = [Button(pick(s.name, _.lang) or s.id, f"svc:{s.id}") for s in items]
    text = _.plural(
        "%(n)d service. Choose one to see the details:", "%(n)d services. Choose one to see the details:", len(items)
    )
    return [screen(turn, text, buttons, back=f"cat:{category}")]


async def card(turn: Turn, service_id: str) -> list[Reply]:
    found = await turn.services.directory.card(service_id)
    if found is None:
        raise StaleButton(service_id)
    handoff.remember(turn, [service_id], [o.id for o in found.offices[:1]])
    return [service_card(turn, found, back=turn.state.data.get("back"))]
