"""Before a process uses Kafka, one connection proves that a broker is reachable and accepts its TLS and SASL.

aiokafka's clients treat a refused TLS handshake or SASL login like a broker that is down: they log "Unable
connect" and retry, so a wrong password or CA would look like a Kafka outage and the process would wait for
ever. `check_broker_access` opens one connection as every client does (shared.bus.clients), logs in and asks
for metadata, and tells the cases apart:

- accepted: return;
- refused for a reason a setting explains: raise Misconfigured at once, naming it (`misconfiguration`):
  the broker's certificate is not trusted (VTN_KAFKA_SSL_CA_FILE) or does not name the host dialled
  (VTN_KAFKA_BOOTSTRAP), the login failed (VTN_KAFKA_SASL_USERNAME / VTN_KAFKA_SASL_PASSWORD), the mechanism
  is not enabled (VTN_KAFKA_SASL_MECHANISM), TLS failed otherwise, e.g. the listener does not speak it
  (VTN_KAFKA_SECURITY_PROTOCOL);
- accepted, then closed during the handshake: what a broker does to a client of another security protocol,
  or to a missing or untrusted client certificate. A broker going down can do it once, so only after
  HANDSHAKE_CLOSES_TOLERATED rounds in a row is it Misconfigured;
- unreachable (refused, unknown host, no answer): retried every second until `wait_seconds`, then
  BusUnavailable (services may start before Kafka).
"""

from __future__ import annotations

import asyncio
import logging
import ssl

from aiokafka.errors import (
    AuthenticationFailedError,
    AuthenticationMethodNotSupported,
    IllegalSaslStateError,
    KafkaConnectionError,
    KafkaError,
    SaslAuthenticationFailed,
    UnsupportedSaslMechanismError,
)
from aiokafka.protocol.metadata import MetadataRequest

from shared.bus import clients
from shared.bus.connection import KafkaConnection
from shared.bus.errors import BusUnavailable
from shared.client_tls import TlsRefusal, tls_refusal
from shared.misconfigured import Misconfigured

log = logging.getLogger(__name__)

HANDSHAKE_CLOSES_TOLERATED = 5
_LOGIN_REFUSED = (SaslAuthenticationFailed, AuthenticationFailedError, IllegalSaslStateError)
_MECHANISM_REFUSED = (UnsupportedSaslMechanismError, AuthenticationMethodNotSupported)
_CONNECTION_CLOSED = (KafkaConnectionError, ConnectionResetError, ssl.SSLEOFError, ssl.SSLZeroReturnError)


def misconfiguration(kafka: KafkaConnection, address: str, error: BaseException) -> Misconfigured | None:
    """The settings that explain why the broker at `address` refused this connection, or None when the
    failure may pass (the broker down, restarting or unreachable)."""
    refusal = tls_refusal(error)
    if refusal is not None:
        return _tls_misconfiguration(kafka, address, *refusal)
    if isinstance(error, _LOGIN_REFUSED):
        who = f"user {kafka.sasl.username!r} with {kafka.sasl.mechanism.value}" if kafka.sasl else "the client"
        return Misconfigured(
            "VTN_KAFKA_SASL_USERNAME / VTN_KAFKA_SASL_PASSWORD",
            f"the Kafka broker at {address} refused the login of {who}: {error}",
        )
    if isinstance(error, _MECHANISM_REFUSED):
        return Misconfigured(
            "VTN_KAFKA_SASL_MECHANISM", f"the Kafka broker at {address} refused the SASL mechanism: {error}"
        )
    return None


