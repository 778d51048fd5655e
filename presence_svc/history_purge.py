"""Purges VENs' online history older than VTN_PRESENCE_HISTORY_DAYS, in small batches (any instance may run it:
each batch is its own short transaction, and two instances deleting the same rows only wait for each other)."""

from __future__ import annotations

import asyncpg

from presence_svc import store

PURGE_EVERY_SECONDS = 3600.0
PURGE_BATCH = 10_000


class HistoryPurge:
    def __init__(self, pool: asyncpg.Pool, keep_days: float) -> None:
        self._pool = pool
        self._keep_days = keep_days

    async def __call__(self) -> None:
        if self._keep_days <= 0:
            return
        while True:
            async with self._pool.acquire() as conn:
                if await store.purge_history_batch(conn, self._keep_days, PURGE_BATCH) < PURGE_BATCH:
                    return
