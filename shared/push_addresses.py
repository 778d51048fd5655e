"""Where the VTN may push: a VEN's oadrTransportAddress, parsed and judged against the operator's allowlist.

Pure: no DNS, no sockets. The address comes from the VEN, so it is a server-side request forgery vector:
a VEN could name the VTN's own admin port, Kafka, PostgreSQL, a cloud metadata service or a host on the
operator's private network. The rules, in order (`PushAddressPolicy.refusal`):

- never: an unspecified, multicast or reserved address, a cloud metadata address (even inside a listed
  network), or one of the VTN's own ports on one of its own addresses (loopback included);
- an address inside a listed network (`VTN_PUSH_ALLOWED_NETWORKS`) is allowed;
- otherwise only a public (globally routable) address, and, when the allowlist is not empty, only for a host
  name it lists: loopback, private, link-local and shared addresses must be listed to be reached.

registration_svc checks what it can without DNS when a VEN registers (`check_address`: the form, and a
literal IP); the pusher checks every address a host name resolves to before it connects (`check_resolved`)
and connects to that address only, so a name cannot be re-pointed between the check and the connection.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from shared.settings import VtnSettings

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

SERVICE_ROOT = "/OpenADR2/Simple/2.0b"
PROFILE_A_EVENT_PATH = "/OpenADR2/Simple/EiEvent"  # a 2.0a VEN's one endpoint (2.0a's paths have no profile)
MAX_ADDRESS_LENGTH = 2048
# Instance metadata and platform endpoints of the common clouds: credentials live behind them.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",
        "169.254.170.2",
        "169.254.169.253",
        "fd00:ec2::254",
        "100.100.100.200",
        "168.63.129.16",
    )
)
LOOPBACK_NETWORKS = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))
# Ports of the VTN's processes when not configured otherwise (shared.health's defaults, the pusher's 8095).
DEFAULT_OWN_PORTS = frozenset({8080, 8081, 8090, 8091, 8092, 8093, 8094, 8095, 9092, 9093, 5432})


class AddressRefused(ValueError):
    """The address is not one the VTN pushes to; the message says why, for the VEN and the operator."""


@dataclass(frozen=True)
class PushAddress:
    """A VEN's push endpoint root: `{scheme}://{host}:{port}{base_path}`; services hang below SERVICE_ROOT."""

    scheme: str
    host: str
    port: int
    base_path: str

    @property
    def secure(self) -> bool:
        return self.scheme == "https"

    @property
    def literal_ip(self) -> IpAddress | None:
        return _ip_or_none(self.host)

    def service_path(self, service: str) -> str:
        return f"{self.base_path}{SERVICE_ROOT}/{service}"

    @property
    def profile_a_path(self) -> str:
        """Where a 2.0a VEN takes its pushed oadrDistributeEvent."""
        return f"{self.base_path}{PROFILE_A_EVENT_PATH}"

    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.secure else 80
        return host if self.port == default else f"{host}:{self.port}"

    def url(self, service: str) -> str:
        return f"{self.scheme}://{self.host_header()}{self.service_path(service)}"


def parse_push_address(text: str | None) -> PushAddress:
    """The endpoint a VEN named; raises AddressRefused when it is no usable http(s) URL. A path already ending
    in the service root (`.../OpenADR2/Simple/2.0b`), or in a 2.0a VEN's endpoint (`.../OpenADR2/Simple/EiEvent`),
    is taken as its parent, as some VENs give it so."""
    if text is None or not text.strip():
        raise AddressRefused("a push VEN (oadrHttpPullModel false) must give its oadrTransportAddress")
    text = text.strip()
    if len(text) > MAX_ADDRESS_LENGTH:
        raise AddressRefused(f"oadrTransportAddress is longer than {MAX_ADDRESS_LENGTH} characters")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise AddressRefused(f"oadrTransportAddress {text!r} is not a URL: {exc}") from None
    if parts.scheme not in ("http", "https"):
        raise AddressRefused(f"oadrTransportAddress {text!r} is not an http:// or https:// URL")
    if parts.username is not None or parts.password is not None:
        raise AddressRefused("oadrTransportAddress must not carry a user name or password")
    if parts.query or parts.fragment:
        raise AddressRefused("oadrTransportAddress must not carry a query or a fragment")
    host = (parts.hostname or "").rstrip(".").lower()
    if not host or any(c.isspace() for c in host):
        raise AddressRefused(f"oadrTransportAddress {text!r} names no host")
    path = parts.path.rstrip("/")
    for endpoint in (SERVICE_ROOT, PROFILE_A_EVENT_PATH):
        if path.endswith(endpoint):
            path = path[: -len(endpoint)]
    return PushAddress(parts.scheme, host, port or (443 if parts.scheme == "https" else 80), path)


@dataclass(frozen=True)
class Allowlist:
    """The operator's allowlist: networks (CIDR or single addresses), host names and domains (`*.example.com`)."""

    networks: tuple[IpNetwork, ...] = ()
    host_names: frozenset[str] = frozenset()
    domains: tuple[str, ...] = ()  # ".example.com" for an entry "*.example.com"

    @property
    def empty(self) -> bool:
        return not (self.networks or self.host_names or self.domains)

    @property
    def allows_loopback(self) -> bool:
        return "localhost" in self.host_names or any(
            n.version == lo.version and n.overlaps(lo) for n in self.networks for lo in LOOPBACK_NETWORKS
        )

    def names(self, host: str) -> bool:
        return host in self.host_names or any(host.endswith(domain) for domain in self.domains)

    def covers(self, ip: IpAddress) -> bool:
        return any(ip.version == n.version and ip in n for n in self.networks)


