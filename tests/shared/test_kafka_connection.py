"""Every Kafka client gets the process's connection: brokers, TLS (verified, mTLS) and SASL, from settings."""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization

from devstack.stack_tls import StackTls
from shared.bus import clients
from shared.bus.connection import KafkaConnection, kafka_connection
from shared.misconfigured import Misconfigured
from shared.settings import KafkaSecurityProtocol, VtnSettings

SASL = {"kafka_sasl_mechanism": "SCRAM-SHA-512", "kafka_sasl_username": "vtn", "kafka_sasl_password": "secret"}


def settings(**values: Any) -> VtnSettings:
    return VtnSettings(kafka_bootstrap="broker-1:9093,broker-2:9093", **values)


def test_plaintext_gives_clients_only_the_brokers() -> None:
    options = kafka_connection(settings()).client_options()
    assert options == {
        "bootstrap_servers": "broker-1:9093,broker-2:9093",
        "security_protocol": "PLAINTEXT",
        "ssl_context": None,
    }


def test_sasl_ssl_gives_clients_the_login_and_a_context_that_verifies_the_broker(tls_material: StackTls) -> None:
    kafka = kafka_connection(settings(kafka_security_protocol="SASL_SSL", kafka_ssl_ca_file=tls_material.ca, **SASL))
    options = kafka.client_options()
    assert (options["security_protocol"], options["sasl_mechanism"]) == ("SASL_SSL", "SCRAM-SHA-512")
    assert (options["sasl_plain_username"], options["sasl_plain_password"]) == ("vtn", "secret")
    context: ssl.SSLContext = options["ssl_context"]
    assert (context.verify_mode, context.check_hostname) == (ssl.CERT_REQUIRED, True)
    assert context.minimum_version >= ssl.TLSVersion.TLSv1_2
    assert context.cert_store_stats()["x509_ca"] == 1  # the CA file, not the system's store
    assert "secret" not in repr(kafka)


def test_without_a_ca_file_the_systems_cas_are_trusted() -> None:
    context = kafka_connection(settings(kafka_security_protocol="SASL_SSL", **SASL)).ssl_context
    assert context is not None and (context.verify_mode, context.check_hostname) == (ssl.CERT_REQUIRED, True)


def test_a_client_certificate_is_loaded_for_mtls(tls_material: StackTls) -> None:
    kafka = kafka_connection(
        settings(
            kafka_security_protocol="SSL",
            kafka_ssl_ca_file=tls_material.ca,
            kafka_ssl_cert_file=tls_material.client_cert,
            kafka_ssl_key_file=tls_material.client_key,
        )
    )
    assert kafka.sasl is None and kafka.client_certificate == tls_material.client_cert


def encrypted_copy(key: Path, directory: Path, password: bytes) -> Path:
    loaded = serialization.load_pem_private_key(key.read_bytes(), password=None)
    copy = directory / "encrypted.key"
    copy.write_bytes(
        loaded.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(password),
        )
    )
    return copy


def test_an_encrypted_key_opens_with_its_password_and_a_wrong_one_names_the_settings(
    tls_material: StackTls, tmp_path: Path
) -> None:
    key = encrypted_copy(tls_material.client_key, tmp_path, b"k3y-pass")
    values = {
        "kafka_security_protocol": "SSL",
        "kafka_ssl_ca_file": tls_material.ca,
        "kafka_ssl_cert_file": tls_material.client_cert,
        "kafka_ssl_key_file": key,
    }
    assert kafka_connection(settings(**values, kafka_ssl_key_password="k3y-pass")).ssl_context is not None
    with pytest.raises(Misconfigured) as refused:
        kafka_connection(settings(**values, kafka_ssl_key_password="wrong"))
    assert "VTN_KAFKA_SSL_KEY_PASSWORD" in refused.value.setting


@pytest.mark.parametrize(
    ("files", "named"),
    [
        ({"kafka_ssl_ca_file": "missing.crt"}, "VTN_KAFKA_SSL_CA_FILE"),
        ({"kafka_ssl_ca_file": "client.key"}, "VTN_KAFKA_SSL_CA_FILE"),
        ({"kafka_ssl_cert_file": "client.crt", "kafka_ssl_key_file": "stranger.key"}, "VTN_KAFKA_SSL_CERT_FILE"),
    ],
    ids=["missing CA file", "CA file without a certificate", "certificate with another's key"],
)
def test_unusable_tls_files_stop_the_process_naming_the_setting(
    tls_material: StackTls, files: dict[str, str], named: str
) -> None:
    values: dict[str, Any] = {"kafka_ssl_ca_file": tls_material.ca}
    values.update({setting: tls_material.directory / name for setting, name in files.items()})
    with pytest.raises(Misconfigured) as refused:
        kafka_connection(settings(kafka_security_protocol="SSL", **values))
    assert named in refused.value.setting
    assert named in str(refused.value)


def test_a_client_cannot_be_pointed_elsewhere_than_the_connection() -> None:
    kafka = KafkaConnection("127.0.0.1:1")
    with pytest.raises(TypeError):
        clients.producer(kafka, bootstrap_servers="elsewhere:9092")
    with pytest.raises(TypeError):
        clients.consumer(kafka, security_protocol="PLAINTEXT")


def test_a_connection_refuses_a_protocol_without_what_it_needs() -> None:
    with pytest.raises(ValueError):
        KafkaConnection("127.0.0.1:1", KafkaSecurityProtocol.SASL_SSL)  # no TLS context, no SASL credentials


def test_bootstrap_addresses_are_parsed_as_the_clients_parse_them() -> None:
    assert clients.bootstrap_addresses(KafkaConnection("b-1.example:9096,[::1]:9093,b-3")) == [
        ("b-1.example", 9096),
        ("::1", 9093),
        ("b-3", 9092),
    ]
