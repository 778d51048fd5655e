"""The fleet feed hands every viewer the summary as it changes, without a viewer ever holding up the counts
or the facts, and ends every stream when the gateway stops."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from gateway.console.fleet_feed import FleetFeed
from shared.contract.envelope import Envelope
from shared.contract.events import EventCounts
from shared.contract.operator import VenCounts
from shared.contract.ven_traffic import ContractModel
from tests.fakes import FakeRequester

registered = [1]


def counts(topic: str, envelope: Envelope) -> ContractModel:
    now = datetime.now(UTC)
    if "event" in topic:
        return EventCounts(as_of=now, by_status={})
    return VenCounts(as_of=now, known=registered[0], registered=registered[0], online=0, by_profile_transport=())


async def test_viewers_get_each_new_count_and_their_streams_end_when_the_feed_closes() -> None:
    feed = FleetFeed("127.0.0.1:1", FakeRequester(counts), refresh_seconds=60, timeout_seconds=1)
    assert await feed.count_now()
    first, second = feed.summaries(), feed.summaries()
    assert (await anext(first)).registered == 1
    assert (await anext(second)).registered == 1
    waiting = [asyncio.ensure_future(anext(first)), asyncio.ensure_future(anext(second))]
    await asyncio.sleep(0.05)  # both viewers now wait for a change
    registered[0] = 5
    assert await asyncio.wait_for(feed.count_now(), 1)  # not held up by the waiting viewers
    assert [(await asyncio.wait_for(w, 2)).registered for w in waiting] == [5, 5]
    closing = asyncio.ensure_future(anext(first))
    await asyncio.sleep(0)
    feed.close_streams()
    try:
        await asyncio.wait_for(closing, 3)
        ended = False
    except StopAsyncIteration:
        ended = True
    assert ended


async def test_a_count_nobody_answers_keeps_the_previous_one() -> None:
    feed = FleetFeed("127.0.0.1:1", FakeRequester(lambda topic, envelope: None), refresh_seconds=60, timeout_seconds=1)
    assert not await feed.count_now()
    assert feed.summary().vens_counted_at is None


async def test_a_viewer_who_leaves_while_waiting_does_not_stop_the_others() -> None:
    feed = FleetFeed("127.0.0.1:1", FakeRequester(counts), refresh_seconds=60, timeout_seconds=1)
    await feed.count_now()
    leaving, staying = feed.summaries(), feed.summaries()
    await anext(leaving)
    await anext(staying)
    gone = asyncio.ensure_future(anext(leaving))
    await asyncio.sleep(0.05)
    gone.cancel()  # the browser closed its connection mid-wait
    await asyncio.sleep(0.05)
    registered[0] = 7
    assert await asyncio.wait_for(feed.count_now(), 1)
    assert (await asyncio.wait_for(anext(staying), 2)).registered == 7
