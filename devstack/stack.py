"""Kafka, PostgreSQL and the XMPP server together, as one unit that `run`, `test` and `up` start and tear down.

Layout of the state folder: logs/ (this run's; the previous run's move to logs.previous/), tls/ (the
servers' throwaway certificates, made anew by every start: devstack/stack_tls.py), and the servers' data. Throwaway data (the default) is in kafka/ and postgres/, removed at start and at teardown.
Kept data (`keep_data`, `make run KEEP=1`) is in data/kafka/ and data/postgres/: start() reuses the
cluster and the broker's log dirs when they exist, and teardown only stops the servers. PostgreSQL's
folder moves under /tmp when the `postgres` user cannot reach the state folder (devstack.postgres).

Kafka listens on PLAINTEXT for the VTN and the tests, and beside it on SASL_SSL and on SSL with client
certificates; PostgreSQL speaks TLS to clients that ask for it. `env()` tells the tests where those are. The
SCRAM user is created when the broker's storage is formatted, so kept data keeps its password too
(data/kafka-sasl-password). The XMPP server (Prosody, devstack.xmpp_server) keeps nothing: its folder xmpp/ is
made anew by every start; VENs and the VTN log in to it with certificates of the stack's CA (the VTN's is
tls/client.crt).
"""

from __future__ import annotations

import os
import secrets
import shutil
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from devstack.bootstrap import ensure_venv
from devstack.config import StackConfig
from devstack.console import say
from devstack.debian import ensure_commands
from devstack.kafka import KafkaBroker, SecuredListeners, ensure_kafka_classpath
from devstack.postgres import PostgresCluster, PostgresTls, ensure_postgres_installed, usable_base_dir
from devstack.stack_tls import StackTls, write_stack_tls
from devstack.supervisor import Supervised
from devstack.xmpp_server import XmppServer, XmppTls, ensure_prosody_installed

__all__ = ["SASL_USERNAME", "Infrastructure"]

SASL_USERNAME = "vtn"


