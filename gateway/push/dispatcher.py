"""Which push VENs this pusher instance delivers to, and one lane (gateway.push.lane) per VEN with messages.

Ownership follows the partitions of oadr.ven.changes.v1, keyed by venID: the consumer group
`vtn.gateway.push` gives each partition to one instance, and the instance holding partition P delivers to
every push VEN whose key Kafka puts in P (its VenChanged notices arrive there, in order). Each partition is
also held with a PostgreSQL advisory lock, as report_svc holds its report-data lanes: an instance that the
group has given up on but that still runs (frozen past the session timeout) keeps its lock until it notices,
so two instances never push to one VEN at once. An instance taking a partition over looks in the database for
every push VEN of it with messages waiting, so what its predecessor left undelivered (a crash mid-push
included) is pushed again; and it looks again every VTN_PUSH_RESCAN_SECONDS, a safety net behind the notices.
A partition given away is released after its lanes finish the message in hand (at most one push timeout).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

import asyncpg

from gateway.push.lane import LaneTools, VenLane
from gateway.push.metrics import BACKLOG, BACKLOG_MAX, LANES_HELD, VENS_WAITING
from shared.bus.partitioner import key_hash
from shared.bus.service_consumer import TopicAssignment
from shared.contract.envelope import Envelope
from shared.contract.ven_traffic import VenChanged
from shared.db import pending, push_queue
from shared.db.connection import Conn
from shared.oadr.registration import TRANSPORT_SIMPLE_HTTP

log = logging.getLogger(__name__)

PUSH_LANE_LOCKS = 7331_5100  # the pusher holding partition P holds advisory lock PUSH_LANE_LOCKS + P
KEEPER_TICK_SECONDS = 1.0


def partition_of(ven_id: str, partitions: int) -> int:
    """The partition of oadr.ven.changes.v1 a VEN's notices go to: Kafka's default partition for its key."""
    return key_hash(ven_id.encode()) % partitions


class PushDispatcher:
    def __init__(
        self,
        pool: asyncpg.Pool,
        tools: Callable[[Callable[[str], bool]], LaneTools],
        rescan_seconds: float,
        drain_seconds: float,
        housekeeping: Callable[[], object] | None = None,
        forget_binding: Callable[[str], None] | None = None,
        transport: str = TRANSPORT_SIMPLE_HTTP,
        lock_base: int = PUSH_LANE_LOCKS,
    ) -> None:
        self._pool = pool
        self._transport = transport  # the VENs this dispatcher serves (the XMPP connector: xmpp)
        self._lock_base = lock_base  # each transport's instances hold their own locks per partition
        self._tools = tools(self.owns)
        self._rescan_seconds = rescan_seconds
        self._drain_seconds = drain_seconds
        self._housekeeping = housekeeping
        self._forget_binding = forget_binding
        self._wanted: frozenset[int] = frozenset()
        self._partitions = 0
        self._held: set[int] = set()
        self._held_for = 0  # the partition count the held locks were taken with
        self._lanes: dict[str, VenLane] = {}
        # Per VEN whose lane ended: messages it delivered whose delivery records were not yet applied
        self._unmarked: dict[str, frozenset[int]] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._changed = asyncio.Event()
        self._stopping = asyncio.Event()
        self.scans = 0

    # --- ownership -----------------------------------------------------------------------------------------
    def assign(self, assignment: TopicAssignment) -> None:
        """The consumer group moved partitions (ServiceConsumer.watch_assignment)."""
        self._wanted = assignment.partitions
        self._partitions = assignment.partition_count
        self._changed.set()

    def owns(self, ven_id: str) -> bool:
        return self._held_for > 0 and partition_of(ven_id, self._held_for) in self._held

    # --- notices -------------------------------------------------------------------------------------------
    async def on_notice(self, envelope: Envelope) -> None:
        """Consumer handler for oadr.ven.changes.v1: a push VEN's queue or registration changed."""
        notice = envelope.payload
        if not isinstance(notice, VenChanged):
            return None
        if self._forget_binding is not None:
            self._forget_binding(notice.ven_id)
        if notice.push:
            self.wake(notice.ven_id, retry_now=notice.reason == pending.CAME_ONLINE)
        return None

    def wake(self, ven_id: str, retry_now: bool = False) -> None:
        if self._stopping.is_set() or not self.owns(ven_id):
            return  # another instance's VEN, or a partition not locked yet: its scan will find it
        lane = self._lanes.get(ven_id)
        if lane is not None:
            lane.wake(retry_now)
            return
        lane = VenLane(ven_id, self._tools, self._lane_ended, self._unmarked.pop(ven_id, frozenset()))
        self._lanes[ven_id] = lane
        self._tasks[ven_id] = asyncio.create_task(lane.run(), name="push-lane")

    def _lane_ended(self, lane: VenLane) -> None:
        if self._lanes.get(lane.ven_id) is lane:
            del self._lanes[lane.ven_id]
            self._tasks.pop(lane.ven_id, None)
            if lane.unmarked and self.owns(lane.ven_id):
                self._unmarked[lane.ven_id] = lane.unmarked

    @property
    def lanes_at_work(self) -> int:
        return len(self._lanes)

    # --- the keeper: locks, scans, housekeeping ------------------------------------------------------------
    async def run(self) -> None:
        """Hold the wanted partitions until stop(); start again after losing the database."""
        while not self._stopping.is_set():
            try:
                async with self._pool.acquire() as conn:
                    try:
                        await self._keep(conn)
                    finally:
                        await self._release(conn, set(self._held))
            except Exception as error:
                log.warning(
                    "pusher lost its partitions, taking them again",
                    extra={"action": "push_keeper_retry", "error": repr(error)},
                )
                await self._stop_lanes(lambda _: True)
                self._held.clear()
                LANES_HELD.set(0)
                await asyncio.sleep(1)

    async def stop(self) -> None:
        """Stop taking work; lanes finish the message in hand (bounded), then locks are released by run()."""
        self._stopping.set()
        self._changed.set()
        await self._stop_lanes(lambda _: True)

    async def _keep(self, conn: Conn) -> None:
        next_scan = 0.0
        while not self._stopping.is_set():
            taken = await self._follow_assignment(conn)
            if taken or time.monotonic() >= next_scan:
                await self._scan(conn)
                next_scan = time.monotonic() + self._rescan_seconds
            else:
                await conn.fetchval("SELECT 1")  # the connection holding the locks is alive
            if self._housekeeping is not None:
                self._housekeeping()
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), timeout=KEEPER_TICK_SECONDS)
            except TimeoutError:
                pass

    async def _follow_assignment(self, conn: Conn) -> bool:
        """Release partitions given away and take those newly assigned whose lock is free; True if any taken."""
        wanted = self._wanted if self._partitions > 0 else frozenset()
        if self._held and self._partitions != self._held_for:
            await self._release(conn, set(self._held))  # the topic's partition count changed: start over
        released = self._held - wanted
        if released:
            await self._release(conn, released)
        taken = []
        for partition in sorted(wanted - self._held):
            if await conn.fetchval("SELECT pg_try_advisory_lock($1)", self._lock_base + partition):
                taken.append(partition)
        if taken:
            self._held.update(taken)
            self._held_for = self._partitions
            log.info("push partitions taken", extra={"action": "push_partitions_taken", "partitions": taken})
        LANES_HELD.set(len(self._held))
        return bool(taken)

    async def _release(self, conn: Conn, partitions: set[int]) -> None:
        if not partitions:
            return
        count = self._held_for
        await self._stop_lanes(lambda ven_id: count > 0 and partition_of(ven_id, count) in partitions)
        self._held -= partitions
        self._unmarked = {v: ids for v, ids in self._unmarked.items() if self.owns(v)}
        try:
            for partition in sorted(partitions):
                await conn.execute("SELECT pg_advisory_unlock($1)", self._lock_base + partition)
        except BaseException:
            conn.terminate()  # never back to the pool holding a lock (shared.db.pool)
            raise
        LANES_HELD.set(len(self._held))
        log.info(
            "push partitions released", extra={"action": "push_partitions_released", "partitions": sorted(partitions)}
        )

    async def _stop_lanes(self, which: Callable[[str], bool]) -> None:
        lanes = [lane for ven_id, lane in self._lanes.items() if which(ven_id)]
        tasks = [self._tasks[lane.ven_id] for lane in lanes if lane.ven_id in self._tasks]
        for lane in lanes:
            lane.stop_after_current()
        if not tasks:
            return
        _, unfinished = await asyncio.wait(tasks, timeout=self._drain_seconds)
        for task in unfinished:
            task.cancel()
        await asyncio.gather(*unfinished, return_exceptions=True)

    async def _scan(self, conn: Conn) -> None:
        """Wake a lane for every push VEN of the held partitions with messages waiting; refresh the backlog."""
        waiting = await push_queue.backlogs(conn, self._transport)
        mine = {ven_id: count for ven_id, count in waiting.items() if self.owns(ven_id)}
        self._unmarked = {v: ids for v, ids in self._unmarked.items() if v in mine}  # nothing waits: all marked
        for ven_id in mine:
            self.wake(ven_id)
        BACKLOG.set(sum(mine.values()))
        BACKLOG_MAX.set(max(mine.values(), default=0))
        VENS_WAITING.set(len(mine))
        self.scans += 1
