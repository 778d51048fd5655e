"""Every message that names a VEN is checked against that VEN's certificate, on the real stack over HTTPS with
signed messages: VENs A and B, each with its own certificate, and a stranger whose certificate is bound to no
VEN (docs/security-identity.md has the table of message types, the IDs each names and where each is checked).

- a venID another certificate's (or nobody's) is 463 at the gateway, with one text for both;
- a message without venID speaks for its certificate's VEN, and for none when the certificate is bound to
  no VEN (463);
- an ID of another VEN (registrationID, reportRequestID, eventID, optID, the requestID of a message the VTN
  sent) is answered exactly as an unknown one (452), changes nothing and reveals nothing about the other VEN;
- an acknowledgement counts only for a message the VTN sent that same VEN.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
import pytest
from openleadr import objects

from tests.integration.event_ven import simple_event
from tests.integration.raw_ven import new_request_id
from tests.integration.secure_gateway import Answer, MakeVen, SignedVen, two_vens
from tests.integration.test_reports import metadata
from tests.integration.test_vtn_reports import ok

NOT_BOUND_TO_A_VEN = "this client certificate is bound to no VEN: register first"
UNKNOWN_REGISTRATION = "unknown registrationID or venID"
NO_SUCH_CANCEL = "no oadrCancelPartyRegistration with this requestID and registrationID was sent to this VEN"


async def registration_of(db: asyncpg.Connection, ven: SignedVen) -> tuple[str, str, str]:
    row = await db.fetchrow("SELECT registration_id, status, fingerprint FROM vens WHERE ven_id = $1", ven.ven_id)
    assert row is not None
    return row["registration_id"], row["status"], row["fingerprint"]


def cancel(registration_id: str | None, **extra: Any) -> dict[str, Any]:
    return {"request_id": new_request_id(), "registration_id": registration_id, **extra}


def reregistration(ven: SignedVen, registration_id: str | None) -> dict[str, Any]:
    return dict(
        request_id=new_request_id(),
        registration_id=registration_id,
        ven_name=ven.ven_name,
        profile_name="2.0b",
        transport_name="simpleHttp",
        transport_address=None,
        report_only=False,
        xml_signature=True,
        http_pull_model=True,
    )


# --- EiRegisterParty -----------------------------------------------------------------------------------------------


async def test_a_ven_cannot_acknowledge_a_cancel_of_another_vens_registration(
    signed_vens: MakeVen, db: asyncpg.Connection, unique: Callable[[str], str]
) -> None:
    """B acknowledges a cancel of A's registration, naming only A's registrationID: 452, A stays registered and
    the answer does not carry A's venID."""
    a, b = await two_vens(signed_vens, unique)
    before = await registration_of(db, a)
    answer = await b.send(
        "EiRegisterParty",
        "oadrCanceledPartyRegistration",
        response=ok(new_request_id()),
        registration_id=a.registration_id,
    )
    assert (answer.kind, answer.code, answer.description) == ("oadrResponse", 452, NO_SUCH_CANCEL)
    assert str(a.ven_id).encode() not in answer.body
    assert await registration_of(db, a) == before
    assert (await a.poll()).code == 200


async def test_an_acknowledgement_of_a_cancel_the_vtn_never_sent_changes_nothing(
    signed_vens: MakeVen, db: asyncpg.Connection, unique: Callable[[str], str]
) -> None:
    b = await signed_vens(unique("ven-b")).register()
    answer = await b.send(
        "EiRegisterParty",
        "oadrCanceledPartyRegistration",
        response=ok(new_request_id()),
        registration_id=b.registration_id,
        ven_id=b.ven_id,
    )
    assert (answer.code, answer.description) == (452, NO_SUCH_CANCEL)
    assert (await registration_of(db, b))[1] == "registered"


