"""OpenLEADR-style `on_request_event` and `on_poll` handlers, loaded by tests/integration/test_decision_hooks.py
(event_svc and registration_svc restarted with VTN_ON_REQUEST_EVENT and VTN_ON_POLL for that module only).

`on_request_event` raises for a venID listed in the file VTN_TEST_HOOK_LOG + ".raise", else returns two
events (one an OpenLEADR objects.Event, one a dict). `on_poll` logs "poll <ven_id>" and returns, call after
call for a VEN: an event, a reregistration request, then nothing.
"""

from __future__ import annotations

import os
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from openleadr import objects

_polls: Counter[str] = Counter()


def _event(event_id: str, priority: int) -> objects.Event:
    start = datetime.now(UTC) + timedelta(minutes=10)
    return objects.Event(
        event_descriptor=objects.EventDescriptor(
            event_id=event_id,
            modification_number=None,
            market_context="http://market",
            event_status="far",
            priority=priority,
        ),
        event_signals=[
            objects.EventSignal(
                intervals=[objects.Interval(dtstart=start, duration=timedelta(minutes=5), signal_payload=1.0)],
                signal_name="SIMPLE",
                signal_type="level",
                signal_id="s1",
            )
        ],
        targets=[objects.Target(ven_id="placeholder")],
    )


def on_request_event(ven_id: str) -> list[Any]:
    marker = Path(os.environ["VTN_TEST_HOOK_LOG"] + ".raise")
    if marker.exists() and ven_id in marker.read_text().split():
        raise RuntimeError("this handler fails for this VEN")
    second = _event(f"hook-b-{ven_id}", 2)
    second.targets = [objects.Target(ven_id=ven_id)]
    first = {
        "event_descriptor": {
            "event_id": f"hook-a-{ven_id}",
            "market_context": "http://market",
            "event_status": "far",
            "priority": 1,
        },
        "active_period": {"dtstart": datetime.now(UTC) - timedelta(minutes=1), "duration": timedelta(hours=1)},
        "event_signals": [
            {
                "signal_name": "SIMPLE",
                "signal_type": "level",
                "signal_id": "s1",
                "intervals": [{"duration": timedelta(hours=1), "signal_payload": 2.0}],
            }
        ],
    }
    return [second, first]


async def on_poll(ven_id: str) -> Any:
    with open(os.environ["VTN_TEST_HOOK_LOG"], "a", encoding="utf-8") as log:
        log.write(f"poll {ven_id}\n")
    _polls[ven_id] += 1
    if _polls[ven_id] == 1:
        event = _event(f"poll-{ven_id}", 0)
        event.targets = [objects.Target(ven_id=ven_id)]
        return event
    if _polls[ven_id] == 2:
        return ("oadrRequestReregistration", {})
    return None
