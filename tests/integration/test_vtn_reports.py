"""The VTN's own reports (VTN -> VEN), message by message with a raw VEN (OpenLEADR-made XML), and with
OpenLEADR's VEN: the METADATA on the first poll after registration and on the operator's republish, requests
(two in one oadrCreateReport, one-shot and periodic, piggy-backed in oadrRegisteredReport) answered with the
pending reports and served with oadrUpdateReport on later polls, cancels (oadrCancelReport, with
reportToFollow, piggy-backed in oadrUpdatedReport). Every message the VTN sends here passes the official XSD.

report_svc runs here with VTN_OFFER_REPORTS_ON_REGISTRATION on (off in the rest of the suite), a catalog of
two reports and the `on_request_report` handler of tests/integration/vtn_report_hooks.py."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

import asyncpg
import httpx
import pytest
from lxml import etree
from openleadr import OpenADRClient
from openleadr.messaging import create_message

from shared import topics
from shared.bus import clients
from shared.bus.connection import KafkaConnection
from shared.contract.backend_events import RegistrationEvent
from shared.contract.envelope import Envelope
from shared.contract.vtn_reports import PublishVtnReports
from tests.integration.confirmation_clock import all_delivered, an_hour_passes, vtn_report_looked_at
from tests.integration.raw_ven import new_request_id
from tests.integration.test_operations import metric_sample
from tests.integration.test_reports import ReportingVen
from tests.integration.vtn_report_hooks import price_at, tier_at
from tests.stack import HEALTH_PORTS, RunningVtn, find_on_topic
from tests.waiting import until_async

SECOND = timedelta(seconds=1)
VTN_REPORTS = [
    {"report_specifier_id": "vtn-status", "points": [{"r_id": "vtn-status"}]},
    {
        "report_specifier_id": "vtn-prices",
        "report_name": "METADATA_TELEMETRY_USAGE",
        "points": [
            {
                "r_id": "price",
                "report_type": "price",
                "reading_type": "Direct Read",
                "item_base": {
                    "name": "currencyPerKWh",
                    "description": "currencyPerKWh",
                    "units": "USD",
                    "si_scale_code": "none",
                },
                "min_period": "PT1S",
                "max_period": "PT1H",
            },
            {
                "r_id": "tier",
                "report_type": "price",
                "reading_type": "Direct Read",
                "item_base": {
                    "name": "currencyPerKWh",
                    "description": "currencyPerKWh",
                    "units": "USD",
                    "si_scale_code": "none",
                },
                "min_period": "PT1S",
                "max_period": "PT1H",
                "on_change": True,
            },
        ],
    },
]
OFFERING = {
    "VTN_OFFER_REPORTS_ON_REGISTRATION": "true",
    "VTN_OWN_REPORTS": json.dumps(VTN_REPORTS),
    "VTN_ON_REQUEST_REPORT": "tests.integration.vtn_report_hooks:on_request_report",
    "VTN_OWN_REPORT_CHECK_SECONDS": "0.3",
}


async def _report_svc_serving(vtn: RunningVtn, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(timeout=5) as client:
        while True:
            try:
                ready = await client.get(f"http://127.0.0.1:{HEALTH_PORTS['report_svc']}/readyz")
                probe = await client.post(
                    f"{vtn.url}/EiReport",
                    content=create_message(
                        "oadrRegisterReport", request_id="probe", ven_id="probe-unknown-ven", reports=[]
                    ).encode(),
                )
                if ready.status_code == 200 and "<ei:responseCode>452<" in probe.text:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"report_svc did not come back:\n{vtn.processes['report_svc'].log_tail(20)}")
            await asyncio.sleep(0.5)


@pytest.fixture(scope="module")
async def offering(vtn: RunningVtn) -> AsyncIterator[RunningVtn]:
    """report_svc restarted with the VTN's reports offered on registration; restored afterwards."""
    process = vtn.processes["report_svc"]
    assert process.env is not None
    saved = dict(process.env)
    process.env.update(OFFERING)
    vtn.restart("report_svc")
    await _report_svc_serving(vtn)
    try:
        yield vtn
    finally:
        process.env = saved
        vtn.restart("report_svc")
        await _report_svc_serving(vtn)


