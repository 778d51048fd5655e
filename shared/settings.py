"""All settings of the VTN, read once from environment variables (prefix VTN_) in each process's main.

Every process builds one `VtnSettings` and passes the values it needs to constructors; nothing reads the
environment anywhere else. Outside development, unsafe defaults are refused (an admin token that is a
known placeholder or shorter than 32 characters).
"""

from __future__ import annotations

import secrets
import socket
from enum import Enum
from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

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


def _default_instance_id() -> str:
    return f"{socket.gethostname()}-{secrets.token_hex(3)}"


class VtnSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="VTN_", extra="ignore", frozen=True)

    environment: Environment = Environment.DEVELOPMENT
    vtn_id: str = "vtn"
    instance_id: str = Field(default_factory=_default_instance_id)
    log_level: str = "INFO"

    # Gateway (OpenADR and admin doors)
    http_host: str = "127.0.0.1"
    http_port: int = 8080
    admin_host: str = "127.0.0.1"
    admin_port: int = 8081
    admin_token: str = Field(
        default=DEVELOPMENT_ADMIN_TOKEN,
        description="the admin API's bearer token; in production at least 32 characters and not a known placeholder",
    )
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

    # PostgreSQL
    database_url: str = "postgresql://postgres@127.0.0.1:5432/vtn"
    database_pool_min: int = 1
    database_pool_max: int = 10

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
