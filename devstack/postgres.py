"""A throwaway PostgreSQL 15 cluster from Debian's packages, owned by the devstack or by a test fixture.

When run as root the server runs as the `postgres` user (PostgreSQL refuses root), so the cluster folder
must be reachable by that user: `usable_base_dir` picks a folder under /tmp when the preferred one is not.

Given `PostgresTls`, the server also speaks TLS (`ssl=on`) with that certificate, and checks the client
certificate a client presents against the CA. Authentication stays `trust` for every loopback connection, TLS
or not, so clients that do not ask for TLS are served as before.
"""

from __future__ import annotations

import hashlib
import os
import pwd
import shlex
import shutil
import signal
import stat
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from devstack.console import say
from devstack.debian import apt_install
from devstack.processes import pid_alive, port_is_free, tail

__all__ = ["PG_BIN", "PostgresCluster", "PostgresError", "PostgresTls", "ensure_postgres_installed", "usable_base_dir"]

PG_BIN = Path("/usr/lib/postgresql/15/bin")
_SERVER_USER = "postgres"
_SOCKET_PATH_LIMIT = 100  # sun_path holds 107 bytes; keep room for ".s.PGSQL.<port>"


class PostgresError(RuntimeError):
    """The cluster could not be initialised, started or stopped; the message carries the server log."""


def ensure_postgres_installed(bin_dir: Path = PG_BIN) -> None:
    """Install postgresql-15 unless present, and stop the default cluster the package may start on 5432."""
    if (bin_dir / "postgres").exists():
        return
    apt_install(["postgresql-15"])
    subprocess.run(["pg_ctlcluster", "15", "main", "stop"], check=False, capture_output=True)


def _runs_as_postgres() -> bool:
    return os.geteuid() == 0


def _reachable_by(path: Path, uid: int, gids: set[int]) -> bool:
    """Whether user uid can traverse every existing folder above path."""
    for folder in path.parents:
        try:
            mode = folder.stat()
        except FileNotFoundError:
            continue
        if mode.st_uid == uid:
            allowed = mode.st_mode & stat.S_IXUSR
        elif mode.st_gid in gids:
            allowed = mode.st_mode & stat.S_IXGRP
        else:
            allowed = mode.st_mode & stat.S_IXOTH
        if not allowed:
            return False
    return True


