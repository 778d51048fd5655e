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


def test_busy_process_share_matches_its_own_cpu_clock() -> None:
    """The sampler's figure agrees with the process's own CPU clock (not with wall time: a loaded machine
    gives a busy loop less than a core, and the sampler must report what it really got)."""
    with CpuSampler(lambda: [os.getpid()], interval=0.05) as sampler:
        start = time.time()
        window_start, window_end = start + 0.2, start + 0.8
        cpu_at_start = cpu_at_end = None
        while (now := time.time()) < start + 1.0:
            if cpu_at_start is None and now >= window_start:
                cpu_at_start = time.process_time()
            if cpu_at_end is None and now >= window_end:
                cpu_at_end = time.process_time()
        time.sleep(0.1)
    assert cpu_at_start is not None and cpu_at_end is not None
    expected = (cpu_at_end - cpu_at_start) / (window_end - window_start) * 100
    percent = sampler.processes_percent(window_start, window_end)
    assert percent is not None
    assert abs(percent - expected) < 35.0, (percent, expected)


def test_no_pids_means_unknown() -> None:
    with CpuSampler(None, interval=0.05) as sampler:
        start = time.time()
        time.sleep(0.3)
    assert sampler.processes_percent(start + 0.05, start + 0.2) is None
    assert sampler.machine_percent(start + 0.05, start + 0.2) is not None
