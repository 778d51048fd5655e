"""`kafka-broker-api-versions.sh --bootstrap-server HOST:PORT` for the stand-in: exit 0 when the broker
answers an ApiVersions request (version 0) without error, as the real tool does when it can list them."""

from __future__ import annotations

import socket
import struct
import sys


def broker_answers(host: str, port: int, timeout: float = 5.0) -> bool:
    client_id = b"health"
    # request header v1: api_key 18 (ApiVersions), api_version 0, correlation_id 1, client_id; empty body
    body = struct.pack(">hhih", 18, 0, 1, len(client_id)) + client_id
    with socket.create_connection((host, port), timeout=timeout) as connection:
        connection.sendall(struct.pack(">i", len(body)) + body)
        header = connection.recv(4, socket.MSG_WAITALL)
        if len(header) < 4:
            return False
        answer = connection.recv(struct.unpack(">i", header)[0], socket.MSG_WAITALL)
    correlation_id, error_code = struct.unpack(">ih", answer[:6])
    return bool(correlation_id == 1 and error_code == 0)


def main(argv: list[str]) -> int:
    server = argv[argv.index("--bootstrap-server") + 1] if "--bootstrap-server" in argv else "localhost:9092"
    host, _, port = server.rpartition(":")
    try:
        return 0 if broker_answers(host, int(port)) else 1
    except OSError as error:
        print(f"{server}: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
