"""Keeps the `vtn_vens_online` gauge equal to the number of online VENs in the database.

Every presence_svc instance reports the same number (it is read from the shared table), so dashboards
take `max(vtn_vens_online)`, not the sum.
"""

from __future__ import annotations

import asyncpg

from shared.metrics import VENS_ONLINE

REFRESH_SECONDS = 5.0


async def count_online(conn: asyncpg.Pool) -> int:
    count: int = await conn.fetchval("SELECT count(*) FROM ven_presence WHERE online")
    return count


class OnlineGauge:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def refresh(self) -> None:
        VENS_ONLINE.set(await count_online(self._pool))
