"""Button payloads: buttons already sent sit in people's chats, so every payload the bot has
ever sent must still read as the same button, and anything else must read as nothing."""

import pytest

from bot.core.payloads import AddToRequest, Handoff, InTown, Payload, Screener, StaffAction, Verify

SENT_BEFORE = [
    "menu",
    "help",
    "lang",
    "lang:uk",
    "forget",
    "forget:yes",
    "forget:no",
    "browse",
    "cat:meals",
    "town:meals:kazanlak",
    "town:meals:*",
    "svc:kazanlak-home-patronage",
    "near",
    "near:kazanlak",
    "where:kazanlak",
    "where:*",
    "scr",
    "scr:who:me",
    "scr:age:65-79",
    "scr:s:veteran",
    "scr:done",
    "scr:at:*",
    "staff",
    "staff:topic:kazanlak-home-patronage",
    "staff:topic:*",
    "staff:queues",
    "staff:q:kazanlak-municipality",
    "staff:phone:skip",
    "staff:send",
    "staff:cancel",
    "staff:add:12",
    "staff:mine",
    "st:take:12",
    "st:close:12",
    "sv:ok:3",
    "sv:fix:3",
    "sv:save:3",
    "sv:save:3:0",
    "sv:save:3:new",
    "sv:no:3",
]


@pytest.mark.parametrize("data", SENT_BEFORE)
def test_every_button_sent_before_still_reads_as_itself(data):
    pressed = Payload.unpack(data)
    assert pressed is not None and pressed.pack() == data


def test_a_button_reads_as_its_kind():
    assert Payload.unpack("st:take:12") == StaffAction("take", 12)
    assert Payload.unpack("staff:add:12") == AddToRequest(12)
    assert Payload.unpack("staff:q:kazanlak") == Handoff("q", "kazanlak")
    assert Payload.unpack("sv:save:3:new") == Verify("save", 3, "new")
    assert Payload.unpack("town:meals:*") == InTown("meals", "*")
    assert Verify.unpack("st:take:12") is None  # read as one kind only


@pytest.mark.parametrize(
    "data",
    [
        "",
        ":",
        "nope",
        "menu:x",
        "forget:maybe",
        "scr:nope",
        "staff:nope",
        "staff:add",
        "staff:add:",
        "staff:add:abc",
        "staff:add:²",
        "staff:add:2147483648",
        "staff:add:" + "9" * 30,
        "st:take",
        "st:join:CODE",
        "st:take:-1",
        "sv:ok",
        "sv:maybe:3",
        "cat",
        "town:meals",
        None,
    ],
)
def test_an_unknown_or_forged_payload_reads_as_nothing(data):
    assert Payload.unpack(data) is None


def test_a_button_that_no_channel_could_carry_is_refused_when_made():
    with pytest.raises(ValueError, match="64 bytes"):
        Handoff("topic", "а" * 40).pack()  # Cyrillic letters are two bytes each
    with pytest.raises(ValueError, match="only the last field"):
        InTown("meals:x", "kazanlak").pack()
    assert Screener("who", "me").pack() == "scr:who:me" and Screener().pack() == "scr"
