"""Read-only look-ups of the VEN directory (owned by registration_svc) for the other services."""

from __future__ import annotations

import asyncpg

from shared.db.connection import Conn


async def is_registered(conn: Conn, ven_id: str) -> bool:
    """True for a VEN whose registration is in force (venIDs compare case-sensitively)."""
    return bool(
        await conn.fetchval(
            "SELECT true FROM vens WHERE ven_id = $1 AND status IN ('registered', 'cancelling')", ven_id
        )
    )
