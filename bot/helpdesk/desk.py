"""The help desk: requests from citizens to staff queues and back.

Every change is committed together with the outbox messages that tell about it, so nothing is
acknowledged before it is stored, and nothing stored is left untold. Texts are rendered by the
caller (callbacks receive the request), because the help desk knows no language.

A write transaction reads nothing through another connection (see bot/storage/engine.py): callbacks
render from what is at hand (the queues, read before the transaction and kept for a minute),
and what a write needs besides is read before it begins."""

import csv
import datetime as dt
import hashlib
import io
import secrets
import statistics
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import bindparam, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

# The desk's refusals, re-exported: its callers catch them from here.
from bot.helpdesk.errors import AccessDenied as AccessDenied
from bot.helpdesk.errors import Closed as Closed
from bot.helpdesk.errors import Erased as Erased
from bot.helpdesk.errors import InvalidCode as InvalidCode
from bot.helpdesk.errors import NotFound as NotFound
from bot.helpdesk.errors import TakenBy as TakenBy
from bot.helpdesk.models import (
    HelpRequest,
    Invite,
    OutboxMessage,
    RequestEvent,
    RequestMessage,
    StaffChat,
    StaffMessage,
    aware,
)
from bot.helpdesk.verify import Verifications
from bot.storage.engine import Statements
from catalog.models import Organization, Provider, Queue, Service
from catalog.texts import Texts

OPEN = ("received", "taken", "answered")
INVITE_LIFETIME = dt.timedelta(hours=24)
QUEUES_KEPT = 60.0  # seconds the queues are kept in memory (like catalogue rows, catalog/directory.py)
MAX_ID = 2**31 - 1  # request numbers are 32-bit integers; a larger one is no request
Render = Callable[[HelpRequest], Awaitable[dict[str, Any]]]  # a notice to the citizen, in their language
# A message to a staff chat, in the chat's language (None: the language of the queue's country).
StaffRender = Callable[[HelpRequest, str | None], Awaitable[dict[str, Any]]]
# The request's card for a staff chat, given its first message, in the chat's language.
CardRender = Callable[[HelpRequest, str, str | None], Awaitable[dict[str, Any]]]
Changed = Literal["no", "staff", "all"]  # a staff action changed nothing; staff are told; the citizen too
# Called with the transaction's session, the erased requests' ids and, for /forget, (channel, user_id):
# what other layers keep of them (the web inbox) goes too.
Eraser = Callable[[AsyncSession, list[int], tuple[str, str] | None], Awaitable[None]]


@dataclass
class QueueInfo:
    id: str
    provider_id: str
    country: str | None
    name: Texts
    location_id: str | None
    services: list[str]
    is_default: bool
    canned: list[Texts]


@dataclass
class Draft:
    channel: str
    user_id: str
    language: str
    queue_id: str
    service_id: str | None
    text: str
    phone: str | None = None
    location: tuple[float, float] | None = None
    key: str | None = None  # the draft's id: one draft never becomes two requests
    town: str | None = None  # the place the question was about, when the conversation knows it


def _hash(code: str) -> str:
    return hashlib.sha256(code.strip().upper().encode()).hexdigest()


@dataclass
class Summary:
    """What a list of requests shows of each one's conversation (HelpDesk.summaries)."""

    words: str | None = None  # the citizen's first message
    follow_up: bool = False  # the citizen wrote after the last staff answer


# Read at every message typed by a person who has sent a request (bot/core/dialogs/handoff.py):
# a statement of its own, without a session, which costs as much as the query.
_ANSWERED_SINCE = (
    select(HelpRequest.id)
    .join(RequestMessage, RequestMessage.request_id == HelpRequest.id)
    .where(
        HelpRequest.channel == bindparam("b_channel"),
        HelpRequest.user_id == bindparam("b_user"),
        HelpRequest.status.in_(OPEN),
        RequestMessage.author == "staff",
        RequestMessage.created_at >= bindparam("b_since"),
    )
    .order_by(RequestMessage.created_at.desc(), RequestMessage.id.desc())
    .limit(1)
)


