"""Side-by-side poll benchmark: OpenLEADR (started here) against other VTNs, in closed and open loop.

    python -m bench.poll_bench --vtn-url http://127.0.0.1:8080/OpenADR2/Simple/2.0b --vens 100,1000 --duration 10

Every target is measured at every VEN count in every mode, interleaved so that slow drift of the machine hits
all targets alike; the table gives each target's ratio to the OpenLEADR baseline measured in the same run.
Targets to add from code (for instance a stack started with its own tooling) are passed to `main` as
`extra_targets`, or named on the command line with `--target-factory module:function`.

With `--secure`, everything runs over HTTPS with a client certificate per simulated VEN and every message
signed (fresh ReplayProtect per message), OpenLEADR included (`bench.openleadr_vtn --certs`):

    python -m bench.poll_bench --secure --target-factory bench.vtn_stack:secure_full_stack_targets --vens 20
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import shlex
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.bench_certs import BenchCertificates, bench_certificates, certificates_dir
from bench.cpu import CpuSampler, machine_busy_seconds
from bench.loadgen import LoadConfig, LoadResult, Mode, run_load
from bench.loadgen.system import event_loop_name, raise_open_file_limit
from bench.targets import Target, calibration_target, external_target, openleadr_target

BASELINE = "openleadr"


@dataclass(frozen=True)
class Measurement:
    target: str
    result: LoadResult
    # Percent of one core over the measured window: the target's own processes (None when unknown), and
    # everything else on the machine besides the target and the generator (competition that skews results).
    server_cpu_percent: float | None
    other_cpu_percent: float | None


def _int_list(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip()]


def _mode_list(text: str) -> list[Mode]:
    return [Mode(part.strip()) for part in text.split(",") if part.strip()]


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.poll_bench", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--vtn-url", action="append", default=[], metavar="[NAME=]URL", help="a running VTN to measure (repeatable)"
    )
    parser.add_argument(
        "--target-factory",
        action="append",
        default=[],
        metavar="MODULE:FUNCTION",
        help="a function(log_dir) returning a list of Target to measure (repeatable)",
    )
    parser.add_argument("--vens", type=_int_list, default=[100, 1000], help="VEN counts, e.g. 100,1000")
    parser.add_argument("--modes", type=_mode_list, default=[Mode.CLOSED, Mode.OPEN], help="closed,open")
    parser.add_argument("--duration", type=float, default=10.0, help="measured seconds per run")
    parser.add_argument("--warmup", type=float, default=1.0, help="unmeasured seconds of polling per run")
    parser.add_argument("--rate", type=float, default=1.0, help="open loop: polls per second per VEN")
    parser.add_argument("--processes", type=int, default=1, help="load generator processes")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per request")
    parser.add_argument("--openleadr-port", type=int, default=8090)
    parser.add_argument(
        "--second-openleadr-port",
        type=int,
        default=None,
        help="also measure a second OpenLEADR instance (a smoke test of the ratios)",
    )
    parser.add_argument(
        "--calibration",
        choices=["raw", "uvicorn"],
        action="append",
        default=[],
        help="also measure the fixed-answer calibration server (repeatable)",
    )
    parser.add_argument("--calibration-port", type=int, default=8099)
    parser.add_argument(
        "--quiet-below",
        type=float,
        default=25.0,
        metavar="PERCENT",
        help="before each run, wait until the machine's busy CPU is below this (percent of one core)",
    )
    parser.add_argument(
        "--quiet-wait", type=float, default=60.0, metavar="SECONDS", help="longest wait for a quiet machine per run"
    )
    parser.add_argument("--json", type=Path, default=None, help="also write every result to this JSON file")
    parser.add_argument(
        "--secure",
        action="store_true",
        help="HTTPS with a client certificate per VEN and every message signed, OpenLEADR included "
        "(certificates made in the log folder; targets must be https://)",
    )
    arguments = parser.parse_args(argv)
    if arguments.secure and arguments.calibration:
        parser.error("--calibration serves plain HTTP only; it cannot be combined with --secure")
    return arguments


def _factory(spec: str) -> Callable[[Path], list[Target]]:
    module_name, _, function_name = spec.partition(":")
    factory: Callable[[Path], list[Target]] = getattr(importlib.import_module(module_name), function_name)
    return factory


def build_targets(arguments: argparse.Namespace, log_dir: Path, extra_targets: Sequence[Target]) -> list[Target]:
    certs = certificates_dir(log_dir) if arguments.secure else None
    targets = [openleadr_target(BASELINE, arguments.openleadr_port, log_dir, certs)]
    if arguments.second_openleadr_port is not None:
        targets.append(openleadr_target(f"{BASELINE}-2", arguments.second_openleadr_port, log_dir, certs))
    for offset, server in enumerate(arguments.calibration):
        targets.append(
            calibration_target(f"calibration-{server}", arguments.calibration_port + offset, log_dir, server)
        )
    for spec in arguments.target_factory:
        targets.extend(_factory(spec)(log_dir))
    targets.extend(extra_targets)
    targets.extend(
        external_target(spec, default_name=f"vtn-{index + 1}") for index, spec in enumerate(arguments.vtn_url)
    )
    names = [target.name for target in targets]
    if len(set(names)) != len(names):
        raise SystemExit(f"target names must be unique: {names}")
    if arguments.secure and any(not target.url.startswith("https://") for target in targets):
        raise SystemExit(f"--secure measures https:// targets only: {[t.url for t in targets]}")
    return targets


def run_matrix(
    targets: Sequence[Target], arguments: argparse.Namespace, certificates: BenchCertificates | None = None
) -> list[Measurement]:
    measurements: list[Measurement] = []
    plan = [(vens, mode, target) for vens in arguments.vens for mode in arguments.modes for target in targets]
    for number, (vens, mode, target) in enumerate(plan, start=1):
        config = LoadConfig(
            url=target.url,
            vens=vens,
            mode=mode,
            duration=arguments.duration,
            warmup=arguments.warmup,
            rate=arguments.rate,
            processes=arguments.processes,
            request_timeout=arguments.timeout,
            secure=certificates.secure_vens() if certificates is not None else None,
        )
        print(f"[{number}/{len(plan)}] {target.name} {mode.value} loop, {vens} VENs ...", file=sys.stderr, flush=True)
        busy = wait_for_quiet_machine(arguments.quiet_below, arguments.quiet_wait)
        if busy is not None and busy >= arguments.quiet_below:
            print(
                f"    machine still {busy:.0f}% busy after {arguments.quiet_wait:g} s; measuring anyway",
                file=sys.stderr,
                flush=True,
            )
        measurement = _measure(target, config)
        result = measurement.result
        print(
            f"    {result.polls_per_s:.0f} polls/s, p99 {result.latency_ms.p99} ms, {result.error_count} errors, "
            f"CPU: generator {_percent(result.generator_cpu_percent)}, server "
            f"{_percent(measurement.server_cpu_percent)}, other {_percent(measurement.other_cpu_percent)}",
            file=sys.stderr,
            flush=True,
        )
        measurements.append(measurement)
    return measurements


def wait_for_quiet_machine(below_percent: float, max_wait: float) -> float | None:
    """Wait (at most `max_wait` seconds) until other work on the machine stops; return the last busy figure.

    Benchmarks on a shared machine are only comparable when nothing else competes for the cores.
    """
    deadline = time.monotonic() + max_wait
    while True:
        before = machine_busy_seconds()
        time.sleep(1.0)
        after = machine_busy_seconds()
        if before is None or after is None:
            return None
        busy = 100.0 * (after - before)
        if busy < below_percent or time.monotonic() >= deadline:
            return busy
        time.sleep(1.0)


def _measure(target: Target, config: LoadConfig) -> Measurement:
    with CpuSampler(target.pids) as sampler:
        result = run_load(config)
        time.sleep(0.3)  # one more sample after the window closes
    window = (result.window_start_unix, result.window_end_unix)
    server = sampler.processes_percent(*window)
    machine = sampler.machine_percent(*window)
    other = None
    if machine is not None:
        # The generator figure spans the drain after the window too, so this errs towards too little.
        other = max(0.0, machine - (server or 0.0) - result.generator_cpu_percent)
        if server is None:
            other = None  # the target's own CPU cannot be told apart from the rest
    return Measurement(target=target.name, result=result, server_cpu_percent=server, other_cpu_percent=other)


def _number(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _mark(measurement: Measurement) -> str:
    other = measurement.other_cpu_percent
    return " (!)" if other is not None and other > _CONTAMINATED else ""


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}%"


def _ratio(value: float | None, baseline: float | None) -> str:
    if value is None or not baseline:
        return "-"
    return f"{value / baseline:.2f}"


# Rows where other processes used more than this much CPU (percent of one core) are marked as unreliable.
_CONTAMINATED = 25.0


def markdown_table(measurements: Sequence[Measurement]) -> str:
    baselines = {(m.result.mode, m.result.vens): m.result for m in measurements if m.target == BASELINE}
    lines = [
        "| target | mode | VENs | offered polls/s | polls/s | polls/s ÷ OpenLEADR | p50 ms | p99 ms | max ms "
        "| p99 ÷ OpenLEADR | errors | server CPU | generator CPU | other CPU |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for measurement in measurements:
        result = measurement.result
        base = baselines.get((result.mode, result.vens))
        errors = result.error_count + sum(result.registration_errors.values())
        lines.append(
            f"| {measurement.target} | {result.mode} | {result.vens} | {_number(result.offered_polls_per_s, 0)} "
            f"| {_number(result.polls_per_s)} | {_ratio(result.polls_per_s, base.polls_per_s if base else None)} "
            f"| {_number(result.latency_ms.p50, 2)} | {_number(result.latency_ms.p99, 2)} "
            f"| {_number(result.latency_ms.max, 2)} "
            f"| {_ratio(result.latency_ms.p99, base.latency_ms.p99 if base else None)} "
            f"| {errors} | {_percent(measurement.server_cpu_percent)} | {_percent(result.generator_cpu_percent)} "
            f"| {_percent(measurement.other_cpu_percent)}{_mark(measurement)} |"
        )
    return "\n".join(lines)


def _error_notes(measurements: Sequence[Measurement]) -> list[str]:
    notes = []
    for measurement in measurements:
        result = measurement.result
        if result.errors or result.registration_errors or result.registered < result.vens:
            notes.append(
                f"- {measurement.target} {result.mode} {result.vens} VENs: {result.registered} registered; "
                f"poll errors {result.errors or 'none'}; registration errors {result.registration_errors or 'none'}"
            )
    return notes


_SECURE_NOTE = [
    "",
    "Secure run: HTTPS (TLS client certificate per VEN, ECC P-256, from one CA); every VEN message signed with a "
    "fresh ReplayProtect nonce and timestamp; every answer checked to carry a signature; both VTNs serve and "
    "sign with the same RSA-2048 certificate and verify VEN signatures against the registered fingerprint.",
]


def report(measurements: Sequence[Measurement], command: str, arguments: argparse.Namespace) -> str:
    lines = [
        f"Command: `{command}`",
        "",
        f"Machine: {os.cpu_count()} CPUs, {platform.python_implementation()} {platform.python_version()}, "
        f"generator on {event_loop_name()} with {arguments.processes} process(es); "
        f"{arguments.duration:g} s measured after {arguments.warmup:g} s warm-up per run; "
        f"open loop at {arguments.rate:g} poll/s per VEN.",
        *(_SECURE_NOTE if arguments.secure else []),
        "",
        markdown_table(measurements),
        "",
        "polls/s counts good answers (HTTP 200 with an OpenADR payload, oadrResponse code 200). Open-loop latency "
        "runs from each poll's scheduled send time. Ratios divide by the OpenLEADR row of the same mode and VEN "
        "count: above 1 is better for polls/s, below 1 is better for p99. CPU is in percent of one core over "
        "the measured window (server: its own processes; generator: all load-generator processes; other: the "
        f"rest of the machine; (!) marks rows where it exceeded {_CONTAMINATED:.0f}%, i.e. other work competed "
        "for the cores and the row is not a clean measurement).",
    ]
    notes = _error_notes(measurements)
    if notes:
        lines += ["", "Errors:", *notes]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None, extra_targets: Sequence[Target] = ()) -> int:
    arguments = _arguments(argv)
    command = "python -m bench.poll_bench " + shlex.join(sys.argv[1:] if argv is None else list(argv))
    raise_open_file_limit()
    log_dir = Path(tempfile.mkdtemp(prefix="poll-bench-"))
    print(f"server logs in {log_dir}", file=sys.stderr)
    certificates = None
    if arguments.secure:
        certificates = bench_certificates(certificates_dir(log_dir), max(arguments.vens))
    targets = build_targets(arguments, log_dir, extra_targets)
    started: list[Target] = []
    try:
        for target in targets:
            if target.start is not None:
                target.start()
            started.append(target)
        measurements = run_matrix(targets, arguments, certificates)
    finally:
        for target in reversed(started):
            if target.stop is not None:
                target.stop()
    print(report(measurements, command, arguments))
    if arguments.json is not None:
        document = {
            "command": command,
            "results": [
                {
                    "target": m.target,
                    "server_cpu_percent": m.server_cpu_percent,
                    "other_cpu_percent": m.other_cpu_percent,
                    **m.result.to_dict(),
                }
                for m in measurements
            ],
        }
        arguments.json.write_text(json.dumps(document, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
