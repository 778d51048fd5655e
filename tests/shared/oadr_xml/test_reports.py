"""The report messages: what the VTN renders is schema-valid, what OpenLEADR VENs send parses, and
every message survives render -> decode and the JSON hop through Kafka unchanged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from lxml import etree
from openleadr import enums, objects
from openleadr.messaging import create_message
from pydantic import ValidationError

from shared.oadr.common import EiResponse
from shared.oadr.messages import VEN_MESSAGE_ADAPTER, VTN_MESSAGE_ADAPTER
from shared.oadr.period import Period
from shared.oadr.report import (
    CanceledReport,
    CancelReport,
    CreatedReport,
    CreateReport,
    RegisteredReport,
    RegisterReport,
    UpdatedReport,
    UpdateReport,
)
from shared.oadr.report_parts import (
    LoadControlLevel,
    LoadControlState,
    Report,
    ReportDescription,
    ReportInterval,
    ReportName,
    ReportPayload,
    ReportRequest,
    ReportSpecifier,
    ResourceStatus,
    SamplingRate,
    SpecifierPayload,
)
from shared.oadr.target import Target
from shared.oadr.units import ItemBase, PowerAttributes
from shared.oadr_xml.codec import decode, encode, render_tree
from shared.oadr_xml.schema import SCHEMA_2_0B, load_schema, validate

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
OK = EiResponse(request_id="req-1")

POWER = ItemBase(
    name="powerReal",
    description="RealPower",
    units="W",
    si_scale_code="k",
    power_attributes=PowerAttributes(hertz=50, voltage=230, ac=True),
)
UNITS = (
    POWER,
    ItemBase(
        name="powerReactive",
        description="ReactivePower",
        units="VAR",
        si_scale_code="none",
        power_attributes=PowerAttributes(hertz=60, voltage=120.5, ac=True),
    ),
    ItemBase(
        name="powerApparent",
        description="ApparentPower",
        units="VA",
        si_scale_code="M",
        power_attributes=PowerAttributes(hertz=0, voltage=48, ac=False),
    ),
    ItemBase(name="energyReal", description="RealEnergy", units="Wh", si_scale_code="k"),
    ItemBase(name="energyReactive", description="ReactiveEnergy", units="VARh", si_scale_code="none"),
    ItemBase(name="energyApparent", description="ApparentEnergy", units="VAh", si_scale_code="none"),
    ItemBase(name="voltage", description="Voltage", units="V", si_scale_code="none"),
    ItemBase(name="current", description="Current", units="A", si_scale_code="m"),
    ItemBase(name="frequency", description="Frequency", units="Hz", si_scale_code="none"),
    ItemBase(name="Therm", description="Therm", units="thm", si_scale_code="none"),
    ItemBase(name="temperature", description="temperature", units="celsius", si_scale_code="none"),
    ItemBase(name="pulseCount", description="pulse count", units="count", pulse_factor=0.001),
    ItemBase(name="currency", description="currency", units="USD", si_scale_code="none"),
    ItemBase(name="currencyPerKWh", description="currencyPerKWh", units="EUR", si_scale_code="none"),
    ItemBase(name="currencyPerKW", description="currencyPerKW", units="EUR", si_scale_code="none"),
    ItemBase(name="currencyPerThm", description="currency", units="USD", si_scale_code="none"),
    ItemBase(name="customUnit", description="state of charge", units="%", si_scale_code="none"),
)

POWER_DESCRIPTION = ReportDescription(
    r_id="meter-power",
    report_subject=Target(end_device_assets=("Meter",)),
    report_data_source=Target(resource_ids=("meter-1",)),
    report_type="usage",
    item_base=POWER,
    reading_type="Direct Read",
    market_context="http://market.example.com/energy",
    sampling_rate=SamplingRate(min_period=timedelta(seconds=10), max_period=timedelta(minutes=15), on_change=False),
)
STATUS_DESCRIPTION = ReportDescription(
    r_id="hvac-status",
    report_data_source=Target(resource_ids=("hvac-1",)),
    report_type="x-resourceStatus",
    reading_type="x-notApplicable",
    sampling_rate=SamplingRate(min_period=timedelta(minutes=1), max_period=timedelta(minutes=1), on_change=True),
)
TELEMETRY_METADATA = Report(
    report_specifier_id="telemetry-usage",
    report_name=ReportName.METADATA_TELEMETRY_USAGE,
    created_date_time=NOW,
    duration=timedelta(hours=2),
    descriptions=(POWER_DESCRIPTION, STATUS_DESCRIPTION),
)
STATUS_METADATA = Report(
    report_specifier_id="telemetry-status",
    report_name=ReportName.METADATA_TELEMETRY_STATUS,
    created_date_time=NOW,
    descriptions=(STATUS_DESCRIPTION,),
)
TELEMETRY_USAGE = Report(
    report_id="report-7",
    report_specifier_id="telemetry-usage",
    report_request_id="rr-1",
    report_name=ReportName.TELEMETRY_USAGE,
    created_date_time=NOW,
    dtstart=NOW,
    duration=timedelta(minutes=3),
    intervals=tuple(
        ReportInterval(
            dtstart=NOW + timedelta(minutes=minute),
            duration=timedelta(minutes=1),
            uid=str(minute),
            payloads=(
                ReportPayload(
                    r_id="meter-power",
                    value=1.5 + minute,
                    confidence=95,
                    accuracy=0.25,
                    data_quality="Quality Good - Non Specific",
                ),
            ),
        )
        for minute in range(3)
    ),
)
TELEMETRY_STATUS = Report(
    report_id="report-8",
    report_specifier_id="telemetry-status",
    report_request_id="rr-2",
    report_name=ReportName.TELEMETRY_STATUS,
    created_date_time=NOW,
    intervals=(
        ReportInterval(
            dtstart=NOW,
            payloads=(
                ReportPayload(
                    r_id="hvac-status",
                    value=ResourceStatus(
                        online=True,
                        manual_override=False,
                        load_control_state=LoadControlState(
                            capacity=LoadControlLevel(current=0.8, minimum=0, maximum=1, normal=1),
                            set_point=LoadControlLevel(current=21.5),
                        ),
                    ),
                ),
                ReportPayload(r_id="hvac-status-2", value=ResourceStatus(online=False, manual_override=True)),
            ),
        ),
    ),
)
TELEMETRY_REQUEST = ReportRequest(
    report_request_id="rr-1",
    report_specifier=ReportSpecifier(
        report_specifier_id="telemetry-usage",
        granularity=timedelta(minutes=1),
        report_back_duration=timedelta(minutes=3),
        specifier_payloads=(SpecifierPayload(r_id="meter-power", reading_type="Direct Read", item_base=POWER),),
    ),
)
STATUS_REQUEST = ReportRequest(
    report_request_id="rr-2",
    report_specifier=ReportSpecifier(
        report_specifier_id="telemetry-status",
        granularity=timedelta(0),
        report_back_duration=timedelta(0),
        specifier_payloads=(SpecifierPayload(r_id="hvac-status", reading_type="x-notApplicable"),),
    ),
)
HISTORY_REQUEST = ReportRequest(
    report_request_id="rr-3",
    report_specifier=ReportSpecifier(
        report_specifier_id="history-usage",
        granularity=timedelta(minutes=15),
        report_back_duration=timedelta(0),
        report_interval=Period(dtstart=NOW - timedelta(days=1), duration=timedelta(days=1)),
        specifier_payloads=(
            SpecifierPayload(r_id="energy", reading_type="Net"),
            SpecifierPayload(r_id="power", reading_type="Mean"),
        ),
    ),
)
CANCEL = CancelReport(request_id="req-9", report_request_ids=("rr-1", "rr-2"), report_to_follow=True, ven_id="ven-1")

VTN_RENDERED: dict[str, Any] = {
    "metadata register report with power and status": RegisterReport(
        request_id="req-1", ven_id="ven-1", reports=(TELEMETRY_METADATA, STATUS_METADATA)
    ),
    "register report answering a request": RegisterReport(
        request_id="req-2", reports=(STATUS_METADATA,), report_request_id="rr-0"
    ),
    "telemetry usage update with several intervals": UpdateReport(
        request_id="req-3", ven_id="ven-1", reports=(TELEMETRY_USAGE,)
    ),
    "telemetry status update with resource status": UpdateReport(request_id="req-4", reports=(TELEMETRY_STATUS,)),
    "create report with two requests": CreateReport(
        request_id="req-5", ven_id="ven-1", report_requests=(TELEMETRY_REQUEST, STATUS_REQUEST)
    ),
    "history usage request with a report interval": CreateReport(
        request_id="req-6", report_requests=(HISTORY_REQUEST,)
    ),
    "cancel with report to follow": CANCEL,
    "registered report with piggy-backed requests": RegisteredReport(
        response=OK, ven_id="ven-1", report_requests=(TELEMETRY_REQUEST, STATUS_REQUEST)
    ),
    "registered report without requests": RegisteredReport(response=OK),
    "updated report with piggy-backed cancel": UpdatedReport(response=OK, ven_id="ven-1", cancel_report=CANCEL),
    "updated report": UpdatedReport(response=OK),
    "created report with pending requests": CreatedReport(
        response=OK, ven_id="ven-1", pending_report_request_ids=("rr-1", "rr-2")
    ),
    "canceled report with nothing pending": CanceledReport(response=OK, ven_id="ven-1"),
}


@pytest.fixture(scope="module")
def schema() -> etree.XMLSchema:
    return load_schema(SCHEMA_2_0B)


@pytest.mark.parametrize("message", VTN_RENDERED.values(), ids=VTN_RENDERED.keys())
def test_rendered_report_messages_match_the_schema(message: Any, schema: etree.XMLSchema) -> None:
    validate(render_tree(message), schema)


@pytest.mark.parametrize("unit", UNITS, ids=[unit.name for unit in UNITS])
def test_every_item_base_renders_in_its_namespace_and_reads_back(unit: ItemBase, schema: etree.XMLSchema) -> None:
    description = POWER_DESCRIPTION.model_copy(update={"item_base": unit})
    report = TELEMETRY_METADATA.model_copy(update={"descriptions": (description,)})
    message = RegisterReport(request_id="req-1", reports=(report,))

    assert decode(encode(message), schema).message == message


@pytest.mark.parametrize("message", VTN_RENDERED.values(), ids=VTN_RENDERED.keys())
def test_report_messages_survive_render_then_decode(message: Any, schema: etree.XMLSchema) -> None:
    assert decode(encode(message), schema).message == message


@pytest.mark.parametrize("message", VTN_RENDERED.values(), ids=VTN_RENDERED.keys())
def test_report_messages_survive_json_in_both_directions(message: Any) -> None:
    for adapter in (VEN_MESSAGE_ADAPTER, VTN_MESSAGE_ADAPTER):
        assert adapter.validate_json(adapter.dump_json(message)) == message


def test_item_base_refuses_units_the_schema_would_reject() -> None:
    with pytest.raises(ValidationError):
        ItemBase(name="powerReal", description="RealPower", units="W", si_scale_code="none")
    with pytest.raises(ValidationError):
        ItemBase(name="energyReal", description="RealEnergy", units="kWh", si_scale_code="none")
    with pytest.raises(ValidationError):
        ItemBase(name="pulseCount", description="pulse count", units="count", si_scale_code="none")


def _openleadr(message_type: str, **payload: Any) -> bytes:
    """The document an OpenLEADR party sends (unsigned)."""
    document: str = create_message(message_type, **payload)
    return document.encode()


def _openleadr_request(request_id: str, specifier_id: str, *, interval: bool) -> objects.ReportRequest:
    return objects.ReportRequest(
        report_request_id=request_id,
        report_specifier=objects.ReportSpecifier(
            report_specifier_id=specifier_id,
            granularity=timedelta(seconds=10),
            report_back_duration=timedelta(minutes=1),
            report_interval={"dtstart": NOW, "duration": timedelta(hours=1)} if interval else None,
            specifier_payloads=[objects.SpecifierPayload(r_id="power", reading_type="Direct Read")],
        ),
    )


def test_openleadr_register_report_parses(schema: etree.XMLSchema) -> None:
    description = objects.ReportDescription(
        r_id="power",
        market_context="http://market.example.com",
        reading_type="Direct Read",
        report_subject=objects.Target(end_device_asset=objects.EndDeviceAsset(mrid="Meter")),
        report_data_source=objects.Target(resource_id="device-1"),
        report_type="usage",
        sampling_rate=objects.SamplingRate(min_period=timedelta(seconds=10), max_period=timedelta(minutes=1)),
        measurement=enums.MEASUREMENTS.POWER_REAL,
    )
    report = objects.Report(
        report_specifier_id="spec-1",
        report_name="TELEMETRY_USAGE",
        report_request_id="0",
        report_descriptions=[description],
        created_date_time=NOW,
    )
    body = _openleadr("oadrRegisterReport", request_id="req-1", ven_id="ven-1", reports=[report])

    message = decode(body, schema).message

    assert isinstance(message, RegisterReport)
    assert (message.request_id, message.ven_id, message.report_request_id) == ("req-1", "ven-1", None)
    (parsed,) = message.reports
    assert parsed.report_name == "METADATA_TELEMETRY_USAGE"  # OpenLEADR adds the prefix itself
    assert (parsed.report_specifier_id, parsed.report_request_id, parsed.created_date_time) == ("spec-1", "0", NOW)
    (parsed_description,) = parsed.descriptions
    assert parsed_description == ReportDescription(
        r_id="power",
        report_subject=Target(end_device_assets=("Meter",)),
        report_data_source=Target(resource_ids=("device-1",)),
        report_type="usage",
        item_base=ItemBase(
            name="powerReal",
            description="RealPower",
            units="W",
            si_scale_code="none",
            power_attributes=PowerAttributes(hertz=50, voltage=230, ac=True),
        ),
        reading_type="Direct Read",
        market_context="http://market.example.com",
        sampling_rate=SamplingRate(min_period=timedelta(seconds=10), max_period=timedelta(minutes=1), on_change=False),
    )


def test_openleadr_update_report_parses(schema: etree.XMLSchema) -> None:
    intervals = [
        objects.ReportInterval(
            dtstart=NOW + timedelta(minutes=minute),
            duration=timedelta(minutes=1),
            report_payload=objects.ReportPayload(r_id="power", value=10.5 * minute, confidence=90, accuracy=1),
        )
        for minute in range(3)
    ]
    report = objects.Report(
        report_specifier_id="spec-1",
        report_name="TELEMETRY_USAGE",
        report_request_id="rr-1",
        created_date_time=NOW,
        dtstart=NOW,
        intervals=intervals,
    )
    body = _openleadr("oadrUpdateReport", request_id="req-2", ven_id="ven-1", reports=[report])

    message = decode(body, schema).message

    assert message == UpdateReport(
        request_id="req-2",
        ven_id="ven-1",
        reports=(
            Report(
                report_specifier_id="spec-1",
                report_name="TELEMETRY_USAGE",
                report_request_id="rr-1",
                created_date_time=NOW,
                dtstart=NOW,
                intervals=tuple(
                    ReportInterval(
                        dtstart=NOW + timedelta(minutes=minute),
                        duration=timedelta(minutes=1),
                        payloads=(ReportPayload(r_id="power", value=10.5 * minute, confidence=90, accuracy=1),),
                    )
                    for minute in range(3)
                ),
            ),
        ),
    )


def test_openleadr_create_and_registered_report_parse(schema: etree.XMLSchema) -> None:
    requests = [
        _openleadr_request("rr-1", "spec-1", interval=False),
        _openleadr_request("rr-2", "spec-2", interval=True),
    ]
    create = decode(
        _openleadr("oadrCreateReport", request_id="req-3", ven_id="ven-1", report_requests=requests), schema
    )
    registered = decode(
        _openleadr("oadrRegisteredReport", response=OK.model_dump(), ven_id="ven-1", report_requests=requests), schema
    )

    expected = tuple(
        ReportRequest(
            report_request_id=f"rr-{number}",
            report_specifier=ReportSpecifier(
                report_specifier_id=f"spec-{number}",
                granularity=timedelta(seconds=10),
                report_back_duration=timedelta(minutes=1),
                report_interval=Period(dtstart=NOW, duration=timedelta(hours=1)) if number == 2 else None,
                specifier_payloads=(SpecifierPayload(r_id="power", reading_type="Direct Read"),),
            ),
        )
        for number in (1, 2)
    )
    assert create.message == CreateReport(request_id="req-3", ven_id="ven-1", report_requests=expected)
    assert registered.message == RegisteredReport(response=OK, ven_id="ven-1", report_requests=expected)


def test_openleadr_created_and_canceled_report_parse(schema: etree.XMLSchema) -> None:
    pending = [{"report_request_id": "rr-1"}, {"report_request_id": "rr-2"}]
    created = decode(
        _openleadr("oadrCreatedReport", response=OK.model_dump(), ven_id="ven-1", pending_reports=pending), schema
    )
    canceled = decode(_openleadr("oadrCanceledReport", response=OK.model_dump(), ven_id="ven-1"), schema)

    assert created.message == CreatedReport(response=OK, ven_id="ven-1", pending_report_request_ids=("rr-1", "rr-2"))
    assert canceled.message == CanceledReport(response=OK, ven_id="ven-1")


def test_openleadr_cancel_and_updated_report_parse(schema: etree.XMLSchema) -> None:
    cancel = decode(
        _openleadr(
            "oadrCancelReport", request_id="req-9", report_request_id="rr-1", report_to_follow=False, ven_id="ven-1"
        ),
        schema,
    )
    updated = decode(
        _openleadr(
            "oadrUpdatedReport",
            response=OK.model_dump(),
            ven_id="ven-1",
            cancel_report={"request_id": "req-9", "report_request_id": ["rr-1", "rr-2"], "report_to_follow": True},
        ),
        schema,
    )

    assert cancel.message == CancelReport(
        request_id="req-9", report_request_ids=("rr-1",), report_to_follow=False, ven_id="ven-1"
    )
    assert updated.message == UpdatedReport(
        response=OK,
        ven_id="ven-1",
        cancel_report=CancelReport(request_id="req-9", report_request_ids=("rr-1", "rr-2"), report_to_follow=True),
    )
