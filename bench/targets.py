"""What a benchmark measures: a named VTN URL, optionally with the callables that start and stop it.

`ManagedServer` runs a server as a child process of the benchmark (the OpenLEADR baseline, the calibration
server); a target the benchmark does not own (a VTN already running, a stack started by other tooling) is a
`Target` without start and stop, or with callables supplied by whoever plugs it in.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

BASE_PATH = "/OpenADR2/Simple/2.0b"
LOOPBACK = "127.0.0.1"
_REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Target:
    name: str
    url: str
    start: Callable[[], None] | None = None
    stop: Callable[[], None] | None = None
    # The server's process ids, when known, so that its CPU use can be reported next to its throughput.
    pids: Callable[[], list[int]] | None = None


class ServerFailedToStart(RuntimeError):
    pass


def _port_answers(port: int) -> bool:
    try:
        with socket.create_connection((LOOPBACK, port), timeout=0.5):
            return True
    except OSError:
        return False


class ManagedServer:
    """A child process serving on 127.0.0.1:`port`; ready once the port accepts connections."""

    def __init__(self, name: str, argv: Sequence[str], port: int, log_dir: Path, ready_timeout: float = 30.0):
        self.name = name
        self._argv = list(argv)
        self._port = port
        self.log_path = log_dir / f"{name}.log"
        self._ready_timeout = ready_timeout
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def start(self) -> None:
        if _port_answers(self._port):
            # Measuring whatever already listens there would silently benchmark the wrong server.
            raise ServerFailedToStart(f"{self.name}: port {self._port} is already in use")
        self._log = self.log_path.open("wb")
        self._process = subprocess.Popen(self._argv, cwd=_REPO_ROOT, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + self._ready_timeout
        while not _port_answers(self._port):
            if self._process.poll() is not None:
                self.stop()
                raise ServerFailedToStart(f"{self.name} exited with {self._process.returncode}; see {self.log_path}")
            if time.monotonic() > deadline:
                self.stop()
                raise ServerFailedToStart(f"{self.name} not listening after {self._ready_timeout:.0f} s")
            time.sleep(0.1)

    def pids(self) -> list[int]:
        return [] if self._process is None else [self._process.pid]

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=10.0)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None


def module_server_target(
    name: str, module: str, port: int, log_dir: Path, *extra_args: str, scheme: str = "http"
) -> Target:
    """A target served by `python -m <module> --port <port> ...` with this interpreter."""
    server = ManagedServer(name, [sys.executable, "-m", module, "--port", str(port), *extra_args], port, log_dir)
    return Target(
        name=name,
        url=f"{scheme}://{LOOPBACK}:{port}{BASE_PATH}",
        start=server.start,
        stop=server.stop,
        pids=server.pids,
    )


def openleadr_target(name: str, port: int, log_dir: Path, certs: Path | None = None) -> Target:
    """OpenLEADR; with `certs` (see `bench.bench_certs`) over HTTPS with client certificates and signatures."""
    if certs is None:
        return module_server_target(name, "bench.openleadr_vtn", port, log_dir)
    return module_server_target(name, "bench.openleadr_vtn", port, log_dir, "--certs", str(certs), scheme="https")


def calibration_target(name: str, port: int, log_dir: Path, server: str = "raw") -> Target:
    return module_server_target(name, "bench.calibration_vtn", port, log_dir, "--server", server)


def external_target(spec: str, default_name: str = "vtn") -> Target:
    """`NAME=URL` or a bare URL: a VTN that is already running and that the benchmark leaves alone."""
    name, separator, url = spec.partition("=")
    if not separator or "://" in name:
        name, url = default_name, spec
    return Target(name=name, url=url)