async def test_only_the_ven_the_vtn_cancelled_acknowledges_the_cancel(
    signed_vens: MakeVen, admin: httpx.AsyncClient, db: asyncpg.Connection, unique: Callable[[str], str]
) -> None:
    a, b = await two_vens(signed_vens, unique)
    assert (await admin.post(f"/vens/{a.ven_id}/cancel-registration")).status_code == 202
    told = (await a.poll_until("oadrCancelPartyRegistration")).payload
    acknowledgement = {"response": ok(told["request_id"]), "registration_id": told["registration_id"]}
    stolen = await b.send("EiRegisterParty", "oadrCanceledPartyRegistration", **acknowledgement)
    assert (stolen.code, stolen.description) == (452, NO_SUCH_CANCEL)
    answer = await a.send("EiRegisterParty", "oadrCanceledPartyRegistration", **acknowledgement, ven_id=a.ven_id)
    assert (answer.code, answer.payload["ven_id"]) == (200, a.ven_id)
    assert (await registration_of(db, b))[1] == "registered"


@pytest.mark.parametrize("kind", ["cancel", "reregistration"])
async def test_a_ven_cannot_cancel_or_take_over_another_vens_registration(
    signed_vens: MakeVen, db: asyncpg.Connection, unique: Callable[[str], str], kind: str
) -> None:
    """B names A's registrationID (no venID): the same 452 as for a registrationID that does not exist."""
    a, b = await two_vens(signed_vens, unique)
    before = await registration_of(db, a)
    answers = []
    for registration_id in (a.registration_id, "no-such-registration"):
        if kind == "cancel":
            answer = await b.send("EiRegisterParty", "oadrCancelPartyRegistration", **cancel(registration_id))
        else:
            answer = await b.send(
                "EiRegisterParty", "oadrCreatePartyRegistration", **reregistration(b, registration_id)
            )
        answers.append((answer.code, answer.description, answer.payload.get("ven_id")))
    assert answers == [(452, UNKNOWN_REGISTRATION, None)] * 2
    assert await registration_of(db, a) == before
    assert (await registration_of(db, b))[1] == "registered"


async def test_a_certificate_bound_to_no_ven_can_name_no_registration(
    signed_vens: MakeVen, db: asyncpg.Connection, unique: Callable[[str], str]
) -> None:
    a = await signed_vens(unique("ven-a")).register()
    stranger = signed_vens(unique("stranger"))
    before = await registration_of(db, a)
    answers = [
        await stranger.send("EiRegisterParty", "oadrCancelPartyRegistration", **cancel(a.registration_id)),
        await stranger.send(
            "EiRegisterParty", "oadrCreatePartyRegistration", **reregistration(stranger, a.registration_id)
        ),
        await stranger.send(
            "EiRegisterParty",
            "oadrCanceledPartyRegistration",
            response=ok(new_request_id()),
            registration_id=a.registration_id,
        ),
        await stranger.send("EiRegisterParty", "oadrResponse", response=ok(None)),
    ]
    assert [(x.code, x.description) for x in answers] == [(463, NOT_BOUND_TO_A_VEN)] * 4
    assert await registration_of(db, a) == before
    assert await db.fetchval("SELECT count(*) FROM vens WHERE fingerprint = $1", stranger.certificate.fingerprint) == 0


async def test_an_acknowledged_reregistration_request_is_one_the_vtn_sent_that_ven(
    signed_vens: MakeVen, admin: httpx.AsyncClient, unique: Callable[[str], str]
) -> None:
    a, b = await two_vens(signed_vens, unique)
    assert (await admin.post(f"/vens/{a.ven_id}/request-reregistration")).status_code == 202
    await a.poll_until("oadrRequestReregistration")
    never_asked = await b.send("EiRegisterParty", "oadrResponse", response=ok(None), ven_id=b.ven_id)
    assert (never_asked.code, never_asked.description) == (452, "no oadrRequestReregistration was sent to this VEN")
    asked = await a.send("EiRegisterParty", "oadrResponse", response=ok(None), ven_id=a.ven_id)
    assert asked.code == 200


async def test_query_registration_answers_with_the_certificates_own_ven(
    signed_vens: MakeVen, unique: Callable[[str], str]
) -> None:
    a, b = await two_vens(signed_vens, unique)
    answer = await b.send("EiRegisterParty", "oadrQueryRegistration", request_id=new_request_id())
    assert (answer.payload["ven_id"], answer.payload["registration_id"]) == (b.ven_id, b.registration_id)
    assert str(a.ven_id).encode() not in answer.body


