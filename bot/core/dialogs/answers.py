"""Free text anywhere: the answer engine's best services, as cards."""

from bot.core.dialogs import handoff, menu
from bot.core.dialogs.cards import service_card
from bot.core.dialogs.common import Turn, screen
from bot.core.events import Button, Reply, Text
from bot.core.i18n import language

MAX_CARDS = 3
MAX_QUESTION = 2000  # longer texts are stories; their start says what is needed


async def answer(turn: Turn, question: str) -> list[Reply]:
    state = turn.state
    chosen = state.language if state.data.get("chosen_language") else None
    result = turn.services.answers.ask(question[:MAX_QUESTION], lang=chosen, top=MAX_CARDS)
    turn.services.metrics.answers.labels(result.intent).inc()
    if not chosen:
        state.language = language(result.language) or state.language
    _ = turn._
    if result.intent == "greeting":
        return await menu.welcome(turn)
    if result.intent == "handoff":
        return await handoff.start(turn)
    if result.intent == "fallback" or not result.results:
        return [screen(turn, _("Sorry, I could not find an answer to that. I know about social services. "
                               "Try other words, browse the services, or talk to a member of staff."),
                       [Button(_("🔎 Find a service"), "browse"), Button(_("👤 Talk to staff"), "staff")])]
    replies: list[Reply] = [Text(_.plural("I found %(n)d service:", "I found %(n)d services:", len(result.results)))]
    if not result.place_matched:
        replies.insert(0, Text(_("I found nothing in the place you named. These services are elsewhere.")))
    turn.state.data.pop("back", None)
    handoff.remember(turn, [r.service_id for r in result.results],
                     [r.locations[0].location_id for r in result.results if r.locations])
    for found in result.results:
        card = await turn.services.directory.card(found.service_id)
        if card is None:  # the catalogue was reloaded since the index was built
            continue
        ranked = [loc.location_id for loc in found.locations]
        card.offices.sort(key=lambda o: ranked.index(o.id) if o.id in ranked else len(ranked))
        replies.append(service_card(turn, card))
    return replies
