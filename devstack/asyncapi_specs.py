"""The official AsyncAPI JSON schemas, from the `@asyncapi/specs` npm package, cached once (like the Kafka
jars) so that the tests validate docs/asyncapi.json against the real specification, offline afterwards.

No PyPI package ships these schemas; `npm pack` fetches the pinned tarball (npm checks its integrity).
"""

from __future__ import annotations

import fcntl
import shutil
import subprocess
import tarfile
from pathlib import Path

from devstack.kafka import default_cache_dir

__all__ = ["SPECS_VERSION", "AsyncApiSpecsError", "asyncapi_schema_path"]

SPECS_VERSION = "6.11.1"
_PACKAGE = "@asyncapi/specs"


class AsyncApiSpecsError(RuntimeError):
    """The schemas could not be fetched (npm missing or the registry unreachable)."""


def asyncapi_schema_path(asyncapi_version: str = "3.0.0", cache_dir: Path | None = None) -> Path:
    """The JSON schema of `asyncapi_version` (the variant without `$id`, resolvable offline)."""
    cache_dir = (cache_dir or default_cache_dir()).resolve()
    target = cache_dir / f"asyncapi-specs-{SPECS_VERSION}"
    wanted = target / "schemas" / f"{asyncapi_version}-without-$id.json"
    if wanted.exists():
        return wanted
    cache_dir.mkdir(parents=True, exist_ok=True)
    with (cache_dir / f".asyncapi-specs-{SPECS_VERSION}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if wanted.exists():
            return wanted
        if shutil.which("npm") is None:
            raise AsyncApiSpecsError("npm not found on PATH (Debian package: npm)")
        partial = cache_dir / f".asyncapi-specs-{SPECS_VERSION}.partial"
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir()
        result = subprocess.run(
            ["npm", "pack", f"{_PACKAGE}@{SPECS_VERSION}", "--silent", "--pack-destination", str(partial)],
            cwd=partial, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        tarballs = list(partial.glob("*.tgz"))
        if result.returncode != 0 or not tarballs:
            raise AsyncApiSpecsError(f"npm pack {_PACKAGE}@{SPECS_VERSION} failed:\n{result.stdout}{result.stderr}")
        with tarfile.open(tarballs[0]) as archive:
            members = [m for m in archive.getmembers() if m.name.startswith("package/schemas/") and m.isfile()]
            archive.extractall(partial, members=members, filter="data")
        shutil.rmtree(target, ignore_errors=True)
        (partial / "package").rename(target)
        shutil.rmtree(partial, ignore_errors=True)
    if not wanted.exists():
        raise AsyncApiSpecsError(f"{_PACKAGE}@{SPECS_VERSION} has no schema for AsyncAPI {asyncapi_version}")
    return wanted