def ok(request_id: str | None) -> dict[str, Any]:
    return {"response_code": 200, "response_description": "OK", "request_id": request_id}


def report_request(
    report_request_id: str,
    specifier: str,
    r_id: str,
    granularity: timedelta,
    back: timedelta,
    interval: tuple[datetime, timedelta] | None = None,
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "report_specifier_id": specifier,
        "granularity": granularity,
        "report_back_duration": back,
        "specifier_payloads": [{"r_id": r_id, "reading_type": "Direct Read"}],
    }
    if interval is not None:
        spec["report_interval"] = {"dtstart": interval[0], "duration": interval[1]}
    return {"report_request_id": report_request_id, "report_specifier": spec}


class VtnReportVen(ReportingVen):
    """Collects what the VTN sends on polls; acknowledges each oadrUpdateReport with oadrUpdatedReport."""

    def __init__(self, http: httpx.AsyncClient, ven_name: str, schema: etree.XMLSchema) -> None:
        super().__init__(http, ven_name, schema)
        self.updates: dict[str, list[dict[str, Any]]] = {}
        self.received: list[tuple[str, dict[str, Any]]] = []

    async def poll_once(self, acknowledge: bool = True) -> str:
        kind, payload = await self.exchange("OadrPoll", "oadrPoll", ven_id=self.ven_id)
        self.received.append((kind, payload))
        if kind == "oadrUpdateReport":
            for report in payload["reports"]:
                self.updates.setdefault(report["report_request_id"], []).append(report)
            if acknowledge:
                answer_kind, answer = await self.report("oadrUpdatedReport", response=ok(payload["request_id"]))
                assert (answer_kind, answer["response"]["response_code"]) == ("oadrResponse", 200)
        return str(kind)

    async def next_message(self, message_type: str, timeout: float = 20.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if await self.poll_once() == message_type:
                return self.received[-1][1]
            await asyncio.sleep(0.2)
        raise AssertionError(f"no {message_type} within {timeout}s; got {[k for k, _ in self.received[-10:]]}")

    async def poll_for(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if await self.poll_once() == "oadrResponse":
                await asyncio.sleep(0.2)

    async def updates_of(self, report_request_id: str, count: int, timeout: float = 20.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while len(self.updates.get(report_request_id, [])) < count:
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{len(self.updates.get(report_request_id, []))} of {count} reports for {report_request_id}"
                )
            if await self.poll_once() == "oadrResponse":
                await asyncio.sleep(0.2)
        return self.updates[report_request_id]

    async def unacknowledged_updates_of(self, report_request_id: str, count: int, timeout: float = 20.0) -> None:
        """Poll, answering no oadrUpdateReport (as if the poll answers were lost), until `count` reports of the
        request have come."""
        deadline = time.monotonic() + timeout
        while len(self.updates.get(report_request_id, [])) < count:
            assert time.monotonic() < deadline, f"fewer than {count} reports for {report_request_id} in {timeout}s"
            if await self.poll_once(acknowledge=False) == "oadrResponse":
                await asyncio.sleep(0.1)

    async def acknowledge_metadata(self) -> dict[str, Any]:
        metadata = await self.next_message("oadrRegisterReport")
        kind, answer = await self.report(
            "oadrRegisteredReport", response=ok(metadata["request_id"]), report_requests=[]
        )
        assert (kind, answer["response"]["response_code"]) == ("oadrResponse", 200)
        return metadata


async def new_ven(
    http: httpx.AsyncClient, unique: Callable[[str], str], schema: etree.XMLSchema, name: str
) -> VtnReportVen:
    ven = VtnReportVen(http, unique(name), schema)
    await ven.register()
    return ven


async def test_the_vtns_metadata_comes_on_the_first_poll_after_registration_and_is_acknowledged(
    offering: RunningVtn,
    http: httpx.AsyncClient,
    db: asyncpg.Connection,
    unique: Callable[[str], str],
    official_schema: etree.XMLSchema,
) -> None:
    ven = await new_ven(http, unique, official_schema, "vtn-metadata-ven")
    metadata = await ven.next_message("oadrRegisterReport")
    assert [(r["report_specifier_id"], r["report_name"]) for r in metadata["reports"]] == [
        ("vtn-status", "METADATA_TELEMETRY_STATUS"),
        ("vtn-prices", "METADATA_TELEMETRY_USAGE"),
    ]
    assert metadata["reports"][1]["report_descriptions"][0]["r_id"] == "price"

    kind, wrong = await ven.report("oadrRegisteredReport", response=ok("never-sent"), report_requests=[])
    assert (kind, wrong["response"]["response_code"]) == ("oadrResponse", 452)
    kind, answer = await ven.report("oadrRegisteredReport", response=ok(metadata["request_id"]), report_requests=[])
    assert (kind, answer["response"]["response_code"]) == ("oadrResponse", 200)
    acknowledged = await db.fetchval(
        "SELECT acknowledged_at FROM vtn_report_registrations WHERE ven_id = $1 AND request_id = $2",
        ven.ven_id,
        metadata["request_id"],
    )
    assert acknowledged is not None


async def test_two_requests_in_one_create_report_a_one_shot_and_a_periodic_are_created_and_served(
    offering: RunningVtn,
    http: httpx.AsyncClient,
    admin: httpx.AsyncClient,
    unique: Callable[[str], str],
    official_schema: etree.XMLSchema,
) -> None:
    ven = await new_ven(http, unique, official_schema, "vtn-create-ven")
    await ven.acknowledge_metadata()
    one_shot, periodic = unique("status-once"), unique("price-every-2s")
    kind, created = await ven.report(
        "oadrCreateReport",
        request_id=new_request_id(),
        report_requests=[
            report_request(one_shot, "vtn-status", "vtn-status", timedelta(0), timedelta(0)),
            report_request(periodic, "vtn-prices", "price", SECOND, 2 * SECOND),
        ],
    )
    assert (kind, created["response"]["response_code"]) == ("oadrCreatedReport", 200)
    assert sorted(p["report_request_id"] for p in created["pending_reports"]) == sorted([one_shot, periodic])

    [status] = await ven.updates_of(one_shot, 1)
    assert status["report_name"] == "TELEMETRY_STATUS"
    assert status["intervals"][0]["report_payload"]["r_id"] == "vtn-status"
    reports = await ven.updates_of(periodic, 2)
    samples = [(i["dtstart"], i["report_payload"]["value"]) for r in reports for i in r["intervals"]]
    assert all(value == price_at(dtstart) for dtstart, value in samples)
    starts = [dtstart for dtstart, _ in samples]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)  # each second once, in order
    assert all(b - a == SECOND for a, b in pairwise(starts))

    views = {r["report_request_id"]: r for r in (await admin.get(f"/vtn-reports/{ven.ven_id}/requests")).json()}
    assert views[one_shot]["status"] == "completed" and views[one_shot]["next_report_at"] is None
    assert views[periodic]["status"] == "active" and views[periodic]["reports_sent"] >= 2


async def test_a_periodic_report_the_ven_never_acknowledged_is_covered_again_by_the_next(
    offering: RunningVtn,
    http: httpx.AsyncClient,
    unique: Callable[[str], str],
    official_schema: etree.XMLSchema,
) -> None:
    """A price a second, every 2 s. The VEN takes one report without answering it (its poll answer may have
    been lost). The next report is due before the confirmation wait (a minute) would send it again, and
    becomes the one awaited: so it carries the unanswered report's seconds again, before its own."""
    ven = await new_ven(http, unique, official_schema, "vtn-lost-periodic-ven")
    await ven.acknowledge_metadata()
    periodic = unique("price-every-2s")
    kind, created = await ven.report(
        "oadrCreateReport",
        request_id=new_request_id(),
        report_requests=[report_request(periodic, "vtn-prices", "price", SECOND, 2 * SECOND)],
    )
    assert (kind, created["response"]["response_code"]) == ("oadrCreatedReport", 200)
    await ven.updates_of(periodic, 1)
    await ven.unacknowledged_updates_of(periodic, 2)
    lost = [interval["dtstart"] for interval in ven.updates[periodic][1]["intervals"]]

    [after] = (await ven.updates_of(periodic, 3))[2:]
    starts = [interval["dtstart"] for interval in after["intervals"]]
    assert lost and starts[: len(lost)] == lost and len(starts) > len(lost)
    assert all(b - a == SECOND for a, b in pairwise(starts))
    assert all(i["report_payload"]["value"] == price_at(i["dtstart"]) for i in after["intervals"])


async def ven_asking_for_tier_on_change(
    http: httpx.AsyncClient, unique: Callable[[str], str], schema: etree.XMLSchema, name: str
) -> tuple[VtnReportVen, str]:
    """A VEN that took the VTN's METADATA and asked for the tier on change (granularity zero, every second); the
    request's reportRequestID."""
    ven = await new_ven(http, unique, schema, name)
    await ven.acknowledge_metadata()
    on_change = unique("tier-on-change")
    kind, created = await ven.report(
        "oadrCreateReport",
        request_id=new_request_id(),
        report_requests=[report_request(on_change, "vtn-prices", "tier", timedelta(0), SECOND)],
    )
    assert (kind, created["response"]["response_code"]) == ("oadrCreatedReport", 200)
    return ven, on_change


async def test_an_on_change_request_gets_a_report_only_when_the_value_changed(
    offering: RunningVtn,
    http: httpx.AsyncClient,
    db: asyncpg.Connection,
    unique: Callable[[str], str],
    official_schema: etree.XMLSchema,
) -> None:
    """Granularity zero with a reportBackDuration of 1 s on a point offered on change: the tier is looked at
    every second but changes every 4 s, and only the changes are sent (the first report sets the baseline)."""
    ven, on_change = await ven_asking_for_tier_on_change(http, unique, official_schema, "vtn-on-change-ven")

    reports = await ven.updates_of(on_change, 3, timeout=30)
    readings = [(i["dtstart"] + i["duration"], i["report_payload"]["value"]) for r in reports for i in r["intervals"]]
    assert all(value == tier_at(moment) for moment, value in readings)
    values = [value for _, value in readings]
    assert all(before != after for before, after in pairwise(values)), values  # one report a second would repeat
    stored = await db.fetchval(
        "SELECT last_values FROM vtn_report_requests WHERE ven_id = $1 AND report_request_id = $2",
        ven.ven_id,
        on_change,
    )
    assert json.loads(stored)["tier"] in values


async def test_an_on_change_report_the_ven_never_acknowledged_is_followed_by_every_point_again(
    offering: RunningVtn,
    http: httpx.AsyncClient,
    db: asyncpg.Connection,
    unique: Callable[[str], str],
    official_schema: etree.XMLSchema,
) -> None:
    """A report carrying a change that the VEN did not acknowledge (its poll answer may have been lost) must not
    leave the VEN with a stale tier: once the confirmation wait has passed, the next report carries the tier
    again although it has not changed. Waiting the real minute is replaced by moving the delivery an hour back."""
    ven, on_change = await ven_asking_for_tier_on_change(http, unique, official_schema, "vtn-unacknowledged-ven")
    await ven.updates_of(on_change, 1, timeout=30)  # the first report, every point, acknowledged
    await ven.unacknowledged_updates_of(on_change, 2, timeout=30)  # the next one, on a change of tier
    unacknowledged = ven.updates[on_change][1]["intervals"][-1]["report_payload"]["value"]
    await all_delivered(db, ven.ven_id)  # the poll took it; its delivery is recorded a moment later
    await db.execute(
        "UPDATE pending_messages SET delivered_at = delivered_at - interval '1 hour' WHERE ven_id = $1", ven.ven_id
    )

    [after] = (await ven.updates_of(on_change, 3, timeout=30))[2:]
    # Sent a period later, within the same 4 s of the tier (a change was just reported): the same value again.
    assert after["intervals"][0]["report_payload"]["value"] == unacknowledged


def last_update(ven: VtnReportVen) -> dict[str, Any]:
    """The last oadrUpdateReport the VEN got."""
    return [payload for kind, payload in ven.received if kind == "oadrUpdateReport"][-1]


async def ven_with_unacknowledged_status_report(
    http: httpx.AsyncClient, unique: Callable[[str], str], schema: etree.XMLSchema, name: str
) -> tuple[VtnReportVen, str, dict[str, Any]]:
    """A VEN that asked for the VTN's status once and got the oadrUpdateReport on a poll, but never answered it
    (as if the poll answer was lost): the VEN, the reportRequestID and that oadrUpdateReport."""
    ven = await new_ven(http, unique, schema, name)
    await ven.acknowledge_metadata()
    once = unique("status-once")
    kind, created = await ven.report(
        "oadrCreateReport",
        request_id=new_request_id(),
        report_requests=[report_request(once, "vtn-status", "vtn-status", timedelta(0), timedelta(0))],
    )
    assert (kind, created["response"]["response_code"]) == ("oadrCreatedReport", 200)
    await ven.unacknowledged_updates_of(once, 1)
    return ven, once, last_update(ven)


async def test_a_report_the_ven_never_acknowledged_comes_again_with_its_request_id_until_it_does(
    offering: RunningVtn,
    http: httpx.AsyncClient,
    admin: httpx.AsyncClient,
    db: asyncpg.Connection,
    unique: Callable[[str], str],
    official_schema: etree.XMLSchema,
) -> None:
    ven, once, lost = await ven_with_unacknowledged_status_report(http, unique, official_schema, "vtn-lost-report-ven")
    assert ven.ven_id is not None

    await an_hour_passes(db, ven.ven_id)
    again = await ven.next_message("oadrUpdateReport")  # acknowledged this time
    assert (again["request_id"], again["reports"]) == (lost["request_id"], lost["reports"])
    row = await vtn_report_looked_at(db, ven.ven_id, once)
    assert (row["last_sent_acknowledged"], row["resends"], row["confirm_by"], row["unconfirmed_at"]) == (
        True,
        1,
        None,
        None,
    )

    await an_hour_passes(db, ven.ven_id)
    await ven.poll_for(2.0)
    assert len(ven.updates[once]) == 2  # the report and its one copy, nothing more
    [view] = (await admin.get(f"/vtn-reports/{ven.ven_id}/requests")).json()
    assert (view["status"], view["resends"], view["unconfirmed_at"]) == ("completed", 1, None)


async def test_a_report_never_acknowledged_is_marked_unconfirmed_after_its_last_resend(
    offering: RunningVtn,
    http: httpx.AsyncClient,
    admin: httpx.AsyncClient,
    db: asyncpg.Connection,
    unique: Callable[[str], str],
    official_schema: etree.XMLSchema,
) -> None:
    before = await report_svc_metrics()
    ven, once, lost = await ven_with_unacknowledged_status_report(http, unique, official_schema, "vtn-deaf-ven")
    assert ven.ven_id is not None

    await an_hour_passes(db, ven.ven_id)
    await ven.unacknowledged_updates_of(once, 2)  # the same report again, not answered either
    assert last_update(ven)["request_id"] == lost["request_id"]

    await an_hour_passes(db, ven.ven_id)  # the stack allows one resend (VTN_REPORT_RESEND_LIMIT=1)
    row = await vtn_report_looked_at(db, ven.ven_id, once)
    assert (row["last_sent_acknowledged"], row["resends"], row["confirm_by"]) == (False, 1, None)
    assert row["unconfirmed_at"] is not None
    await ven.poll_for(2.0)
    assert len(ven.updates[once]) == 2
    [view] = (await admin.get(f"/vtn-reports/{ven.ven_id}/requests")).json()
    assert view["resends"] == 1 and view["unconfirmed_at"] is not None
    after = await report_svc_metrics()
    for outcome in ("sent_again", "gave_up"):
        labels = {"message": "oadrUpdateReport", "outcome": outcome}
        counted = [metric_sample(m, "vtn_report_request_resends_total", **labels) for m in (before, after)]
        assert counted[1] - counted[0] >= 1, outcome  # at least this VEN's


async def report_svc_metrics() -> str:
    async with httpx.AsyncClient(timeout=5) as client:
        return (await client.get(f"http://127.0.0.1:{HEALTH_PORTS['report_svc']}/metrics")).text


async def test_a_cancel_without_report_to_follow_ends_the_wait_for_an_unacknowledged_report(
    offering: RunningVtn,
    http: httpx.AsyncClient,
    db: asyncpg.Connection,
    unique: Callable[[str], str],
    official_schema: etree.XMLSchema,
) -> None:
    ven, once, _ = await ven_with_unacknowledged_status_report(http, unique, official_schema, "vtn-done-ven")
    assert ven.ven_id is not None
    kind, canceled = await ven.report(
        "oadrCancelReport", request_id=new_request_id(), report_request_id=once, report_to_follow=False
    )
    assert (kind, canceled["response"]["response_code"]) == ("oadrCanceledReport", 200)

    await an_hour_passes(db, ven.ven_id)
    await ven.poll_for(2.0)
    assert len(ven.updates[once]) == 1  # the VEN wants no more of it: not even the copy
    row = await vtn_report_looked_at(db, ven.ven_id, once)
    assert (row["resends"], row["confirm_by"], row["unconfirmed_at"]) == (0, None, None)


async def test_a_cancel_stops_the_reports_and_lists_what_is_still_pending(
    offering: RunningVtn, http: httpx.AsyncClient, unique: Callable[[str], str], official_schema: etree.XMLSchema
) -> None:
    ven = await new_ven(http, unique, official_schema, "vtn-cancel-ven")
    await ven.acknowledge_metadata()
    stopped, kept = unique("stopped"), unique("kept")
    await ven.report(
        "oadrCreateReport",
        request_id=new_request_id(),
        report_requests=[
            report_request(stopped, "vtn-prices", "price", SECOND, SECOND),
            report_request(kept, "vtn-status", "vtn-status", 60 * SECOND, 60 * SECOND),
        ],
    )
    await ven.updates_of(stopped, 1)
    kind, canceled = await ven.report(
        "oadrCancelReport", request_id=new_request_id(), report_request_id=stopped, report_to_follow=False
    )
    assert (kind, canceled["response"]["response_code"]) == ("oadrCanceledReport", 200)
    assert [p["report_request_id"] for p in canceled["pending_reports"]] == [kept]

    await ven.poll_for(2.0)  # what was queued before the cancel arrives now
    sent = len(ven.updates.get(stopped, []))
    await ven.poll_for(3.0)
    assert len(ven.updates.get(stopped, [])) == sent  # nothing more after the cancel

    kind, unknown = await ven.report(
        "oadrCancelReport", request_id=new_request_id(), report_request_id="never-requested", report_to_follow=False
    )
    assert (kind, unknown["response"]["response_code"]) == ("oadrCanceledReport", 452)


async def test_a_cancel_with_report_to_follow_gets_one_last_report(
    offering: RunningVtn,
    http: httpx.AsyncClient,
    admin: httpx.AsyncClient,
    unique: Callable[[str], str],
    official_schema: etree.XMLSchema,
) -> None:
    ven = await new_ven(http, unique, official_schema, "vtn-follow-ven")
    await ven.acknowledge_metadata()
    slow = unique("slow")
    await ven.report(
        "oadrCreateReport",
        request_id=new_request_id(),
        report_requests=[report_request(slow, "vtn-prices", "price", SECOND, 3600 * SECOND)],
    )
    await asyncio.sleep(2.5)
    kind, canceled = await ven.report(
        "oadrCancelReport", request_id=new_request_id(), report_request_id=slow, report_to_follow=True
    )
    assert (kind, canceled["response"]["response_code"]) == ("oadrCanceledReport", 200)
    [last] = await ven.updates_of(slow, 1)
    assert len(last["intervals"]) >= 2  # the seconds since the request, though the hour was not over
    await ven.poll_for(2.0)
    assert len(ven.updates[slow]) == 1
    [view] = (await admin.get(f"/vtn-reports/{ven.ven_id}/requests")).json()
    assert (view["status"], view["next_report_at"], view["reports_sent"]) == ("cancelled", None, 1)


async def test_a_request_piggy_backed_in_registered_report_is_created_on_the_next_poll(
    offering: RunningVtn, http: httpx.AsyncClient, unique: Callable[[str], str], official_schema: etree.XMLSchema
) -> None:
    ven = await new_ven(http, unique, official_schema, "vtn-piggy-ven")
    metadata = await ven.next_message("oadrRegisterReport")
    history = unique("history")
    hour_ago = (datetime.now(UTC) - timedelta(hours=1)).replace(microsecond=0)
    kind, answer = await ven.report(
        "oadrRegisteredReport",
        response=ok(metadata["request_id"]),
        report_requests=[
            report_request(history, "vtn-prices", "price", 900 * SECOND, timedelta(0), (hour_ago, timedelta(hours=1)))
        ],
    )
    assert (kind, answer["response"]["response_code"]) == ("oadrResponse", 200)
    created = await ven.next_message("oadrCreatedReport")
    assert created["response"]["request_id"] == metadata["request_id"]
    assert [p["report_request_id"] for p in created["pending_reports"]] == [history]
    kind, acknowledged = await ven.report("oadrResponse", response=ok(created["response"]["request_id"]))
    assert (kind, acknowledged["response"]["response_code"]) == ("oadrResponse", 200)

    [report] = await ven.updates_of(history, 1)
    assert [i["dtstart"] for i in report["intervals"]] == [hour_ago + timedelta(minutes=15 * k) for k in range(4)]


async def test_a_cancel_piggy_backed_in_updated_report_is_honoured(
    offering: RunningVtn, http: httpx.AsyncClient, unique: Callable[[str], str], official_schema: etree.XMLSchema
) -> None:
    ven = await new_ven(http, unique, official_schema, "vtn-updated-cancel-ven")
    await ven.acknowledge_metadata()
    periodic = unique("periodic")
    await ven.report(
        "oadrCreateReport",
        request_id=new_request_id(),
        report_requests=[report_request(periodic, "vtn-status", "vtn-status", SECOND, SECOND)],
    )
    deadline = time.monotonic() + 20
    while await ven.poll_once(acknowledge=False) != "oadrUpdateReport":
        assert time.monotonic() < deadline, "no oadrUpdateReport in 20 s"
        await asyncio.sleep(0.2)
    update = ven.received[-1][1]
    cancel_id = new_request_id()
    kind, answer = await ven.report(
        "oadrUpdatedReport",
        response=ok(update["request_id"]),
        cancel_report={
            "request_id": cancel_id,
            "report_request_id": [periodic],
            "report_to_follow": False,
            "ven_id": ven.ven_id,
        },
    )
    assert (kind, answer["response"]["response_code"]) == ("oadrResponse", 200)
    canceled = await ven.next_message("oadrCanceledReport")
    assert canceled["response"]["request_id"] == cancel_id
    assert canceled.get("pending_reports", []) == []
    await ven.poll_for(1.5)
    sent = len(ven.updates.get(periodic, []))
    await ven.poll_for(2.5)
    assert len(ven.updates.get(periodic, [])) == sent


async def test_requests_that_do_not_fit_the_vtns_metadata_are_refused_and_nothing_is_kept(
    offering: RunningVtn,
    http: httpx.AsyncClient,
    admin: httpx.AsyncClient,
    unique: Callable[[str], str],
    official_schema: etree.XMLSchema,
) -> None:
    ven = await new_ven(http, unique, official_schema, "vtn-refused-ven")
    for bad in (
        report_request("a", "no-such-report", "price", SECOND, SECOND),
        report_request("b", "vtn-prices", "no-such-rid", SECOND, SECOND),
        report_request("c", "vtn-prices", "price", 2 * 3600 * SECOND, SECOND),
    ):
        kind, created = await ven.report(
            "oadrCreateReport",
            request_id=new_request_id(),
            report_requests=[report_request("fine", "vtn-status", "vtn-status", SECOND, SECOND), bad],
        )
        assert kind == "oadrCreatedReport" and created["response"]["response_code"] in (452, 454)
    assert (await admin.get(f"/vtn-reports/{ven.ven_id}/requests")).json() == []


async def test_the_operator_republishes_the_metadata_through_both_doors(
    offering: RunningVtn,
    http: httpx.AsyncClient,
    admin: httpx.AsyncClient,
    unique: Callable[[str], str],
    official_schema: etree.XMLSchema,
) -> None:
    ven = await new_ven(http, unique, official_schema, "vtn-republish-ven")
    first = await ven.acknowledge_metadata()
    offered = (await admin.get("/vtn-reports")).json()
    assert [r["report_specifier_id"] for r in offered] == ["vtn-status", "vtn-prices"]

    published = await admin.post("/vtn-reports/publish", json={"ven_ids": [ven.ven_id]})
    assert published.status_code == 202, published.text
    assert published.json()["ven_ids"] == [ven.ven_id]
    again = await ven.acknowledge_metadata()
    assert again["request_id"] != first["request_id"]
    assert (await admin.post("/vtn-reports/publish", json={"ven_ids": ["no-such-ven"]})).status_code == 404

    assert ven.ven_id is not None
    command = Envelope(ven_id=ven.ven_id, payload=PublishVtnReports(ven_ids=(ven.ven_id,)))
    producer = clients.producer(KafkaConnection(offering.kafka_bootstrap))
    await producer.start()
    try:
        await producer.send_and_wait(topics.REPORT_COMMANDS, command.to_bytes(), key=command.kafka_key())
    finally:
        await producer.stop()
    third = await ven.acknowledge_metadata()
    assert third["request_id"] not in (first["request_id"], again["request_id"])


async def test_openleadrs_ven_gets_the_vtns_metadata_and_acknowledges_it(
    offering: RunningVtn, db: asyncpg.Connection, unique: Callable[[str], str]
) -> None:
    client = OpenADRClient(ven_name=unique("openleadr-vtn-reports"), vtn_url=offering.url)
    await client.run()
    try:

        async def acknowledged() -> bool:
            if client.ven_id is None:
                return False
            found = await db.fetchval(
                "SELECT count(*) FROM vtn_report_registrations WHERE ven_id = $1 AND acknowledged_at IS NOT NULL",
                client.ven_id,
            )
            return bool(found)

        await until_async(acknowledged, 30, "OpenLEADR's oadrRegisteredReport")
    finally:
        await client.stop()


async def test_a_2_0a_ven_which_has_no_reports_is_offered_none(
    offering: RunningVtn, admin: httpx.AsyncClient, db: asyncpg.Connection, unique: Callable[[str], str]
) -> None:
    """The 2.0a profile has no EiReport: its VEN, `created` when provisioned, gets no METADATA offer."""
    ven_id = unique("a-ven")
    assert (await admin.post("/vens", json={"profile_name": "2.0a", "ven_id": ven_id})).status_code == 201
    [created] = await find_on_topic(
        offering.kafka_bootstrap,
        topics.REGISTRATION_EVENTS,
        lambda e: isinstance(e.payload, RegistrationEvent) and e.payload.ven_id == ven_id,
    )

    async def handled() -> bool:
        return bool(
            await db.fetchval(
                "SELECT true FROM inbox WHERE consumer = 'report_svc.registrations' AND message_id = $1",
                created.message_id,
            )
        )

    await until_async(handled, 30, "report_svc to handle the VEN's registration")
    assert await db.fetchval("SELECT count(*) FROM pending_messages WHERE ven_id = $1", ven_id) == 0
    assert await db.fetchval("SELECT count(*) FROM vtn_report_registrations WHERE ven_id = $1", ven_id) == 0
