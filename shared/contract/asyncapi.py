"""Generates the AsyncAPI 3.0 document of the Kafka contract from the pydantic models and the catalog.

    python -m shared.contract.asyncapi            write docs/asyncapi.json
    python -m shared.contract.asyncapi --check    exit 1 if docs/asyncapi.json is not what the models give

Every record is an `Envelope` (JSON) whose `payload` is told apart by `kind`; each message of the
document is the envelope with its payload narrowed to one kind. Channels carry the topic's partitions,
retention and cleanup policy from `shared.bus.topic_specs` (at default settings) as Kafka bindings.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from shared import topics
from shared.bus.topic_specs import topic_specs
from shared.contract.catalog import CATALOG, Audience, TopicContract
from shared.contract.envelope import PAYLOAD_ADAPTER, SCHEMA_VERSION, Envelope
from shared.generated_file import write_or_check
from shared.settings import VtnSettings

DOCUMENT_PATH = Path(__file__).resolve().parents[2] / "docs" / "asyncapi.json"
REF = "#/components/schemas/{model}"
KAFKA_BINDING_VERSION = "0.5.0"
VTN_PROCESSES = frozenset({"gateway", "registration_svc", "presence_svc", "event_svc", "report_svc", "every consumer"})
ANY_ENVELOPE = "any_envelope"
DEAD_LETTER = "dead_letter"

Json = dict[str, Any]


def _channel_id(topic: str) -> str:
    return topic.replace(".", "-")


def _payload_models() -> dict[str, str]:
    """kind -> schema name, from the discriminator of the `Payload` union."""
    schema = PAYLOAD_ADAPTER.json_schema(ref_template=REF, mode="serialization")
    mapping: dict[str, str] = schema["discriminator"]["mapping"]
    return {kind: ref.rsplit("/", 1)[1] for kind, ref in sorted(mapping.items())}


def _asyncapi_discriminators(node: Any) -> Any:
    """pydantic writes OpenAPI's `discriminator: {propertyName, mapping}`; AsyncAPI's is the property name."""
    if isinstance(node, dict):
        converted = {key: _asyncapi_discriminators(value) for key, value in node.items()}
        discriminator = converted.get("discriminator")
        if isinstance(discriminator, dict) and "propertyName" in discriminator:
            converted["discriminator"] = discriminator["propertyName"]
        return converted
    if isinstance(node, list):
        return [_asyncapi_discriminators(item) for item in node]
    return node


def _schemas() -> Json:
    envelope = Envelope.model_json_schema(ref_template=REF, mode="serialization")
    definitions: Json = envelope.pop("$defs")
    schemas: Json = _asyncapi_discriminators({**dict(sorted(definitions.items())), "Envelope": envelope})
    return schemas


def _headers(kind: str | None) -> Json:
    type_header: Json = {"type": "string", "description": "the payload's kind"}
    if kind is not None:
        type_header["const"] = kind
    return {
        "type": "object",
        "description": "Kafka record headers (UTF-8 values) repeating the routing fields of the envelope",
        "properties": {
            "type": type_header,
            "correlation_id": {"type": "string"},
            "reply_to": {"type": "string", "description": "<topic>:<partition> where the asker reads replies"},
        },
        "required": ["type", "correlation_id"],
    }


def _message(kind: str, model: str, schemas: Json) -> Json:
    return {
        "name": kind,
        "title": model,
        "summary": (schemas[model].get("description") or model).split("\n")[0],
        "contentType": "application/json",
        "headers": _headers(kind),
        "payload": {
            "allOf": [
                {"$ref": REF.format(model="Envelope")},
                {"type": "object", "properties": {"payload": {"$ref": REF.format(model=model)}}},
            ]
        },
        "bindings": {"kafka": {"key": {"type": "string"}, "bindingVersion": KAFKA_BINDING_VERSION}},
    }


def _special_messages() -> Json:
    return {
        ANY_ENVELOPE: {
            "name": ANY_ENVELOPE,
            "title": "Envelope",
            "summary": "An envelope with any payload kind (topic not yet described in shared/contract/catalog.py)",
            "contentType": "application/json",
            "headers": _headers(None),
            "payload": {"$ref": REF.format(model="Envelope")},
        },
        DEAD_LETTER: {
            "name": DEAD_LETTER,
            "title": "Dead letter",
            "summary": "The original record's bytes, unchanged (usually an envelope; not necessarily valid JSON)",
            "headers": {
                "type": "object",
                "properties": {
                    "dead_letter_reason": {"type": "string"},
                    "original_topic": {"type": "string"},
                    "consumer_group": {"type": "string"},
                },
                "required": ["dead_letter_reason", "original_topic", "consumer_group"],
            },
            "payload": {"description": "any bytes"},
        },
    }


def _contract_for(topic: str) -> TopicContract:
    return CATALOG.get(
        topic,
        TopicContract("Not yet described in the catalog", Audience.INTERNAL, (), ("the VTN",), ("the VTN",)),
    )


def build_document() -> Json:
    schemas = _schemas()
    models = _payload_models()
    messages: Json = {kind: _message(kind, model, schemas) for kind, model in models.items()}
    messages.update(_special_messages())
    specs = {spec.name: spec for spec in topic_specs(VtnSettings.model_construct())}
    channels: Json = {}
    operations: Json = {}
    for topic in topics.ALL_TOPICS:
        contract = _contract_for(topic)
        if topic == topics.DEAD_LETTERS:
            kinds: tuple[str, ...] = (DEAD_LETTER,)
        elif topic in CATALOG:
            kinds = contract.kinds
        else:
            kinds = (ANY_ENVELOPE,)
        unknown = [kind for kind in kinds if kind not in messages]
        if unknown:
            raise ValueError(f"catalog names kinds that no payload model has: {topic}: {unknown}")
        spec = specs[topic]
        channel_id = _channel_id(topic)
        channels[channel_id] = {
            "address": topic,
            "title": topic,
            "summary": contract.summary,
            "description": (
                f"Produced by {', '.join(contract.producers)}; consumed by {', '.join(contract.consumers)}. "
                f"Record key: {contract.key}."
            ),
            "messages": {kind: {"$ref": f"#/components/messages/{kind}"} for kind in kinds},
            "tags": [{"name": contract.audience.value}],
            "bindings": {
                "kafka": {
                    "topic": topic,
                    "partitions": spec.partitions,
                    "topicConfiguration": {
                        "cleanup.policy": [spec.cleanup_policy],
                        "retention.ms": spec.retention_ms,
                    },
                    "bindingVersion": KAFKA_BINDING_VERSION,
                }
            },
        }
        message_refs = [{"$ref": f"#/channels/{channel_id}/messages/{kind}"} for kind in kinds]
        directions = (("send", contract.producers), ("receive", contract.consumers))
        for action, parties in directions:
            if VTN_PROCESSES.intersection(parties):
                operations[f"{action}-{channel_id}"] = {
                    "action": action,
                    "channel": {"$ref": f"#/channels/{channel_id}"},
                    "summary": f"The VTN {'produces to' if action == 'send' else 'consumes from'} {topic}",
                    "messages": message_refs,
                }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "OpenADR 2.0b VTN: Kafka contract",
            "version": f"{SCHEMA_VERSION}.0.0",
            "description": (
                "Every record is the JSON of an Envelope (message_id = idempotency key, correlation_id, "
                "schema_version, key = the record key (left out when it is the ven_id), ven_id = the VEN the record "
                "is about, created_at, reply_to, payload told apart by `kind`). Version 1 documents (no key; ven_id "
                "was the record key, an eventID for commands about one event) are still read. "
                "Channels tagged `backend` are the public contract; `internal` ones are readable but change "
                "with the VTN. Generated by `python -m shared.contract.asyncapi`; do not edit by hand."
            ),
            "tags": [
                {"name": Audience.BACKEND.value, "description": "backends consume or produce here"},
                {"name": Audience.INTERNAL.value, "description": "between the VTN's own processes"},
            ],
        },
        "defaultContentType": "application/json",
        "servers": {
            "kafka": {
                "host": "kafka:9092",
                "protocol": "kafka",
                "description": "The cluster named by VTN_KAFKA_BOOTSTRAP",
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {"schemas": schemas, "messages": messages},
    }


def render() -> str:
    return json.dumps(build_document(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> None:
    write_or_check("shared.contract.asyncapi", __doc__.split("\n")[0], DOCUMENT_PATH, render, argv)


if __name__ == "__main__":
    main()
