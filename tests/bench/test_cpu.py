from __future__ import annotations

import os
import time

import pytest

from bench.cpu import CpuSampler, _cpu_since, machine_busy_seconds, process_cpu_seconds


def test_reads_own_process() -> None:
    assert (process_cpu_seconds(os.getpid()) or 0.0) > 0.0
    assert process_cpu_seconds(2**22 + 12345) is None  # above pid_max: no such process
    assert machine_busy_seconds() is not None


def test_processes_that_come_and_go() -> None:
    # Process 1 ran 1 s more, process 2 vanished, process 3 is new, pid 4 was reused by a younger process.
    previous = {1: 10.0, 2: 5.0, 4: 8.0}
    current = {1: 11.0, 3: 0.5, 4: 0.25}
    assert _cpu_since(previous, current) == pytest.approx(1.75)


def test_busy_process_is_about_one_core() -> None:
    with CpuSampler(lambda: [os.getpid()], interval=0.05) as sampler:
        start = time.time()
        while time.time() - start < 0.8:
            pass
        end = time.time()
        time.sleep(0.1)
    percent = sampler.processes_percent(start + 0.2, end - 0.2)
    assert percent is not None and 60.0 < percent < 140.0


def test_no_pids_means_unknown() -> None:
    with CpuSampler(None, interval=0.05) as sampler:
        start = time.time()
        time.sleep(0.3)
    assert sampler.processes_percent(start + 0.05, start + 0.2) is None
    assert sampler.machine_percent(start + 0.05, start + 0.2) is not None
