"""The VENs of one process: register them all, wait for the common start, poll for the window, report."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Sequence

from bench.loadgen.config import ClientCertificate, LoadConfig, Mode
from bench.loadgen.credentials import VenCredentials
from bench.loadgen.stats import RunStats
from bench.loadgen.ven import RegistrationFailed, SimulatedVen, Window

# Called with the number of VENs this worker registered; returns the wall-clock time polling starts at, so
# that several worker processes start together.
StartGate = Callable[[int], Awaitable[float]]


async def start_soon(registered: int) -> float:
    return time.time() + 0.05


async def run_vens(
    config: LoadConfig,
    ven_names: Sequence[str],
    start_gate: StartGate = start_soon,
    certificates: Sequence[ClientCertificate] | None = None,
) -> RunStats:
    """Run these VENs; on an HTTPS run the i-th VEN uses `certificates[i]` (default: the config's, in order)."""
    address = config.address
    stats = RunStats()
    vens = [
        SimulatedVen(name, address, config.request_timeout, credentials)
        for name, credentials in zip(ven_names, _credentials(config, len(ven_names), certificates), strict=True)
    ]
    try:
        registered = await _register_all(vens, config.registration_concurrency, stats)
        start_wall = await start_gate(len(registered))
        start = time.monotonic() + (start_wall - time.time())
        stats.window_start_unix = start_wall + config.warmup
        window = Window(start=start, measure_from=start + config.warmup, end=start + config.warmup + config.duration)
        cpu_before = time.process_time()
        polls = [_poll(ven, config, window, stats) for ven in registered]
        await asyncio.gather(*polls)
        stats.cpu_seconds = time.process_time() - cpu_before
        stats.wall_seconds = time.monotonic() - start
    finally:
        stats.connections_opened = sum(ven.connections_opened for ven in vens)
        stats.stale_retries = sum(ven.stale_retries for ven in vens)
        await asyncio.gather(*(ven.close() for ven in vens))
    return stats


def _credentials(
    config: LoadConfig, count: int, certificates: Sequence[ClientCertificate] | None
) -> list[VenCredentials | None]:
    if config.secure is None:
        return [None] * count
    chosen = config.secure.certificates[:count] if certificates is None else certificates
    if len(chosen) != count:
        raise ValueError(f"{count} VENs need {count} client certificates, got {len(chosen)}")
    return [VenCredentials.load(config.secure, certificate) for certificate in chosen]


async def _register_all(vens: Sequence[SimulatedVen], concurrency: int, stats: RunStats) -> list[SimulatedVen]:
    # Bounded so that N new connections do not overflow the server's listen backlog all at once.
    limit = asyncio.Semaphore(concurrency)
    started = time.monotonic()

    async def register(ven: SimulatedVen) -> bool:
        async with limit:
            try:
                await ven.register()
            except RegistrationFailed as failure:
                stats.registration_errors[failure.kind] += 1
                return False
            return True

    outcomes = await asyncio.gather(*(register(ven) for ven in vens))
    stats.registration_seconds = time.monotonic() - started
    registered = [ven for ven, ok in zip(vens, outcomes, strict=True) if ok]
    stats.registered = len(registered)
    return registered


async def _poll(ven: SimulatedVen, config: LoadConfig, window: Window, stats: RunStats) -> None:
    if config.mode is Mode.CLOSED:
        await ven.poll_closed_loop(window, stats)
    else:
        # A random phase spreads the VENs over the period, as real VENs that registered at different times.
        phase = random.uniform(0.0, 1.0 / config.rate)
        await ven.poll_open_loop(window, config.rate, phase, stats)
