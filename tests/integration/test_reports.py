"""The report ceremony message by message, with a raw VEN (OpenLEADR-made XML): METADATA registered and
answered with the policy's requests, data for unrequested reports refused, a one-shot history report
requested by an operator and answered, data stored once, a cancel with reportToFollow, and the Kafka
command door. Every message the VTN sends here is checked against the official 2.0b schema."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
from lxml import etree
from openleadr import enums, objects

from shared import topics
from shared.bus import clients
from shared.bus.connection import KafkaConnection
from shared.contract.envelope import Envelope
from shared.contract.reports import ReportData, RequestReport
from tests.integration.raw_ven import SchemaCheckedVen, new_request_id
from tests.stack import RunningVtn, find_on_topic

SAMPLING = objects.SamplingRate(min_period=timedelta(minutes=1), max_period=timedelta(minutes=15), on_change=False)
HOUR_AGO = (datetime.now(UTC) - timedelta(hours=1)).replace(microsecond=0)


class ReportingVen(SchemaCheckedVen):
    """A VEN of the report tests: every answer checked against the schema."""

    async def report(self, message_type: str, **fields: Any) -> tuple[str, dict[str, Any]]:
        return await self.exchange("EiReport", message_type, ven_id=self.ven_id, **fields)

    async def poll_until(self, message_type: str, polls: int = 50) -> dict[str, Any]:
        """Poll until `message_type` comes (other services may queue their own messages first)."""
        for _ in range(polls):
            kind, payload = await self.exchange("OadrPoll", "oadrPoll", ven_id=self.ven_id)
            if kind == message_type:
                return payload
            if kind == "oadrResponse":
                await asyncio.sleep(0.2)
        raise AssertionError(f"no {message_type} in {polls} polls")


def metadata() -> list[objects.Report]:
    def described(r_id: str, measurement: objects.Measurement, report_type: str) -> objects.ReportDescription:
        return objects.ReportDescription(
            r_id=r_id,
            market_context=None,
            reading_type="Direct Read",
            report_subject=objects.Target(resource_id="m-1"),
            report_data_source=objects.Target(resource_id="m-1"),
            report_type=report_type,
            sampling_rate=SAMPLING,
            measurement=measurement,
        )

    return [
        objects.Report(
            report_specifier_id="history",
            report_name="METADATA_HISTORY_USAGE",
            report_request_id="0",
            duration=timedelta(days=7),
            report_descriptions=[described("energy", enums.MEASUREMENTS.ENERGY_REAL, "usage")],
        ),
        objects.Report(
            report_specifier_id="telemetry",
            report_name="METADATA_TELEMETRY_USAGE",
            report_request_id="0",
            duration=timedelta(hours=1),
            report_descriptions=[described("voltage", enums.MEASUREMENTS.VOLTAGE, "reading")],
        ),
    ]


def history_report(report_request_id: str, values: list[float]) -> objects.Report:
    return objects.Report(
        report_specifier_id="history",
        report_name="HISTORY_USAGE",
        report_request_id=report_request_id,
        intervals=[
            objects.ReportInterval(
                dtstart=HOUR_AGO + timedelta(minutes=15 * i),
                duration=timedelta(minutes=15),
                report_payload=objects.ReportPayload(r_id="energy", value=value),
            )
            for i, value in enumerate(values)
        ],
    )


async def registered_ven(
    http: httpx.AsyncClient, name: str, schema: etree.XMLSchema
) -> tuple[ReportingVen, dict[str, Any]]:
    ven = ReportingVen(http, name, schema)
    await ven.register()
    kind, answer = await ven.report(
        "oadrRegisterReport", request_id=new_request_id(), reports=metadata(), report_request_id="0"
    )
    assert kind == "oadrRegisteredReport" and answer["response"]["response_code"] == 200
    return ven, answer


async def test_metadata_is_stored_and_answered_with_the_policys_requests(
    http: httpx.AsyncClient,
    admin: httpx.AsyncClient,
    db: asyncpg.Connection,
    unique: Callable[[str], str],
    official_schema: etree.XMLSchema,
) -> None:
    ven, answer = await registered_ven(http, unique("metadata-ven"), official_schema)
    [request] = answer["report_requests"]  # telemetry only: the policy never asks for history
    specifier = request["report_specifier"]
    assert specifier["report_specifier_id"] == "telemetry"
    # the configured 1 s is fitted into the VEN's sampling rate [1 min, 15 min]
    assert specifier["granularity"] == timedelta(minutes=1)
    assert [p["r_id"] for p in specifier["specifier_payloads"]] == ["voltage"]

    offered = (await admin.get(f"/reports/{ven.ven_id}/available")).json()
    assert [(r["report_specifier_id"], r["report_name"]) for r in offered] == [
        ("history", "METADATA_HISTORY_USAGE"),
        ("telemetry", "METADATA_TELEMETRY_USAGE"),
    ]
    assert offered[0]["descriptions"][0]["item_base"]["name"] == "energyReal"

    kind, created = await ven.report(
        "oadrCreatedReport",
        response={"response_code": 200, "response_description": "OK", "request_id": answer["response"]["request_id"]},
        pending_reports=[{"report_request_id": request["report_request_id"]}],
    )
    assert kind == "oadrResponse" and created["response"]["response_code"] == 200
    status = await db.fetchval(
        "SELECT status FROM report_requests WHERE report_request_id = $1", request["report_request_id"]
    )
    assert status == "created"


async def test_data_for_a_report_nobody_requested_is_refused(
    http: httpx.AsyncClient, db: asyncpg.Connection, unique: Callable[[str], str], official_schema: etree.XMLSchema
) -> None:
    ven, _ = await registered_ven(http, unique("unrequested-ven"), official_schema)
    kind, answer = await ven.report(
        "oadrUpdateReport", request_id=new_request_id(), reports=[history_report("never-requested", [1.0])]
    )
    assert kind == "oadrUpdatedReport"
    assert answer["response"]["response_code"] == 452
    assert await db.fetchval("SELECT count(*) FROM report_data WHERE ven_id = $1", ven.ven_id) == 0


async def test_a_one_shot_history_report_is_requested_answered_and_stored_once(
    vtn: RunningVtn,
    http: httpx.AsyncClient,
    admin: httpx.AsyncClient,
    db: asyncpg.Connection,
    unique: Callable[[str], str],
    official_schema: etree.XMLSchema,
) -> None:
    ven, _ = await registered_ven(http, unique("history-ven"), official_schema)
    asked = await admin.post(
        f"/reports/{ven.ven_id}/requests",
        json={
            "report_specifier_id": "history",
            "granularity": "PT15M",
            "report_back_duration": "PT0M",
            "report_interval": {"dtstart": HOUR_AGO.isoformat(), "duration": "PT1H"},
        },
    )
    assert asked.status_code == 202, asked.text
    report_request_id = asked.json()["requests"][0]["report_request_id"]

    create = await ven.poll_until("oadrCreateReport")
    [request] = create["report_requests"]
    assert request["report_request_id"] == report_request_id
    assert request["report_specifier"]["report_interval"]["duration"] == timedelta(hours=1)
    kind, _ = await ven.report(
        "oadrCreatedReport",
        response={"response_code": 200, "response_description": "OK", "request_id": create["request_id"]},
        pending_reports=[{"report_request_id": report_request_id}],
    )
    assert kind == "oadrResponse"

    values = [10.5, 11.25, 9.75, 12.0]
    for _ in range(2):  # the VEN resends the same report: stored and published once
        kind, updated = await ven.report(
            "oadrUpdateReport", request_id=new_request_id(), reports=[history_report(report_request_id, values)]
        )
        assert (kind, updated["response"]["response_code"]) == ("oadrUpdatedReport", 200)

    data = (await admin.get(f"/reports/{ven.ven_id}/data", params={"r_id": "energy"})).json()
    assert [d["value"] for d in data] == values
    assert data[0]["units"]["name"] == "energyReal" and data[0]["report_name"] == "HISTORY_USAGE"
    window = (
        await admin.get(
            f"/reports/{ven.ven_id}/data",
            params={
                "start": (HOUR_AGO + timedelta(minutes=15)).isoformat(),
                "end": (HOUR_AGO + timedelta(minutes=45)).isoformat(),
            },
        )
    ).json()
    assert [d["value"] for d in window] == values[1:3]
    assert await db.fetchval("SELECT count(*) FROM report_data WHERE ven_id = $1", ven.ven_id) == 4

    published = await find_on_topic(
        vtn.kafka_bootstrap, topics.REPORT_DATA, lambda e: isinstance(e.payload, ReportData) and e.ven_id == ven.ven_id
    )
    assert [e.payload.value for e in published] == values  # type: ignore[union-attr]
    assert all(e.payload.report_request_id == report_request_id for e in published)  # type: ignore[union-attr]


async def test_a_cancel_with_report_to_follow_reaches_the_ven_and_its_last_report_is_accepted(
    http: httpx.AsyncClient,
    admin: httpx.AsyncClient,
    db: asyncpg.Connection,
    unique: Callable[[str], str],
    official_schema: etree.XMLSchema,
) -> None:
    ven, answer = await registered_ven(http, unique("cancel-ven"), official_schema)
    report_request_id = answer["report_requests"][0]["report_request_id"]
    cancelled = await admin.post(
        f"/reports/{ven.ven_id}/requests/{report_request_id}/cancel", params={"report_to_follow": "true"}
    )
    assert cancelled.status_code == 202, cancelled.text

    cancel = await ven.poll_until("oadrCancelReport")
    assert (cancel["report_request_id"], cancel["report_to_follow"]) == (report_request_id, True)
    kind, confirmed = await ven.report(
        "oadrCanceledReport",
        response={"response_code": 200, "response_description": "OK", "request_id": cancel["request_id"]},
        pending_reports=[{"report_request_id": report_request_id}],
    )
    assert (kind, confirmed["response"]["response_code"]) == ("oadrResponse", 200)
    requests = (await admin.get(f"/reports/{ven.ven_id}/requests")).json()
    assert [(r["report_request_id"], r["status"]) for r in requests] == [(report_request_id, "cancelled")]

    last = objects.Report(
        report_specifier_id="telemetry",
        report_name="TELEMETRY_USAGE",
        report_request_id=report_request_id,
        intervals=[
            objects.ReportInterval(dtstart=HOUR_AGO, report_payload=objects.ReportPayload(r_id="voltage", value=230.0))
        ],
    )
    kind, updated = await ven.report("oadrUpdateReport", request_id=new_request_id(), reports=[last])
    assert updated["response"]["response_code"] == 200  # reportToFollow: the last report is still welcome


async def test_a_backend_requests_a_report_over_kafka(
    vtn: RunningVtn, http: httpx.AsyncClient, unique: Callable[[str], str], official_schema: etree.XMLSchema
) -> None:
    ven, _ = await registered_ven(http, unique("kafka-door-ven"), official_schema)
    assert ven.ven_id is not None
    command = Envelope(
        ven_id=ven.ven_id,
        payload=RequestReport(
            ven_id=ven.ven_id,
            report_specifier_id="telemetry",
            granularity=timedelta(minutes=5),
            report_back_duration=timedelta(minutes=5),
        ),
    )
    producer = clients.producer(KafkaConnection(vtn.kafka_bootstrap))
    await producer.start()
    try:
        await producer.send_and_wait(topics.REPORT_COMMANDS, command.to_bytes(), key=command.kafka_key())
    finally:
        await producer.stop()
    message = await ven.poll_until("oadrCreateReport")
    assert message["report_requests"][0]["report_specifier"]["granularity"] == timedelta(minutes=5)
