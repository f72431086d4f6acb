"""Service cards and office details as text in the reader's language.

A card is short (`short_lines`, about 500 characters): what the service is, where, the phone,
today's hours, who it is for, what is not known (once), and where the facts come from. The rest
is behind "More" (`more_card`). An answer with several services is one message (`several`).

What the catalogue does not know is said plainly, never guessed. Every fact says where it comes
from: "According to <source>, <date>" when nobody confirmed it, "Confirmed by <office> on <date>"
only when a person did; facts older than a year (or of unknown date) are marked as possibly out
of date, and such hours never say whether an office is open now."""

import datetime as dt
import re

from babel.dates import format_skeleton

from bot.core.dialogs.common import Turn, nav
from bot.core.events import Button, Text, rows
from bot.core.i18n import Translator
from bot.core.payloads import Handoff, More
from catalog.directory import Hours, Office, ServiceCard, where
from catalog.provenance import Fact, date_range, precision
from catalog.texts import pick
from catalog.vocabulary import N_, TARGET_GROUP_LABELS, WEEKDAYS, TargetGroup

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


def hours_date(_: Translator, office: Office) -> str | None:
    """The date the office's hours are known from, as precisely as it is known; None when undated."""
    fact = office.hours_fact
    if not fact or not fact.earliest_day:
        return None
    if fact.confirmed and fact.assured_date:
        return _.date(fact.assured_date)
    return source_date_text(_, fact.source_date) if fact.source_date else _.date(fact.earliest_day)


def old_hours_text(_: Translator, office: Office) -> str:
    """Hours that may be out of date: with their date, never "open now"."""
    hours = hours_text(_, office.hours)
    if date := hours_date(_, office):
        return _("Hours as of %(date)s: %(hours)s. They may have changed.", date=date, hours=hours)
    return _("Hours from an undated source: %(hours)s. They may have changed.", hours=hours)


def today_text(_: Translator, office: Office, now: dt.datetime) -> str:
    if not office.hours:
        return _("Opening hours unknown")
    if not office.hours_current(now):
        return old_hours_text(_, office)
    today = office.hours_today(now)
    state = _("open now") if office.open_at(now) else _("closed now")
    if not today:
        return _("Today: closed")
    return _(
        "Today: %(hours)s, %(state)s",
        hours=", ".join(f"{_.time(h.opens)}–{_.time(h.closes)}" for h in today),
        state=state,
    )


def distance_text(_: Translator, office: Office) -> str:
    """How far an office is; to its town's centre when its own place is unknown, which says so.
    Never "about 0 km"."""
    km = office.distance_km or 0.0
    if office.approximate:
        if km < 1:
            return _("less than %(distance)s (to the town centre: the exact place is unknown)", distance=_.km(1))
        return _("about %(distance)s (to the town centre: the exact place is unknown)", distance=_.km(km))
    return _("less than %(distance)s", distance=_.km(0.1)) if km < 0.1 else _.km(km)


def unknown_parts(_: Translator, office: Office | None, *, has_address: bool, phones: bool = False) -> str:
    """What is not known of an office, in one phrase ("phone, opening hours"); empty when all is.
    `phones`: the service has phones of its own, so a phone is known."""
    parts = [
        part
        for part, known in (
            (N_("street address"), has_address),
            (N_("phone"), phones or bool(office and office.phones)),
            (N_("opening hours"), bool(office and office.hours)),
        )
        if not known
    ]
    return ", ".join(_(part) for part in parts)


