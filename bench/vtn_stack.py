"""The whole VTN as a benchmark target: Kafka, PostgreSQL, topic provisioning, migrations, every service
and the gateway, started and stopped by the benchmark itself on ports of its own.

    python -m bench.poll_bench --target-factory bench.vtn_stack:full_stack_targets --vens 100,1000

Its CPU figure counts every process of the stack (gateway, services, the Kafka JVM and the PostgreSQL
server with its backends), so it compares with OpenLEADR's single process on equal terms.

    python -m bench.poll_bench --secure --target-factory bench.vtn_stack:secure_full_stack_targets ...

`secure_full_stack_targets` runs the same stack with the security profile on, configured as the secure
OpenLEADR baseline is (`bench.openleadr_vtn --certs`): HTTPS with the RSA certificate of `bench.bench_certs`,
client certificates of its CA required, every answer signed with the same RSA key, VEN signatures verified
and required, nonces in PostgreSQL (the default, shared by gateway instances).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from bench.bench_certs import bench_certificates, certificates_dir
from bench.targets import BASE_PATH, LOOPBACK, Target
from devstack.config import REPO_ROOT, StackConfig
from devstack.processes import ManagedProcess
from devstack.stack import Infrastructure
from devstack.xmpp_server import XmppServer

SERVICES = ("registration_svc", "presence_svc", "event_svc", "report_svc", "gateway", "gateway.push")
XMPP_CONNECTOR = "gateway.xmpp"
HTTP_PORT = int(os.environ.get("VTN_BENCH_HTTP_PORT", "8180"))
ADMIN_PORT = HTTP_PORT + 1
# Below Linux's ephemeral range (32768-60999): a client's source port must never take the broker's port.
KAFKA_PORT = int(os.environ.get("VTN_BENCH_KAFKA_PORT", "30092"))
PG_PORT = int(os.environ.get("VTN_BENCH_PG_PORT", "30433"))
KAFKA_BOOTSTRAP = f"{LOOPBACK}:{KAFKA_PORT}"


def _descendants(root_pid: int) -> list[int]:
    """A process and all its descendants, from /proc (PostgreSQL forks a backend per connection)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [root_pid]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def _wait_until_ready(ports: list[int], timeout: float) -> None:
    """Wait until `/readyz` answers 200 on each port (the services' health ports, the gateway's admin port)."""
    deadline = time.monotonic() + timeout
    for port in ports:
        while True:
            try:
                with urllib.request.urlopen(f"http://{LOOPBACK}:{port}/readyz", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"/readyz on port {port} not ready after {timeout:.0f} s")
            time.sleep(0.5)


def gateway_http_port(replica: int) -> int:
    """The OpenADR port of gateway replica `replica` (0 is the usual one; each replica's admin port is next)."""
    return HTTP_PORT if replica == 0 else HTTP_PORT + 18 + 2 * replica


