"""Offices confirm their own facts, from their staff chat, on any channel.

Staff get, per office of their queue, the office's address, phones and hours as citizens read
them, with "✔ All correct" and "✏ Correct". A correction is typed in plain words (a phone, an
address, or hours such as "пн–пт 8–17"), checked as `catalog validate` checks the catalogue,
shown back, and saved only when staff say so: with the office as who confirmed it and today as
when. Button payloads: sv:ok:N, sv:fix:N, sv:save:N[:K] (K: which phone it replaces), sv:no:N."""

import datetime as dt
from typing import Any

from bot.core.dialogs.cards import hours_text, office_lines
from bot.core.dialogs.common import Services
from bot.core.events import Button, Reply, Rows, Text, rows, to_message
from bot.core.i18n import Translator
from bot.core.payloads import Verify
from bot.core.staff import Staff
from bot.helpdesk.desk import NotFound
from bot.helpdesk.models import Verification
from bot.helpdesk.verify import Render
from catalog.corrections import BadCorrection, Correction, confirm_office, correct_office, office_facts, parse
from catalog.directory import Hours
from catalog.texts import pick
from catalog.vocabulary import N_

LISTED = {"web"}  # the web staff view shows the open questions on its page: no message for each
EXAMPLES = N_("For example: 0431 6 23 61, or ул. „Искра“ № 4, or пн–пт 8:00–17:00.")
MISSING = N_("This question about an office is not in this chat, or was already answered.")
REASONS = {
    "empty": N_("I did not find a phone, an address or hours in this."),
    "phone": N_("%(text)s is not a valid phone number here. Write it as it is dialled, with the area code."),
    "hours": N_("I could not read these hours. Write the days, then the times, for example: пн–пт 8–17."),
    "hours_order": N_("The office would close before it opens (%(text)s)."),
    "address_long": N_("This is too long for an address."),
}


async def _staff(services: Services, verification: Verification, lang: str | None) -> Staff:
    """In `lang`, else the staff chat's own language (/lang), else the queue's."""
    chosen = lang or await services.desk.chat_language(verification.channel, verification.chat_id)
    return await Staff(services, verification.queue_id).load(chosen)


def _buttons(_: Translator, verification_id: int) -> Rows:
    return rows(
        (
            Button(_("✔ All correct"), Verify("ok", verification_id).pack()),
            Button(_("✏ Correct"), Verify("fix", verification_id).pack()),
        )
    )


async def question(services: Services, verification: Verification, lang: str | None = None) -> Text:
    """The office's facts as citizens read them, and the two buttons."""
    _ = (await _staff(services, verification, lang))._
    office = await services.directory.office(verification.location_id)
    if office is None:
        return Text(_("This office is no longer in the catalogue."))
    lines = [
        _("This is what people read about this office in Opora:"),
        *office_lines(_, office, today=services.now().date()),
        "",
        _("Is everything correct? If something is wrong or missing, press ✏ Correct and write it."),
    ]
    return Text(
        "\n".join(lines),
        _buttons(_, verification.id),
        title=_("🔎 Please check: %(office)s", office=pick(office.name, _.lang) or verification.location_id),
    )


def render(services: Services) -> Render:
    """What the help desk sends a staff chat to ask about an office."""

    async def rendered(verification: Verification) -> dict[str, Any] | None:
        if verification.channel in LISTED:
            return None
        return to_message(await question(services, verification))

    return rendered


async def ask_due(services: Services, channel: str | None = None, chat_id: str | None = None) -> int:
    """Ask the bound staff chats (or one: channel=…, chat_id=…) about their offices that are due."""
    return await services.desk.verifications.ask(render(services), channel=channel, chat_id=chat_id)


def correction_text(_: Translator, correction: Correction) -> str:
    if correction.kind == "phone":
        return "☎ " + (correction.phone or "")
    if correction.kind == "address":
        return "📍 " + (correction.address or "")
    hours = [
        Hours(list(h.days), dt.time.fromisoformat(h.opens), dt.time.fromisoformat(h.closes)) for h in correction.hours
    ]
    return "🕘 " + hours_text(_, hours)


