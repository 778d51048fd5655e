"""A Docker engine for the image test: Debian's docker.io, started here if none is running.

`dockerd` needs root. One already running (a developer's, CI's) is used as it is; one started here runs
until the caller is done with it, then gets SIGTERM (it stops its containers itself), its log kept in
the devstack folder.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from devstack.console import say
from devstack.debian import ensure_commands
from devstack.processes import ManagedProcess, tail

__all__ = ["DockerEngineError", "docker_engine"]

_START_TIMEOUT = 60.0


class DockerEngineError(RuntimeError):
    """No engine answers and none could be started; the message holds the tail of dockerd's log."""


def engine_answers() -> bool:
    result = subprocess.run(["docker", "info", "--format", "{{.ServerVersion}}"], capture_output=True, check=False)
    return result.returncode == 0


@contextmanager
def docker_engine(log_dir: Path) -> Iterator[None]:
    """Make `docker` reach an engine for the duration of the block."""
    ensure_commands({"dockerd": "docker.io", "docker": "docker.io", "debootstrap": "debootstrap"})
    if engine_answers():
        yield
        return
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / "dockerd.log"
    engine = ManagedProcess("dockerd", ["dockerd"], log_path=log_path)
    say(f"starting dockerd (log: {log_path})")
    engine.start()
    try:
        deadline = time.monotonic() + _START_TIMEOUT
        while not engine_answers():
            if not engine.is_running() or time.monotonic() > deadline:
                raise DockerEngineError(f"dockerd did not start; tail of {log_path}:\n{tail(log_path)}")
            time.sleep(0.5)
        yield
    finally:
        say("stopping the dockerd started for this run")
        engine.stop(timeout=30)
