"""Waiting a real confirmation wait (a minute) per step would make the suite slow: a test moves its VEN's clock
marks an hour back instead (when its requests were stored, when its messages were delivered), and the stack's
looks for unconfirmed messages (report_svc.confirmations, event_svc.answer_waits), every 0.5 s, do the rest."""

from __future__ import annotations

import asyncio
import time

import asyncpg

LOOK_TIMEOUT = 15.0  # the stack looks every 0.5 s (VTN_*_CONFIRM_CHECK_SECONDS in tests/stack.py)


async def all_delivered(db: asyncpg.Connection, ven_id: str) -> None:
    """Wait until every message queued for the VEN is marked delivered: a gateway that handed one out on a poll
    records that a moment later (through Kafka)."""
    deadline = time.monotonic() + LOOK_TIMEOUT
    while await db.fetchval("SELECT count(*) FROM pending_messages WHERE ven_id = $1 AND delivered_at IS NULL", ven_id):
        assert time.monotonic() < deadline, "the VEN's messages were not all marked delivered"
        await asyncio.sleep(0.1)


async def an_hour_passes(db: asyncpg.Connection, ven_id: str) -> None:
    """As if an hour had passed since the VEN's requests, the VTN's METADATA offers and the VEN's event set were
    stored and its messages (the VTN's reports and event sets included) delivered; the VTN looks at every one of
    them still awaiting a confirmation or an answer at its next sweep."""
    await all_delivered(db, ven_id)
    look_now = "confirm_by = CASE WHEN confirm_by IS NULL THEN NULL ELSE now() END"
    async with db.transaction():
        await db.execute(
            "UPDATE pending_messages SET delivered_at = delivered_at - interval '1 hour'"
            " WHERE ven_id = $1 AND delivered_at IS NOT NULL",
            ven_id,
        )
        await db.execute(
            f"UPDATE report_requests SET created_at = created_at - interval '1 hour', {look_now} WHERE ven_id = $1",
            ven_id,
        )
        await db.execute(
            f"UPDATE vtn_report_registrations SET sent_at = sent_at - interval '1 hour', {look_now} WHERE ven_id = $1",
            ven_id,
        )
        await db.execute(f"UPDATE vtn_report_requests SET {look_now} WHERE ven_id = $1", ven_id)
        await db.execute(
            f"UPDATE ven_event_sets SET updated_at = updated_at - interval '1 hour', {look_now} WHERE ven_id = $1",
            ven_id,
        )


async def looked_at(db: asyncpg.Connection, report_request_id: str) -> asyncpg.Record:
    """The request's row once the VTN has looked at it (its next look is not due yet, or none is)."""
    return await once_looked_at(
        db,
        "SELECT status, resends, unconfirmed_at, confirm_by, {looked} FROM report_requests"
        " WHERE report_request_id = $1",
        report_request_id,
    )


async def offer_looked_at(db: asyncpg.Connection, ven_id: str, request_id: str) -> asyncpg.Record:
    """The METADATA offer's row once the VTN has looked at it."""
    return await once_looked_at(
        db,
        "SELECT acknowledged_at, resends, unconfirmed_at, confirm_by, {looked} FROM vtn_report_registrations"
        " WHERE ven_id = $1 AND request_id = $2",
        ven_id,
        request_id,
    )


async def vtn_report_looked_at(db: asyncpg.Connection, ven_id: str, report_request_id: str) -> asyncpg.Record:
    """The row of the VEN's request of a VTN report once the VTN has looked at its last report."""
    return await once_looked_at(
        db,
        "SELECT last_sent_acknowledged, resends, unconfirmed_at, confirm_by, {looked} FROM vtn_report_requests"
        " WHERE ven_id = $1 AND report_request_id = $2",
        ven_id,
        report_request_id,
    )


async def event_set_looked_at(db: asyncpg.Connection, ven_id: str) -> asyncpg.Record:
    """The VEN's event-set row once the VTN has looked at whether the VEN answered it."""
    return await once_looked_at(
        db, "SELECT resends, unconfirmed_at, confirm_by, {looked} FROM ven_event_sets WHERE ven_id = $1", ven_id
    )


async def once_looked_at(db: asyncpg.Connection, query: str, *args: str) -> asyncpg.Record:
    deadline = time.monotonic() + LOOK_TIMEOUT
    while time.monotonic() < deadline:
        row = await db.fetchrow(query.format(looked="confirm_by > now() OR confirm_by IS NULL AS looked"), *args)
        assert row is not None
        if row["looked"]:
            return row
        await asyncio.sleep(0.2)
    raise AssertionError(f"report_svc did not look at {args} in {LOOK_TIMEOUT} s")
