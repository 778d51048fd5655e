"""The envelope's record key: a venID for a VEN's traffic, an eventID for a command about one event; `ven_id`
names VENs only. Version-2 records of VEN traffic are the documents version 1 wrote but for their version, and
version-1 records (in flight during a rolling upgrade, or from backends) are still read."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from shared.contract.envelope import SCHEMA_VERSION, Envelope
from shared.contract.events import GetEvent, ListOpts, PurgeEvent
from shared.contract.ven_traffic import VenChanged, VenRequest
from shared.oadr.registration import Poll

VERSION_1_FIELDS = {"message_id", "correlation_id", "schema_version", "ven_id", "created_at", "reply_to", "payload"}


def _version_1(ven_id: str | None, payload: dict[str, object]) -> bytes:
    """A record as the previous release wrote it."""
    document = {
        "message_id": "m-1",
        "correlation_id": "c-1",
        "schema_version": 1,
        "ven_id": ven_id,
        "created_at": datetime(2026, 12, 1, tzinfo=UTC).isoformat(),
        "reply_to": None,
        "payload": payload,
    }
    return json.dumps(document).encode()


def test_a_vens_record_is_keyed_by_its_venid() -> None:
    envelope = Envelope(ven_id="ven-1", payload=VenChanged(ven_id="ven-1", reason="test"))
    assert (envelope.key, envelope.kafka_key()) == ("ven-1", b"ven-1")


def test_a_command_about_one_event_is_keyed_by_its_eventid_and_names_no_ven() -> None:
    envelope = Envelope.from_bytes(Envelope(key="event-1", payload=PurgeEvent(event_id="event-1")).to_bytes())
    assert (envelope.key, envelope.ven_id, envelope.kafka_key()) == ("event-1", None, b"event-1")


def test_a_vens_record_is_the_document_version_1_wrote_but_for_its_version() -> None:
    envelope = Envelope(ven_id="ven-1", payload=VenRequest(message=Poll(ven_id="ven-1")))
    document = json.loads(envelope.to_bytes())
    assert set(document) == VERSION_1_FIELDS
    assert (document["schema_version"], document["ven_id"]) == (SCHEMA_VERSION, "ven-1")


def test_a_reply_keeps_the_key_and_the_ven_of_its_request() -> None:
    request = Envelope(key="event-1", payload=GetEvent(event_id="event-1"))
    reply = request.reply(VenChanged(ven_id="ven-1", reason="test"))
    assert (reply.key, reply.ven_id, reply.correlation_id) == ("event-1", None, request.correlation_id)


def test_a_version_1_command_about_one_event_reads_its_venid_as_the_eventid_key() -> None:
    envelope = Envelope.from_bytes(_version_1("event-1", {"kind": "purge_event", "event_id": "event-1"}))
    assert (envelope.schema_version, envelope.key, envelope.ven_id) == (SCHEMA_VERSION, "event-1", None)


def test_a_version_1_vens_record_reads_as_keyed_by_its_ven() -> None:
    poll = {"kind": "ven_request", "message": {"message_type": "oadrPoll", "ven_id": "ven-1"}}
    envelope = Envelope.from_bytes(_version_1("ven-1", poll))
    assert (envelope.key, envelope.ven_id) == ("ven-1", "ven-1")
    listing = Envelope.from_bytes(_version_1("ven-2", {"kind": "list_opts", "ven_id": "ven-2"}))
    assert (listing.key, listing.ven_id, listing.payload) == ("ven-2", "ven-2", ListOpts(ven_id="ven-2"))


def test_a_version_1_record_about_no_one_has_no_key() -> None:
    envelope = Envelope.from_bytes(_version_1(None, {"kind": "list_vens"}))
    assert (envelope.key, envelope.ven_id, envelope.kafka_key()) == (None, None, None)
