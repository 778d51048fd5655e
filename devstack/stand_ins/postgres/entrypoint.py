"""Initialise PGDATA on first start the way the postgres image does, then become the server.

First start: initdb with POSTGRES_USER as superuser and POSTGRES_PASSWORD (scram-sha-256 for network
clients, trust on the container's own socket), then POSTGRES_DB created. Every start: listen on all
addresses of the container.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path


def initialise(data: Path, user: str, password: str, database: str) -> None:
    with tempfile.NamedTemporaryFile("w", delete=False) as password_file:
        password_file.write(password)
    try:
        subprocess.run(
            ["initdb", "-D", str(data), "-U", user, f"--pwfile={password_file.name}", "--auth-local=trust",
             "--auth-host=scram-sha-256", "--encoding=UTF8"],
            check=True,
        )  # fmt: skip
    finally:
        os.unlink(password_file.name)
    with (data / "pg_hba.conf").open("a") as hba:
        hba.write("host all all 0.0.0.0/0 scram-sha-256\nhost all all ::/0 scram-sha-256\n")
    if database != "postgres":  # initdb made that one; the image creates any other
        subprocess.run(["pg_ctl", "-D", str(data), "-w", "-o", "-c listen_addresses=''", "start"], check=True)
        try:
            subprocess.run(["createdb", "-U", user, database], check=True)
        finally:
            subprocess.run(["pg_ctl", "-D", str(data), "-w", "-m", "fast", "stop"], check=True)


def main() -> None:
    data = Path(os.environ.get("PGDATA", "/var/lib/postgresql/data"))
    user = os.environ.get("POSTGRES_USER", "postgres")
    if not (data / "PG_VERSION").exists():
        initialise(data, user, os.environ["POSTGRES_PASSWORD"], os.environ.get("POSTGRES_DB", user))
    os.execvp("postgres", ["postgres", "-D", str(data), "-c", "listen_addresses=*"])


if __name__ == "__main__":
    main()
