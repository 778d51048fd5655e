"""A single-node Apache Kafka broker (KRaft, broker and controller in one JVM) on loopback.

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
from pathlib import Path

from devstack.processes import ManagedProcess, ProcessExitedError, kill_recorded, port_is_free, tail

__all__ = [
    "KAFKA_VERSION",
    "KafkaBroker",
    "KafkaError",
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
        self._process: ManagedProcess | None = None

    @property
    def bootstrap_servers(self) -> str:
        return f"{self.host}:{self.port}"

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
        return {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.voters": f"1@{controller}",
            "controller.listener.names": "CONTROLLER",
            "listeners": f"PLAINTEXT://{self.host}:{self.port},CONTROLLER://{controller}",
            "advertised.listeners": f"PLAINTEXT://{self.host}:{self.port}",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
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
        for port in (self.port, self.controller_port):
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
            self._process.wait_for_port(self.host, self.port, timeout)
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
