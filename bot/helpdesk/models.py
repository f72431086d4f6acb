"""Tables of help requests. Personal data (texts, phone, location) is erased after retention;
the rest stays as anonymous statistics."""

import datetime as dt
from typing import Any

from sqlalchemy import Boolean, DateTime, Float, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.base import Base

Moment = DateTime(timezone=True)


class StaffChat(Base):
    """A chat bound to a queue: a staff group, or a staff member's private chat."""

    __tablename__ = "opora_staff_chat"
    __table_args__ = (UniqueConstraint("queue_id", "channel", "chat_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    queue_id: Mapped[str] = mapped_column(String(100))
    channel: Mapped[str] = mapped_column(String(20))
    chat_id: Mapped[str] = mapped_column(String(100))
    bound_at: Mapped[dt.datetime] = mapped_column(Moment)
    # What staff read in this chat: "bg" or "uk"; None: the language of the queue's country.
    language: Mapped[str | None] = mapped_column(String(5))


class Invite(Base):
    """A one-time code for binding a chat to a queue; only its hash is stored."""

    __tablename__ = "opora_staff_invite"
    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    queue_id: Mapped[str] = mapped_column(String(100))
    expires_at: Mapped[dt.datetime] = mapped_column(Moment)
    used_at: Mapped[dt.datetime | None] = mapped_column(Moment)


class HelpRequest(Base):
    __tablename__ = "opora_help_request"
    # A person's requests are looked up at each message they type (is it a follow-up?).
    __table_args__ = (Index("ix_opora_help_request_person", "channel", "user_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)  # the request number
    queue_id: Mapped[str] = mapped_column(String(100))
    channel: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[str | None] = mapped_column(String(100))  # erased with the personal data
    language: Mapped[str] = mapped_column(String(5))
    service_id: Mapped[str | None] = mapped_column(String(100))  # the topic; None for "other"
    phone: Mapped[str | None] = mapped_column(String(40))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(20), default="received")  # taken, answered, closed
    created_at: Mapped[dt.datetime] = mapped_column(Moment)
    taken_at: Mapped[dt.datetime | None] = mapped_column(Moment)
    first_response_at: Mapped[dt.datetime | None] = mapped_column(Moment)
    closed_at: Mapped[dt.datetime | None] = mapped_column(Moment)
    reminded_at: Mapped[dt.datetime | None] = mapped_column(Moment)
    erased_at: Mapped[dt.datetime | None] = mapped_column(Moment)
    citizen_unreachable: Mapped[bool] = mapped_column(Boolean, default=False)  # blocked the bot
    # The draft it was made from (a random id, kept until erasure): a draft never becomes two requests.
    draft_key: Mapped[str | None] = mapped_column(String(64), unique=True, index=True)
    taken_by: Mapped[str | None] = mapped_column(String(200))  # the staff member's name, while taken
    town: Mapped[str | None] = mapped_column(String(100))  # the place (id) the question was about, when known


class RequestMessage(Base):
    __tablename__ = "opora_request_message"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(Integer, index=True)
    author: Mapped[str] = mapped_column(String(10))  # citizen, staff, note
    text: Mapped[str | None] = mapped_column(Text)  # erased with the personal data
    created_at: Mapped[dt.datetime] = mapped_column(Moment)


class RequestEvent(Base):
    """The audit trail: who did what to a request, and when; written in the transaction of the
    change. It holds no personal text (a note's or a reply's words stay in the messages, erased
    after retention), so it outlives erasure."""

    __tablename__ = "opora_request_event"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(Integer, index=True)
    queue_id: Mapped[str] = mapped_column(String(100), index=True)  # the queue it happened in (reports)
    at: Mapped[dt.datetime] = mapped_column(Moment)
    # created, taken, released, transferred, answered, note, closed, reopened, citizen, reminded
    action: Mapped[str] = mapped_column(String(20))
    by: Mapped[str | None] = mapped_column(String(200))  # the staff member's name; None: the citizen or Opora
    detail: Mapped[str | None] = mapped_column(String(200))  # transferred: "from>to" queues; closed: the status before


class StaffMessage(Base):
    """Which message in a staff chat belongs to which request, so that replies find their way."""

    __tablename__ = "opora_staff_message"
    channel: Mapped[str] = mapped_column(String(20), primary_key=True)
    chat_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    message_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    request_id: Mapped[int] = mapped_column(Integer, index=True)
    is_card: Mapped[bool] = mapped_column(Boolean, default=False)


class OutboxMessage(Base):
    """A message waiting to be delivered (or delivered): written in the same transaction as the
    change it tells about, sent by the delivery loop with retries."""

    __tablename__ = "opora_outbox"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(20))
    chat_id: Mapped[str] = mapped_column(String(100), index=True)
    message: Mapped[dict[str, Any]] = mapped_column()  # a rendered reply: text, title, buttons
    request_id: Mapped[int | None] = mapped_column(Integer, index=True)
    to_staff: Mapped[bool] = mapped_column(Boolean, default=False)
    card: Mapped[bool] = mapped_column(Boolean, default=False)  # the request's card in a staff chat
    status: Mapped[str] = mapped_column(String(10), default="pending", index=True)  # sending, sent, unreachable, failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(Moment)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_message_id: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[dt.datetime] = mapped_column(Moment)
    sent_at: Mapped[dt.datetime | None] = mapped_column(Moment)


class Verification(Base):
    """An office's facts sent to a staff chat to confirm or correct: when, and what came of it.
    Open (asked, fixing: waiting for the typed correction, proposed: shown back to be saved)
    until staff answer "All correct" (done)."""

    __tablename__ = "opora_verification"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    queue_id: Mapped[str] = mapped_column(String(100))
    location_id: Mapped[str] = mapped_column(String(100))
    channel: Mapped[str] = mapped_column(String(20))
    chat_id: Mapped[str] = mapped_column(String(100), index=True)
    status: Mapped[str] = mapped_column(String(10), default="asked")  # sending (being asked), fixing, proposed, done
    fixer: Mapped[str | None] = mapped_column(String(100))  # who is typing the correction
    proposal: Mapped[dict[str, Any] | None] = mapped_column()  # the checked correction, to save
    asked_at: Mapped[dt.datetime] = mapped_column(Moment)
    answered_at: Mapped[dt.datetime | None] = mapped_column(Moment)
    answered_by: Mapped[str | None] = mapped_column(String(200))  # the staff member's name


def aware(moment: dt.datetime) -> dt.datetime:
    """SQLite returns naive datetimes; everything here is stored in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
