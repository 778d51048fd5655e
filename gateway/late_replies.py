"""Pending messages a VEN never got, although they are marked delivered: registration_svc answered a
forwarded poll with the VEN's next pending message, but the answer reached this gateway only after it had
answered the VEN 503 (reply timeout); or the VEN had closed its connection before the answer, carrying a
message (forwarded, or a handout), could be written (gateway.oadr_http).

The gateway reports each with a `PendingUndelivered` on the poll-requests topic, with the VEN's key, and
registration_svc puts the message back in the VEN's queue (registration_svc.polls). The report is retried
while Kafka refuses it; one that cannot be published is logged as an error and counted
(`vtn_undelivered_pending_total{outcome="unreported"}`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from gateway.handouts import Publisher
from shared import topics
from shared.bus.errors import BusUnavailable
from shared.contract.envelope import Envelope
from shared.contract.ven_traffic import PendingUndelivered, VenReply
from shared.metrics import UNDELIVERED_PENDING

log = logging.getLogger(__name__)

# About a minute of retries: longer than a broker restart takes.
RETRY_DELAYS_SECONDS = (0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0)


class UndeliveredReporter:
    """Reports pending messages the VEN never got; as the request-reply client's `on_late_reply`, the one a
    late poll answer carried."""

    def __init__(self, producer: Publisher, retry_delays: Sequence[float] = RETRY_DELAYS_SECONDS) -> None:
        self._producer = producer
        self._retry_delays = tuple(retry_delays)
        self._reporting: set[asyncio.Task[None]] = set()

    def __call__(self, late: Envelope) -> None:
        reply = late.payload
        if not isinstance(reply, VenReply) or reply.pending_id is None or late.ven_id is None:
            return  # no pending message in it: the VEN asks again and loses nothing
        self.report(late.ven_id, reply.pending_id, "answer after the reply timeout")

    def report(self, ven_id: str, pending_id: int, why: str) -> None:
        """Publish, in the background, that the VEN never got its pending message `pending_id`."""
        log.warning(
            "a pending message the VEN never got goes back in its queue",
            extra={"action": "pending_undelivered", "pending_id": pending_id, "reason": why},
        )
        fact = Envelope(ven_id=ven_id, payload=PendingUndelivered(ven_id=ven_id, pending_id=pending_id))
        task = asyncio.create_task(self._report(fact), name="report-undelivered")
        self._reporting.add(task)
        task.add_done_callback(self._reporting.discard)

    async def _report(self, fact: Envelope) -> None:
        """The same envelope (message id) every attempt, so registration_svc applies it once."""
        assert isinstance(fact.payload, PendingUndelivered)
        detail = {"ven_id": fact.payload.ven_id, "pending_id": fact.payload.pending_id}
        for delay in (*self._retry_delays, None):
            try:
                await self._producer.publish(topics.POLL_REQUESTS, fact)
            except BusUnavailable:
                if delay is None:
                    break
                await asyncio.sleep(delay)
                continue
            UNDELIVERED_PENDING.labels("reported").inc()
            return
        UNDELIVERED_PENDING.labels("unreported").inc()
        log.error(
            "a pending message the VEN never got could not be put back (Kafka refused the report)",
            extra={"action": "pending_undelivered_unreported", **detail},
        )

    async def stop(self, timeout: float = 5.0) -> None:
        """Give reports under way a moment to be published, then cancel the rest."""
        if not self._reporting:
            return
        _, unfinished = await asyncio.wait(set(self._reporting), timeout=timeout)
        if unfinished:
            UNDELIVERED_PENDING.labels("unreported").inc(len(unfinished))
            log.error(
                "stopping with pending messages the VENs never got not yet put back",
                extra={"action": "pending_undelivered_unreported", "count": len(unfinished)},
            )
        for task in unfinished:
            task.cancel()
        await asyncio.gather(*unfinished, return_exceptions=True)
