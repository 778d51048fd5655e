"""Local development stack: the real Kafka and PostgreSQL without containers, and the VTN's processes.

For test fixtures:

    from devstack import KafkaBroker, ManagedProcess, PostgresCluster

    broker = KafkaBroker(tmp_path / "kafka", port=29092, controller_port=29093)
    broker.start()            # formats on first start; stop() + start() keeps topics and offsets
    cluster = PostgresCluster(tmp_path / "pg", port=25433)
    cluster.start()           # initdb on first start, creates database "vtn"
    svc = ManagedProcess("event_svc", [sys.executable, "-m", "event_svc"], env, tmp_path / "event_svc.log")
    svc.start(); svc.pause(); svc.resume(); svc.stop(timeout=10)

The command line (`python -m devstack run|test|up|bootstrap`) lives in devstack.cli.
"""

from devstack.kafka import KafkaBroker, KafkaError, ensure_kafka_classpath, new_cluster_id
from devstack.postgres import PostgresCluster, PostgresError, usable_base_dir
from devstack.processes import (
    ManagedProcess,
    ProcessExitedError,
    port_accepts,
    port_is_free,
    stop_all,
    tail,
    wait_for_port,
)

__all__ = [
    "KafkaBroker",
    "KafkaError",
    "ManagedProcess",
    "PostgresCluster",
    "PostgresError",
    "ProcessExitedError",
    "ensure_kafka_classpath",
    "new_cluster_id",
    "port_accepts",
    "port_is_free",
    "stop_all",
    "tail",
    "usable_base_dir",
    "wait_for_port",
]
