"""oadrReplayProtect: a signed message is accepted once, and only while its timestamp is fresh.

The timestamp must lie within `max_age` of now, both ways (clock skew). A nonce, per signer, is
remembered for twice that long, longer than any timestamp that can still pass, so a replay is refused
whichever gateway instance it reaches: nonces are kept in PostgreSQL (`replay_nonces`, one INSERT per signed
message, the primary key decides), shared by all instances. `MemoryNonceStore` is the single-instance
alternative (tests, or one gateway): it refuses replays to this instance only.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from datetime import datetime, timedelta, timezone
from typing import Protocol

import asyncpg


class ReplayRefused(Exception):
    """A reused nonce or a timestamp outside the window."""


class NonceStore(Protocol):
    async def first_use(self, signer: str, nonce: str, expires_at: datetime) -> bool:
        """Record the nonce; False when it is recorded (and unexpired) already."""
        ...


def check_timestamp(timestamp: datetime, now: datetime, max_age: timedelta) -> None:
    if timestamp < now - max_age:
        raise ReplayRefused(f"the message was signed more than {max_age.total_seconds():g} s ago")
    if timestamp > now + max_age:
        raise ReplayRefused(f"the message is signed more than {max_age.total_seconds():g} s in the future")


class ReplayGuard:
    def __init__(self, store: NonceStore, max_age_seconds: float) -> None:
        self._store = store
        self._max_age = timedelta(seconds=max_age_seconds)

    async def admit(self, signer: str, nonce: str, timestamp: datetime) -> None:
        now = datetime.now(timezone.utc)
        check_timestamp(timestamp, now, self._max_age)
        if not await self._store.first_use(signer, nonce, now + 2 * self._max_age):
            raise ReplayRefused("this nonce was used already: the message is a replay")


class MemoryNonceStore:
    """A bounded window of nonces in this process, oldest dropped first."""

    def __init__(self, max_entries: int = 1_000_000) -> None:
        self._seen: OrderedDict[tuple[str, str], float] = OrderedDict()
        self._max_entries = max_entries

    async def first_use(self, signer: str, nonce: str, expires_at: datetime) -> bool:
        now = time.time()
        while self._seen:
            oldest_key, oldest_expiry = next(iter(self._seen.items()))
            if oldest_expiry > now and len(self._seen) < self._max_entries:
                break
            del self._seen[oldest_key]
        key = (signer, nonce)
        expiry = self._seen.get(key)
        if expiry is not None and expiry > now:
            return False
        self._seen[key] = expires_at.timestamp()
        return True


_INSERT = """
INSERT INTO replay_nonces (signer, nonce, expires_at) VALUES ($1, $2, $3)
ON CONFLICT (signer, nonce) DO UPDATE SET expires_at = EXCLUDED.expires_at
    WHERE replay_nonces.expires_at < now()
RETURNING 1
"""


class PostgresNonceStore:
    """Nonces in PostgreSQL, shared by every gateway instance; the primary key refuses a second use."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def first_use(self, signer: str, nonce: str, expires_at: datetime) -> bool:
        async with self._pool.acquire() as conn:
            return await conn.fetchval(_INSERT, signer, nonce, expires_at) is not None

    async def purge_expired(self) -> int:
        async with self._pool.acquire() as conn:
            status = await conn.execute("DELETE FROM replay_nonces WHERE expires_at < now()")
        return int(status.split()[-1])
