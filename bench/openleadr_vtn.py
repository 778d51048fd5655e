"""The baseline: an OpenLEADR 0.5.36 VTN that accepts every VEN, as a standalone process.

    python -m bench.openleadr_vtn --port 8090

Plain HTTP on 127.0.0.1, base URL http://127.0.0.1:<port>/OpenADR2/Simple/2.0b. Registrations get a fresh
venID and registrationID; polls are answered by OpenLEADR's own queue (an oadrResponse while no event is
pending). With the default `--ven-lookup`, OpenLEADR checks on every request that the venID is one it
registered (and asks unknown VENs to re-register), as any VTN in service must. SIGTERM or SIGINT stops it.

    python -m bench.openleadr_vtn --port 8490 --certs DIR    # HTTPS, client certificates, signed messages

With `--certs` (a directory made by `bench.bench_certs`) it serves HTTPS with `vtn-rsa.crt` and requires a
client certificate of `ca.crt` (`http_cert`, `http_key`, `http_ca_file`), signs every answer with the same
RSA certificate and key (`cert`, `key`), and verifies every VEN message that carries a venID against the
fingerprint the VEN registered with (`fingerprint_lookup`), as OpenLEADR's security set-up prescribes.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from openleadr import OpenADRServer

from bench.loadgen.system import raise_open_file_limit

_VTN_ID = "bench-openleadr-vtn"


@dataclass(frozen=True)
class _Registration:
    ven_id: str
    ven_name: str
    registration_id: str
    fingerprint: str | None = None


class AcceptEveryVen:
    """The VTN's registry: every oadrCreatePartyRegistration is accepted under fresh identifiers."""

    def __init__(self) -> None:
        self._by_ven_id: dict[str, _Registration] = {}

    def on_create_party_registration(self, registration_info: dict[str, Any]) -> tuple[str, str]:
        registration = _Registration(
            ven_id=str(uuid.uuid4()),
            ven_name=str(registration_info.get("ven_name", "")),
            registration_id=str(uuid.uuid4()),
            fingerprint=registration_info.get("fingerprint"),  # set by OpenLEADR from the TLS client certificate
        )
        self._by_ven_id[registration.ven_id] = registration
        return registration.ven_id, registration.registration_id

    def ven_lookup(self, ven_id: str) -> dict[str, Any] | None:
        registration = self._by_ven_id.get(ven_id)
        if registration is None:
            return None
        return {
            "ven_id": registration.ven_id,
            "ven_name": registration.ven_name,
            "registration_id": registration.registration_id,
            "fingerprint": registration.fingerprint,
        }

    def fingerprint_lookup(self, ven_id: str) -> str | None:
        registration = self._by_ven_id.get(ven_id)
        return None if registration is None else registration.fingerprint


def _security(registry: AcceptEveryVen, certs: Path | None) -> dict[str, Any]:
    if certs is None:
        return {}
    return {
        "http_cert": str(certs / "vtn-rsa.crt"),
        "http_key": str(certs / "vtn-rsa.key"),
        "http_ca_file": str(certs / "ca.crt"),
        "cert": str(certs / "vtn-rsa.crt"),
        "key": str(certs / "vtn-rsa.key"),
        "fingerprint_lookup": registry.fingerprint_lookup,
    }


def build_server(
    host: str, port: int, poll_seconds: float, ven_lookup: bool, certs: Path | None = None
) -> OpenADRServer:
    registry = AcceptEveryVen()
    server = OpenADRServer(
        vtn_id=_VTN_ID,
        http_host=host,
        http_port=port,
        requested_poll_freq=timedelta(seconds=poll_seconds),
        ven_lookup=registry.ven_lookup if ven_lookup else None,
        **_security(registry, certs),
    )
    server.add_handler("on_create_party_registration", registry.on_create_party_registration)
    return server


async def run_until_signalled(server: OpenADRServer) -> None:
    """Serve until SIGTERM or SIGINT."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signal_number, stop.set)
    # OpenADRServer.run() only starts the aiohttp site and returns; the loop must be kept alive by us.
    await server.run()
    try:
        await stop.wait()
    finally:
        await server.stop()


def run_server_module(
    prog: str, default_port: int, serve: Callable[[str, int], Coroutine[Any, Any, None]], argv: list[str] | None
) -> int:
    """The `main` of a bench module that serves one OpenLEADR VTN on --host/--port until signalled."""
    parser = argparse.ArgumentParser(prog=prog)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=default_port)
    arguments = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("openleadr").setLevel(logging.WARNING)
    raise_open_file_limit()
    asyncio.run(serve(arguments.host, arguments.port))
    return 0


async def serve(host: str, port: int, poll_seconds: float, ven_lookup: bool, certs: Path | None) -> None:
    await run_until_signalled(build_server(host, port, poll_seconds, ven_lookup, certs))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.openleadr_vtn", description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--poll-seconds", type=float, default=10.0, help="oadrRequestedOadrPollFreq sent to VENs")
    parser.add_argument("--ven-lookup", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--certs", type=Path, default=None, help="serve HTTPS and sign, with these certificates")
    arguments = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    # openleadr.client sets this logger to INFO on import, which would log every message it handles.
    logging.getLogger("openleadr").setLevel(logging.WARNING)
    raise_open_file_limit()
    # The stock asyncio loop, as OpenLEADR users run it; uvloop would flatter the baseline.
    asyncio.run(serve(arguments.host, arguments.port, arguments.poll_seconds, arguments.ven_lookup, arguments.certs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
