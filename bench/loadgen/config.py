"""What one load run is asked to do: which VTN, how many VENs, which mode, for how long."""

from __future__ import annotations

import enum
import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit


class Mode(enum.StrEnum):
    """How simulated VENs pace their polls."""

    CLOSED = "closed"  # poll again as soon as the previous answer arrived
    OPEN = "open"  # poll on a fixed schedule, whatever the server does


class UnsafeTargetError(ValueError):
    """The target is not on the loopback interface and the caller did not explicitly allow that."""


@dataclass(frozen=True)
class ClientCertificate:
    """One VEN's TLS client certificate and key (PEM files); the same pair signs its messages."""

    cert_path: str
    key_path: str


@dataclass(frozen=True)
class SecureVens:
    """HTTPS with a client certificate per VEN (the i-th VEN uses `certificates[i]`), and, with `sign`, every
    message signed as OpenLEADR's client signs it (fresh ReplayProtect nonce and timestamp per message).

    The VTN binds a venID to the certificate that registered it, so VENs never share a certificate.
    """

    ca_file: str
    certificates: tuple[ClientCertificate, ...]
    sign: bool = True


_LOOPBACK_NAMES = frozenset({"localhost"})


def _is_loopback(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class VtnAddress:
    """Where the VTN's simple-HTTP services live, e.g. http://127.0.0.1:8080/OpenADR2/Simple/2.0b."""

    host: str
    port: int
    base_path: str
    scheme: str = "http"

    @classmethod
    def parse(cls, url: str, *, allow_non_loopback: bool = False) -> VtnAddress:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise ValueError(f"only http:// and https:// targets are supported, got {url!r}")
        host = parts.hostname
        if not host:
            raise ValueError(f"no host in {url!r}")
        if not allow_non_loopback and not _is_loopback(host):
            # Load tests must never leave the machine by accident.
            raise UnsafeTargetError(f"{host!r} is not a loopback address; refusing to generate load")
        default_port = 443 if parts.scheme == "https" else 80
        return cls(host=host, port=parts.port or default_port, base_path=parts.path.rstrip("/"), scheme=parts.scheme)

    @property
    def secure(self) -> bool:
        return self.scheme == "https"

    def service_path(self, service: str) -> str:
        return f"{self.base_path}/{service}"

    @property
    def host_header(self) -> str:
        default_port = 443 if self.secure else 80
        return self.host if self.port == default_port else f"{self.host}:{self.port}"


@dataclass(frozen=True)
class LoadConfig:
    """One load run. Times are in seconds; `rate` is polls per second per VEN (open loop only)."""

    url: str
    vens: int
    mode: Mode
    duration: float
    rate: float = 1.0
    processes: int = 1
    warmup: float = 1.0
    request_timeout: float = 10.0
    registration_concurrency: int = 64
    ven_name_prefix: str = "bench-ven"
    allow_non_loopback: bool = False
    secure: SecureVens | None = None

    def __post_init__(self) -> None:
        if self.vens < 1:
            raise ValueError("vens must be at least 1")
        if self.duration <= 0:
            raise ValueError("duration must be positive")
        if self.warmup < 0:
            raise ValueError("warmup must not be negative")
        if self.rate <= 0:
            raise ValueError("rate must be positive")
        if not 1 <= self.processes <= self.vens:
            raise ValueError("processes must be between 1 and the number of VENs")
        if self.request_timeout <= 0 or self.registration_concurrency < 1:
            raise ValueError("request_timeout and registration_concurrency must be positive")
        address = VtnAddress.parse(self.url, allow_non_loopback=self.allow_non_loopback)  # fail early, not in a worker
        if address.secure != (self.secure is not None):
            raise ValueError("an https:// target needs client certificates (secure), and only an https:// one")
        if self.secure is not None and len(self.secure.certificates) < self.vens:
            given = len(self.secure.certificates)
            raise ValueError(f"{self.vens} VENs need {self.vens} client certificates, got {given}")

    @property
    def address(self) -> VtnAddress:
        return VtnAddress.parse(self.url, allow_non_loopback=self.allow_non_loopback)