def office_lines(
    _: Translator,
    office: Office,
    now: dt.datetime | None = None,
    *,
    today: dt.date | None = None,
    context: Fact | None = None,
    mark: str = "🏢",
) -> list[str]:
    """An office: where, phones and hours, with where they come from unless that is `context`
    (the card's own source), and marked when they may be out of date: once for the office when
    they share their provenance, else after each. With `now`, today's hours and whether it is
    open (only when the hours are current); otherwise the week's hours. What is not known is
    said once, on one line. `mark` starts the office's name."""
    lang = _.lang
    today = now.date() if now is not None else today
    place = where(pick(office.city, lang), pick(office.address, lang))
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

    lines = [f"{mark} {pick(office.name, lang) or ''}"]
    if office.distance_km is not None:
        lines.append("   📏 " + distance_text(_, office))
    if has_address:
        lines.append("   📍 " + place + note(office.address_fact))
    elif place:
        lines.append("   📍 " + place)
    if office.phones:  # numbers of one line and one provenance together: "+359 …, +359 … – whose line (source)"
        groups: dict[tuple[str, str], list[str]] = {}
        for i, (number, fact) in enumerate(zip(office.phones, phone_facts)):
            whose = pick(office.phone_descriptions[i], lang) if i < len(office.phone_descriptions) else None
            groups.setdefault((f" – {whose}" if whose else "", note(fact)), []).append(number)
        lines.append(
            "   ☎ " + "; ".join(", ".join(numbers) + whose + text for (whose, text), numbers in groups.items())
        )
    if office.hours and now is not None:
        lines.append("   🕘 " + today_text(_, office, now))
    elif office.hours and office.hours_fact is not None and today is not None and office.hours_fact.stale(today):
        lines.append("   🕘 " + old_hours_text(_, office))
    elif office.hours:
        lines.append("   🕘 " + hours_text(_, office.hours) + note(office.hours_fact))
    if note_text := pick(office.hours_note, lang):
        lines.append(f"   ℹ {note_text}")
    if unknown := unknown_parts(_, office, has_address=has_address):
        lines.append("   ❔ " + _("Not known: %(what)s", what=unknown))
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


# --- the short card, and the rest behind "More" --------------------------------------------

SHORT_LINE = 150  # characters: what a service is, in one line on its short card
FOR_WHOM = 100  # characters: who it is for, else the target groups
KEYCAPS = ("1️⃣", "2️⃣", "3️⃣", "4️⃣", "5️⃣", "6️⃣", "7️⃣", "8️⃣", "9️⃣")
# Words before a full stop that does not end a sentence: "вул. Архітектора", "ул. „Искра“".
ABBREVIATIONS = frozenset(
    "вул ул бул бульв пл просп пр ст тел напр бл вх ет ап кв др гр обл им проф кл пк млн млрд тис хил".split()  # noqa: SIM905
)
SENTENCE_END = re.compile(r"(\S+)[.!?]\s+(?=[^\sa-zа-яёіїєґ])")
# Words that show a text already says which documents are needed, or what it costs: such a
# card never adds "documents: not stated" after them.
DOCUMENT_WORDS = (
    "документ",
    "лична карта",
    "личната карта",
    "копие",
    "копі",
    "посвідчен",
    "паспорт",
    "довідк",
    "декларац",
)
COST_WORDS = ("такс", "плат", "цена", "ціна", "вартіст", "коштує", "безкоштовн")
TARGET_GROUPS = frozenset(TargetGroup)


def first_sentence(text: str, limit: int = SHORT_LINE) -> str:
    """The first sentence of a text, cut at a word (with "…") when it is longer than `limit`."""
    text = " ".join(text.split())
    end = len(text)
    for match in SENTENCE_END.finditer(text):
        word = match.group(1).lower().lstrip('(«„"')
        closed = word.endswith((")", "»", "“", '"'))  # "(… 2016 г.)." ends a sentence
        if not closed and (word in ABBREVIATIONS or "." in word or (word.isalpha() and len(word) <= 2)):
            continue
        end = match.end(1) + 1
        break
    sentence = text[:end]
    if len(sentence) <= limit:
        return sentence
    cut = sentence.rfind(" ", 0, limit)
    return sentence[: cut if cut > 0 else limit].rstrip(",;:–—- ") + "…"


def for_whom(_: Translator, card: ServiceCard) -> str | None:
    """Who a service is for, in one line: the first sentence of its conditions when short, else
    the groups it is meant for."""
    text = pick(card.eligibility, _.lang)
    if text and len(sentence := first_sentence(text, 10_000)) <= FOR_WHOM:
        return sentence
    groups = [_(TARGET_GROUP_LABELS[TargetGroup(g)]) for g in card.target_groups if g in TARGET_GROUPS][:3]
    if groups:
        return ", ".join([groups[0], *(g[:1].lower() + g[1:] for g in groups[1:])])
    return first_sentence(text, FOR_WHOM) if text else None


