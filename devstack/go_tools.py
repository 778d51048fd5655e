"""The deployment checks' command-line tools, built from pinned Go modules into the devstack cache.

kustomize, kubeconform and Docker Compose ship no Debian package of a usable version here, and no
prebuilt binary can be downloaded; each is a Go module, so `go` builds it from the module proxy once,
into `<cache>/go-tools/<name>-<version>/`, the way kafka.py fetches Kafka's jars with Maven. A marker
file says a build finished; a lock file lets several devstacks ask at once. Needs Go 1.26 or newer on
PATH (the pins are the newest releases that build with it; kustomize v5.8.3 wants Go 1.27).
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from devstack.console import say
from devstack.kafka import default_cache_dir
from devstack.processes import tail

__all__ = ["COMPOSE", "KUBECONFORM", "KUSTOMIZE", "GoTool", "GoToolError", "ensure_go_tool"]

_MARKER = ".complete"


class GoToolError(RuntimeError):
    """Go is missing or the build failed; the message holds the tail of the build log."""


@dataclass(frozen=True)
class GoTool:
    """A command built from `package` of the Go module `module` at `version`.

    `go install package@version` builds most tools. A module whose go.mod holds replace or exclude
    directives (Docker Compose) is refused by `go install`; `from_module_source` builds it inside its own
    module instead, downloaded from the module proxy by `go mod download`, so its go.mod applies.
    """

    name: str
    module: str
    package: str
    version: str
    from_module_source: bool = False
    version_variable: str | None = None  # set to `version` at link time, for `<tool> version`

    @property
    def folder_name(self) -> str:
        return f"{self.name}-{self.version}"


KUSTOMIZE = GoTool("kustomize", "sigs.k8s.io/kustomize/kustomize/v5", "sigs.k8s.io/kustomize/kustomize/v5", "v5.8.2")
KUBECONFORM = GoTool(
    "kubeconform", "github.com/yannh/kubeconform", "github.com/yannh/kubeconform/cmd/kubeconform", "v0.8.0"
)
COMPOSE = GoTool(
    "docker-compose",
    "github.com/docker/compose/v5",
    "./cmd",
    "v5.6.0",
    from_module_source=True,
    version_variable="github.com/docker/compose/v5/internal.Version",
)


def _go_environment() -> dict[str, str]:
    # GOTOOLCHAIN=local: build with the Go on PATH, never fetch another toolchain behind the caller's back.
    return {**os.environ, "GOTOOLCHAIN": "local", "GOFLAGS": "-buildvcs=false", "CGO_ENABLED": "0"}


def _run_go(argv: list[str], cwd: Path, log_path: Path, gobin: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run go with its output in the build log; stdout is returned (go mod download -json prints there)."""
    env = _go_environment() | ({"GOBIN": str(gobin)} if gobin else {})
    with log_path.open("a") as log:
        log.write(f"$ {' '.join(argv)}\n")
        log.flush()
        return subprocess.run(
            argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log, text=True,
            check=False,
        )  # fmt: skip


def _build(tool: GoTool, go: str, output: Path, log_path: Path) -> None:
    ldflags = f"-s -w -X {tool.version_variable}={tool.version}" if tool.version_variable else "-s -w"
    if not tool.from_module_source:
        # go install names the binary after the package (kustomize, kubeconform) and puts it in GOBIN.
        argv = [go, "install", "-trimpath", f"-ldflags={ldflags}", f"{tool.package}@{tool.version}"]
        if _run_go(argv, output.parent, log_path, gobin=output.parent).returncode != 0:
            raise GoToolError(f"go install {tool.package}@{tool.version} failed; tail of {log_path}:\n{tail(log_path)}")
        return
    downloaded = _run_go([go, "mod", "download", "-json", f"{tool.module}@{tool.version}"], output.parent, log_path)
    if downloaded.returncode != 0:
        raise GoToolError(f"go mod download {tool.module}@{tool.version} failed; tail of {log_path}:\n{tail(log_path)}")
    source = Path(json.loads(downloaded.stdout)["Dir"])
    built = _run_go(
        [go, "build", "-trimpath", f"-ldflags={ldflags}", "-o", str(output), tool.package], source, log_path
    )
    if built.returncode != 0:
        raise GoToolError(f"go build of {tool.module}@{tool.version} failed; tail of {log_path}:\n{tail(log_path)}")


def ensure_go_tool(tool: GoTool, cache_dir: Path | None = None) -> Path:
    """The path of the tool's binary, built on first use; safe to call from several processes at once."""
    folder = (cache_dir or default_cache_dir()).resolve() / "go-tools" / tool.folder_name
    binary = folder / tool.name
    marker = folder / _MARKER
    if marker.exists() and binary.exists():
        return binary
    go = shutil.which("go")
    if go is None:
        raise GoToolError(f"{tool.name} {tool.version} must be built and `go` (1.26 or newer) is not on PATH")
    folder.mkdir(parents=True, exist_ok=True)
    with (folder.parent / f".{tool.folder_name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another devstack may be building the same tool
        if marker.exists() and binary.exists():
            return binary
        say(f"building {tool.name} {tool.version} with go (once; cached in {folder})")
        log_path = folder / "build.log"
        log_path.write_text("")
        _build(tool, go, binary, log_path)
        if not binary.exists():
            raise GoToolError(f"the build of {tool.name} wrote no {binary}; see {log_path}")
        marker.write_text(f"{tool.module}@{tool.version}\n")
    return binary
