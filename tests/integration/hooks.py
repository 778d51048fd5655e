"""OpenLEADR-style presence handlers that the integration stack loads into presence_svc by name.

They append one line per call to the file named by VTN_TEST_HOOK_LOG, which the tests read.
"""

from __future__ import annotations

import os


async def on_ven_online(ven_id: str) -> None:
    _record(f"online {ven_id}")


def on_ven_offline(ven_id: str) -> None:  # a plain function: OpenLEADR accepts both kinds
    _record(f"offline {ven_id}")


def _record(line: str) -> None:
    with open(os.environ["VTN_TEST_HOOK_LOG"], "a", encoding="utf-8") as log:
        log.write(line + "\n")