class HelpDesk:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        now: Callable[[], dt.datetime],
        wake: Callable[[], None] = lambda: None,
        erasers: list[Eraser] | None = None,
        statements: Statements | None = None,
    ):
        self.sessions = sessions
        self.statements = statements or Statements(sessions.kw["bind"])
        self.now = now
        self.wake = wake  # tells the delivery loop there is something new in the outbox
        self.erasers = erasers if erasers is not None else []
        self._queues: list[QueueInfo] | None = None
        self._queues_at = 0.0
        self.verifications = Verifications(self)  # offices confirming their facts

    # --- queues and staff chats -----------------------------------------------------------

    async def queues(self, queue_id: str | None = None) -> list[QueueInfo]:
        """Every queue, or the one with `queue_id` (kept for a minute; a missing one is looked for)."""
        if (
            self._queues is None
            or time.monotonic() - self._queues_at > QUEUES_KEPT
            or (queue_id is not None and all(q.id != queue_id for q in self._queues))
        ):
            queues = await self._load_queues()
        else:
            queues = self._queues
        return [q for q in queues if queue_id is None or q.id == queue_id]

    async def _load_queues(self) -> list[QueueInfo]:
        query = select(Queue, Provider.country).outerjoin(Provider, Provider.id == Queue.provider_id)
        async with self.sessions() as session:
            rows = (await session.execute(query.order_by(Queue.id))).all()
        self._queues = [
            QueueInfo(
                q.id,
                q.provider_id,
                country,
                q.translations.get("name") or {"und": q.name},
                q.location_id,
                q.services or [],
                q.is_default,
                q.translations.get("canned") or [],
            )
            for q, country in rows
        ]
        self._queues_at = time.monotonic()
        return self._queues

    async def _before_write(self, queue_id: str | None = None) -> None:
        """What renderers read inside a write transaction is at hand for longer than it lasts."""
        if (
            self._queues is None
            or time.monotonic() - self._queues_at > QUEUES_KEPT / 2
            or (queue_id is not None and all(q.id != queue_id for q in self._queues))
        ):
            await self._load_queues()

    async def queue(self, queue_id: str) -> QueueInfo | None:
        return next(iter(await self.queues(queue_id)), None)

    async def queue_for(self, service_id: str | None, offices: Sequence[str] = ()) -> str | None:
        """The queue for a topic: the one whose office the person is looking at, else the one
        the topic is routed to, else its provider's default queue."""
        queues = await self.queues()
        for office in offices:
            if found := next((q.id for q in queues if q.location_id == office), None):
                return found
        if service_id is None:
            return None
        if found := next((q.id for q in queues if service_id in q.services), None):
            return found
        async with self.sessions() as session:
            provider = await session.scalar(
                select(Organization.provider_id)
                .join(Service, Service.organization_id == Organization.id)
                .where(Service.id == service_id)
            )
        return next((q.id for q in queues if q.provider_id == provider and q.is_default), None)

    async def invite(self, queue_id: str) -> str:
        if await self.queue(queue_id) is None:
            raise NotFound(queue_id)
        code = secrets.token_hex(5).upper()
        async with self.sessions() as session, session.begin():
            session.add(Invite(code_hash=_hash(code), queue_id=queue_id, expires_at=self.now() + INVITE_LIFETIME))
        return code

    async def join(self, code: str, channel: str, chat_id: str, card: CardRender) -> QueueInfo:
        """Bind a chat to the invite's queue (the code works once, for 24 hours), and send it the
        cards of the queue's open requests (rendered between two short transactions; a request
        made after the binding gets its card as any other)."""
        now = self.now()
        async with self.sessions() as session, session.begin():
            invite = await session.get(Invite, _hash(code), with_for_update=True)
            if (
                invite is None
                or invite.used_at is not None
                or aware(invite.expires_at) < now
                or await session.get(Queue, invite.queue_id) is None  # a catalogue load removed it
            ):
                raise InvalidCode(code)
            invite.used_at = now
            queue_id = invite.queue_id
            bound = await session.scalar(
                select(StaffChat).where(
                    StaffChat.queue_id == queue_id, StaffChat.channel == channel, StaffChat.chat_id == chat_id
                )
            )
            newest, lang = None, None
            if bound is None:
                lang = await session.scalar(
                    select(StaffChat.language)
                    .where(StaffChat.channel == channel, StaffChat.chat_id == chat_id)
                    .limit(1)
                )  # a chat bound to other queues keeps the language it chose
                session.add(StaffChat(queue_id=queue_id, channel=channel, chat_id=chat_id, bound_at=now, language=lang))
                newest = await session.scalar(select(func.max(HelpRequest.id))) or 0
        if newest:
            await self._before_write(queue_id)
            async with self.sessions() as session:
                requests = (
                    await session.scalars(
                        select(HelpRequest)
                        .where(HelpRequest.queue_id == queue_id, HelpRequest.status.in_(OPEN), HelpRequest.id <= newest)
                        .order_by(HelpRequest.id)
                    )
                ).all()
                firsts = {}
                for request in requests:
                    firsts[request.id] = await session.scalar(
                        select(RequestMessage.text)
                        .where(RequestMessage.request_id == request.id, RequestMessage.author == "citizen")
                        .order_by(RequestMessage.id)
                        .limit(1)
                    )
            cards = [(request.id, await card(request, firsts[request.id] or "", lang)) for request in requests]
            if cards:
                async with self.sessions() as session, session.begin():
                    for request_id, message in cards:
                        self._enqueue(session, channel, chat_id, message, request_id, to_staff=True, card=True)
                self.wake()
        info = await self.queue(queue_id)
        if info is None:  # removed by a catalogue load since the transaction
            raise InvalidCode(code)
        return info

    async def bind_everywhere(self, channel: str, chat_id: str) -> None:
        """Bind a chat to every queue, without a code: the local staff view, which is opened
        with the token printed at start-up."""
        queues = await self.queues()
        async with self.sessions() as session, session.begin():
            bound = set(
                (
                    await session.scalars(
                        select(StaffChat.queue_id).where(StaffChat.channel == channel, StaffChat.chat_id == chat_id)
                    )
                ).all()
            )
            for queue in queues:
                if queue.id not in bound:
                    session.add(StaffChat(queue_id=queue.id, channel=channel, chat_id=chat_id, bound_at=self.now()))

    async def staffed_queues(self, overseers: Collection[str] = ()) -> set[str]:
        """The queues someone works in: bound to at least one staff chat besides the `overseers`
        (chat ids that watch every queue, such as admins'); a request sent elsewhere waits unseen."""
        query = select(StaffChat.queue_id).distinct()
        if overseers:
            query = query.where(StaffChat.chat_id.not_in(list(overseers)))
        async with self.sessions() as session:
            return set((await session.scalars(query)).all())

    async def staff_queues(self, channel: str, chat_id: str) -> list[str]:
        async with self.sessions() as session:
            return list(
                (
                    await session.scalars(
                        select(StaffChat.queue_id).where(StaffChat.channel == channel, StaffChat.chat_id == chat_id)
                    )
                ).all()
            )

    # --- the citizen's side ---------------------------------------------------------------

    async def create(self, draft: Draft, card: CardRender) -> HelpRequest:
        """A request from a draft; a draft that became a request before (its confirmation was
        lost to a crash, or the update was delivered again) gives that request, not a new one."""
        await self._before_write(draft.queue_id)
        now = self.now()
        try:
            async with self.sessions() as session, session.begin():
                if draft.key and (
                    made := await session.scalar(select(HelpRequest).where(HelpRequest.draft_key == draft.key))
                ):
                    return made
                request = HelpRequest(
                    queue_id=draft.queue_id,
                    channel=draft.channel,
                    user_id=draft.user_id,
                    language=draft.language,
                    service_id=draft.service_id,
                    phone=draft.phone,
                    status="received",
                    created_at=now,
                    latitude=draft.location[0] if draft.location else None,
                    longitude=draft.location[1] if draft.location else None,
                    draft_key=draft.key,
                    town=draft.town,
                )
                session.add(request)
                await session.flush()
                session.add(RequestMessage(request_id=request.id, author="citizen", text=draft.text, created_at=now))
                self._event(session, request, "created")
                await self._to_staff(session, request, lambda r, lang: card(r, draft.text, lang), card=True)
        except IntegrityError:  # the same draft, at the same moment, on another worker
            if not draft.key:
                raise
            async with self.sessions() as session:
                made = await session.scalar(select(HelpRequest).where(HelpRequest.draft_key == draft.key))
            if made is None:
                raise
            return made
        self.wake()
        return request

    async def add_from_citizen(
        self, request_id: int, channel: str, user_id: str, text: str, relay: StaffRender
    ) -> HelpRequest:
        """The citizen's message, relayed to staff; an answered request needs their attention again."""
        await self._before_write()
        async with self.sessions() as session, session.begin():
            request = await self._citizens(session, request_id, channel, user_id)
            session.add(RequestMessage(request_id=request.id, author="citizen", text=text, created_at=self.now()))
            if request.status == "answered":
                request.status = "taken" if request.taken_at else "received"
            self._event(session, request, "citizen")
            await self._to_staff(session, request, relay)
        self.wake()
        return request

    async def requests_of(self, channel: str, user_id: str) -> list[HelpRequest]:
        async with self.sessions() as session:
            return list(
                (
                    await session.scalars(
                        select(HelpRequest)
                        .where(HelpRequest.channel == channel, HelpRequest.user_id == user_id)
                        .order_by(HelpRequest.id)
                    )
                ).all()
            )

    async def answered_since(self, channel: str, user_id: str, since: dt.datetime) -> int | None:
        """The person's open request with the newest staff reply after `since`; None when staff
        have not answered any open request of theirs since then."""
        rows = await self.statements.run(
            _ANSWERED_SINCE, {"b_channel": channel, "b_user": user_id, "b_since": since}, write=False
        )
        return rows[0].id if rows else None

    async def request_of(self, channel: str, user_id: str, request_id: int) -> HelpRequest | None:
        """One of the person's requests; None when it is not theirs (or no longer holds who it was)."""
        if not 0 < request_id <= MAX_ID:
            return None
        async with self.sessions() as session:
            request = await session.get(HelpRequest, request_id)
        return request if request and request.channel == channel and request.user_id == user_id else None

    async def forget(self, channel: str, user_id: str) -> int:
        """Erase a citizen's requests (closing the open ones) and drop what was not yet sent to them."""
        now = self.now()
        async with self.sessions() as session, session.begin():
            ids = list(
                (
                    await session.scalars(
                        select(HelpRequest.id).where(HelpRequest.channel == channel, HelpRequest.user_id == user_id)
                    )
                ).all()
            )
            await self._erase(session, ids, now, person=(channel, user_id))
            await session.execute(
                delete(OutboxMessage).where(
                    OutboxMessage.channel == channel,
                    OutboxMessage.chat_id == user_id,
                    OutboxMessage.status == "pending",
                )
            )
            # what was sent to them: the row stays for the statistics, without whom it went to
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.channel == channel, OutboxMessage.chat_id == user_id)
                .values(chat_id="", message={})
            )
        return len(ids)

    # --- the staff's side -----------------------------------------------------------------

    async def open_requests(self, channel: str, chat_id: str) -> list[HelpRequest]:
        queues = await self.staff_queues(channel, chat_id)
        async with self.sessions() as session:
            return list(
                (
                    await session.scalars(
                        select(HelpRequest)
                        .where(HelpRequest.queue_id.in_(queues), HelpRequest.status.in_(OPEN))
                        .order_by(HelpRequest.id)
                    )
                ).all()
            )

    async def request_for_message(self, channel: str, chat_id: str, message_id: str) -> int | None:
        async with self.sessions() as session:
            return await session.scalar(
                select(StaffMessage.request_id).where(
                    StaffMessage.channel == channel,
                    StaffMessage.chat_id == chat_id,
                    StaffMessage.message_id == message_id,
                )
            )

    async def summaries(self, request_ids: Sequence[int]) -> dict[int, "Summary"]:
        """For a list of requests, in one query: each one's first words from the citizen (none once
        erased), and whether the citizen wrote again after staff answered (it needs staff again)."""
        found: dict[int, Summary] = {}
        if not request_ids:
            return found
        async with self.sessions() as session:
            rows = await session.execute(
                select(RequestMessage.request_id, RequestMessage.author, RequestMessage.text)
                .where(RequestMessage.request_id.in_(list(request_ids)), RequestMessage.author != "note")
                .order_by(RequestMessage.id)
            )
            answered: set[int] = set()
            for request_id, author, text in rows:
                summary = found.setdefault(request_id, Summary())
                if author == "staff":
                    answered.add(request_id)
                    summary.follow_up = False
                    continue
                if summary.words is None and text:
                    summary.words = text
                summary.follow_up = request_id in answered
        return found

    async def messages(self, request_id: int) -> list[RequestMessage]:
        async with self.sessions() as session:
            return list(
                (
                    await session.scalars(
                        select(RequestMessage)
                        .where(RequestMessage.request_id == request_id)
                        .order_by(RequestMessage.id)
                    )
                ).all()
            )

    async def take(
        self,
        request_id: int,
        channel: str,
        chat_id: str,
        notify: Render | None = None,
        *,
        by: str | None = None,
        tell: StaffRender | None = None,
    ) -> HelpRequest:
        """The staff member `by` takes the request (one taken already stays whose it is); the
        citizen is told (`notify`) when it was waiting, the queue's other staff chats who took it (`tell`)."""

        async def change(session: AsyncSession, request: HelpRequest, now: dt.datetime) -> Changed:
            if request.taken_at is not None:
                if request.taken_by and request.taken_by != by:
                    raise TakenBy(request.id, request.taken_by, "take")  # not "yours": a colleague has it
                return "no"
            request.taken_at, request.taken_by = now, by
            if request.first_response_at is None:
                request.first_response_at = now
            self._event(session, request, "taken", by)
            if request.status != "received":  # answered before anyone took it: the citizen knows
                return "staff"
            request.status = "taken"
            return "all"

        return await self._act(request_id, channel, chat_id, change, notify, tell)

    async def close(
        self,
        request_id: int,
        channel: str,
        chat_id: str,
        notify: Render | None = None,
        *,
        by: str | None = None,
        tell: StaffRender | None = None,
    ) -> HelpRequest:
        async def change(session: AsyncSession, request: HelpRequest, now: dt.datetime) -> Changed:
            self._event(session, request, "closed", by, detail=request.status)  # reopen goes back to it
            request.status, request.closed_at = "closed", now
            return "all"

        return await self._act(request_id, channel, chat_id, change, notify, tell)

    async def reply(
        self,
        request_id: int,
        channel: str,
        chat_id: str,
        text: str,
        relay: Render,
        *,
        by: str | None = None,
        tell: StaffRender | None = None,
    ) -> HelpRequest:
        async def change(session: AsyncSession, request: HelpRequest, now: dt.datetime) -> Changed:
            session.add(RequestMessage(request_id=request.id, author="staff", text=text, created_at=now))
            request.status = "answered"
            if request.first_response_at is None:
                request.first_response_at = now
            self._event(session, request, "answered", by)
            return "all"

        return await self._act(request_id, channel, chat_id, change, relay, tell)

    async def note(
        self,
        request_id: int,
        channel: str,
        chat_id: str,
        text: str,
        *,
        by: str | None = None,
        tell: StaffRender | None = None,
    ) -> HelpRequest:
        """A private note: stored with the request, never sent to the citizen (a closed request takes notes too)."""

        async def change(session: AsyncSession, request: HelpRequest, now: dt.datetime) -> Changed:
            session.add(RequestMessage(request_id=request.id, author="note", text=text, created_at=now))
            self._event(session, request, "note", by)
            return "all"

        return await self._act(request_id, channel, chat_id, change, None, tell, closed_too=True)

    async def release(
        self,
        request_id: int,
        channel: str,
        chat_id: str,
        notify: Render | None = None,
        *,
        by: str | None = None,
        tell: StaffRender | None = None,
    ) -> HelpRequest:
        """Nobody's any more: back among the requests waiting to be taken (an answered one stays answered)."""

        async def change(session: AsyncSession, request: HelpRequest, now: dt.datetime) -> Changed:
            if request.taken_at is None:
                return "no"
            if request.taken_by and request.taken_by != by:
                raise TakenBy(request.id, request.taken_by, "release")
            request.taken_at, request.taken_by = None, None
            if request.status == "taken":
                request.status = "received"
            self._event(session, request, "released", by)
            return "all"

        return await self._act(request_id, channel, chat_id, change, notify, tell)

    async def reopen(
        self,
        request_id: int,
        channel: str,
        chat_id: str,
        notify: Render | None = None,
        *,
        by: str | None = None,
        tell: StaffRender | None = None,
    ) -> HelpRequest:
        """Undo a close: the request is back as it was before, with its messages and notes (until
        its personal data is erased: then NotFound)."""

        async def change(session: AsyncSession, request: HelpRequest, now: dt.datetime) -> Changed:
            if request.status != "closed":
                return "no"
            if request.erased_at is not None:
                raise NotFound(request.id)
            before = await session.scalar(
                select(RequestEvent.detail)
                .where(RequestEvent.request_id == request.id, RequestEvent.action == "closed")
                .order_by(RequestEvent.id.desc())
                .limit(1)
            )
            request.status = before if before in OPEN else "taken" if request.taken_at else "received"
            request.closed_at = None
            self._event(session, request, "reopened", by)
            return "all"

        return await self._act(request_id, channel, chat_id, change, notify, tell, closed_too=True)

    async def transfer(
        self,
        request_id: int,
        channel: str,
        chat_id: str,
        queue_id: str,
        card: CardRender,
        *,
        by: str | None = None,
        notify: Render | None = None,
        tell: StaffRender | None = None,
    ) -> HelpRequest:
        """To another queue: its staff chats get the card (with the first message), the first
        queue's chats are told (`tell`, rendered while the request is still theirs) and lose it;
        it waits to be taken again."""
        if await self.queue(queue_id) is None:
            raise NotFound(queue_id)
        await self._before_write(queue_id)

        async def change(session: AsyncSession, request: HelpRequest, now: dt.datetime) -> Changed:
            if request.queue_id == queue_id:
                return "no"
            if tell is not None:
                await self._to_staff(session, request, tell, but=(channel, chat_id))
            self._event(session, request, "transferred", by, detail=f"{request.queue_id}>{queue_id}"[:200])
            request.queue_id = queue_id
            request.status, request.taken_at, request.taken_by, request.reminded_at = "received", None, None, None
            first = await session.scalar(
                select(RequestMessage.text)
                .where(RequestMessage.request_id == request.id, RequestMessage.author == "citizen")
                .order_by(RequestMessage.id)
                .limit(1)
            )
            await self._to_staff(session, request, lambda r, lang: card(r, first or "", lang), card=True)
            return "all"

        return await self._act(request_id, channel, chat_id, change, notify, None)

    async def _act(
        self,
        request_id: int,
        channel: str,
        chat_id: str,
        change: Callable[[AsyncSession, HelpRequest, dt.datetime], Awaitable[Changed]],
        notify: Render | None,
        tell: StaffRender | None,
        closed_too: bool = False,
    ) -> HelpRequest:
        """A staff member's change of a request of their queue, with its audit event (written by
        `change`, which says who is to be told of it): the citizen (`notify`) and the queue's
        other staff chats (`tell`)."""
        await self._before_write()
        now = self.now()
        async with self.sessions() as session, session.begin():
            request = await self._staffs(session, request_id, channel, chat_id)
            if request.status == "closed" and not closed_too:
                raise Erased(request_id) if request.erased_at is not None else Closed(request_id)
            changed = await change(session, request, now)
            if changed == "no":
                return request  # nothing changed: nothing is sent twice
            if changed == "all" and notify is not None and request.user_id and not request.citizen_unreachable:
                self._enqueue(session, request.channel, request.user_id, await notify(request), request.id)
            if tell is not None:
                await self._to_staff(session, request, tell, but=(channel, chat_id))
        self.wake()
        return request

    async def events(self, request_id: int) -> list[RequestEvent]:
        """The request's audit trail, oldest first."""
        async with self.sessions() as session:
            return list(
                (
                    await session.scalars(
                        select(RequestEvent).where(RequestEvent.request_id == request_id).order_by(RequestEvent.id)
                    )
                ).all()
            )

    async def search(
        self,
        queue_ids: Sequence[str],
        *,
        text: str | None = None,
        number: int | None = None,
        statuses: Sequence[str] | None = None,
        limit: int = 50,
    ) -> list[HelpRequest]:
        """The queues' requests, open and closed, newest first: by number, and/or whose messages
        (the citizen's, staff's, notes) hold `text`, whatever its case."""
        query = select(HelpRequest).where(HelpRequest.queue_id.in_(list(queue_ids)))
        if number is not None:
            if not 0 < number <= MAX_ID:
                return []
            query = query.where(HelpRequest.id == number)
        if statuses:
            query = query.where(HelpRequest.status.in_(list(statuses)))
        if text and text.strip():
            words = text.strip()
            # SQLite lowers only ASCII letters: the usual spellings of a Cyrillic word are asked too
            spellings = {words, words.lower(), words.capitalize(), words.upper()}
            query = query.where(
                HelpRequest.id.in_(
                    select(RequestMessage.request_id).where(
                        or_(*(RequestMessage.text.icontains(s, autoescape=True) for s in sorted(spellings)))
                    )
                )
            )
        async with self.sessions() as session:
            return list((await session.scalars(query.order_by(HelpRequest.id.desc()).limit(limit))).all())

    async def request(self, request_id: int, channel: str, chat_id: str) -> HelpRequest:
        """A request of the chat's queues (NotFound, AccessDenied otherwise)."""
        async with self.sessions() as session:
            return await self._staffs(session, request_id, channel, chat_id, lock=False)

    async def set_language(self, channel: str, chat_id: str, lang: str | None) -> None:
        """What staff read in this chat, in every queue it is bound to (None: each queue's country's)."""
        async with self.sessions() as session, session.begin():
            await session.execute(
                update(StaffChat)
                .where(StaffChat.channel == channel, StaffChat.chat_id == chat_id)
                .values(language=lang)
            )

    async def chat_language(self, channel: str, chat_id: str) -> str | None:
        async with self.sessions() as session:
            return await session.scalar(
                select(StaffChat.language)
                .where(StaffChat.channel == channel, StaffChat.chat_id == chat_id, StaffChat.language.is_not(None))
                .limit(1)
            )

    # --- time-driven duties ---------------------------------------------------------------

    async def due_reminders(self, overdue: Callable[[HelpRequest], bool], remind: StaffRender) -> int:
        """Remind staff once of each request `overdue` (waiting for its first response too long,
        bot/helpdesk/worktime.py)."""
        count = 0
        await self._before_write()
        async with self.sessions() as session, session.begin():
            for request in (
                await session.scalars(
                    select(HelpRequest).where(HelpRequest.status == "received", HelpRequest.reminded_at.is_(None))
                )
            ).all():
                if overdue(request):
                    request.reminded_at = self.now()
                    self._event(session, request, "reminded")
                    await self._to_staff(session, request, remind)
                    count += 1
        if count:
            self.wake()
        return count

    async def erase_expired(self, retention: dt.timedelta) -> int:
        """Erase the personal data of requests closed longer than `retention` ago."""
        now = self.now()
        async with self.sessions() as session, session.begin():
            ids = list(
                (
                    await session.scalars(
                        select(HelpRequest.id).where(
                            HelpRequest.status == "closed",
                            HelpRequest.erased_at.is_(None),
                            HelpRequest.closed_at < now - retention,
                        )
                    )
                ).all()
            )
            await self._erase(session, ids, now)
        return len(ids)

    async def report(self, queue_id: str) -> str:
        """The queue's anonymous statistics as CSV."""
        if await self.queue(queue_id) is None:
            raise NotFound(queue_id)
        async with self.sessions() as session:
            requests = (await session.scalars(select(HelpRequest).where(HelpRequest.queue_id == queue_id))).all()
            # what staff did in this queue, also to requests transferred since
            trail = (
                await session.scalars(
                    select(RequestEvent).where(RequestEvent.queue_id == queue_id).order_by(RequestEvent.id)
                )
            ).all()
            created = dict(
                (
                    await session.execute(
                        select(HelpRequest.id, HelpRequest.created_at).where(
                            HelpRequest.id.in_(select(RequestEvent.request_id).where(RequestEvent.queue_id == queue_id))
                        )
                    )
                ).all()
            )
        waits = [
            (aware(r.first_response_at) - aware(r.created_at)).total_seconds() / 60
            for r in requests
            if r.first_response_at
        ]
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["metric", "key", "value"])
        writer.writerow(["requests", "total", len(requests)])
        for status, n in sorted(Counter(r.status for r in requests).items()):
            writer.writerow(["requests", status, n])
        writer.writerow(["first_response_minutes", "answered", len(waits)])
        if waits:
            writer.writerow(["first_response_minutes", "median", round(statistics.median(waits), 1)])
            writer.writerow(["first_response_minutes", "mean", round(statistics.fmean(waits), 1)])
        for topic, n in sorted(Counter(r.service_id or "other" for r in requests).items()):
            writer.writerow(["topic", topic, n])
        for row in _by_staff(created, trail):
            writer.writerow(row)
        return out.getvalue()

    # --- inside ---------------------------------------------------------------------------

    async def _citizens(self, session: AsyncSession, request_id: int, channel: str, user_id: str) -> HelpRequest:
        if not 0 < request_id <= MAX_ID:
            raise NotFound(request_id)
        request = await session.get(HelpRequest, request_id, with_for_update=True)
        if request is None or request.channel != channel or request.user_id != user_id:
            raise NotFound(request_id)
        if request.status == "closed":
            raise Closed(request_id)
        return request

    async def _staffs(
        self, session: AsyncSession, request_id: int, channel: str, chat_id: str, lock: bool = True
    ) -> HelpRequest:
        if not 0 < request_id <= MAX_ID:
            raise NotFound(request_id)
        request = await session.get(HelpRequest, request_id, with_for_update=lock)
        if request is None:
            raise NotFound(request_id)
        allowed = await session.scalar(
            select(StaffChat.id).where(
                StaffChat.queue_id == request.queue_id, StaffChat.channel == channel, StaffChat.chat_id == chat_id
            )
        )
        if allowed is None:
            raise AccessDenied(request_id)
        return request

    async def _to_staff(
        self,
        session: AsyncSession,
        request: HelpRequest,
        render: StaffRender,
        card: bool = False,
        but: tuple[str, str] | None = None,
    ) -> None:
        """A message to each staff chat of the request's queue (`but` the one that acted), in the chat's language."""
        rendered: dict[str | None, dict[str, Any]] = {}
        chats = (
            await session.scalars(
                select(StaffChat).where(StaffChat.queue_id == request.queue_id).order_by(StaffChat.id)
            )
        ).all()
        for chat in chats:
            if (chat.channel, chat.chat_id) == but:
                continue
            if chat.language not in rendered:
                rendered[chat.language] = await render(request, chat.language)
            message = rendered[chat.language]
            self._enqueue(session, chat.channel, chat.chat_id, message, request.id, to_staff=True, card=card)

    def _event(
        self, session: AsyncSession, request: HelpRequest, action: str, by: str | None = None, detail: str | None = None
    ) -> None:
        session.add(
            RequestEvent(
                request_id=request.id,
                queue_id=request.queue_id,
                at=self.now(),
                action=action,
                by=by[:200] if by else None,
                detail=detail,
            )
        )

    def _enqueue(
        self,
        session: AsyncSession,
        channel: str,
        chat_id: str,
        message: dict[str, Any],
        request_id: int | None,
        to_staff: bool = False,
        card: bool = False,
    ) -> None:
        now = self.now()
        session.add(
            OutboxMessage(
                channel=channel,
                chat_id=chat_id,
                message=message,
                request_id=request_id,
                to_staff=to_staff,
                card=card,
                status="pending",
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
        )

    async def _erase(
        self, session: AsyncSession, ids: list[int], now: dt.datetime, person: tuple[str, str] | None = None
    ) -> None:
        for erase in self.erasers:
            await erase(session, ids, person)
        if not ids:
            return
        await session.execute(
            update(HelpRequest)
            .where(HelpRequest.id.in_(ids))
            .values(user_id=None, phone=None, latitude=None, longitude=None, erased_at=now, draft_key=None)
        )
        await session.execute(
            update(HelpRequest)
            .where(HelpRequest.id.in_(ids), HelpRequest.status != "closed")
            .values(status="closed", closed_at=now)
        )
        await session.execute(update(RequestMessage).where(RequestMessage.request_id.in_(ids)).values(text=None))
        await session.execute(update(OutboxMessage).where(OutboxMessage.request_id.in_(ids)).values(message={}))
        # The trail says why the texts are gone: at the citizen's request (/forget), or after retention.
        detail = "citizen" if person else "retention"
        for request_id, queue_id in (
            await session.execute(select(HelpRequest.id, HelpRequest.queue_id).where(HelpRequest.id.in_(ids)))
        ).all():
            session.add(RequestEvent(request_id=request_id, queue_id=queue_id, at=now, action="erased", detail=detail))
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.request_id.in_(ids), OutboxMessage.to_staff.is_(False))
            .values(chat_id="")
        )


