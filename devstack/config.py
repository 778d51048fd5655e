"""Where the devstack puts things and on which ports, read once from the environment.

Two profiles exist so that `make run` and `make test` can run side by side:

| profile | Kafka (client/controller/SASL_SSL/mTLS) | PostgreSQL | folder |
| ------- | --------------------------------------- | ---------- | ------ |
| run     | 9092 / 9093 / 9094 / 9095               | 5433       | .devstack/run  |
| test    | 19092 / 19093 / 19094 / 19095           | 15433      | .devstack/test |

Each can be overridden by VTN_DEVSTACK_KAFKA_PORT, VTN_DEVSTACK_KAFKA_CONTROLLER_PORT (default: the
Kafka port + 1), VTN_DEVSTACK_PG_PORT and VTN_DEVSTACK_DIR (relative to the repository root), and the jar
cache by VTN_CACHE_DIR (default ~/.cache/vtn-devstack). The secured listeners always sit at the Kafka port
+ 2 (SASL_SSL) and + 3 (SSL with client certificates), so a stack placed elsewhere moves them along.
VTN_DEVSTACK_HEALTH_PORT, when set, is the first
of five consecutive ports for the services' /healthz, /readyz and /metrics under `run` (registration,
presence, event, report, pusher; unset: each service's own default).

Data is throwaway unless the run profile is asked to keep it: VTN_DEVSTACK_KEEP_DATA=1 (`make run KEEP=1`,
`python -m devstack run --keep-data`); see devstack.stack for the folders.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from devstack.kafka import default_cache_dir

__all__ = ["REPO_ROOT", "Profile", "StackConfig", "keep_data_requested", "venv_python"]

REPO_ROOT = Path(__file__).resolve().parent.parent
Profile = Literal["run", "test"]

_DEFAULTS: dict[str, tuple[int, int, str]] = {
    "run": (9092, 5433, ".devstack/run"),
    "test": (19092, 15433, ".devstack/test"),
}


def venv_python(repo_root: Path = REPO_ROOT) -> Path:
    return repo_root / ".venv" / "bin" / "python"


def keep_data_requested(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether VTN_DEVSTACK_KEEP_DATA asks `run` to keep Kafka's and PostgreSQL's data between runs."""
    value = environ.get("VTN_DEVSTACK_KEEP_DATA", "").strip().lower()
    if value in ("", "0", "false", "no", "off"):
        return False
    if value in ("1", "true", "yes", "on"):
        return True
    raise SystemExit(f"VTN_DEVSTACK_KEEP_DATA={value!r}: use 1 or 0")


def _port(environ: Mapping[str, str], name: str, default: int) -> int:
    value = environ.get(name)
    if not value:
        return default
    try:
        port = int(value)
    except ValueError:
        raise SystemExit(f"{name}={value!r} is not a port number") from None
    if not 0 < port < 65536:
        raise SystemExit(f"{name}={value!r} is not a port number")
    return port


@dataclass(frozen=True)
class StackConfig:
    repo_root: Path
    state_dir: Path
    cache_dir: Path
    kafka_port: int
    kafka_controller_port: int
    pg_port: int
    service_health_port: int | None = None
    keep_data: bool = False
    host: str = "127.0.0.1"
    database: str = "vtn"

    @classmethod
    def from_env(cls, profile: Profile, environ: Mapping[str, str] = os.environ) -> StackConfig:
        kafka_default, pg_default, dir_default = _DEFAULTS[profile]
        kafka_port = _port(environ, "VTN_DEVSTACK_KAFKA_PORT", kafka_default)
        return cls(
            repo_root=REPO_ROOT,
            state_dir=(REPO_ROOT / environ.get("VTN_DEVSTACK_DIR", dir_default)).resolve(),
            cache_dir=default_cache_dir(environ),
            kafka_port=kafka_port,
            kafka_controller_port=_port(environ, "VTN_DEVSTACK_KAFKA_CONTROLLER_PORT", kafka_port + 1),
            pg_port=_port(environ, "VTN_DEVSTACK_PG_PORT", pg_default),
            service_health_port=_port(environ, "VTN_DEVSTACK_HEALTH_PORT", 0) or None,
        )

    @property
    def log_dir(self) -> Path:
        return self.state_dir / "logs"

    @property
    def artifacts_dir(self) -> Path:
        """What tests leave for people to look at (the console's screenshots); kept after teardown."""
        return self.state_dir / "artifacts"

    @property
    def kafka_bootstrap(self) -> str:
        return f"{self.host}:{self.kafka_port}"

    @property
    def kafka_sasl_ssl_port(self) -> int:
        return self.kafka_port + 2

    @property
    def kafka_ssl_port(self) -> int:
        return self.kafka_port + 3

    @property
    def tls_dir(self) -> Path:
        return self.state_dir / "tls"

    @property
    def database_url(self) -> str:
        return f"postgresql://postgres@{self.host}:{self.pg_port}/{self.database}"
