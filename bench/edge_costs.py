"""What the gateway's edge costs per request, in one run on one core.

    python -m bench.edge_costs [--requests 20000] [--rounds 5]

Two measurements of CPU time (this process's, so that other work on the machine counts less), each the
median of `--rounds` rounds, the variants alternating round by round:

- Ingress mode, the client certificate forwarded in a header: finding the sender's fingerprint per request
  as the gateway did before it verified forwarded certificates (URL-decode the header, fingerprint the PEM
  from a cache), as it does now for a certificate it has verified already (SHA-256 of the header, one cache
  look-up), and when the verification is not cached (a new certificate: OpenSSL verifies the chain).
- The VEN door's HTTP protocol: a keep-alive poll parsed and answered by uvicorn's httptools protocol as it
  is, and by the gateway's guarded protocol (deadlines armed and cancelled per request, the ledger), on an
  in-memory transport with an app that answers at once. The difference is what the timeouts cost a request.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from devstack.certs import generate
from gateway.connection_ledger import ConnectionLedger, ConnectionLimits
from gateway.connections import ConnectionTimeouts, DoorGuard, guarded_protocol
from gateway.refusals import refusal_log
from gateway.security.forwarded_certificates import ForwardedCertificates
from gateway.security.identity import ClientIdentity
from gateway.security.tls import client_verifying_context
from shared.fingerprints import fingerprint_of_pem

POLL = b"POST /OpenADR2/Simple/2.0b/OadrPoll HTTP/1.1\r\nhost: vtn\r\ncontent-length: 2\r\n\r\nhi"


def _medians_us(actions: dict[str, Callable[[], object]], count: int, rounds: int) -> dict[str, float]:
    """Median cost per call of each action, the actions alternating round by round (a busy machine slows all)."""
    costs: dict[str, list[float]] = {name: [] for name in actions}
    for _ in range(rounds):
        for name, action in actions.items():
            started = time.process_time()
            for _ in range(count):
                action()
            costs[name].append((time.process_time() - started) / count * 1e6)
    return {name: statistics.median(values) for name, values in costs.items()}


def identity_costs(directory: Path, count: int, rounds: int) -> dict[str, float]:
    certs = generate(directory, ["ven1"])
    ca_file = certs["ca"].cert_path
    header = quote(certs["ven1"].cert_path.read_text()).encode()
    headers = [(b"host", b"vtn"), (b"ssl-client-cert", header)]
    scope = {"client": ("10.0.0.1", 4000), "headers": headers, "extensions": {}}

    @lru_cache(maxsize=65536)
    def cached_fingerprint(pem: str) -> str:
        return fingerprint_of_pem(pem)

    def unverified() -> str:  # what the gateway did before: the header's certificate taken as it is
        value = next(v for n, v in scope["headers"] if n == b"ssl-client-cert")  # type: ignore[attr-defined]
        return cached_fingerprint(unquote(value.decode("latin-1")).strip())

    def verifier(max_entries: int) -> ClientIdentity:
        forwarded = ForwardedCertificates.for_ca_file(
            ca_file, client_verifying_context(ca_file), accept_seconds=300, max_entries=max_entries
        )
        return ClientIdentity(["10.0.0.0/8"], forwarded=forwarded)

    verified = verifier(1000)
    fresh: list[ClientIdentity] = []

    def uncached() -> object:
        return fresh.pop()(scope)  # type: ignore[arg-type]

    results = _medians_us(
        {"unverified, as before": unverified, "verified, cached": lambda: verified(scope)},  # type: ignore[arg-type]
        count,
        rounds,
    )
    small = max(1, count // 20)
    fresh.extend(verifier(10) for _ in range(small * rounds))
    results.update(_medians_us({"verified, not cached (OpenSSL)": uncached}, small, rounds))
    return results


class _Transport:
    """Enough of a transport for uvicorn's protocol: writes are dropped, nothing closes."""

    def __init__(self) -> None:
        self.closing = False

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 40000), "sockname": ("127.0.0.1", 8080)}.get(name, default)

    def write(self, data: bytes) -> None:
        pass

    def is_closing(self) -> bool:
        return self.closing

    def close(self) -> None:
        self.closing = True

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def set_protocol(self, protocol: object) -> None:
        pass


async def _answer(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await receive()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
    await send({"type": "http.response.body", "body": b"ok"})


async def protocol_costs(count: int, rounds: int) -> dict[str, float]:
    config = uvicorn.Config(_answer, lifespan="off", log_config=None, access_log=False, timeout_keep_alive=120)
    config.load()
    guard = DoorGuard(
        ConnectionLedger(ConnectionLimits(max_connections=10, max_per_client=10, max_per_address=10)),
        ConnectionTimeouts(tls_handshake=10, request_headers=10, request_body=30),
        None,
        refusal_log(),
    )
    protocols = {"uvicorn's protocol": HttpToolsProtocol, "guarded protocol": guarded_protocol(guard)}
    per_request: dict[str, list[float]] = {name: [] for name in protocols}
    for _ in range(rounds):  # the two alternate, so that a busy machine slows both alike
        for name, protocol_class in protocols.items():
            state = ServerState()
            protocol = protocol_class(config=config, server_state=state, app_state={})  # type: ignore[call-arg]
            protocol.connection_made(_Transport())  # type: ignore[arg-type]
            started = time.process_time()
            for _ in range(count):
                protocol.data_received(POLL)
                while state.tasks:  # the app's task answers, then the protocol waits for the next request
                    await asyncio.sleep(0)
            per_request[name].append((time.process_time() - started) / count * 1e6)
            protocol.connection_lost(None)
    return {name: statistics.median(costs) for name, costs in per_request.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20_000, help="requests per round (default 20000)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds per measurement; the median is shown")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        identity = identity_costs(Path(directory), args.requests, args.rounds)
    protocol = asyncio.run(protocol_costs(args.requests, args.rounds))
    print("| ingress mode: the sender's fingerprint per request | CPU µs |")
    print("| --- | ---: |")
    for name, cost in identity.items():
        print(f"| {name} | {cost:.2f} |")
    print("\n| a keep-alive poll through the HTTP protocol (app answers at once) | CPU µs |")
    print("| --- | ---: |")
    for name, cost in protocol.items():
        print(f"| {name} | {cost:.2f} |")
    base, guarded = protocol.values()
    print(f"\nguarded / uvicorn's: {guarded / base:.3f}")


if __name__ == "__main__":
    main()
