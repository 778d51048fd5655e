"""OpenLEADR's VEN with `add_report` telemetry against the whole VTN: its reports are requested by the
`telemetry` policy (the integration stack's), and the values its callbacks produce arrive on the Kafka
report-data topic and in PostgreSQL in order, nothing lost and nothing doubled, through a kill of report_svc."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator, Callable
from datetime import timedelta

import asyncpg
import httpx
import pytest
from openleadr import OpenADRClient

from shared import topics
from shared.contract.envelope import Envelope
from shared.contract.reports import ReportData
from tests.interop.test_openleadr_ven import retry_while_unavailable
from tests.stack import RunningVtn, find_on_topic
from tests.waiting import until, until_async


class TelemetryVen:
    """An OpenADRClient offering power (TELEMETRY_USAGE) and status (TELEMETRY_STATUS), sampled every second.

    Every value a callback hands to the client is recorded, in order, per rID.
    """

    def __init__(self, vtn_url: str, ven_name: str) -> None:
        self.client = OpenADRClient(ven_name=ven_name, vtn_url=vtn_url)
        self.produced: dict[str, list[float]] = {"power": [], "status": []}
        counter = itertools.count(1)

        def power() -> float:
            value = float(next(counter))
            self.produced["power"].append(value)
            return value

        def status() -> float:
            value = float(len(self.produced["status"]) % 2)
            self.produced["status"].append(value)
            return value

        self.client.add_report(
            callback=power,
            resource_id="meter-1",
            measurement="power_real",
            r_id="power",
            report_specifier_id="power-spec",
            sampling_rate=timedelta(seconds=1),
            report_duration=timedelta(hours=1),
        )
        self.client.add_report(
            callback=status,
            resource_id="device-1",
            report_name="TELEMETRY_STATUS",
            r_id="status",
            report_specifier_id="status-spec",
            report_type="x-resourceStatus",
            reading_type="x-notApplicable",
            sampling_rate=timedelta(seconds=1),
            report_duration=timedelta(hours=1),
        )

    @property
    def ven_id(self) -> str:
        return str(self.client.ven_id)

    async def stop_sampling_and_drain(self, timeout: float = 60.0) -> None:
        """Stop producing values, then wait until the client has handed every produced value to the VTN."""
        self.client.scheduler.pause()
        await until(lambda: self.client.pending_reports.empty(), timeout, "the VEN's report queue to drain")
        # The queue worker may still be sending the last report it took.
        await asyncio.sleep(2 * 5 + 1)


@pytest.fixture
async def telemetry_ven(vtn: RunningVtn, unique: Callable[[str], str]) -> AsyncIterator[TelemetryVen]:
    ven = TelemetryVen(vtn.url, unique("telemetry-ven"))
    await ven.client.run()
    try:
        await until(lambda: ven.client.registration_id is not None, 15, "registration")
        yield ven
    finally:
        await ven.client.stop()


async def stored_values(db: asyncpg.Connection, ven_id: str, r_id: str) -> list[float]:
    rows = await db.fetch(
        "SELECT value FROM report_data WHERE ven_id = $1 AND r_id = $2 ORDER BY dtstart", ven_id, r_id
    )
    return [row["value"] for row in rows]


async def published_values(vtn: RunningVtn, ven_id: str, r_id: str) -> list[float]:
    def matches(envelope: Envelope) -> bool:
        return (
            isinstance(envelope.payload, ReportData)
            and envelope.payload.ven_id == ven_id
            and envelope.payload.r_id == r_id
        )

    found = await find_on_topic(vtn.kafka_bootstrap, topics.REPORT_DATA, matches, timeout=10)
    return [float(e.payload.value) for e in found]  # type: ignore[union-attr,arg-type]


async def test_openleadr_telemetry_arrives_in_order_exactly_once_across_a_report_svc_kill(
    vtn: RunningVtn, telemetry_ven: TelemetryVen, db: asyncpg.Connection
) -> None:
    ven_id = telemetry_ven.ven_id
    requests = await db.fetch(
        "SELECT report_specifier_id, status, request FROM report_requests WHERE ven_id = $1 ORDER BY report_specifier_id",
        ven_id,
    )
    assert [r["report_specifier_id"] for r in requests] == ["power-spec", "status-spec"]
    await until_async(lambda: _count(db, ven_id, "power", 3), 30, "the first power values")
    assert {r["status"] for r in await db.fetch("SELECT status FROM report_requests WHERE ven_id = $1", ven_id)} == {
        "created"
    }

    vtn.restart("report_svc", kill=True)
    produced_at_restart = len(telemetry_ven.produced["power"])
    await until_async(
        lambda: _count(db, ven_id, "power", produced_at_restart + 3), 90, "power values after the restart"
    )
    await telemetry_ven.stop_sampling_and_drain()

    for r_id in ("power", "status"):
        produced = telemetry_ven.produced[r_id]
        assert len(produced) > 3
        assert await stored_values(db, ven_id, r_id) == produced, r_id
        deadline = time.monotonic() + 30
        while (published := await published_values(vtn, ven_id, r_id)) != produced and time.monotonic() < deadline:
            await asyncio.sleep(1)
        assert published == produced, r_id

    # The operator's on_update_report (OpenLEADR-style) saw every value (at least once, as every handler).
    power_request = await db.fetchval(
        "SELECT report_request_id FROM report_requests WHERE ven_id = $1 AND report_specifier_id = 'power-spec'", ven_id
    )
    seen = {float(line.split()[3]) for line in vtn.hook_calls() if line.startswith(f"report {power_request} power ")}
    assert seen == set(telemetry_ven.produced["power"])


async def test_a_cancelled_report_stops_arriving(
    vtn: RunningVtn, telemetry_ven: TelemetryVen, db: asyncpg.Connection, admin: httpx.AsyncClient
) -> None:
    ven_id = telemetry_ven.ven_id
    await until_async(lambda: _count(db, ven_id, "power", 2), 30, "the first power values")
    requests = (await retry_while_unavailable(lambda: admin.get(f"/reports/{ven_id}/requests"))).json()
    power_request = next(r["report_request_id"] for r in requests if r["report_specifier_id"] == "power-spec")

    answer = await retry_while_unavailable(lambda: admin.post(f"/reports/{ven_id}/requests/{power_request}/cancel"))
    assert answer.status_code == 202, answer.text
    assert answer.json()["requests"][0]["status"] == "cancel_requested"
    await until_async(lambda: _status_is(db, power_request, "cancelled"), 30, "the VEN's oadrCanceledReport")
    await asyncio.sleep(3)  # a report the VEN had queued before cancelling may still land
    settled = await stored_values(db, ven_id, "power")
    status_before = len(await stored_values(db, ven_id, "status"))
    await asyncio.sleep(4)
    assert await stored_values(db, ven_id, "power") == settled
    assert len(await stored_values(db, ven_id, "status")) > status_before  # the other report goes on
    again = await admin.post(f"/reports/{ven_id}/requests/{power_request}/cancel")
    assert again.status_code == 409


async def _count(db: asyncpg.Connection, ven_id: str, r_id: str, at_least: int) -> bool:
    count = await db.fetchval("SELECT count(*) FROM report_data WHERE ven_id = $1 AND r_id = $2", ven_id, r_id)
    return int(count) >= at_least


async def _status_is(db: asyncpg.Connection, report_request_id: str, status: str) -> bool:
    return (
        await db.fetchval("SELECT status FROM report_requests WHERE report_request_id = $1", report_request_id)
        == status
    )
