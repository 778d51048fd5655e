"""Telling a running process from a dead one by its pid, zombies included."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from devstack.processes import pid_alive


def test_a_running_process_is_alive() -> None:
    assert pid_alive(os.getpid())


def test_an_ended_process_not_yet_reaped_is_dead() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    deadline = time.monotonic() + 30
    while pid_alive(child.pid):  # a zombie until wait() below reaps it
        assert time.monotonic() < deadline, "the child never ended"
        time.sleep(0.05)
    assert os.path.exists(f"/proc/{child.pid}"), "still a zombie: its pid exists"
    child.wait()
    assert not pid_alive(child.pid)
