"""Service cards and office details as text in the reader's language.

What the catalogue does not know is said plainly, never guessed."""

import datetime as dt

from bot.core.dialogs.common import Turn, nav
from bot.core.events import Button, Text, rows
from bot.core.i18n import Translator
from catalog.directory import Hours, Office, ServiceCard
from catalog.texts import pick
from catalog.vocabulary import WEEKDAYS


def hours_text(_: Translator, hours: list[Hours]) -> str:
    return "; ".join(f"{days_text(_, h.days)} {_.time(h.opens)}–{_.time(h.closes)}" for h in hours)


def days_text(_: Translator, days: list[str]) -> str:
    """Mon–Fri for a run of three or more days in a row, else Mon, Wed."""
    order = sorted(days, key=WEEKDAYS.index)
    positions = [WEEKDAYS.index(d) for d in order]
    if len(order) >= 3 and positions == list(range(positions[0], positions[-1] + 1)):
        return f"{_.weekday(order[0])}–{_.weekday(order[-1])}"
    return ", ".join(_.weekday(d) for d in order)


def today_text(_: Translator, office: Office, now: dt.datetime) -> str:
    if not office.hours:
        return _("Opening hours unknown")
    today = office.hours_on(now.date())
    state = _("open now") if office.open_at(now) else _("closed now")
    if not today:
        return _("Today: closed")
    return _("Today: %(hours)s, %(state)s", hours=", ".join(f"{_.time(h.opens)}–{_.time(h.closes)}" for h in today),
             state=state)


def office_lines(_: Translator, office: Office, now: dt.datetime | None = None) -> list[str]:
    lang = _.lang
    where = ", ".join(x for x in (pick(office.city, lang), pick(office.address, lang)) if x)
    lines = [f"🏢 {pick(office.name, lang) or ''}"]
    if office.distance_km is not None:
        distance = _.km(office.distance_km)
        lines.append("   📏 " + (_("about %(distance)s (to the town centre: the exact place is unknown)",
                                   distance=distance) if office.approximate else distance))
    lines.append("   📍 " + (where if pick(office.address, lang) else
                             _("%(town)s; street address unknown", town=where) if where else _("Address unknown")))
    lines.append("   ☎ " + (", ".join(office.phones) if office.phones else _("Phone unknown")))
    if now is not None:
        lines.append("   🕘 " + today_text(_, office, now))
    else:
        lines.append("   🕘 " + (hours_text(_, office.hours) if office.hours else _("Opening hours unknown")))
    if note := pick(office.hours_note, lang):
        lines.append(f"   ℹ {note}")
    return [line for line in lines if line.strip()]


def service_card(turn: Turn, card: ServiceCard, back: str | None = None) -> Text:
    _ = turn._
    lang = _.lang
    unknown = _("not stated in our sources")
    lines = [f"🏛 {pick(card.organization, lang)}"] if card.organization else []
    if card.status != "active":
        lines.append("⚠ " + _("This service is not active at the moment."))
    if alert := pick(card.alert, lang):
        lines.append(f"⚠ {alert}")
    lines.append(pick(card.description, lang) or "")
    lines.append("👥 " + _("Who can get it: %(text)s", text=pick(card.eligibility, lang) or unknown))
    lines.append("📝 " + _("How to apply: %(text)s", text=pick(card.application, lang) or unknown))
    documents = [d for d in (pick(doc, lang) for doc in card.documents) if d]
    lines.append("📄 " + _("Documents: %(text)s", text="; ".join(documents) if documents else unknown))
    costs = [c for c in (pick(cost, lang) for cost in card.costs) if c]
    lines.append("💶 " + _("Cost: %(text)s", text="; ".join(costs) if costs else unknown))
    if card.phones:
        lines.append("☎ " + ", ".join(card.phones))
    if card.url:
        lines.append(f"🔗 {card.url}")
    if card.offices:
        lines.append(_.plural("Office:", "Offices:", len(card.offices)))
        for office in card.offices:
            lines += office_lines(_, office)
    else:
        lines.append("🏢 " + _("Where to go: not stated in our sources"))
    lines.append("✔ " + (_("Last verified: %(date)s", date=_.date(card.assured_date)) if card.assured_date
                         else _("Last verified: unknown")))
    if _has_unknowns(card):
        lines.append(_("Some details are unknown to us. A member of staff can help you find them out."))
    buttons = rows((Button(_("🙋 Not what you need? Talk to staff"), f"staff:topic:{card.id}"),), nav(turn, back))
    return Text("\n".join(line for line in lines if line), buttons, title=pick(card.name, lang))


def _has_unknowns(card: ServiceCard) -> bool:
    return (not card.eligibility or not card.application or not card.offices
            or any(not o.phones or not o.address or not o.hours for o in card.offices))
