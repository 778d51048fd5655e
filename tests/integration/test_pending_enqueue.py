"""Queueing messages for VENs (shared.db.pending) on the real PostgreSQL: each VEN's messages queued in the
order given, a duplicate under a dedup key left out, and a VEN's only message handed out in its notice as the
very message queued: enqueueing parses no stored JSON back."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import asyncpg
import pytest

from shared.db import pending
from shared.oadr.common import EiResponse
from shared.oadr.event import DistributeEvent
from shared.oadr.messages import VTN_MESSAGE_ADAPTER
from shared.oadr.registration import RequestReregistration


class _NoParsing:
    """VTN_MESSAGE_ADAPTER as enqueueing may use it: dumping, never parsing."""

    def dump_json(self, message: Any) -> bytes:
        return VTN_MESSAGE_ADAPTER.dump_json(message)

    def validate_json(self, raw: object) -> Any:
        raise AssertionError("enqueueing parsed a stored message back")


def _event_set(request_id: str) -> DistributeEvent:
    return DistributeEvent(
        request_id=request_id, vtn_id="VTN", response=EiResponse(response_code=200, request_id=request_id)
    )


async def _notices(db: asyncpg.Connection, ven_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    rows = await db.fetch(
        "SELECT value FROM outbox WHERE record_key = ANY($1::bytea[]) ORDER BY id", [v.encode() for v in ven_ids]
    )
    found: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        payload = json.loads(row["value"])["payload"]
        found.setdefault(payload["ven_id"], []).append(payload)
    return found


async def test_enqueueing_queues_in_order_and_hands_out_the_message_in_hand(
    db: asyncpg.Connection, unique: Callable[[str], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    alone, busy = unique("alone-ven"), unique("busy-ven")
    monkeypatch.setattr(pending, "VTN_MESSAGE_ADAPTER", _NoParsing())
    async with db.transaction():
        messages = [
            (busy, RequestReregistration(ven_id=busy), None),
            (alone, _event_set("set-1"), "events:1"),
            (busy, _event_set("set-2"), "events:2"),
            (alone, _event_set("set-again"), "events:1"),  # the same dedup key: not queued again
        ]
        queued = await pending.enqueue_many(db, messages)  # type: ignore[arg-type]
        rows = await db.fetch(
            "SELECT id, ven_id, message_type FROM pending_messages WHERE ven_id = ANY($1::text[]) ORDER BY id",
            [alone, busy],
        )
        notices = await _notices(db, [alone, busy])
        await db.execute("DELETE FROM outbox WHERE record_key = ANY($1::bytea[])", [alone.encode(), busy.encode()])
        await db.execute("DELETE FROM pending_messages WHERE ven_id = ANY($1::text[])", [alone, busy])
    assert queued == [busy, alone, busy]
    assert [(row["ven_id"], row["message_type"]) for row in rows] == [
        (busy, "oadrRequestReregistration"),
        (alone, "oadrDistributeEvent"),
        (busy, "oadrDistributeEvent"),
    ]
    [alone_notice] = notices[alone]
    assert alone_notice["handout"]["pending_id"] == rows[1]["id"]
    assert alone_notice["handout"]["message"] == json.loads(VTN_MESSAGE_ADAPTER.dump_json(_event_set("set-1")))
    assert [notice["handout"] for notice in notices[busy]] == [None, None]  # two waiting: no handout
