"""The official schemas ship inside the package, whole and with their licence notes, and the default is 2.0b."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from shared.oadr_xml.schema import SCHEMA_2_0A, SCHEMA_2_0B, SCHEMAS_DIR, load_schema

POLL_2_0B = b"""<oadr:oadrPayload xmlns:oadr="http://openadr.org/oadr-2.0b/2012/07"
 xmlns:ei="http://docs.oasis-open.org/ns/energyinterop/201110">
 <oadr:oadrSignedObject><oadr:oadrPoll ei:schemaVersion="2.0b"><ei:venID>ven-1</ei:venID></oadr:oadrPoll>
 </oadr:oadrSignedObject></oadr:oadrPayload>"""


def test_the_default_schema_is_the_shipped_2_0b_copy() -> None:
    assert load_schema() is load_schema(SCHEMA_2_0B)
    assert load_schema().validate(etree.fromstring(POLL_2_0B))


def test_the_shipped_2_0b_schema_refuses_what_it_should() -> None:
    wrong_version = POLL_2_0B.replace(b'schemaVersion="2.0b"', b'schemaVersion="2.0c"')
    assert not load_schema().validate(etree.fromstring(wrong_version))


@pytest.mark.parametrize("main", [SCHEMA_2_0B, SCHEMA_2_0A], ids=["2.0b", "2.0a"])
def test_each_schema_compiles_offline_from_its_own_folder(main: Path) -> None:
    assert isinstance(load_schema(main), etree.XMLSchema)


@pytest.mark.parametrize("version", ["2.0b", "2.0a"])
def test_each_schema_folder_carries_its_licence_notes(version: str) -> None:
    notes = (SCHEMAS_DIR / version / "LICENSES.txt").read_text()
    assert "licen" in notes.lower() and "xsd" in notes.lower()