def short_lines(_: Translator, card: ServiceCard, now: dt.datetime) -> list[str]:
    """What a person needs in order to act, in about 500 characters: what it is; where; the
    phone; today's hours; who it is for; what is not known (once); where the facts come from and
    whether they may be out of date. The first office is the one ranked first."""
    lang, today = _.lang, now.date()
    lines = []
    if not card.operating:
        lines.append(
            _(NOT_OPERATING[card.status])
            if card.status in NOT_OPERATING
            else "⚠ " + _("This service is not active at the moment.")
        )
    if card.operating and (alert := pick(card.alert, lang)):  # a closed service's ⛔ says enough
        lines.append("⚠ " + first_sentence(alert))  # the whole alert is behind "More"
    if description := pick(card.description, lang):
        lines.append(first_sentence(description))
    if not card.operating:  # nothing to apply for, nowhere to go
        lines.append(
            "🏢 "
            + _("Where to go: this service does not operate. A member of staff can tell you what there is instead.")
        )
        return [*lines, ("✔ " if card.fact.confirmed else "📰 ") + provenance_text(_, card.fact)]
    office = card.offices[0] if card.offices else None
    address = pick(office.address, lang) if office else None
    place = (
        where(pick(office.city, lang), address)
        if office
        else ", ".join(name for name in (pick(area, lang) for area in card.areas) if name)
    )
    if place:
        lines.append("📍 " + place)
    office_facts: list[Fact | None] = []
    if office:
        office_facts += [office.address_fact] if address else []
        office_facts += office.phone_facts if office.phones else []
        office_facts += [office.hours_fact] if office.hours else []
    # The office's facts all confirmed at once: said once, after them; else each confirmed phone says so.
    confirmed = (
        bool(office_facts)
        and all(f is not None and f.confirmed for f in office_facts)
        and len({_provenance_key(f) for f in office_facts}) == 1
    )
    phones = office.phones if office and office.phones else card.phones
    if phones:
        facts = office.phone_facts if office and office.phones and not confirmed else []
        lines.append("☎ " + phones_text(_, phones, facts, card.fact))
    if office and office.hours:
        lines.append("🕘 " + short_hours_text(_, office, now))
    if confirmed and office_facts[0] and (note := fact_note(_, office_facts[0], None, card.fact).strip(" ()")):
        lines.append("✔ " + note[:1].upper() + note[1:])
    if len(card.offices) > 1:
        others = len(card.offices) - 1
        lines.append("🏢 " + _.plural("And %(n)d more office.", "And %(n)d more offices.", others))
    if who := for_whom(_, card):
        lines.append("👥 " + who)
    unknown = unknown_parts(_, office, has_address=bool(address), phones=bool(card.phones))
    if unknown and len(unknown.split(", ")) == 3:
        lines.append("❔ " + _("Contact details are not known: a member of staff can find out."))
    elif unknown:
        lines.append("❔ " + _("Not known: %(what)s. A member of staff can find out.", what=unknown))
    lines.append(("✔ " if card.fact.confirmed else "📰 ") + provenance_text(_, card.fact))
    if any(fact is not None and fact.stale(today) for fact in [card.fact, *office_facts]):
        lines.append("⏳ " + _("This may be out of date: check before you go."))
    return lines


def short_hours_text(_: Translator, office: Office, now: dt.datetime) -> str:
    """Today's hours and whether the office is open, when the hours are current; else the week's
    hours with their date, never "open now" (the card's ⏳ line says they may be out of date)."""
    if office.hours_current(now):
        return today_text(_, office, now)
    hours = hours_text(_, office.hours)
    if date := hours_date(_, office):
        return _("%(hours)s (as of %(date)s)", hours=hours, date=date)
    return _("%(hours)s (from an undated source)", hours=hours)


def phones_text(_: Translator, numbers: list[str], facts: list[Fact], context: Fact) -> str:
    """Phone numbers, each said to be confirmed when a person confirmed it (" (confirmed by
    <office> on <date>)"); the rest of where they come from is behind "More"."""
    groups: dict[str, list[str]] = {}
    for i, number in enumerate(numbers):
        fact = facts[i] if i < len(facts) else None
        groups.setdefault(fact_note(_, fact, None, context) if fact and fact.confirmed else "", []).append(number)
    return ", ".join(", ".join(group) + note for note, group in groups.items())


def more_button(_: Translator, card: ServiceCard, mark: str = "📄") -> Button:
    return Button(f"{mark} " + _("More: %(service)s", service=pick(card.name, _.lang) or card.id), More(card.id).pack())


def service_card(turn: Turn, card: ServiceCard, back: str | None = None) -> Text:
    """A service's short card, with "More" and a member of staff a tap away."""
    _ = turn._
    buttons = [more_button(_, card), Button(_("👤 Talk to staff"), Handoff("topic", card.id).pack())]
    return Text(
        "\n".join(short_lines(_, card, turn.services.now())),
        rows(*[(b,) for b in buttons], nav(turn, back)),
        title=pick(card.name, _.lang),
    )


