"""Consumer handler for an operator/backend command topic: queries are read directly (no inbox row, no
side effect); every other payload is a command and goes through the idempotent inbox path."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import asyncpg

from shared.contract.envelope import Envelope, Payload
from shared.db.connection import Conn
from shared.db.idempotent import IdempotentHandler

QueryHandler = Callable[[Conn, Envelope], Awaitable[Payload | None]]


class QueriesAndCommands:
    def __init__(
        self, pool: asyncpg.Pool, query_types: tuple[type, ...], handle_query: QueryHandler, commands: IdempotentHandler
    ) -> None:
        self._pool = pool
        self._query_types = query_types
        self._handle_query = handle_query
        self._commands = commands

    async def __call__(self, envelope: Envelope) -> Payload | None:
        if isinstance(envelope.payload, self._query_types):
            async with self._pool.acquire() as conn:
                return await self._handle_query(conn, envelope)
        return await self._commands(envelope)
