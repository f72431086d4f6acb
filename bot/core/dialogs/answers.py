"""Free text anywhere: what the answer engine understood, said honestly.

Services as cards; the place the answer is for, remembered from earlier when the question names
none; "I do not cover that town" or "that topic" when so; a clarifying question for a vague
need; a short reply to small talk; and, once, "which town?" when the answer depends on it."""

from bot.core.dialogs import browse, handoff, menu
from bot.core.dialogs.cards import several
from bot.core.dialogs.common import StaleButton, Turn, screen
from bot.core.events import Button, Reply, Text, rows
from bot.core.flows import Flow, StateData
from bot.core.i18n import Translator
from bot.core.payloads import ANY, Browse, Handoff, Menu, Where
from catalog.search.engine import Answer, AnswerEngine
from catalog.search.normalize import MAX_QUESTION
from catalog.texts import pick

MAX_CARDS = 3
MAX_PENDING = 500  # a question kept while the person says where they are
ELSEWHERE = ANY  # "another town"


def found_text(_: Translator, n: int) -> str:
    """How many services an answer found (also said by `opora ask`, bot/answers.py)."""
    return _.plural("I found %(n)d service:", "I found %(n)d services:", n)


def nothing_found_text(_: Translator) -> str:
    return _(
        "Sorry, I could not find an answer to that. I know about social services. "
        "Try other words, browse the services, or talk to a member of staff."
    )


def remember(data: StateData, result: Answer) -> None:
    """Where the person is (a covered place, or another town) and the age of the person in need,
    from what they just said, kept in the conversation's data until /forget."""
    if result.age is not None:
        data["age"] = result.age  # "мамі 82 роки": later questions about her count it
    if result.remembered:
        return
    if result.elsewhere:
        data["place"] = result.elsewhere.key
    elif result.places:
        current = [p for p in result.places if p not in result.origins] or result.places
        data["place"] = current[0]
    if result.origins:
        data["origin"] = result.origins[0]


# Answers to a need: a place said next ("Самоков") answers the same need there.
NEEDS = {"search", "not_covered", "fallback"}


def understand(engine: AnswerEngine, text: str, data: StateData, lang: str | None) -> Answer:
    """A message in its conversation: the place said before, and the need asked before when the
    message only says where. `data` (the conversation's) keeps both, until /forget."""
    result = engine.ask(text[:MAX_QUESTION], lang=lang, top=MAX_CARDS, city=data.get("place"), age=data.get("age"))
    remember(data, result)
    if result.intent == "place" and (need := data.get("pending")):  # kept: the next town said answers it too
        result = engine.ask(need, lang=lang, top=MAX_CARDS, city=data.get("place"), age=data.get("age"), moved=True)
    elif result.intent in NEEDS:
        data["pending"] = text[:MAX_PENDING]
    return result


async def answer(turn: Turn, question: str) -> list[Reply]:
    state, _ = turn.state, turn._
    result = understand(turn.services.answers, question, state.data, state.language)
    turn.services.metrics.answers.labels(result.intent).inc()
    if result.intent == "greeting":
        return await menu.welcome(turn)
    if result.intent == "handoff":
        return await handoff.start(turn)
    if result.intent == "smalltalk":
        return [_small_talk(turn, result.topic)]
    if result.intent == "place":
        return await _place(turn, result)
    if result.intent == "not_covered":
        return await _not_covered(turn, result)
    if result.intent == "out_of_scope":
        return [_out_of_scope(turn, result.topic)]
    if result.intent == "clarify":
        return await _clarify(turn)
    if result.intent == "fallback" or not result.results:
        return [_not_found(turn, result)]
    if result.needs_place and not result.remembered and not state.data.get("asked_where"):
        return await _ask_where(turn, question)
    return await _cards(turn, result)


async def _cards(turn: Turn, result: Answer, header: list[str] | None = None) -> list[Reply]:
    """The services found, in one message: short cards together, each with its "More" button,
    and one way to a member of staff (bot/core/dialogs/cards.py, `several`)."""
    _ = turn._
    where = _place_name(turn, result.places[0]) if result.places and not result.origins else None
    lines = list(header or [])  # what these services are, when the caller says it
    if lines:
        pass
    elif not result.place_matched and where:
        lines.append(_("I found nothing exactly like that in %(place)s. The closest service there:", place=where))
    elif not result.sure:
        lines.append(_("I am not sure I understood. The closest service I found:"))
    elif len(result.results) > 1:  # one card is titled with its name, and its 📍 says where
        found = found_text(_, len(result.results))
        lines.append(_("In %(place)s: %(found)s", place=where, found=found) if where else found)
    turn.state.data.pop("back", None)
    handoff.remember(
        turn,
        [r.service_id for r in result.results],
        [r.locations[0].location_id for r in result.results if r.locations],
    )
    cards = []
    for each in result.results:
        card = await turn.services.directory.card(each.service_id)
        if card is None:  # the catalogue was reloaded since the index was built
            continue
        ranked = [loc.location_id for loc in each.locations]
        card.offices.sort(key=lambda o: ranked.index(o.id) if o.id in ranked else len(ranked))
        cards.append(card)
    if not cards:
        return [_not_found(turn, result)]
    footer = [] if result.sure else [_("If this is not it, a member of staff can help.")]
    return [several(turn, cards, lines, footer)]


def _ways_on(turn: Turn) -> list[Button]:
    """Where an answer without a service leads: browsing, or a person."""
    _ = turn._
    return [Button(_("🔎 Find a service"), Browse().pack()), Button(_("👤 Talk to staff"), Handoff().pack())]


