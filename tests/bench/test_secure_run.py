"""A secure run against OpenLEADR configured with the benchmark's certificates: HTTPS with a client certificate
per VEN, every message signed, OpenLEADR verifying each against the fingerprint the VEN registered with."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

from bench.bench_certs import bench_certificates
from bench.loadgen.config import LoadConfig, Mode
from bench.loadgen.stats import RunStats
from bench.loadgen.worker import run_vens
from bench.openleadr_vtn import build_server


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def _secure_run(certs_dir: Path, sign: bool) -> RunStats:
    certificates = bench_certificates(certs_dir, vens=3)
    port = _free_port()
    server = build_server("127.0.0.1", port, poll_seconds=10.0, ven_lookup=True, certs=certs_dir)
    await server.run()
    config = LoadConfig(
        url=f"https://127.0.0.1:{port}/OpenADR2/Simple/2.0b",
        vens=3,
        mode=Mode.CLOSED,
        # OpenLEADR takes 0.1-0.4 s per signed answer: room for a few polls each, even on a busy machine
        duration=3.0,
        warmup=0.0,
        request_timeout=30.0,
        secure=certificates.secure_vens(sign=sign),
    )
    try:
        return await run_vens(config, ["ven-a", "ven-b", "ven-c"])
    finally:
        await server.stop()


def test_openleadr_accepts_the_signed_vens_over_https(tmp_path: Path) -> None:
    stats = asyncio.run(_secure_run(tmp_path, sign=True))
    assert stats.registered == 3 and not stats.registration_errors
    assert stats.polls_ok > 0 and not stats.errors
    assert set(stats.message_types) == {"oadrResponse"}


def test_unsigned_polls_are_refused_by_openleadr_with_signatures_on(tmp_path: Path) -> None:
    stats = asyncio.run(_secure_run(tmp_path, sign=False))
    # Registration carries no venID, which OpenLEADR does not authenticate; every poll then fails its check.
    assert stats.registered == 3
    assert stats.polls_ok == 0 and stats.errors
