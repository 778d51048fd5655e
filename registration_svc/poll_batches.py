"""The poll-requests topic, a consumer fetch at a time: forwarded polls and records of handouts.

When 10,000 VENs poll every 10 s and their cached answers are gone (they just registered, or an event
changed for all of them), a thousand polls a second come here. One statement and one reply each would keep
the service waiting on round trips while the gateways' reply timeout runs out; here the polls of a fetch
take their VENs' next messages in one statement (pending.take_for_polls) and their replies go to Kafka
together. A VEN polling twice in one fetch has its second poll taken in a later statement of the same
transaction, so it gets the message after the first one's. What a take leaves (a message whose delivery
changes the registration) goes through PollHandler's transactional path, after the batch's statements.

Records of handouts are marked many at a time (registration_svc.handout_records). A fetch is cut where a VEN
has a handout record and a poll (shared.bus.batch_segments), so a VEN's record is applied before its later
poll is taken, and the reverse.

With VTN_ON_POLL set, polls are not batched: the handler is asked per poll (registration_svc.poll_hook).
"""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from registration_svc.handout_records import HandoutRecords
from registration_svc.polls import NEEDS_TRANSACTION, PollHandler, poll_of, profile_of
from shared.bus.batch_segments import segments
from shared.contract.envelope import Envelope
from shared.contract.ven_traffic import ContractModel
from shared.db import pending


def distinct_rounds(envelopes: Sequence[Envelope]) -> list[list[int]]:
    """The positions of the polls, in rounds with one poll per VEN each, every VEN's polls in order."""
    rounds: list[list[int]] = []
    polls_of_ven: dict[str, int] = {}
    for position, envelope in enumerate(envelopes):
        poll = poll_of(envelope)
        assert poll is not None
        round_number = polls_of_ven.get(poll.ven_id, 0)
        polls_of_ven[poll.ven_id] = round_number + 1
        if round_number == len(rounds):
            rounds.append([])
        rounds[round_number].append(position)
    return rounds


class PollBatches:
    """The consumer's batch handler for the poll-requests topic."""

    def __init__(self, pool: asyncpg.Pool, polls: PollHandler, handouts: HandoutRecords) -> None:
        self._pool = pool
        self._polls = polls
        self._handouts = handouts

    def accepts(self, envelope: Envelope) -> bool:
        if self._handouts.accepts(envelope):
            return True
        return poll_of(envelope) is not None and not self._polls.asks_a_hook

    async def handle_batch(self, envelopes: Sequence[Envelope]) -> list[ContractModel | None]:
        replies: list[ContractModel | None] = [None] * len(envelopes)
        numbered = list(enumerate(envelopes))
        for segment in segments(numbered, _ven_of, lambda item: self._handouts.accepts(item[1])):
            # a segment's handout records and polls are of different VENs: the order between them is free
            if segment.batched:
                await self._handouts.handle_batch([envelope for _, envelope in segment.batched])
            polls = segment.one_by_one
            for (position, _), reply in zip(polls, await self._take([e for _, e in polls]), strict=True):
                replies[position] = reply
        return replies

    async def _take(self, polls: Sequence[Envelope]) -> list[ContractModel | None]:
        if not polls:
            return []
        taken: list[pending.PollTake | None] = [None] * len(polls)
        async with self._pool.acquire() as conn, conn.transaction():
            for positions in distinct_rounds(polls):
                asked = [(self._ven_id(polls[p]), profile_of(polls[p])) for p in positions]
                found = await pending.take_for_polls(conn, asked, NEEDS_TRANSACTION)
                for position, (ven_id, _) in zip(positions, asked, strict=True):
                    taken[position] = found[ven_id]
        replies: list[ContractModel | None] = []
        for envelope, take in zip(polls, taken, strict=True):
            assert take is not None
            replies.append(await self._polls.finish(envelope, take))
        return replies

    @staticmethod
    def _ven_id(envelope: Envelope) -> str:
        poll = poll_of(envelope)
        if poll is None:
            raise TypeError(f"not a poll: {envelope.type}")
        return poll.ven_id


def _ven_of(item: tuple[int, Envelope]) -> str | None:
    return item[1].ven_id
