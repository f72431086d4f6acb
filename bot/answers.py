"""The answer engine's answers as readable text in the asker's language."""

from bot.core.dialogs.answers import found_text, nothing_found_text
from bot.core.i18n import Translator
from catalog.directory import Directory
from catalog.directory import where as place
from catalog.search.engine import Answer
from catalog.texts import pick


async def described(answer: Answer, directory: Directory) -> Answer:
    """The answer with the names, addresses and phones of its services and offices, as the
    directory has them now (the engine keeps none)."""
    lang = answer.language
    for result in answer.results:
        card = await directory.card(result.service_id)
        if card is None:  # removed since the engine was built
            continue
        result.service, result.organization = pick(card.name, lang), pick(card.organization, lang)
        offices = {office.id: office for office in card.offices}
        for location in result.locations:
            if office := offices.get(location.location_id):
                location.name, location.city = pick(office.name, lang), pick(office.city, lang)
                location.address, location.phones = pick(office.address, lang), office.phones
    return answer


def render(answer: Answer) -> str:
    _ = Translator(answer.language)
    if answer.intent == "greeting":
        return _(
            "Hello! I am Opora. Ask me about social services: what they are, who can get them, where and when to go."
        )
    if answer.intent == "handoff":
        return _("I will pass your question to a social worker. They will answer you here.")
    if answer.intent == "fallback":
        return nothing_found_text(_)
    lines = [found_text(_, len(answer.results))]
    if not answer.place_matched:
        lines.insert(0, _("I found nothing in the place you named. These services are elsewhere."))
    for number, result in enumerate(answer.results, 1):
        lines.append(f"{number}. {result.service} — {result.organization or ''}".rstrip(" —"))
        for loc in result.locations:
            where = place(loc.city, loc.address) or _("address unknown")
            phones = ", ".join(loc.phones) or _("phone unknown")
            lines.append(f"   {loc.name}: {where}; {phones}")
    return "\n".join(lines)
