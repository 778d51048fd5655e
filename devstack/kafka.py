"""A single-node Apache Kafka broker (KRaft, broker and controller in one JVM) on loopback.

Clients reach it over PLAINTEXT on `port`. Given `SecuredListeners`, it also listens on SASL_SSL (SCRAM-SHA-256,
SCRAM-SHA-512 and PLAIN for one user, whose SCRAM credentials the storage tool writes at format time) and on
SSL with a client certificate required (mTLS); its TLS key and certificates are PEM files, which Kafka 4
reads as they are.

The broker's jars are resolved once by Maven from `kafka-pom.xml` into a cache folder outside the work
tree; a marker file holding the pom's hash says the folder is complete, so a warm start skips Maven.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import os
import secrets
import shutil
import signal
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from devstack.processes import ManagedProcess, ProcessExitedError, kill_recorded, port_is_free, tail

__all__ = [
    "KAFKA_VERSION",
    "KafkaBroker",
    "KafkaError",
    "SecuredListeners",
    "default_cache_dir",
    "ensure_kafka_classpath",
    "new_cluster_id",
]

KAFKA_VERSION = "4.3.1"
POM = Path(__file__).with_name("kafka-pom.xml")
_MARKER = ".complete"


class KafkaError(RuntimeError):
    """The classpath could not be fetched, or the broker could not be formatted or started."""


def default_cache_dir(environ: Mapping[str, str] = os.environ) -> Path:
    """`$VTN_CACHE_DIR`, else ~/.cache/vtn-devstack."""
    configured = environ.get("VTN_CACHE_DIR")
    return Path(configured) if configured else Path.home() / ".cache" / "vtn-devstack"


def ensure_kafka_classpath(cache_dir: Path | None = None) -> Path:
    """The folder holding the broker's jars, fetched with Maven on first use; safe to call concurrently."""
    cache_dir = (cache_dir or default_cache_dir()).resolve()
    target = cache_dir / f"kafka-{KAFKA_VERSION}"
    expected = hashlib.sha256(POM.read_bytes()).hexdigest()
    marker = target / _MARKER
    if marker.exists() and marker.read_text().strip() == expected:
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    with (cache_dir / f".kafka-{KAFKA_VERSION}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another devstack may be fetching the same jars
        if marker.exists() and marker.read_text().strip() == expected:
            return target
        partial = cache_dir / f".kafka-{KAFKA_VERSION}.partial"
        shutil.rmtree(partial, ignore_errors=True)
        log_path = cache_dir / f"kafka-{KAFKA_VERSION}-fetch.log"
        if shutil.which("mvn") is None:
            raise KafkaError("mvn not found on PATH (Debian package: maven)")
        with log_path.open("w") as log:
            result = subprocess.run(
                [
                    "mvn", "-B", "-q", "-ntp", "-Dstyle.color=never", "-f", str(POM),
                    "dependency:copy-dependencies", "-DincludeScope=runtime", f"-DoutputDirectory={partial}",
                ],
                cwd=cache_dir, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, check=False,
            )  # fmt: skip
        if result.returncode != 0 or not any(partial.glob(f"kafka_2.13-{KAFKA_VERSION}.jar")):
            raise KafkaError(f"fetching the Kafka jars with Maven failed; tail of {log_path}:\n{tail(log_path)}")
        shutil.rmtree(target, ignore_errors=True)
        partial.rename(target)
        marker.write_text(expected + "\n")
    return target


def new_cluster_id() -> str:
    """A KRaft cluster id: 16 random bytes, URL-safe base64 without padding."""
    return base64.urlsafe_b64encode(secrets.token_bytes(16)).rstrip(b"=").decode()


_LOG4J2 = """\
status = warn
appender.console.type = Console
appender.console.name = STDOUT
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = {level}
rootLogger.appenderRef.stdout.ref = STDOUT
logger.raftserver.name = kafka.server.KafkaRaftServer
logger.raftserver.level = info
"""


SCRAM_MECHANISMS = ("SCRAM-SHA-256", "SCRAM-SHA-512")
_SCRAM_LOGIN = "org.apache.kafka.common.security.scram.ScramLoginModule required;"


@dataclass(frozen=True)
class SecuredListeners:
    """The broker's SASL_SSL and mTLS listeners: their ports, its TLS files and the one SASL user."""

    sasl_ssl_port: int
    ssl_port: int
    cert_path: Path  # the broker's certificate (PEM)
    key_path: Path  # its private key (PEM, PKCS#8, unencrypted)
    ca_path: Path  # the CA client certificates on the mTLS listener must chain to
    username: str
    password: str

    def properties(self, keystore: Path) -> dict[str, str]:
        plain_login = (
            f'org.apache.kafka.common.security.plain.PlainLoginModule required user_{self.username}="{self.password}";'
        )
        return {
            "ssl.keystore.type": "PEM",
            "ssl.keystore.location": str(keystore),
            "ssl.truststore.type": "PEM",
            "ssl.truststore.location": str(self.ca_path),
            "listener.name.ssl.ssl.client.auth": "required",
            "listener.name.sasl_ssl.sasl.enabled.mechanisms": ",".join((*SCRAM_MECHANISMS, "PLAIN")),
            **{f"listener.name.sasl_ssl.{m.lower()}.sasl.jaas.config": _SCRAM_LOGIN for m in SCRAM_MECHANISMS},
            "listener.name.sasl_ssl.plain.sasl.jaas.config": plain_login,
        }

    def listeners(self, host: str) -> dict[str, str]:
        """Listener name -> host:port (each named after its security protocol)."""
        return {"SASL_SSL": f"{host}:{self.sasl_ssl_port}", "SSL": f"{host}:{self.ssl_port}"}

    def scram_arguments(self) -> list[str]:
        """The storage tool's arguments that create the user's SCRAM credentials."""
        return [f"--add-scram={m}=[name={self.username},password={self.password}]" for m in SCRAM_MECHANISMS]


class KafkaBroker:
    """One broker+controller node in `base_dir` (config, data/, tmp/), clients on host:port.

    start() formats the storage on first use; stop() keeps the data, so a later start() brings the same
    cluster back (topics, committed offsets); destroy() stops the broker and removes the folder.
    """

    def __init__(
        self,
        base_dir: Path,
        port: int = 9092,
        controller_port: int = 9093,
        *,
        classpath_dir: Path | None = None,
        host: str = "127.0.0.1",
        log_path: Path | None = None,
        num_partitions: int = 4,
        heap_options: Sequence[str] = ("-Xms256m", "-Xmx512m"),
        log_level: str = "WARN",
        extra_properties: Mapping[str, str] | None = None,
        secured: SecuredListeners | None = None,
    ) -> None:
        self.base_dir = base_dir.resolve()
        self.port = port
        self.controller_port = controller_port
        self.classpath_dir = classpath_dir
        self.host = host
        self.log_path = (log_path or self.base_dir / "kafka.log").resolve()
        self.num_partitions = num_partitions
        self.heap_options = list(heap_options)
        self.log_level = log_level
        self.extra_properties = dict(extra_properties or {})
        self.secured = secured
        self._process: ManagedProcess | None = None

    @property
    def bootstrap_servers(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def keystore_path(self) -> Path:
        """The broker's key and certificate in one PEM file, as Kafka's PEM key store wants them."""
        return self.base_dir / "keystore.pem"

    @property
    def client_ports(self) -> list[int]:
        secured = [self.secured.sasl_ssl_port, self.secured.ssl_port] if self.secured is not None else []
        return [self.port, *secured]

    @property
    def data_dir(self) -> Path:
        return self.base_dir / "data"

    @property
    def properties_path(self) -> Path:
        return self.base_dir / "server.properties"

    @property
    def _pid_file(self) -> Path:
        return self.base_dir / "kafka.pid"

    @property
    def process(self) -> ManagedProcess | None:
        return self._process

    def _properties(self) -> dict[str, str]:
        controller = f"{self.host}:{self.controller_port}"
        client_listeners = {"PLAINTEXT": f"{self.host}:{self.port}"}
        secured: dict[str, str] = {}
        if self.secured is not None:
            client_listeners.update(self.secured.listeners(self.host))
            secured = self.secured.properties(self.keystore_path)
        advertised = ",".join(f"{name}://{address}" for name, address in client_listeners.items())
        return {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.voters": f"1@{controller}",
            "controller.listener.names": "CONTROLLER",
            "listeners": f"{advertised},CONTROLLER://{controller}",
            "advertised.listeners": advertised,
            "inter.broker.listener.name": "PLAINTEXT",
            # each client listener is named after its protocol; the controller's is plain (loopback only)
            "listener.security.protocol.map": ",".join(
                [*(f"{n}:{n}" for n in client_listeners), "CONTROLLER:PLAINTEXT"]
            ),
            **secured,
            "log.dirs": str(self.data_dir),
            "num.partitions": str(self.num_partitions),
            "offsets.topic.replication.factor": "1",
            "offsets.topic.num.partitions": "1",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "share.coordinator.state.topic.replication.factor": "1",
            "share.coordinator.state.topic.min.isr": "1",
            "group.initial.rebalance.delay.ms": "0",
            "num.network.threads": "2",
            "num.io.threads": "2",
            "log.cleaner.dedupe.buffer.size": "2097152",
            **self.extra_properties,
        }

    def _write_config(self) -> None:
        self.base_dir.mkdir(parents=True, exist_ok=True)
        (self.base_dir / "tmp").mkdir(exist_ok=True)
        lines = [f"{key}={value}" for key, value in self._properties().items()]
        self.properties_path.write_text("\n".join(lines) + "\n")
        self.properties_path.chmod(0o600)  # it holds the SASL user's password
        if self.secured is not None:
            self.keystore_path.write_text(self.secured.key_path.read_text() + self.secured.cert_path.read_text())
            self.keystore_path.chmod(0o600)
        (self.base_dir / "log4j2.properties").write_text(_LOG4J2.format(level=self.log_level))

    def _java(self, main_class: str, *args: str, heap: Sequence[str]) -> list[str]:
        java = shutil.which("java")
        if java is None:
            raise KafkaError("java not found on PATH (Debian package: openjdk-17-jre-headless)")
        classpath_dir = self.classpath_dir or ensure_kafka_classpath()
        return [
            java, *heap,
            f"-Djava.io.tmpdir={self.base_dir / 'tmp'}",
            f"-Dlog4j2.configurationFile={self.base_dir / 'log4j2.properties'}",
            "-cp", f"{classpath_dir}/*", main_class, *args,
        ]  # fmt: skip

    def is_formatted(self) -> bool:
        return (self.data_dir / "meta.properties").exists()

    def format(self) -> None:
        """Format the storage with a new cluster id (only ever needed once per data folder)."""
        self._write_config()
        argv = self._java(
            # "=" form: an id may start with "-", which the tool would take for an option.
            "kafka.tools.StorageTool", "format", f"--cluster-id={new_cluster_id()}", "-c", str(self.properties_path),
            *(self.secured.scram_arguments() if self.secured is not None else []),
            heap=["-Xmx256m"],
        )  # fmt: skip
        result = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
        if result.returncode != 0:
            raise KafkaError(f"kafka storage format failed:\n{result.stdout}{result.stderr}")

    def start(self, timeout: float = 60, *, wait: bool = True) -> None:
        """Start the broker (formatting first if needed); with `wait`, return once clients can connect."""
        if self.is_running():
            return
        kill_recorded(self._pid_file)  # a broker left running on this folder by an owner that died
        if not self.is_formatted():
            self.format()
        self._write_config()
        for port in (*self.client_ports, self.controller_port):
            if not port_is_free(self.host, port):
                raise KafkaError(f"kafka: port {self.host}:{port} is already in use")
        self._process = ManagedProcess(
            "kafka",
            self._java("kafka.Kafka", str(self.properties_path), heap=self.heap_options),
            log_path=self.log_path,
            cwd=self.base_dir,
            pid_file=self._pid_file,
        )
        self._process.start()
        if wait:
            self.wait_until_ready(timeout)

    def wait_until_ready(self, timeout: float = 60) -> None:
        """Wait for the client port to accept connections; on failure stop the broker, raise with its log."""
        if self._process is None:
            raise KafkaError("kafka: not started")
        try:
            for port in self.client_ports:
                self._process.wait_for_port(self.host, port, timeout)
        except (TimeoutError, ProcessExitedError) as error:
            self._process.stop(timeout=5)
            raise KafkaError(f"kafka: {error}; tail of {self.log_path}:\n{tail(self.log_path)}") from error

    def is_running(self) -> bool:
        return self._process is not None and self._process.is_running()

    def stop(self, timeout: float = 10.0) -> None:
        """Controlled shutdown (SIGTERM), SIGKILL after `timeout` s; the data stays for a later start()."""
        if self._process is not None:
            self._process.stop(timeout)

    def kill(self) -> None:
        """Crash the broker (SIGKILL): the next start() recovers its logs as after a power cut."""
        if self._process is not None:
            self._process.stop(timeout=0, sig=signal.SIGKILL)

    def pause(self) -> None:
        """Freeze the broker (SIGSTOP): connections stay open but nothing answers; resume() thaws it."""
        if self._process is not None:
            self._process.pause()

    def resume(self) -> None:
        if self._process is not None:
            self._process.resume()

    def destroy(self) -> None:
        """Stop the broker (even one left by a crashed owner) and remove its folder."""
        self.stop()
        kill_recorded(self._pid_file)
        shutil.rmtree(self.base_dir, ignore_errors=True)
