"""Fuzzing both webhooks of one real `opora run` (Telegram in webhook mode, and Viber) with what
the platforms send, what they might send one day, and what anyone at all can post: the answer is
never a 5xx, the process stays up, and afterwards people are still answered."""

import asyncio
import itertools
import json
import os
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.fake_telegram import BOT, FakeBotAPI, TelegramChat
from support.fake_telegram import texts as telegram_texts
from support.fake_viber import FakeViberAPI, ViberUser, signature
from support.fake_viber import texts as viber_texts
from support.opora import OporaProcess, telegram_opora
from viberbot.api.viber_requests import EVENT_TYPE_TO_CLASS

from bot.telegram.runner import SECRET_HEADER

pytestmark = pytest.mark.e2e
VIBER_TOKEN = "viber-fuzz-token"
FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
HUGE = 2_000_000


class Loop:
    """An event loop in a thread of its own, for the fake APIs: hypothesis runs the tests
    synchronously in the main thread."""

    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coroutine, timeout: float = 90):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


@dataclass
class Opora:
    loop: Loop
    telegram: FakeBotAPI
    viber: FakeViberAPI
    process: OporaProcess
    base: str  # http://127.0.0.1:port
    secret: str  # of the Telegram webhook
    log: Path

    def post(self, path: str, body: bytes, headers: dict) -> tuple[int, bytes]:
        request = urllib.request.Request(
            self.base + path, data=body, method="POST", headers={"Content-Type": "application/json", **headers}
        )
        try:
            with urllib.request.urlopen(request, timeout=90) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def telegram_posts(self, body: bytes, secret: str | bytes | None = None) -> int:
        """Someone posts to /telegram: Telegram with the secret, anyone else with another or none."""
        return self.post("/telegram", body, {SECRET_HEADER: secret} if secret is not None else {})[0]

    def telegram_sends(self, update: dict) -> tuple[int, list[dict]]:
        """Telegram sends an update: the HTTP status, and the messages sent to its chat meanwhile."""
        before = len(self.telegram.delivered)
        status = self.telegram_posts(json.dumps({"update_id": next(update_ids), **update}).encode(), self.secret)
        chat = telegram_chat(update)
        return status, [p for _, p in self.telegram.delivered[before:] if str(p.get("chat_id")) == str(chat)]

    def viber_posts(self, body: bytes, signed_with: str | None = VIBER_TOKEN) -> tuple[int, bytes]:
        headers = {"X-Viber-Content-Signature": signature(signed_with, body)} if signed_with else {}
        return self.post("/viber", body, headers)

    def viber_sends(self, event: dict) -> tuple[int, bytes, list[dict]]:
        """Viber sends an event: the HTTP status and body, and the messages sent to its sender meanwhile."""
        if type(event.get("message_token")) is int:
            event = {**event, "message_token": next(message_tokens)}  # so that it is handled, not skipped
        before = len(self.viber.calls)
        status, body = self.viber_posts(json.dumps(event).encode())
        sender = event.get("sender", {}).get("id") if isinstance(event.get("sender"), dict) else None
        return (
            status,
            body,
            [p for e, p in self.viber.calls[before:] if e == "send_message" and p.get("receiver") == sender],
        )

    def alive(self) -> bool:
        return self.process.alive()


update_ids = itertools.count(10**9)  # apart from the fake Bot API's own ids, used by TelegramChat
message_tokens = itertools.count(int(time.time() * 1000))


