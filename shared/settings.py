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

    # OpenLEADR-compatible handlers, each "package.module:function"
    on_create_party_registration: str | None = None
    on_cancel_party_registration: str | None = None
    on_ven_online: str | None = None
    on_ven_offline: str | None = None

    @model_validator(mode="after")
    def _refuse_unsafe_defaults(self) -> VtnSettings:
        if self.environment is Environment.PRODUCTION and self.admin_token == DEVELOPMENT_ADMIN_TOKEN:
            raise ValueError("VTN_ADMIN_TOKEN must be set to a secret outside development")
        if self.registration_policy is RegistrationPolicyName.HANDLER and not self.on_create_party_registration:
            raise ValueError("VTN_REGISTRATION_POLICY=handler needs VTN_ON_CREATE_PARTY_REGISTRATION=module:function")
        return self
