"""Throwaway TLS material for the devstack's secured Kafka listeners and its PostgreSQL, written at each start.

    ca.crt               the CA every certificate below chains to (the one clients are told to trust)
    other-ca.crt         a CA that signed nothing the servers present: a client trusting it must be refused
    kafka.crt/.key       the broker's certificate, for 127.0.0.1 and localhost (the advertised listeners)
    postgres.crt/.key    PostgreSQL's certificate, for the host name localhost only, so that reaching the
                         server as 127.0.0.1 with hostname verification on is refused
    client.crt/.key      a client certificate from the CA (Kafka's mTLS listener, PostgreSQL's client check)
    stranger.crt/.key    a client certificate from the other CA, which both servers refuse

The certificates come from devstack/certs.py, which needs `cryptography`: the devstack itself runs on the
system's python3, so `write_stack_tls` runs this module in the project's virtualenv. Never use these
outside development: the keys are unencrypted and the CAs are thrown away with the stack.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

__all__ = ["StackTls", "StackTlsError", "write_stack_tls"]


class StackTlsError(RuntimeError):
    """The TLS material could not be written; the message carries the generator's output."""


_LEAVES = ("kafka", "postgres", "client", "stranger")


@dataclass(frozen=True)
class StackTls:
    """Where the files of one stack's TLS material are (see the module doc)."""

    directory: Path

    def _path(self, name: str) -> Path:
        return self.directory / name

    @property
    def ca(self) -> Path:
        return self._path("ca.crt")

    @property
    def other_ca(self) -> Path:
        return self._path("other-ca.crt")

    @property
    def kafka_cert(self) -> Path:
        return self._path("kafka.crt")

    @property
    def kafka_key(self) -> Path:
        return self._path("kafka.key")

    @property
    def postgres_cert(self) -> Path:
        return self._path("postgres.crt")

    @property
    def postgres_key(self) -> Path:
        return self._path("postgres.key")

    @property
    def client_cert(self) -> Path:
        return self._path("client.crt")

    @property
    def client_key(self) -> Path:
        return self._path("client.key")

    @property
    def stranger_cert(self) -> Path:
        return self._path("stranger.crt")

    @property
    def stranger_key(self) -> Path:
        return self._path("stranger.key")

    def is_complete(self) -> bool:
        names = ("ca.crt", "other-ca.crt", *(f"{who}.{kind}" for who in _LEAVES for kind in ("crt", "key")))
        return all(self._path(name).exists() for name in names)


def generate(directory: Path) -> StackTls:
    """Write a fresh set into `directory` (needs `cryptography`)."""
    from devstack.certs import issue, make_ca

    _, ca_key, ca_cert = make_ca(directory / "ca", "VTN devstack CA")
    _, other_key, other_cert = make_ca(directory / "other-ca", "Some other CA")
    issue(directory / "kafka", "localhost", "ecc", ca_key, ca_cert, server=True)
    issue(directory / "postgres", "localhost", "ecc", ca_key, ca_cert, server=True, server_names=["localhost"])
    issue(directory / "client", "vtn", "ecc", ca_key, ca_cert, server=False)
    issue(directory / "stranger", "stranger", "ecc", other_key, other_cert, server=False)
    return StackTls(directory)


def write_stack_tls(directory: Path, python: Path) -> StackTls:
    """Write a fresh set into `directory` with `python` (an interpreter that has `cryptography`)."""
    result = subprocess.run(
        [str(python), "-m", "devstack.stack_tls", str(directory)],
        cwd=Path(__file__).resolve().parent.parent,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    tls = StackTls(directory)
    if result.returncode != 0 or not tls.is_complete():
        raise StackTlsError(f"writing the devstack's TLS material failed:\n{result.stdout}{result.stderr}")
    return tls


if __name__ == "__main__":
    generate(Path(sys.argv[1]).resolve())
