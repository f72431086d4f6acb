"""Talk to staff.

Forwarding a request to a staff queue comes with help requests; until then the person gets the
contacts the catalogue knows for the service, and is told plainly what is not known."""

from bot.core.dialogs.cards import office_lines
from bot.core.dialogs.common import StaleButton, Turn, screen
from bot.core.events import Button, Reply


async def start(turn: Turn, service_id: str = "") -> list[Reply]:
    _ = turn._
    text = _("I cannot pass messages to social workers in this chat yet. You can contact the offices directly.")
    if not service_id:
        return [screen(turn, text + "\n" + _("Find your service to see its offices and phone numbers."),
                       [Button(_("🔎 Find a service"), "browse"), Button(_("📍 Near me"), "near")])]
    card = await turn.services.directory.card(service_id)
    if card is None:
        raise StaleButton(service_id)
    lines = [text]
    for office in card.offices:
        lines += office_lines(_, office)
    if card.phones:
        lines.append("☎ " + ", ".join(card.phones))
    if not card.offices and not card.phones:
        lines.append(_("The catalogue has no contacts for this service yet."))
    return [screen(turn, "\n".join(lines), back=f"svc:{service_id}")]
