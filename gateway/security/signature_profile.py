"""Which XML signatures the OpenADR 2.0b security profile admits: read a ds:Signature, refuse anything else.

The profile signs with RSA-SHA256 or ECDSA-SHA256 over SHA-256 digests, the sender's X.509 certificate in
KeyInfo, and a dsp:ReplayProtect in a ds:Object of the signature. Two reference shapes are in use:

- by Id (OpenLEADR, and the profile's examples): `#<Id of oadrSignedObject>` and `#<Id of the ds:Object>`,
  each with one canonicalization transform;
- enveloped (avob's Java VEN): `URI=""` with the enveloped-signature transform (the whole oadrPayload but the
  signature), and `#<Id of the ds:Object>`.

Canonicalization is C14N 1.0, inclusive or exclusive (with an InclusiveNamespaces prefix list), without
comments. Everything else (XSLT, XPath and XPath Filter 2.0 transforms, base64, C14N 1.1 or a canonicalization
with comments, SHA-1 or any other digest, RSA-SHA1, DSA, HMAC, references to external or XPointer URIs, a
reference count other than two, KeyInfo that points elsewhere) is refused here, with the reason, before any
key, digest or signature value is computed: a general-purpose verifier would otherwise run (or silently skip)
whatever the sender asked for. `profile_of` only reads; `gateway.security.signatures` then checks the values.
"""

from __future__ import annotations

import base64
import enum
import re
from dataclasses import dataclass

from lxml import etree

DS = "http://www.w3.org/2000/09/xmldsig#"
_EXCLUSIVE_NS = "http://www.w3.org/2001/10/xml-exc-c14n#"

INCLUSIVE_C14N = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
EXCLUSIVE_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
ENVELOPED_SIGNATURE = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
ECDSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"

CANONICALIZATIONS = (INCLUSIVE_C14N, EXCLUSIVE_C14N)
DIGESTS = (SHA256,)


class KeyAlgorithm(enum.Enum):
    RSA = RSA_SHA256
    ECDSA = ECDSA_SHA256


class SignatureInvalid(Exception):
    """The signature is missing where required, malformed, or does not verify."""


class SignatureOutsideProfile(SignatureInvalid):
    """The signature asks for an algorithm, transform or shape the OpenADR 2.0b profile does not allow."""


@dataclass(frozen=True)
class Canonicalization:
    """C14N 1.0 without comments; exclusive ones may name prefixes to treat inclusively."""

    exclusive: bool = False
    inclusive_prefixes: tuple[str, ...] = ()

    def apply(self, element: etree._Element) -> bytes:
        data: bytes = etree.tostring(
            element,
            method="c14n",
            exclusive=self.exclusive,
            with_comments=False,
            inclusive_ns_prefixes=list(self.inclusive_prefixes) or None,
        )
        return data


@dataclass(frozen=True)
class ProfileReference:
    """One ds:Reference: the element with Id `target_id` (None: the whole document but the signature,
    enveloped), canonicalized as `canonicalization`, and the SHA-256 digest it must have."""

    target_id: str | None
    canonicalization: Canonicalization
    digest: bytes

    @property
    def uri(self) -> str:
        return "" if self.target_id is None else f"#{self.target_id}"


@dataclass(frozen=True)
class ProfileSignature:
    """A ds:Signature of the profile's shape, read but not yet verified."""

    signed_info: etree._Element
    canonicalization: Canonicalization
    algorithm: KeyAlgorithm
    references: tuple[ProfileReference, ...]
    signature_value: bytes
    certificate: str  # the X509Certificate's text: base64 DER


def _ds(name: str) -> str:
    return f"{{{DS}}}{name}"


