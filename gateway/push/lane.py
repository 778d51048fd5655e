"""One push VEN's deliveries: its queued messages one at a time, in order, each retried until answered.

    head = the oldest undelivered message but those this pusher delivered and whose delivery records are not
           applied yet (shared.db.push_queue)
    push it (the deliverer) -> the VEN's answer judged (gateway.push.answers)
        failed: count, wait (exponential backoff with jitter, cut short when the VEN comes back or its head
                changes: a newer event set, a new transport address), read the head again, push again
        answered: hand the answer to its service and wait for it to be handled; record the delivery
                  (registration_svc marks the message delivered); the VEN was seen; next message

A lane ends when nothing waits; the dispatcher starts one again on the VEN's next notice. It also ends when
this instance no longer owns the VEN (a rebalance moved its partition), after the message in hand. A VEN
failing for longer than VTN_PUSH_OFFLINE_AFTER_SECONDS is reported unreachable (presence marks it offline).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from gateway.push.answers import judge
from gateway.push.backoff import Backoff
from gateway.push.deliverer import UNDELIVERABLE_KINDS, DeliveryFailed, PushTarget, VenDeliverer
from gateway.push.handover import AnswerHandover
from gateway.push.heads import HeadReader
from gateway.push.metrics import IN_FLIGHT, PUSH_DURATION, PUSH_RETRIES, PUSHES, VENS_FAILING, VENS_UNREACHABLE
from gateway.push.reporting import DeliveryReporter
from shared.db.push_queue import PushHead
from shared.logs import ven_id_var
from shared.oadr.profiles import OadrProfile

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LaneTools:
    """What every lane of a pusher shares."""

    heads: HeadReader
    deliverer: VenDeliverer
    handover: AnswerHandover
    reporter: DeliveryReporter
    backoff: Backoff
    offline_after_seconds: float
    in_flight: asyncio.Semaphore  # VTN_PUSH_CONCURRENCY pushes at once per instance
    owns: Callable[[str], bool]  # whether this instance still delivers to the VEN


class LaneRevoked(Exception):
    """The VEN's partition went to another instance: stop, after the message in hand."""


