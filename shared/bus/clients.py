"""The only module that constructs aiokafka clients and connections (tests/test_boundaries.py holds every
other module to that), so each one gets the process's `KafkaConnection`: its brokers, TLS and SASL.

Callers pass what is theirs to choose (group, offsets, batching); passing a connection option here as well is
a TypeError, so no client can be pointed elsewhere or reach the brokers another way.
"""

from __future__ import annotations

from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.conn import AIOKafkaConnection, collect_hosts, create_conn

from shared.bus.connection import KafkaConnection


def producer(kafka: KafkaConnection, **options: Any) -> AIOKafkaProducer:
    return AIOKafkaProducer(**kafka.client_options(), **options)


def consumer(kafka: KafkaConnection, *topic_names: str, **options: Any) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(*topic_names, **kafka.client_options(), **options)


def admin_client(kafka: KafkaConnection, **options: Any) -> AIOKafkaAdminClient:
    return AIOKafkaAdminClient(**kafka.client_options(), **options)


def bootstrap_addresses(kafka: KafkaConnection) -> list[tuple[str, int]]:
    """The bootstrap servers as (host, port), parsed as aiokafka's clients parse them, in the order given."""
    return [(host, port) for host, port, _ in collect_hosts(kafka.bootstrap_servers, randomize=False)]


async def broker_connection(
    kafka: KafkaConnection, host: str, port: int, request_timeout_ms: int
) -> AIOKafkaConnection:
    """One connection to one broker, through TLS and the SASL login as every client makes them."""
    options = kafka.client_options()
    del options["bootstrap_servers"]
    connection: AIOKafkaConnection = await create_conn(host, port, request_timeout_ms=request_timeout_ms, **options)
    return connection
