"""Installing missing system tools from Debian's packages (as root, non-interactively)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence

from devstack.console import say

__all__ = ["MissingToolError", "apt_install", "ensure_commands"]

_updated = False


class MissingToolError(RuntimeError):
    """A tool is missing and cannot be installed from here."""


def apt_install(packages: Sequence[str]) -> None:
    """`apt-get update` (once per process) then `apt-get install -y` the packages."""
    global _updated
    if os.geteuid() != 0:
        raise MissingToolError(
            f"missing Debian packages {' '.join(packages)}: install them (sudo apt-get install -y ...) "
            "or run this as root"
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    if not _updated:
        say("apt-get update")
        subprocess.run(["apt-get", "update"], env=env, check=True)
        _updated = True
    say(f"apt-get install -y {' '.join(packages)}")
    subprocess.run(["apt-get", "install", "-y", *packages], env=env, check=True)


def ensure_commands(package_for_command: Mapping[str, str]) -> None:
    """Install the package of every command that is not on PATH, e.g. {"mvn": "maven"}."""
    missing = sorted({package for command, package in package_for_command.items() if shutil.which(command) is None})
    if missing:
        apt_install(missing)
