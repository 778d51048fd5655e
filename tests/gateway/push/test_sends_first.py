"""A burst's pushes are written before answers are checked (gateway.push.sends_first): lanes whose heads
arrive while earlier answers come back push first; an answer waits no longer than the hold when a send is
stuck; a lane waiting for its answer's turn holds no push slot, so a burst larger than the slots completes;
and each VEN still gets one message at a time, its delivery recorded after its answer."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from gateway.push.backoff import Backoff
from gateway.push.deliverer import Pacing, PushTarget, VenAnswer
from gateway.push.lane import LaneTools, VenLane
from gateway.push.sends_first import PushAttempt, SendsFirst
from shared.db.push_queue import PushHead
from shared.oadr.event_sets import SharedEventSet
from shared.oadr.messages import VtnMessage
from tests.gateway.push.test_lane import Handover, Queue, Reporter, event_set, ok_answer


@dataclass
class BurstHeads:
    """Each VEN's one event set; the VENs of `later` get their heads only once `later_read` is set (the next
    head query of a burst), and an empty head after their delivery."""

    later: set[str]
    later_read: asyncio.Event = field(default_factory=asyncio.Event)
    done: set[str] = field(default_factory=set)

    async def head(self, ven_id: str, delivered: frozenset[int]) -> PushHead | None:
        if ven_id in self.later and ven_id not in self.done:
            await self.later_read.wait()
        message = None if delivered else event_set(f"set-{ven_id}")
        return PushHead(ven_id, "http://ven.example.com", None, None if delivered else 1, message, delivered)


@dataclass
class PacedVens:
    """Writes each push (logged `sent`), lets the answers of the first VENs come back only on `answers_back`,
    and logs `checked` when it checks an answer, after the pacing's turn when it is told of one."""

    answers_back: asyncio.Event = field(default_factory=asyncio.Event)
    log: list[str] = field(default_factory=list)

    async def deliver(
        self,
        target: PushTarget,
        message: VtnMessage,
        shared_set: SharedEventSet | None = None,
        pacing: Pacing | None = None,
    ) -> VenAnswer:
        self.log.append(f"sent {target.ven_id}")
        if pacing is not None:
            pacing.written()
        await self.answers_back.wait()
        if pacing is not None:
            await pacing.answer_read()
        self.log.append(f"checked {target.ven_id}")
        return ok_answer()

    async def close(self) -> None:
        pass


def tools(heads: BurstHeads, vens: PacedVens, slots: int) -> LaneTools:
    reporter = Reporter(Queue())
    return LaneTools(
        heads=heads,  # type: ignore[arg-type]
        deliverer=vens,
        handover=Handover(reporter),  # type: ignore[arg-type]
        reporter=reporter,  # type: ignore[arg-type]
        backoff=Backoff(0.01, 0.02),
        offline_after_seconds=60.0,
        in_flight=asyncio.Semaphore(slots),
        owns=lambda _: True,
    )


async def test_vens_whose_heads_arrive_as_answers_come_back_are_pushed_before_those_answers_are_checked() -> None:
    first, later = [f"ven-{n}" for n in range(5)], [f"ven-{n}" for n in range(5, 25)]
    heads, vens = BurstHeads(set(later)), PacedVens()
    lane_tools = tools(heads, vens, slots=500)
    lanes = [VenLane(v, lane_tools, lambda _: None) for v in first + later]
    running = [asyncio.create_task(lane.run()) for lane in lanes]
    for _ in range(20):
        await asyncio.sleep(0)
    assert vens.log == [f"sent {v}" for v in first]
    vens.answers_back.set()  # the first answers come back just as the next head query returns
    heads.later_read.set()
    await asyncio.wait_for(asyncio.gather(*running), 5)
    sends = [n for n, entry in enumerate(vens.log) if entry.startswith("sent")]
    checks = [n for n, entry in enumerate(vens.log) if entry.startswith("checked")]
    assert len(sends) == len(checks) == 25
    assert max(sends) < min(checks), vens.log
    assert all(lane.delivered == 1 for lane in lanes)


async def test_a_burst_larger_than_the_push_slots_completes_without_waiting_out_the_hold() -> None:
    heads, vens = BurstHeads(set()), PacedVens()
    vens.answers_back.set()
    lane_tools = tools(heads, vens, slots=3)
    lanes = [VenLane(f"ven-{n}", lane_tools, lambda _: None) for n in range(30)]
    started = time.monotonic()
    await asyncio.wait_for(asyncio.gather(*(lane.run() for lane in lanes)), 5)
    assert all(lane.delivered == 1 for lane in lanes)
    assert time.monotonic() - started < 0.4  # far below one hold per slot-full of answers
    assert lane_tools.sends.sending == 0


async def test_an_answer_waits_for_a_stuck_send_no_longer_than_the_hold() -> None:
    sends = SendsFirst(hold_seconds=0.05)
    slots = asyncio.Semaphore(10)
    stuck = PushAttempt(sends, slots)
    await stuck.__aenter__()  # has its message, never writes it (connecting)
    async with PushAttempt(sends, slots) as answered:
        answered.written()
        started = time.monotonic()
        await answered.answer_read()
        assert 0.04 <= time.monotonic() - started < 1.0
    await stuck.__aexit__(None, None, None)
    assert sends.sending == 0
