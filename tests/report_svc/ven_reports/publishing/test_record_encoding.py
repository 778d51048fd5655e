"""Report-data records written from stored rows are byte for byte the contract's envelopes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from report_svc.ven_reports.publishing.record_encoding import encoded_record, seq_of
from shared.contract.envelope import Envelope
from shared.contract.reports import ReportData
from shared.oadr.report_parts import LoadControlLevel, LoadControlState, ResourceStatus
from shared.oadr.units import ItemBase
from tests.report_svc.metadata import ENERGY, NOW, POWER, VOLTAGE

STATUSES = (
    ResourceStatus(online=True, manual_override=False),
    ResourceStatus(
        online=False,
        manual_override=True,
        load_control_state=LoadControlState(
            level_offset=LoadControlLevel(current=-1.5),
            set_point=LoadControlLevel(minimum=18.0, maximum=24.5, current=21.0),
        ),
    ),
)


def stored_json(model: ItemBase | ResourceStatus) -> str:
    """jsonb gives the text back with its own key order and spacing."""
    return json.dumps(json.loads(model.model_dump_json()), sort_keys=True)


def row_of(seq: int, record: ReportData) -> dict[str, Any]:
    status = record.value if isinstance(record.value, ResourceStatus) else None
    return {
        "seq": seq,
        "ven_id": record.ven_id,
        "report_request_id": record.report_request_id,
        "r_id": record.r_id,
        "dtstart": record.dtstart,
        "duration": record.duration,
        "report_specifier_id": record.report_specifier_id,
        "report_name": record.report_name,
        "value": None if status is not None else record.value,
        "status": None if status is None else stored_json(status),
        "units": None if record.units is None else stored_json(record.units),
        "reading_type": record.reading_type,
        "received_at": record.received_at,
    }


moments = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC))
records = st.builds(
    ReportData,
    ven_id=st.text(min_size=1, max_size=40),
    report_request_id=st.text(min_size=1, max_size=40),
    report_specifier_id=st.text(min_size=1, max_size=40),
    report_name=st.none() | st.sampled_from(["TELEMETRY_USAGE", "TELEMETRY_STATUS", "HISTORY_USAGE"]),
    r_id=st.text(min_size=1, max_size=20),
    dtstart=moments,
    duration=st.none() | st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=40)),
    value=st.floats(allow_nan=False, allow_infinity=False) | st.sampled_from(STATUSES),  # the codec refuses the rest
    units=st.none() | st.sampled_from([POWER, ENERGY, VOLTAGE]),
    reading_type=st.none() | st.sampled_from(["Direct Read", "Summed", "x-notApplicable"]),
    received_at=moments,
)


@settings(max_examples=300, deadline=None)
@given(seq=st.integers(min_value=1, max_value=2**62), record=records)
def test_a_row_is_encoded_as_the_contracts_envelope_byte_for_byte(seq: int, record: ReportData) -> None:
    encoded = encoded_record(row_of(seq, record))
    parsed = Envelope.from_bytes(encoded.value)
    reference = Envelope(
        message_id=f"report-data-{seq}",
        correlation_id=parsed.correlation_id,
        ven_id=record.ven_id,
        created_at=record.received_at,
        payload=record,
    )
    assert encoded.value == reference.to_bytes()
    assert encoded.key == reference.kafka_key()
    assert encoded.headers == reference.kafka_headers()


def test_a_records_message_id_names_its_row_and_survives_the_json_hop() -> None:
    record = ReportData(
        ven_id="ven-1",
        report_request_id="rr-1",
        report_specifier_id="spec",
        report_name="TELEMETRY_USAGE",
        r_id="power",
        dtstart=NOW,
        duration=None,
        value=2.5,
        units=POWER,
        reading_type="Direct Read",
        received_at=NOW,
    )
    envelope = Envelope.from_bytes(encoded_record(row_of(42, record)).value)
    assert seq_of(envelope.message_id) == 42
    assert envelope.kafka_key() == b"ven-1" and envelope.payload == record


def test_every_record_gets_its_own_correlation_id() -> None:
    record = ReportData(
        ven_id="ven-1",
        report_request_id="rr-1",
        report_specifier_id="spec",
        report_name=None,
        r_id="power",
        dtstart=NOW,
        duration=timedelta(minutes=1),
        value=1.0,
        units=None,
        reading_type=None,
        received_at=NOW,
    )
    first, second = (Envelope.from_bytes(encoded_record(row_of(1, record)).value) for _ in range(2))
    assert first.correlation_id != second.correlation_id


def test_other_message_ids_name_no_row() -> None:
    assert seq_of("3f2a9c") is None
    assert seq_of("report-data-x") is None
