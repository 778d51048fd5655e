"""`python -m devstack run|test|up|bootstrap`: wires the venv, the servers and the VTN's processes.

- run:       Kafka + PostgreSQL, topic provisioning, migrations, then every service and the gateway,
             supervised until Ctrl-C/SIGTERM: a process that crashes is started again with backoff
             (devstack.supervisor) until one crash-loops (exit 1). --keep-data (VTN_DEVSTACK_KEEP_DATA=1)
             keeps Kafka's and PostgreSQL's data for the next run.
- test:      Kafka + PostgreSQL on the test ports, then pytest (PYTEST_ARGS, default -q, or the
             arguments after `test`); exits with pytest's status.
- up:        Kafka + PostgreSQL only, supervised the same way, until Ctrl-C; prints the variables to export.
- bootstrap: only make sure .venv exists and matches requirements-dev.txt (which includes requirements.txt).
- certs:     a development CA, the VTN's RSA and ECC certificates and VEN certificates, with the settings
             that turn on HTTPS, client certificates and signed messages (devstack/certs.py).
- image-test: the Docker image built and run with docker compose, an OpenLEADR VEN against it
             (devstack/image_test.py); needs root for dockerd and debootstrap.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from devstack.bootstrap import ensure_venv
from devstack.config import StackConfig, keep_data_requested
from devstack.console import say, shout
from devstack.console_assets import ensure_browser, ensure_console_assets
from devstack.kafka import KafkaError
from devstack.postgres import PostgresError
from devstack.processes import ManagedProcess, kill_recorded, port_accepts, port_is_free, stop_all
from devstack.restart_policy import RestartPolicy
from devstack.signals import SignalGuard, StopRequested
from devstack.stack import Infrastructure
from devstack.stack_tls import StackTlsError
from devstack.supervisor import CrashLoop, Supervisor

__all__ = ["main"]

SERVICES = ("registration_svc", "presence_svc", "event_svc", "report_svc", "gateway", "gateway.push", "gateway.xmpp")
# The order of VTN_DEVSTACK_HEALTH_PORT's ports (the gateway serves its probes on its admin port).
HEALTH_PORT_ORDER = ("registration_svc", "presence_svc", "event_svc", "report_svc", "gateway.push", "gateway.xmpp")
# Development VENs (and test push VENs) listen on this machine: let the pusher reach loopback, unless the
# operator of `make run` chose otherwise (production refuses loopback in VTN_PUSH_ALLOWED_NETWORKS).
DEVELOPMENT_PUSH_NETWORKS = "127.0.0.0/8,::1"
SETUP_STEPS = (("provision", "shared.bus.provision"), ("migrate", "shared.db.migrate"))
_STEP_TIMEOUT = 300.0
_GATEWAY_TIMEOUT = 120.0
_PYTEST_NO_TESTS = 5
_CHECK_INTERVAL = 0.25


class StackFailed(Exception):
    """Something the stack needs failed; the message says what and where to look."""


def _run_setup_step(name: str, argv: Sequence[str], env: dict[str, str], config: StackConfig) -> None:
    started = time.monotonic()
    step = ManagedProcess(name, argv, env, config.log_dir / f"{name}.log", cwd=config.repo_root, echo=True)
    step.start()
    try:
        code = step.wait(_STEP_TIMEOUT)
    except subprocess.TimeoutExpired:
        step.stop(timeout=5)
        raise StackFailed(f"{name} did not finish in {_STEP_TIMEOUT:.0f} s") from None
    except BaseException:
        step.stop(timeout=5)
        raise
    if code != 0:
        raise StackFailed(f"{name} ({' '.join(argv[1:])}) failed with status {code}")
    say(f"{name} done in {time.monotonic() - started:.1f} s")


def _service_ports(config: StackConfig) -> tuple[int, int, dict[str, int]]:
    """The gateway's OpenADR and admin ports, and each service's health port when VTN_DEVSTACK_HEALTH_PORT is set."""
    http_port = int(os.environ.get("VTN_HTTP_PORT", "8080"))
    admin_port = int(os.environ.get("VTN_ADMIN_PORT", "8081"))
    base = config.service_health_port
    if base is None and os.environ.get("VTN_HEALTH_PORT"):
        raise StackFailed("VTN_HEALTH_PORT would give all four services one port: set VTN_DEVSTACK_HEALTH_PORT instead")
    health = {name: base + i for i, name in enumerate(HEALTH_PORT_ORDER)} if base is not None else {}
    return http_port, admin_port, health


def _check_ports_free(config: StackConfig, ports: dict[str, int]) -> None:
    for variable, port in ports.items():
        if not port_is_free(config.host, port):
            raise StackFailed(f"port {config.host}:{port} is already in use (change it with {variable})")


def _serve(
    config: StackConfig, infra: Infrastructure, python: Path, owned: list[ManagedProcess], supervisor: Supervisor
) -> None:
    pid_dir = config.state_dir / "pids"
    for name in SERVICES:
        kill_recorded(pid_dir / f"{name}.pid")  # left running by a devstack that was killed outright
    http_port, admin_port, health_ports = _service_ports(config)
    _check_ports_free(
        config,
        {
            "VTN_HTTP_PORT": http_port,
            "VTN_ADMIN_PORT": admin_port,
            **{f"VTN_DEVSTACK_HEALTH_PORT, {name}'s": port for name, port in health_ports.items()},
        },
    )
    infra.start()
    supervisor.watch(infra.supervised())
    env = {"VTN_PUSH_ALLOWED_NETWORKS": DEVELOPMENT_PUSH_NETWORKS, **infra.env(), **infra.xmpp_settings()}
    for name, module in SETUP_STEPS:
        _run_setup_step(name, [str(python), "-m", module], env, config)
    for name in SERVICES:
        process_env = {**env, "VTN_HEALTH_PORT": str(health_ports[name])} if name in health_ports else env
        process = ManagedProcess(
            name,
            [str(python), "-m", name],
            process_env,
            config.log_dir / f"{name}.log",
            cwd=config.repo_root,
            echo=True,
            pid_file=pid_dir / f"{name}.pid",
        )
        owned.append(process)
        process.start()
        supervisor.watch([process])

    deadline = time.monotonic() + _GATEWAY_TIMEOUT
    while not port_accepts(config.host, http_port):
        supervisor.check()
        if time.monotonic() > deadline:
            raise StackFailed(f"the gateway did not open {config.host}:{http_port} in {_GATEWAY_TIMEOUT:.0f} s")
        time.sleep(0.2)
    scheme = "https" if os.environ.get("VTN_HTTP_CERT") or os.environ.get("VTN_HTTP_ECC_CERT") else "http"
    data = f"kept in {config.state_dir / 'data'}" if config.keep_data else "throwaway (KEEP=1 keeps it)"
    print(
        f"\n  VTN running at {scheme}://{config.host}:{http_port}/OpenADR2/Simple/2.0b"
        f"\n  admin API at http://{config.host}:{admin_port}/docs"
        f"\n  XMPP server at {infra.xmpp.address} (STARTTLS, certificates of {infra.tls.ca}), VTN at {infra.xmpp.vtn_address}"
        f"\n  logs in {config.log_dir}; restarts counted in {supervisor.status_path}"
        f"\n  data {data}; Ctrl-C stops everything\n",
        flush=True,
    )
    while True:
        supervisor.check()
        time.sleep(_CHECK_INTERVAL)


def _supervisor(config: StackConfig) -> Supervisor:
    return Supervisor(RestartPolicy(), status_path=config.state_dir / "status.json")


def _end_supervision(supervisor: Supervisor) -> None:
    """Once everything stopped: say what crashed during the run; the status file described a live run."""
    crashed = {name: count for name, count in supervisor.crashes().items() if count}
    if crashed:
        say("crashes during this run: " + ", ".join(f"{name} {count}" for name, count in crashed.items()))
    if supervisor.status_path is not None:
        supervisor.status_path.unlink(missing_ok=True)


def cmd_run(config: StackConfig, guard: SignalGuard) -> int:
    infra = Infrastructure(config)
    owned: list[ManagedProcess] = []
    supervisor = _supervisor(config)
    try:
        guard.arm()
        python = ensure_venv(config.repo_root)
        ensure_console_assets(config.repo_root)
        _serve(config, infra, python, owned, supervisor)
        return 0  # not reached: _serve returns only by raising
    except StopRequested as stop:
        say(f"{stop} received: stopping")
        return 0
    except (StackFailed, CrashLoop, KafkaError, PostgresError, StackTlsError) as error:
        shout(f"{error}\nstopping everything")
        return 1
    finally:
        guard.disarm()
        stop_all(list(reversed(owned)), timeout=10)
        shutil.rmtree(config.state_dir / "pids", ignore_errors=True)
        infra.stop()
        _end_supervision(supervisor)


def _watch_pytest(pytest: ManagedProcess, guard: SignalGuard) -> int:
    """Wait for pytest; a SIGTERM/SIGHUP becomes a SIGINT so pytest still runs its fixtures' teardown.

    A terminal's Ctrl-C reaches pytest directly (same process group), so SIGINT is not forwarded.
    """
    forwarded_at: float | None = None
    while pytest.is_running():
        if guard.received not in (None, signal.SIGINT) and forwarded_at is None:
            pytest.kill(signal.SIGINT)
            forwarded_at = time.monotonic()
        if forwarded_at is not None and time.monotonic() - forwarded_at > 60:
            pytest.kill(signal.SIGKILL)
        time.sleep(0.1)
    return pytest.wait()


def cmd_test(config: StackConfig, guard: SignalGuard, pytest_args: Sequence[str]) -> int:
    infra = Infrastructure(config)
    pytest: ManagedProcess | None = None
    try:
        guard.arm()
        python = ensure_venv(config.repo_root)
        ensure_console_assets(config.repo_root)
        ensure_browser()
        infra.start()
        guard.disarm()
        argv = [str(python), "-m", "pytest", *pytest_args]
        say(f"running {shlex.join(argv[1:])}")
        pytest = ManagedProcess("pytest", argv, infra.env(), cwd=config.repo_root, new_session=False)
        pytest.start()
        code = _watch_pytest(pytest, guard)
        if code == _PYTEST_NO_TESTS:
            shout("pytest collected no tests (status 5): counted as a failure")
        elif code != 0:
            say(f"pytest exited with status {code}")
        if guard.received is not None and code == 0:
            return 128 + guard.received
        return code
    except StopRequested as stop:
        say(f"{stop} received: stopping")
        return 128 + stop.signum
    except (KafkaError, PostgresError, StackTlsError) as error:
        shout(str(error))
        return 1
    finally:
        guard.disarm()
        if pytest is not None:
            pytest.stop(timeout=10, sig=signal.SIGINT)
        infra.stop()


def cmd_up(config: StackConfig, guard: SignalGuard) -> int:
    infra = Infrastructure(config)
    supervisor = _supervisor(config)
    try:
        guard.arm()
        infra.start()
        supervisor.watch(infra.supervised())
        env = infra.env()
        exports = "\n".join(
            f"  export {name}={shlex.quote(env[name])}"
            for name in ("PYTHONPATH", "VTN_KAFKA_BOOTSTRAP", "VTN_DATABASE_URL", "VTN_DEVSTACK_KAFKA_CLASSPATH")
        )
        secured = "\n".join(f"  export {name}={shlex.quote(value)}" for name, value in infra.secured_settings().items())
        print(
            f"\nKafka and PostgreSQL are up; Ctrl-C stops them. For another shell:\n{exports}\n"
            f"\nOr, to reach them as a managed Kafka and PostgreSQL (SASL_SSL with SCRAM, verified TLS):\n{secured}\n",
            flush=True,
        )
        while True:
            supervisor.check()
            time.sleep(_CHECK_INTERVAL)
    except StopRequested as stop:
        say(f"{stop} received: stopping")
        return 0
    except (CrashLoop, KafkaError, PostgresError, StackTlsError) as error:
        shout(str(error))
        return 1
    finally:
        guard.disarm()
        infra.stop()
        _end_supervision(supervisor)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run the whole VTN locally")
    keep_help = "keep Kafka's and PostgreSQL's data for the next run (VTN_DEVSTACK_KEEP_DATA=1)"
    run.add_argument("--keep-data", action="store_true", help=keep_help)
    test = commands.add_parser("test", help="run pytest against a throwaway Kafka and PostgreSQL")
    test.add_argument("pytest_args", nargs=argparse.REMAINDER, help="default: $PYTEST_ARGS, else -q")
    up = commands.add_parser("up", help="start only Kafka and PostgreSQL")
    up.add_argument("--profile", choices=("run", "test"), default="run", help="which ports and folder (run)")
    up.add_argument("--keep-data", action="store_true", help="with --profile run: the data `run --keep-data` keeps")
    commands.add_parser("bootstrap", help="create or refresh .venv")
    commands.add_parser("certs", help="development CA, VTN and VEN certificates (options: --dir DIR, --ven NAME)")
    commands.add_parser("image-test", help="build the image, run it with docker compose, connect an OpenLEADR VEN")
    arguments = list(sys.argv[1:] if argv is None else argv)
    in_venv = {"certs": "devstack.certs", "image-test": "devstack.image_test"}
    if arguments[:1] and arguments[0] in in_venv:  # they need packages of the venv; their options are their own
        python = ensure_venv()
        module = in_venv[arguments[0]]
        return subprocess.call([str(python), "-m", module, *arguments[1:]], cwd=Path(__file__).resolve().parent.parent)
    args = parser.parse_args(arguments)

    if args.command == "bootstrap":
        ensure_venv()
        return 0
    guard = SignalGuard()
    guard.install()
    if args.command == "run":
        keep_data = args.keep_data or keep_data_requested()
        return cmd_run(dataclasses.replace(StackConfig.from_env("run"), keep_data=keep_data), guard)
    if args.command == "test":
        pytest_args = [arg for arg in args.pytest_args if arg != "--"] or shlex.split(
            os.environ.get("PYTEST_ARGS") or "-q"
        )
        return cmd_test(StackConfig.from_env("test"), guard, pytest_args)
    if args.profile == "test" and args.keep_data:
        parser.error("--keep-data goes with --profile run: test data is always throwaway")
    keep_data = args.profile == "run" and (args.keep_data or keep_data_requested())
    return cmd_up(dataclasses.replace(StackConfig.from_env(args.profile), keep_data=keep_data), guard)


if __name__ == "__main__":
    sys.exit(main())