class Infrastructure:
    def __init__(self, config: StackConfig, xmpp_client_cas: Sequence[Path] = ()) -> None:
        """`xmpp_client_cas`: more CAs whose client certificates the XMPP server accepts, beside the stack's
        (a benchmark's VEN certificates, kept between runs while the stack's CA is made anew at each start)."""
        self.config = config
        self.tls = StackTls(config.tls_dir)
        self._xmpp_client_cas = tuple(xmpp_client_cas)
        xmpp_client_ca = self.tls.directory / "xmpp-client-cas.crt" if self._xmpp_client_cas else self.tls.ca
        data_root = config.state_dir / "data" if config.keep_data else config.state_dir
        preferred = (data_root / "postgres").resolve()
        pg_dir = usable_base_dir(preferred)
        self._postgres_moved_from = preferred if pg_dir != preferred else None
        self.postgres = PostgresCluster(
            pg_dir,
            config.pg_port,
            database=config.database,
            host=config.host,
            # the server writes its log itself, so only where the postgres user can reach
            log_path=config.log_dir / "postgres.log" if pg_dir == preferred else None,
            fsync=config.keep_data,  # kept data must survive a power cut; throwaway data need not
            tls=PostgresTls(self.tls.postgres_cert, self.tls.postgres_key, self.tls.ca),
        )
        self.secured = SecuredListeners(
            sasl_ssl_port=config.kafka_sasl_ssl_port,
            ssl_port=config.kafka_ssl_port,
            cert_path=self.tls.kafka_cert,
            key_path=self.tls.kafka_key,
            ca_path=self.tls.ca,
            username=SASL_USERNAME,
            password=_sasl_password(data_root / "kafka-sasl-password" if config.keep_data else None),
        )
        self.kafka = KafkaBroker(
            data_root / "kafka",
            config.kafka_port,
            config.kafka_controller_port,
            host=config.host,
            log_path=config.log_dir / "kafka.log",
            secured=self.secured,
        )
        self.xmpp = XmppServer(
            config.state_dir / "xmpp",
            config.xmpp_port,
            XmppTls(self.tls.xmpp_cert, self.tls.xmpp_key, xmpp_client_ca, self.tls.client_cert),
            host=config.host,
            log_path=config.log_dir / "prosody.log",
        )

    def install_missing(self) -> None:
        ensure_commands({"java": "openjdk-17-jre-headless", "mvn": "maven", "runuser": "util-linux"})
        ensure_postgres_installed()
        ensure_prosody_installed()

    def start(self) -> None:
        """Install what is missing, clear what a previous run left (its throwaway data, servers it left
        running), then start both servers: on kept data when there is some, else from scratch."""
        self.install_missing()
        started = time.monotonic()
        self.kafka.classpath_dir = ensure_kafka_classpath(self.config.cache_dir)
        say(f"kafka jars ready in {time.monotonic() - started:.1f} s ({self.kafka.classpath_dir})")
        self._clear_previous_run()
        shutil.rmtree(self.tls.directory, ignore_errors=True)
        write_stack_tls(self.tls.directory, ensure_venv(self.config.repo_root))
        if self._xmpp_client_cas:
            trusted = [self.tls.ca, *self._xmpp_client_cas]
            self.xmpp.tls.client_ca_path.write_text("".join(ca.read_text() for ca in trusted))

        started = time.monotonic()
        if self.kafka.is_formatted():
            say(f"kafka: reusing the broker's data in {self.kafka.data_dir}")
        else:
            self.kafka.format()
            say(f"kafka storage formatted in {time.monotonic() - started:.1f} s")
        if self._postgres_moved_from is not None:
            say(f"postgres: the cluster is in {self.postgres.base_dir}, not {self._postgres_moved_from} (out of reach)")
        if self.postgres.is_initialized():
            say(f"postgres: reusing the cluster in {self.postgres.data_dir}")
        started = time.monotonic()
        self.kafka.start(wait=False)  # the JVM boots while PostgreSQL starts
        self.postgres.start()
        say(f"postgres ready at {self.postgres.url} in {time.monotonic() - started:.1f} s")
        self.xmpp.start()
        say(
            f"xmpp server ready at {self.xmpp.address} (domain {self.xmpp.domain}) in {time.monotonic() - started:.1f} s"
        )
        self.kafka.wait_until_ready(timeout=120)  # a loaded machine can take a minute to boot the JVM
        say(f"kafka ready at {self.kafka.bootstrap_servers} in {time.monotonic() - started:.1f} s")

    def stop(self) -> None:
        """Stop Kafka then PostgreSQL; remove their data unless it is kept. logs/ stays."""
        steps: tuple[tuple[str, Callable[[], None]], ...] = (
            (("kafka", self.kafka.stop), ("postgres", self.postgres.stop))
            if self.config.keep_data
            else (("kafka", self.kafka.destroy), ("postgres", self.postgres.destroy))
        ) + (("xmpp", self.xmpp.destroy),)
        for name, action in steps:
            try:
                action()
            except Exception as error:  # teardown goes on whatever one step did
                say(f"stopping {name} failed: {error}")
        shutil.rmtree(self.tls.directory, ignore_errors=True)
        if self.config.keep_data:
            say(f"kafka and postgres stopped, their data kept in {self.kafka.base_dir.parent}")
        else:
            say("kafka and postgres stopped, their data removed")

    def supervised(self) -> list[Supervised]:
        """Kafka and PostgreSQL as the supervisor watches them: a restart keeps their data."""
        return [_SupervisedKafka(self.kafka), _SupervisedPostgres(self.postgres), _SupervisedXmpp(self.xmpp)]

    def _clear_previous_run(self) -> None:
        if self.config.keep_data:
            self.postgres.stop()  # one left running by a devstack killed outright: restarted with our options
        else:
            self.kafka.destroy()
            self.postgres.destroy()
        self.xmpp.destroy()
        previous_logs = self.config.state_dir / "logs.previous"
        shutil.rmtree(previous_logs, ignore_errors=True)
        if self.config.log_dir.exists():
            self.config.log_dir.rename(previous_logs)
        self.config.log_dir.mkdir(parents=True, exist_ok=True)

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
            "VTN_DEVSTACK_KAFKA_SASL_SSL_BOOTSTRAP": f"{self.config.host}:{self.secured.sasl_ssl_port}",
            "VTN_DEVSTACK_KAFKA_SSL_BOOTSTRAP": f"{self.config.host}:{self.secured.ssl_port}",
            "VTN_DEVSTACK_KAFKA_SASL_USERNAME": self.secured.username,
            "VTN_DEVSTACK_KAFKA_SASL_PASSWORD": self.secured.password,
            "VTN_DEVSTACK_TLS_DIR": str(self.tls.directory),
            "VTN_DEVSTACK_XMPP_SERVER": self.xmpp.address,
            "VTN_DEVSTACK_XMPP_ADDRESS": self.xmpp.vtn_address,
        }

    def xmpp_settings(self) -> dict[str, str]:
        """The VTN's settings that serve XMPP through this stack's XMPP server: the connector logs in with the
        stack's client certificate, whose account is the VTN's address."""
        return {
            "VTN_XMPP_ADDRESS": self.xmpp.vtn_address,
            "VTN_XMPP_SERVER": self.xmpp.address,
            "VTN_XMPP_CLIENT_CERT": str(self.tls.client_cert),
            "VTN_XMPP_CLIENT_KEY": str(self.tls.client_key),
            "VTN_XMPP_CA_FILE": str(self.tls.ca),
        }

    def secured_settings(self) -> dict[str, str]:
        """The VTN's settings that reach this Kafka over SASL_SSL (SCRAM-SHA-512) and PostgreSQL over verified
        TLS (its certificate names localhost)."""
        return {
            "VTN_KAFKA_BOOTSTRAP": f"{self.config.host}:{self.secured.sasl_ssl_port}",
            "VTN_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
            "VTN_KAFKA_SSL_CA_FILE": str(self.tls.ca),
            "VTN_KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
            "VTN_KAFKA_SASL_USERNAME": self.secured.username,
            "VTN_KAFKA_SASL_PASSWORD": self.secured.password,
            "VTN_DATABASE_URL": self.postgres.url.replace(f"@{self.config.host}:", "@localhost:"),
            "VTN_DATABASE_SSL_CA_FILE": str(self.tls.ca),
        }


