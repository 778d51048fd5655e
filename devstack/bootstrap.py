"""The project's virtualenv: created with the interpreter running this, refreshed when requirements change.

Runs under the system python3 (stdlib only). `.venv` gets requirements-dev.txt: the runtime requirements
(requirements.txt, which it includes) plus what tests, benchmarks and docs need. The stamp file holds a
hash of every requirements file that install reads, so an unchanged venv costs a few file reads and a
change to any of them installs again.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

from devstack.config import REPO_ROOT, venv_python
from devstack.console import say
from devstack.debian import apt_install

__all__ = ["DEV_REQUIREMENTS", "ensure_venv", "requirement_files"]

DEV_REQUIREMENTS = "requirements-dev.txt"
_STAMP = ".requirements.sha256"
_INCLUDE_OPTIONS = ("-r", "--requirement")


def requirement_files(top: Path) -> list[Path]:
    """`top` and every file it includes with `-r`/`--requirement`, each once, in reading order."""
    found: list[Path] = []
    pending = [top]
    while pending:
        path = pending.pop(0)
        if path in found:
            continue
        found.append(path)
        for line in path.read_text().splitlines():
            option, _, target = line.split("#", 1)[0].strip().partition(" ")
            if option.startswith("--requirement="):
                option, target = "--requirement", option.split("=", 1)[1]
            if option in _INCLUDE_OPTIONS and target.strip():
                pending.append((path.parent / target.strip()).resolve())
    return found


def _digest(files: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _create(venv: Path) -> None:
    say(f"creating {venv}")
    argv = [sys.executable, "-m", "venv", "--clear", str(venv)]
    if subprocess.run(argv, check=False).returncode == 0:
        return
    # Debian's own python3 ships venv without ensurepip; the package python3-venv adds it.
    apt_install(["python3-venv"])
    subprocess.run(argv, check=True)


def ensure_venv(repo_root: Path = REPO_ROOT) -> Path:
    """Make `.venv` exist with requirements-dev.txt (and what it includes) installed; return its python."""
    venv = repo_root / ".venv"
    python = venv_python(repo_root)
    requirements = (repo_root / DEV_REQUIREMENTS).resolve()
    wanted = _digest(requirement_files(requirements))
    stamp = venv / _STAMP
    if not python.exists():  # also a dangling link left by a removed interpreter
        _create(venv)
    elif stamp.exists() and stamp.read_text().strip() == wanted:
        return python
    say(f"pip install -r {DEV_REQUIREMENTS}")
    subprocess.run(
        [str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q", "-r", str(requirements)],
        check=True,
    )
    stamp.write_text(wanted + "\n")
    return python
