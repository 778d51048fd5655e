"""One VEN's lane: its messages one at a time and in order, each retried until answered, an answer handed
over before the delivery is recorded, a newer head pushed instead of a replaced one, the VEN reported
unreachable once after the offline time, and nothing more pushed once the VEN moved to another pusher."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from gateway.push.backoff import Backoff
from gateway.push.deliverer import DeliveryFailed, PushTarget, VenAnswer
from gateway.push.lane import LaneTools, VenLane
from shared.contract.ven_traffic import RequestContext
from shared.db.push_queue import PushHead
from shared.oadr.common import EiResponse
from shared.oadr.event import DistributeEvent
from shared.oadr.event_sets import SharedEventSet
from shared.oadr.messages import VtnMessage
from shared.oadr.registration import RequestReregistration, Response

VEN = "ven-1"


def event_set(request_id: str) -> DistributeEvent:
    return DistributeEvent(request_id=request_id, vtn_id="vtn", events=())


def ok_answer() -> VenAnswer:
    return VenAnswer(Response(response=EiResponse(request_id="r"), ven_id=VEN), RequestContext())


@dataclass
class Queue:
    """pending_messages for one VEN, and the fakes that read and mark it."""

    messages: dict[int, VtnMessage] = field(default_factory=dict)
    delivered: list[int] = field(default_factory=list)
    address: str = "http://ven.example.com"
    reads: int = 0

    async def head(self, ven_id: str, delivered: frozenset[int]) -> PushHead | None:
        self.reads += 1
        waiting = sorted(i for i in self.messages if i not in self.delivered and i not in delivered)
        first = waiting[0] if waiting else None
        unmarked = frozenset(i for i in delivered if i in self.messages and i not in self.delivered)
        return PushHead(
            ven_id, self.address, None, first, self.messages[first] if first is not None else None, unmarked
        )


@dataclass
class Deliverer:
    """Fails as long as `failing`, else answers; records what it was asked to push."""

    failing: int = 0
    pushed: list[str] = field(default_factory=list)

    async def deliver(
        self, target: PushTarget, message: VtnMessage, shared_set: SharedEventSet | None = None
    ) -> VenAnswer:
        self.pushed.append(getattr(message, "request_id", message.message_type))
        if self.failing:
            self.failing -= 1
            raise DeliveryFailed("connect", "refused")
        return ok_answer()

    async def close(self) -> None:
        pass


@dataclass
class Reporter:
    queue: Queue
    events: list[str] = field(default_factory=list)
    mark: bool = True  # registration_svc applies each record at once

    async def delivered(self, ven_id: str, pending_id: int) -> None:
        if self.mark:
            self.queue.delivered.append(pending_id)
        self.events.append(f"delivered {pending_id}")

    def saw(self, ven_id: str) -> None:
        self.events.append("saw")

    async def unreachable(self, ven_id: str, since: float, reason: str) -> bool:
        self.events.append("unreachable")
        return True


@dataclass
class Handover:
    reporter: Reporter

    async def hand_over(self, service: str, pending_id: int, ven_id: str, answer: VenAnswer) -> None:
        self.reporter.events.append(f"handed {service} {pending_id}")


def lane(
    queue: Queue, deliverer: Deliverer, *, offline_after: float = 60.0, owns: bool = True
) -> tuple[VenLane, Reporter]:
    reporter = Reporter(queue)
    tools = LaneTools(
        heads=queue,  # type: ignore[arg-type]
        deliverer=deliverer,
        handover=Handover(reporter),  # type: ignore[arg-type]
        reporter=reporter,  # type: ignore[arg-type]
        backoff=Backoff(0.01, 0.02),
        offline_after_seconds=offline_after,
        in_flight=asyncio.Semaphore(10),
        owns=lambda ven_id: owns,
    )
    return VenLane(VEN, tools, lambda _: None), reporter


async def test_messages_go_one_at_a_time_in_queue_order_each_recorded_after_its_answer() -> None:
    queue = Queue({1: event_set("a"), 2: RequestReregistration(ven_id=VEN), 3: event_set("c")})
    deliverer = Deliverer()
    ven_lane, reporter = lane(queue, deliverer)
    await asyncio.wait_for(ven_lane.run(), 5)
    assert deliverer.pushed == ["a", "oadrRequestReregistration", "c"]
    assert reporter.events == [
        "delivered 1", "saw", "handed EiRegisterParty 2", "delivered 2", "saw", "delivered 3", "saw"
    ]  # fmt: skip


async def test_a_failed_push_is_retried_until_the_ven_answers_and_the_ven_is_reported_unreachable_once() -> None:
    queue = Queue({1: event_set("a"), 2: event_set("b")})
    deliverer = Deliverer(failing=5)
    ven_lane, reporter = lane(queue, deliverer, offline_after=0.0)
    await asyncio.wait_for(ven_lane.run(), 5)
    assert deliverer.pushed == ["a"] * 6 + ["b"]
    assert reporter.events.count("unreachable") == 1
    assert queue.delivered == [1, 2]


async def test_a_head_replaced_while_failing_is_not_pushed_again_the_newer_one_is() -> None:
    queue = Queue({1: event_set("old")})
    deliverer = Deliverer(failing=1_000_000)
    ven_lane, _ = lane(queue, deliverer)
    running = asyncio.create_task(ven_lane.run())
    await asyncio.sleep(0.1)
    del queue.messages[1]  # a newer event set replaced it (event_svc.refresh drops undelivered sets)
    queue.messages[2] = event_set("new")
    deliverer.failing = 0
    ven_lane.wake()
    await asyncio.wait_for(running, 5)
    assert deliverer.pushed[-1] == "new" and "new" not in deliverer.pushed[:-1]
    assert queue.delivered == [2]


async def test_a_message_committed_late_behind_one_already_pushed_is_pushed_too_and_none_twice() -> None:
    """Two transactions queueing for one VEN may commit in the other order than their ids."""
    queue = Queue({2: event_set("b")})
    deliverer = Deliverer()
    first, reporter = lane(queue, deliverer)
    reporter.mark = False  # registration_svc has not applied the delivery records yet
    await asyncio.wait_for(first.run(), 5)
    queue.messages[1] = event_set("a")  # id 1 commits after id 2 went out; its notice starts a new lane
    second = VenLane(VEN, first._tools, lambda _: None, first.unmarked)  # noqa: SLF001 - as the dispatcher does
    await asyncio.wait_for(second.run(), 5)
    assert deliverer.pushed == ["b", "a"]
    assert second.unmarked == frozenset({1, 2})


async def test_a_lane_whose_ven_moved_to_another_pusher_pushes_nothing() -> None:
    queue = Queue({1: event_set("a")})
    deliverer = Deliverer()
    ven_lane, reporter = lane(queue, deliverer, owns=False)
    await asyncio.wait_for(ven_lane.run(), 5)
    assert deliverer.pushed == [] and reporter.events == []


async def test_a_lane_asked_to_stop_finishes_nothing_more_after_a_failure() -> None:
    queue = Queue({1: event_set("a"), 2: event_set("b")})
    deliverer = Deliverer(failing=1_000_000)
    ven_lane, _ = lane(queue, deliverer)
    running = asyncio.create_task(ven_lane.run())
    await asyncio.sleep(0.05)
    ven_lane.stop_after_current()
    await asyncio.wait_for(running, 5)
    assert set(deliverer.pushed) == {"a"} and queue.delivered == []


@dataclass
class ProfileADeliverer(Deliverer):
    """A 2.0a VEN's deliverer: it has a form for event sets only."""

    async def deliver(
        self, target: PushTarget, message: VtnMessage, shared_set: SharedEventSet | None = None
    ) -> VenAnswer:
        if not isinstance(message, DistributeEvent):
            self.pushed.append(f"refused {message.message_type}")
            raise DeliveryFailed("not_in_profile", f"a 2.0a VEN takes event sets only, not {message.message_type}")
        return await super().deliver(target, message, shared_set)


async def test_a_message_with_no_form_in_the_ven_s_profile_is_settled_once_and_the_sets_behind_it_still_go() -> None:
    queue = Queue({1: RequestReregistration(ven_id=VEN), 2: event_set("b")})
    deliverer = ProfileADeliverer()
    ven_lane, reporter = lane(queue, deliverer)
    await asyncio.wait_for(ven_lane.run(), 5)
    assert deliverer.pushed == ["refused oadrRequestReregistration", "b"]
    assert reporter.events == ["delivered 1", "delivered 2", "saw"]
