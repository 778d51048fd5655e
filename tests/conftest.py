"""Fixtures shared by every test: the official 2.0b XSD (the copy shipped in shared/oadr_xml/schemas)."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from shared.oadr_xml.schema import SCHEMA_2_0B, load_schema

REPO_ROOT = Path(__file__).resolve().parent.parent
OFFICIAL_XSD = SCHEMA_2_0B


@pytest.fixture(scope="session")
def official_schema() -> etree.XMLSchema:
    """The Alliance's 2.0b schema: every message the VTN emits must pass it."""
    return load_schema(OFFICIAL_XSD)


def assert_valid(schema: etree.XMLSchema, document: bytes) -> None:
    root = etree.fromstring(document)
    if not schema.validate(root):
        raise AssertionError(f"not valid OpenADR 2.0b: {schema.error_log.last_error}\n{document.decode()}")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything under tests/integration, tests/interop, tests/faults and tests/browser needs the real broker
    and database."""
    for item in items:
        parts = item.path.parts
        if "integration" in parts or "interop" in parts or "faults" in parts or "browser" in parts:
            item.add_marker(pytest.mark.integration)


# The real stack's fixtures, registered once here so that tests/integration and tests/interop share one
# session stack (importing them in two conftest files would start two).
from tests.integration.secure_gateway import secure_gateway, signed_vens  # noqa: E402,F401
from tests.stack import admin, db, http, unique, vtn, vtn_env  # noqa: E402,F401
