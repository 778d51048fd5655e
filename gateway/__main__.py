"""Starts the gateway: `python -m gateway`."""

from __future__ import annotations

from gateway.server import serve
from shared.startup import run_process


def main() -> None:
    run_process("gateway", serve)


if __name__ == "__main__":
    main()
