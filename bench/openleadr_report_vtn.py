"""The report benchmark's baseline: bench.openleadr_vtn's OpenLEADR 0.5.36 VTN that requests every telemetry
report offered (one request per report, sampled every second) and does nothing with the data it receives.

    python -m bench.openleadr_report_vtn --port 8291

`on_register_report` (OpenLEADR's compact form) returns a no-op callback for every data point, so OpenLEADR
answers oadrRegisterReport with report requests and hands each oadrUpdateReport's values to that callback;
`on_update_report` is a no-op too. SIGTERM or SIGINT stops it.
"""

from __future__ import annotations

import sys
from datetime import timedelta
from typing import Any

from bench.openleadr_vtn import build_server, run_server_module, run_until_signalled


def ignore_values(values: list[tuple[Any, Any]]) -> None:
    """Report data callback: accepts the values and keeps nothing."""


def on_register_report(
    ven_id: str,
    resource_id: str,
    measurement: str,
    unit: str,
    scale: str,
    min_sampling_interval: timedelta,
    max_sampling_interval: timedelta,
) -> tuple[Any, timedelta]:
    return ignore_values, max(min_sampling_interval, timedelta(seconds=1))


def on_update_report(report: dict[str, Any]) -> None:
    """Reports without callbacks: accepted, nothing kept."""


async def serve(host: str, port: int) -> None:
    server = build_server(host, port, poll_seconds=10.0, ven_lookup=True)
    server.add_handler("on_register_report", on_register_report)
    server.add_handler("on_update_report", on_update_report)
    await run_until_signalled(server)


def main(argv: list[str] | None = None) -> int:
    return run_server_module("python -m bench.openleadr_report_vtn", 8291, serve, argv)


if __name__ == "__main__":
    sys.exit(main())
