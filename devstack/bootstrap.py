"""The project's virtualenv: created with the interpreter running this, refreshed when requirements change.

Runs under the system python3 (stdlib only). The stamp file holds the hash of requirements.txt that was
last installed, so an unchanged venv costs one file read.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

from devstack.config import REPO_ROOT, venv_python
from devstack.console import say
from devstack.debian import apt_install

__all__ = ["ensure_venv"]

_STAMP = ".requirements.sha256"


def _create(venv: Path) -> None:
    say(f"creating {venv}")
    argv = [sys.executable, "-m", "venv", "--clear", str(venv)]
    if subprocess.run(argv, check=False).returncode == 0:
        return
    # Debian's own python3 ships venv without ensurepip; the package python3-venv adds it.
    apt_install(["python3-venv"])
    subprocess.run(argv, check=True)


def ensure_venv(repo_root: Path = REPO_ROOT) -> Path:
    """Make `.venv` exist with requirements.txt installed; return its python."""
    venv = repo_root / ".venv"
    python = venv_python(repo_root)
    requirements = repo_root / "requirements.txt"
    wanted = hashlib.sha256(requirements.read_bytes()).hexdigest()
    stamp = venv / _STAMP
    if not python.exists():  # also a dangling link left by a removed interpreter
        _create(venv)
    elif stamp.exists() and stamp.read_text().strip() == wanted:
        return python
    say("pip install -r requirements.txt")
    subprocess.run(
        [str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q", "-r", str(requirements)],
        check=True,
    )
    stamp.write_text(wanted + "\n")
    return python
