"""Long and unsafe texts become valid Telegram HTML messages."""

from hypothesis import given
from hypothesis import strategies as st

from bot.core.events import Button, Text, rows
from bot.telegram.render import MAX_MESSAGE, html, inline_keyboard, split


def test_html_is_escaped_and_the_title_is_bold():
    assert html(Text('<script> & "quotes"', title="A & B")) == '<b>A &amp; B</b>\n&lt;script&gt; &amp; "quotes"'


@given(st.text(alphabet=st.sampled_from("аб <&>\n"), max_size=20_000))
def test_split_keeps_every_piece_under_the_limit_and_loses_nothing(text):
    escaped = html(Text(text))
    pieces = split(escaped)
    assert all(len(p) <= MAX_MESSAGE for p in pieces)
    assert "".join(pieces).replace("\n", "").replace(" ", "") == escaped.replace("\n", "").replace(" ", "")
    assert not any(p.endswith(("&", "&a", "&am", "&amp", "&l", "&lt", "&g", "&gt")) for p in pieces)


def test_buttons_become_an_inline_keyboard():
    markup = inline_keyboard(rows((Button("Меню", "menu"), Button("Назад", "browse"))))
    assert [[b.callback_data for b in row] for row in markup.inline_keyboard] == [["menu", "browse"]]
