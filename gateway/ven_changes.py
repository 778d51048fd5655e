"""Reads every partition of the VEN-changes topic (no consumer group: every instance needs every notice)
and drops the named VENs' cached poll answers, or caches the pending message a notice offers as a handout,
rendered in the VEN's profile (a 2.0a VEN's as the set that answers its oadrRequestEvents)."""

from __future__ import annotations

import asyncio
import logging

from aiokafka import TopicPartition

from gateway.poll_answers import PollAnswerCache
from gateway.profile_a_sets import set_answer_for
from shared import topics
from shared.bus import clients
from shared.bus.connection import KafkaConnection
from shared.contract.envelope import Envelope
from shared.contract.ven_traffic import VenChanged
from shared.oadr.event import DistributeEvent
from shared.oadr.profiles import OadrProfile
from shared.oadr_xml.codec import encode

log = logging.getLogger(__name__)


class VenChangesListener:
    def __init__(self, kafka: KafkaConnection, cache: PollAnswerCache) -> None:
        self._consumer = clients.consumer(kafka, group_id=None, enable_auto_commit=False)
        self._cache = cache
        self._task: asyncio.Task[None] | None = None

    async def start(self, partitions: set[int]) -> None:
        """Start at the end of each partition: the cache starts empty, so nothing older can matter."""
        await self._consumer.start()
        assigned = [TopicPartition(topics.VEN_CHANGES, p) for p in sorted(partitions)]
        self._consumer.assign(assigned)
        await self._consumer.seek_to_end(*assigned)
        for tp in assigned:
            await self._consumer.position(tp)
        self._task = asyncio.create_task(self._listen(), name="ven-changes")

    def check_running(self) -> None:
        """Readiness: raise unless the listener runs (else cached poll answers could go stale)."""
        if self._task is None or self._task.done():
            raise RuntimeError("the VEN-changes listener is not running")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        await self._consumer.stop()

    async def _listen(self) -> None:
        while True:
            batches = await self._consumer.getmany(timeout_ms=1000, max_records=1000)
            for records in batches.values():
                for record in records:
                    self._apply(record.value)

    def _apply(self, value: bytes | None) -> None:
        try:
            notice = Envelope.from_bytes(value or b"").payload
        except ValueError:
            log.error("undecodable VEN change notice", extra={"action": "ven_change_undecodable"})
            return
        if not isinstance(notice, VenChanged):
            return
        handout = notice.handout
        if handout is None:
            self._cache.invalidate(notice.ven_id)
        elif handout.profile is OadrProfile.B:
            self._cache.offer_handout(notice.ven_id, encode(handout.message), handout.pending_id)
        elif isinstance(handout.message, DistributeEvent):  # a 2.0a VEN's new set, for its next oadrRequestEvent
            self._cache.offer_handout(notice.ven_id, set_answer_for(notice.ven_id, handout.message), handout.pending_id)
        else:  # 2.0a VENs get event sets only; anything else is answered by the services
            self._cache.invalidate(notice.ven_id)
