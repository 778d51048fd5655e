"""An OpenLEADR-style `on_update_report` handler that the integration stack loads into report_svc by name.

It appends one line per data point to the file named by VTN_TEST_HOOK_LOG: "report <reportRequestID> <rID> <value>".
"""

from __future__ import annotations

import os
from typing import Any


async def on_update_report(report: dict[str, Any]) -> None:
    with open(os.environ["VTN_TEST_HOOK_LOG"], "a", encoding="utf-8") as log:
        for interval in report["intervals"]:
            payload = interval["report_payload"]
            log.write(f"report {report['report_request_id']} {payload['r_id']} {payload['value']}\n")
