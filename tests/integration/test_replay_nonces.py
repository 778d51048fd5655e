"""The PostgreSQL nonce store on the real database: concurrent messages share INSERTs, and still each nonce
is accepted exactly once, by whichever gateway instance (store) sees it first."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from gateway.security.replay import PostgresNonceStore
from shared.db.access import DatabaseAccess
from shared.db.pool import open_pool
from tests.stack import RunningVtn

pytestmark = pytest.mark.integration


async def test_each_nonce_is_accepted_once_across_instances_and_batches(
    vtn: RunningVtn, db: asyncpg.Connection
) -> None:
    pools = [await open_pool(DatabaseAccess(vtn.database_url), 1, 4) for _ in range(2)]
    try:
        first, second = (PostgresNonceStore(pool) for pool in pools)
        signer = f"TEST-{uuid.uuid4().hex[:8]}"
        later = datetime.now(UTC) + timedelta(minutes=1)
        nonces = [uuid.uuid4().hex for _ in range(40)]
        # every nonce offered three times: twice to one instance (often in the same batch), once to the other
        attempts = [(store, nonce) for nonce in nonces for store in (first, first, second)]
        results = await asyncio.gather(*(store.first_use(signer, nonce, later) for store, nonce in attempts))
        accepted = Counter(nonce for (_, nonce), ok in zip(attempts, results, strict=True) if ok)
        assert accepted == Counter({nonce: 1 for nonce in nonces})
        assert await db.fetchval("SELECT count(*) FROM replay_nonces WHERE signer = $1", signer) == 40
        # later, one by one: all replays
        assert not any([await second.first_use(signer, nonce, later) for nonce in nonces[:5]])
        # an expired nonce may be used again
        await db.execute("UPDATE replay_nonces SET expires_at = now() - interval '1 second' WHERE signer = $1", signer)
        assert await first.first_use(signer, nonces[0], later)
    finally:
        for pool in pools:
            await pool.close()
