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
    "name_label": N_("Your name"),
    "password_label": N_("Password"),
    "log_in": N_("Log in"),
    "wrong_login": N_("The name or the password is wrong."),
    "wait_login": N_("Too many attempts. Please try again in 15 minutes."),
    "admin": N_("Accounts"),
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
# The one-time link's page, where a staff member sets a password.
PASSWORD = {
    "staff_title": N_("Opora: requests for staff"),
    "password_title": N_("Set your password"),
    "new_password": N_("New password (at least 10 characters)"),
    "repeat_password": N_("The same password again"),
    "save_password": N_("Save and log in"),
    "short": N_("The password is too short: at least 10 characters, e.g. a few words."),
    "repeat": N_("The two passwords differ. Please type them again."),
    "link": N_("This link has been used or has expired. Ask your administrator for a new one."),
}
# The admin's page: the staff accounts.
ADMIN = {
    "admin_title": N_("Staff accounts"),
    "back": N_("← Requests"),
    "add_account": N_("Add an account"),
    "name": N_("Name"),
    "role": N_("Role"),
    "role_agent": N_("Staff member"),
    "role_editor": N_("Editor"),
    "role_admin": N_("Administrator"),
    "account_language": N_("Language of the staff view"),
    "queues": N_("Queues"),
    "add": N_("Add"),
    "state_active": N_("Active"),
    "state_invited": N_("Invited, no password yet"),
    "state_link expired": N_("The link has expired"),
    "state_disabled": N_("Disabled"),
    "disable": N_("Disable"),
    "enable": N_("Enable"),
    "invite": N_("New link"),
    "change_queues": N_("Change the queues"),
    "save_queues": N_("Save the queues"),
    "link_for": N_("Give this link to %(name)s. It works once, within 72 hours:"),
    "copy": N_("Copy"),
}
PAGES = {"chat": CHAT, "staff": STAFF, "password": PASSWORD, "admin": ADMIN}


def labels(page: str, _: Translator) -> dict[str, str]:
    return {key: _(text) for key, text in PAGES.get(page, CHAT).items()}
