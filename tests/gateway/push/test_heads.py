"""The pusher's head reader (gateway.push.heads): a burst of lanes asking at once is read in a few queries,
and the first of them get their heads while the rest are still being read, so pushes start early."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Collection, Mapping

import pytest

from gateway.push.heads import VENS_PER_QUERY, HeadReader
from shared.db import push_queue
from shared.db.push_queue import PushHead


class _Pool:
    @contextlib.asynccontextmanager
    async def acquire(self) -> AsyncIterator[object]:
        yield object()


async def test_a_burst_is_read_in_queries_of_a_bounded_size_and_the_first_answered_before_the_last_query(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    queries: list[int] = []
    answered_when: dict[str, int] = {}
    release = [asyncio.Event() for _ in range(3)]

    async def heads(_: object, delivered: Mapping[str, Collection[int]], __: str) -> dict[str, PushHead]:
        number = len(queries)
        queries.append(len(delivered))
        if number > 0:
            await release[number].wait()  # the later queries wait: the first lanes must not
        return {v: PushHead(v, "http://ven.example.com", None, None, None) for v in delivered}

    monkeypatch.setattr(push_queue, "heads", heads)
    reader = HeadReader(_Pool())  # type: ignore[arg-type]
    count = 2 * VENS_PER_QUERY + VENS_PER_QUERY // 2

    async def lane(ven_id: str) -> None:
        head = await reader.head(ven_id, frozenset())
        assert head is not None and head.ven_id == ven_id
        answered_when[ven_id] = len(queries)

    lanes = [asyncio.create_task(lane(f"ven-{n}")) for n in range(count)]
    for _ in range(100):
        await asyncio.sleep(0)
    # the first query's lanes have their heads while the second query is still running
    assert len(queries) == 2 and len(answered_when) == VENS_PER_QUERY
    for event in release:
        event.set()
    await asyncio.gather(*lanes)
    assert queries == [VENS_PER_QUERY, VENS_PER_QUERY, VENS_PER_QUERY // 2]
    assert len(answered_when) == count