@pytest.fixture(scope="module")
def opora(tmp_path_factory) -> Opora:
    tmp = tmp_path_factory.mktemp("fuzz")
    loop, telegram, viber = Loop(), FakeBotAPI(), FakeViberAPI()
    process = telegram_opora(
        tmp,
        loop.run(telegram.start()),
        OPORA_TELEGRAM_WEBHOOK_URL="http://127.0.0.1:{port}",
        OPORA_VIBER_TOKEN=VIBER_TOKEN,
        OPORA_VIBER_API_URL=loop.run(viber.start()),
        OPORA_VIBER_WEBHOOK_URL="http://127.0.0.1:{port}",
        # thousands of events from a few ids: about parsing, not the limits per person
        OPORA_LIMIT_TURNS="",
        OPORA_LIMIT_REQUESTS="",
        OPORA_LIMIT_MESSAGES="",
    )
    try:
        loop.run(process.start())
        webhook = loop.run(telegram.wait_for("setWebhook"))
        loop.run(viber.wait_for("set_webhook"))  # sent once the HTTP server is up
        yield Opora(loop, telegram, viber, process, process.url, webhook["secret_token"], process.log)
    finally:
        exit_code = loop.run(process.stop()) if process.process else None
        loop.run(telegram.stop())
        loop.run(viber.stop())
        loop.close()
    assert exit_code == 0


