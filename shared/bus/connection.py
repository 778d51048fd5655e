"""How every Kafka client of the VTN reaches the brokers: addresses, TLS and SASL, built once from settings.

`KafkaConnection` holds the bootstrap servers and the security options; `client_options()` gives them as the
keyword arguments aiokafka's producer, consumer, admin client and connections all take. shared.bus.clients,
the only module that constructs aiokafka clients, applies them to each, so no client of any process can
reach a broker another way.

TLS verifies the broker's certificate against `VTN_KAFKA_SSL_CA_FILE` (or the system's CAs) and checks that it
names the host dialled (shared.client_tls); a client certificate is presented for mTLS when configured.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shared.client_tls import present_certificate, verifying_context
from shared.settings import KafkaSaslMechanism, KafkaSecurityProtocol, VtnSettings


@dataclass(frozen=True)
class SaslCredentials:
    mechanism: KafkaSaslMechanism
    username: str
    password: str = field(repr=False)


@dataclass(frozen=True)
class KafkaConnection:
    bootstrap_servers: str
    security_protocol: KafkaSecurityProtocol = KafkaSecurityProtocol.PLAINTEXT
    ssl_context: ssl.SSLContext | None = None
    sasl: SaslCredentials | None = None
    # What the TLS context was built from, for messages: None = the system's CAs; no client certificate
    ca_file: Path | None = None
    client_certificate: Path | None = None

    def __post_init__(self) -> None:
        if self.security_protocol.uses_tls != (self.ssl_context is not None):
            raise ValueError(f"{self.security_protocol.value} needs a TLS context exactly when it uses TLS")
        if self.security_protocol.uses_sasl != (self.sasl is not None):
            raise ValueError(f"{self.security_protocol.value} needs SASL credentials exactly when it uses SASL")

    def client_options(self) -> dict[str, Any]:
        """The keyword arguments of every aiokafka client and connection: where the brokers are, and how to
        reach them."""
        options: dict[str, Any] = {
            "bootstrap_servers": self.bootstrap_servers,
            "security_protocol": self.security_protocol.value,
            "ssl_context": self.ssl_context,
        }
        if self.sasl is not None:
            options.update(
                sasl_mechanism=self.sasl.mechanism.value,
                sasl_plain_username=self.sasl.username,
                sasl_plain_password=self.sasl.password,
            )
        return options


def kafka_connection(settings: VtnSettings) -> KafkaConnection:
    """The connection every Kafka client of this process uses (refuses unreadable TLS files: Misconfigured)."""
    protocol = settings.kafka_security_protocol
    sasl = None
    if protocol.uses_sasl:
        assert settings.kafka_sasl_mechanism and settings.kafka_sasl_username and settings.kafka_sasl_password
        sasl = SaslCredentials(
            settings.kafka_sasl_mechanism, settings.kafka_sasl_username, settings.kafka_sasl_password.get_secret_value()
        )
    return KafkaConnection(
        bootstrap_servers=settings.kafka_bootstrap,
        security_protocol=protocol,
        ssl_context=_tls_context(settings) if protocol.uses_tls else None,
        sasl=sasl,
        ca_file=settings.kafka_ssl_ca_file,
        client_certificate=settings.kafka_ssl_cert_file,
    )


def _tls_context(settings: VtnSettings) -> ssl.SSLContext:
    context = verifying_context(settings.kafka_ssl_ca_file, "VTN_KAFKA_SSL_CA_FILE")
    if settings.kafka_ssl_cert_file is not None and settings.kafka_ssl_key_file is not None:
        password = settings.kafka_ssl_key_password
        present_certificate(
            context,
            settings.kafka_ssl_cert_file,
            settings.kafka_ssl_key_file,
            password.get_secret_value() if password is not None else None,
            "VTN_KAFKA_SSL_CERT_FILE / VTN_KAFKA_SSL_KEY_FILE / VTN_KAFKA_SSL_KEY_PASSWORD",
        )
    return context
