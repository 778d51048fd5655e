"""Retention of stored report data: published rows older than the retention go, recent or unpublished rows
stay; closed requests of the VTN's reports age out alike. And a request row the sender cannot read is closed
instead of blocking every VTN report behind it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import asyncpg

from report_svc.retention import purge_report_data
from tests.stack import RunningVtn

NOW = datetime.now(UTC)


async def test_old_published_report_data_is_purged_and_the_rest_kept(
    vtn: RunningVtn, db: asyncpg.Connection, unique: Callable[[str], str]
) -> None:
    ven_id = unique("retention-ven")
    rows = [  # (rID, received_at, published)
        ("old-published", NOW - timedelta(days=40), True),
        ("old-unpublished", NOW - timedelta(days=40), False),
        ("recent", NOW - timedelta(days=1), True),
    ]
    # In a lane no relay publishes (lanes are partitions 0..3), so the unpublished row stays so while the test looks.
    await db.executemany(
        "INSERT INTO report_data (ven_id, report_request_id, r_id, dtstart, report_specifier_id, value, received_at, published,"
        " lane) VALUES ($1, 'rr', $2, $3, 'spec', 1.0, $3, $4, 99)",
        [(ven_id, r_id, received_at, published) for r_id, received_at, published in rows],
    )
    await db.execute(
        "INSERT INTO vtn_report_requests (ven_id, report_request_id, report_specifier_id, request, status, updated_at)"
        " VALUES ($1, 'closed', 'vtn-status', '{}', 'completed', $2), ($1, 'open', 'vtn-status', '{}', 'active', $2)",
        ven_id,
        NOW - timedelta(days=40),
    )
    # the open one is due only tomorrow: the report_svc running beside this test leaves it alone
    await db.execute(
        "UPDATE vtn_report_requests SET next_report_at = now() + interval '1 day' WHERE ven_id = $1 AND report_request_id = 'open'",
        ven_id,
    )
    pool = await asyncpg.create_pool(vtn.database_url, min_size=1, max_size=2)
    try:
        assert await purge_report_data(pool, timedelta(0)) == 0  # zero keeps everything
        assert await purge_report_data(pool, timedelta(days=30)) >= 1
    finally:
        await pool.close()
    kept = await db.fetch("SELECT r_id FROM report_data WHERE ven_id = $1 ORDER BY r_id", ven_id)
    assert [row["r_id"] for row in kept] == ["old-unpublished", "recent"]
    requests = await db.fetch("SELECT report_request_id FROM vtn_report_requests WHERE ven_id = $1", ven_id)
    assert [row["report_request_id"] for row in requests] == ["open"]


async def test_an_unreadable_vtn_report_request_is_closed_and_blocks_nothing(
    vtn: RunningVtn, db: asyncpg.Connection, unique: Callable[[str], str]
) -> None:
    ven_id = unique("unreadable-ven")
    await db.execute(
        "INSERT INTO vtn_report_requests (ven_id, report_request_id, report_specifier_id, request, status, next_report_at)"
        " VALUES ($1, 'garbled', 'vtn-status', '{}', 'active', now())",
        ven_id,
    )
    for _ in range(100):
        row = await db.fetchrow("SELECT status, next_report_at FROM vtn_report_requests WHERE ven_id = $1", ven_id)
        assert row is not None
        if row["next_report_at"] is None:
            break
        await asyncio.sleep(0.2)
    assert row is not None and (row["status"], row["next_report_at"]) == ("cancelled", None)