# --- every message type, naming another VEN's venID ------------------------------------------------------------------


def _named() -> list[tuple[str, str, dict[str, Any]]]:
    now = datetime.now(UTC)
    return [
        ("OadrPoll", "oadrPoll", {}),
        ("EiRegisterParty", "oadrCancelPartyRegistration", cancel("any")),
        ("EiRegisterParty", "oadrCanceledPartyRegistration", {"response": ok("r"), "registration_id": "any"}),
        ("EiRegisterParty", "oadrResponse", {"response": ok(None)}),
        ("EiEvent", "oadrRequestEvent", {"request_id": new_request_id()}),
        ("EiEvent", "oadrCreatedEvent", {"response": ok("r"), "event_responses": []}),
        (
            "EiOpt",
            "oadrCreateOpt",
            {
                "opt_id": "o",
                "opt_type": "optIn",
                "opt_reason": "economic",
                "event_id": "e",
                "modification_number": 0,
                "request_id": new_request_id(),
                "created_date_time": now,
            },
        ),
        ("EiOpt", "oadrCancelOpt", {"opt_id": "o", "request_id": new_request_id()}),
        ("EiReport", "oadrRegisterReport", {"request_id": new_request_id(), "reports": [], "report_request_id": "0"}),
        ("EiReport", "oadrCreatedReport", {"response": ok("r"), "pending_reports": []}),
        ("EiReport", "oadrUpdateReport", {"request_id": new_request_id(), "reports": []}),
        ("EiReport", "oadrCanceledReport", {"response": ok("r"), "pending_reports": []}),
        ("EiReport", "oadrUpdatedReport", {"response": ok("r")}),
        ("EiReport", "oadrResponse", {"response": ok("r")}),
    ]


async def test_every_message_naming_another_vens_id_is_refused_at_the_gateway(
    signed_vens: MakeVen, db: asyncpg.Connection, unique: Callable[[str], str]
) -> None:
    """From B's certificate and from one bound to no VEN: 463, with one text whether the venID is bound to
    another certificate or to none, so the answer does not tell which venIDs exist."""
    a, b = await two_vens(signed_vens, unique)
    stranger = signed_vens(unique("stranger"))
    for sender in (b, stranger):
        for service, message_type, fields in _named():
            answer = await sender.send(service, message_type, ven_id=a.ven_id, **fields)
            assert (answer.code, answer.description) == (463, f"venID {a.ven_id} is not bound to this certificate"), (
                message_type
            )
        nobody = await sender.send("OadrPoll", "oadrPoll", ven_id=unique("nobody"))
        assert nobody.description.endswith("is not bound to this certificate")
    assert (await registration_of(db, a))[1] == "registered"


# --- EiEvent and EiOpt -----------------------------------------------------------------------------------------------


async def event_for(admin: httpx.AsyncClient, event_id: str, *vens: SignedVen) -> str:
    created = await admin.post("/events", json=simple_event(tuple(str(ven.ven_id) for ven in vens), event_id=event_id))
    assert created.status_code == 201, created.text
    return event_id


async def answer_event(ven: SignedVen, event_id: str, request_id: str) -> Answer:
    response = {**ok(request_id), "event_id": event_id, "modification_number": 0, "opt_type": "optIn"}
    return await ven.send(
        "EiEvent", "oadrCreatedEvent", response=ok(request_id), ven_id=ven.ven_id, event_responses=[response]
    )


async def test_a_ven_cannot_answer_an_event_sent_to_another(
    signed_vens: MakeVen, admin: httpx.AsyncClient, db: asyncpg.Connection, unique: Callable[[str], str]
) -> None:
    a, b = await two_vens(signed_vens, unique)
    event_id = await event_for(admin, unique("a-only"), a)
    answers = []
    for named in (event_id, unique("never-created")):
        answer = await answer_event(b, named, "r")
        answers.append((answer.code, answer.description.replace(named, "<id>")))
    assert answers == [(452, "no event '<id>' for this VEN")] * 2
    assert await db.fetchval("SELECT count(*) FROM event_responses WHERE event_id = $1", event_id) == 0
    distributed = (await a.poll_until("oadrDistributeEvent")).payload
    assert (await answer_event(a, event_id, distributed["request_id"])).code == 200
    assert await db.fetchval("SELECT ven_id FROM event_responses WHERE event_id = $1", event_id) == a.ven_id