_SIGNED_INFO, _SIGNATURE_VALUE = _ds("SignedInfo"), _ds("SignatureValue")
_KEY_INFO, _OBJECT = _ds("KeyInfo"), _ds("Object")
_C14N_METHOD, _SIGNATURE_METHOD, _REFERENCE = _ds("CanonicalizationMethod"), _ds("SignatureMethod"), _ds("Reference")
_TRANSFORMS, _TRANSFORM = _ds("Transforms"), _ds("Transform")
_DIGEST_METHOD, _DIGEST_VALUE = _ds("DigestMethod"), _ds("DigestValue")
_X509_DATA, _X509_CERTIFICATE = _ds("X509Data"), _ds("X509Certificate")
_INCLUSIVE_NAMESPACES = f"{{{_EXCLUSIVE_NS}}}InclusiveNamespaces"
# KeyInfo may say more about the key (avob's VEN adds the subject name); the key is always the certificate's.
_KEY_INFO_EXTRAS = frozenset({_ds("KeyName"), _ds("KeyValue")})
_X509_EXTRAS = frozenset({_ds("X509SubjectName"), _ds("X509IssuerSerial"), _ds("X509SKI")})
_ID_REFERENCE = re.compile(r"#[A-Za-z_][\w.\-]*")  # a bare-name XPointer: no xpointer(...), no external URI
REFERENCES = 2  # the signed message and the ReplayProtect
_PREFIX = re.compile(r"#default|[A-Za-z_][\w.\-]*")


def _refuse(what: str) -> SignatureOutsideProfile:
    return SignatureOutsideProfile(f"{what}, outside the OpenADR 2.0b signature profile")


def _algorithm(element: etree._Element) -> str:
    return str(element.get("Algorithm") or "")


def _children(element: etree._Element) -> list[etree._Element]:
    """Element children (comments and processing instructions are not part of ds:Signature's content)."""
    return [child for child in element if isinstance(child.tag, str)]


def _canonicalization(method: etree._Element, role: str) -> Canonicalization:
    algorithm = _algorithm(method)
    if algorithm not in CANONICALIZATIONS:
        raise _refuse(f"the {role} {algorithm or '(none)'} is not C14N 1.0 without comments")
    children = _children(method)
    if algorithm == INCLUSIVE_C14N:
        if children:
            raise _refuse(f"the {role} has parameters")
        return Canonicalization()
    if not children:
        return Canonicalization(exclusive=True)
    if len(children) != 1 or children[0].tag != _INCLUSIVE_NAMESPACES or _children(children[0]):
        raise _refuse(f"the {role} has parameters other than one InclusiveNamespaces")
    prefixes = tuple((children[0].get("PrefixList") or "").split())
    if not all(_PREFIX.fullmatch(prefix) for prefix in prefixes):
        raise _refuse(f"the {role}'s InclusiveNamespaces PrefixList is not a list of prefixes")
    return Canonicalization(exclusive=True, inclusive_prefixes=prefixes)


def _transforms(transforms: etree._Element | None, uri: str) -> Canonicalization:
    """The canonicalization a reference's transforms apply. Allowed: [c14n] or none (implicit inclusive C14N)
    by Id; [enveloped-signature] or [enveloped-signature, c14n] for the whole document (URI="")."""
    steps = _children(transforms) if transforms is not None else []
    for step in steps:
        if step.tag != _TRANSFORM:
            raise _refuse(f"reference {uri!r} has a {step.tag} among its transforms")
        algorithm = _algorithm(step)
        if algorithm != ENVELOPED_SIGNATURE and algorithm not in CANONICALIZATIONS:
            raise _refuse(f"reference {uri!r} uses the transform {algorithm or '(none)'}")
    enveloped = bool(steps) and _algorithm(steps[0]) == ENVELOPED_SIGNATURE
    if enveloped:
        if uri != "":
            raise _refuse(
                f"reference {uri!r} uses the enveloped-signature transform, which only the whole document may"
            )
        if _children(steps[0]):
            raise _refuse("the enveloped-signature transform has parameters")
        steps = steps[1:]
    elif uri == "":
        raise _refuse("a reference to the whole document must use the enveloped-signature transform first")
    if len(steps) > 1:
        raise _refuse(f"reference {uri!r} chains {len(steps)} transforms where one canonicalization is allowed")
    if not steps:
        return Canonicalization()
    if _algorithm(steps[0]) == ENVELOPED_SIGNATURE:
        raise _refuse(f"reference {uri!r} may apply the enveloped-signature transform only first")
    return _canonicalization(steps[0], f"transform of reference {uri!r}")


