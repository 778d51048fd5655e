"""SQL for named operators and their console sessions (migration 0012). Every gateway instance shares them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

from gateway.console.roles import Role
from shared.db.connection import Conn


@dataclass(frozen=True)
class OperatorRow:
    operator_id: str
    name: str
    role: Role
    token_hash: str
    created_at: datetime
    created_by: str


@dataclass(frozen=True)
class SessionRow:
    operator_id: str | None
    name: str
    role: Role
    csrf_token: str
    last_used_at: datetime
    expires_at: datetime


def _operator(row: asyncpg.Record) -> OperatorRow:
    return OperatorRow(
        operator_id=row["operator_id"],
        name=row["name"],
        role=Role(row["role"]),
        token_hash=row["token_hash"],
        created_at=row["created_at"],
        created_by=row["created_by"],
    )


_OPERATOR_COLUMNS = "operator_id, name, role, token_hash, created_at, created_by"


class OperatorStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def active_operator(self, operator_id: str) -> OperatorRow | None:
        row = await self._pool.fetchrow(
            f"SELECT {_OPERATOR_COLUMNS} FROM operators WHERE operator_id = $1 AND disabled_at IS NULL", operator_id
        )
        return None if row is None else _operator(row)

    async def active_operators(self) -> list[OperatorRow]:
        rows = await self._pool.fetch(
            f"SELECT {_OPERATOR_COLUMNS} FROM operators WHERE disabled_at IS NULL ORDER BY name"
        )
        return [_operator(row) for row in rows]

    async def add_operator(self, operator_id: str, name: str, role: Role, token_hash: str, created_by: str) -> bool:
        """False when an active operator already has this name."""
        try:
            await self._pool.execute(
                "INSERT INTO operators (operator_id, name, role, token_hash, created_by) VALUES ($1, $2, $3, $4, $5)",
                operator_id, name, role.value, token_hash, created_by,
            )  # fmt: skip
        except asyncpg.UniqueViolationError:
            return False
        return True

    async def replace_token(self, name: str, operator_id: str, token_hash: str) -> bool:
        """Give the named operator a new token (a new id: the old token and its sessions stop working)."""
        async with self._pool.acquire() as conn, conn.transaction():
            old = await conn.fetchval(
                "SELECT operator_id FROM operators WHERE name = $1 AND disabled_at IS NULL FOR UPDATE", name
            )
            if old is None:
                return False
            await self._disable(conn, old)
            await conn.execute(
                """
                INSERT INTO operators (operator_id, name, role, token_hash, created_by, created_at)
                SELECT $2, name, role, $3, created_by, created_at FROM operators WHERE operator_id = $1
                """,
                old, operator_id, token_hash,
            )  # fmt: skip
        return True

    async def disable_operator(self, name: str) -> bool:
        async with self._pool.acquire() as conn, conn.transaction():
            operator_id = await conn.fetchval(
                "SELECT operator_id FROM operators WHERE name = $1 AND disabled_at IS NULL FOR UPDATE", name
            )
            if operator_id is None:
                return False
            await self._disable(conn, operator_id)
        return True

    @staticmethod
    async def _disable(conn: Conn, operator_id: str) -> None:
        await conn.execute("UPDATE operators SET disabled_at = now() WHERE operator_id = $1", operator_id)
        await conn.execute("DELETE FROM operator_sessions WHERE operator_id = $1", operator_id)

    async def open_session(
        self, session_hash: bytes, operator_id: str | None, name: str, role: Role, csrf_token: str, max_seconds: float
    ) -> None:
        await self._pool.execute(
            """
            INSERT INTO operator_sessions (session_hash, operator_id, name, role, csrf_token, expires_at)
            VALUES ($1, $2, $3, $4, $5, now() + $6::float8 * interval '1 second')
            """,
            session_hash, operator_id, name, role.value, csrf_token, max_seconds,
        )  # fmt: skip

    async def live_session(self, session_hash: bytes, idle_seconds: float) -> SessionRow | None:
        """The session if it has neither expired nor been idle too long; its use is noted (at most once a
        minute, or a tenth of the idle limit, so that reading pages does not write a row per request)."""
        row = await self._pool.fetchrow(
            """
            WITH live AS (
                SELECT session_hash, operator_id, name, role, csrf_token, last_used_at, expires_at
                FROM operator_sessions
                WHERE session_hash = $1 AND expires_at > now()
                  AND last_used_at > now() - $2::float8 * interval '1 second'
            ), touched AS (
                UPDATE operator_sessions s SET last_used_at = now()
                FROM live WHERE s.session_hash = live.session_hash
                  AND live.last_used_at < now() - least(interval '1 minute', $2::float8 / 10 * interval '1 second')
            )
            SELECT operator_id, name, role, csrf_token, last_used_at, expires_at FROM live
            """,
            session_hash,
            idle_seconds,
        )
        if row is None:
            return None
        return SessionRow(
            operator_id=row["operator_id"],
            name=row["name"],
            role=Role(row["role"]),
            csrf_token=row["csrf_token"],
            last_used_at=row["last_used_at"],
            expires_at=row["expires_at"],
        )

    async def close_session(self, session_hash: bytes) -> None:
        await self._pool.execute("DELETE FROM operator_sessions WHERE session_hash = $1", session_hash)

    async def purge_expired_sessions(self, idle_seconds: float) -> int:
        result = await self._pool.execute(
            """
            DELETE FROM operator_sessions
            WHERE expires_at <= now() OR last_used_at <= now() - $1::float8 * interval '1 second'
            """,
            idle_seconds,
        )
        return int(result.split()[-1])
