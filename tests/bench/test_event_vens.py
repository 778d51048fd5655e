"""The event benchmark's simulated VEN reads oadrDistributeEvent as OpenLEADR's parser does and answers with
OpenLEADR's own oadrCreatedEvent."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from openleadr.messaging import create_message, parse_message

from bench.event_vens import AnswerTemplate, EventVen, HeldEvent, ProfileAEventVen, read_distribute
from bench.loadgen.config import VtnAddress
from bench.loadgen.connection import HttpResponse
from shared.oadr.event import ResponseRequired
from shared.oadr.event_sets import SharedEventSet
from shared.oadr.report import RegisterReport
from shared.oadr.target import Target
from shared.oadr_xml.codec import encode
from shared.oadr_xml.profile_a.codec import encode as profile_a_encode
from tests.event_svc.test_delivery import stored
from tests.profile_a_ven import assert_valid_2_0a
from tests.shared.oadr_xml.test_reports import TELEMETRY_METADATA


def test_the_answer_is_what_openleadr_renders() -> None:
    template = AnswerTemplate.for_ven("ven-1")
    versions = [("e.1", 0), ("e2", 3)]
    responses = [
        {
            "response_code": 200,
            "response_description": "OK",
            "request_id": "r-1",
            "opt_type": "optIn",
            "event_id": event_id,
            "modification_number": number,
        }
        for event_id, number in versions
    ]
    expected = create_message(
        "oadrCreatedEvent",
        response={"response_code": 200, "response_description": "OK", "request_id": "r-1"},
        event_responses=responses,
        ven_id="ven-1",
    )
    assert template.render("r-1", versions) == expected.encode()


def test_this_vtns_distribute_reads_as_openleadr_parses_it() -> None:
    never = stored("b", cancelled=True).event.model_copy(update={"response_required": ResponseRequired.NEVER})
    events = (stored("a", targets=Target(resource_ids=("r",))).event, never)
    body = encode(SharedEventSet("vtn", events).message("ven-1", "req-9"))
    request_id, held = read_distribute(body)  # type: ignore[misc]
    _, parsed = parse_message(body)
    assert request_id == parsed["request_id"] == "req-9"
    assert held == {
        e["event_descriptor"]["event_id"]: HeldEvent(
            e["event_descriptor"]["modification_number"],
            e["event_descriptor"]["event_status"],
            e["response_required"] == "always",
        )
        for e in parsed["events"]
    }
    assert [h.answer_required for h in held.values()] == [True, False]


def test_openleadrs_distribute_reads_as_its_parser_does() -> None:
    start = datetime.now(UTC) + timedelta(minutes=10)
    event = {
        "event_descriptor": {
            "event_id": "x@ven",
            "modification_number": 2,
            "market_context": "http://m",
            "event_status": "cancelled",
            "created_date_time": start,
            "priority": 0,
        },
        "active_period": {"dtstart": start, "duration": timedelta(minutes=5)},
        "event_signals": [
            {
                "signal_name": "simple",
                "signal_type": "level",
                "signal_id": "s",
                "intervals": [{"dtstart": start, "duration": timedelta(minutes=5), "signal_payload": 1.0}],
            }
        ],
        "targets": [{"ven_id": "ven"}],
        "response_required": "always",
    }
    body = create_message(
        "oadrDistributeEvent",
        response={"response_code": 200, "response_description": "OK", "request_id": "in-resp"},
        request_id="req-1",
        vtn_id="vtn",
        events=[event],
    ).encode()
    assert read_distribute(body) == ("req-1", {"x@ven": HeldEvent(2, "cancelled")})


def test_other_answers_are_not_distributes() -> None:
    response = {"response_code": 200, "response_description": "OK", "request_id": None}
    assert read_distribute(create_message("oadrResponse", response=response, ven_id="v").encode()) is None


def test_a_2_0a_set_reads_as_a_2_0b_one_and_the_2_0a_ven_answers_in_2_0a() -> None:
    events = (stored("a").event,)
    body = profile_a_encode(SharedEventSet("vtn", events).message("ven-1", "req-9"))
    request_id, held = read_distribute(body)  # type: ignore[misc]
    assert request_id == "req-9" and held == {"a": HeldEvent(0, held["a"].status)}
    ven = ProfileAEventVen("ven-1", VtnAddress.parse("http://127.0.0.1:8080/OpenADR2/Simple/2.0b"), 1.0)
    assert ven.ven_id == "ven-1"
    request = ven._answer_request(ven._address, "req-9", [("a", 0)])
    assert request is not None and request.startswith(b"POST /OpenADR2/Simple/EiEvent HTTP/1.1\r\n")
    assert_valid_2_0a(request.split(b"\r\n\r\n", 1)[1])


async def test_a_polling_ven_answers_the_vtns_register_report_as_openleadrs_ven_does() -> None:
    offer = encode(RegisterReport(request_id="req-7", ven_id="ven-1", reports=(TELEMETRY_METADATA,)))
    ven = EventVen("ven-1", VtnAddress.parse("http://127.0.0.1:8080/OpenADR2/Simple/2.0b"), 1.0)
    ven.ven_id = "ven-1"
    stop = asyncio.Event()
    sent: list[bytes] = []

    async def send(request: bytes) -> HttpResponse:
        sent.append(request)
        if len(sent) == 2:
            stop.set()
        return HttpResponse(200, offer if len(sent) == 1 else b"")

    ven._connection.send = send  # type: ignore[method-assign]
    await ven.run(stop, 0.0, 0.01)
    head, body = sent[1].split(b"\r\n\r\n", 1)
    assert head.startswith(b"POST /OpenADR2/Simple/2.0b/EiReport HTTP/1.1\r\n")
    message_type, payload = parse_message(body)
    assert message_type == "oadrRegisteredReport"
    assert payload["response"]["request_id"] == "req-7" and payload["ven_id"] == "ven-1"
    assert ven.answer_errors == 0 and ven.events == {}