def _by_staff(created_at: dict[int, dt.datetime], trail: Sequence[RequestEvent]) -> list[tuple[str, str, float | int]]:
    """Per staff member (by name), from the audit trail: how many requests they took, answered and
    closed, and the median minutes to the first response (when it was theirs) and to their close."""
    created = {number: aware(moment) for number, moment in created_at.items()}
    handled: dict[str, dict[str, set[int]]] = {}
    first: dict[str, list[float]] = {}
    closing: dict[str, list[float]] = {}
    responded: set[int] = set()
    closes: dict[int, tuple[str | None, float]] = {}  # the close that stands (an undone one does not count)
    for event in trail:
        if event.action == "reopened":
            closes.pop(event.request_id, None)
        if event.action not in ("taken", "answered", "closed"):
            continue
        minutes = (aware(event.at) - created[event.request_id]).total_seconds() / 60
        if event.action == "closed":
            closes[event.request_id] = (event.by, minutes)
            continue
        if event.request_id not in responded:
            responded.add(event.request_id)
            if event.by:
                first.setdefault(event.by, []).append(minutes)
        if event.by:
            handled.setdefault(event.by, {}).setdefault(event.action, set()).add(event.request_id)
    for request_id, (by, minutes) in closes.items():
        if by:
            handled.setdefault(by, {}).setdefault("closed", set()).add(request_id)
            closing.setdefault(by, []).append(minutes)
    rows: list[tuple[str, str, float | int]] = []
    for name in sorted(handled):
        for action in ("taken", "answered", "closed"):
            rows.append((f"staff_{action}", _cell(name), len(handled[name].get(action, ()))))
        if first.get(name):
            rows.append(("staff_first_response_minutes_median", _cell(name), round(statistics.median(first[name]), 1)))
        if closing.get(name):
            rows.append(("staff_close_minutes_median", _cell(name), round(statistics.median(closing[name]), 1)))
    return rows


def _cell(name: str) -> str:
    """A name as a CSV cell a spreadsheet shows as text: a messenger name may begin with "=" or "+"."""
    return "'" + name if name.startswith(("=", "+", "-", "@", "\t", "\r")) else name
