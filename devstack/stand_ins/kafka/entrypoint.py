"""Start a single Kafka node from KAFKA_* environment variables, as the apache/kafka image does.

KAFKA_NODE_ID=1 becomes node.id=1 (prefix dropped, lower case, `_` to `.`); the storage is formatted on
first start (CLUSTER_ID, or a fixed id for a single throwaway node), then the broker replaces this process.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

CLASSPATH = "/opt/kafka/libs/*"
PROPERTIES = Path("/etc/kafka/server.properties")
NOT_SETTINGS = {"KAFKA_HEAP_OPTS", "KAFKA_OPTS", "KAFKA_JVM_PERFORMANCE_OPTS"}


def properties(environ: dict[str, str]) -> dict[str, str]:
    found = {
        name[len("KAFKA_") :].lower().replace("_", "."): value
        for name, value in environ.items()
        if name.startswith("KAFKA_") and name not in NOT_SETTINGS
    }
    found.setdefault("log.dirs", "/var/lib/kafka/data")
    return found


def main() -> None:
    settings = properties(dict(os.environ))
    PROPERTIES.write_text("".join(f"{key}={value}\n" for key, value in settings.items()))
    java = ["java", "-Xms256m", "-Xmx512m", "-cp", CLASSPATH]
    if not (Path(settings["log.dirs"].split(",")[0]) / "meta.properties").exists():
        cluster_id = os.environ.get("CLUSTER_ID", "5L6g3nShT-eMCtK--X86sw")
        subprocess.run(
            [*java, "kafka.tools.StorageTool", "format", f"--cluster-id={cluster_id}", "-c", str(PROPERTIES)],
            check=True,
        )
    os.execvp("java", [*java, "kafka.Kafka", str(PROPERTIES)])


if __name__ == "__main__":
    main()
