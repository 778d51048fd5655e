"""An OpenLEADR-style `on_created_event` handler that the integration stack loads into event_svc by name.

It appends "created_event <ven_id> <event_id> <opt_type>" to the file named by VTN_TEST_HOOK_LOG.
"""

from __future__ import annotations

import os


async def on_created_event(ven_id: str, event_id: str, opt_type: str) -> None:
    with open(os.environ["VTN_TEST_HOOK_LOG"], "a", encoding="utf-8") as log:
        log.write(f"created_event {ven_id} {event_id} {opt_type}\n")
