"""A raw VEN for the event tests: polls and asks for events, answers with oadrCreatedEvent and opts, and
checks every document the VTN sends against the official 2.0b schema."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.integration.raw_ven import SchemaCheckedVen, new_request_id


def simple_event(
    ven_ids: tuple[str, ...] = (), *, minutes_out: float = 10, minutes: float = 5, **extra: Any
) -> dict[str, Any]:
    """The JSON body of POST /events: a SIMPLE level 1 event."""
    start = (datetime.now(UTC) + timedelta(minutes=minutes_out)).replace(microsecond=0)
    return {
        "active_period": {"dtstart": start.isoformat(), "duration": f"PT{int(minutes * 60)}S"},
        "signals": [
            {
                "signal_name": "SIMPLE",
                "signal_type": "level",
                "signal_id": "s1",
                "intervals": [{"duration": f"PT{int(minutes * 60)}S", "payload": 1}],
            }
        ],
        "targets": {"ven_ids": list(ven_ids)},
        **extra,
    }


class EventVen(SchemaCheckedVen):
    async def next_message(self) -> tuple[str, dict[str, Any]]:
        return await self.exchange("OadrPoll", "oadrPoll", ven_id=self.ven_id)

    async def request_events(self, reply_limit: int | None = None) -> tuple[str, dict[str, Any]]:
        fields: dict[str, Any] = {"request_id": new_request_id(), "ven_id": self.ven_id}
        if reply_limit is not None:
            fields["reply_limit"] = reply_limit
        return await self.exchange("EiEvent", "oadrRequestEvent", **fields)

    async def answer(
        self, event_id: str, modification_number: int, opt_type: str, request_id: str = "r", ven_id: str | None = None
    ) -> tuple[str, dict[str, Any]]:
        return await self.exchange(
            "EiEvent",
            "oadrCreatedEvent",
            response={"response_code": 200, "response_description": "OK", "request_id": request_id},
            event_responses=[
                {
                    "response_code": 200,
                    "response_description": "OK",
                    "request_id": request_id,
                    "event_id": event_id,
                    "modification_number": modification_number,
                    "opt_type": opt_type,
                }
            ],
            ven_id=ven_id or self.ven_id,
        )
