"""The OpenADR certificate fingerprint: the last 10 bytes of the SHA-256 of the DER certificate, as
colon-separated upper-case hex (the format OpenLEADR prints and VTN operators exchange with VENs)."""

from __future__ import annotations

import hashlib
import ssl


def fingerprint_of_der(der: bytes) -> str:
    digest = hashlib.sha256(der).hexdigest().upper()
    return ":".join(digest[i : i + 2] for i in range(44, 64, 2))


def fingerprint_of_pem(pem: str | bytes) -> str:
    text = pem.decode("ascii") if isinstance(pem, bytes) else pem
    return fingerprint_of_der(ssl.PEM_cert_to_DER_cert(text.strip() + "\n"))
