"""Keep-alive connections to VENs, pooled per VEN host and port, each pinned to the address it was checked for.

A new connection resolves the host once, checks every address it resolves to against the push address
policy (shared.push_addresses: no SSRF to the VTN's own ports, private networks or metadata services) and
connects to the first, by address: a DNS answer that changes afterwards cannot move it. Over HTTPS the VEN's
server certificate must chain to the configured CA (gateway.security.tls.client_context), and its fingerprint must be
the one bound to the venID pushed to, checked on every use of the connection (one VEN host may serve several
VENs, each with its own certificate). At most VTN_PUSH_CONNECTIONS_PER_HOST connections per host and port;
idle ones are reused, newest first, and closed after VTN_PUSH_IDLE_CONNECTION_SECONDS.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
import ssl
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from gateway.push.deliverer import DeliveryFailed
from gateway.push.http_wire import MAX_HEAD_BYTES, IdleConnectionClosed, exchange, post_request
from shared.fingerprints import fingerprint_of_der
from shared.push_addresses import AddressRefused, IpAddress, PushAddress, PushAddressPolicy

Resolve = Callable[[str, int], Awaitable[list[IpAddress]]]


async def resolve_host(host: str, port: int) -> list[IpAddress]:
    """Every address `host` resolves to (the system resolver, run off the event loop by asyncio)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    found: list[IpAddress] = []
    for *_, sockaddr in infos:
        ip = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if ip not in found:
            found.append(ip)
    return found


@dataclass(frozen=True, slots=True)
class PushResponse:
    status: int
    body: bytes
    peer_fingerprint: str | None
    remote_ip: str


@dataclass(eq=False)
class _Connection:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    remote_ip: str
    peer_fingerprint: str | None
    idle_since: float = field(default_factory=time.monotonic)

    def close(self) -> None:
        self.writer.close()


class _HostPool:
    def __init__(self, limit: int) -> None:
        self.slots = asyncio.Semaphore(limit)
        self.idle: list[_Connection] = []
        self.busy = 0  # pushes under way through this pool

    def take_idle(self, oldest_allowed: float) -> _Connection | None:
        while self.idle:
            connection = self.idle.pop()
            if connection.idle_since >= oldest_allowed and not connection.writer.is_closing():
                return connection
            connection.close()
        return None


class ConnectionPools:
    def __init__(
        self,
        policy: PushAddressPolicy,
        tls: ssl.SSLContext | None,
        per_host: int,
        idle_seconds: float,
        resolve: Resolve = resolve_host,
    ) -> None:
        self._policy = policy
        self._tls = tls
        self._per_host = per_host
        self._idle_seconds = idle_seconds
        self._resolve = resolve
        self._pools: dict[tuple[str, str, int], _HostPool] = {}
        self.opened = 0

    async def post(
        self,
        address: PushAddress,
        path: str,
        body: bytes,
        expected_fingerprint: str | None,
        max_answer_bytes: int,
        timeout: float,
    ) -> PushResponse:
        """POST `body` to `path` (one of the VEN's endpoints) and read its answer, within `timeout` in all."""
        request = post_request(address.host_header(), path, body)
        pool = self._pools.setdefault((address.scheme, address.host, address.port), _HostPool(self._per_host))
        connection: _Connection | None = None
        pool.busy += 1
        try:
            async with asyncio.timeout(timeout), pool.slots:
                connection = pool.take_idle(time.monotonic() - self._idle_seconds)
                reused = connection is not None
                if connection is None:
                    connection = await self._open(address)
                _check_peer(connection, expected_fingerprint)
                try:
                    answer = await exchange(connection.reader, connection.writer, request, max_answer_bytes, reused)
                except IdleConnectionClosed:
                    connection.close()
                    connection = await self._open(address)
                    _check_peer(connection, expected_fingerprint)
                    answer = await exchange(connection.reader, connection.writer, request, max_answer_bytes, False)
        except TimeoutError:
            _close(connection)
            raise DeliveryFailed("timeout", f"no complete answer within {timeout:g} s") from None
        except DeliveryFailed:
            _close(connection)
            raise
        except (ssl.SSLError, ssl.CertificateError) as error:
            _close(connection)
            raise DeliveryFailed("tls", f"TLS with the VEN failed: {error}") from None
        except OSError as error:
            _close(connection)
            raise DeliveryFailed("connect", f"cannot connect: {error}") from None
        except BaseException:
            _close(connection)
            raise
        finally:
            pool.busy -= 1
        if answer.keep_alive:
            connection.idle_since = time.monotonic()
            pool.idle.append(connection)
        else:
            connection.close()
        return PushResponse(answer.status, answer.body, connection.peer_fingerprint, connection.remote_ip)

    async def _open(self, address: PushAddress) -> _Connection:
        literal = address.literal_ip
        try:
            addresses = [literal] if literal is not None else await self._resolve(address.host, address.port)
        except OSError as error:
            raise DeliveryFailed("connect", f"cannot resolve {address.host}: {error}") from None
        if not addresses:
            raise DeliveryFailed("connect", f"{address.host} resolves to no address")
        try:
            for ip in addresses:  # one refused address refuses the name: no picking around a rebinding trick
                self._policy.check_resolved(address, ip)
        except AddressRefused as refused:
            raise DeliveryFailed("address_refused", str(refused)) from None
        tls: ssl.SSLContext | None = None
        if address.secure:
            if self._tls is None:
                raise DeliveryFailed("tls", "this VTN has no client certificate and CA for pushing over HTTPS")
            tls = self._tls
        pinned = str(addresses[0])
        reader, writer = await asyncio.open_connection(
            pinned,
            address.port,
            ssl=tls,
            server_hostname=(address.host if literal is None else "") if tls is not None else None,
            limit=MAX_HEAD_BYTES,
        )
        self.opened += 1
        peer = None
        if tls is not None:
            ssl_object = writer.get_extra_info("ssl_object")
            der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
            if not der:
                writer.close()
                raise DeliveryFailed("tls", "the VEN presented no certificate")
            peer = fingerprint_of_der(der)
        return _Connection(reader, writer, pinned, peer)

    def close_idle(self) -> int:
        """Close connections idle for longer than allowed; returns how many."""
        oldest_allowed = time.monotonic() - self._idle_seconds
        closed = 0
        for key, pool in list(self._pools.items()):
            keep = [c for c in pool.idle if c.idle_since >= oldest_allowed and not c.writer.is_closing()]
            for connection in pool.idle:
                if connection not in keep:
                    connection.close()
                    closed += 1
            pool.idle = keep
            if not keep and not pool.busy:
                del self._pools[key]
        return closed

    async def close(self) -> None:
        for pool in self._pools.values():
            for connection in pool.idle:
                connection.close()
                with contextlib.suppress(OSError, ssl.SSLError):
                    await connection.writer.wait_closed()
        self._pools.clear()


def _check_peer(connection: _Connection, expected_fingerprint: str | None) -> None:
    """Over TLS, the VEN's certificate must be the one bound to the venID the message is for."""
    if connection.peer_fingerprint is None:
        return
    if expected_fingerprint is None:
        raise DeliveryFailed("tls", "no certificate is bound to this venID: cannot tell the VEN from an impostor")
    if connection.peer_fingerprint != expected_fingerprint:
        raise DeliveryFailed(
            "tls",
            f"the VEN's server certificate ({connection.peer_fingerprint}) is not the one bound to its venID "
            f"({expected_fingerprint})",
        )


def _close(connection: _Connection | None) -> None:
    if connection is not None:
        connection.close()