async def press(
    services: Services,
    payload: str,
    channel: str,
    chat: str,
    user_id: str,
    user_name: str | None,
    lang: str | None = None,
) -> list[Reply]:
    """A verification button (`Verify`); NotFound when it is not one, or points at nothing."""
    pressed = Verify.unpack(payload)
    if pressed is None:
        raise NotFound(payload)
    action, choice = pressed.action, pressed.choice
    verifications = services.desk.verifications
    verification = await verifications.get(pressed.verification, channel, chat)
    staff = await _staff(services, verification, lang)
    _ = staff._
    info = await services.desk.queue(verification.queue_id)
    who = dict(info.name) if info else {"bg": verification.queue_id, "uk": verification.queue_id}
    today = services.now().date()
    by = user_name or user_id
    if action == "ok":
        await confirm_office(services.desk.sessions, verification.location_id, who, today)
        services.directory.forget()
        await verifications.change(verification.id, channel, chat, "done", by=by)
        return [
            Text(
                _(
                    "Thank you. People now read: “Confirmed by %(who)s on %(date)s”.",
                    who=pick(who, _.lang),
                    date=_.date(today),
                )
            )
        ]
    if action == "fix":
        await verifications.change(verification.id, channel, chat, "fixing", fixer=user_id)
        return [
            Text(
                _("Write the correct phone, address or hours in one message (in a group: as a reply to this message).")
                + " "
                + _(EXAMPLES)
            )
        ]
    if action == "no":
        await verifications.change(verification.id, channel, chat, "asked")
        return [Text(_("Nothing was changed.")), await question(services, verification, lang)]
    if action == "save":
        if verification.status != "proposed" or not verification.proposal:
            return [Text(_("There is nothing to save: press ✏ Correct and write the correction again."))]
        correction = Correction.from_json(verification.proposal)
        replace = int(choice) if choice.isdigit() else None
        await correct_office(
            services.desk.sessions, verification.location_id, correction, who, today, verification.queue_id, replace
        )
        services.directory.forget()
        await verifications.change(verification.id, channel, chat, "asked", by=by)
        return [
            Text(
                _(
                    "Saved: %(fact)s, confirmed by %(who)s on %(date)s. People see it now.",
                    fact=correction_text(_, correction),
                    who=pick(who, _.lang),
                    date=_.date(today),
                )
            ),
            await question(services, verification, lang),
        ]
    raise NotFound(payload)  # unreachable: Verify.action is one of the above


async def typed(services: Services, verification: Verification, text: str, lang: str | None = None) -> list[Reply]:
    """The correction staff typed: shown back to be saved, or why it cannot be, politely."""
    _ = (await _staff(services, verification, lang))._
    facts = await office_facts(services.desk.sessions, verification.location_id)
    if facts is None:
        return [Text(_("This office is no longer in the catalogue."))]
    try:
        correction = parse(text, facts.country)
    except BadCorrection as error:
        return [Text(_(REASONS[error.reason], text=error.detail) + " " + _(EXAMPLES))]
    await services.desk.verifications.change(
        verification.id,
        verification.channel,
        verification.chat_id,
        "proposed",
        fixer=verification.fixer,
        proposal=correction.to_json(),
    )
    shown = correction_text(_, correction)
    n = verification.id
    cancel = Button(_("✖ Cancel"), Verify("no", n).pack())
    if correction.kind == "phone" and facts.phones:
        choices = [
            (Button(_("✔ Instead of %(phone)s", phone=p.number), Verify("save", n, str(i)).pack()),)
            for i, p in enumerate(facts.phones)
        ]
        choices.append((Button(_("✔ As another phone"), Verify("save", n, "new").pack()),))
        return [Text(_("You wrote: %(fact)s. Which phone does it replace?", fact=shown), rows(*choices, (cancel,)))]
    what = {"phone": _("the phone"), "address": _("the address"), "hours": _("the opening hours")}[correction.kind]
    note = _("The old address's map point will be removed.") if correction.kind == "address" else ""
    return [
        Text(
            " ".join(
                x
                for x in (_("You wrote: %(fact)s. Save it as %(what)s of this office?", fact=shown, what=what), note)
                if x
            ),
            rows((Button(_("✔ Save"), Verify("save", n).pack()), cancel)),
        )
    ]
