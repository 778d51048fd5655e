"""The connection type handlers receive: a plain connection or one borrowed from the pool."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias

import asyncpg

if TYPE_CHECKING:
    from asyncpg.pool import PoolConnectionProxy

    Conn: TypeAlias = "asyncpg.Connection[asyncpg.Record]" | "PoolConnectionProxy[asyncpg.Record]"
else:
    Conn: TypeAlias = asyncpg.Connection
