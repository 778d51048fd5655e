"""Reads push VENs' next messages for many VEN lanes at once (shared.db.push_queue.heads).

Each lane asks for its own VEN; the asks that arrive while one query runs go together in the next, so a
burst (an event for thousands of VENs) costs a few statements, not one per VEN. A query takes at most
VENS_PER_QUERY of them: the first lanes push while the next query runs, rather than every lane of the burst
waiting until the whole burst was read and parsed.
"""

from __future__ import annotations

import asyncio

import asyncpg

from shared.db import push_queue
from shared.db.push_queue import PushHead
from shared.oadr.registration import TRANSPORT_SIMPLE_HTTP

VENS_PER_QUERY = 100  # a tenth of a 1,000-VEN burst: its first pushes start after a tenth of the reading


class HeadReader:
    def __init__(self, pool: asyncpg.Pool, transport: str = TRANSPORT_SIMPLE_HTTP) -> None:
        self._pool = pool
        self._transport = transport  # the VENs of this deliverer: pushed over simpleHttp, or over xmpp
        self._asks: list[tuple[str, frozenset[int], asyncio.Future[PushHead | None]]] = []
        self._reading: asyncio.Task[None] | None = None

    async def head(self, ven_id: str, delivered: frozenset[int]) -> PushHead | None:
        """The VEN's oldest undelivered message but those it was `delivered` (PushHead.message None: nothing
        else waits), or None when the VEN's messages are no longer pushed. Raises what the database raises."""
        future: asyncio.Future[PushHead | None] = asyncio.get_running_loop().create_future()
        self._asks.append((ven_id, delivered, future))
        if self._reading is None or self._reading.done():
            self._reading = asyncio.create_task(self._read(), name="push-heads")
        return await future

    async def _read(self) -> None:
        while self._asks:
            batch, self._asks = self._asks[:VENS_PER_QUERY], self._asks[VENS_PER_QUERY:]
            by_ven: dict[str, list[tuple[frozenset[int], asyncio.Future[PushHead | None]]]] = {}
            for ven_id, delivered, future in batch:
                by_ven.setdefault(ven_id, []).append((delivered, future))
            try:
                async with self._pool.acquire() as conn:
                    found = await push_queue.heads(conn, {v: asks[0][0] for v, asks in by_ven.items()}, self._transport)
            except Exception as error:  # the asking lanes retry
                for _, _, future in batch:
                    if not future.done():
                        future.set_exception(error)
                continue
            for ven_id, asks in by_ven.items():
                for delivered, future in asks:
                    if future.done():
                        continue
                    if delivered == asks[0][0]:
                        future.set_result(found.get(ven_id))
                    else:  # two asks of one VEN leaving out different messages (never from one lane): ask again
                        self._asks.append((ven_id, delivered, future))
