"""The VTN's own reports (VTN -> VEN) and VEN identity, on the real stack over HTTPS with signed messages: VEN
B can neither acknowledge what the VTN sent VEN A (its METADATA, its oadrUpdateReport, an oadrCreatedReport
fetched on a poll) nor cancel A's requests; reportRequestIDs a VEN chooses are its own. report_svc runs here
with the catalog and hooks of tests/integration/test_vtn_reports.py (its `offering` fixture)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from tests.integration.raw_ven import new_request_id
from tests.integration.secure_gateway import Answer, MakeVen, SignedVen, two_vens
from tests.integration.test_vtn_reports import SECOND, offering, ok, report_request  # noqa: F401 (offering: a fixture)

pytestmark = pytest.mark.usefixtures("offering")


async def metadata_of(ven: SignedVen) -> Answer:
    return await ven.poll_until("oadrRegisterReport")


async def test_a_ven_cannot_acknowledge_the_metadata_the_vtn_sent_another(
    signed_vens: MakeVen, db: asyncpg.Connection, unique: Callable[[str], str]
) -> None:
    a, b = await two_vens(signed_vens, unique)
    metadata = (await metadata_of(a)).payload
    stolen = await b.send(
        "EiReport", "oadrRegisteredReport", response=ok(metadata["request_id"]), ven_id=b.ven_id, report_requests=[]
    )
    assert (stolen.code, stolen.description) == (452, "no oadrRegisterReport with this requestID")
    acknowledged = "SELECT acknowledged_at FROM vtn_report_registrations WHERE ven_id = $1 AND request_id = $2"
    assert await db.fetchval(acknowledged, a.ven_id, metadata["request_id"]) is None
    own = await a.send(
        "EiReport", "oadrRegisteredReport", response=ok(metadata["request_id"]), ven_id=a.ven_id, report_requests=[]
    )
    assert own.code == 200
    assert await db.fetchval(acknowledged, a.ven_id, metadata["request_id"]) is not None


async def test_report_request_ids_a_ven_chooses_are_its_own_and_another_cannot_cancel_them(
    signed_vens: MakeVen, db: asyncpg.Connection, unique: Callable[[str], str]
) -> None:
    a, b = await two_vens(signed_vens, unique)
    shared_id, a_only = unique("same-id"), unique("a-only")
    hour = (datetime.now(UTC) + timedelta(hours=1), timedelta(hours=1))  # nothing due while the test runs
    a_created = await a.send(
        "EiReport",
        "oadrCreateReport",
        request_id=new_request_id(),
        ven_id=a.ven_id,
        report_requests=[
            report_request(shared_id, "vtn-status", "vtn-status", SECOND, SECOND, hour),
            report_request(a_only, "vtn-status", "vtn-status", SECOND, SECOND, hour),
        ],
    )
    b_created = await b.send(
        "EiReport",
        "oadrCreateReport",
        request_id=new_request_id(),
        ven_id=b.ven_id,
        report_requests=[
            report_request(shared_id, "vtn-status", "vtn-status", SECOND, SECOND, hour),
        ],
    )
    assert (a_created.code, b_created.code) == (200, 200)
    assert [p["report_request_id"] for p in b_created.payload["pending_reports"]] == [shared_id]
    stolen = await b.send(
        "EiReport",
        "oadrCancelReport",
        request_id=new_request_id(),
        ven_id=b.ven_id,
        report_request_id=a_only,
        report_to_follow=False,
    )
    assert (stolen.kind, stolen.code) == ("oadrCanceledReport", 452)
    assert stolen.description == f"no request for this VTN's reports with reportRequestID {[a_only]}"
    rows = await db.fetch(
        "SELECT ven_id, report_request_id, status FROM vtn_report_requests WHERE report_request_id = ANY($1::text[]) ORDER BY ven_id",
        [shared_id, a_only],
    )
    assert sorted((r["ven_id"], r["report_request_id"], r["status"]) for r in rows) == sorted(
        [(a.ven_id, shared_id, "active"), (a.ven_id, a_only, "active"), (b.ven_id, shared_id, "active")]
    )


async def test_a_ven_cannot_acknowledge_a_report_the_vtn_sent_another(
    signed_vens: MakeVen, db: asyncpg.Connection, unique: Callable[[str], str]
) -> None:
    a, b = await two_vens(signed_vens, unique)
    one_shot = unique("status-once")
    created = await a.send(
        "EiReport",
        "oadrCreateReport",
        request_id=new_request_id(),
        ven_id=a.ven_id,
        report_requests=[
            report_request(one_shot, "vtn-status", "vtn-status", timedelta(0), timedelta(0)),
        ],
    )
    assert created.code == 200
    update = (await a.poll_until("oadrUpdateReport")).payload
    acknowledged = "SELECT last_sent_acknowledged FROM vtn_report_requests WHERE ven_id = $1 AND report_request_id = $2"
    for request_id in (update["request_id"], new_request_id()):
        stolen = await b.send("EiReport", "oadrUpdatedReport", response=ok(request_id), ven_id=b.ven_id)
        assert (stolen.code, stolen.description) == (
            452,
            "no oadrUpdateReport with this requestID was sent to this VEN",
        )
    assert await db.fetchval(acknowledged, a.ven_id, one_shot) is False
    own = await a.send("EiReport", "oadrUpdatedReport", response=ok(update["request_id"]), ven_id=a.ven_id)
    assert own.code == 200
    assert await db.fetchval(acknowledged, a.ven_id, one_shot) is True


async def test_a_ven_cannot_acknowledge_a_created_report_the_vtn_sent_another(
    signed_vens: MakeVen, unique: Callable[[str], str]
) -> None:
    """oadrResponse on EiReport acknowledges an oadrCreatedReport (here: for requests piggy-backed in the VEN's
    oadrRegisteredReport) that the VEN fetched on a poll: only that VEN's."""
    a, b = await two_vens(signed_vens, unique)
    metadata = (await metadata_of(a)).payload
    hour = (datetime.now(UTC) + timedelta(hours=1), timedelta(hours=1))
    registered = await a.send(
        "EiReport",
        "oadrRegisteredReport",
        response=ok(metadata["request_id"]),
        ven_id=a.ven_id,
        report_requests=[report_request(unique("piggy"), "vtn-status", "vtn-status", SECOND, SECOND, hour)],
    )
    assert registered.code == 200
    created = (await a.poll_until("oadrCreatedReport")).payload
    request_id = created["response"]["request_id"]
    stolen = await b.send("EiReport", "oadrResponse", response=ok(request_id), ven_id=b.ven_id)
    assert (stolen.code, stolen.description) == (
        452,
        "no oadrCreatedReport or oadrCanceledReport with this requestID was sent to this VEN",
    )
    own = await a.send("EiReport", "oadrResponse", response=ok(request_id), ven_id=a.ven_id)
    assert own.code == 200
