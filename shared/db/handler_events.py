"""The events the operator's Python handlers gave each VEN (SQL for `handler_event_deliveries`): those of
on_request_event (event_svc, on oadrRequestEvent) and of on_poll (registration_svc, on oadrPoll).

The VTN keeps no event of its own for them, yet a VEN may answer only events it was given: each event of a
handler's answer is recorded for the VEN (its latest modificationNumber), and event_svc refuses an
oadrCreatedEvent naming an event recorded for no one, or for another VEN, like an unknown one. Rows the
handlers stopped handing out are purged after the event retention (event_svc)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from shared.db.connection import Conn
from shared.oadr.event import Event


async def record(conn: Conn, ven_id: str, events: Sequence[Event]) -> None:
    if not events:
        return
    await conn.execute(
        """
        INSERT INTO handler_event_deliveries (ven_id, event_id, modification_number)
        SELECT $1, event_id, modification_number FROM unnest($2::text[], $3::int[]) AS e(event_id, modification_number)
        ON CONFLICT (ven_id, event_id) DO UPDATE
        SET modification_number = EXCLUDED.modification_number, delivered_at = now()
        """,
        ven_id,
        [event.descriptor.event_id for event in events],
        [event.descriptor.modification_number for event in events],
    )


async def modification_given(conn: Conn, ven_id: str, event_id: str) -> int | None:
    """The modificationNumber of `event_id` the handler last gave `ven_id`; None if it never gave it."""
    value = await conn.fetchval(
        "SELECT modification_number FROM handler_event_deliveries WHERE ven_id = $1 AND event_id = $2", ven_id, event_id
    )
    return None if value is None else int(value)


async def modifications_given(conn: Conn, asked: Collection[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """`modification_given` for many (venID, eventID) in one statement: those the handlers gave."""
    if not asked:
        return {}
    rows = await conn.fetch(
        """
        SELECT d.ven_id, d.event_id, d.modification_number
        FROM handler_event_deliveries d JOIN unnest($1::text[], $2::text[]) AS a(ven_id, event_id)
             ON d.ven_id = a.ven_id AND d.event_id = a.event_id
        """,
        [ven_id for ven_id, _ in asked],
        [event_id for _, event_id in asked],
    )
    return {(row["ven_id"], row["event_id"]): int(row["modification_number"]) for row in rows}


async def purge(conn: Conn, before: datetime) -> None:
    await conn.execute("DELETE FROM handler_event_deliveries WHERE delivered_at < $1", before)
