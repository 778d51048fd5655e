"""Command line: python -m bench.loadgen --url URL --vens N --mode closed|open --duration S [--rate R]
[--processes K] [--json] [--certs DIR [--no-sign]] (an https:// URL needs --certs: see bench.bench_certs)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bench.bench_certs import bench_certificates
from bench.loadgen.config import LoadConfig, Mode
from bench.loadgen.runner import run_load


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.loadgen", description=__doc__)
    parser.add_argument("--url", required=True, help="VTN base URL, e.g. http://127.0.0.1:8080/OpenADR2/Simple/2.0b")
    parser.add_argument("--vens", type=int, required=True, help="number of simulated VENs")
    parser.add_argument("--mode", choices=[mode.value for mode in Mode], default=Mode.CLOSED.value)
    parser.add_argument("--duration", type=float, default=10.0, help="measured seconds")
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds of polling before measuring")
    parser.add_argument("--rate", type=float, default=1.0, help="open loop: polls per second per VEN")
    parser.add_argument("--processes", type=int, default=1, help="generator worker processes")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per request, connect included")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument(
        "--certs",
        type=Path,
        default=None,
        help="https://: certificates directory (CA, one client certificate per VEN, made as needed)",
    )
    parser.add_argument(
        "--sign", action=argparse.BooleanOptionalAction, default=True, help="with --certs: sign every message"
    )
    parser.add_argument(
        "--allow-non-loopback", action="store_true", help="allow a target outside 127.0.0.0/8 (off by default)"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    arguments = _arguments(argv)
    secure = None
    if arguments.certs is not None:
        secure = bench_certificates(arguments.certs, arguments.vens).secure_vens(sign=arguments.sign)
    config = LoadConfig(
        url=arguments.url,
        vens=arguments.vens,
        mode=Mode(arguments.mode),
        duration=arguments.duration,
        warmup=arguments.warmup,
        rate=arguments.rate,
        processes=arguments.processes,
        request_timeout=arguments.timeout,
        allow_non_loopback=arguments.allow_non_loopback,
        secure=secure,
    )
    result = run_load(config)
    print(json.dumps(result.to_dict(), indent=2) if arguments.json else result.to_text())
    return 0 if result.registered and result.polls_ok else 1


if __name__ == "__main__":
    sys.exit(main())
