"""Sends a VEN its event set again while it has not answered the events in it (the decisions:
event_svc.answer_waits.decisions and shared.awaited_replies).

Every instance sweeps; a VEN's set is looked at by one of them at a time (its row locked, others skip it), in
one transaction with the set it queues. The set sent again is the VEN's full current set under a new
requestID, as any refresh queues it (event_svc.refresh), so it is never older than what the VEN should have.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import asyncpg

from event_svc import refresh
from event_svc.answer_waits import store as answer_wait_store
from event_svc.answer_waits.decisions import set_awaiting, unanswered
from event_svc.answer_waits.store import WaitingSet
from shared.awaited_replies import ConfirmationPolicy, GiveUp, LookAgain, SendAgain, Settled, Step, next_step
from shared.contract.envelope import utcnow
from shared.db.connection import Conn
from shared.metrics import EVENT_SET_RESENDS

log = logging.getLogger(__name__)

BATCH = 500  # sets looked at in one transaction


@dataclass
class Look:
    looked_at: int = 0
    sent_again: list[tuple[str, int, list[str]]] = field(default_factory=list)  # venID, resends, unanswered IDs
    given_up: list[tuple[str, int, list[str]]] = field(default_factory=list)


async def look(
    conn: Conn, now: datetime, policy: ConfirmationPolicy, outlet: refresh.SetOutlet, limit: int = BATCH
) -> Look:
    """Look at up to `limit` sets due by `now`, in the caller's transaction."""
    sets = await answer_wait_store.due_sets(conn, now, limit)
    registered = [s for s in sets if s.ven_registered]
    steps: dict[str, Step] = {
        s.ven_id: next_step(set_awaiting(None, s.sent_at, s.resends), now, policy) for s in registered
    }
    # Only a set that went out at least the wait ago needs the VEN's answers read.
    overdue = [s for s in registered if not isinstance(steps[s.ven_id], LookAgain)]
    missing = await _unanswered(conn, overdue)
    for waiting in overdue:
        steps[waiting.ven_id] = next_step(
            set_awaiting(missing.get(waiting.ven_id, []), waiting.sent_at, waiting.resends), now, policy
        )
    resend = [s for s in registered if isinstance(steps[s.ven_id], SendAgain)]
    queued = set(await refresh.refresh_vens(conn, [s.ven_id for s in resend], now, outlet, again=True))
    result = Look(looked_at=len(sets))
    result.sent_again = [(s.ven_id, s.resends + 1, missing.get(s.ven_id, [])) for s in resend if s.ven_id in queued]
    result.given_up = [
        (s.ven_id, s.resends, missing.get(s.ven_id, [])) for s in registered if isinstance(steps[s.ven_id], GiveUp)
    ]
    await answer_wait_store.sent_again(conn, [(v, n) for v, n, _ in result.sent_again], now + policy.wait)
    await answer_wait_store.settle(
        conn,
        [s.ven_id for s in sets if not s.ven_registered or isinstance(steps[s.ven_id], Settled)]
        + [s.ven_id for s in resend if s.ven_id not in queued],  # nothing to send any more
    )
    await answer_wait_store.look_again(conn, [(v, step.at) for v, step in steps.items() if isinstance(step, LookAgain)])
    await answer_wait_store.give_up(conn, [v for v, _, _ in result.given_up], now)
    return result


async def _unanswered(conn: Conn, sets: list[WaitingSet]) -> dict[str, list[str]]:
    """VenID -> the events of its set whose awaited answer has not come."""
    pairs = [(s.ven_id, event_id) for s in sets for event_id, _ in s.awaited]
    answers_by_ven: dict[str, dict[str, int]] = {}
    for (ven_id, event_id), modification in (await answer_wait_store.answered(conn, pairs)).items():
        answers_by_ven.setdefault(ven_id, {})[event_id] = modification
    return {s.ven_id: unanswered(s.awaited, answers_by_ven.get(s.ven_id, {})) for s in sets}


def _report(result: Look) -> None:
    """Counted and logged once the look is committed."""
    for ven_id, resends, event_ids in result.sent_again:
        EVENT_SET_RESENDS.labels("sent_again").inc()
        log.info(
            "unanswered event set sent again",
            extra={"action": "event_set_resent", "ven_id": ven_id, "resends": resends, "event_ids": event_ids},
        )
    for ven_id, resends, event_ids in result.given_up:
        EVENT_SET_RESENDS.labels("gave_up").inc()
        log.warning(
            "VEN never answered its events; not sending them again",
            extra={"action": "event_set_unanswered", "ven_id": ven_id, "resends": resends, "event_ids": event_ids},
        )


class AnswerSweep:
    def __init__(
        self,
        pool: asyncpg.Pool,
        outlet: refresh.SetOutlet,
        policy: ConfirmationPolicy,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._pool = pool
        self._outlet = outlet
        self._policy = policy
        self._clock = clock

    async def __call__(self) -> int:
        """Look at every set due; returns how many were sent again."""
        sent_again = 0
        while True:
            async with self._pool.acquire() as conn, conn.transaction():
                result = await look(conn, self._clock(), self._policy, self._outlet)
            _report(result)
            sent_again += len(result.sent_again)
            if result.looked_at < BATCH:
                return sent_again
