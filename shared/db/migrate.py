"""Apply the plain-SQL migrations in `migrations/`, in file-name order, each once, each in a transaction.

Run as `python -m shared.db.migrate`. An advisory lock lets several starting pods race safely.
"""

from __future__ import annotations

import logging
from pathlib import Path

import asyncpg

from shared.db.access import database_access
from shared.db.pool import open_pool
from shared.settings import VtnSettings
from shared.startup import run_process

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
_LOCK_KEY = 7331_2020  # any constant shared by every migrator of this schema


def migration_files(directory: Path = MIGRATIONS_DIR) -> list[Path]:
    return sorted(directory.glob("*.sql"))


async def apply_migrations(pool: asyncpg.Pool, directory: Path = MIGRATIONS_DIR) -> list[str]:
    """Apply what is missing; return the names applied now."""
    applied_now: list[str] = []
    async with pool.acquire() as conn:
        await conn.execute("SELECT pg_advisory_lock($1)", _LOCK_KEY)
        try:
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
            )
            done = {row["name"] for row in await conn.fetch("SELECT name FROM schema_migrations")}
            for path in migration_files(directory):
                if path.name in done:
                    continue
                async with conn.transaction():
                    await conn.execute(path.read_text())
                    await conn.execute("INSERT INTO schema_migrations (name) VALUES ($1)", path.name)
                applied_now.append(path.name)
                log.info("migration applied", extra={"action": "migration_applied", "migration": path.name})
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", _LOCK_KEY)
    return applied_now


async def _main(settings: VtnSettings) -> None:
    pool = await open_pool(database_access(settings), 1, 1)
    try:
        await apply_migrations(pool)
    finally:
        await pool.close()


def main() -> None:
    run_process("migrate", _main)


if __name__ == "__main__":
    main()