def _tls_misconfiguration(kafka: KafkaConnection, address: str, kind: TlsRefusal, reason: str) -> Misconfigured:
    if kind is TlsRefusal.OTHER_HOST:
        return Misconfigured(
            "VTN_KAFKA_BOOTSTRAP", f"the certificate of the Kafka broker at {address} does not name it: {reason}"
        )
    if kind is TlsRefusal.UNTRUSTED_CERTIFICATE:
        trusted = f"the CA file {kafka.ca_file}" if kafka.ca_file is not None else "none of the system's CAs"
        return Misconfigured(
            "VTN_KAFKA_SSL_CA_FILE",
            f"the Kafka broker at {address} presents a certificate {trusted} vouches for: {reason}",
        )
    return Misconfigured(
        "VTN_KAFKA_SECURITY_PROTOCOL",
        f"TLS with the Kafka broker at {address} failed ({reason}): does this listener speak {kafka.security_protocol.value}?",
    )


def closed_during_handshake(error: BaseException) -> bool:
    """The broker accepted the connection and then closed it before answering."""
    return isinstance(error, _CONNECTION_CLOSED)


def _closed_in_handshake(kafka: KafkaConnection, addresses: list[str]) -> Misconfigured:
    protocol = kafka.security_protocol.value
    where = ", ".join(addresses)
    if kafka.security_protocol.uses_tls:
        certificate = (
            "refuses the client certificate (VTN_KAFKA_SSL_CERT_FILE)"
            if kafka.client_certificate
            else ("requires a client certificate (VTN_KAFKA_SSL_CERT_FILE, VTN_KAFKA_SSL_KEY_FILE)")
        )
        return Misconfigured(
            "VTN_KAFKA_SECURITY_PROTOCOL / VTN_KAFKA_SSL_CERT_FILE",
            f"the Kafka broker at {where} closes every connection during the handshake: its listener {certificate}, "
            f"or speaks another protocol than {protocol}",
        )
    return Misconfigured(
        "VTN_KAFKA_SECURITY_PROTOCOL",
        f"the Kafka broker at {where} closes every connection during the handshake: its listener speaks another "
        f"protocol than {protocol} (TLS or SASL?)",
    )


async def _attempt(kafka: KafkaConnection, host: str, port: int, request_timeout_ms: int) -> BaseException | None:
    """None if the broker let this connection in and answered a metadata request, else why not."""
    try:
        connection = await clients.broker_connection(kafka, host, port, request_timeout_ms)
    except (OSError, KafkaError, TimeoutError) as exc:
        return exc
    try:
        await connection.send(MetadataRequest([]))
    except (OSError, KafkaError, TimeoutError) as exc:
        return exc
    finally:
        connection.close()
    return None


async def check_broker_access(
    kafka: KafkaConnection, wait_seconds: float = 60.0, *, request_timeout_ms: int = 10_000, retry_seconds: float = 1.0
) -> None:
    """Return once a bootstrap broker accepts this process; raise Misconfigured or BusUnavailable (module doc)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait_seconds
    closing_rounds = 0
    while True:
        failures: list[tuple[str, BaseException]] = []
        for host, port in clients.bootstrap_addresses(kafka):
            address = f"{host}:{port}"
            error = await _attempt(kafka, host, port, request_timeout_ms)
            if error is None:
                log.info(
                    "kafka broker accepted this process",
                    extra={
                        "action": "kafka_access_checked",
                        "broker": address,
                        "security_protocol": kafka.security_protocol.value,
                    },
                )
                return
            refusal = misconfiguration(kafka, address, error)
            if refusal is not None:
                raise refusal
            failures.append((address, error))
        closing_rounds = closing_rounds + 1 if all(closed_during_handshake(e) for _, e in failures) else 0
        if closing_rounds >= HANDSHAKE_CLOSES_TOLERATED:
            raise _closed_in_handshake(kafka, [address for address, _ in failures])
        summary = "; ".join(f"{address}: {error!r}" for address, error in failures)
        if loop.time() >= deadline:
            raise BusUnavailable(
                f"no Kafka broker of {kafka.bootstrap_servers} reachable within {wait_seconds:.0f}s: {summary}"
            )
        log.warning("kafka not reachable yet", extra={"action": "kafka_wait", "error": summary})
        await asyncio.sleep(retry_seconds)