def several(turn: Turn, cards: list[ServiceCard], header: list[str], footer: list[str] | None = None) -> Text:
    """An answer in one message: its header, the short cards numbered, a "More" button for each
    and one button to talk to staff. One card and no header: that card, titled with its name."""
    _ = turn._
    if len(cards) == 1 and not header:
        text = service_card(turn, cards[0])
        return Text("\n\n".join([text.text, *(footer or [])]), text.buttons, title=text.title)
    now = turn.services.now()
    marks = KEYCAPS if len(cards) > 1 else ("📋",)
    blocks = ["\n".join(header)] if header else []
    for i, card in enumerate(cards):
        mark = marks[i] if i < len(marks) else f"{i + 1}."
        blocks.append("\n".join([f"{mark} {pick(card.name, _.lang) or card.id}", *short_lines(_, card, now)]))
    buttons = [
        *[(more_button(_, card, marks[i] if i < len(marks) else "📄"),) for i, card in enumerate(cards)],
        (Button(_("👤 Talk to staff"), Handoff().pack()),),  # which service: the first step asks
        nav(turn),
    ]
    return Text("\n\n".join([*blocks, *(footer or [])]), rows(*buttons))


def more_card(turn: Turn, card: ServiceCard, back: str | None = None) -> Text:
    """The rest of a card: who provides it, the whole description, who can get it and how, the
    documents and the cost, every office in full, and where each fact comes from. What the
    sources do not say is said once, and never of what the card's own text already covers."""
    _ = turn._
    lang = _.lang
    today = turn.services.now().date()
    lines = [f"🏛 {pick(card.organization, lang)}"] if card.organization else []
    if not card.operating:
        lines.append(
            _(NOT_OPERATING[card.status])
            if card.status in NOT_OPERATING
            else "⚠ " + _("This service is not active at the moment.")
        )
    if alert := pick(card.alert, lang):
        lines.append(f"⚠ {alert}")
    description = pick(card.description, lang) or ""
    lines.append(description)
    if not card.operating:  # what it was, and where it came from; nothing to apply for, nowhere to go
        lines.append(
            "🏢 "
            + _("Where to go: this service does not operate. A member of staff can tell you what there is instead.")
        )
        lines += _provenance_lines(_, card.fact, today)
        buttons = rows((Button(_("👤 Talk to staff"), Handoff("topic", card.id).pack()),), nav(turn, back))
        return Text("\n".join(line for line in lines if line), buttons, title=pick(card.name, lang))
    eligibility, application = pick(card.eligibility, lang), pick(card.application, lang)
    if eligibility:
        lines.append("👥 " + _("Who can get it: %(text)s", text=eligibility))
    if application:
        lines.append("📝 " + _("How to apply: %(text)s", text=application))
    documents = [d for d in (pick(doc, lang) for doc in card.documents) if d]
    if documents:
        lines.append("📄 " + _("Documents: %(text)s", text="; ".join(documents)))
    costs = [c for c in (pick(cost, lang) for cost in card.costs) if c]
    if costs:
        lines.append("💶 " + _("Cost: %(text)s", text="; ".join(costs)))
    said = " ".join((description, eligibility or "", application or "")).lower()
    unknown = [
        _(part)
        for part, known in (
            (N_("who can get it"), eligibility),
            (N_("how to apply"), application),
            (N_("documents"), documents or any(word in said for word in DOCUMENT_WORDS)),
            (N_("cost"), costs or any(word in said for word in COST_WORDS)),
        )
        if not known
    ]
    if unknown:
        lines.append("❔ " + _("Not stated in our sources: %(what)s.", what=", ".join(unknown)))
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
    buttons = rows((Button(_("👤 Talk to staff"), Handoff("topic", card.id).pack()),), nav(turn, back))
    return Text("\n".join(line for line in lines if line), buttons, title=pick(card.name, lang))


def _provenance_lines(_: Translator, fact: Fact, today: dt.date) -> list[str]:
    lines = [("✔ " if fact.confirmed else "📰 ") + provenance_text(_, fact)]
    if fact.stale(today):
        lines.append("⏳ " + _("This may be out of date. Check with the office or ask a member of staff."))
    return lines
