"""Memory of a benchmarked target's processes, from /proc (Linux only)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from bench.cpu import process_label


def process_memory_mb(pid: int) -> float:
    """The process's proportional set size (PSS: shared pages divided among their users, so that PostgreSQL's
    backends do not each count the shared buffers), or its RSS where /proc/<pid>/smaps_rollup is unreadable."""
    for path, field_name in ((f"/proc/{pid}/smaps_rollup", "Pss:"), (f"/proc/{pid}/status", "VmRSS:")):
        try:
            for line in Path(path).read_text().splitlines():
                if line.startswith(field_name):
                    return int(line.split()[1]) / 1024
        except (OSError, ValueError, IndexError):
            continue
    return 0.0


def memory_mb(pids: Sequence[int]) -> dict[str, float]:
    """Memory (MB) summed per process label (bench.cpu.process_label: PostgreSQL's backends count as one)."""
    totals: dict[str, float] = {}
    for pid in pids:
        label = process_label(pid)
        totals[label] = totals.get(label, 0.0) + process_memory_mb(pid)
    return totals
