"""Starts the gateway: `python -m gateway`."""

from __future__ import annotations

import uvloop

from gateway.server import serve
from shared.logs import configure_logging
from shared.misconfigured import exits_when_misconfigured
from shared.settings import VtnSettings


def main() -> None:
    settings = VtnSettings()
    configure_logging("gateway", settings.log_level)
    with exits_when_misconfigured():
        uvloop.run(serve(settings))


if __name__ == "__main__":
    main()