def _sasl_password(kept_in: Path | None) -> str:
    """A new random password, or for kept data the one its broker's SCRAM user was created with."""
    if kept_in is None:
        return secrets.token_hex(16)
    if kept_in.exists():
        return kept_in.read_text().strip()
    kept_in.parent.mkdir(parents=True, exist_ok=True)
    password = secrets.token_hex(16)
    kept_in.write_text(password)
    kept_in.chmod(0o600)
    return password


class _SupervisedKafka:
    """The broker as the supervisor sees it: started again on the same log dirs, without waiting for it."""

    name = "kafka"

    def __init__(self, broker: KafkaBroker) -> None:
        self._broker = broker

    @property
    def log_path(self) -> Path:
        return self._broker.log_path

    @property
    def returncode(self) -> int | None:
        process = self._broker.process
        return process.returncode if process is not None else None

    def is_running(self) -> bool:
        return self._broker.is_running()

    def start(self) -> None:
        self._broker.start(wait=False)


class _SupervisedPostgres:
    """The cluster as the supervisor sees it: alive while its postmaster is; started again on the same data."""

    name = "postgres"

    def __init__(self, cluster: PostgresCluster) -> None:
        self._cluster = cluster

    @property
    def log_path(self) -> Path:
        return self._cluster.log_path

    @property
    def returncode(self) -> int | None:
        return None  # the postmaster is pg_ctl's child, not ours: its status is not ours to read

    def is_running(self) -> bool:
        return self._cluster.is_alive()

    def start(self) -> None:
        self._cluster.start()


class _SupervisedXmpp:
    """The XMPP server as the supervisor sees it: started again (it keeps nothing; clients log in again)."""

    name = "xmpp"

    def __init__(self, server: XmppServer) -> None:
        self._server = server

    @property
    def log_path(self) -> Path:
        return self._server.log_path

    @property
    def returncode(self) -> int | None:
        process = self._server.process
        return process.returncode if process is not None else None

    def is_running(self) -> bool:
        return self._server.is_running()

    def start(self) -> None:
        self._server.start()