def parse_allowlist(text: str) -> Allowlist:
    """`VTN_PUSH_ALLOWED_NETWORKS`: comma-separated entries; raises ValueError on one that is none of the kinds."""
    networks: list[IpNetwork] = []
    names: set[str] = set()
    domains: list[str] = []
    for raw in text.split(","):
        entry = raw.strip().lower().rstrip(".")
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
            continue
        except ValueError:
            pass
        if entry.startswith("*.") and _is_host_name(entry[2:]):
            domains.append(entry[1:])
        elif _is_host_name(entry):
            names.add(entry)
        else:
            raise ValueError(f"VTN_PUSH_ALLOWED_NETWORKS: {raw.strip()!r} is no network, address or host name")
    return Allowlist(tuple(networks), frozenset(names), tuple(domains))


@dataclass(frozen=True)
class PushAddressPolicy:
    allowlist: Allowlist
    require_tls: bool  # the VTN speaks TLS itself (or sits behind a TLS proxy): http:// would leak messages
    own_ports: frozenset[int]
    own_addresses: frozenset[IpAddress] = frozenset()

    @classmethod
    def from_settings(
        cls, settings: VtnSettings, own_addresses: frozenset[IpAddress] = frozenset()
    ) -> PushAddressPolicy:
        return cls(
            allowlist=parse_allowlist(settings.push_allowed_networks),
            require_tls=settings.serves_https or bool(settings.trusted_proxies.strip()),
            own_ports=own_ports(settings),
            own_addresses=own_addresses
            | own_addresses_of((settings.http_host, settings.admin_host, settings.health_host)),
        )

    def check_address(self, address: PushAddress) -> None:
        """What can be judged without DNS (at registration): the scheme, and a literal IP (or a name that is
        loopback by definition, `localhost` and `*.localhost`) in full."""
        if self.require_tls and not address.secure:
            raise AddressRefused("this VTN pushes over HTTPS only: oadrTransportAddress must be an https:// URL")
        ip = address.literal_ip
        if ip is None and (address.host == "localhost" or address.host.endswith(".localhost")):
            ip = LOOPBACK_NETWORKS[0][1]
        if ip is not None:
            self.check_resolved(address, ip)
        elif not self.allowlist.empty and not self.allowlist.names(address.host) and not self.allowlist.networks:
            raise AddressRefused(f"{address.host} is not a host this VTN may push to (VTN_PUSH_ALLOWED_NETWORKS)")

    def check_resolved(self, address: PushAddress, ip: IpAddress) -> None:
        """Whether the VTN may connect to `ip` (what address.host resolved to, or the literal) for `address`."""
        reason = self.refusal(address.host, ip, address.port)
        if reason is not None:
            raise AddressRefused(reason)

    def refusal(self, host: str, ip: IpAddress, port: int) -> str | None:
        ip = _unmapped(ip)
        reserved = ip.is_reserved and not ip.is_loopback  # Python counts ::1 in the reserved ::/8
        if ip.is_unspecified or ip.is_multicast or reserved or ip in METADATA_ADDRESSES:
            return f"{ip} is never pushed to (unspecified, multicast, reserved or a cloud metadata address)"
        if port in self.own_ports and (ip.is_loopback or ip in self.own_addresses):
            return f"{ip}:{port} is one of the VTN's own ports"
        if self.allowlist.covers(ip):
            return None
        if not ip.is_global:
            return f"{ip} is a loopback, private, link-local or shared address not in VTN_PUSH_ALLOWED_NETWORKS"
        if not self.allowlist.empty and not self.allowlist.names(host):
            return f"{host} ({ip}) is outside VTN_PUSH_ALLOWED_NETWORKS"
        return None


def own_ports(settings: VtnSettings) -> frozenset[int]:
    """The VTN's listening ports and those of its Kafka brokers and PostgreSQL, as configured here."""
    ports = set(DEFAULT_OWN_PORTS) | {settings.http_port, settings.admin_port}
    if settings.health_port is not None:
        ports.add(settings.health_port)
    for server in settings.kafka_bootstrap.split(","):
        _, _, port = server.strip().rpartition(":")
        if port.isdigit():
            ports.add(int(port))
    try:
        ports.add(urlsplit(settings.database_url).port or 5432)
    except ValueError:
        pass
    return frozenset(ports)


def own_addresses_of(hosts: Iterable[str]) -> frozenset[IpAddress]:
    """The addresses among `hosts` (literal IPs; names are skipped)."""
    return frozenset(ip for host in hosts if (ip := _ip_or_none(host)) is not None)


def _unmapped(ip: IpAddress) -> IpAddress:
    """An IPv4 address written as IPv6 (::ffff:a.b.c.d) is judged as the IPv4 address it is."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def _ip_or_none(host: str) -> IpAddress | None:
    try:
        return _unmapped(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        return None


def _is_host_name(text: str) -> bool:
    labels = text.split(".")
    return all(label and len(label) <= 63 and all(c.isalnum() or c == "-" for c in label) for label in labels)
