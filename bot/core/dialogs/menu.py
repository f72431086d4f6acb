"""Welcome, main menu, help, language and /forget."""

from bot.core import language as languages
from bot.core.dialogs.common import StaleButton, Turn, nav, screen
from bot.core.events import Button, Reply, Text, rows
from bot.core.i18n import LANGUAGES
from bot.core.language import LANGUAGE_NAMES
from bot.core.payloads import Browse, Forget, Handoff, Help, Language, Menu, Near, Screener


def menu_buttons(turn: Turn) -> list[tuple[Button, ...]]:
    _ = turn._
    return [
        (Button(_("🔎 Find a service"), Browse().pack()), Button(_("📍 Near me"), Near().pack())),
        (Button(_("✅ Am I eligible?"), Screener().pack()), Button(_("👤 Talk to staff"), Handoff().pack())),
        (Button(_("🌐 Language"), Language().pack()), Button(_("❔ Help"), Help().pack())),
    ]


async def menu(turn: Turn, pressed: Menu | None = None) -> list[Reply]:
    turn.state.flow = None
    return [
        Text(turn._("What would you like to do? Choose below, or just write your question."), rows(*menu_buttons(turn)))
    ]


async def welcome(turn: Turn) -> list[Reply]:
    _ = turn._
    turn.state.flow = None
    other = next(lang for lang in LANGUAGES if lang != turn.state.language)
    text = _(
        "Hello! I am Opora. I help you find social services in Bulgaria and Ukraine: what "
        "they are, who can get them, and where and when to go. Choose below, or just write "
        "your question in your own words."
    )
    return [Text(text, rows(*menu_buttons(turn), (Button(LANGUAGE_NAMES[other], Language(other).pack()),)))]


async def help_(turn: Turn, pressed: Help | None = None) -> list[Reply]:
    _ = turn._
    text = _(
        "You can write a question in your own words, for example: “warm lunch for my grandmother "
        "in Kazanlak”. Or use the buttons.\n\n/start – start again\n/help – this help\n"
        "/language – change the language\n/myrequests – your requests to staff\n"
        "/forget – delete what Opora stores about you"
    )
    return [Text(text, rows(*menu_buttons(turn)))]


async def language(turn: Turn, pressed: Language | None = None) -> list[Reply]:
    arg = pressed.lang if pressed else ""
    if not arg:
        buttons = [Button(LANGUAGE_NAMES[lang], Language(lang).pack()) for lang in LANGUAGES]
        return [screen(turn, turn._("Choose your language:"), buttons, per_row=2)]
    if arg not in LANGUAGES:
        raise StaleButton(arg)
    languages.choose(turn.state, arg)
    return [Text(turn._("From now on I will answer in English."), ()), *await menu(turn)]


async def forget(turn: Turn, pressed: Forget | None = None) -> list[Reply]:
    _ = turn._
    answer = pressed.answer if pressed else ""
    if answer == "yes":
        await turn.services.desk.forget(turn.event.user.channel, turn.event.user.id)
        await turn.services.states.forget(turn.event.user)
        turn.forgotten = True
        return [
            Text(
                _("Done. I have deleted everything I stored about you. Write /start to begin again."),
                rows((Button(_("☰ Menu"), Menu().pack()),)),
            )
        ]
    if answer == "no":
        return [Text(_("Nothing was deleted."), ()), *await menu(turn)]
    return [
        Text(
            _(
                "Delete everything Opora stores about you: your language, where you are in a "
                "conversation, and your requests to staff? This cannot be undone."
            ),
            rows(
                (Button(_("🗑 Yes, delete"), Forget("yes").pack()), Button(_("No, keep it"), Forget("no").pack())),
                nav(turn),
            ),
        )
    ]