def _place_name(turn: Turn, place_id: str) -> str:
    return pick(turn.services.answers.place_names(place_id), turn._.lang) or place_id


def _small_talk(turn: Turn, topic: str | None) -> Text:
    _ = turn._
    text = {
        "thanks": _("You are welcome! Write if you need anything else."),
        "presence": _("Yes, I am here. Write your question, or choose below."),
        "emoji": _("🙂 Write your question in words, or choose below."),
    }.get(topic or "", _("👍 Write your question whenever you are ready."))
    return Text(text, rows((Button(_("☰ Menu"), Menu().pack()),)))


async def _place(turn: Turn, result: Answer) -> list[Reply]:
    """The person said where they are and nothing more."""
    if result.elsewhere:
        return await _not_covered(turn, result)
    _ = turn._
    where = _place_name(turn, turn.state.data.get("place") or result.places[0])
    return [
        screen(
            turn,
            _(
                "Noted: %(place)s. What do you need help with? Write it in your own words, or choose below.",
                place=where,
            ),
            _ways_on(turn),
        )
    ]


async def _not_covered(turn: Turn, result: Answer) -> list[Reply]:
    _ = turn._
    elsewhere = result.elsewhere
    if elsewhere is None:  # not covered is said of a place
        return [_not_found(turn, result)]
    town = pick(elsewhere.names, _.lang) or ""
    lines = [_("I have no services in %(town)s yet: Opora does not cover that place.", town=town)]
    nearest = _place_name(turn, elsewhere.nearest) if elsewhere.nearest else None
    if nearest and elsewhere.nearest_km is not None:
        lines.append(
            _(
                "The nearest place I cover is %(place)s, about %(distance)s away.",
                place=nearest,
                distance=_.km(elsewhere.nearest_km),
            )
        )
    buttons = [Button(_("👤 Talk to staff"), Handoff().pack()), Button(_("🔎 Find a service"), Browse().pack())]
    if not result.results:
        return [screen(turn, "\n".join(lines), buttons)]
    intro = (
        _(
            "Services for people displaced from %(place)s, wherever they are now:",
            place=_place_name(turn, result.origins[0]),
        )
        if result.origins
        else _("What there is in %(place)s, in case it helps:", place=nearest)
    )
    return await _cards(turn, result, [*lines, intro])


def _out_of_scope(turn: Turn, topic: str | None) -> Text:
    _ = turn._
    what = {
        "military": _("military service, mobilisation or deferrals"),
        "pension": _("how pensions are granted or calculated"),
        "asylum": _("asylum, temporary protection or residence papers"),
        "medical": _("medical treatment"),
        "tax": _("taxes"),
        "abroad": _("work or travel abroad"),
        "money": _("loans and banks"),
    }.get(topic or "")
    text = (
        _(
            "Opora does not cover %(topic)s. I know about social services: care at home, meals, day "
            "centres, help for families, people with disabilities and displaced people.",
            topic=what,
        )
        if what
        else _(
            "That is outside what I know. I know about social services: care at home, meals, day "
            "centres, help for families, people with disabilities and displaced people."
        )
    )
    return screen(turn, text, _ways_on(turn))


async def _clarify(turn: Turn) -> list[Reply]:
    _ = turn._
    kinds = [
        b
        for reply in await browse.categories(turn)
        if isinstance(reply, Text)
        for row in reply.buttons
        for b in row
        if b.payload != Menu().pack()
    ]
    return [
        screen(
            turn,
            _(
                "I will gladly help. Tell me a little more: who needs help, and with what? For example: "
                "“my mother is 80 and can no longer cook”. Or choose the kind of help:"
            ),
            [*kinds, Button(_("👤 Talk to staff"), Handoff().pack())],
        )
    ]


def _not_found(turn: Turn, result: Answer) -> Text:
    _ = turn._
    if result.places and not result.origins:
        text = _(
            "I found nothing like that in %(place)s. Try other words, browse what there is, or talk "
            "to a member of staff.",
            place=_place_name(turn, result.places[0]),
        )
    else:
        text = nothing_found_text(_)
    return screen(turn, text, _ways_on(turn))


# --- which town? ---------------------------------------------------------------------------


async def _ask_where(turn: Turn, question: str) -> list[Reply]:
    """Once per conversation: the answer depends on the town, and none is known."""
    _ = turn._
    turn.state.data["asked_where"] = True
    turn.state.flow = Flow.WHERE
    places = await turn.services.directory.places()
    buttons = [Button(pick(p.name, _.lang) or p.id, Where(p.id).pack()) for p in places[:8]]
    buttons.append(Button(_("Another town"), Where(ELSEWHERE).pack()))
    return [screen(turn, _("Where do you need it? The answer depends on the town."), buttons, per_row=2)]


async def where(turn: Turn, pressed: Where) -> list[Reply]:
    """A town button of "which town?"."""
    _ = turn._
    arg = pressed.place
    if arg == ELSEWHERE:
        turn.state.flow = Flow.WHERE
        return [screen(turn, _("Write the name of your town or village."))]
    if await turn.services.directory.place(arg) is None:
        raise StaleButton(pressed)
    turn.state.data["place"] = arg
    turn.state.flow = None
    if pending := turn.state.data.pop("pending", None):
        return await answer(turn, pending)
    return await _place(turn, Answer("", _.lang, "place", places=[arg]))


async def typed_place(turn: Turn, text: str) -> list[Reply] | None:
    """A typed answer to "which town?": a town answers the kept question; anything else is a new one."""
    turn.state.flow = None
    result = turn.services.answers.ask(text[:MAX_QUESTION], lang=turn.state.language)
    if result.intent != "place":
        return None
    return await answer(turn, text)
