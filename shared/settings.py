"""All settings of the VTN, read once from environment variables (prefix VTN_) in each process's main.

Every process builds one `VtnSettings` and passes the values it needs to constructors; nothing reads the
environment anywhere else. Outside development, unsafe defaults are refused (an admin token that is a known
placeholder or shorter than 32 characters, SASL passwords sent in the clear). A secret may instead be read from a mounted file: `VTN_<NAME>_FILE` holds its path, and
the file's content (without a trailing line break) is the value.

Settings renamed since an earlier release are still read under their former names (`FORMER_NAMES`; the
current name wins when both are set), and each process warns about them once at start (shared.startup).

Every field has a `Field(description=...)`, and the fields are grouped in sections, each opened by a comment
line after a blank line (`# Heading: what it holds`): `python -m shared.settings_doc` writes docs/settings.md
from both, and a test fails when that file is out of date.
"""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Mapping
from enum import Enum
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from pydantic import Field, SecretStr, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from shared.push_addresses import parse_allowlist
from shared.xmpp_addresses import xmpp_domain_of

DEVELOPMENT_ADMIN_TOKEN = "dev-admin-token"
# Outside development the admin token must be at least this long (`openssl rand -hex 32` gives 64
# characters) and none of the placeholders that example files and tutorials carry.
MIN_PRODUCTION_ADMIN_TOKEN_LENGTH = 32
PLACEHOLDER_ADMIN_TOKENS = frozenset(
    {
        DEVELOPMENT_ADMIN_TOKEN,
        "replace-with-a-long-random-token",
        "replace-me",
        "changeme",
        "change-me",
        "secret",
        "token",
        "admin",
        "password",
    }
)


def admin_token_problem(token: str) -> str | None:
    """Why `token` cannot guard a production admin API, or None when it can."""
    if token.strip().lower() in PLACEHOLDER_ADMIN_TOKENS:
        return "is a known placeholder"
    if len(token) < MIN_PRODUCTION_ADMIN_TOKEN_LENGTH:
        return f"is shorter than {MIN_PRODUCTION_ADMIN_TOKEN_LENGTH} characters"
    if len(set(token)) == 1:
        return "repeats a single character"
    return None


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


# Settings renamed since an earlier release: the former environment variable -> the field it now sets.
FORMER_NAMES = {
    "VTN_VTN_ID": "id",
    "VTN_VTN_REPORTS": "own_reports",
    "VTN_VTN_REPORT_CHECK_SECONDS": "own_report_check_seconds",
}


def former_names_in(environ: Mapping[str, str]) -> list[tuple[str, str]]:
    """(former name, current name) of each renamed setting that `environ` gives under its former name
    (names compare case-insensitively, as every setting's do)."""
    given = {name.upper() for name in environ}
    return [(former, setting_name(field)) for former, field in FORMER_NAMES.items() if former in given]


