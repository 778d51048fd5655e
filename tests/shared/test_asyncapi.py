"""docs/asyncapi.json: what the models give, valid against the official AsyncAPI 3.0.0 schema, and real
records validate against the messages it describes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import jsonschema
import pytest

from devstack.asyncapi_specs import asyncapi_schema_path
from shared import topics
from shared.contract.asyncapi import DOCUMENT_PATH, build_document, render
from shared.contract.backend_events import PresenceEvent, PresenceStatus, RegistrationChange, RegistrationEvent
from shared.contract.catalog import CATALOG, Audience
from shared.contract.envelope import Envelope
from shared.contract.events import PurgeEvent
from shared.contract.operator import CancelVenRegistration

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DOCUMENT_PATH.read_text())
    return loaded


def test_regenerating_the_document_yields_no_diff() -> None:
    assert DOCUMENT_PATH.read_text() == render(), "run: python -m shared.contract.asyncapi"


def test_document_is_valid_asyncapi_3(document: dict[str, Any]) -> None:
    schema = json.loads(asyncapi_schema_path("3.0.0").read_text())
    validator = jsonschema.validators.validator_for(schema)(schema)
    errors = [f"{list(e.absolute_path)}: {e.message[:200]}" for e in validator.iter_errors(document)]
    assert errors == []


def test_an_invalid_document_is_refused_by_the_same_check() -> None:
    """The validation has teeth: a channel address must be a string."""
    schema = json.loads(asyncapi_schema_path("3.0.0").read_text())
    broken = build_document()
    broken["channels"]["oadr-presence-events-v1"]["address"] = 42
    assert not jsonschema.validators.validator_for(schema)(schema).is_valid(broken)


def test_every_topic_is_a_channel_with_its_kafka_binding(document: dict[str, Any]) -> None:
    addresses = {channel["address"]: channel for channel in document["channels"].values()}
    assert set(addresses) == set(topics.ALL_TOPICS)
    for channel in addresses.values():
        binding = channel["bindings"]["kafka"]
        assert binding["partitions"] >= 1 and binding["topicConfiguration"]["cleanup.policy"] == ["delete"]


def test_backend_topics_are_tagged_as_the_public_contract(document: dict[str, Any]) -> None:
    backend = {name for name, contract in CATALOG.items() if contract.audience is Audience.BACKEND}
    assert {topics.REGISTRATION_EVENTS, topics.PRESENCE_EVENTS, topics.REGISTRATION_COMMANDS} <= backend
    for channel in document["channels"].values():
        tag = channel["tags"][0]["name"]
        assert (tag == "backend") == (channel["address"] in backend)


def _validate_record(document: dict[str, Any], message: str, envelope: Envelope) -> None:
    schema = {**document, "$ref": f"#/components/messages/{message}/payload"}
    jsonschema.Draft202012Validator(schema).validate(json.loads(envelope.to_bytes()))


@pytest.mark.parametrize(
    ("message", "envelope"),
    [
        (
            "presence_event",
            Envelope(
                ven_id="ven-1",
                payload=PresenceEvent(status=PresenceStatus.ONLINE, ven_id="ven-1", last_seen=NOW, occurred_at=NOW),
            ),
        ),
        (
            "registration_event",
            Envelope(
                ven_id="ven-1",
                payload=RegistrationEvent(change=RegistrationChange.CREATED, ven_id="ven-1", occurred_at=NOW),
            ),
        ),
        ("cancel_ven_registration", Envelope(ven_id="ven-1", payload=CancelVenRegistration(ven_id="ven-1"))),
        ("purge_event", Envelope(key="event-1", payload=PurgeEvent(event_id="event-1"))),
    ],
)
def test_records_the_vtn_writes_match_their_message_schema(
    document: dict[str, Any], message: str, envelope: Envelope
) -> None:
    _validate_record(document, message, envelope)


def test_a_record_of_another_kind_does_not_match(document: dict[str, Any]) -> None:
    envelope = Envelope(ven_id="ven-1", payload=CancelVenRegistration(ven_id="ven-1"))
    with pytest.raises(jsonschema.ValidationError):
        _validate_record(document, "presence_event", envelope)
