"""The official OpenADR 2.0b and 2.0a XSDs, shipped inside this package and compiled once.

`schemas/2.0b/` holds the OpenADR Alliance's 2.0b schema files unchanged, `schemas/2.0a/` the 2.0a ones,
each with the licence notes of the parts owned by others (`LICENSES.txt`). They are package data: the
runtime image carries them with the code, and the gateway and every test validate against this one copy.
`VTN_XSD_PATH` (see settings) points the gateway at another 2.0b copy instead.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from lxml import etree

from shared.oadr_xml.errors import SchemaViolation

SCHEMAS_DIR = Path(__file__).resolve().parent / "schemas"
SCHEMA_2_0B = SCHEMAS_DIR / "2.0b" / "oadr_20b.xsd"
SCHEMA_2_0A = SCHEMAS_DIR / "2.0a" / "oadr_20a.xsd"


def load_schema(path: Path | None = None) -> etree.XMLSchema:
    """The compiled schema at `path`, by default the 2.0b one shipped here (`SCHEMA_2_0A` for 2.0a); compiled
    once per file."""
    return _compile((path or SCHEMA_2_0B).resolve())


@lru_cache(maxsize=4)
def _compile(path: Path) -> etree.XMLSchema:
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    return etree.XMLSchema(etree.parse(str(path), parser))


def validate(root: etree._Element, schema: etree.XMLSchema, profile: str = "2.0b") -> None:
    """Raise SchemaViolation with the first XSD error when the document does not validate."""
    if not schema.validate(root):
        error = schema.error_log.last_error
        detail = f"line {error.line}: {error.message}" if error is not None else "invalid"
        raise SchemaViolation(f"document does not match the OpenADR {profile} schema ({detail})")
