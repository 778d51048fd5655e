"""Signing a simulated VEN's messages as OpenLEADR's client does, cheaply enough to sign every message.

OpenLEADR's `create_message(..., cert=, key=)` runs signxml's `XMLSigner` (detached, inclusive C14N 1.0,
SHA-256) with a reference to `#oadrSignedObject` and one to the ds:Object holding a fresh dsp:ReplayProtect
(timestamp and nonce). `VenSigner` produces the same ds:Signature, element for element, with the key loaded
once and the XML work done once: at start it canonicalizes a signature with placeholder values through lxml,
so that per message only the timestamp, the nonce, two SHA-256 digests and the signature value are filled
into fixed text (all of them base64, hex or a timestamp: nothing that canonicalization would change). The
digest of each body is kept, and a VEN's poll body never changes. `tests/bench/test_signing.py` checks the
result with signxml's verifier, OpenLEADR's `validate_xml_signature` and the gateway's verifier.

Every message gets a new nonce and timestamp at the moment it is signed: messages are never signed ahead.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from datetime import UTC, datetime

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from lxml import etree

from shared.signature_values import signature_value

_OADR_NS = "http://openadr.org/oadr-2.0b/2012/07"
_DS_NS = "http://www.w3.org/2000/09/xmldsig#"
_DSP_NS = "http://openadr.org/oadr-2.0b/2012/07/xmldsig-properties"
_C14N = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
_SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
_METHODS = {
    "rsa": "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
    "ecdsa": "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256",
}

_PAYLOAD_OPEN = f'<oadr:oadrPayload xmlns:oadr="{_OADR_NS}">'.encode()
_SIGNED_OBJECT = f"{{{_OADR_NS}}}oadrSignedObject"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
_DIGESTS_KEPT = 64

# Placeholders: letters only, so that canonicalization leaves them as they are.
_TIMESTAMP, _NONCE = "PLACEHOLDERTIMESTAMP", "PLACEHOLDERNONCE"
_OBJECT_DIGEST, _PROPERTIES_DIGEST, _VALUE = "PLACEHOLDEROBJECTDIGEST", "PLACEHOLDERPROPDIGEST", "PLACEHOLDERVALUE"


def _reference(uri: str, digest: str) -> str:
    return (
        f'<ds:Reference URI="{uri}"><ds:Transforms><ds:Transform Algorithm="{_C14N}"/></ds:Transforms>'
        f'<ds:DigestMethod Algorithm="{_SHA256}"/><ds:DigestValue>{digest}</ds:DigestValue></ds:Reference>'
    )


def _signature_text(method: str, certificate_b64: str) -> str:
    """The ds:Signature signxml writes for OpenLEADR, with placeholders for what changes per message."""
    return (
        f'<ds:Signature xmlns:ds="{_DS_NS}" xmlns:oadr="{_OADR_NS}"><ds:SignedInfo>'
        f'<ds:CanonicalizationMethod Algorithm="{_C14N}"/><ds:SignatureMethod Algorithm="{_METHODS[method]}"/>'
        f"{_reference('#oadrSignedObject', _OBJECT_DIGEST)}{_reference('#prop', _PROPERTIES_DIGEST)}"
        f"</ds:SignedInfo><ds:SignatureValue>{_VALUE}</ds:SignatureValue>"
        f"<ds:KeyInfo><ds:X509Data><ds:X509Certificate>{certificate_b64}</ds:X509Certificate></ds:X509Data>"
        "</ds:KeyInfo>"
        '<ds:Object Id="prop"><ds:SignatureProperties><ds:SignatureProperty Id="myid" Target="#mytarget">'
        f'<dsp:ReplayProtect xmlns:dsp="{_DSP_NS}"><dsp:timestamp>{_TIMESTAMP}</dsp:timestamp>'
        f"<dsp:nonce>{_NONCE}</dsp:nonce></dsp:ReplayProtect></ds:SignatureProperty></ds:SignatureProperties>"
        "</ds:Object></ds:Signature>"
    )


class _Text:
    """Fixed text with placeholders, split once so that filling it in is a join."""

    def __init__(self, text: str, placeholders: list[str]) -> None:
        self._parts: list[str] = []
        self._order: list[int] = []
        rest = text
        while True:
            found = [(rest.find(p), i) for i, p in enumerate(placeholders) if p in rest]
            if not found:
                break
            at, index = min(found)
            self._parts.append(rest[:at])
            self._order.append(index)
            rest = rest[at + len(placeholders[index]) :]
        self._parts.append(rest)
        if sorted(self._order) != sorted(set(self._order)):
            raise ValueError("a placeholder occurs twice")

    def fill(self, values: list[str]) -> str:
        pieces = [self._parts[0]]
        for index, part in zip(self._order, self._parts[1:], strict=True):
            pieces.append(values[index])
            pieces.append(part)
        return "".join(pieces)


def _b64_sha256(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode("ascii")


class VenSigner:
    """Signs oadrPayload documents (as the generator renders them) with one VEN's certificate and key."""

    def __init__(self, cert_pem: bytes, key_pem: bytes) -> None:
        key = serialization.load_pem_private_key(key_pem, None)
        if isinstance(key, ec.EllipticCurvePrivateKey):
            method = "ecdsa"
        elif isinstance(key, rsa.RSAPrivateKey):
            method = "rsa"
        else:
            raise ValueError("a VEN signs with an RSA or an ECC key")
        self._key = key
        der = x509.load_pem_x509_certificate(cert_pem).public_bytes(serialization.Encoding.DER)
        signature = _signature_text(method, base64.b64encode(der).decode("ascii"))
        # Canonicalize inside an oadrPayload, where the namespaces in scope are the ones the verifier sees.
        document = etree.fromstring(_PAYLOAD_OPEN + signature.encode() + b"</oadr:oadrPayload>", _PARSER)
        signed_info = document.find(f"{{{_DS_NS}}}Signature/{{{_DS_NS}}}SignedInfo")
        properties = document.find(f"{{{_DS_NS}}}Signature/{{{_DS_NS}}}Object")
        assert signed_info is not None and properties is not None
        self._properties = _Text(etree.tostring(properties, method="c14n").decode(), [_TIMESTAMP, _NONCE])
        self._signed_info = _Text(
            etree.tostring(signed_info, method="c14n").decode(), [_OBJECT_DIGEST, _PROPERTIES_DIGEST]
        )
        self._signature = _Text(signature, [_OBJECT_DIGEST, _PROPERTIES_DIGEST, _VALUE, _TIMESTAMP, _NONCE])
        self._digests: dict[bytes, str] = {}

    def sign(self, body: bytes, now: datetime | None = None) -> bytes:
        """`body` (an unsigned oadrPayload) with a ds:Signature as the first child of oadrPayload."""
        at = body.find(_PAYLOAD_OPEN)
        if at < 0:
            raise ValueError("not an oadrPayload as the generator renders it")
        at += len(_PAYLOAD_OPEN)
        object_digest = self._digests.get(body)
        if object_digest is None:
            object_digest = self._object_digest(body)
        stamp = (now or datetime.now(UTC)).astimezone(UTC)
        timestamp = stamp.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        nonce = uuid.uuid4().hex
        properties_digest = _b64_sha256(self._properties.fill([timestamp, nonce]).encode())
        signed_info = self._signed_info.fill([object_digest, properties_digest]).encode()
        value = base64.b64encode(signature_value(self._key, signed_info)).decode("ascii")
        signature = self._signature.fill([object_digest, properties_digest, value, timestamp, nonce]).encode()
        # OpenLEADR's envelope puts the signature on a line of its own, after the oadrPayload start tag.
        newline = body[at : at + 1] == b"\n"
        if newline:
            at += 1
        return body[:at] + signature + body[at:]

    def _object_digest(self, body: bytes) -> str:
        signed_object = etree.fromstring(body, _PARSER).find(_SIGNED_OBJECT)
        if signed_object is None:
            raise ValueError("the oadrPayload has no oadrSignedObject")
        digest = _b64_sha256(etree.tostring(signed_object, method="c14n"))
        if len(self._digests) >= _DIGESTS_KEPT:
            self._digests.clear()
        self._digests[body] = digest
        return digest
