"""The official OpenADR 2.0b XSD, located on disk and compiled once.

The XSD files are not part of this repository. By default they are read from the `openleadr` wheel,
which ships them under `openleadr/schema/`; the package is located without importing its code.
`VTN_XSD_PATH` (see settings) points elsewhere, e.g. at the Alliance's own copy.
"""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path

from lxml import etree

from shared.oadr_xml.errors import SchemaViolation

MAIN_SCHEMA_FILE = "oadr_20b.xsd"


def default_schema_path() -> Path:
    spec = importlib.util.find_spec("openleadr")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the openleadr distribution (which ships the OpenADR XSDs) is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "schema" / MAIN_SCHEMA_FILE


@lru_cache(maxsize=4)
def load_schema(path: Path | None = None) -> etree.XMLSchema:
    schema_path = path or default_schema_path()
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    return etree.XMLSchema(etree.parse(str(schema_path), parser))


def validate(root: etree._Element, schema: etree.XMLSchema) -> None:
    """Raise SchemaViolation with the first XSD error when the document does not validate."""
    if not schema.validate(root):
        error = schema.error_log.last_error
        detail = f"line {error.line}: {error.message}" if error is not None else "invalid"
        raise SchemaViolation(f"document does not match the OpenADR 2.0b schema ({detail})")
