"""What the operator console needs beyond Python: its browser libraries from the npm registry (`npm ci` in
gateway/console, again only when package-lock.json changes), and for the tests Debian's Chromium.

Runs under the system python3 (stdlib only), like the rest of the devstack.
"""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

from devstack.console import say
from devstack.debian import ensure_commands

__all__ = ["ensure_browser", "ensure_console_assets"]

CONSOLE_DIR = Path("gateway") / "console"
_STAMP = ".package-lock.sha256"
CHROMIUM = "chromium"


def ensure_console_assets(repo_root: Path) -> None:
    """`npm ci` the console's libraries when node_modules does not match package-lock.json."""
    console = repo_root / CONSOLE_DIR
    wanted = hashlib.sha256((console / "package-lock.json").read_bytes()).hexdigest()
    stamp = console / "node_modules" / _STAMP
    if stamp.exists() and stamp.read_text().strip() == wanted:
        return
    ensure_commands({"npm": "npm"})
    say("npm ci (the operator console's browser libraries)")
    subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=console, check=True)
    stamp.write_text(wanted + "\n")


def ensure_browser() -> None:
    """Headless Chromium for the console's browser tests, from Debian's packages."""
    ensure_commands({CHROMIUM: CHROMIUM})
