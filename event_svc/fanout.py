"""Queues the sets of the VENs that event changes reach, many changes at a time (the sweep of the
fan-out triad: event_svc.fanout_store holds the pending changes, event_svc.refresh works out the sets).

An event change (create, modify, cancel, purge) is saved with a fan-out row in its own transaction and
answered at once; the fan-out, woken right after that commit, takes every pending row, works out which VENs
their targets reach (now and before the change), and refreshes each of those VENs once, in one transaction
that also deletes the rows. A program-wide dispatch of a hundred events for the same thousand VENs so costs a
few refreshes of each VEN rather than a hundred; a single event costs one, as before, a moment after its
change is answered. Rows left by an instance that stopped are taken by any instance's next look (every
`interval` seconds at the latest); rows are locked with SKIP LOCKED, so instances share the work, and a
VEN's set rows are locked in venID order, as every refresh does.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

import asyncpg

from event_svc import fanout_store, refresh, store
from shared.contract.envelope import utcnow
from shared.oadr.target import Target

log = logging.getLogger(__name__)

# Changes taken together, at most: no fewer than the events one CreateEvents may hold (VTN_EVENT_BATCH_MAX's
# bound), so that a batch's changes are one round.
FANOUTS_PER_ROUND = 1000


def reach(targets: tuple[Target, ...]) -> Target:
    """One target reaching every VEN any of `targets` reaches (targeting is a union of its parts)."""
    return Target(
        ven_ids=tuple(dict.fromkeys(v for t in targets for v in t.ven_ids)),
        group_ids=tuple(dict.fromkeys(g for t in targets for g in t.group_ids)),
        resource_ids=tuple(dict.fromkeys(r for t in targets for r in t.resource_ids)),
        party_ids=tuple(dict.fromkeys(p for t in targets for p in t.party_ids)),
    )


class SetFanout:
    """Runs rounds while changes are pending: woken after a change commits, and every `interval` seconds."""

    def __init__(
        self, pool: asyncpg.Pool, outlet: refresh.SetOutlet, queued: Callable[[], None], interval: float = 1.0
    ) -> None:
        self._pool = pool
        self._outlet = outlet
        self._queued = queued  # wakes the outbox relay: the notices to the gateways are committed
        self._interval = interval
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        while True:
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=self._interval)
            except TimeoutError:
                pass
            self._wake.clear()
            try:
                while await self.queue_pending():
                    pass
            except Exception as exc:  # PostgreSQL unavailable: the rows wait, the next look takes them
                log.warning("event fan-out failed, will retry", extra={"action": "fanout_retry", "error": repr(exc)})
                await asyncio.sleep(1)

    async def queue_pending(self) -> bool:
        """One round: the pending changes stay locked (other instances skip them) until every VEN they reach
        has its set queued, batch by batch, and are deleted then; a round cut short leaves them for the next."""
        started = time.perf_counter()
        async with self._pool.acquire() as conn, conn.transaction():
            taken = await fanout_store.take(conn, FANOUTS_PER_ROUND)
            if not taken:
                return False
            ven_ids = await store.targeted_ven_ids(conn, reach(tuple(t for f in taken for t in f.targets)))
            queued = await refresh.refresh_in_batches(self._pool, ven_ids, utcnow(), self._outlet, self._queued)
            await fanout_store.done(conn, [f.id for f in taken])
        changes, vens, sets = len(taken), len(ven_ids), len(queued)
        log.info(
            "event sets queued",
            extra={
                "action": "event_sets_queued",
                "changes": changes,
                "vens": vens,
                "sets_queued": sets,
                "fanout_ms": round((time.perf_counter() - started) * 1000, 1),
            },
        )
        return changes == FANOUTS_PER_ROUND
