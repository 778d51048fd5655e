"""All settings of the VTN, read once from environment variables (prefix VTN_) in each process's main.

Every process builds one `VtnSettings` and passes the values it needs to constructors; nothing reads the
environment anywhere else. Outside development, unsafe defaults (the admin token) are refused.
"""

from __future__ import annotations

import secrets
import socket
from enum import Enum
from pathlib import Path

from pydantic import Field, model_validator
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
    admin_token: str = DEVELOPMENT_ADMIN_TOKEN
    http_keepalive_seconds: float = 120.0
    max_body_bytes: int = 256 * 1024
    reply_timeout_seconds: float = 5.0
    presence_flush_seconds: float = 1.0
    poll_cache_ttl_seconds: float = 60.0
    xsd_path: Path | None = None

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
    forwarded_certificate_cache_seconds: float = Field(
        default=300.0,
        ge=0,
        description="Ingress mode: how long a verified forwarded certificate is trusted without verifying it again "
        "(never past its own or its CA's expiry).",
    )
    forwarded_certificate_cache_entries: int = Field(
        default=100_000, ge=1, description="Ingress mode: forwarded certificates whose verification is remembered."
    )
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
        if self.trusted_proxy_list and self.http_ca_file is None:
            raise ValueError(
                "ingress mode (VTN_TRUSTED_PROXIES) verifies the forwarded client certificates: set VTN_HTTP_CA_FILE "
                "to the CA of VEN certificates"
            )
        if (self.cert is None) != (self.key is None):
            raise ValueError("signing outgoing messages needs both VTN_CERT and VTN_KEY")
        if self.require_message_signatures and not self.verify_message_signatures:
            raise ValueError("VTN_REQUIRE_MESSAGE_SIGNATURES needs VTN_VERIFY_MESSAGE_SIGNATURES")
        return self

    @property
    def serves_https(self) -> bool:
        return self.http_cert is not None or self.http_ecc_cert is not None

    @property
    def trusted_proxy_list(self) -> list[str]:
        """VTN_TRUSTED_PROXIES as a list of addresses or CIDRs (ingress mode when not empty)."""
        return [proxy.strip() for proxy in self.trusted_proxies.split(",") if proxy.strip()]
