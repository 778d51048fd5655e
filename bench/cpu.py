"""CPU use over a load's measurement window, sampled from /proc (Linux only).

A benchmark says something about a server only if the generator was not the bottleneck and nothing else was
competing for the cores. The server's own CPU (about 100% for a saturated single-process server) and the
machine's total busy CPU over the window are the evidence for both.
"""

from __future__ import annotations

import bisect
import os
import threading
import time
from collections.abc import Callable, Sequence

_TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


def process_cpu_seconds(pid: int) -> float | None:
    """User plus system CPU seconds used so far by process `pid`, or None if it cannot be read."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
    except OSError:
        return None
    # Fields after "(comm)" start at field 3 (state); utime and stime are fields 14 and 15.
    return (int(fields[11]) + int(fields[12])) / _TICKS_PER_SECOND


def machine_busy_seconds() -> float | None:
    """CPU seconds all cores together spent running processes (user, nice, system) or stolen by the
    hypervisor, since boot. Interrupt and softirq time is left out: on loopback it is mostly the kernel's
    TCP work for the benchmark itself (about 15% of a core at 10k requests/s), charged to no process."""
    try:
        with open("/proc/stat", "rb") as stat:
            fields = stat.readline().split()
    except OSError:
        return None
    user, nice, system, _idle, _iowait, _irq, _softirq, steal = (int(value) for value in fields[1:9])
    return (user + nice + system + steal) / _TICKS_PER_SECOND


class _Series:
    def __init__(self) -> None:
        self.times: list[float] = []
        self.values: list[float] = []

    def add(self, moment: float, value: float) -> None:
        self.times.append(moment)
        self.values.append(value)

    def at(self, moment: float) -> float | None:
        index = bisect.bisect_left(self.times, moment)
        if index == 0 or index == len(self.times):
            return None
        t0, t1 = self.times[index - 1], self.times[index]
        v0, v1 = self.values[index - 1], self.values[index]
        return v0 + (v1 - v0) * (moment - t0) / (t1 - t0)

    def percent_between(self, start: float, end: float) -> float | None:
        first, last = self.at(start), self.at(end)
        if first is None or last is None or end <= start:
            return None
        return 100.0 * (last - first) / (end - start)


def _cpu_since(previous: dict[int, float], current: dict[int, float]) -> float:
    used = 0.0
    for pid, cpu in current.items():
        before = previous.get(pid, 0.0)
        # Less CPU than before means the pid now belongs to a new process: count all of it.
        used += cpu - before if cpu >= before else cpu
    return used


class CpuSampler:
    """Samples, in a background thread, the CPU seconds of a target's processes and of the whole machine,
    so that usage over any interval inside the sampled period can be computed afterwards.

    `pids` is asked again at every sample, because a target's processes may come and go (PostgreSQL forks a
    backend per connection). The processes' CPU is kept as one running total: a process first seen counts
    with all its CPU (it started since the previous sample), one that vanished loses at most one interval.
    """

    def __init__(self, pids: Callable[[], Sequence[int]] | None, interval: float = 0.2) -> None:
        self._pids = pids
        self._interval = interval
        self._processes = _Series()
        self._machine = _Series()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="cpu-sampler", daemon=True)

    def __enter__(self) -> CpuSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        previous: dict[int, float] | None = None
        total = 0.0
        while True:
            now = time.time()
            if self._pids is not None:
                current = self._read_processes(self._pids())
                if previous is not None:
                    total += _cpu_since(previous, current)
                if current or previous:
                    self._processes.add(now, total)
                previous = current
            machine = machine_busy_seconds()
            if machine is not None:
                self._machine.add(now, machine)
            if self._stop.wait(self._interval):
                return

    @staticmethod
    def _read_processes(pids: Sequence[int]) -> dict[int, float]:
        readings = {pid: process_cpu_seconds(pid) for pid in pids}
        return {pid: cpu for pid, cpu in readings.items() if cpu is not None}

    def processes_percent(self, start_unix: float, end_unix: float) -> float | None:
        """CPU of the sampled processes between two wall-clock times, in percent of one core."""
        return self._processes.percent_between(start_unix, end_unix)

    def machine_percent(self, start_unix: float, end_unix: float) -> float | None:
        """Busy CPU of the whole machine between two wall-clock times, in percent of one core."""
        return self._machine.percent_between(start_unix, end_unix)


def process_label(pid: int) -> str:
    """A short name for a benchmarked process: the module a Python process runs, else its program's name."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            arguments = [part.decode(errors="replace") for part in cmdline.read().split(b"\0") if part]
    except OSError:
        return "?"
    if "-m" in arguments[:-1]:
        return arguments[arguments.index("-m") + 1]
    program = os.path.basename(arguments[0]) if arguments else "?"
    return "kafka" if program == "java" else program.split(":")[0]


def cpu_seconds_by_label(pids: Sequence[int]) -> dict[str, float]:
    """CPU seconds used so far, summed per process label (PostgreSQL's backends count as one 'postgres')."""
    totals: dict[str, float] = {}
    for pid in pids:
        seconds = process_cpu_seconds(pid)
        if seconds is not None:
            label = process_label(pid)
            totals[label] = totals.get(label, 0.0) + seconds
    return totals
