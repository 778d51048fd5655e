"""Report-data records are named after their row, so a relay taking over recognises what is on Kafka."""

from __future__ import annotations

from report_svc.data_relay import record_envelope, seq_of
from shared.contract.envelope import Envelope
from shared.contract.reports import ReportData
from tests.report_svc.metadata import NOW, POWER


def test_a_records_message_id_names_its_row_and_survives_the_json_hop() -> None:
    record = ReportData(
        ven_id="ven-1", report_request_id="rr-1", report_specifier_id="spec", report_name="TELEMETRY_USAGE", r_id="power",
        dtstart=NOW, duration=None, value=2.5, units=POWER, reading_type="Direct Read", received_at=NOW,
    )
    envelope = Envelope.from_bytes(record_envelope(42, record).to_bytes())
    assert seq_of(envelope.message_id) == 42
    assert envelope.kafka_key() == b"ven-1" and envelope.payload == record


def test_other_message_ids_name_no_row() -> None:
    assert seq_of("3f2a9c") is None
    assert seq_of("report-data-x") is None
