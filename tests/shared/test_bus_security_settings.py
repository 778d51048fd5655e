"""Kafka and PostgreSQL security settings: what is refused at start, secrets from mounted files, the defaults."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from shared.settings import DatabaseSslMode, KafkaSaslMechanism, KafkaSecurityProtocol, VtnSettings

SASL = {"kafka_sasl_mechanism": "SCRAM-SHA-512", "kafka_sasl_username": "vtn", "kafka_sasl_password": "secret"}


def refusal(**values: Any) -> str:
    with pytest.raises(ValidationError) as refused:
        VtnSettings(**values)
    return str(refused.value)


def test_plaintext_without_tls_or_sasl_is_the_default() -> None:
    settings = VtnSettings()
    assert settings.kafka_security_protocol is KafkaSecurityProtocol.PLAINTEXT
    assert settings.effective_database_sslmode is None


def test_protocol_and_mechanism_are_read_in_any_case() -> None:
    settings = VtnSettings(kafka_security_protocol="sasl_ssl", **{**SASL, "kafka_sasl_mechanism": "scram-sha-256"})
    assert settings.kafka_security_protocol is KafkaSecurityProtocol.SASL_SSL
    assert settings.kafka_sasl_mechanism is KafkaSaslMechanism.SCRAM_SHA_256


@pytest.mark.parametrize("missing", sorted(SASL))
def test_sasl_needs_its_mechanism_user_and_password(missing: str) -> None:
    given = {key: value for key, value in SASL.items() if key != missing}
    assert f"VTN_{missing.upper()}" in refusal(kafka_security_protocol="SASL_SSL", **given)


def test_sasl_settings_with_a_protocol_that_does_not_use_them_are_refused_rather_than_ignored() -> None:
    assert "VTN_KAFKA_SASL_USERNAME" in refusal(kafka_security_protocol="SSL", kafka_sasl_username="vtn")


def test_tls_files_with_a_protocol_without_tls_are_refused_rather_than_ignored() -> None:
    message = refusal(kafka_security_protocol="SASL_PLAINTEXT", kafka_ssl_ca_file=Path("ca.crt"), **SASL)
    assert "VTN_KAFKA_SSL_CA_FILE" in message


@pytest.mark.parametrize(
    "values",
    [{"kafka_ssl_cert_file": Path("c.crt")}, {"kafka_ssl_key_file": Path("c.key")}, {"kafka_ssl_key_password": "p"}],
    ids=["certificate without key", "key without certificate", "key password without key"],
)
def test_an_incomplete_client_certificate_is_refused(values: dict[str, Any]) -> None:
    refusal(kafka_security_protocol="SSL", **values)


def test_production_refuses_sasl_over_plaintext() -> None:
    production = {"environment": "production", "admin_token": "a-real-secret-of-at-least-thirty-two-characters"}
    assert "SASL_SSL" in refusal(kafka_security_protocol="SASL_PLAINTEXT", **production, **SASL)
    assert VtnSettings(kafka_security_protocol="SASL_SSL", **production, **SASL)  # type: ignore[arg-type]
    assert VtnSettings(kafka_security_protocol="SASL_PLAINTEXT", **SASL)  # type: ignore[arg-type]  # development


def test_the_sasl_password_is_read_from_a_mounted_file_without_its_line_break(tmp_path: Path) -> None:
    secret = tmp_path / "password"
    secret.write_text("s3cret with spaces \n")
    settings = VtnSettings(
        kafka_security_protocol="SASL_SSL", **{**SASL, "kafka_sasl_password": None}, kafka_sasl_password_file=secret
    )
    assert settings.kafka_sasl_password is not None
    assert settings.kafka_sasl_password.get_secret_value() == "s3cret with spaces "


def test_the_key_password_is_read_from_a_mounted_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = tmp_path / "key-password"
    secret.write_text("k3y\r\n")
    monkeypatch.setenv("VTN_KAFKA_SECURITY_PROTOCOL", "SSL")
    monkeypatch.setenv("VTN_KAFKA_SSL_CERT_FILE", "c.crt")
    monkeypatch.setenv("VTN_KAFKA_SSL_KEY_FILE", "c.key")
    monkeypatch.setenv("VTN_KAFKA_SSL_KEY_PASSWORD_FILE", str(secret))
    password = VtnSettings().kafka_ssl_key_password
    assert password is not None and password.get_secret_value() == "k3y"


def test_a_secret_given_twice_or_unreadable_is_refused_naming_the_setting(tmp_path: Path) -> None:
    secret = tmp_path / "password"
    secret.write_text("one")
    both = refusal(kafka_security_protocol="SASL_SSL", **SASL, kafka_sasl_password_file=secret)
    assert "VTN_KAFKA_SASL_PASSWORD or VTN_KAFKA_SASL_PASSWORD_FILE" in both
    missing = refusal(
        kafka_security_protocol="SASL_SSL",
        **{**SASL, "kafka_sasl_password": None},
        kafka_sasl_password_file=tmp_path / "nope",
    )
    assert "VTN_KAFKA_SASL_PASSWORD_FILE" in missing
    (tmp_path / "empty").write_text("\n")
    empty = refusal(
        kafka_security_protocol="SASL_SSL",
        **{**SASL, "kafka_sasl_password": None},
        kafka_sasl_password_file=tmp_path / "empty",
    )
    assert "is empty" in empty


def test_passwords_never_show_in_the_settings_or_their_refusals() -> None:
    settings = VtnSettings(kafka_security_protocol="SASL_SSL", **{**SASL, "kafka_sasl_password": "hunter2-secret"})
    assert "hunter2-secret" not in repr(settings)
    refused = refusal(
        kafka_security_protocol="SASL_SSL",
        **{**SASL, "kafka_sasl_password": "hunter2-secret"},
        kafka_ssl_key_password="x",
    )
    assert "hunter2-secret" not in refused


def test_a_database_ca_file_means_verify_full_unless_told_otherwise() -> None:
    assert VtnSettings(database_ssl_ca_file=Path("ca.crt")).effective_database_sslmode is DatabaseSslMode.VERIFY_FULL
    chosen = VtnSettings(database_ssl_ca_file=Path("ca.crt"), database_sslmode="verify-ca")  # type: ignore[arg-type]
    assert chosen.effective_database_sslmode is DatabaseSslMode.VERIFY_CA


@pytest.mark.parametrize(
    ("values", "named"),
    [
        ({"database_sslmode": "verify-ca"}, "VTN_DATABASE_SSL_CA_FILE"),
        ({"database_sslmode": "prefer", "database_ssl_ca_file": Path("ca.crt")}, "VTN_DATABASE_SSL_CA_FILE"),
        ({"database_ssl_cert_file": Path("c.crt"), "database_sslmode": "require"}, "VTN_DATABASE_SSL_KEY_FILE"),
        ({"database_url": "postgresql://db/vtn?sslmode=require", "database_sslmode": "verify-full"}, "sslmode"),
    ],
    ids=["verify-ca without a CA", "a CA the mode ignores", "certificate without key", "TLS in the URL as well"],
)
def test_incoherent_database_tls_is_refused(values: dict[str, Any], named: str) -> None:
    assert named in refusal(**values)


def test_tls_in_the_database_url_alone_is_left_to_the_url() -> None:
    settings = VtnSettings(database_url="postgresql://db/vtn?sslmode=verify-full&sslrootcert=/etc/ca.crt")
    assert settings.effective_database_sslmode is None
