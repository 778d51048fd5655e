"""The opt messages: the VTN's answers are schema-valid and OpenLEADR VENs' opts parse."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from lxml import etree
from openleadr import objects
from openleadr.messaging import create_message
from pydantic import ValidationError

from shared.oadr.common import EiResponse, ResponseCode
from shared.oadr.messages import VEN_MESSAGE_ADAPTER, VTN_MESSAGE_ADAPTER
from shared.oadr.opt import CanceledOpt, CancelOpt, CreatedOpt, CreateOpt
from shared.oadr.period import Period
from shared.oadr.target import Target
from shared.oadr_xml.codec import decode, render_tree
from shared.oadr_xml.schema import SCHEMA_2_0B, load_schema, validate

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
OK = EiResponse(request_id="req-1")

VTN_RENDERED: dict[str, Any] = {
    "created opt": CreatedOpt(response=OK, opt_id="opt-1"),
    "created opt refusing": CreatedOpt(
        response=EiResponse(
            response_code=ResponseCode.INVALID_ID, response_description="unknown event", request_id="r"
        ),
        opt_id="opt-1",
    ),
    "canceled opt": CanceledOpt(response=OK, opt_id="opt-1"),
    "canceled opt without id": CanceledOpt(response=EiResponse(response_code=ResponseCode.INVALID_ID, request_id="r")),
}


@pytest.fixture(scope="module")
def schema() -> etree.XMLSchema:
    return load_schema(SCHEMA_2_0B)


@pytest.mark.parametrize("message", VTN_RENDERED.values(), ids=VTN_RENDERED.keys())
def test_rendered_opt_answers_match_the_schema(message: Any, schema: etree.XMLSchema) -> None:
    validate(render_tree(message), schema)


@pytest.mark.parametrize("message", VTN_RENDERED.values(), ids=VTN_RENDERED.keys())
def test_opt_answers_survive_json(message: Any) -> None:
    assert VTN_MESSAGE_ADAPTER.validate_json(VTN_MESSAGE_ADAPTER.dump_json(message)) == message


def test_openleadr_schedule_opt_parses(schema: etree.XMLSchema) -> None:
    windows = [
        objects.VavailabilityComponent(dtstart=NOW, duration=timedelta(hours=2)),
        objects.VavailabilityComponent(dtstart=NOW + timedelta(days=1), duration=timedelta(minutes=30)),
    ]
    body = create_message(
        "oadrCreateOpt",
        request_id="req-1",
        ven_id="ven-1",
        opt_id="opt-1",
        opt_type="optOut",
        opt_reason="x-schedule",
        market_context="http://market.example.com",
        created_date_time=NOW,
        vavailability=objects.Vavailability(components=windows),
        targets=[objects.Target(resource_id="resource-1")],
        signal_target_mrid="Thermostat",
    ).encode()

    message = decode(body, schema).message

    assert message == CreateOpt(
        request_id="req-1",
        opt_id="opt-1",
        opt_type="optOut",
        opt_reason="x-schedule",
        market_context="http://market.example.com",
        ven_id="ven-1",
        vavailability=(
            Period(dtstart=NOW, duration=timedelta(hours=2)),
            Period(dtstart=NOW + timedelta(days=1), duration=timedelta(minutes=30)),
        ),
        created_date_time=NOW,
        targets=Target(resource_ids=("resource-1",)),
        device_class=Target(end_device_assets=("Thermostat",)),
    )
    assert VEN_MESSAGE_ADAPTER.validate_json(VEN_MESSAGE_ADAPTER.dump_json(message)) == message


def test_openleadr_event_opt_parses(schema: etree.XMLSchema) -> None:
    body = create_message(
        "oadrCreateOpt",
        request_id="req-2",
        ven_id="ven-1",
        opt_id="opt-2",
        opt_type="optIn",
        opt_reason="participating",
        created_date_time=NOW,
        event_id="event-1",
        modification_number=3,
    ).encode()

    message = decode(body, schema).message

    assert message == CreateOpt(
        request_id="req-2",
        opt_id="opt-2",
        opt_type="optIn",
        opt_reason="participating",
        ven_id="ven-1",
        created_date_time=NOW,
        event_id="event-1",
        modification_number=3,
    )


def test_openleadr_cancel_opt_parses(schema: etree.XMLSchema) -> None:
    body = create_message("oadrCancelOpt", request_id="req-3", opt_id="opt-1", ven_id="ven-1").encode()

    assert decode(body, schema).message == CancelOpt(request_id="req-3", opt_id="opt-1", ven_id="ven-1")


def test_an_event_opt_names_the_event_version() -> None:
    with pytest.raises(ValidationError):
        CreateOpt(
            request_id="req-2",
            opt_id="opt-2",
            opt_type="optIn",
            opt_reason="participating",
            ven_id="ven-1",
            created_date_time=NOW,
            event_id="event-1",
        )
