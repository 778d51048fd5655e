"""Child processes owned by the devstack or by a test fixture: start, watch, pause, stop.

By default a ManagedProcess runs in a session (process group) of its own: a Ctrl-C at the terminal then
reaches only its owner, which stops the children in a chosen order, and every signal sent by the owner
reaches the whole group the child may have forked.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import IO

from devstack.console import echo_line

__all__ = [
    "ManagedProcess",
    "ProcessExitedError",
    "kill_recorded",
    "pid_alive",
    "port_accepts",
    "stop_all",
    "port_is_free",
    "tail",
    "wait_for_port",
]


class ProcessExitedError(RuntimeError):
    """A process ended while its owner was waiting for it to become ready."""


def pid_alive(pid: int) -> bool:
    """Whether process `pid` runs: it exists and is not a zombie (a killed process whose parent, perhaps
    init, has not reaped it yet is dead already)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat.rsplit(")", 1)[-1].split()[:1] != ["Z"]


def port_accepts(host: str, port: int, timeout: float = 0.5) -> bool:
    """Whether something accepts TCP connections on host:port right now."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def port_is_free(host: str, port: int) -> bool:
    """Whether a server could listen on host:port (nothing else is bound to it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def wait_for_port(
    host: str,
    port: int,
    timeout: float,
    *,
    alive: Callable[[], bool] | None = None,
    interval: float = 0.1,
) -> None:
    """Wait until host:port accepts TCP connections.

    Raises TimeoutError after `timeout` seconds, or ProcessExitedError as soon as `alive()` turns false.
    """
    deadline = time.monotonic() + timeout
    while not port_accepts(host, port):
        if alive is not None and not alive():
            raise ProcessExitedError(f"process exited before {host}:{port} accepted connections")
        if time.monotonic() >= deadline:
            raise TimeoutError(f"{host}:{port} did not accept connections within {timeout:.0f} s")
        time.sleep(interval)


def tail(path: Path, lines: int = 40) -> str:
    """The last lines of a text file, or a note that there is none."""
    try:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - 64 * 1024))
            text = handle.read().decode("utf-8", errors="replace")
    except FileNotFoundError:
        return f"(no log at {path})"
    return "\n".join(text.splitlines()[-lines:])


def kill_recorded(pid_file: Path, timeout: float = 10.0) -> None:
    """SIGKILL the process recorded in `pid_file` by a ManagedProcess whose owner died without stopping it.

    Only a live process with exactly the recorded command line is killed, with its process group; the
    pid file goes in any case.
    """
    try:
        pid_text, argv_text = pid_file.read_text().split("\n", 1)
        pid, argv = int(pid_text), json.loads(argv_text)
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (FileNotFoundError, ValueError):
        pid_file.unlink(missing_ok=True)
        return
    if cmdline.split(b"\0")[:-1] == [arg.encode() for arg in argv]:
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + timeout
        while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
    pid_file.unlink(missing_ok=True)