def usable_base_dir(preferred: Path) -> Path:
    """`preferred` if the server user can reach it and its socket path fits, else a stable folder in /tmp."""
    preferred = preferred.resolve()
    fits = len(str(preferred / "sock" / ".s.PGSQL.65535")) <= _SOCKET_PATH_LIMIT
    if _runs_as_postgres():
        user = pwd.getpwnam(_SERVER_USER)
        gids = {user.pw_gid, *os.getgrouplist(_SERVER_USER, user.pw_gid)}
        if fits and _reachable_by(preferred, user.pw_uid, gids):
            return preferred
    elif fits:
        return preferred
    digest = hashlib.sha256(str(preferred).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"vtn-devstack-pg-{digest}"


@dataclass(frozen=True)
class PostgresTls:
    """The server's certificate and key, and the CA it checks client certificates against (all PEM)."""

    cert_path: Path
    key_path: Path
    ca_path: Path


def _is_zombie(pid: int) -> bool:
    return Path(f"/proc/{pid}").exists() and not pid_alive(pid)


class PostgresCluster:
    """One PostgreSQL cluster in `base_dir` (data/, sock/), listening on host:port over TCP.

    start() initialises the cluster on first use and creates `database`; stop() keeps the data, so a
    later start() brings the same cluster back; destroy() stops it if needed and removes the folder.
    """

    def __init__(
        self,
        base_dir: Path,
        port: int = 5433,
        *,
        database: str = "vtn",
        host: str = "127.0.0.1",
        log_path: Path | None = None,
        bin_dir: Path = PG_BIN,
        fsync: bool = False,
        tls: PostgresTls | None = None,
    ) -> None:
        self.base_dir = base_dir.resolve()
        self.port = port
        self.database = database
        self.host = host
        self.log_path = (log_path or self.base_dir / "postgres.log").resolve()
        self.bin_dir = bin_dir
        self.fsync = fsync  # off by default: the data is thrown away, and it makes tests faster
        self.tls = tls

    @property
    def data_dir(self) -> Path:
        return self.base_dir / "data"

    @property
    def socket_dir(self) -> Path:
        return self.base_dir / "sock"

    @property
    def tls_dir(self) -> Path:
        return self.base_dir / "tls"

    @property
    def url(self) -> str:
        return f"postgresql://postgres@{self.host}:{self.port}/{self.database}"

    def _command(self, tool: str, *args: str) -> list[str]:
        argv = [str(self.bin_dir / tool), *args]
        return ["runuser", "-u", _SERVER_USER, "--", *argv] if _runs_as_postgres() else argv

    def _run(self, tool: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        # cwd "/": the server user may not be able to read the caller's working folder.
        return subprocess.run(
            self._command(tool, *args), cwd="/", capture_output=True, text=True, timeout=timeout, check=False
        )

    def _hand_to_server_user(self, path: Path) -> None:
        if _runs_as_postgres():
            user = pwd.getpwnam(_SERVER_USER)
            os.chown(path, user.pw_uid, user.pw_gid)

    def _fail(self, action: str, result: subprocess.CompletedProcess[str] | None = None) -> PostgresError:
        output = f"{result.stdout}{result.stderr}".strip() if result is not None else ""
        return PostgresError(
            f"postgres: {action} failed\n{output}\n--- tail of {self.log_path}:\n{tail(self.log_path)}"
        )

    def is_initialized(self) -> bool:
        return (self.data_dir / "PG_VERSION").exists()

    def is_running(self) -> bool:
        # pg_ctl status counts a killed postmaster that is not reaped yet (a zombie) as running
        if not self.is_alive():
            return False
        return self._run("pg_ctl", "-D", str(self.data_dir), "status").returncode == 0

    def is_alive(self) -> bool:
        """A cheap liveness check (no subprocess): the postmaster's pid runs."""
        pid = self._postmaster_pid()
        return pid is not None and pid_alive(pid)

    def initialize(self) -> None:
        self.base_dir.mkdir(parents=True, exist_ok=True)
        self.base_dir.chmod(0o700)
        self._hand_to_server_user(self.base_dir)
        result = self._run(
            "initdb", "-D", str(self.data_dir), "-U", "postgres", "-A", "trust", "-E", "UTF8",
            "--locale=C.UTF-8", "--no-sync",
        )  # fmt: skip
        if result.returncode != 0:
            raise self._fail("initdb", result)

    def start(self, timeout: float = 60) -> None:
        """Start the server (initialising the cluster first if needed) and make sure `database` exists."""
        if self.is_running():
            return
        self._await_reaped_postmaster()
        if not self.is_initialized():
            self.initialize()
        if not port_is_free(self.host, self.port):
            raise PostgresError(f"postgres: port {self.host}:{self.port} is already in use")
        self.socket_dir.mkdir(exist_ok=True)
        self._hand_to_server_user(self.socket_dir)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.log_path.touch()
        self._hand_to_server_user(self.log_path)
        options = f"-p {self.port} -k {self.socket_dir} -c listen_addresses={self.host}"
        if not self.fsync:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        if self.tls is not None:
            options += " " + " ".join(f"-c {shlex.quote(f'{k}={v}')}" for k, v in self._tls_settings().items())
        result = self._run(
            "pg_ctl", "-D", str(self.data_dir), "-l", str(self.log_path), "-w", "-t", str(int(timeout)),
            "-o", options, "start", timeout=timeout + 10,
        )  # fmt: skip
        if result.returncode != 0:
            raise self._fail("pg_ctl start", result)
        self._ensure_database()

    def _tls_settings(self) -> dict[str, str]:
        """Copy the TLS files where the server user owns them (it refuses a key others can read)."""
        assert self.tls is not None
        self.tls_dir.mkdir(exist_ok=True)
        self._hand_to_server_user(self.tls_dir)
        copies = {
            "ssl_cert_file": (self.tls.cert_path, "server.crt"),
            "ssl_key_file": (self.tls.key_path, "server.key"),
            "ssl_ca_file": (self.tls.ca_path, "ca.crt"),
        }
        settings = {"ssl": "on"}
        for setting, (source, name) in copies.items():
            copy = self.tls_dir / name
            shutil.copyfile(source, copy)
            copy.chmod(0o600)
            self._hand_to_server_user(copy)
            settings[setting] = str(copy)
        return settings

    def _psql(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self._run(
            "psql", "-h", str(self.socket_dir), "-p", str(self.port), "-U", "postgres", "-d", "postgres",
            "-v", "ON_ERROR_STOP=1", "-tA", *args,
        )  # fmt: skip

    def _ensure_database(self) -> None:
        query = f"SELECT 1 FROM pg_database WHERE datname = '{self.database}'"
        found = self._psql("-c", query)
        if found.returncode != 0:
            raise self._fail("looking up the database", found)
        if found.stdout.strip() == "1":
            return
        created = self._psql("-c", f'CREATE DATABASE "{self.database}"')
        if created.returncode != 0:
            raise self._fail(f"CREATE DATABASE {self.database}", created)

    def stop(self, mode: str = "fast", timeout: float = 60) -> None:
        """Stop the server (modes: smart, fast, immediate); the data stays for a later start()."""
        if not self.is_running():
            return
        self._thaw()
        result = self._run(
            "pg_ctl", "-D", str(self.data_dir), "-m", mode, "-w", "-t", str(int(timeout)), "stop",
            timeout=timeout + 10,
        )  # fmt: skip
        if result.returncode != 0:
            raise self._fail(f"pg_ctl stop -m {mode}", result)

    def _await_reaped_postmaster(self, timeout: float = 10.0) -> None:
        """Wait for a killed postmaster to be reaped: until then the new one takes it for a live server
        holding the data folder and refuses to start."""
        pid = self._postmaster_pid()
        deadline = time.monotonic() + timeout
        while pid is not None and _is_zombie(pid) and time.monotonic() < deadline:
            time.sleep(0.1)

    def _postmaster_pid(self) -> int | None:
        try:
            return int((self.data_dir / "postmaster.pid").read_text().split()[0])
        except (FileNotFoundError, IndexError, ValueError):
            return None

    def pause(self) -> None:
        """Freeze the server and its backends (SIGSTOP to its process group): connections hang."""
        self._signal_group(signal.SIGSTOP)

    def resume(self) -> None:
        self._signal_group(signal.SIGCONT)

    def _signal_group(self, sig: int) -> None:
        pid = self._postmaster_pid()
        if pid is None:
            raise PostgresError("postgres: not running")
        # pg_ctl starts the postmaster with setsid(), so its backends share its process group.
        os.killpg(pid, sig)

    def _thaw(self) -> None:
        """SIGCONT a server that pause() froze: a frozen server cannot shut down."""
        pid = self._postmaster_pid()
        if pid is not None:
            try:
                os.killpg(pid, signal.SIGCONT)
            except (ProcessLookupError, PermissionError):
                pass

    def destroy(self) -> None:
        """Stop the server if it runs (even one left by a crashed owner) and remove the cluster folder."""
        if self.is_running():
            try:
                self.stop(mode="immediate")
            except PostgresError as error:
                say(str(error))
        shutil.rmtree(self.base_dir, ignore_errors=True)
