"""`make image-test`: the VTN's image built and run by docker compose, with OpenLEADR's VEN talking to it.

1. A Docker engine (docker.io; dockerd started if none runs) and the stand-in images for python:3.11-slim, node,
   debian:bookworm-slim, apache/kafka and postgres:15 (stand_in_images.py; Docker Hub cannot be reached here).
2. deploy/Dockerfile built with the stand-ins as PYTHON_IMAGE and NODE_IMAGE, and deploy/xmpp/Dockerfile (the
   XMPP server) with the Debian stand-in as DEBIAN_IMAGE, as docker-compose.yml would build them.
3. `docker compose up --wait` in production mode (HTTPS with client certificates from fresh `make certs`
   certificates, a random admin token), on VTN_HTTP_PORT / VTN_ADMIN_PORT / VTN_XMPP_PORT (8080 / 8081 /
   5222 by default): every service healthy, the XMPP connector among them only once logged in to the XMPP
   server with its certificate.
4. pytest tests/deploy/image: an OpenLEADR VEN registers and polls over HTTPS, the admin API answers on
   loopback; then `docker compose down` (keeping the volumes) and `up` again, and the VEN is still known.
5. `docker compose down -v` whatever happened; the timing of each step is printed.
"""

from __future__ import annotations

import os
import secrets
import shlex
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from devstack.certs import generate
from devstack.compose import compose_argv
from devstack.config import REPO_ROOT, venv_python
from devstack.console import say, shout
from devstack.docker_engine import docker_engine
from devstack.stand_in_images import StandInImages, ensure_stand_in_images

__all__ = ["main"]

IMAGE = "openadr-vtn:latest"
XMPP_IMAGE = "openadr-vtn-xmpp:latest"
PROJECT = "vtn-image-test"
VEN_NAME = "image-test-ven"
_UP_TIMEOUT = 600


class Stopwatch:
    """Named durations, printed together at the end."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.durations: list[tuple[str, float]] = []

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        started = time.monotonic()
        say(name)
        try:
            yield
        finally:
            self.durations.append((name, time.monotonic() - started))

    def report(self) -> str:
        lines = [f"  {seconds:7.1f} s  {name}" for name, seconds in self.durations]
        total = time.monotonic() - self.started  # with starting and stopping dockerd
        return "\n".join(["image test timings:", *lines, f"  {total:7.1f} s  in all"])


def _run(argv: Sequence[str], env: dict[str, str], *, capture: bool = False) -> subprocess.CompletedProcess[str]:
    say("$ " + shlex.join(argv))
    return subprocess.run(argv, env=env, cwd=REPO_ROOT, text=True, capture_output=capture, check=False)


def _checked(argv: Sequence[str], env: dict[str, str]) -> None:
    result = _run(argv, env)
    if result.returncode != 0:
        raise RuntimeError(f"{shlex.join(argv[:4])} ... failed with status {result.returncode}")


def _build_vtn_image(images: StandInImages, env: dict[str, str]) -> str:
    """deploy/Dockerfile built as compose would; returns what the engine said about the context it got."""
    bases = ["--build-arg", f"PYTHON_IMAGE={images.python}", "--build-arg", f"NODE_IMAGE={images.node}"]
    argv = ["docker", "build", "-f", "deploy/Dockerfile", *bases, "-t", IMAGE, "."]
    result = _run(argv, env | {"DOCKER_BUILDKIT": "0"}, capture=True)
    if result.returncode != 0:
        raise RuntimeError(f"docker build failed:\n{result.stdout[-4000:]}{result.stderr[-4000:]}")
    return next((line for line in result.stdout.splitlines() if "build context" in line), "")


def _build_xmpp_image(images: StandInImages, env: dict[str, str]) -> None:
    """deploy/xmpp/Dockerfile (Prosody from Debian's package) built as compose would."""
    argv = ["docker", "build", "--build-arg", f"DEBIAN_IMAGE={images.debian}", "-t", XMPP_IMAGE, "deploy/xmpp"]
    result = _run(argv, env | {"DOCKER_BUILDKIT": "0"}, capture=True)
    if result.returncode != 0:
        raise RuntimeError(f"docker build of the XMPP server failed:\n{result.stdout[-4000:]}{result.stderr[-4000:]}")


def _pytest(env: dict[str, str], selection: str) -> int:
    argv = [str(venv_python()), "-m", "pytest", "tests/deploy/image", "-q", "-p", "no:cacheprovider", "-k", selection]
    return _run(argv, env).returncode


def run_image_test(state: Path, stopwatch: Stopwatch) -> int:
    http_port = os.environ.get("VTN_HTTP_PORT", "8080")
    admin_port = os.environ.get("VTN_ADMIN_PORT", "8081")
    certs = state / "certs"
    env = {
        **os.environ,
        "COMPOSE_PROJECT_NAME": PROJECT,
        "VTN_ENVIRONMENT": "production",
        "VTN_ADMIN_TOKEN": secrets.token_hex(32),
        "VTN_CERTS_DIR": str(certs),
        "VTN_HTTP_PORT": http_port,
        "VTN_ADMIN_PORT": admin_port,
        "VTN_IMAGE_TEST_URL": f"https://127.0.0.1:{http_port}/OpenADR2/Simple/2.0b",
        "VTN_IMAGE_TEST_ADMIN_URL": f"http://127.0.0.1:{admin_port}/api/v1",
        "VTN_IMAGE_TEST_STATE": str(state),
        "VTN_IMAGE_TEST_VEN": VEN_NAME,
    }
    compose = compose_argv(REPO_ROOT)
    with stopwatch.step("certificates (make certs)"):
        generate(certs, [VEN_NAME])
    with docker_engine(state / "logs"):
        with stopwatch.step("stand-in images from Debian's packages (built once, then reused)"):
            images = ensure_stand_in_images(state)
        env |= images.compose_env()
        try:
            with stopwatch.step("docker build of deploy/Dockerfile"):
                say(_build_vtn_image(images, env) or "docker build done")
            with stopwatch.step("docker build of deploy/xmpp/Dockerfile"):
                _build_xmpp_image(images, env)
            with stopwatch.step("docker compose up --wait"):
                _checked([*compose, "up", "--detach", "--no-build", "--wait", "--wait-timeout", str(_UP_TIMEOUT)], env)
            with stopwatch.step("OpenLEADR VEN: register and poll over HTTPS; admin API"):
                if (code := _pytest(env, "registers")) != 0:
                    return code
            with stopwatch.step("docker compose down (volumes kept) and up again"):
                _checked([*compose, "down"], env)
                _checked([*compose, "up", "--detach", "--no-build", "--wait", "--wait-timeout", str(_UP_TIMEOUT)], env)
            with stopwatch.step("the VEN's registration survived"):
                return _pytest(env, "survives")
        except BaseException:
            _run([*compose, "logs", "--no-color", "--tail", "60"], env)
            raise
        finally:
            with stopwatch.step("docker compose down -v"):
                _run([*compose, "down", "--volumes", "--remove-orphans"], env)


def main() -> int:
    state = REPO_ROOT / ".devstack" / "image-test"
    state.mkdir(parents=True, exist_ok=True)
    stopwatch = Stopwatch()
    try:
        code = run_image_test(state, stopwatch)
    except (RuntimeError, subprocess.CalledProcessError, OSError) as error:
        shout(f"image test failed: {error}")
        code = 1
    print(stopwatch.report(), flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