class ManagedProcess:
    """One long-running child process.

    Output (stdout and stderr together) is appended to `log_path` when given, and also echoed to the
    console prefixed with `name` when `echo` is true; with neither, the child inherits the terminal.
    With `new_session` false the child stays in its owner's process group (it then gets the terminal's
    Ctrl-C itself, as pytest should) and signals go to the child alone. With `pid_file`, the pid and
    command line are recorded there while the process runs, so that a later owner can clean up after
    one that crashed (kill_recorded).
    """

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        env: Mapping[str, str] | None = None,
        log_path: Path | None = None,
        *,
        cwd: Path | None = None,
        echo: bool = False,
        new_session: bool = True,
        pid_file: Path | None = None,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.env = dict(env) if env is not None else None
        self.log_path = log_path
        self.cwd = cwd
        self.echo = echo
        self.new_session = new_session
        self.pid_file = pid_file
        self._proc: subprocess.Popen[bytes] | None = None
        self._pump: threading.Thread | None = None

    def __repr__(self) -> str:
        return f"ManagedProcess({self.name!r}, pid={self.pid}, running={self.is_running()})"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    @property
    def returncode(self) -> int | None:
        """The exit status once the process has ended (negative: killed by that signal)."""
        return self._proc.poll() if self._proc is not None else None

    def start(self) -> None:
        """Start the process; a process that is still running is an error, one that ended restarts."""
        if self.is_running():
            raise RuntimeError(f"{self.name} is already running (pid {self.pid})")
        log: IO[bytes] | None = None
        if self.log_path is not None:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            log = self.log_path.open("ab", buffering=0)
            stamp = time.strftime("%Y-%m-%d %H:%M:%S")
            log.write(f"--- {stamp} start: {' '.join(self.argv)}\n".encode())
        piped = self.echo
        stdout: int | IO[bytes] | None = subprocess.PIPE if piped else log
        try:
            self._proc = subprocess.Popen(
                self.argv,
                env=self.env,
                cwd=self.cwd,
                stdin=subprocess.DEVNULL,
                stdout=stdout,
                stderr=subprocess.STDOUT if stdout is not None else None,
                start_new_session=self.new_session,
            )
        except BaseException:
            if log is not None:
                log.close()
            raise
        if self.pid_file is not None:
            self.pid_file.parent.mkdir(parents=True, exist_ok=True)
            self.pid_file.write_text(f"{self._proc.pid}\n{json.dumps(self.argv)}")
        if piped:
            assert self._proc.stdout is not None
            self._pump = threading.Thread(
                target=self._pump_output, args=(self._proc.stdout, log), name=f"output-{self.name}", daemon=True
            )
            self._pump.start()
        elif log is not None:
            log.close()  # the child holds its own copy of the descriptor

    def _pump_output(self, source: IO[bytes], log: IO[bytes] | None) -> None:
        try:
            console = True
            for raw in iter(source.readline, b""):
                if log is not None:
                    log.write(raw)
                if console:
                    try:
                        echo_line(self.name, raw.decode("utf-8", errors="replace"))
                    except OSError:  # the terminal went away: keep draining the pipe into the log
                        console = False
        finally:
            source.close()
            if log is not None:
                log.close()

    def is_running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def wait(self, timeout: float | None = None) -> int:
        """Wait for the process to end and return its exit status (subprocess.TimeoutExpired on timeout)."""
        if self._proc is None:
            raise RuntimeError(f"{self.name} was never started")
        code = self._proc.wait(timeout)
        if self._pump is not None:
            self._pump.join(timeout=2)
        return code

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Send `sig` to the process (to its whole group when it has a session of its own)."""
        if self._proc is None or self._proc.poll() is not None:
            return
        try:
            if self.new_session:
                os.killpg(self._proc.pid, sig)
            else:
                os.kill(self._proc.pid, sig)
        except ProcessLookupError:
            pass

    def pause(self) -> None:
        """Freeze the process (SIGSTOP), e.g. to simulate a hung broker; resume() thaws it."""
        self.kill(signal.SIGSTOP)

    def resume(self) -> None:
        self.kill(signal.SIGCONT)

    def stop(self, timeout: float = 10.0, *, sig: int = signal.SIGTERM) -> int | None:
        """Ask the process to end with `sig`, SIGKILL it after `timeout` s; return its exit status."""
        self.request_stop(sig)
        return self.await_stop(timeout)

    def request_stop(self, sig: int = signal.SIGTERM) -> None:
        """Send `sig` once, and SIGCONT: a paused process would hold the signal pending forever."""
        self.kill(sig)
        self.kill(signal.SIGCONT)

    def await_stop(self, timeout: float) -> int | None:
        """Wait up to `timeout` s for the end asked by request_stop(), then SIGKILL; return the exit status."""
        if self._proc is None:
            return None
        try:
            self._proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill(signal.SIGKILL)
            self._proc.wait()
        if self._pump is not None:
            self._pump.join(timeout=2)
        if self.pid_file is not None:
            self.pid_file.unlink(missing_ok=True)
        return self._proc.returncode

    def wait_for_port(self, host: str, port: int, timeout: float) -> None:
        """Wait until host:port accepts connections; ProcessExitedError if this process ends first."""
        wait_for_port(host, port, timeout, alive=self.is_running)

    def log_tail(self, lines: int = 40) -> str:
        return tail(self.log_path, lines) if self.log_path is not None else "(output not logged)"


def stop_all(processes: Sequence[ManagedProcess], timeout: float = 10.0) -> None:
    """Stop several processes at once: SIGTERM to all, then SIGKILL whatever outlives one shared timeout."""
    for process in processes:
        process.request_stop()
    deadline = time.monotonic() + timeout
    for process in processes:
        process.await_stop(max(0.0, deadline - time.monotonic()))
