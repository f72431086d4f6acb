"""The labels of the web pages themselves, in the same gettext catalogues as the bot's words."""

from bot.core.i18n import Translator
from catalog.vocabulary import N_

CHAT = {
    "page_title": N_("Opora: social services"),
    "header": N_("Opora: social services in Bulgaria and Ukraine"),
    "placeholder": N_("Write your question…"),
    "send": N_("Send"),
    "share_location": N_("📍 Share my location"),
    "location_unavailable": N_("Your browser did not share the location. Choose a town instead."),
    "offline": N_("No connection. Trying again…"),
    "error": N_("Sorry, something went wrong on our side. Please try again in a minute."),
    "language": N_("Language"),
    "too_long": N_("The message is too long. Please write it shorter."),
}
STAFF = {
    "staff_title": N_("Opora: requests for staff"),
    "token_label": N_("Staff token (printed when Opora starts)"),
    "log_in": N_("Log in"),
    "wrong_token": N_("This token is wrong."),
    "no_requests": N_("No open requests."),
    "take": N_("🙋 Take"),
    "close": N_("✅ Close"),
    "reply": N_("Send to the citizen"),
    "note": N_("Save a note"),
    "reply_placeholder": N_("Your answer to the citizen…"),
    "note_placeholder": N_("A note for colleagues (the citizen does not see it)…"),
    "author_citizen": N_("Citizen"),
    "author_staff": N_("Staff"),
    "author_note": N_("Note"),
    "phone": N_("Phone (shared with consent)"),
    "location": N_("Location"),
    "unreachable": N_("The citizen has blocked the bot: they do not receive answers."),
    "status": N_("Status"),
    "received": N_("Received"),
    "topic": N_("Topic"),
    "language": N_("Language"),
    "refresh": N_("Refresh"),
    "log_out": N_("Log out"),
    "offices": N_("Your offices: please check what people read"),
    "correction_placeholder": N_("The correct phone, address or hours, e.g. пн–пт 8:00–17:00…"),
    "send_correction": N_("Check the correction"),
}
PAGES = {"chat": CHAT, "staff": STAFF}


def labels(page: str, _: Translator) -> dict[str, str]:
    return {key: _(text) for key, text in PAGES.get(page, CHAT).items()}
