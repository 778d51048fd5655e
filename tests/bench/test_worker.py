"""Whole runs of a few simulated VENs against in-process servers: the calibration protocol and OpenLEADR."""

from __future__ import annotations

import asyncio
import socket

from bench.calibration_vtn import FixedAnswerProtocol, FixedAnswers
from bench.loadgen.config import LoadConfig, Mode
from bench.loadgen.stats import RunStats
from bench.loadgen.worker import run_vens
from bench.openleadr_vtn import build_server

_BASE = "/OpenADR2/Simple/2.0b"


def _config(port: int, mode: Mode, **overrides: float) -> LoadConfig:
    settings: dict[str, float] = {"duration": 0.6, "warmup": 0.2, "rate": 10.0, "request_timeout": 2.0}
    settings.update(overrides)
    return LoadConfig(url=f"http://127.0.0.1:{port}{_BASE}", vens=5, mode=mode, **settings)  # type: ignore[arg-type]


async def _against_calibration(mode: Mode, protocol: type[FixedAnswerProtocol] = FixedAnswerProtocol) -> RunStats:
    answers = FixedAnswers()
    server = await asyncio.get_running_loop().create_server(lambda: protocol(answers), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        return await run_vens(_config(port, mode), [f"ven-{index}" for index in range(5)])


def test_closed_loop_counts_every_answer() -> None:
    stats = asyncio.run(_against_calibration(Mode.CLOSED))
    assert stats.registered == 5 and not stats.registration_errors
    assert stats.polls_ok > 50 and not stats.errors
    assert stats.message_types == {"oadrResponse": stats.polls_ok}
    assert stats.latency.count == stats.polls_ok
    assert stats.connections_opened == 5


def test_open_loop_keeps_the_schedule() -> None:
    stats = asyncio.run(_against_calibration(Mode.OPEN))
    # 5 VENs x 10 polls/s x 0.6 s, each VEN's phase deciding whether its last slot falls in the window.
    assert 25 <= stats.polls_ok <= 35 and not stats.errors
    assert stats.send_lag.count == stats.polls_ok


class _SlowProtocol(FixedAnswerProtocol):
    """Answers polls only after 0.3 s, so polls due every 0.1 s pile up behind each other."""

    def data_received(self, data: bytes) -> None:
        if b"/OadrPoll" in data:
            asyncio.get_running_loop().call_later(0.3, super().data_received, data)
        else:
            super().data_received(data)


def test_open_loop_charges_slow_answers_from_their_schedule() -> None:
    stats = asyncio.run(_against_calibration(Mode.OPEN, _SlowProtocol))
    assert stats.errors["unsent_backlog"] > 0
    assert stats.latency.minimum >= 0.29  # never less than the server's delay
    assert stats.latency.maximum > 0.35  # later polls also waited for the ones before them


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def _against_openleadr(port: int) -> RunStats:
    server = build_server("127.0.0.1", port, poll_seconds=10.0, ven_lookup=True)
    await server.run()
    try:
        return await run_vens(_config(port, Mode.CLOSED, duration=0.5), [f"ven-{index}" for index in range(5)])
    finally:
        await server.stop()


def test_openleadr_accepts_the_generator_as_a_ven() -> None:
    stats = asyncio.run(_against_openleadr(_free_port()))
    assert stats.registered == 5 and not stats.registration_errors
    assert stats.polls_ok > 0 and not stats.errors
    assert set(stats.message_types) == {"oadrResponse"}
