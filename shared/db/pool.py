"""The asyncpg pool, opened with retries so a service may start before PostgreSQL does.

A connection goes back to the pool without asyncpg's default reset query (advisory unlock all, CLOSE ALL,
UNLISTEN, RESET ALL): that is one more round trip per checkout, a seventh of registration_svc's CPU under
load. asyncpg still rolls back an open transaction on release. The rule that makes this safe: code that
takes session state on a pooled connection (a session advisory lock) releases it itself, and terminates
the connection if it cannot (report_svc.data_relay).
"""

from __future__ import annotations

import asyncio
import logging

import asyncpg

log = logging.getLogger(__name__)


async def _keep_session(connection: asyncpg.Connection) -> None:
    """Release hook: nothing beyond asyncpg's own rollback of an open transaction (see the module doc)."""


async def open_pool(dsn: str, min_size: int, max_size: int, wait_seconds: float = 60.0) -> asyncpg.Pool:
    deadline = asyncio.get_running_loop().time() + wait_seconds
    while True:
        try:
            return await asyncpg.create_pool(
                dsn, min_size=min_size, max_size=max_size, command_timeout=30, reset=_keep_session
            )
        except (OSError, asyncpg.CannotConnectNowError, asyncpg.PostgresConnectionError) as exc:
            if asyncio.get_running_loop().time() > deadline:
                raise
            log.warning("database not reachable yet", extra={"action": "db_wait", "error": repr(exc)})
            await asyncio.sleep(1)
