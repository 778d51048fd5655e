"""XML-DSig SignatureValues with SHA-256, for the two key types OpenADR 2.0b allows: RSA (PKCS#1 v1.5) and
ECDSA, whose value XML-DSig writes as r || s (each the curve's size), not in DER.

Bytes in, bytes out: the canonical SignedInfo to sign, the value to put in base64 into ds:SignatureValue. The
gateway signs the VTN's messages with it (gateway.security.signatures), the benchmarks' simulated VENs theirs.
"""

from __future__ import annotations

from typing import TypeAlias

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

SigningKey: TypeAlias = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


def signature_value(key: SigningKey, signed_info: bytes) -> bytes:
    """The SignatureValue of the canonical `signed_info` under `key`."""
    if isinstance(key, rsa.RSAPrivateKey):
        return key.sign(signed_info, padding.PKCS1v15(), hashes.SHA256())
    r, s = decode_dss_signature(key.sign(signed_info, ec.ECDSA(hashes.SHA256())))
    size = (key.curve.key_size + 7) // 8
    return r.to_bytes(size, "big") + s.to_bytes(size, "big")
