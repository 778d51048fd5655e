"""Retention of stored report data: rows received longer ago than VTN_REPORT_RETENTION_DAYS are deleted, in
batches (short transactions), once published; closed requests of the VTN's reports age out alike."""

from __future__ import annotations

import logging
from datetime import timedelta

import asyncpg

from report_svc.own_reports import store as vtn_store
from shared.contract.envelope import utcnow

log = logging.getLogger(__name__)
BATCH = 5000


async def purge_report_data(pool: asyncpg.Pool, retention: timedelta) -> int:
    """Delete what is older than `retention` (zero keeps everything); return how many data rows went."""
    if retention <= timedelta(0):
        return 0
    cutoff = utcnow() - retention
    removed = 0
    while True:
        result = await pool.execute(
            "DELETE FROM report_data WHERE seq IN"
            " (SELECT seq FROM report_data WHERE received_at < $1 AND published LIMIT $2)",
            cutoff,
            BATCH,
        )
        count = int(result.split()[-1])
        removed += count
        if count < BATCH:
            break
    async with pool.acquire() as conn:
        await vtn_store.purge_closed(conn, cutoff)
    if removed:
        log.info("report data purged", extra={"action": "report_data_purged", "rows": removed})
    return removed
