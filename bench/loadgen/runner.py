"""Running a load: in this process (K=1) or split over K worker processes whose results are merged.

Workers register their VENs, report ready, and all start polling at one wall-clock moment chosen by the
parent, so the measurement windows of the workers coincide.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import time
import uuid
from multiprocessing.connection import Connection
from typing import Any

from bench.loadgen.config import ClientCertificate, LoadConfig
from bench.loadgen.result import LoadResult
from bench.loadgen.stats import RunStats
from bench.loadgen.system import raise_open_file_limit, run_async
from bench.loadgen.worker import run_vens

_START_DELAY = 0.2  # seconds between "everyone is ready" and the common start
_REGISTRATION_BUDGET = 600.0  # seconds a worker may take to register its VENs before the run is abandoned


def ven_names(config: LoadConfig) -> list[str]:
    run_tag = uuid.uuid4().hex[:8]  # a fresh name per run, so repeated runs never look like re-registrations
    return [f"{config.ven_name_prefix}-{run_tag}-{index:05d}" for index in range(config.vens)]


def run_load(config: LoadConfig) -> LoadResult:
    """Run the load described by `config` to completion; bounded by its warm-up, duration and timeouts."""
    raise_open_file_limit(config.vens + 256)
    names = ven_names(config)
    if config.processes == 1:
        stats = run_async(run_vens(config, names))
    else:
        stats = _run_in_processes(config, names)
    return LoadResult.from_stats(config, stats)


def _run_in_processes(config: LoadConfig, names: list[str]) -> RunStats:
    context = multiprocessing.get_context("spawn")
    pipes: list[Connection] = []
    processes: list[multiprocessing.process.BaseProcess] = []
    try:
        for worker in range(config.processes):
            parent_end, child_end = context.Pipe()
            process = context.Process(
                target=_worker_main,
                args=(config, names[worker :: config.processes], _certificates_of(config, worker), child_end),
                name=f"loadgen-worker-{worker}",
                daemon=True,
            )
            process.start()
            child_end.close()
            pipes.append(parent_end)
            processes.append(process)
        for pipe in pipes:
            _receive(pipe, "ready", _REGISTRATION_BUDGET)
        start_wall = time.time() + _START_DELAY
        for pipe in pipes:
            pipe.send(start_wall)
        run_budget = _START_DELAY + config.warmup + config.duration + 2 * config.request_timeout + 30.0
        merged = RunStats()
        for pipe in pipes:
            merged.merge(_receive(pipe, "done", run_budget))
        return merged
    finally:
        for started in processes:
            started.join(timeout=5.0)
            if started.is_alive():
                started.terminate()
                started.join()


def _receive(pipe: Connection, expected: str, timeout: float) -> Any:
    if not pipe.poll(timeout):
        raise RuntimeError(f"load worker sent no {expected!r} within {timeout:.0f} s")
    tag, value = pipe.recv()
    if tag == "failed":
        raise RuntimeError(f"load worker failed: {value}")
    if tag != expected:
        raise RuntimeError(f"load worker sent {tag!r}, expected {expected!r}")
    return value


def _certificates_of(config: LoadConfig, worker: int) -> list[ClientCertificate] | None:
    """The client certificates of this worker's VENs: split like the names, so each VEN keeps its own."""
    if config.secure is None:
        return None
    return list(config.secure.certificates[: config.vens][worker :: config.processes])


def _worker_main(
    config: LoadConfig, names: list[str], certificates: list[ClientCertificate] | None, pipe: Connection
) -> None:
    raise_open_file_limit(len(names) + 256)

    async def wait_for_common_start(registered: int) -> float:
        pipe.send(("ready", registered))
        start_wall: float = await asyncio.get_running_loop().run_in_executor(None, pipe.recv)
        return start_wall

    try:
        stats = run_async(run_vens(config, names, wait_for_common_start, certificates))
    except BaseException as error:
        pipe.send(("failed", f"{type(error).__name__}: {error}"))
        raise
    else:
        pipe.send(("done", stats))
    finally:
        pipe.close()
