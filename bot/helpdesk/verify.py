"""Offices confirm their own facts from their staff chats: which offices a queue has, when an
office is asked (its facts due: unknown ones at once, known ones every VERIFY_MONTHS), and the
state of each question (asked → fixing → proposed → asked again once saved, → done).

Texts are rendered by the caller (`render` receives the verification), as for requests."""

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from dateutil.relativedelta import relativedelta
from sqlalchemy import select

from bot.helpdesk.errors import NotFound
from bot.helpdesk.models import StaffChat, Verification, aware
from catalog.corrections import VERIFY_MONTHS, office_facts
from catalog.models import Organization, Service, ServiceAtLocation

if TYPE_CHECKING:
    from bot.helpdesk.desk import HelpDesk

OPEN = ("asked", "fixing", "proposed")
SENDING = "sending"  # recorded, its message not yet queued
ACTIVE = "active"
Render = Callable[[Verification], Awaitable[dict[str, Any] | None]]


class Verifications:
    def __init__(self, desk: "HelpDesk"):
        self.desk = desk

    async def offices(self, queue_id: str) -> list[str]:
        """The offices (locations) of a queue: its own office first, then where the services it
        takes are given (a default queue takes its provider's services no other queue takes);
        offices where only closed or ended services were given are left out."""
        queues = await self.desk.queues()
        queue = next((q for q in queues if q.id == queue_id), None)
        if queue is None:
            return []
        elsewhere = {s for q in queues if q.provider_id == queue.provider_id and q.id != queue.id for s in q.services}
        async with self.desk.sessions() as session:
            services = set(queue.services)
            if queue.is_default:
                services |= (
                    set(
                        (
                            await session.scalars(
                                select(Service.id)
                                .join(Organization, Organization.id == Service.organization_id)
                                .where(Organization.provider_id == queue.provider_id)
                            )
                        ).all()
                    )
                    - elsewhere
                )
            locations = set(
                (
                    await session.scalars(
                        select(ServiceAtLocation.location_id)
                        .join(Service, Service.id == ServiceAtLocation.service_id)
                        .where(Service.id.in_(sorted(services)), Service.status == ACTIVE)
                    )
                ).all()
            )
        first = [queue.location_id] if queue.location_id else []
        return first + sorted(locations - set(first))

    async def ask(
        self,
        render: Render,
        queue_id: str | None = None,
        channel: str | None = None,
        chat_id: str | None = None,
        force: bool = False,
    ) -> int:
        """Send each bound staff chat (of the queue, or the one chat) a question per office
        whose facts are due, unless that chat was asked about it within VERIFY_MONTHS; with
        `force` (`opora staff verify`), about every office of the queue at once."""
        now = self.desk.now()
        today = now.date()
        recent = now - relativedelta(months=VERIFY_MONTHS)
        query = select(StaffChat)
        if queue_id is not None:
            query = query.where(StaffChat.queue_id == queue_id)
        if channel is not None:
            query = query.where(StaffChat.channel == channel, StaffChat.chat_id == chat_id)
        async with self.desk.sessions() as session:
            chats = (await session.scalars(query.order_by(StaffChat.id))).all()
        due: dict[str, bool] = {}
        count = 0
        for chat in chats:
            for location_id in await self.offices(chat.queue_id):
                if not force:
                    if location_id not in due:
                        facts = await office_facts(self.desk.sessions, location_id)
                        due[location_id] = facts is not None and facts.due(today)
                    if not due[location_id]:
                        continue
                # Recorded first as "sending", then rendered outside any write (the card reads the
                # catalogue), then queued with its message: a crash in between leaves a "sending"
                # row, which does not count as asked, so the office is asked again next time.
                async with self.desk.sessions() as session, session.begin():
                    last = await session.scalar(
                        select(Verification.asked_at)
                        .where(
                            Verification.channel == chat.channel,
                            Verification.chat_id == chat.chat_id,
                            Verification.location_id == location_id,
                            Verification.status != SENDING,
                        )
                        .order_by(Verification.id.desc())
                        .limit(1)
                    )
                    if not force and last is not None and aware(last) > recent:
                        continue
                    asked = Verification(
                        queue_id=chat.queue_id,
                        location_id=location_id,
                        channel=chat.channel,
                        chat_id=chat.chat_id,
                        status=SENDING,
                        asked_at=now,
                    )
                    session.add(asked)
                    await session.flush()
                message = await render(asked)  # none for a view that lists its questions itself
                async with self.desk.sessions() as session, session.begin():
                    row = await session.get(Verification, asked.id)
                    if row is None:  # erased meanwhile
                        continue
                    row.status = asked.status = "asked"
                    if message:
                        self.desk._enqueue(session, chat.channel, chat.chat_id, message, None, to_staff=True)
                count += 1
        if count:
            self.desk.wake()
        return count

    async def of_chat(self, channel: str, chat_id: str, open_only: bool = True) -> list[Verification]:
        query = select(Verification).where(Verification.channel == channel, Verification.chat_id == chat_id)
        if open_only:
            query = query.where(Verification.status.in_(OPEN))
        async with self.desk.sessions() as session:
            return list((await session.scalars(query.order_by(Verification.id))).all())

    async def get(self, verification_id: int, channel: str, chat_id: str) -> Verification:
        """The chat's own question; NotFound for any other (another chat's, or none)."""
        async with self.desk.sessions() as session:
            found = await session.get(Verification, verification_id)
        if found is None or (found.channel, found.chat_id) != (channel, chat_id):
            raise NotFound(verification_id)
        return found

    async def fixing(self, channel: str, chat_id: str, user_id: str) -> Verification | None:
        """The question whose correction this staff member is typing, if any."""
        async with self.desk.sessions() as session:
            return await session.scalar(
                select(Verification)
                .where(
                    Verification.channel == channel,
                    Verification.chat_id == chat_id,
                    Verification.status == "fixing",
                    Verification.fixer == user_id,
                )
                .order_by(Verification.id.desc())
                .limit(1)
            )

    async def change(
        self,
        verification_id: int,
        channel: str,
        chat_id: str,
        status: str,
        *,
        fixer: str | None = None,
        proposal: dict[str, Any] | None = None,
        by: str | None = None,
    ) -> Verification:
        """Move a question of the chat to `status`; a staff member typing a correction for another
        office of the chat stops doing so."""
        await self.get(verification_id, channel, chat_id)
        async with self.desk.sessions() as session, session.begin():
            found = await session.get(Verification, verification_id, with_for_update=True)
            if found is None:  # erased meanwhile
                raise NotFound(verification_id)
            if status == "fixing":
                for other in (
                    await session.scalars(
                        select(Verification).where(
                            Verification.channel == channel,
                            Verification.chat_id == chat_id,
                            Verification.status == "fixing",
                            Verification.fixer == fixer,
                            Verification.id != verification_id,
                        )
                    )
                ).all():
                    other.status, other.fixer = "asked", None
            found.status, found.fixer, found.proposal = status, fixer, proposal
            if by is not None:
                found.answered_at, found.answered_by = self.desk.now(), by[:200]
        return found
