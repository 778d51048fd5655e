"""XML namespaces of OpenADR 2.0b and 2.0a, and a helper to build qualified names.

The two profiles share every namespace but their own: the Energy Interoperation (ei, pyld), EMIX and
iCalendar (xcal, strm) elements are the same in both, so the 2.0a codec reuses the 2.0b mapping of them.
"""

from __future__ import annotations

OADR = "http://openadr.org/oadr-2.0b/2012/07"
OADR_20A = "http://openadr.org/oadr-2.0a/2012/07"
EI = "http://docs.oasis-open.org/ns/energyinterop/201110"
PYLD = "http://docs.oasis-open.org/ns/energyinterop/201110/payloads"
EMIX = "http://docs.oasis-open.org/ns/emix/2011/06"
XCAL = "urn:ietf:params:xml:ns:icalendar-2.0"
STRM = "urn:ietf:params:xml:ns:icalendar-2.0:stream"
POWER = "http://docs.oasis-open.org/ns/emix/2011/06/power"
SISCALE = "http://docs.oasis-open.org/ns/emix/2011/06/siscale"
GML = "http://www.opengis.net/gml/3.2"
ATOM = "http://www.w3.org/2005/Atom"
DS = "http://www.w3.org/2000/09/xmldsig#"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
GB = "http://naesb.org/espi"
SCALE = SISCALE

# Prefixes used when rendering; they match what OpenLEADR and the spec's examples use.
NSMAP: dict[str | None, str] = {
    "oadr": OADR,
    "ei": EI,
    "pyld": PYLD,
    "emix": EMIX,
    "xcal": XCAL,
    "strm": STRM,
    "power": POWER,
    "scale": SISCALE,
    "ds": DS,
    "xsi": XSI,
}


def q(namespace: str, local_name: str) -> str:
    """Clark-notation qualified name, as lxml expects: '{namespace}local'."""
    return f"{{{namespace}}}{local_name}"


# The 2.0a documents the VTN writes use only these.
NSMAP_20A: dict[str | None, str] = {
    "oadr": OADR_20A,
    "ei": EI,
    "pyld": PYLD,
    "emix": EMIX,
    "xcal": XCAL,
    "strm": STRM,
    "xsi": XSI,
}
NSMAPS: dict[str, dict[str | None, str]] = {OADR: NSMAP, OADR_20A: NSMAP_20A}
