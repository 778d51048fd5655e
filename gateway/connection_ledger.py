"""Who holds the VEN door's connections: how many are open, per client and in all, and whether one more may.

Pure bookkeeping, no sockets and no timers (gateway.connections drives it for every connection):

    TCP accepted     admit(address)            refused over the global cap, or over the address's cap
    TLS handshake    identify(seat, fingerprint)  the seat moves from its address to its certificate,
                                               refused over the certificate's cap
    closed           release(seat)

A connection counts against its IP address until a certificate identifies it, then against the certificate
(many VENs behind one NAT address share the address only during their handshakes). Trusted proxies (ingress
mode) are exempt from the address cap: every VEN's requests arrive over their connections. The ledger also
keeps the figures the metrics collector reads: open connections, refusals by reason, timeouts by phase.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass

GLOBAL_CAP = "global_cap"
ADDRESS_CAP = "address_cap"
CLIENT_CAP = "client_cap"
TLS_HANDSHAKE_FAILED = "tls_handshake_failed"

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class ConnectionLimits:
    max_connections: int
    max_per_client: int
    max_per_address: int
    exempt: tuple[IpNetwork, ...] = ()

    @classmethod
    def exempting(cls, proxies: Sequence[str], **caps: int) -> ConnectionLimits:
        return cls(exempt=tuple(ipaddress.ip_network(p, strict=False) for p in proxies), **caps)


class Seat:
    """What one connection holds in the ledger: the key it counts against, until released."""

    __slots__ = ("key", "held")

    def __init__(self, key: str | None) -> None:
        self.key = key
        self.held = True


class ConnectionLedger:
    def __init__(self, limits: ConnectionLimits) -> None:
        self.limits = limits
        self.open = 0
        self._held: dict[str, int] = {}
        self.refused: dict[str, int] = {}
        self.timed_out: dict[str, int] = {}

    def admit(self, address: str | None) -> Seat | str:
        """A seat for a new connection from `address`, or the reason it is refused."""
        if self.open >= self.limits.max_connections:
            return self._refuse(GLOBAL_CAP)
        key = None if address is None or self._exempt(address) else f"address {address}"
        if key is not None and self._held.get(key, 0) >= self.limits.max_per_address:
            return self._refuse(ADDRESS_CAP)
        self.open += 1
        self._hold(key)
        return Seat(key)

    def identify(self, seat: Seat, fingerprint: str) -> str | None:
        """Count the seat against the certificate `fingerprint` from now on; the reason if that is over its cap."""
        key = f"certificate {fingerprint}"
        if self._held.get(key, 0) >= self.limits.max_per_client:
            return self._refuse(CLIENT_CAP)
        self._drop(seat.key)
        seat.key = key
        self._hold(key)
        return None

    def release(self, seat: Seat) -> None:
        """Free the seat (once; later calls do nothing)."""
        if not seat.held:
            return
        seat.held = False
        self.open -= 1
        self._drop(seat.key)

    def held_by(self, key: str) -> int:
        return self._held.get(key, 0)

    def note_refusal(self, reason: str) -> None:
        self.refused[reason] = self.refused.get(reason, 0) + 1

    def note_timeout(self, phase: str) -> None:
        self.timed_out[phase] = self.timed_out.get(phase, 0) + 1

    def _refuse(self, reason: str) -> str:
        self.note_refusal(reason)
        return reason

    def _hold(self, key: str | None) -> None:
        if key is not None:
            self._held[key] = self._held.get(key, 0) + 1

    def _drop(self, key: str | None) -> None:
        if key is None:
            return
        left = self._held[key] - 1
        if left:
            self._held[key] = left
        else:
            del self._held[key]

    def _exempt(self, address: str) -> bool:
        if not self.limits.exempt:
            return False
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.limits.exempt)
