"""A throwaway Prosody (Debian's package) as the XMPP server of `make run` and `make test`.

It runs deploy/xmpp/prosody.cfg.lua, the file the container uses, with the project's Prosody modules
(deploy/xmpp/mod_*.lua): clients log in with their certificate only (SASL EXTERNAL, the account is the
certificate's OpenADR fingerprint), over STARTTLS on `port`, for the domain `domain`; the VTN's account is
the fingerprint of `vtn_certificate`. Its state lives in `base_dir`, removed by destroy(). As root it runs
as root (development only: the container runs it as the prosody user).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import ssl
from dataclasses import dataclass
from pathlib import Path

from devstack.debian import ensure_commands
from devstack.processes import ManagedProcess, ProcessExitedError, kill_recorded, port_is_free, tail

__all__ = ["PROSODY_CONFIG", "XmppServer", "XmppServerError", "XmppTls", "ensure_prosody_installed", "xmpp_account"]

PROSODY_CONFIG = Path(__file__).resolve().parent.parent / "deploy" / "xmpp" / "prosody.cfg.lua"


class XmppServerError(RuntimeError):
    """The XMPP server could not be started; the message carries its log."""


def ensure_prosody_installed() -> None:
    ensure_commands({"prosody": "prosody"})


def xmpp_account(certificate_pem: str) -> str:
    """The account a certificate logs in to: its OpenADR fingerprint as 20 lower-case hex digits."""
    der = ssl.PEM_cert_to_DER_cert(certificate_pem.strip() + "\n")
    return hashlib.sha256(der).hexdigest()[-20:]


@dataclass(frozen=True)
class XmppTls:
    """The server's certificate and key for the domain, the CA of client certificates, the VTN's certificate."""

    cert_path: Path
    key_path: Path
    client_ca_path: Path
    vtn_certificate_path: Path


class XmppServer:
    def __init__(
        self,
        base_dir: Path,
        port: int,
        tls: XmppTls,
        *,
        domain: str = "localhost",
        host: str = "127.0.0.1",
        log_path: Path | None = None,
    ) -> None:
        self.base_dir = base_dir.resolve()
        self.port = port
        self.tls = tls
        self.domain = domain
        self.host = host
        self.log_path = (log_path or self.base_dir / "prosody.log").resolve()
        self._process: ManagedProcess | None = None

    @property
    def vtn_address(self) -> str:
        """The VTN's bare JID on this server."""
        return f"{xmpp_account(self.tls.vtn_certificate_path.read_text())}@{self.domain}"

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def _pid_file(self) -> Path:
        return self.base_dir / "prosody.pid"

    @property
    def process(self) -> ManagedProcess | None:
        return self._process

    def _environment(self) -> dict[str, str]:
        return {
            **os.environ,
            "OPENADR_XMPP_DOMAIN": self.domain,
            "OPENADR_XMPP_VTN": self.vtn_address,
            "OPENADR_XMPP_INTERFACE": self.host,
            "OPENADR_XMPP_PORT": str(self.port),
            "OPENADR_XMPP_CERT": str(self.tls.cert_path),
            "OPENADR_XMPP_KEY": str(self.tls.key_path),
            "OPENADR_XMPP_CLIENT_CA": str(self.tls.client_ca_path),
            "OPENADR_XMPP_DATA": str(self.base_dir / "data"),
            "OPENADR_XMPP_PLUGINS": str(PROSODY_CONFIG.parent),
            "OPENADR_XMPP_LOG": str(self.log_path),
            "OPENADR_XMPP_RUN_AS_ROOT": "1" if os.geteuid() == 0 else "0",
        }

    def start(self, timeout: float = 30) -> None:
        if self.is_running():
            return
        kill_recorded(self._pid_file)
        if not port_is_free(self.host, self.port):
            raise XmppServerError(f"xmpp: port {self.host}:{self.port} is already in use")
        (self.base_dir / "data").mkdir(parents=True, exist_ok=True)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        prosody = shutil.which("prosody")
        if prosody is None:
            raise XmppServerError("prosody not found on PATH (Debian package: prosody)")
        self._process = ManagedProcess(
            "prosody",
            [prosody, "-F", "--config", str(PROSODY_CONFIG)],
            self._environment(),
            log_path=self.base_dir / "prosody.out",
            cwd=self.base_dir,
            pid_file=self._pid_file,
        )
        self._process.start()
        try:
            self._process.wait_for_port(self.host, self.port, timeout)
        except (TimeoutError, ProcessExitedError) as error:
            self._process.stop(timeout=5)
            logs = f"{tail(self.base_dir / 'prosody.out')}\n{tail(self.log_path)}"
            raise XmppServerError(f"xmpp: {error}; the server said:\n{logs}") from error

    def is_running(self) -> bool:
        return self._process is not None and self._process.is_running()

    def stop(self, timeout: float = 10.0) -> None:
        if self._process is not None:
            self._process.stop(timeout)

    def kill(self) -> None:
        if self._process is not None:
            self._process.stop(timeout=0, sig=signal.SIGKILL)

    def destroy(self) -> None:
        """Stop the server (even one left by a crashed owner) and remove its folder."""
        self.stop()
        kill_recorded(self._pid_file)
        shutil.rmtree(self.base_dir, ignore_errors=True)