# What people write: nothing, anything, emoji, very long texts, commands (also with odd arguments).
COMMANDS = [
    "start",
    "help",
    "language",
    "forget",
    "myrequests",
    "menu",
    "queue",
    "take",
    "close",
    "note",
    "canned",
    "send",
    "join",
]
PAYLOADS = [
    "menu",
    "help",
    "lang",
    "forget",
    "browse",
    "cat",
    "town",
    "svc",
    "near",
    "scr",
    "scr:s",
    "scr:age",
    "scr:at",
    "staff",
    "staff:add",
    "staff:q",
    "staff:topic",
    "st:take",
    "st:close",
]
emoji = st.text(st.characters(min_codepoint=0x1F300, max_codepoint=0x1FAFF), min_size=1, max_size=40)
long_text = st.builds(lambda piece, n: piece * n, st.text(min_size=1, max_size=8), st.integers(600, 2000))
commands = st.builds(
    lambda c, arg: f"/{c} {arg}".strip(),
    st.sampled_from(COMMANDS),
    st.one_of(st.text(max_size=20), st.integers().map(str)),
)
words = st.one_of(
    st.text(max_size=200),
    emoji,
    long_text,
    commands,
    st.sampled_from(["", " ", "/", "/start@opora_test_bot", "Так", "помощ", "кой носи топъл обяд"]),
)
payloads = st.one_of(
    st.text(max_size=100),
    st.builds(
        lambda p, arg: f"{p}:{arg}", st.sampled_from(PAYLOADS), st.one_of(st.text(max_size=80), st.integers().map(str))
    ),
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
coordinates = st.floats()  # NaN, infinities and values off the Earth too
phones = st.one_of(st.text(max_size=30), st.sampled_from(["+359888123456", "+380501234567", "0888 123 456"]))

# Telegram updates, valid for the Bot API's types but otherwise anything.
telegram_users = st.fixed_dictionaries(
    {"id": st.integers(1, 2**52), "is_bot": st.booleans(), "first_name": st.text(max_size=64)},
    optional={
        "language_code": st.one_of(st.sampled_from(["uk", "bg", "ru", "en", "uk-UA"]), st.text(max_size=10)),
        "username": st.text(max_size=32),
    },
)
chats = st.fixed_dictionaries(
    {
        "id": st.integers(-(10**13), 10**13),
        "type": st.sampled_from(["private", "private", "private", "group", "supergroup", "channel"]),
    },  # mostly people
    optional={"title": st.text(max_size=40)},
)
contents = st.one_of(
    st.fixed_dictionaries({"text": st.none() | words}),
    st.fixed_dictionaries({"location": st.fixed_dictionaries({"latitude": coordinates, "longitude": coordinates})}),
    st.fixed_dictionaries(
        {
            "contact": st.fixed_dictionaries(
                {"phone_number": phones, "first_name": st.text(max_size=20)},
                optional={"user_id": st.integers(1, 2**52)},
            )
        }
    ),
    st.fixed_dictionaries(
        {"photo": st.just([{"file_id": "p", "file_unique_id": "p", "width": 9, "height": 9}])},
        optional={"caption": words},
    ),
    st.just(
        {
            "sticker": {
                "file_id": "s",
                "file_unique_id": "s",
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
            }
        }
    ),
)


@st.composite
def telegram_messages(draw) -> dict:
    chat, sender = draw(chats), draw(st.one_of(telegram_users, st.none()))
    if chat["type"] == "private" and sender and draw(st.booleans()):
        chat["id"] = sender["id"]  # a person's own chat, as it is in real life
    message = {
        "message_id": draw(st.integers(1, 2**31)),
        "date": int(time.time()),
        "chat": chat,
        **({"from": sender} if sender else {}),
        **draw(contents),
    }
    if draw(st.booleans()):
        message["reply_to_message"] = {
            "message_id": draw(st.integers(1, 2**31)),
            "date": 1,
            "chat": chat,
            "from": BOT,
            "text": "…",
        }
    if draw(st.booleans()):
        message["a_field_of_a_later_bot_api"] = draw(json_values)
    return message


too_old_messages = st.builds(lambda chat: {"chat": chat, "message_id": 1, "date": 0}, chats)  # 0: inaccessible
callback_queries = st.fixed_dictionaries(
    {"id": st.text(min_size=1, max_size=20), "from": telegram_users, "chat_instance": st.just("1")},
    optional={"data": payloads, "message": st.one_of(telegram_messages(), too_old_messages)},
)
member_updates = st.builds(
    lambda chat, sender, status: {
        "chat": chat,
        "from": sender,
        "date": 1,
        "old_chat_member": {"status": "member", "user": BOT},
        "new_chat_member": {"status": status, "user": BOT, "until_date": 0},
    },
    chats,
    telegram_users,
    st.sampled_from(["kicked", "left", "member"]),
)
telegram_updates = st.one_of(
    st.fixed_dictionaries({"message": telegram_messages()}),  # twice as often: what people send most
    st.fixed_dictionaries({"message": telegram_messages()}),
    st.fixed_dictionaries({"callback_query": callback_queries}),
    st.fixed_dictionaries({"callback_query": callback_queries}),
    st.fixed_dictionaries({"edited_message": telegram_messages()}),
    st.fixed_dictionaries({"channel_post": telegram_messages()}),
    st.fixed_dictionaries({"my_chat_member": member_updates}),
    st.dictionaries(
        st.text(min_size=1, max_size=10).map(lambda kind: f"later_{kind}"), json_values, min_size=1, max_size=2
    ),  # update kinds of a later Bot API
)


def telegram_chat(update: dict) -> int | None:
    """The chat Opora answers in: a person's private chat, where they wrote or pressed a button."""
    if "message" in update:
        message = update["message"]
        return message["chat"]["id"] if message["chat"]["type"] == "private" and "from" in message else None
    if "callback_query" in update:
        query = update["callback_query"]
        chat = query.get("message", {}).get("chat", {"id": query["from"]["id"], "type": "private"})
        return chat["id"] if chat["type"] == "private" else None
    return None


@settings(FUZZ, max_examples=100)  # each is a turn of the conversation
@given(update=telegram_updates)
def test_telegram_updates_are_accepted_and_people_answered(opora, update):
    status, answers = opora.telegram_sends(update)
    assert status == 200
    if telegram_chat(update) is not None:
        assert answers, "a person got no answer"
    for answer in answers:  # what Telegram would accept
        assert len(answer.get("text", "")) <= 4096
        buttons = [b for row in (answer.get("reply_markup") or {}).get("inline_keyboard", []) for b in row]
        assert all(len(b["callback_data"].encode()) <= 64 for b in buttons)
    assert opora.alive()


# Viber events, first as Viber documents them, then with fields missing or of the wrong type.
# as Viber sends them: now, in milliseconds (an older event is refused as a replay, bot/viber/webhook.py)
timestamps = st.integers(0, 3_600_000).map(lambda back: int(time.time() * 1000) - back)
tokens = st.integers(0, 2**63)
viber_ids = st.text("abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456789+/=", min_size=1, max_size=30)
profiles = st.fixed_dictionaries(
    {"id": viber_ids},
    optional={
        "name": st.text(max_size=30),
        "language": st.sampled_from(["uk", "bg", "ru", "en", ""]),
        "country": st.sampled_from(["UA", "BG"]),
        "api_version": st.integers(1, 10),
        "avatar": st.just("https://example.org/a.jpg"),
    },
)
viber_messages = st.one_of(
    st.fixed_dictionaries({"type": st.just("text"), "text": st.one_of(words, payloads.map(lambda p: f"btn:{p}"))}),
    st.fixed_dictionaries(
        {"type": st.just("location"), "location": st.fixed_dictionaries({"lat": coordinates, "lon": coordinates})}
    ),
    st.fixed_dictionaries(
        {
            "type": st.just("contact"),
            "contact": st.fixed_dictionaries({"name": st.text(max_size=20), "phone_number": phones}),
        }
    ),
    st.fixed_dictionaries(
        {"type": st.just("picture"), "media": st.just("https://example.org/p.jpg")}, optional={"text": words}
    ),
    st.fixed_dictionaries({"type": st.just("sticker"), "sticker_id": st.integers(0, 2**40)}),
    st.fixed_dictionaries(
        {"type": st.sampled_from(["file", "video", "url"]), "media": st.just("https://example.org/f")},
        optional={"file_name": st.text(max_size=20), "size": st.integers(0, 2**31)},
    ),
)
viber_events = st.one_of(
    st.fixed_dictionaries(
        {
            "event": st.just("message"),
            "timestamp": timestamps,
            "message_token": tokens,
            "sender": profiles,
            "message": viber_messages,
        }
    ),
    st.fixed_dictionaries(
        {
            "event": st.just("conversation_started"),
            "timestamp": timestamps,
            "message_token": tokens,
            "type": st.just("open"),
            "user": profiles,
            "subscribed": st.booleans(),
        },
        optional={"context": st.text(max_size=30)},
    ),
    st.fixed_dictionaries(
        {"event": st.just("subscribed"), "timestamp": timestamps, "message_token": tokens, "user": profiles}
    ),
    st.fixed_dictionaries(
        {"event": st.just("unsubscribed"), "timestamp": timestamps, "message_token": tokens, "user_id": viber_ids}
    ),
    st.fixed_dictionaries(
        {
            "event": st.sampled_from(["seen", "delivered"]),
            "timestamp": timestamps,
            "message_token": tokens,
            "user_id": viber_ids,
        }
    ),
    st.fixed_dictionaries(
        {
            "event": st.just("failed"),
            "timestamp": timestamps,
            "message_token": tokens,
            "user_id": viber_ids,
            "desc": st.text(max_size=30),
        }
    ),
    st.fixed_dictionaries({"event": st.just("webhook"), "timestamp": timestamps, "message_token": tokens}),
    st.fixed_dictionaries(
        {"event": st.text(max_size=20).filter(lambda name: name not in EVENT_TYPE_TO_CLASS), "timestamp": timestamps}
    ),  # events of a later API
)


def objects_in(value) -> list[dict]:
    """Every JSON object in a value, itself included."""
    if isinstance(value, dict):
        return [value] + [o for v in value.values() for o in objects_in(v)]
    return []


@st.composite
def mangled_viber_events(draw) -> dict:
    event = draw(viber_events)
    for _ in range(draw(st.integers(1, 3))):
        targets = [o for o in objects_in(event) if o]
        if not targets:
            break
        target = draw(st.sampled_from(targets))
        key = draw(st.sampled_from(sorted(target)))
        if draw(st.booleans()):
            del target[key]
        else:
            target[key] = draw(json_values)
    return event


@FUZZ
@given(event=viber_events)
def test_viber_events_are_accepted_and_people_answered(opora, event):
    status, body, answers = opora.viber_sends(event)
    assert 200 <= status < 300
    if event["event"] == "message":
        assert answers, "a person got no answer"
        assert all(len(answer.get("text", "")) <= 7000 for answer in answers)  # what Viber would accept
    if event["event"] == "conversation_started":
        assert json.loads(body)["text"]  # the welcome
    assert opora.alive()


@FUZZ
@given(event=mangled_viber_events())
def test_viber_events_with_missing_or_wrong_fields_are_refused_or_accepted_never_a_server_error(opora, event):
    assert opora.viber_sends(event)[0] in (200, 400)
    assert opora.alive()


# Raw bodies: random bytes, JSON of any shape, truncated JSON, deep nesting.
valid_bodies = st.one_of(
    st.builds(
        lambda update_id, update: {"update_id": update_id, **update},
        st.integers(2 * 10**9, 3 * 10**9),
        telegram_updates,
    ),
    viber_events,
).map(lambda value: json.dumps(value).encode())
raw_bodies = st.one_of(
    st.binary(max_size=2000),
    json_values.map(lambda value: json.dumps(value).encode()),
    st.builds(lambda body, cut: body[: int(len(body) * cut)], valid_bodies, st.floats(0, 1)),  # truncated
    st.integers(1, 100_000).map(lambda depth: b"[" * depth + b"]" * depth),
    st.sampled_from(
        [
            b"",
            b"null",
            b"[]",
            b"{}",
            b"0",
            b'"update"',
            b"NaN",
            b'{"update_id": NaN}',
            b"\xef\xbb\xbf{}",
            b'{"update_id": 1e999}',
        ]
    ),
)
# Any bytes a header may hold (control characters make a request that is not HTTP, refused with 400).
wrong_headers = st.lists(st.sampled_from([*range(32, 127), *range(128, 256)]), max_size=80).map(bytes)


@FUZZ
@given(body=raw_bodies, wrong=wrong_headers)
def test_raw_bodies_are_refused_or_accepted_never_a_server_error(opora, body, wrong):
    assert opora.viber_posts(body, signed_with=None)[0] == 403
    assert opora.viber_posts(body, signed_with="not-the-token")[0] == 403
    assert opora.post("/viber", body, {"X-Viber-Content-Signature": wrong})[0] == 403
    assert opora.viber_posts(body)[0] in (200, 400)
    assert opora.telegram_posts(body) == 401
    assert opora.telegram_posts(body, wrong) == 401
    assert opora.telegram_posts(body, opora.secret) in (200, 400)
    assert opora.alive()


def test_huge_bodies_are_refused(opora):
    update = json.dumps(
        {
            "update_id": next(update_ids),
            "message": {"message_id": 1, "date": 1, "chat": {"id": 1, "type": "private"}, "text": "а" * HUGE},
        }
    ).encode()
    for body in (os.urandom(HUGE), update, b"[" * HUGE + b"]" * HUGE):
        assert opora.telegram_posts(body) == 401
        assert opora.telegram_posts(body, opora.secret) == 413
        assert opora.viber_posts(body, signed_with=None)[0] == 413  # too large to check the signature of
        assert opora.viber_posts(body)[0] == 413
    assert opora.alive()


def test_after_all_that_people_are_still_answered(opora):
    chat = TelegramChat(opora.telegram, 424242, "bg", webhook=(f"{opora.base}/telegram", opora.secret))
    assert "Опора" in telegram_texts(opora.loop.run(chat.says("/start")))
    person = ViberUser(opora.viber, f"{opora.base}/viber", VIBER_TOKEN, "fuzz-survivor==", "uk")
    assert "Опора" in viber_texts(opora.loop.run(person.says("/start")))
    assert opora.alive()
    log = opora.log.read_text(errors="replace")
    assert "Error handling request" not in log  # aiohttp's words for an exception that escaped a handler
