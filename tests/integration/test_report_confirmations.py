"""Report requests, cancels and the VTN's METADATA a VEN never confirmed are sent again on its polls
(report_svc.confirmations), by report_svc's own periodic look.

Each test moves its VEN's clock marks an hour back rather than waiting a real minute per step
(tests.integration.confirmation_clock). Raw VENs (OpenLEADR-made XML) check each message, against the official
2.0b schema too; and OpenLEADR's own VEN, whose answer carrying its report requests is lost, gets its telemetry
going. The VTN's own reports sent again: tests/integration/test_vtn_reports.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import asyncpg
import httpx
from lxml import etree

from tests.integration.answer_dropping_proxy import AnswerDroppingProxy
from tests.integration.confirmation_clock import an_hour_passes, looked_at, offer_looked_at
from tests.integration.raw_ven import new_request_id
from tests.integration.test_openleadr_reports import TelemetryVen, stored_values
from tests.integration.test_reports import HOUR_AGO, ReportingVen, history_report, registered_ven
from tests.integration.test_vtn_reports import ok
from tests.stack import RunningVtn
from tests.waiting import until, until_async


async def nothing_more_comes(ven: ReportingVen) -> None:
    for _ in range(3):
        kind, _ = await ven.exchange("OadrPoll", "oadrPoll", ven_id=ven.ven_id)
        assert kind == "oadrResponse"


async def confirmed_ven(http: httpx.AsyncClient, name: str, schema: etree.XMLSchema) -> tuple[ReportingVen, str]:
    """A VEN that registered its reports and confirmed the policy's request; that request's reportRequestID."""
    ven, registered = await registered_ven(http, name, schema)
    [request] = registered["report_requests"]
    kind, _ = await ven.report(
        "oadrCreatedReport", **confirmation(registered["response"]["request_id"], request["report_request_id"])
    )
    assert kind == "oadrResponse"
    report_request_id: str = request["report_request_id"]
    return ven, report_request_id


async def ask_for_history(admin: httpx.AsyncClient, ven_id: str) -> str:
    """An operator asks for the last hour's history (one-shot); its reportRequestID."""
    asked = await admin.post(
        f"/reports/{ven_id}/requests",
        json={
            "report_specifier_id": "history",
            "granularity": "PT15M",
            "report_back_duration": "PT0M",
            "report_interval": {"dtstart": HOUR_AGO.isoformat(), "duration": "PT1H"},
        },
    )
    assert asked.status_code == 202, asked.text
    report_request_id: str = asked.json()["requests"][0]["report_request_id"]
    return report_request_id


def confirmation(request_id: str, report_request_id: str) -> dict[str, Any]:
    return {
        "response": ok(request_id),
        "pending_reports": [{"report_request_id": report_request_id}],
    }


async def test_a_request_lost_with_the_registered_report_comes_again_on_a_poll_until_the_ven_confirms_it(
    http: httpx.AsyncClient,
    admin: httpx.AsyncClient,
    db: asyncpg.Connection,
    unique: Callable[[str], str],
    official_schema: etree.XMLSchema,
) -> None:
    ven, answer = await registered_ven(http, unique("lost-request-ven"), official_schema)
    [lost] = answer["report_requests"]  # the policy's request, in the oadrRegisteredReport the VEN "never got"
    assert ven.ven_id is not None

    await an_hour_passes(db, ven.ven_id)
    again = await ven.poll_until("oadrCreateReport")
    [request] = again["report_requests"]
    assert request["report_request_id"] == lost["report_request_id"]
    assert request["report_specifier"] == lost["report_specifier"]
    kind, confirmed = await ven.report(
        "oadrCreatedReport", **confirmation(again["request_id"], lost["report_request_id"])
    )
    assert (kind, confirmed["response"]["response_code"]) == ("oadrResponse", 200)

    await an_hour_passes(db, ven.ven_id)
    row = await looked_at(db, lost["report_request_id"])
    assert (row["status"], row["resends"], row["unconfirmed_at"]) == ("created", 1, None)
    await nothing_more_comes(ven)
    [view] = (await admin.get(f"/reports/{ven.ven_id}/requests")).json()
    assert (view["status"], view["resends"], view["unconfirmed_at"]) == ("created", 1, None)


async def test_a_request_never_confirmed_is_marked_unconfirmed_after_its_last_resend(
    http: httpx.AsyncClient,
    admin: httpx.AsyncClient,
    db: asyncpg.Connection,
    unique: Callable[[str], str],
    official_schema: etree.XMLSchema,
) -> None:
    ven, policy_request_id = await confirmed_ven(http, unique("silent-ven"), official_schema)
    assert ven.ven_id is not None
    report_request_id = await ask_for_history(admin, ven.ven_id)
    first = await ven.poll_until("oadrCreateReport")  # taken, then never answered

    await an_hour_passes(db, ven.ven_id)
    second = await ven.poll_until("oadrCreateReport")
    assert [r["report_request_id"] for r in second["report_requests"]] == [report_request_id]
    assert second["report_requests"] == first["report_requests"]

    await an_hour_passes(db, ven.ven_id)  # the stack allows one resend (VTN_REPORT_RESEND_LIMIT=1)
    row = await looked_at(db, report_request_id)
    assert (row["status"], row["resends"], row["confirm_by"]) == ("requested", 1, None)
    assert row["unconfirmed_at"] is not None
    await nothing_more_comes(ven)
    views = {v["report_request_id"]: v for v in (await admin.get(f"/reports/{ven.ven_id}/requests")).json()}
    assert views[report_request_id]["unconfirmed_at"] is not None
    assert views[policy_request_id]["unconfirmed_at"] is None