def _opt(ven: SignedVen, opt_id: str, opt_type: str, event_id: str) -> dict[str, Any]:
    return dict(
        opt_id=opt_id,
        opt_type=opt_type,
        opt_reason="economic",
        ven_id=ven.ven_id,
        event_id=event_id,
        modification_number=0,
        request_id=new_request_id(),
        created_date_time=datetime.now(UTC),
    )


async def test_opt_ids_are_each_vens_own(
    signed_vens: MakeVen, admin: httpx.AsyncClient, db: asyncpg.Connection, unique: Callable[[str], str]
) -> None:
    """B reusing A's optID makes B's own opt: it neither replaces A's nor learns that A uses it, and B's
    oadrCancelOpt cancels only B's."""
    a, b = await two_vens(signed_vens, unique)
    event_id = await event_for(admin, unique("both"), a, b)
    opt_id = unique("opt")
    assert (await a.send("EiOpt", "oadrCreateOpt", **_opt(a, opt_id, "optIn", event_id))).code == 200
    assert (await b.send("EiOpt", "oadrCreateOpt", **_opt(b, opt_id, "optOut", event_id))).code == 200
    rows = await db.fetch("SELECT ven_id, opt_type FROM opts WHERE opt_id = $1 ORDER BY opt_type", opt_id)
    assert [(r["ven_id"], r["opt_type"]) for r in rows] == [(a.ven_id, "optIn"), (b.ven_id, "optOut")]
    assert (
        await b.send("EiOpt", "oadrCancelOpt", opt_id=opt_id, ven_id=b.ven_id, request_id=new_request_id())
    ).code == 200
    again = await b.send("EiOpt", "oadrCancelOpt", opt_id=opt_id, ven_id=b.ven_id, request_id=new_request_id())
    assert (again.code, again.description) == (452, f"no optID {opt_id!r} in force for this VEN")
    assert (
        await db.fetchval("SELECT cancelled_at FROM opts WHERE opt_id = $1 AND ven_id = $2", opt_id, a.ven_id) is None
    )


async def test_a_ven_cannot_opt_for_an_event_sent_to_another(
    signed_vens: MakeVen, admin: httpx.AsyncClient, db: asyncpg.Connection, unique: Callable[[str], str]
) -> None:
    a, b = await two_vens(signed_vens, unique)
    event_id = await event_for(admin, unique("a-only"), a)
    answer = await b.send("EiOpt", "oadrCreateOpt", **_opt(b, unique("opt"), "optOut", event_id))
    assert (answer.code, answer.description) == (452, f"no event {event_id!r} for this VEN")
    assert await db.fetchval("SELECT count(*) FROM opts WHERE event_id = $1", event_id) == 0


# --- EiReport --------------------------------------------------------------------------------------------------------


async def reporting_vens(
    signed_vens: MakeVen, unique: Callable[[str], str]
) -> tuple[SignedVen, SignedVen, dict[str, Any]]:
    """A and B, each having offered its METADATA; A's report request as the VTN answered it."""
    a, b = await two_vens(signed_vens, unique)
    for ven in (a, b):
        answer = await ven.send(
            "EiReport",
            "oadrRegisterReport",
            request_id=new_request_id(),
            ven_id=ven.ven_id,
            reports=metadata(),
            report_request_id="0",
        )
        assert (answer.kind, answer.code) == ("oadrRegisteredReport", 200)
        if ven is a:
            [a_request] = answer.payload["report_requests"]
    return a, b, a_request


def _telemetry(report_request_id: str) -> objects.Report:
    return objects.Report(
        report_specifier_id="telemetry",
        report_name="TELEMETRY_USAGE",
        report_request_id=report_request_id,
        intervals=[
            objects.ReportInterval(
                dtstart=datetime.now(UTC).replace(microsecond=0),
                duration=None,
                report_payload=objects.ReportPayload(r_id="voltage", value=230.0),
            )
        ],
    )


