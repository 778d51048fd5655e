"""All settings of the VTN, read once from environment variables (prefix VTN_) in each process's main.

Every process builds one `VtnSettings` and passes the values it needs to constructors; nothing reads the
environment anywhere else. Outside development, unsafe defaults (the admin token, SASL passwords sent in the
clear) are refused. A secret may instead be read from a mounted file: `VTN_<NAME>_FILE` holds its path, and
the file's content (without a trailing line break) is the value.
"""

from __future__ import annotations

import secrets
import socket
from enum import Enum
from pathlib import Path

from typing import Any
from urllib.parse import parse_qs, urlsplit

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEVELOPMENT_ADMIN_TOKEN = "dev-admin-token"


class Environment(str, Enum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class RegistrationPolicyName(str, Enum):
    ACCEPT_ALL = "accept_all"
    PROVISIONED_ONLY = "provisioned_only"
    HANDLER = "handler"


class ReportPolicyName(str, Enum):
    NOTHING = "nothing"
    TELEMETRY = "telemetry"
    HANDLER = "handler"


class NonceStoreName(str, Enum):
    POSTGRES = "postgres"
    MEMORY = "memory"


class KafkaSecurityProtocol(str, Enum):
    PLAINTEXT = "PLAINTEXT"
    SSL = "SSL"
    SASL_PLAINTEXT = "SASL_PLAINTEXT"
    SASL_SSL = "SASL_SSL"

    @classmethod
    def _missing_(cls, value: object) -> KafkaSecurityProtocol | None:
        return cls.__members__.get(value.upper()) if isinstance(value, str) else None

    @property
    def uses_tls(self) -> bool:
        return self in (KafkaSecurityProtocol.SSL, KafkaSecurityProtocol.SASL_SSL)

    @property
    def uses_sasl(self) -> bool:
        return self in (KafkaSecurityProtocol.SASL_PLAINTEXT, KafkaSecurityProtocol.SASL_SSL)


class KafkaSaslMechanism(str, Enum):
    SCRAM_SHA_256 = "SCRAM-SHA-256"
    SCRAM_SHA_512 = "SCRAM-SHA-512"
    PLAIN = "PLAIN"

    @classmethod
    def _missing_(cls, value: object) -> KafkaSaslMechanism | None:
        return next((m for m in cls if isinstance(value, str) and m.value == value.upper()), None)


class DatabaseSslMode(str, Enum):
    """libpq's sslmode values, with libpq's meaning."""

    DISABLE = "disable"
    ALLOW = "allow"
    PREFER = "prefer"
    REQUIRE = "require"
    VERIFY_CA = "verify-ca"
    VERIFY_FULL = "verify-full"

    @property
    def requires_tls(self) -> bool:
        return self in (DatabaseSslMode.REQUIRE, DatabaseSslMode.VERIFY_CA, DatabaseSslMode.VERIFY_FULL)


# Secrets that may come from a mounted file instead: the setting -> the one naming its file
SECRET_FILES = {
    "kafka_sasl_password": "kafka_sasl_password_file",
    "kafka_ssl_key_password": "kafka_ssl_key_password_file",
}
# The TLS parameters of a PostgreSQL URL, which VTN_DATABASE_SSL* would contradict
_URL_TLS_PARAMETERS = frozenset({"sslmode", "sslrootcert", "sslcert", "sslkey", "sslpassword"})


def setting_name(field: str) -> str:
    """The environment variable of a field of `VtnSettings`."""
    return f"VTN_{field.upper()}"


def _read_secret_file(field: str, path: object) -> str:
    try:
        secret = Path(str(path)).read_text().rstrip("\r\n")
    except OSError as exc:
        raise ValueError(f"{setting_name(field)}: cannot read {path}: {exc.strerror or exc}") from None
    if not secret:
        raise ValueError(f"{setting_name(field)}: {path} is empty")
    return secret


def _default_instance_id() -> str:
    return f"{socket.gethostname()}-{secrets.token_hex(3)}"


class VtnSettings(BaseSettings):
    # hide_input_in_errors: a refused value may sit beside a password in the input shown
    model_config = SettingsConfigDict(env_prefix="VTN_", extra="ignore", frozen=True, hide_input_in_errors=True)

    environment: Environment = Environment.DEVELOPMENT
    vtn_id: str = "vtn"
    instance_id: str = Field(default_factory=_default_instance_id)
    log_level: str = "INFO"

    # Gateway (OpenADR and admin doors)
    http_host: str = "127.0.0.1"
    http_port: int = 8080
    admin_host: str = "127.0.0.1"
    admin_port: int = 8081
    admin_token: str = DEVELOPMENT_ADMIN_TOKEN
    http_keepalive_seconds: float = 120.0
    max_body_bytes: int = 256 * 1024
    reply_timeout_seconds: float = 5.0
    presence_flush_seconds: float = 1.0
    poll_cache_ttl_seconds: float = 60.0
    xsd_path: Path | None = None

    # Operations: services serve /healthz, /readyz and /metrics here (the gateway on its admin port)
    health_host: str = "127.0.0.1"
    health_port: int | None = None

    # Security profile (issue #5): HTTPS with client certificates, XML signatures, replay protection
    http_cert: Path | None = None
    http_key: Path | None = None
    http_key_passphrase: str | None = None
    http_ecc_cert: Path | None = None
    http_ecc_key: Path | None = None
    http_ca_file: Path | None = None
    trusted_proxies: str = ""
    client_cert_header: str = "ssl-client-cert"
    cert: Path | None = None
    key: Path | None = None
    passphrase: str | None = None
    show_fingerprint: bool = True
    verify_message_signatures: bool = True
    require_message_signatures: bool = False
    replay_max_age_seconds: float = Field(default=30.0, gt=0)
    replay_nonce_store: NonceStoreName = NonceStoreName.POSTGRES
    fingerprint_lookup: str | None = None
    ven_lookup: str | None = None

    # Kafka
    kafka_bootstrap: str = "127.0.0.1:9092"
    topic_partitions: int = 4
    reply_partitions: int = 8
    topic_replication_factor: int = 1

    # Kafka client security: TLS (with mTLS) and SASL for every Kafka client of every process (docs/bus-security.md)
    kafka_security_protocol: KafkaSecurityProtocol = Field(
        default=KafkaSecurityProtocol.PLAINTEXT,
        description="How every Kafka client reaches the brokers: `PLAINTEXT`, `SSL` (TLS, with a client certificate "
        "for mTLS), `SASL_PLAINTEXT` (development only) or `SASL_SSL` (SASL over TLS, what managed Kafka offers).",
    )
    kafka_ssl_ca_file: Path | None = Field(
        default=None,
        description="PEM file of the CA(s) that sign the brokers' certificates; unset: the system's trusted CAs "
        "(enough for Confluent Cloud and Amazon MSK). The broker's certificate must also name the host dialled.",
    )
    kafka_ssl_cert_file: Path | None = Field(
        default=None, description="The VTN's client certificate (PEM, chain allowed) for brokers that require mTLS."
    )
    kafka_ssl_key_file: Path | None = Field(default=None, description="The private key (PEM) of VTN_KAFKA_SSL_CERT_FILE.")
    kafka_ssl_key_password: SecretStr | None = Field(
        default=None, description="The password of an encrypted VTN_KAFKA_SSL_KEY_FILE."
    )
    kafka_ssl_key_password_file: Path | None = Field(
        default=None, description="A mounted file holding VTN_KAFKA_SSL_KEY_PASSWORD (instead of the variable)."
    )
    kafka_sasl_mechanism: KafkaSaslMechanism | None = Field(
        default=None,
        description="`SCRAM-SHA-512`, `SCRAM-SHA-256` or `PLAIN`; required with a `SASL_` security protocol.",
    )
    kafka_sasl_username: str | None = Field(default=None, description="The SASL user (Confluent Cloud: the API key).")
    kafka_sasl_password: SecretStr | None = Field(
        default=None, description="The SASL user's password (Confluent Cloud: the API secret)."
    )
    kafka_sasl_password_file: Path | None = Field(
        default=None, description="A mounted file holding VTN_KAFKA_SASL_PASSWORD (instead of the variable)."
    )

    # PostgreSQL
    database_url: str = "postgresql://postgres@127.0.0.1:5432/vtn"
    database_pool_min: int = 1
    database_pool_max: int = 10

    # PostgreSQL over TLS: libpq's sslmode, applied to every pool of every process (docs/bus-security.md)
    database_sslmode: DatabaseSslMode | None = Field(
        default=None,
        description="libpq's sslmode for every connection (`disable`, `allow`, `prefer`, `require`, `verify-ca`, "
        "`verify-full`); unset: `verify-full` when VTN_DATABASE_SSL_CA_FILE is set, else what VTN_DATABASE_URL says "
        "(asyncpg's default: `prefer`, which verifies nothing).",
    )
    database_ssl_ca_file: Path | None = Field(
        default=None,
        description="PEM file of the CA that signs the server's certificate (verify-ca, verify-full); verify-full "
        "without it trusts the system's CAs.",
    )
    database_ssl_cert_file: Path | None = Field(
        default=None, description="A client certificate (PEM) for servers that check one."
    )
    database_ssl_key_file: Path | None = Field(
        default=None, description="The private key (PEM, unencrypted) of VTN_DATABASE_SSL_CERT_FILE."
    )

    # OpenADR behaviour
    poll_interval_seconds: float = 10.0
    offline_after_missed_polls: int = 3
    presence_sweep_seconds: float = 1.0
    registration_policy: RegistrationPolicyName = RegistrationPolicyName.ACCEPT_ALL
    report_policy: ReportPolicyName = ReportPolicyName.NOTHING
    report_granularity_seconds: float = Field(default=60.0, ge=0)
    report_back_duration_seconds: float = Field(default=60.0, ge=0)
    report_retention_days: float = Field(default=30.0, ge=0)
    # A report request, cancel, METADATA or the VTN's last report of a request the VEN has not confirmed this
    # long after it went out (and after the first data was due) is sent again, at most report_resend_limit
    # times (report_svc.confirmations).
    report_confirm_wait_seconds: float = Field(default=60.0, gt=0)
    report_resend_limit: int = Field(default=3, ge=0)
    report_confirm_check_seconds: float = Field(default=5.0, gt=0)
    vtn_reports: str | None = None
    offer_reports_on_registration: bool = True
    vtn_report_check_seconds: float = Field(default=1.0, gt=0)
    event_refresh_seconds: float = Field(default=1.0, gt=0)
    # A VEN's event set whose events requiring an answer the VEN has not answered (oadrCreatedEvent) this long
    # after it went out is sent again, at most event_resend_limit times (event_svc.answer_waits).
    event_confirm_wait_seconds: float = Field(default=60.0, gt=0)
    event_resend_limit: int = Field(default=3, ge=0)
    event_confirm_check_seconds: float = Field(default=5.0, gt=0)
    event_retention_seconds: float = Field(default=86400.0, ge=0)

    # OpenLEADR-compatible handlers, each "package.module:function"
    on_create_party_registration: str | None = None
    on_cancel_party_registration: str | None = None
    on_ven_online: str | None = None
    on_ven_offline: str | None = None
    on_register_report: str | None = None
    on_update_report: str | None = None
    on_request_report: str | None = None
    on_created_event: str | None = None
    on_request_event: str | None = None
    on_poll: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _read_secret_files(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        read = dict(data)
        for secret, file_field in SECRET_FILES.items():
            path = read.get(file_field)
            if path is None:
                continue
            if read.get(secret) is not None:
                raise ValueError(f"set {setting_name(secret)} or {setting_name(file_field)}, not both")
            read[secret] = _read_secret_file(file_field, path)
        return read

    @model_validator(mode="after")
    def _refuse_incoherent_bus_security(self) -> VtnSettings:
        protocol = self.kafka_security_protocol
        sasl = {"kafka_sasl_mechanism": self.kafka_sasl_mechanism, "kafka_sasl_username": self.kafka_sasl_username,
                "kafka_sasl_password": self.kafka_sasl_password}  # fmt: skip
        tls = {"kafka_ssl_ca_file": self.kafka_ssl_ca_file, "kafka_ssl_cert_file": self.kafka_ssl_cert_file,
               "kafka_ssl_key_file": self.kafka_ssl_key_file, "kafka_ssl_key_password": self.kafka_ssl_key_password}  # fmt: skip
        if protocol.uses_sasl and (missing := [setting_name(f) for f, value in sasl.items() if value is None]):
            raise ValueError(f"VTN_KAFKA_SECURITY_PROTOCOL={protocol.value} needs {', '.join(missing)}")
        for unused, applies in ((sasl, protocol.uses_sasl), (tls, protocol.uses_tls)):
            if not applies and (given := [setting_name(f) for f, value in unused.items() if value is not None]):
                raise ValueError(f"{', '.join(given)} set, but VTN_KAFKA_SECURITY_PROTOCOL={protocol.value} does not use them")
        if (self.kafka_ssl_cert_file is None) != (self.kafka_ssl_key_file is None):
            raise ValueError("a Kafka client certificate needs both VTN_KAFKA_SSL_CERT_FILE and VTN_KAFKA_SSL_KEY_FILE")
        if self.kafka_ssl_key_password is not None and self.kafka_ssl_key_file is None:
            raise ValueError("VTN_KAFKA_SSL_KEY_PASSWORD is the password of VTN_KAFKA_SSL_KEY_FILE, which is not set")
        if self.environment is Environment.PRODUCTION and protocol is KafkaSecurityProtocol.SASL_PLAINTEXT:
            raise ValueError(
                "VTN_KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT sends the Kafka credentials unencrypted: use SASL_SSL outside development"
            )
        return self

    @model_validator(mode="after")
    def _refuse_incoherent_database_tls(self) -> VtnSettings:
        files = {"database_ssl_ca_file": self.database_ssl_ca_file, "database_ssl_cert_file": self.database_ssl_cert_file,
                 "database_ssl_key_file": self.database_ssl_key_file}  # fmt: skip
        configured = self.database_sslmode is not None or any(value is not None for value in files.values())
        in_url = _URL_TLS_PARAMETERS & set(parse_qs(urlsplit(self.database_url).query))
        if configured and in_url:
            raise ValueError(
                f"VTN_DATABASE_URL carries {', '.join(sorted(in_url))}: set TLS either there or with VTN_DATABASE_SSL*, not both"
            )
        if (self.database_ssl_cert_file is None) != (self.database_ssl_key_file is None):
            raise ValueError("a PostgreSQL client certificate needs both VTN_DATABASE_SSL_CERT_FILE and VTN_DATABASE_SSL_KEY_FILE")
        mode = self.effective_database_sslmode
        if mode is not None and not mode.requires_tls and (given := [setting_name(f) for f, v in files.items() if v]):
            raise ValueError(f"{', '.join(given)} set, but VTN_DATABASE_SSLMODE={mode.value} does not require TLS")
        if mode is DatabaseSslMode.VERIFY_CA and self.database_ssl_ca_file is None:
            raise ValueError("VTN_DATABASE_SSLMODE=verify-ca needs VTN_DATABASE_SSL_CA_FILE (only verify-full may use the system's CAs)")
        return self

    @property
    def effective_database_sslmode(self) -> DatabaseSslMode | None:
        """The sslmode the VTN applies: the setting, else verify-full when a CA is given, else none (the URL's)."""
        if self.database_sslmode is None and self.database_ssl_ca_file is not None:
            return DatabaseSslMode.VERIFY_FULL
        return self.database_sslmode

    @model_validator(mode="after")
    def _refuse_unsafe_defaults(self) -> VtnSettings:
        if self.environment is Environment.PRODUCTION and self.admin_token == DEVELOPMENT_ADMIN_TOKEN:
            raise ValueError("VTN_ADMIN_TOKEN must be set to a secret outside development")
        if self.registration_policy is RegistrationPolicyName.HANDLER and not self.on_create_party_registration:
            raise ValueError("VTN_REGISTRATION_POLICY=handler needs VTN_ON_CREATE_PARTY_REGISTRATION=module:function")
        if self.report_policy is ReportPolicyName.HANDLER and not self.on_register_report:
            raise ValueError("VTN_REPORT_POLICY=handler needs VTN_ON_REGISTER_REPORT=module:function")
        server_pairs = ((self.http_cert, self.http_key), (self.http_ecc_cert, self.http_ecc_key))
        if any((cert is None) != (key is None) for cert, key in server_pairs):
            raise ValueError("each server certificate needs its key (VTN_HTTP_CERT + VTN_HTTP_KEY, VTN_HTTP_ECC_CERT + ...)")
        if self.serves_https and self.http_ca_file is None:
            raise ValueError("HTTPS requires client certificates: set VTN_HTTP_CA_FILE to the CA of VEN certificates")
        if (self.cert is None) != (self.key is None):
            raise ValueError("signing outgoing messages needs both VTN_CERT and VTN_KEY")
        if self.require_message_signatures and not self.verify_message_signatures:
            raise ValueError("VTN_REQUIRE_MESSAGE_SIGNATURES needs VTN_VERIFY_MESSAGE_SIGNATURES")
        return self

    @property
    def serves_https(self) -> bool:
        return self.http_cert is not None or self.http_ecc_cert is not None
