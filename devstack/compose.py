"""`docker compose` for the deployment checks: the Compose v2 CLI (pinned, built by go_tools).

It runs standalone as `docker-compose`, the same program as the `docker compose` plugin, so it needs no
plugin folder; `config` needs no Docker engine, `up` and `down` do.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from devstack.go_tools import COMPOSE, ensure_go_tool

__all__ = ["ComposeError", "compose_argv", "config"]


class ComposeError(RuntimeError):
    """docker compose refused the file or a command failed; the message is its own."""


def compose_argv(project_dir: Path, files: Sequence[Path] = (), cache_dir: Path | None = None) -> list[str]:
    """The start of a `docker compose` command line for the project in `project_dir`."""
    argv = [str(ensure_go_tool(COMPOSE, cache_dir)), "--project-directory", str(project_dir)]
    for file in files or [project_dir / "docker-compose.yml"]:
        argv += ["-f", str(file)]
    return argv


def config(project_dir: Path, env: Mapping[str, str], files: Sequence[Path] = ()) -> dict[str, Any]:
    """`docker compose config`: the file validated, interpolated and normalized, as a dict."""
    result = subprocess.run(
        [*compose_argv(project_dir, files), "config", "--format", "json"],
        env=dict(env), capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        raise ComposeError(f"docker compose config failed:\n{result.stderr.strip()}")
    loaded: dict[str, Any] = json.loads(result.stdout)
    return loaded