async def test_a_lost_cancel_comes_again_with_its_request_id_and_the_ven_can_confirm_it(
    http: httpx.AsyncClient,
    admin: httpx.AsyncClient,
    db: asyncpg.Connection,
    unique: Callable[[str], str],
    official_schema: etree.XMLSchema,
) -> None:
    ven, report_request_id = await confirmed_ven(http, unique("lost-cancel-ven"), official_schema)
    assert ven.ven_id is not None
    cancelled = await admin.post(f"/reports/{ven.ven_id}/requests/{report_request_id}/cancel")
    assert cancelled.status_code == 202, cancelled.text
    lost = await ven.poll_until("oadrCancelReport")

    await an_hour_passes(db, ven.ven_id)
    again = await ven.poll_until("oadrCancelReport")
    assert (again["request_id"], again["report_request_id"]) == (lost["request_id"], report_request_id)
    kind, confirmed = await ven.report("oadrCanceledReport", **confirmation(again["request_id"], report_request_id))
    assert (kind, confirmed["response"]["response_code"]) == ("oadrResponse", 200)
    row = await looked_at(db, report_request_id)
    assert (row["status"], row["resends"]) == ("cancelled", 1)


async def test_data_for_a_request_confirms_it_without_an_oadr_created_report(
    http: httpx.AsyncClient,
    db: asyncpg.Connection,
    unique: Callable[[str], str],
    official_schema: etree.XMLSchema,
    admin: httpx.AsyncClient,
) -> None:
    ven, _ = await registered_ven(http, unique("data-confirms-ven"), official_schema)
    assert ven.ven_id is not None
    report_request_id = await ask_for_history(admin, ven.ven_id)
    await ven.poll_until("oadrCreateReport")
    kind, updated = await ven.report(
        "oadrUpdateReport", request_id=new_request_id(), reports=[history_report(report_request_id, [1.5])]
    )
    assert (kind, updated["response"]["response_code"]) == ("oadrUpdatedReport", 200)

    await an_hour_passes(db, ven.ven_id)
    row = await looked_at(db, report_request_id)
    assert (row["status"], row["resends"], row["confirm_by"], row["unconfirmed_at"]) == ("requested", 0, None, None)


async def test_the_vtns_metadata_lost_on_a_poll_comes_again_with_its_request_id(
    http: httpx.AsyncClient,
    admin: httpx.AsyncClient,
    db: asyncpg.Connection,
    unique: Callable[[str], str],
    official_schema: etree.XMLSchema,
) -> None:
    ven = ReportingVen(http, unique("lost-metadata-ven"), official_schema)
    await ven.register()
    assert ven.ven_id is not None
    published = await admin.post("/vtn-reports/publish", json={"ven_ids": [ven.ven_id]})
    assert published.status_code == 202, published.text
    lost = await ven.poll_until("oadrRegisterReport")

    await an_hour_passes(db, ven.ven_id)
    again = await ven.poll_until("oadrRegisterReport")
    assert (again["request_id"], again["reports"]) == (lost["request_id"], lost["reports"])
    kind, answer = await ven.report("oadrRegisteredReport", response=ok(again["request_id"]), report_requests=[])
    assert (kind, answer["response"]["response_code"]) == ("oadrResponse", 200)

    await an_hour_passes(db, ven.ven_id)
    row = await offer_looked_at(db, ven.ven_id, again["request_id"])
    assert (row["resends"], row["confirm_by"], row["unconfirmed_at"]) == (1, None, None)
    assert row["acknowledged_at"] is not None
    await nothing_more_comes(ven)


async def test_openleadrs_ven_that_lost_its_report_requests_gets_them_again_and_its_telemetry_flows(
    vtn: RunningVtn, db: asyncpg.Connection, unique: Callable[[str], str]
) -> None:
    proxy = AnswerDroppingProxy(vtn.url, b"<oadr:oadrRegisterReport")
    ven = TelemetryVen(await proxy.start(), unique("lossy-telemetry-ven"))
    await ven.client.run()
    try:
        await until(lambda: proxy.dropped == 1, 15, "the oadrRegisteredReport to be lost")

        async def requests_stored() -> bool:
            count = await db.fetchval("SELECT count(*) FROM report_requests WHERE ven_id = $1", ven.ven_id)
            return bool(count == 2)  # the policy's power and status requests, which the VEN never got

        await until_async(requests_stored, 15, "the policy's requests")
        await asyncio.sleep(3)
        assert not ven.produced["power"] and not ven.produced["status"]  # the VEN reports nothing

        await an_hour_passes(db, ven.ven_id)

        async def reporting() -> bool:
            return bool(await stored_values(db, ven.ven_id, "power")) and bool(
                await stored_values(db, ven.ven_id, "status")
            )

        await until_async(reporting, 30, "telemetry after the requests were sent again")
        rows = await db.fetch("SELECT status, resends FROM report_requests WHERE ven_id = $1", ven.ven_id)
        assert sorted((row["status"], row["resends"]) for row in rows) == [("created", 1), ("created", 1)]
    finally:
        await ven.client.stop()
        await proxy.stop()
