"""The start-up check tells a Kafka that refuses the VTN's TLS from one that is only away: a wrong CA, a
certificate for another host, a listener without TLS stop the process at once naming the setting; a listener
that keeps hanging up stops it after a few rounds; an absent broker is waited for, then reported."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from aiokafka.errors import KafkaConnectionError

from devstack.stack_tls import StackTls
from shared.bus import broker_access
from shared.bus.broker_access import HANDSHAKE_CLOSES_TOLERATED, check_broker_access
from shared.bus.connection import KafkaConnection, kafka_connection
from shared.bus.errors import BusUnavailable
from shared.misconfigured import Misconfigured
from shared.settings import VtnSettings
from tests.tls_servers import answer_in_plain_text, hang_up, server_context, serving


def tls_connection(port: int, ca: Any, host: str = "127.0.0.1") -> KafkaConnection:
    return kafka_connection(
        VtnSettings(kafka_bootstrap=f"{host}:{port}", kafka_security_protocol="SSL", kafka_ssl_ca_file=ca)
    )


async def refused(kafka: KafkaConnection) -> Misconfigured:
    started = time.monotonic()
    with pytest.raises(Misconfigured) as refusal:
        await check_broker_access(kafka, wait_seconds=30, request_timeout_ms=2000, retry_seconds=0.01)
    assert time.monotonic() - started < 10, "a refusal must not wait for the broker"
    return refusal.value


async def test_a_broker_certificate_from_another_ca_names_the_ca_file(tls_material: StackTls) -> None:
    async with serving(hang_up, server_context(tls_material.kafka_cert, tls_material.kafka_key)) as port:
        refusal = await refused(tls_connection(port, tls_material.other_ca))
    assert refusal.setting == "VTN_KAFKA_SSL_CA_FILE"
    assert str(tls_material.other_ca) in str(refusal)


async def test_a_broker_certificate_for_another_host_names_the_bootstrap(tls_material: StackTls) -> None:
    # postgres.crt names localhost only; the broker is dialled as 127.0.0.1
    async with serving(hang_up, server_context(tls_material.postgres_cert, tls_material.postgres_key)) as port:
        refusal = await refused(tls_connection(port, tls_material.ca))
    assert refusal.setting == "VTN_KAFKA_BOOTSTRAP"
    assert "127.0.0.1" in str(refusal)


async def test_tls_to_a_listener_that_does_not_speak_it_names_the_security_protocol(tls_material: StackTls) -> None:
    async with serving(answer_in_plain_text) as port:
        refusal = await refused(tls_connection(port, tls_material.ca))
    assert refusal.setting == "VTN_KAFKA_SECURITY_PROTOCOL"


async def test_a_listener_that_keeps_hanging_up_is_a_misconfiguration_after_a_few_rounds(
    tls_material: StackTls,
) -> None:
    async with serving(hang_up) as port:
        refusal = await refused(KafkaConnection(f"127.0.0.1:{port}"))
    assert refusal.setting == "VTN_KAFKA_SECURITY_PROTOCOL"
    async with serving(hang_up, server_context(tls_material.kafka_cert, tls_material.kafka_key)) as port:
        refusal = await refused(tls_connection(port, tls_material.ca))
    assert "VTN_KAFKA_SSL_CERT_FILE" in refusal.setting  # TLS done, then closed: a client certificate is wanted


async def test_an_absent_broker_is_waited_for_then_reported_unavailable() -> None:
    async with serving(hang_up) as port:
        pass  # the port is free again: nothing listens there
    started = time.monotonic()
    with pytest.raises(BusUnavailable) as unavailable:
        await check_broker_access(KafkaConnection(f"127.0.0.1:{port}"), wait_seconds=1.5, retry_seconds=0.2)
    assert 1.5 <= time.monotonic() - started < 10
    assert f"127.0.0.1:{port}" in str(unavailable.value)


class FakeBrokerConnection:
    async def send(self, request: object) -> object:
        return object()

    def close(self) -> None:
        pass


@pytest.fixture
def hang_ups_then_a_broker(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """The broker hangs up on the first HANDSHAKE_CLOSES_TOLERATED - 1 rounds (a restart), then lets us in."""
    attempts: list[int] = []

    async def connect(*args: object) -> FakeBrokerConnection:
        attempts.append(1)
        if len(attempts) < HANDSHAKE_CLOSES_TOLERATED:
            raise KafkaConnectionError("Connection at broker closed")
        return FakeBrokerConnection()

    monkeypatch.setattr(broker_access.clients, "broker_connection", connect)
    yield attempts


async def test_a_broker_that_hangs_up_a_few_times_while_restarting_is_waited_for(
    hang_ups_then_a_broker: list[int],
) -> None:
    await check_broker_access(KafkaConnection("127.0.0.1:1"), wait_seconds=30, retry_seconds=0.01)
    assert len(hang_ups_then_a_broker) == HANDSHAKE_CLOSES_TOLERATED
