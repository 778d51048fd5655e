"""Starts the gateway: `python -m gateway`."""

from __future__ import annotations

import uvloop

from gateway.server import serve
from shared.misconfigured import exits_when_misconfigured
from shared.startup import start_process


def main() -> None:
    settings = start_process("gateway")
    with exits_when_misconfigured():
        uvloop.run(serve(settings))


if __name__ == "__main__":
    main()
