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

from shared.push_addresses import parse_allowlist

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

    # HTTP push (gateway.push): VENs that register with oadrHttpPullModel=false get their messages POSTed
    push_allowed_networks: str = Field(
        default="",
        description="where the VTN may push (a VEN's oadrTransportAddress), comma-separated: networks (CIDR), "
        "addresses and host names (`*.example.com` for a domain). Empty: any public address. Loopback, private, "
        "link-local and shared addresses are refused unless listed (loopback only outside production); cloud "
        "metadata addresses and the VTN's own ports on its own addresses always",
    )
    push_timeout_seconds: float = Field(
        default=10.0, gt=0, description="how long one push may take, connection and TLS handshake included"
    )
    push_max_answer_bytes: int = Field(
        default=256 * 1024, gt=0, description="a VEN's answer to a push larger than this is refused (and retried)"
    )
    push_retry_initial_seconds: float = Field(
        default=1.0, gt=0, description="wait before the first retry of a failed push; doubled each time, with jitter"
    )
    push_retry_max_seconds: float = Field(
        default=60.0, gt=0, description="longest wait between two attempts to push to an unreachable VEN"
    )
    push_offline_after_seconds: float = Field(
        default=120.0, gt=0, description="a push VEN every push to which failed for this long is marked offline"
    )
    push_concurrency: int = Field(default=500, ge=1, description="pushes in flight at once per pusher instance")
    push_connections_per_host: int = Field(
        default=64, ge=1, description="keep-alive connections a pusher instance holds at most per VEN host and port"
    )
    push_idle_connection_seconds: float = Field(
        default=30.0, gt=0, description="an idle keep-alive connection to a VEN is closed after this long"
    )
    push_rescan_seconds: float = Field(
        default=30.0,
        gt=0,
        description="how often a pusher looks in the database for push VENs with messages waiting that no notice "
        "woke (a safety net; notices normally wake it at once)",
    )
    push_client_cert: Path | None = Field(
        default=None, description="the VTN's client certificate (PEM) for pushing over HTTPS; default VTN_HTTP_CERT"
    )
    push_client_key: Path | None = Field(
        default=None, description="the key of VTN_PUSH_CLIENT_CERT; default VTN_HTTP_KEY"
    )
    push_ca_file: Path | None = Field(
        default=None,
        description="the CA that issues VENs' server certificates for pushes over HTTPS; default VTN_HTTP_CA_FILE",
    )

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
        if (self.push_client_cert is None) != (self.push_client_key is None):
            raise ValueError("pushing over HTTPS needs both VTN_PUSH_CLIENT_CERT and VTN_PUSH_CLIENT_KEY")
        allowlist = parse_allowlist(self.push_allowed_networks)  # raises ValueError on an entry of no kind
        if self.environment is Environment.PRODUCTION and allowlist.allows_loopback:
            raise ValueError("VTN_PUSH_ALLOWED_NETWORKS may name loopback addresses in development only")
        if self.push_retry_max_seconds < self.push_retry_initial_seconds:
            raise ValueError("VTN_PUSH_RETRY_MAX_SECONDS must not be below VTN_PUSH_RETRY_INITIAL_SECONDS")
        return self

    @property
    def serves_https(self) -> bool:
        return self.http_cert is not None or self.http_ecc_cert is not None
