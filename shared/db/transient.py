"""The database's failures that pass: PostgreSQL down, restarting, refusing connections, or a connection lost.

A service whose handlers use the database names these as transient to its consumers
(shared.bus.service_consumer.ServiceRules): a handler failing on one is retried without committing, so nothing
is lost while PostgreSQL is away, rather than being dead-lettered like a record that can never be handled.
"""

from __future__ import annotations

import asyncpg

TRANSIENT_DATABASE_ERRORS: tuple[type[BaseException], ...] = (
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
)
