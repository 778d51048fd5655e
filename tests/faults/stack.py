"""A whole VTN of its own for the fault-injection suite: its own Kafka broker, PostgreSQL cluster and XMPP server
(started and stopped here, so they can be stopped and restarted mid-test), every service, the gateway, the
pusher and the XMPP connector.

It never touches the session stack of tests/integration: the broker, the cluster and every port are its
own, placed beside the ports `make test` uses (Kafka and PostgreSQL +50, so the XMPP server at the Kafka port
+54, HTTP and admin +20, health ports +70..+78), and its folder is `<VTN_DEVSTACK_DIR>/faults` (logs stay in `<that>/logs` after teardown).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

from devstack.config import StackConfig
from devstack.processes import ManagedProcess
from devstack.stack import Infrastructure
from tests.conftest import REPO_ROOT
from tests.integration.xmpp_ven import Server

# Processes by name, with the module each runs: report_svc runs twice, so its faults hit one of two instances
# sharing the work (two consumers of the report requests, two publishers of report data, each with its lanes).
PROCESSES = {
    "registration_svc": "registration_svc",
    "presence_svc": "presence_svc",
    "event_svc": "event_svc",
    "report_svc": "report_svc",
    "report_svc-2": "report_svc",
    "gateway": "gateway",
    "gateway.push": "gateway.push",  # the pusher: tests/faults/test_push_faults.py
    "gateway.xmpp": "gateway.xmpp",  # the XMPP connector: tests/faults/test_xmpp_faults.py
}
ADMIN_TOKEN = "faults-test-token"
REPLY_TIMEOUT_SECONDS = 4.0
POLL_INTERVAL_SECONDS = 1.0
INFRA_PORT_OFFSET = 50
HTTP_PORT_OFFSET = 20


class FaultStack:
    def __init__(self) -> None:
        base = StackConfig.from_env("test")
        self.config = replace(
            base,
            state_dir=base.state_dir / "faults",
            kafka_port=base.kafka_port + INFRA_PORT_OFFSET,
            kafka_controller_port=base.kafka_port + INFRA_PORT_OFFSET + 1,
            pg_port=base.pg_port + INFRA_PORT_OFFSET,
        )
        self.results_dir = base.state_dir  # outlives the stack's own folder, which start() wipes
        http_port = int(os.environ.get("VTN_TEST_HTTP_PORT", "18080")) + HTTP_PORT_OFFSET
        self.http_port = http_port
        self.admin_port = http_port + 1
        self.health_ports = {name: http_port + 50 + i for i, name in enumerate(PROCESSES) if name != "gateway"}
        self.infra = Infrastructure(self.config)
        self.processes: dict[str, ManagedProcess] = {}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}/OpenADR2/Simple/2.0b"

    @property
    def admin_url(self) -> str:
        return f"http://127.0.0.1:{self.admin_port}/api/v1"

    @property
    def kafka_bootstrap(self) -> str:
        return self.infra.kafka.bootstrap_servers

    @property
    def database_url(self) -> str:
        return self.infra.postgres.url

    def env(self) -> dict[str, str]:
        return {
            **self.infra.env(),
            **self.infra.xmpp_settings(),
            "VTN_HTTP_PORT": str(self.http_port),
            "VTN_ADMIN_PORT": str(self.admin_port),
            "VTN_ADMIN_TOKEN": ADMIN_TOKEN,
            "VTN_ENVIRONMENT": "development",
            "VTN_POLL_INTERVAL_SECONDS": str(POLL_INTERVAL_SECONDS),
            "VTN_OFFLINE_AFTER_MISSED_POLLS": "30",
            "VTN_PRESENCE_SWEEP_SECONDS": "1",
            "VTN_PRESENCE_FLUSH_SECONDS": "0.3",
            "VTN_REPLY_TIMEOUT_SECONDS": str(REPLY_TIMEOUT_SECONDS),
            "VTN_REPORT_POLICY": "telemetry",
            "VTN_REPORT_GRANULARITY_SECONDS": "60",
            "VTN_REPORT_BACK_DURATION_SECONDS": "60",
            "VTN_EVENT_REFRESH_SECONDS": "1",
            # push VENs listen on loopback (tests/faults/push_fleet.py); retries every second at most
            "VTN_PUSH_ALLOWED_NETWORKS": "127.0.0.0/8",
            "VTN_PUSH_RETRY_INITIAL_SECONDS": "0.2",
            "VTN_PUSH_RETRY_MAX_SECONDS": "1",
            "VTN_PUSH_TIMEOUT_SECONDS": "3",
            "VTN_PUSH_RESCAN_SECONDS": "5",
        }

    def start(self) -> None:
        self.infra.start()
        env = self.env()
        for module in ("shared.bus.provision", "shared.db.migrate"):
            result = subprocess.run(
                [sys.executable, "-m", module], env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=180
            )
            if result.returncode != 0:
                raise RuntimeError(f"{module} failed:\n{result.stdout}\n{result.stderr}")
        for name, module in PROCESSES.items():
            process_env = {**env, "VTN_HEALTH_PORT": str(self.health_ports[name])} if name in self.health_ports else env
            process = ManagedProcess(
                name, [sys.executable, "-m", module], process_env, self.config.log_dir / f"{name}.log", cwd=REPO_ROOT
            )
            process.start()
            self.processes[name] = process
        self.processes["gateway"].wait_for_port("127.0.0.1", self.http_port, timeout=90)

    def stop(self) -> None:
        for process in reversed(list(self.processes.values())):
            process.stop(timeout=20)
        self.processes.clear()
        self.infra.stop()

    # The faults. Each returns when the fault is over (the process runs again, the server is started).

    def kill_and_restart(self, name: str) -> None:
        process = self.processes[name]
        process.kill()
        process.await_stop(10)
        process.start()

    def pause(self, name: str, seconds: float) -> None:
        process = self.processes[name]
        process.pause()
        time.sleep(seconds)
        process.resume()

    def stop_kafka(self, seconds: float) -> None:
        self.infra.kafka.stop(timeout=20)
        time.sleep(seconds)
        self.infra.kafka.start(wait=True, timeout=120)

    def restart_xmpp_server(self, seconds: float) -> None:
        """Every XMPP session ends; VENs and the connector log in again once the server is back."""
        self.infra.xmpp.stop()
        time.sleep(seconds)
        self.infra.xmpp.start()

    def xmpp_server(self) -> Server:
        """Where the XMPP VENs of tests/faults/xmpp_fleet.py log in."""
        xmpp = self.infra.xmpp
        return Server((xmpp.host, xmpp.port), xmpp.vtn_address, self.infra.tls.directory)

    def stop_postgres(self, seconds: float) -> None:
        self.infra.postgres.stop(mode="fast")
        time.sleep(seconds)
        self.infra.postgres.start()

    def logs(self, lines: int = 15) -> str:
        return "\n".join(f"--- {n}\n{p.log_tail(lines)}" for n, p in self.processes.items())

    def log_dir(self) -> Path:
        return self.config.log_dir
