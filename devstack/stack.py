"""Kafka and PostgreSQL together, as one unit that `run`, `test` and `up` start and tear down.

Layout of the state folder: logs/ (kept after teardown, for reading), kafka/ and, when the `postgres`
user can reach it, postgres/ (both removed at teardown).
"""

from __future__ import annotations

import os
import shutil
import time

from devstack.config import StackConfig
from devstack.console import say
from devstack.debian import ensure_commands
from devstack.kafka import KafkaBroker, ensure_kafka_classpath
from devstack.postgres import PostgresCluster, ensure_postgres_installed, usable_base_dir

__all__ = ["Infrastructure"]


class Infrastructure:
    def __init__(self, config: StackConfig) -> None:
        self.config = config
        preferred = (config.state_dir / "postgres").resolve()
        pg_dir = usable_base_dir(preferred)
        self.postgres = PostgresCluster(
            pg_dir,
            config.pg_port,
            database=config.database,
            host=config.host,
            # the server writes its log itself, so only where the postgres user can reach
            log_path=config.log_dir / "postgres.log" if pg_dir == preferred else None,
        )
        self.kafka = KafkaBroker(
            config.state_dir / "kafka",
            config.kafka_port,
            config.kafka_controller_port,
            host=config.host,
            log_path=config.log_dir / "kafka.log",
        )

    def install_missing(self) -> None:
        ensure_commands({"java": "openjdk-17-jre-headless", "mvn": "maven", "runuser": "util-linux"})
        ensure_postgres_installed()

    def start(self) -> None:
        """Install what is missing, wipe what a previous run left, then start both servers from scratch."""
        self.install_missing()
        started = time.monotonic()
        self.kafka.classpath_dir = ensure_kafka_classpath(self.config.cache_dir)
        say(f"kafka jars ready in {time.monotonic() - started:.1f} s ({self.kafka.classpath_dir})")
        self._wipe()
        self.config.log_dir.mkdir(parents=True, exist_ok=True)

        started = time.monotonic()
        self.kafka.format()
        say(f"kafka storage formatted in {time.monotonic() - started:.1f} s")
        started = time.monotonic()
        self.kafka.start(wait=False)  # the JVM boots while PostgreSQL starts
        self.postgres.start()
        say(f"postgres ready at {self.postgres.url} in {time.monotonic() - started:.1f} s")
        self.kafka.wait_until_ready(timeout=60)
        say(f"kafka ready at {self.kafka.bootstrap_servers} in {time.monotonic() - started:.1f} s")

    def stop(self) -> None:
        """Stop Kafka then PostgreSQL and remove their data; logs/ stays."""
        for name, action in (("kafka", self.kafka.destroy), ("postgres", self.postgres.destroy)):
            try:
                action()
            except Exception as error:  # teardown goes on whatever one step did
                say(f"stopping {name} failed: {error}")
        say("kafka and postgres stopped, their data removed")

    def failure(self) -> str | None:
        """Why the stack is no longer usable, or None while both servers run."""
        if not self.kafka.is_running():
            process = self.kafka.process
            code = process.returncode if process is not None else None
            return f"kafka exited unexpectedly (status {code}); see {self.kafka.log_path}"
        if not self.postgres.is_alive():
            return f"postgres exited unexpectedly; see {self.postgres.log_path}"
        return None

    def _wipe(self) -> None:
        self.kafka.destroy()
        self.postgres.destroy()
        shutil.rmtree(self.config.state_dir, ignore_errors=True)

    def env(self) -> dict[str, str]:
        """The environment for the VTN's processes and the tests: the caller's, plus where things are."""
        return {
            **os.environ,
            "PYTHONPATH": str(self.config.repo_root),
            "PYTHONUNBUFFERED": "1",
            "VTN_KAFKA_BOOTSTRAP": self.kafka.bootstrap_servers,
            "VTN_DATABASE_URL": self.postgres.url,
            "VTN_DEVSTACK_LOG_DIR": str(self.config.log_dir),
            "VTN_DEVSTACK_ARTIFACTS_DIR": str(self.config.artifacts_dir),
            "VTN_DEVSTACK_KAFKA_CLASSPATH": str(self.kafka.classpath_dir or ""),
        }
