"""The backend example of docs/backends.md compiles and produces a command the VTN accepts."""

from __future__ import annotations

import ast
import json
import re

from shared.contract.envelope import Envelope
from shared.contract.operator import CancelVenRegistration
from tests.conftest import REPO_ROOT


def _backend_example() -> str:
    page = (REPO_ROOT / "docs" / "backends.md").read_text()
    section = page[page.index("## Example") :]
    match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert match is not None
    return match.group(1)


def test_the_example_compiles_and_uses_only_aiokafka_and_the_standard_library() -> None:
    tree = ast.parse(_backend_example())
    imported = {
        (node.module or "").split(".")[0] if isinstance(node, ast.ImportFrom) else alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for alias in node.names
    }
    assert imported == {"asyncio", "json", "uuid", "datetime", "aiokafka"}


def test_the_command_it_builds_is_a_valid_envelope() -> None:
    source = _backend_example()
    literal = source[source.index("command = {") + len("command = ") : source.index("await producer.send_and_wait")]
    literal = literal[: literal.rindex("}") + 1]
    names = {"uuid": __import__("uuid"), "datetime": __import__("datetime").datetime}
    names["timezone"] = __import__("datetime").timezone
    names["event"] = {"ven_id": "ven-1"}
    command = eval(literal, names)  # noqa: S307 - the page's own literal, evaluated to check its shape
    envelope = Envelope.from_bytes(json.dumps(command).encode())
    assert envelope.payload == CancelVenRegistration(ven_id="ven-1")
    assert envelope.kafka_key() == b"ven-1"
