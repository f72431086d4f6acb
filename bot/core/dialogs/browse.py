"""Find a service: category → town → service → card → more."""

from bot.core.dialogs import handoff
from bot.core.dialogs.cards import more_card, service_card
from bot.core.dialogs.common import StaleButton, Turn, screen
from bot.core.events import Button, Reply
from bot.core.payloads import ANY, Browse, Card, InTown, More, Towns
from catalog.texts import pick
from catalog.vocabulary import CATEGORY_LABELS, Category


async def categories(turn: Turn, pressed: Browse | None = None) -> list[Reply]:
    _ = turn._
    counts = await turn.services.directory.categories()
    buttons = [
        Button(f"{_(label)} ({counts[c]})", Towns(c).pack()) for c, label in CATEGORY_LABELS.items() if counts.get(c)
    ]
    if not buttons:
        return [screen(turn, _("The catalogue is empty at the moment."))]
    return [screen(turn, _("What kind of help are you looking for?"), buttons)]


async def towns(turn: Turn, pressed: Towns) -> list[Reply]:
    _ = turn._
    category = pressed.category
    if category not in Category.__members__.values():
        raise StaleButton(pressed)
    places = await turn.services.directory.places(category)
    if not places:
        raise StaleButton(pressed)
    buttons = [Button(f"{pick(p.name, _.lang)} ({p.services})", InTown(category, p.id).pack()) for p in places]
    buttons.append(Button(_("All towns"), InTown(category, ANY).pack()))
    return [
        screen(
            turn,
            _("%(category)s. Where?", category=_(CATEGORY_LABELS[Category(category)])),
            buttons,
            back=Browse().pack(),
            per_row=2,
        )
    ]


async def services(turn: Turn, pressed: InTown) -> list[Reply]:
    _ = turn._
    category, place = pressed.category, pressed.place
    if category not in Category.__members__.values() or not place:
        raise StaleButton(pressed)
    items = await turn.services.directory.services(category, None if place == ANY else place)
    if not items:
        raise StaleButton(pressed)
    turn.state.data["back"] = pressed.pack()
    buttons = [Button(pick(s.name, _.lang) or s.id, Card(s.id).pack()) for s in items]
    text = _.plural(
        "%(n)d service. Choose one to see the details:", "%(n)d services. Choose one to see the details:", len(items)
    )
    return [screen(turn, text, buttons, back=Towns(category).pack())]


async def card(turn: Turn, pressed: Card) -> list[Reply]:
    found = await turn.services.directory.card(pressed.service)
    if found is None:
        raise StaleButton(pressed)
    handoff.remember(turn, [pressed.service], [o.id for o in found.offices[:1]])
    return [service_card(turn, found, back=turn.state.data.get("back"))]


async def more(turn: Turn, pressed: More) -> list[Reply]:
    """The rest of a card. The offices the person was just shown come first."""
    found = await turn.services.directory.card(pressed.service)
    if found is None:
        raise StaleButton(pressed)
    recent = turn.state.data.get("recent")
    shown = list(recent.get("offices", [])) if isinstance(recent, dict) else []
    found.offices.sort(key=lambda o: shown.index(o.id) if o.id in shown else len(shown))
    return [more_card(turn, found, back=turn.state.data.get("back"))]