class _FormerNamesSource(PydanticBaseSettingsSource):
    """The values of renamed settings given under their former names; placed after the environment's own
    source, so that the current name wins when both are set."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # unused: __call__ reads every former name at once

    def __call__(self) -> dict[str, Any]:
        environ = {name.upper(): value for name, value in os.environ.items()}
        return {field: environ[former] for former, field in FORMER_NAMES.items() if former in environ}


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

    # General
    environment: Environment = Field(
        default=Environment.DEVELOPMENT,
        description="`production` refuses unsafe defaults: the development admin token, and a gateway without HTTPS "
        "or a trusted proxy.",
    )
    id: str = Field(
        default="VTN",
        min_length=1,
        description="The vtnID the VTN gives in every message to VENs. OpenLEADR's VEN answers 452 (invalid ID) to "
        "every event of a VTN whose vtnID has letters and all of them lowercase (Python's `str.islower()`), so keep at "
        "least one capital letter.",
    )
    instance_id: str = Field(
        default_factory=_default_instance_id,
        description="This process's instance name (default: the host name and a random suffix): names its Kafka "
        "clients and picks the gateway's reply partition.",
    )
    log_level: str = Field(
        default="INFO",
        description="Level of the JSON log lines on stdout (each with `action`, `correlation_id` and `ven_id`).",
    )

    # Gateway: the OpenADR and admin doors
    http_host: str = Field(default="127.0.0.1", description="Address the gateway listens on for VENs.")
    http_port: int = Field(
        default=8080, description="Port the gateway listens on for VENs (OpenADR at `/OpenADR2/Simple/2.0b`)."
    )
    admin_host: str = Field(default="127.0.0.1", description="Address of the admin API.")
    admin_port: int = Field(
        default=8081, description="Port of the admin API, and of the gateway's `/healthz`, `/readyz` and `/metrics`."
    )
    admin_token: str = Field(
        default=DEVELOPMENT_ADMIN_TOKEN,
        description="Bearer token of the admin API; in production at least 32 characters and not a known placeholder "
        "(`openssl rand -hex 32`).",
    )
    admin_cert: Path | None = Field(
        default=None,
        description="Server certificate (PEM) of the admin port; with `VTN_ADMIN_KEY` the admin API, the operator "
        "console and `/healthz`, `/readyz` and `/metrics` are served over HTTPS only (probes and scrapers then use "
        "https).",
    )
    admin_key: Path | None = Field(
        default=None, description="The key of `VTN_ADMIN_CERT` (PEM, unencrypted: keep it in a Secret)."
    )
    http_keepalive_seconds: float = Field(default=120.0, description="How long an idle VEN connection stays open.")
    max_body_bytes: int = Field(
        default=256 * 1024, description="Largest VEN request body accepted; a larger one gets HTTP 413."
    )
    reply_timeout_seconds: float = Field(
        default=5.0,
        description="How long the gateway waits for a service before answering HTTP 503 with an `oadrResponse` and "
        "`Retry-After`. Services skip a poll, registration or event/report query older than this: its VEN has had "
        "the 503 and asks again.",
    )
    max_waiting_polls: int = Field(
        default=1000,
        ge=1,
        description="Polls one gateway lets wait at once for registration_svc's reply (those its cache cannot "
        "answer); one more is answered HTTP 503 with `Retry-After` at once and the VEN polls again. Keeps an "
        "overload from feeding itself. Other requests are not refused this way. A thousand forwarded polls a "
        "second answered in 10-50 ms keep 10-50 waiting.",
    )
    presence_flush_seconds: float = Field(
        default=1.0, description="How often the gateway sends its batch of poll sightings to presence_svc."
    )
    poll_cache_ttl_seconds: float = Field(
        default=60.0, description="Upper bound on how long the gateway reuses a cached poll answer."
    )
    xsd_path: Path | None = Field(
        default=None,
        description="The 2.0b schema the gateway validates VEN documents against; unset: the official schema "
        "shipped in `shared/oadr_xml/schemas/2.0b`.",
    )

    # VEN connections: timeouts by phase and caps (gateway.connections, docs/security-edge.md)
    http_tls_handshake_timeout_seconds: float = Field(
        default=10.0, gt=0, description="A TLS handshake not finished this long after the TCP connection is closed."
    )
    http_request_header_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        description="A request's headers must arrive whole within this: from the end of the handshake for a "
        "connection's first request, from its first byte for a later one (slow-loris clients are closed).",
    )
    http_request_body_timeout_seconds: float = Field(
        default=30.0, gt=0, description="A request body must arrive whole within this after its headers."
    )
    http_max_connections: int = Field(
        default=5_000,
        ge=1,
        description="Open VEN connections of one gateway; more are refused at once. An open TLS connection holds "
        "about 50 KiB: size it to the process's memory. Lowered to what the file-descriptor limit allows, which the "
        "gateway raises to its hard limit at start.",
    )
    http_max_connections_per_client: int = Field(
        default=16,
        ge=1,
        description="Open connections of one client certificate (by fingerprint); one more is closed after its "
        "handshake.",
    )
    http_max_connections_per_address: int = Field(
        default=256,
        ge=1,
        description="Connections from one IP address not (yet) identified by a certificate: in their TLS handshake, "
        "or all of them with plain HTTP. Trusted proxies are exempt.",
    )
    refusal_log_burst: int = Field(
        default=5, ge=1, description="Log lines written per refusal reason and period; the rest are only counted."
    )
    refusal_log_period_seconds: float = Field(
        default=60.0,
        gt=0,
        description="The period of the refusal log's budget: at its end, one summary line per reason gives the "
        "number of lines left out.",
    )

    # Operations: where each service serves /healthz, /readyz and /metrics (the gateway on its admin port)
    health_host: str = Field(
        default="127.0.0.1", description="Address where a service serves `/healthz`, `/readyz` and `/metrics`."
    )
    health_port: int | None = Field(
        default=None,
        description="Port of a service's `/healthz`, `/readyz` and `/metrics`; unset: registration_svc 8091, "
        "presence_svc 8092, event_svc 8093, report_svc 8094, the pusher (gateway.push) 8095, the XMPP connector "
        "(gateway.xmpp) 8096 (the gateway serves them on its admin port).",
    )

    # Operator console: on the admin port, with the admin API's named operators
    console_session_idle_seconds: float = Field(
        default=1800.0, gt=0, description="A console session unused this long ends (the operator signs in again)."
    )
    console_session_max_seconds: float = Field(
        default=43200.0, gt=0, description="A console session ends this long after sign-in, however busy."
    )
    console_secure_cookie: bool = Field(
        default=False,
        description="Always mark the session cookie Secure: set it when a proxy terminates HTTPS in front of the "
        "admin port (over HTTPS the cookie is Secure anyway).",
    )
    console_fleet_refresh_seconds: float = Field(
        default=30.0,
        gt=0,
        description="How often each gateway re-counts the fleet and the events (between counts the console's "
        "figures move with the Kafka facts).",
    )

    # Security profile: HTTPS with client certificates, XML signatures, replay protection
    http_cert: Path | None = Field(
        default=None,
        description="The gateway's RSA server certificate (PEM); with `VTN_HTTP_KEY` (or the ECC pair) the gateway "
        "serves HTTPS.",
    )
    http_key: Path | None = Field(default=None, description="The key of `VTN_HTTP_CERT` (PEM).")
    http_key_passphrase: str | None = Field(
        default=None, description="Passphrase of the server keys (`VTN_HTTP_KEY`, `VTN_HTTP_ECC_KEY`), if encrypted."
    )
    http_ecc_cert: Path | None = Field(
        default=None,
        description="An ECC server certificate (PEM) beside the RSA one; the TLS handshake picks by what the VEN "
        "offers.",
    )
    http_ecc_key: Path | None = Field(default=None, description="The key of `VTN_HTTP_ECC_CERT` (PEM).")
    http_ca_file: Path | None = Field(
        default=None,
        description="The CA that issues VEN certificates; required with HTTPS (a VEN must present a client "
        "certificate chained to it) and in ingress mode (a forwarded certificate must chain to it).",
    )
    http_tls_2_0a_suites: bool = Field(
        default=False,
        description="With HTTPS, also offer in TLS 1.2 the OpenADR 2.0a profile's suites "
        "(TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, TLS_RSA_WITH_AES_128_CBC_SHA), after the 2.0b ones, for 2.0a VENs "
        "that offer no SHA-256 suite. TLS below 1.2 is never offered.",
    )
    trusted_proxies: str = Field(
        default="",
        description="Ingress mode: addresses or CIDRs (comma-separated) whose `VTN_CLIENT_CERT_HEADER` carries the "
        "VEN's URL-encoded PEM certificate; the header from anyone else is refused. Empty: off.",
    )
    client_cert_header: str = Field(
        default="ssl-client-cert", description="The header in which a trusted proxy forwards the VEN's certificate."
    )
    forwarded_certificate_cache_seconds: float = Field(
        default=300.0,
        ge=0,
        description="Ingress mode: how long a verified forwarded certificate is trusted without verifying it again "
        "(never past its own or its CA's expiry).",
    )
    forwarded_certificate_cache_entries: int = Field(
        default=100_000, ge=1, description="Ingress mode: forwarded certificates whose verification is remembered."
    )
    cert: Path | None = Field(
        default=None,
        description="The VTN's signing certificate (OpenLEADR's `cert`): with `VTN_KEY`, every answer is signed, "
        "and the certificate's fingerprint is printed at start.",
    )
    key: Path | None = Field(default=None, description="The VTN's signing key (OpenLEADR's `key`).")
    passphrase: str | None = Field(
        default=None, description="Passphrase of `VTN_KEY`, if encrypted (OpenLEADR's `passphrase`)."
    )
    show_fingerprint: bool = Field(
        default=True, description="Print the VTN's certificate fingerprint at start, as OpenLEADR does."
    )
    verify_message_signatures: bool = Field(
        default=True,
        description="With HTTPS or a trusted proxy, verify the XML signature of every signed VEN message "
        "(OpenLEADR's `verify_message_signatures`).",
    )
    require_message_signatures: bool = Field(
        default=False, description="Refuse unsigned VEN messages (needs `VTN_VERIFY_MESSAGE_SIGNATURES`)."
    )
    replay_max_age_seconds: float = Field(
        default=30.0,
        gt=0,
        description="A signed message's ReplayProtect timestamp must be within this of now, both ways; nonces are "
        "remembered twice as long.",
    )
    replay_nonce_store: NonceStoreName = Field(
        default=NonceStoreName.POSTGRES,
        description="Where seen nonces are kept: `postgres` (table `replay_nonces`, shared by every gateway "
        "instance) or `memory` (a single gateway instance only).",
    )
    fingerprint_lookup: str | None = Field(
        default=None,
        description="OpenLEADR's `fingerprint_lookup(ven_id) -> fingerprint` as `package.module:function`: tells "
        "the gateway a venID's certificate fingerprint, instead of the VEN directory.",
    )
    ven_lookup: str | None = Field(
        default=None,
        description='OpenLEADR\'s `ven_lookup(ven_id) -> {"fingerprint": ...}` as `package.module:function`, '
        "instead of the VEN directory.",
    )

    # Kafka
    kafka_bootstrap: str = Field(
        default="127.0.0.1:9092", description="Kafka bootstrap servers (comma-separated `host:port`)."
    )
    topic_partitions: int = Field(
        default=4,
        description="Partitions of each topic (topic provisioning); a service's instances share them, at most one "
        "working instance per partition.",
    )
    reply_partitions: int = Field(
        default=8,
        description="Partitions of `oadr.gateway.replies.v1` (topic provisioning); each gateway instance reads the "
        "one its instance name picks.",
    )
    topic_replication_factor: int = Field(
        default=1, description="Replication factor of each topic (topic provisioning)."
    )

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
    kafka_ssl_key_file: Path | None = Field(
        default=None, description="The private key (PEM) of VTN_KAFKA_SSL_CERT_FILE."
    )
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
    database_url: str = Field(
        default="postgresql://postgres@127.0.0.1:5432/vtn", description="The PostgreSQL database (libpq URL)."
    )
    database_pool_min: int = Field(default=1, description="Connections each process keeps open at least.")
    database_pool_max: int = Field(default=10, description="Connections each process opens at most.")

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
    poll_interval_seconds: float = Field(
        default=10.0, description="The oadrRequestedOadrPollFreq given to VENs when they register."
    )
    offline_after_missed_polls: int = Field(
        default=3, description="A VEN silent for this many poll intervals is offline."
    )
    presence_sweep_seconds: float = Field(default=1.0, description="How often presence_svc looks for silent VENs.")
    presence_history_days: float = Field(
        default=30.0,
        ge=0,
        description="VENs' online/offline transitions older than this are purged hourly; `0` keeps them.",
    )
    registration_policy: RegistrationPolicyName = Field(
        default=RegistrationPolicyName.ACCEPT_ALL,
        description="Which VENs may register: `accept_all`, `provisioned_only` (pre-provisioned by fingerprint, "
        "venID or venName) or `handler` (`VTN_ON_CREATE_PARTY_REGISTRATION` decides).",
    )
    report_policy: ReportPolicyName = Field(
        default=ReportPolicyName.NOTHING,
        description="Which offered reports the VTN requests: `nothing`, `telemetry` (every TELEMETRY_USAGE and "
        "TELEMETRY_STATUS report) or `handler` (`VTN_ON_REGISTER_REPORT` decides).",
    )
    report_granularity_seconds: float = Field(
        default=60.0,
        ge=0,
        description="Granularity of the `telemetry` policy's requests, fitted into each VEN's sampling rate.",
    )
    report_back_duration_seconds: float = Field(
        default=60.0, ge=0, description="reportBackDuration of the `telemetry` policy's requests."
    )
    report_retention_days: float = Field(
        default=30.0,
        ge=0,
        description="Received report data older than this (by arrival, once published) is purged hourly; `0` keeps "
        "it forever.",
    )
    report_confirm_wait_seconds: float = Field(
        default=60.0,
        gt=0,
        description="A report request, cancel, the VTN's METADATA or the VTN's last report of a request that the "
        "VEN has not confirmed this long after it went out (for a request: after its first data was due) is sent "
        "again.",
    )
    report_resend_limit: int = Field(
        default=3,
        ge=0,
        description="Times an unconfirmed report message is sent again before it is marked unconfirmed; `0` never "
        "sends again.",
    )
    report_confirm_check_seconds: float = Field(
        default=5.0,
        gt=0,
        description="How often each report_svc instance looks for unconfirmed report requests, cancels, METADATA "
        "and reports.",
    )
    own_reports: str | None = Field(
        default=None,
        description="The VTN's own reports, which it offers VENs, as JSON or `@path` to a JSON file: a list of "
        '`{"report_specifier_id", "report_name", "duration"?, "points"}`, report_name a METADATA_ name (default '
        'METADATA_TELEMETRY_STATUS), each point `{"r_id", "report_type", "reading_type", "item_base"?, '
        '"resource_id"?, "min_period", "max_period", "on_change"}` (report_type default x-resourceStatus). Unset: '
        "one METADATA_TELEMETRY_STATUS report `vtn-status` with rID `vtn-status`. Points other than "
        "x-resourceStatus need `VTN_ON_REQUEST_REPORT`.",
    )
    offer_reports_on_registration: bool = Field(
        default=True,
        description="Send the VTN's METADATA (`oadrRegisterReport`) on a VEN's first poll after it registers.",
    )
    own_report_check_seconds: float = Field(
        default=1.0, gt=0, description="How often report_svc queues the VTN's own reports that are due."
    )
    event_refresh_seconds: float = Field(
        default=1.0,
        gt=0,
        description="How often event_svc sends again the sets of VENs whose events changed status or currentValue "
        "with the clock.",
    )
    event_confirm_wait_seconds: float = Field(
        default=60.0,
        gt=0,
        description="A VEN's event set in which an event requiring an answer (oadrCreatedEvent) has none this long "
        "after the set went out is sent again.",
    )
    event_resend_limit: int = Field(
        default=3,
        ge=0,
        description="Times an unanswered event set is sent again before the VTN gives up on it; `0` never sends again.",
    )
    event_confirm_check_seconds: float = Field(
        default=5.0, gt=0, description="How often each event_svc instance looks for unanswered event sets."
    )
    event_retention_seconds: float = Field(
        default=86400.0,
        ge=0,
        description="How long a completed or cancelled event stays in VENs' sets before it ages out.",
    )
    event_batch_max: int = Field(
        default=100,
        ge=1,
        le=1000,
        description="Events one call may create together (`POST /api/v1/event-batches`, `create_events` on the "
        "command topic); a larger batch is refused with 413. At most 1,000, what one fan-out round takes.",
    )

    # HTTP push: the pusher (gateway.push) POSTs their messages to VENs registered with oadrHttpPullModel false
    push_allowed_networks: str = Field(
        default="",
        description="Where the VTN may push (a VEN's oadrTransportAddress), comma-separated: networks (CIDR), "
        "addresses and host names (`*.example.com` for a domain). Empty: any public address. Loopback, private, "
        "link-local and shared addresses are refused unless listed (loopback only outside production); cloud "
        "metadata addresses and the VTN's own ports on its own addresses always.",
    )
    push_timeout_seconds: float = Field(
        default=10.0, gt=0, description="How long one push may take, connection and TLS handshake included."
    )
    push_max_answer_bytes: int = Field(
        default=256 * 1024, gt=0, description="A VEN's answer to a push larger than this is refused (and retried)."
    )
    push_retry_initial_seconds: float = Field(
        default=1.0, gt=0, description="Wait before the first retry of a failed push; doubled each time, with jitter."
    )
    push_retry_max_seconds: float = Field(
        default=60.0, gt=0, description="Longest wait between two attempts to push to an unreachable VEN."
    )
    push_offline_after_seconds: float = Field(
        default=120.0, gt=0, description="A push VEN every push to which failed for this long is marked offline."
    )
    push_concurrency: int = Field(default=500, ge=1, description="Pushes in flight at once per pusher instance.")
    push_connections_per_host: int = Field(
        default=64, ge=1, description="Keep-alive connections a pusher instance holds at most per VEN host and port."
    )
    push_idle_connection_seconds: float = Field(
        default=30.0, gt=0, description="An idle keep-alive connection to a VEN is closed after this long."
    )
    push_rescan_seconds: float = Field(
        default=30.0,
        gt=0,
        description="How often a pusher looks in the database for push VENs with messages waiting that no notice "
        "woke (a safety net; notices normally wake it at once).",
    )
    push_client_cert: Path | None = Field(
        default=None, description="The VTN's client certificate (PEM) for pushing over HTTPS; default VTN_HTTP_CERT."
    )
    push_client_key: Path | None = Field(
        default=None, description="The key of VTN_PUSH_CLIENT_CERT; default VTN_HTTP_KEY."
    )
    push_ca_file: Path | None = Field(
        default=None,
        description="The CA that issues VENs' server certificates for pushes over HTTPS; default VTN_HTTP_CA_FILE.",
    )

    # XMPP: the connector (gateway.xmpp) serves VENs registered with oadrTransportName xmpp (docs/xmpp.md)
    xmpp_address: str | None = Field(
        default=None,
        description="The VTN's XMPP address (bare JID): the account of its XMPP client certificate on the XMPP "
        "server, `<fingerprint as 20 lower-case hex digits>@<domain>`; VENs of that domain may register over "
        "XMPP. Empty: the VTN serves simple HTTP only.",
    )
    xmpp_server: str | None = Field(
        default=None,
        description="The XMPP server's client port as `host:port`; default the XMPP address's domain, port 5222.",
    )
    xmpp_client_cert: Path | None = Field(
        default=None,
        description="The VTN's client certificate (PEM) for logging in to the XMPP server; default VTN_HTTP_CERT.",
    )
    xmpp_client_key: Path | None = Field(
        default=None, description="The key of VTN_XMPP_CLIENT_CERT; default VTN_HTTP_KEY."
    )
    xmpp_ca_file: Path | None = Field(
        default=None,
        description="The CA that issued the XMPP server's certificate; default VTN_HTTP_CA_FILE.",
    )
    xmpp_max_payload_bytes: int = Field(
        default=256 * 1024,
        gt=0,
        description="An OpenADR payload from a VEN over XMPP larger than this is refused (keep the XMPP server's "
        "stanza limit above it).",
    )
    xmpp_concurrency: int = Field(
        default=200, ge=1, description="VEN requests over XMPP handled at once per connector instance."
    )

    # OpenLEADR-compatible handlers: each names a callable as `package.module:function`, plain or async
    on_create_party_registration: str | None = Field(
        default=None,
        description="OpenLEADR's `on_create_party_registration(registration_info)`, with "
        "`VTN_REGISTRATION_POLICY=handler`: returns `(ven_id, registration_id)` to accept, `False` to refuse.",
    )
    on_cancel_party_registration: str | None = Field(
        default=None, description="Called with the cancel payload when a VEN cancels its registration."
    )
    on_ven_online: str | None = Field(default=None, description="Called with the venID when a VEN comes online.")
    on_ven_offline: str | None = Field(default=None, description="Called with the venID when a VEN goes offline.")
    on_register_report: str | None = Field(
        default=None,
        description="OpenLEADR's `on_register_report`, in its compact or full form, with "
        "`VTN_REPORT_POLICY=handler`: decides which offered reports to request and names their callbacks.",
    )
    on_update_report: str | None = Field(
        default=None,
        description="OpenLEADR's `on_update_report(report)`: receives the new data of reports without callbacks.",
    )
    on_request_report: str | None = Field(
        default=None,
        description="OpenLEADR's `on_request_report`: gives the values of the VTN's own reports, per data point.",
    )
    on_created_event: str | None = Field(
        default=None,
        description="OpenLEADR's `on_created_event(ven_id, event_id, opt_type)`, called for every accepted "
        "oadrCreatedEvent answer that differs from the VEN's stored one (at-least-once, from "
        "`oadr.event.responses.v1`).",
    )
    on_request_event: str | None = Field(
        default=None,
        description="OpenLEADR's `on_request_event(ven_id)`: when set, event_svc answers oadrRequestEvent with the "
        "events it returns instead of the stored ones.",
    )
    on_poll: str | None = Field(
        default=None,
        description="OpenLEADR's `on_poll(ven_id)`: asked by registration_svc when nothing is pending for a polling "
        "VEN; makes every poll answer non-cacheable (one Kafka round trip per poll).",
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, env_settings, _FormerNamesSource(settings_cls), dotenv_settings, file_secret_settings

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
                raise ValueError(
                    f"{', '.join(given)} set, but VTN_KAFKA_SECURITY_PROTOCOL={protocol.value} does not use them"
                )
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
            raise ValueError(
                "a PostgreSQL client certificate needs both VTN_DATABASE_SSL_CERT_FILE and VTN_DATABASE_SSL_KEY_FILE"
            )
        mode = self.effective_database_sslmode
        if mode is not None and not mode.requires_tls and (given := [setting_name(f) for f, v in files.items() if v]):
            raise ValueError(f"{', '.join(given)} set, but VTN_DATABASE_SSLMODE={mode.value} does not require TLS")
        if mode is DatabaseSslMode.VERIFY_CA and self.database_ssl_ca_file is None:
            raise ValueError(
                "VTN_DATABASE_SSLMODE=verify-ca needs VTN_DATABASE_SSL_CA_FILE (only verify-full may use the system's CAs)"
            )
        return self

    @property
    def effective_database_sslmode(self) -> DatabaseSslMode | None:
        """The sslmode the VTN applies: the setting, else verify-full when a CA is given, else none (the URL's)."""
        if self.database_sslmode is None and self.database_ssl_ca_file is not None:
            return DatabaseSslMode.VERIFY_FULL
        return self.database_sslmode

    @model_validator(mode="after")
    def _refuse_unsafe_defaults(self) -> VtnSettings:
        if self.environment is Environment.PRODUCTION and (problem := admin_token_problem(self.admin_token)):
            raise ValueError(
                f"VTN_ADMIN_TOKEN {problem}: outside development set a random secret of at least "
                f"{MIN_PRODUCTION_ADMIN_TOKEN_LENGTH} characters (openssl rand -hex 32)"
            )
        if self.registration_policy is RegistrationPolicyName.HANDLER and not self.on_create_party_registration:
            raise ValueError("VTN_REGISTRATION_POLICY=handler needs VTN_ON_CREATE_PARTY_REGISTRATION=module:function")
        if self.report_policy is ReportPolicyName.HANDLER and not self.on_register_report:
            raise ValueError("VTN_REPORT_POLICY=handler needs VTN_ON_REGISTER_REPORT=module:function")
        if (self.admin_cert is None) != (self.admin_key is None):
            raise ValueError("HTTPS on the admin port needs both VTN_ADMIN_CERT and VTN_ADMIN_KEY")
        server_pairs = ((self.http_cert, self.http_key), (self.http_ecc_cert, self.http_ecc_key))
        if any((cert is None) != (key is None) for cert, key in server_pairs):
            raise ValueError(
                "each server certificate needs its key (VTN_HTTP_CERT + VTN_HTTP_KEY, VTN_HTTP_ECC_CERT + ...)"
            )
        if self.serves_https and self.http_ca_file is None:
            raise ValueError("HTTPS requires client certificates: set VTN_HTTP_CA_FILE to the CA of VEN certificates")
        if self.trusted_proxy_list and self.http_ca_file is None:
            raise ValueError(
                "ingress mode (VTN_TRUSTED_PROXIES) verifies the forwarded client certificates: set VTN_HTTP_CA_FILE "
                "to the CA of VEN certificates"
            )
        if (self.cert is None) != (self.key is None):
            raise ValueError("signing outgoing messages needs both VTN_CERT and VTN_KEY")
        if self.require_message_signatures and not self.verify_message_signatures:
            raise ValueError("VTN_REQUIRE_MESSAGE_SIGNATURES needs VTN_VERIFY_MESSAGE_SIGNATURES")
        if (self.push_client_cert is None) != (self.push_client_key is None):
            raise ValueError("pushing over HTTPS needs both VTN_PUSH_CLIENT_CERT and VTN_PUSH_CLIENT_KEY")
        allowlist = parse_allowlist(self.push_allowed_networks)  # raises ValueError on an entry of no kind
        if self.environment is Environment.PRODUCTION and allowlist.allows_loopback:
            raise ValueError("VTN_PUSH_ALLOWED_NETWORKS may name loopback addresses in development only")
        if (self.xmpp_client_cert is None) != (self.xmpp_client_key is None):
            raise ValueError("logging in to the XMPP server needs both VTN_XMPP_CLIENT_CERT and VTN_XMPP_CLIENT_KEY")
        if self.xmpp_address is not None:
            xmpp_domain_of(self.xmpp_address)  # raises ValueError when it is no bare JID
        if self.push_retry_max_seconds < self.push_retry_initial_seconds:
            raise ValueError("VTN_PUSH_RETRY_MAX_SECONDS must not be below VTN_PUSH_RETRY_INITIAL_SECONDS")
        return self

    @property
    def xmpp_domain(self) -> str | None:
        """The XMPP domain of the VTN and of VENs registering over XMPP (None: XMPP not served)."""
        return xmpp_domain_of(self.xmpp_address) if self.xmpp_address is not None else None

    @property
    def serves_https(self) -> bool:
        return self.http_cert is not None or self.http_ecc_cert is not None

    @property
    def admin_tls_files(self) -> tuple[Path, Path] | None:
        """The admin port's certificate and key when it serves HTTPS, else None."""
        if self.admin_cert is None or self.admin_key is None:
            return None
        return self.admin_cert, self.admin_key

    @property
    def trusted_proxy_list(self) -> list[str]:
        """VTN_TRUSTED_PROXIES as a list of addresses or CIDRs (ingress mode when not empty)."""
        return [proxy.strip() for proxy in self.trusted_proxies.split(",") if proxy.strip()]