def _reference(reference: etree._Element) -> ProfileReference:
    uri = reference.get("URI")
    if uri is None:
        raise _refuse("a reference without a URI")
    if uri != "" and not _ID_REFERENCE.fullmatch(uri):
        raise _refuse(
            f"reference {uri[:100]!r} points outside the document or by XPointer; only '' and '#Id' are allowed"
        )
    children = _children(reference)
    transforms = children[0] if children and children[0].tag == _TRANSFORMS else None
    rest = children[1:] if transforms is not None else children
    if [child.tag for child in rest] != [_DIGEST_METHOD, _DIGEST_VALUE]:
        raise _refuse(f"reference {uri!r} is not Transforms?, DigestMethod, DigestValue")
    canonicalization = _transforms(transforms, uri)
    digest_method, digest_value = rest
    if _algorithm(digest_method) not in DIGESTS or _children(digest_method):
        named = _algorithm(digest_method) or "(none)"
        raise _refuse(f"reference {uri!r} uses the digest {named}; only SHA-256 is allowed")
    try:
        digest = base64.b64decode("".join((digest_value.text or "").split()), validate=True)
    except ValueError:
        raise SignatureInvalid(f"the DigestValue of reference {uri!r} is not base64") from None
    return ProfileReference(uri[1:] or None, canonicalization, digest)


def _signature_method(method: etree._Element) -> KeyAlgorithm:
    algorithm = _algorithm(method)
    if _children(method):
        raise _refuse(f"the signature method {algorithm} has parameters")
    try:
        return KeyAlgorithm(algorithm)
    except ValueError:
        raise _refuse(f"the signature method {algorithm or '(none)'} is not RSA-SHA256 or ECDSA-SHA256") from None


def _certificate(signature: etree._Element) -> str:
    """The text of the signature's one X509Certificate (base64 DER, decoded by the verifier)."""
    key_infos = signature.findall(_KEY_INFO)
    if len(key_infos) != 1:
        raise SignatureInvalid("the signature must carry one KeyInfo with the sender's X509Certificate")
    certificates: list[str] = []
    for child in _children(key_infos[0]):
        if child.tag == _X509_DATA:
            for item in _children(child):
                if item.tag == _X509_CERTIFICATE:
                    certificates.append(item.text or "")
                elif item.tag not in _X509_EXTRAS:
                    raise _refuse(f"X509Data holds {item.tag}")
        elif child.tag not in _KEY_INFO_EXTRAS:
            raise _refuse(f"KeyInfo holds {child.tag}; the key must come from the X509Certificate")
    if len(certificates) != 1 or not certificates[0].strip():
        raise SignatureInvalid("the signature must carry exactly one X509Certificate (the sender's)")
    return certificates[0]


def profile_of(signature: etree._Element) -> ProfileSignature:
    """The signature's algorithms and references, read; raises SignatureOutsideProfile (or SignatureInvalid
    for what no profile would make sense of) with the reason."""
    parts = _children(signature)
    tags = [child.tag for child in parts]
    if tags[:2] != [_SIGNED_INFO, _SIGNATURE_VALUE] or any(tag not in (_KEY_INFO, _OBJECT) for tag in tags[2:]):
        raise SignatureInvalid("a ds:Signature is SignedInfo, SignatureValue, KeyInfo and Objects")
    signed_info, signature_value = parts[0], parts[1]
    info = _children(signed_info)
    methods = [child.tag for child in info[:2]]
    if methods != [_C14N_METHOD, _SIGNATURE_METHOD] or any(child.tag != _REFERENCE for child in info[2:]):
        raise SignatureInvalid("SignedInfo is CanonicalizationMethod, SignatureMethod and References")
    canonicalization = _canonicalization(info[0], "canonicalization method")
    algorithm = _signature_method(info[1])
    count = len(info) - 2
    if count != REFERENCES:
        plural = "" if count == 1 else "s"
        raise _refuse(f"the signature has {count} reference{plural}, not 2 (the message and the ReplayProtect)")
    references = tuple(_reference(reference) for reference in info[2:])
    if len({reference.uri for reference in references}) != len(references):
        raise _refuse("two references name the same content")
    try:
        value = base64.b64decode("".join((signature_value.text or "").split()), validate=True)
    except ValueError:
        raise SignatureInvalid("the SignatureValue is not base64") from None
    return ProfileSignature(signed_info, canonicalization, algorithm, references, value, _certificate(signature))