class VenLane:
    def __init__(
        self, ven_id: str, tools: LaneTools, on_end: Callable[[VenLane], None], unmarked: frozenset[int] = frozenset()
    ) -> None:
        self.ven_id = ven_id
        self._tools = tools
        self._on_end = on_end
        self._wake = asyncio.Event()
        self._retry_now = False
        self._stopping = False
        # Delivered by this pusher, not yet marked delivered in the database as far as the last read showed
        # (registration_svc applies the records a moment later): never pushed again meanwhile.
        self.unmarked = unmarked
        self._failing_since: float | None = None
        self._reported_unreachable = False
        self._counted_failing = False
        self.delivered = 0

    def wake(self, retry_now: bool = False) -> None:
        """Something changed for the VEN (a message queued, its registration, it came back): look again."""
        self._retry_now = self._retry_now or retry_now
        self._wake.set()

    def stop_after_current(self) -> None:
        self._stopping = True
        self._wake.set()

    async def run(self) -> None:
        ven_id_var.set(self.ven_id)
        try:
            while not self._stopping:
                self._wake.clear()
                head = await self._head()
                if head is None or head.message is None:
                    if self._wake.is_set():
                        continue
                    return  # nothing waits: the next notice starts a new lane (no await since the look)
                await self._deliver(head)
        except LaneRevoked:
            log.info("VEN moved to another pusher", extra={"action": "push_lane_revoked"})
        finally:
            self._set_failing(False)
            if self._reported_unreachable:  # the gauge counts lanes at work; this one ends
                VENS_UNREACHABLE.dec()
            self._on_end(self)

    async def _head(self) -> PushHead | None:
        """The next message (retried while the database is away; the lane is stopped meanwhile if revoked)."""
        failures = 0
        while True:
            if not self._tools.owns(self.ven_id):
                raise LaneRevoked
            try:
                head = await self._tools.heads.head(self.ven_id, self.unmarked)
            except Exception as error:
                failures += 1
                log.warning(
                    "cannot read the push queue", extra={"action": "push_queue_unreadable", "error": repr(error)}
                )
                await self._pause(self._tools.backoff.delay(failures), None)
                continue
            if head is not None:
                self.unmarked = head.unmarked
            return head

    async def _deliver(self, head: PushHead) -> None:
        failures = 0
        while True:
            if not self._tools.owns(self.ven_id):
                raise LaneRevoked
            assert head.message is not None and head.pending_id is not None
            message, pending_id = head.message, head.pending_id
            target = PushTarget(head.ven_id, head.transport_address, head.fingerprint, OadrProfile(head.profile))
            started = time.perf_counter()
            try:
                async with self._tools.in_flight:
                    with IN_FLIGHT.track_inprogress():
                        answer = await self._tools.deliverer.deliver(target, message, head.shared_set)
                verdict = judge(message, answer.message)
            except DeliveryFailed as failure:
                if failure.kind in UNDELIVERABLE_KINDS:
                    await self._settle_undeliverable(message.message_type, pending_id, failure)
                    return
                failures += 1
                await self._failed(message.message_type, failure, failures)
            except Exception as error:  # a defect, not the VEN: logged loudly, and retried like a failure
                failures += 1
                log.exception("push failed unexpectedly", extra={"action": "push_internal_error"})
                await self._failed(
                    message.message_type, DeliveryFailed("bad_answer", repr(error)), failures, "internal_error"
                )
            else:
                PUSH_DURATION.labels(message.message_type).observe(time.perf_counter() - started)
                PUSHES.labels(message.message_type, "delivered" if verdict.ven_error is None else "ven_error").inc()
                if verdict.ven_error is not None:
                    log.warning(
                        "the VEN answered a push with an error",
                        extra={
                            "action": "push_refused_by_ven",
                            "type": message.message_type,
                            "detail": verdict.ven_error,
                        },
                    )
                if verdict.hand_to is not None:
                    await self._tools.handover.hand_over(verdict.hand_to, pending_id, self.ven_id, answer)
                await self._tools.reporter.delivered(self.ven_id, pending_id)
                self._tools.reporter.saw(self.ven_id)
                self._recovered()
                self.unmarked = self.unmarked | {pending_id}
                self.delivered += 1
                return
            if self._stopping:
                return
            changed = await self._pause(self._tools.backoff.delay(failures), head)
            head_now = changed if changed is not None else await self._head()
            if head_now is None or head_now.message is None:
                return
            PUSH_RETRIES.labels(head_now.message.message_type).inc()
            head = head_now

    async def _settle_undeliverable(self, message_type: str, pending_id: int, failure: DeliveryFailed) -> None:
        """A message the VEN can never take (none of its kind exists in the VEN's profile): recorded as settled,
        loudly, so the messages behind it still go."""
        PUSHES.labels(message_type, failure.kind).inc()
        log.error(
            "message has no form the VEN can take; settled without being sent",
            extra={
                "action": "push_undeliverable",
                "type": message_type,
                "reason": failure.kind,
                "detail": failure.detail[:300],
                "pending_id": pending_id,
            },
        )
        await self._tools.reporter.delivered(self.ven_id, pending_id)
        self.unmarked = self.unmarked | {pending_id}

    async def _failed(
        self, message_type: str, failure: DeliveryFailed, failures: int, outcome: str | None = None
    ) -> None:
        PUSHES.labels(message_type, outcome or failure.kind).inc()
        level = logging.WARNING if failures == 1 or failures % 10 == 0 else logging.INFO
        log.log(
            level,
            "push failed, will retry",
            extra={
                "action": "push_failed",
                "type": message_type,
                "reason": failure.kind,
                "detail": failure.detail[:300],
                "failures": failures,
            },
        )
        now = time.time()
        if self._failing_since is None:
            self._failing_since = now
            self._set_failing(True)
        if not self._reported_unreachable and now - self._failing_since >= self._tools.offline_after_seconds:
            if await self._tools.reporter.unreachable(self.ven_id, self._failing_since, failure.detail):
                self._reported_unreachable = True
                VENS_UNREACHABLE.inc()
                log.warning("push VEN unreachable", extra={"action": "push_ven_unreachable", "reason": failure.kind})

    def _recovered(self) -> None:
        self._set_failing(False)
        self._failing_since = None
        if self._reported_unreachable:
            self._reported_unreachable = False
            VENS_UNREACHABLE.dec()
            log.info("push VEN reachable again", extra={"action": "push_ven_reachable"})

    def _set_failing(self, failing: bool) -> None:
        if failing != self._counted_failing:
            VENS_FAILING.inc() if failing else VENS_FAILING.dec()
            self._counted_failing = failing

    async def _pause(self, seconds: float, head: PushHead | None) -> PushHead | None:
        """Wait `seconds`, or less: when woken with retry_now (the VEN is back), or when the VEN's head changed
        (then the new head). None when the wait ran out or the caller has no head to compare."""
        deadline = time.monotonic() + seconds
        while not self._stopping:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=remaining)
            except TimeoutError:
                return None
            self._wake.clear()
            if head is None:
                continue
            if self._retry_now:
                self._retry_now = False
                return None
            now = await self._head()
            if now is None or now.message is None or _differs(now, head):
                return now
        return None


def _differs(now: PushHead, before: PushHead) -> bool:
    return (now.pending_id, now.transport_address, now.fingerprint) != (
        before.pending_id,
        before.transport_address,
        before.fingerprint,
    )