async def test_a_ven_cannot_report_for_or_acknowledge_another_vens_report_request(
    signed_vens: MakeVen, db: asyncpg.Connection, unique: Callable[[str], str]
) -> None:
    a, b, a_request = await reporting_vens(signed_vens, unique)
    request_id = a_request["report_request_id"]
    data = await b.send(
        "EiReport", "oadrUpdateReport", request_id=new_request_id(), ven_id=b.ven_id, reports=[_telemetry(request_id)]
    )
    assert (data.kind, data.code, data.description) == (
        "oadrUpdatedReport",
        452,
        f"reportRequestID {request_id} was never requested",
    )
    created = await b.send(
        "EiReport",
        "oadrCreatedReport",
        response=ok("r"),
        ven_id=b.ven_id,
        pending_reports=[{"report_request_id": request_id}],
    )
    assert (created.code, created.description) == (452, f"reportRequestID {request_id} was never requested")
    assert (
        await db.fetchval("SELECT status FROM report_requests WHERE report_request_id = $1", request_id) == "requested"
    )
    assert await db.fetchval("SELECT count(*) FROM report_data WHERE report_request_id = $1", request_id) == 0
    own = await a.send(
        "EiReport",
        "oadrCreatedReport",
        response=ok("r"),
        ven_id=a.ven_id,
        pending_reports=[{"report_request_id": request_id}],
    )
    assert own.code == 200
    assert await db.fetchval("SELECT status FROM report_requests WHERE report_request_id = $1", request_id) == "created"


async def test_a_ven_cannot_confirm_the_cancel_of_another_vens_report(
    signed_vens: MakeVen, admin: httpx.AsyncClient, db: asyncpg.Connection, unique: Callable[[str], str]
) -> None:
    a, b, a_request = await reporting_vens(signed_vens, unique)
    request_id = a_request["report_request_id"]
    assert (await admin.post(f"/reports/{a.ven_id}/requests/{request_id}/cancel")).status_code == 202
    told = (await a.poll_until("oadrCancelReport")).payload
    stolen = await b.send(
        "EiReport", "oadrCanceledReport", response=ok(told["request_id"]), ven_id=b.ven_id, pending_reports=[]
    )
    assert (stolen.code, stolen.description) == (452, "no oadrCancelReport with this requestID")
    assert (
        await db.fetchval("SELECT status FROM report_requests WHERE report_request_id = $1", request_id)
        == "cancel_requested"
    )
    own = await a.send(
        "EiReport", "oadrCanceledReport", response=ok(told["request_id"]), ven_id=a.ven_id, pending_reports=[]
    )
    assert own.code == 200
    assert (
        await db.fetchval("SELECT status FROM report_requests WHERE report_request_id = $1", request_id) == "cancelled"
    )


async def test_a_report_message_without_ven_id_speaks_for_the_certificates_ven_only(
    signed_vens: MakeVen, db: asyncpg.Connection, unique: Callable[[str], str]
) -> None:
    a = await signed_vens(unique("ven-a")).register()
    stranger = signed_vens(unique("stranger"))
    own = await a.send(
        "EiReport", "oadrRegisterReport", request_id=new_request_id(), reports=metadata(), report_request_id="0"
    )
    assert (own.kind, own.code, own.payload["ven_id"]) == ("oadrRegisteredReport", 200, a.ven_id)
    assert await db.fetchval("SELECT count(*) FROM ven_report_offers WHERE ven_id = $1", a.ven_id) == 2
    refused = await stranger.send(
        "EiReport", "oadrRegisterReport", request_id=new_request_id(), reports=metadata(), report_request_id="0"
    )
    assert (refused.code, refused.description) == (463, NOT_BOUND_TO_A_VEN)
    data = await stranger.send("EiReport", "oadrUpdateReport", request_id=new_request_id(), reports=[_telemetry("any")])
    assert (data.code, data.description) == (463, NOT_BOUND_TO_A_VEN)
