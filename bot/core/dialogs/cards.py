"""Service cards and office details as text in the reader's language.

What the catalogue does not know is said plainly, never guessed. Every fact says where it comes
from: "According to <source>, <date>" when nobody confirmed it, "Confirmed by <office> on <date>"
only when a person did; facts older than a year (or of unknown date) are marked as possibly out
of date, and such hours never say whether an office is open now."""

import datetime as dt

from babel.dates import format_skeleton

from bot.core.dialogs.common import Turn, nav
from bot.core.events import Button, Text, rows
from bot.core.i18n import Translator
from bot.core.payloads import Handoff
from catalog.directory import Hours, Office, ServiceCard
from catalog.provenance import Fact, date_range, precision
from catalog.texts import pick
from catalog.vocabulary import N_, WEEKDAYS

NOT_OPERATING = {
    "defunct": N_("⛔ Closed: this service no longer operates."),
    "inactive": N_("⛔ Not operating, as far as we know: no source says it still goes on."),
    "temporarily closed": N_("⛔ Temporarily closed."),
}


def hours_text(_: Translator, hours: list[Hours]) -> str:
    return "; ".join(f"{days_text(_, h.days)} {_.time(h.opens)}–{_.time(h.closes)}" for h in hours)


def days_text(_: Translator, days: list[str]) -> str:
    """Mon–Fri for a run of three or more days in a row, else Mon, Wed."""
    order = sorted(days, key=WEEKDAYS.index)
    positions = [WEEKDAYS.index(d) for d in order]
    if len(order) >= 3 and positions == list(range(positions[0], positions[-1] + 1)):
        return f"{_.weekday(order[0])}–{_.weekday(order[-1])}"
    return ", ".join(_.weekday(d) for d in order)


def source_date_text(_: Translator, text: str) -> str:
    """A source's date as precisely as it is known: 11 October 2022, October 2022 or 2022."""
    first = date_range(text)[0]
    if precision(text) == "day":
        return _.date(first)
    return format_skeleton("yMMMM" if precision(text) == "month" else "y", first, locale=_.lang)


def _source(_: Translator, fact: Fact) -> str:
    return fact.source or _("imported data")


def provenance_text(_: Translator, fact: Fact) -> str:
    """Where the facts come from: confirmed by a person, or according to a source."""
    if fact.confirmed and fact.assured_date:
        return _(
            "Confirmed by %(who)s on %(date)s", who=pick(fact.assured_by, _.lang) or "", date=_.date(fact.assured_date)
        )
    if fact.source_date:
        return _(
            "According to %(source)s, %(date)s", source=_source(_, fact), date=source_date_text(_, fact.source_date)
        )
    if fact.assured_date:
        return _("According to %(source)s, %(date)s", source=_source(_, fact), date=_.date(fact.assured_date))
    return _("According to %(source)s; the source gives no date", source=_source(_, fact))


def fact_note(_: Translator, fact: Fact | None, today: dt.date | None, context: Fact | None = None) -> str:
    """ " (according to tvstz.com, 30 April 2018; may be out of date)" after a fact of an office:
    where it comes from when that is not the card's own source, and whether it may be out of
    date. Empty for a current fact from the card's source."""
    if fact is None:
        return ""
    parts = []
    if context is None or _provenance_key(fact) != _provenance_key(context):
        if fact.confirmed and fact.assured_date:
            parts.append(
                _(
                    "confirmed by %(who)s on %(date)s",
                    who=pick(fact.assured_by, _.lang) or "",
                    date=_.date(fact.assured_date),
                )
            )
        elif fact.source_date:
            parts.append(
                _(
                    "according to %(source)s, %(date)s",
                    source=_source(_, fact),
                    date=source_date_text(_, fact.source_date),
                )
            )
        else:
            parts.append(_("according to %(source)s, undated", source=_source(_, fact)))
    if today is not None and fact.stale(today):
        parts.append(_("may be out of date"))
    return f" ({'; '.join(parts)})" if parts else ""


def old_hours_text(_: Translator, office: Office) -> str:
    """Hours that may be out of date: with their date, never "open now"."""
    hours = hours_text(_, office.hours)
    fact = office.hours_fact
    if fact and fact.earliest_day:
        date = (
            _.date(fact.assured_date)
            if fact.confirmed and fact.assured_date
            else source_date_text(_, fact.source_date)
            if fact.source_date
            else _.date(fact.earliest_day)
        )
        return _("Hours as of %(date)s: %(hours)s. They may have changed.", date=date, hours=hours)
    return _("Hours from an undated source: %(hours)s. They may have changed.", hours=hours)


def today_text(_: Translator, office: Office, now: dt.datetime) -> str:
    if not office.hours:
        return _("Opening hours unknown")
    if not office.hours_current(now):
        return old_hours_text(_, office)
    today = office.hours_on(now.date())
    state = _("open now") if office.open_at(now) else _("closed now")
    if not today:
        return _("Today: closed")
    return _(
        "Today: %(hours)s, %(state)s",
        hours=", ".join(f"{_.time(h.opens)}–{_.time(h.closes)}" for h in today),
        state=state,
    )


