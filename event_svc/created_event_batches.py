"""oadrCreatedEvent messages handled many at a time: every one of a consumer fetch in one transaction.

When an event reaches a thousand VENs, their answers arrive within the same second or two; one transaction
each would cost event_svc and PostgreSQL a round trip per statement per answer. Here a fetch's answers cost
one inbox claim, one registration look-up, the statements of event_svc.created_events, the replies' inbox
update and the commit. Each message keeps its inbox row and its own answer, as on the one-by-one path: a
redelivered message gets its stored answer and publishes nothing again.
"""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from event_svc.created_events import Answering, take_answers
from shared.contract.envelope import Envelope, utcnow
from shared.contract.ven_traffic import ContractModel, VenReply, VenRequest
from shared.db import inbox
from shared.db.outbox import OutboxRelay
from shared.db.vens import in_another_profile, profiles_in_force, unregistered
from shared.oadr.event import CreatedEvent


class CreatedEventBatches:
    def __init__(self, pool: asyncpg.Pool, consumer_name: str, relay: OutboxRelay) -> None:
        self._pool = pool
        self._consumer_name = consumer_name
        self._relay = relay

    def accepts(self, envelope: Envelope) -> bool:
        request = envelope.payload
        return isinstance(request, VenRequest) and isinstance(request.message, CreatedEvent)

    async def handle_batch(self, envelopes: Sequence[Envelope]) -> list[ContractModel | None]:
        messages = [_created_event(envelope) for envelope in envelopes]
        ids = [envelope.message_id for envelope in envelopes]
        async with self._pool.acquire() as conn, conn.transaction():
            claimed = await inbox.claim_many(conn, self._consumer_name, ids)
            fresh = _first_of_each(ids, claimed)
            earlier = await inbox.stored_replies(conn, self._consumer_name, [m for m in ids if m not in claimed])
            profiles = await profiles_in_force(conn, {messages[i].ven_id for i in fresh})
            replies: dict[str, VenReply] = {ids[i]: unregistered(messages[i].ven_id) for i in fresh}
            answering = []
            for i in fresh:
                ven_id, request_profile = messages[i].ven_id, _profile_of(envelopes[i])
                profile = profiles.get(ven_id)
                if profile is not None and profile != request_profile:  # a VEN is served in its own profile only
                    replies[ids[i]] = in_another_profile(ven_id, profile, request_profile)
                elif profile is not None:
                    answering.append(i)
            taken = await take_answers(conn, [Answering(messages[i].ven_id, messages[i]) for i in answering], utcnow())
            replies.update({ids[i]: VenReply(message=answer) for i, answer in zip(answering, taken, strict=True)})
            await inbox.record_replies(conn, self._consumer_name, [(ids[i], replies[ids[i]]) for i in fresh])
        self._relay.wake()
        return [replies[m] if m in replies else earlier.get(m) for m in ids]


def _first_of_each(ids: list[str], claimed: set[str]) -> list[int]:
    """The positions of the claimed message ids, each id's first occurrence only (a repeat gets its reply)."""
    seen: set[str] = set()
    first = []
    for position, message_id in enumerate(ids):
        if message_id in claimed and message_id not in seen:
            first.append(position)
        seen.add(message_id)
    return first


def _profile_of(envelope: Envelope) -> str:
    request = envelope.payload
    assert isinstance(request, VenRequest)
    return request.context.profile.value


def _created_event(envelope: Envelope) -> CreatedEvent:
    request = envelope.payload
    if not isinstance(request, VenRequest) or not isinstance(request.message, CreatedEvent):
        raise TypeError(f"not an oadrCreatedEvent: {envelope.type}")
    return request.message
