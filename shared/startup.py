"""A process's first steps: its settings, read once from the environment; JSON logging; and one warning for
each setting given under the name it had before it was renamed (still read, the current name winning).

Every entry point (the gateway, the services, topic provisioning, migrations) starts with `start_process`;
`run_process` then runs its main coroutine, stopping with exit status 78 on a setting that cannot work.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Coroutine, Mapping
from typing import Any, TypeVar

import uvloop

from shared.logs import configure_logging
from shared.misconfigured import exits_when_misconfigured
from shared.settings import VtnSettings, former_names_in

Result = TypeVar("Result")

log = logging.getLogger(__name__)


def warn_about_former_names(environ: Mapping[str, str]) -> None:
    """One warning per renamed setting that `environ` gives under its former name."""
    given = {name.upper() for name in environ}
    for former, current in former_names_in(environ):
        ignored = current in given
        log.warning(
            f"{former} is deprecated, set {current} instead" + (f" ({current} is set and wins)" if ignored else ""),
            extra={"action": "setting_renamed", "former_name": former, "current_name": current, "ignored": ignored},
        )


def start_process(process_name: str) -> VtnSettings:
    """The process's settings, with logging configured and any former setting names warned about."""
    settings = VtnSettings()
    configure_logging(process_name, settings.log_level)
    warn_about_former_names(os.environ)
    return settings


def run_process(process_name: str, main: Callable[[VtnSettings], Coroutine[Any, Any, Result]]) -> Result:
    """Start the process, then run `main(settings)` to its end; a Misconfigured setting ends it (EX_CONFIG)."""
    settings = start_process(process_name)
    with exits_when_misconfigured():
        return uvloop.run(main(settings))