def office_lines(
    _: Translator,
    office: Office,
    now: dt.datetime | None = None,
    *,
    today: dt.date | None = None,
    context: Fact | None = None,
) -> list[str]:
    """An office: where, phones and hours, with where they come from unless that is `context`
    (the card's own source), and marked when they may be out of date: once for the office when
    they share their provenance, else after each. With `now`, today's hours and whether it is
    open (only when the hours are current); otherwise the week's hours."""
    lang = _.lang
    today = now.date() if now is not None else today
    where = ", ".join(x for x in (pick(office.city, lang), pick(office.address, lang)) if x)
    has_address = bool(pick(office.address, lang))
    phone_facts = [
        office.phone_facts[i] if i < len(office.phone_facts) else office.address_fact for i in range(len(office.phones))
    ]
    shown = (
        ([office.address_fact] if has_address else [])
        + phone_facts
        + ([office.hours_fact] if office.hours and office.hours_fact else [])
    )
    shared = len({_provenance_key(f) for f in shown}) == 1 and len(shown) > 1

    def note(fact: Fact | None) -> str:
        return "" if shared else fact_note(_, fact, today, context)

    lines = [f"🏢 {pick(office.name, lang) or ''}"]
    if office.distance_km is not None:
        distance = _.km(office.distance_km)
        lines.append(
            "   📏 "
            + (
                _("about %(distance)s (to the town centre: the exact place is unknown)", distance=distance)
                if office.approximate
                else distance
            )
        )
    if has_address:
        lines.append("   📍 " + where + note(office.address_fact))
    else:
        lines.append("   📍 " + (_("%(town)s; street address unknown", town=where) if where else _("Address unknown")))
    if office.phones:  # numbers of one line and one provenance together: "+359 …, +359 … – whose line (source)"
        groups: dict[tuple[str, str], list[str]] = {}
        for i, (number, fact) in enumerate(zip(office.phones, phone_facts)):
            whose = pick(office.phone_descriptions[i], lang) if i < len(office.phone_descriptions) else None
            groups.setdefault((f" – {whose}" if whose else "", note(fact)), []).append(number)
        lines.append(
            "   ☎ " + "; ".join(", ".join(numbers) + whose + text for (whose, text), numbers in groups.items())
        )
    else:
        lines.append("   ☎ " + _("Phone unknown"))
    if not office.hours:
        lines.append("   🕘 " + _("Opening hours unknown"))
    elif now is not None:
        lines.append("   🕘 " + today_text(_, office, now))
    elif office.hours_fact is not None and today is not None and office.hours_fact.stale(today):
        lines.append("   🕘 " + old_hours_text(_, office))
    else:
        lines.append("   🕘 " + hours_text(_, office.hours) + note(office.hours_fact))
    if note_text := pick(office.hours_note, lang):
        lines.append(f"   ℹ {note_text}")
    if shared and shown[0] is not None and (text := fact_note(_, shown[0], today, context).strip(" ()")):
        lines.append(("   ✔ " if shown[0].confirmed else "   📰 ") + text[:1].upper() + text[1:])
    return [line for line in lines if line.strip()]


def _provenance_key(fact: Fact | None) -> tuple[object, ...]:
    """Facts of one provenance: confirmed by the same people on the same day, or else from the
    same source of the same date."""
    if fact is None:
        return ()
    if fact.confirmed:
        return "confirmed", fact.assured_date, tuple(sorted(fact.assured_by.items()))
    return fact.source, fact.source_date, fact.assured_date


def service_card(turn: Turn, card: ServiceCard, back: str | None = None) -> Text:
    _ = turn._
    lang = _.lang
    today = turn.services.now().date()
    unknown = _("not stated in our sources")
    lines = [f"🏛 {pick(card.organization, lang)}"] if card.organization else []
    if not card.operating:
        lines.append(
            _(NOT_OPERATING[card.status])
            if card.status in NOT_OPERATING
            else "⚠ " + _("This service is not active at the moment.")
        )
    if alert := pick(card.alert, lang):
        lines.append(f"⚠ {alert}")
    lines.append(pick(card.description, lang) or "")
    if not card.operating:  # what it was, and where it came from; nothing to apply for, nowhere to go
        lines.append(
            "🏢 "
            + _("Where to go: this service does not operate. A member of staff can tell you what there is instead.")
        )
        lines.append("📰 " + provenance_text(_, card.fact))
        buttons = rows(
            (Button(_("🙋 Not what you need? Talk to staff"), Handoff("topic", card.id).pack()),), nav(turn, back)
        )
        return Text("\n".join(line for line in lines if line), buttons, title=pick(card.name, lang))
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
            lines += office_lines(_, office, today=today, context=card.fact)
    else:
        lines.append("🏢 " + _("Where to go: not stated in our sources"))
    lines += _provenance_lines(_, card.fact, today)
    if _has_unknowns(card):
        lines.append(_("Some details are unknown to us. A member of staff can help you find them out."))
    buttons = rows(
        (Button(_("🙋 Not what you need? Talk to staff"), Handoff("topic", card.id).pack()),), nav(turn, back)
    )
    return Text("\n".join(line for line in lines if line), buttons, title=pick(card.name, lang))


def _provenance_lines(_: Translator, fact: Fact, today: dt.date) -> list[str]:
    lines = [("✔ " if fact.confirmed else "📰 ") + provenance_text(_, fact)]
    if fact.stale(today):
        lines.append("⏳ " + _("This may be out of date. Check with the office or ask a member of staff."))
    return lines


def _has_unknowns(card: ServiceCard) -> bool:
    return (
        not card.eligibility
        or not card.application
        or not card.offices
        or any(not o.phones or not o.address or not o.hours for o in card.offices)
    )