class FullStack:
    """The stack; with `xmpp_vens_ca`, also serving XMPP: the XMPP connector runs beside the pusher and the
    stack's XMPP server (devstack's Prosody, always started) accepts client certificates of that CA too."""

    def __init__(
        self,
        log_dir: Path,
        extra_env: dict[str, str] | None = None,
        gateways: int = 1,
        report_services: int = 1,
        xmpp_vens_ca: Path | None = None,
    ) -> None:
        config = StackConfig.from_env(
            "run",
            {
                **os.environ,
                "VTN_DEVSTACK_KAFKA_PORT": str(KAFKA_PORT),
                "VTN_DEVSTACK_PG_PORT": str(PG_PORT),
                "VTN_DEVSTACK_DIR": os.environ.get("VTN_BENCH_DIR", ".devstack/bench"),
            },
        )
        self._infrastructure = Infrastructure(config, () if xmpp_vens_ca is None else (xmpp_vens_ca,))
        self._xmpp = xmpp_vens_ca is not None
        self._log_dir = log_dir
        self._processes: list[ManagedProcess] = []
        self._extra_env = extra_env or {}
        self._gateways = gateways
        self._report_services = report_services

    def _env(self) -> dict[str, str]:
        return {
            **self._infrastructure.env(),
            "VTN_HTTP_PORT": str(HTTP_PORT),
            "VTN_ADMIN_PORT": str(ADMIN_PORT),
            "VTN_ENVIRONMENT": "development",
            # every simulated VEN connects from 127.0.0.1 and holds a connection: over plain HTTP no certificate
            # tells them apart, and a bench may run more VENs than one production gateway holds
            "VTN_HTTP_MAX_CONNECTIONS": "100000",
            "VTN_HTTP_MAX_CONNECTIONS_PER_ADDRESS": "100000",
            **(self._infrastructure.xmpp_settings() if self._xmpp else {}),
            **self._extra_env,
        }

    def start(self) -> None:
        self._infrastructure.start()
        env = self._env()
        for module in ("shared.bus.provision", "shared.db.migrate"):
            subprocess.run([sys.executable, "-m", module], env=env, cwd=REPO_ROOT, check=True, capture_output=True)
        services = (*SERVICES, XMPP_CONNECTOR) if self._xmpp else SERVICES
        for index, name in enumerate(services):
            # each service's health port beside the gateway's, clear of `make run`'s defaults (8091-8094)
            self._launch(name, name, {**env, "VTN_HEALTH_PORT": str(HTTP_PORT + 10 + index)})
        for replica in range(1, self._report_services):
            # more report_svc instances in the same consumer group: they share the partitions and the lanes
            self._launch(
                f"report_svc-{replica}", "report_svc", {**env, "VTN_HEALTH_PORT": str(HTTP_PORT + 40 + replica)}
            )
        for replica in range(1, self._gateways):
            # more gateway instances, as an operator scales them out: each reads its own reply partition
            port = gateway_http_port(replica)
            ports = {"VTN_HTTP_PORT": str(port), "VTN_ADMIN_PORT": str(port + 1)}
            self._launch(f"gateway-{replica}", "gateway", {**env, **ports})
        gateways = [p for p in self._processes if p.name == "gateway" or p.name.startswith("gateway-")]
        for index, process in enumerate(gateways):
            process.wait_for_port(LOOPBACK, gateway_http_port(index), timeout=90)
        # A service answers only once it joined its consumer groups: until then VENs would get 503.
        # The connector's once it logged in to the XMPP server.
        ready = [HTTP_PORT + 10 + index for index, name in enumerate(services) if name != "gateway"] + [ADMIN_PORT]
        _wait_until_ready(ready, timeout=120)

    def _launch(self, name: str, module: str, env: dict[str, str]) -> None:
        log_path = self._log_dir / f"vtn-{name}.log"
        process = ManagedProcess(name, [sys.executable, "-m", module], env, log_path, cwd=REPO_ROOT)
        process.start()
        self._processes.append(process)

    def stop(self) -> None:
        for process in reversed(self._processes):
            process.stop(timeout=20)
        self._processes.clear()
        self._infrastructure.stop()

    @property
    def xmpp_server(self) -> XmppServer:
        return self._infrastructure.xmpp

    @property
    def database_url(self) -> str:
        return self._infrastructure.postgres.url

    def pids(self) -> list[int]:
        roots = [p.pid for p in self._processes if p.pid is not None]
        kafka = self._infrastructure.kafka.process
        if kafka is not None and kafka.pid is not None:
            roots.append(kafka.pid)
        postmaster = self._infrastructure.postgres._postmaster_pid()  # noqa: SLF001 - only the bench needs it
        if postmaster is not None:
            roots.append(postmaster)
        prosody = self._infrastructure.xmpp.process
        if self._xmpp and prosody is not None and prosody.pid is not None:
            roots.append(prosody.pid)
        return [pid for root in roots for pid in _descendants(root)]


def _stack_target(name: str, scheme: str, stack: FullStack) -> Target:
    return Target(
        name=name,
        url=f"{scheme}://{LOOPBACK}:{HTTP_PORT}{BASE_PATH}",
        start=stack.start,
        stop=stack.stop,
        pids=stack.pids,
    )


def full_stack_targets(log_dir: Path) -> list[Target]:
    return [_stack_target("vtn-full-stack", "http", FullStack(log_dir))]


def secure_settings(certs_dir: Path) -> dict[str, str]:
    """The gateway's security settings for a secure benchmark run: the same certificates as OpenLEADR's."""
    certificates = bench_certificates(certs_dir, vens=0)
    return {
        "VTN_HTTP_CERT": str(certificates.vtn_cert),
        "VTN_HTTP_KEY": str(certificates.vtn_key),
        "VTN_HTTP_CA_FILE": str(certificates.ca_file),
        "VTN_CERT": str(certificates.vtn_cert),
        "VTN_KEY": str(certificates.vtn_key),
        "VTN_VERIFY_MESSAGE_SIGNATURES": "true",
        "VTN_REQUIRE_MESSAGE_SIGNATURES": "true",
        "VTN_SHOW_FINGERPRINT": "false",
    }


def secure_full_stack_targets(log_dir: Path) -> list[Target]:
    """The whole stack over HTTPS with client certificates and signed messages (certificates in log_dir/certs)."""
    stack = FullStack(log_dir, secure_settings(certificates_dir(log_dir)))
    return [_stack_target("vtn-full-stack-secure", "https", stack)]
