"""oadrReplayProtect: a signed message is accepted once, and only while its timestamp is fresh.

The timestamp must lie within `max_age` of now, both ways (clock skew). A nonce, per signer, is
remembered for twice that long, longer than any timestamp that can still pass, so a replay is refused
whichever gateway instance it reaches: nonces are kept in PostgreSQL (`replay_nonces`, the primary key
decides; the nonces of concurrent messages go in one INSERT), shared by all instances. `MemoryNonceStore`
is the single-instance alternative (tests, or one gateway): it refuses replays to this instance only.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from datetime import UTC, datetime, timedelta
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
        now = datetime.now(UTC)
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


_INSERT_BATCH = """
INSERT INTO replay_nonces (signer, nonce, expires_at)
SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[])
ON CONFLICT (signer, nonce) DO UPDATE SET expires_at = EXCLUDED.expires_at
    WHERE replay_nonces.expires_at < now()
RETURNING signer, nonce
"""

_BATCH_LIMIT = 1000


class PostgresNonceStore:
    """Nonces in PostgreSQL, shared by every gateway instance; the primary key refuses a second use.

    The nonces of the messages that arrive while one INSERT is in flight are written together by the next
    (one statement, `unnest` of arrays): under load that is one round trip for many messages, where one
    INSERT per message cost a tenth of the gateway's time with signed polls. A nonce the database already
    holds (unexpired) is not returned by the INSERT: that message is a replay. The same nonce twice in one
    batch is a replay on the spot (PostgreSQL cannot upsert a row twice in one statement).
    """

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        self._waiting: dict[tuple[str, str], tuple[datetime, asyncio.Future[bool]]] = {}
        self._writer: asyncio.Task[None] | None = None

    async def first_use(self, signer: str, nonce: str, expires_at: datetime) -> bool:
        key = (signer, nonce)
        if key in self._waiting:
            return False
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._waiting[key] = (expires_at, future)
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_batches(), name="replay-nonces")
        return await future

    async def _write_batches(self) -> None:
        while self._waiting:
            keys = list(self._waiting)[:_BATCH_LIMIT]
            batch = {key: self._waiting.pop(key) for key in keys}
            try:
                async with self._pool.acquire() as conn:
                    rows = await conn.fetch(
                        _INSERT_BATCH,
                        [signer for signer, _ in keys],
                        [nonce for _, nonce in keys],
                        [expires_at for expires_at, _ in batch.values()],
                    )
            except asyncio.CancelledError:
                for _, future in batch.values():
                    future.cancel()
                raise
            except Exception as exc:  # every message of the batch answers 503; none is accepted
                for _, future in batch.values():
                    if not future.done():
                        future.set_exception(exc)
                continue
            first = {(row["signer"], row["nonce"]) for row in rows}
            for key, (_, future) in batch.items():
                if not future.done():
                    future.set_result(key in first)

    async def purge_expired(self) -> int:
        async with self._pool.acquire() as conn:
            status = await conn.execute("DELETE FROM replay_nonces WHERE expires_at < now()")
        return int(status.split()[-1])
