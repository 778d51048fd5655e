"""Stand-ins for python:3.11-slim, node:20-slim, debian:bookworm-slim, apache/kafka and postgres:15, built from
Debian 12's packages.

Docker Hub cannot be reached here, but Debian's package mirror can: debootstrap installs a minimal
bookworm with the packages each stand-in needs into a folder, `docker import` turns it into a base image,
and a small Dockerfile in devstack/stand_ins/ adds what makes it behave like the real image (stand_ins/
README.md). Every tag carries a hash of its inputs, so an image already in the engine is reused and a
changed input builds a new one. The base images trust the CA bundle of the machine that builds them, so
pip inside a build reaches PyPI through the same TLS-inspecting proxy the machine itself uses, if any.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from devstack.console import say
from devstack.kafka import ensure_kafka_classpath

__all__ = ["StandInImages", "ensure_stand_in_images"]

STAND_INS = Path(__file__).with_name("stand_ins")
MIRROR = "http://deb.debian.org/debian"
SUITE = "bookworm"
HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
PYTHON_PACKAGES = ("python3", "python3-venv", "python-is-python3", "ca-certificates")
# npm's dependencies name packages that debootstrap's resolver cannot pick (virtual ones): apt installs them
# into the bootstrapped root instead.
NODE_PACKAGES = ("ca-certificates",)
NODE_APT_PACKAGES = ("nodejs", "npm")
DEBIAN_PACKAGES = ("ca-certificates",)  # what debian:bookworm-slim has: apt, to install the rest in a build
SERVICE_PACKAGES = ("python3", "openjdk-17-jre-headless", "postgresql-15", "ca-certificates")


@dataclass(frozen=True)
class StandInImages:
    """The image references to pass as VTN_PYTHON_IMAGE, VTN_NODE_IMAGE, VTN_DEBIAN_IMAGE, VTN_KAFKA_IMAGE and
    VTN_POSTGRES_IMAGE."""

    python: str
    node: str
    debian: str
    kafka: str
    postgres: str

    def compose_env(self) -> dict[str, str]:
        return {
            "VTN_PYTHON_IMAGE": self.python,
            "VTN_NODE_IMAGE": self.node,
            "VTN_DEBIAN_IMAGE": self.debian,
            "VTN_KAFKA_IMAGE": self.kafka,
            "VTN_POSTGRES_IMAGE": self.postgres,
        }


def _digest(*parts: bytes) -> str:
    hasher = hashlib.sha256()
    for part in parts:
        hasher.update(len(part).to_bytes(8, "big") + part)
    return hasher.hexdigest()[:12]


def _image_exists(reference: str) -> bool:
    result = subprocess.run(["docker", "image", "inspect", reference], capture_output=True, check=False)
    return result.returncode == 0


def _debootstrap_image(name: str, packages: tuple[str, ...], work_dir: Path, apt_packages: tuple[str, ...] = ()) -> str:
    """A base image of a minimal bookworm with `packages` (then `apt_packages`, installed by apt inside it),
    imported into the engine; its reference."""
    ca_bundle = HOST_CA_BUNDLE.read_bytes() if HOST_CA_BUNDLE.exists() else b""
    inputs = [" ".join(packages).encode(), ca_bundle] + ([" ".join(apt_packages).encode()] if apt_packages else [])
    reference = f"vtn-stand-in/{name}:{SUITE}-{_digest(*inputs)}"
    if _image_exists(reference):
        return reference
    root = work_dir / f"{name}-rootfs"
    say(f"debootstrap {SUITE} with {', '.join(packages + apt_packages)} (for {reference})")
    subprocess.run(
        ["debootstrap", "--variant=minbase", f"--include={','.join(packages)}", SUITE, str(root), MIRROR],
        check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    if apt_packages:
        subprocess.run(
            ["chroot", str(root), "apt-get", "install", "-y", "--no-install-recommends", *apt_packages],
            check=True, stdout=subprocess.DEVNULL, env={"DEBIAN_FRONTEND": "noninteractive", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"},
        )  # fmt: skip
    if ca_bundle:
        (root / "etc/ssl/certs/ca-certificates.crt").write_bytes(ca_bundle)
    for cache in ("var/cache/apt/archives", "var/lib/apt/lists"):
        shutil.rmtree(root / cache, ignore_errors=True)
    say(f"docker import {reference}")
    changes = ["--change", 'CMD ["/bin/bash"]']
    if ca_bundle:  # pip and npm use their own CA lists unless told otherwise
        changes += ["--change", "ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt"]
        changes += ["--change", "ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt"]
    tar = subprocess.Popen(["tar", "-C", str(root), "-c", "."], stdout=subprocess.PIPE)
    subprocess.run(
        ["docker", "import", *changes, "-", reference], stdin=tar.stdout, check=True, stdout=subprocess.DEVNULL
    )
    if tar.wait() != 0:
        raise RuntimeError(f"tar of {root} failed")
    shutil.rmtree(root, ignore_errors=True)
    return reference


def _files_digest(folder: Path) -> bytes:
    return b"".join(p.name.encode() + p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file())


def _dockerfile_image(name: str, base: str, extra_context: dict[str, Path], work_dir: Path) -> str:
    """stand_ins/<name>/ built FROM `base`, with folders copied into the context under the given names."""
    source = STAND_INS / name
    extras = b"".join(
        n.encode() + b"".join(sorted(p.name.encode() for p in d.iterdir())) for n, d in extra_context.items()
    )
    reference = f"vtn-stand-in/{name}:{_digest(base.encode(), _files_digest(source), extras)}"
    if _image_exists(reference):
        return reference
    context = work_dir / f"{name}-context"
    shutil.copytree(source, context)
    for folder_name, folder in extra_context.items():
        shutil.copytree(folder, context / folder_name, ignore=shutil.ignore_patterns(".*"))
    say(f"docker build {reference}")
    subprocess.run(
        ["docker", "build", "--quiet", "--build-arg", f"BASE_IMAGE={base}", "-t", reference, str(context)],
        check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    shutil.rmtree(context, ignore_errors=True)
    return reference


def ensure_stand_in_images(work_dir: Path | None = None) -> StandInImages:
    """Build whatever stand-in is not in the Docker engine yet (the first time: a few minutes)."""
    with tempfile.TemporaryDirectory(prefix="vtn-stand-ins-", dir=work_dir) as scratch:
        work = Path(scratch)
        python = _debootstrap_image("python", PYTHON_PACKAGES, work)
        node = _debootstrap_image("node", NODE_PACKAGES, work, NODE_APT_PACKAGES)
        debian = _debootstrap_image("debian", DEBIAN_PACKAGES, work)
        services = _debootstrap_image("services", SERVICE_PACKAGES, work)
        kafka = _dockerfile_image("kafka", services, {"jars": ensure_kafka_classpath()}, work)
        postgres = _dockerfile_image("postgres", services, {}, work)
    return StandInImages(python=python, node=node, debian=debian, kafka=kafka, postgres=postgres)
