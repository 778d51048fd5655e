"""The asyncpg pool, opened with retries so a service may start before PostgreSQL does."""

from __future__ import annotations

import asyncio
import logging

import asyncpg

log = logging.getLogger(__name__)


async def open_pool(dsn: str, min_size: int, max_size: int, wait_seconds: float = 60.0) -> asyncpg.Pool:
    deadline = asyncio.get_running_loop().time() + wait_seconds
    while True:
        try:
            return await asyncpg.create_pool(dsn, min_size=min_size, max_size=max_size, command_timeout=30)
        except (OSError, asyncpg.CannotConnectNowError, asyncpg.PostgresConnectionError) as exc:
            if asyncio.get_running_loop().time() > deadline:
                raise
            log.warning("database not reachable yet", extra={"action": "db_wait", "error": repr(exc)})
            await asyncio.sleep(1)
