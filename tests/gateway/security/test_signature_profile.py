"""XML signatures outside the OpenADR 2.0b profile are refused with 463 and the reason, before any key, digest
or signature value is computed; every shape the profile allows (OpenLEADR's, by Id with inclusive or exclusive
C14N, avob's enveloped one, RSA-SHA256 and ECDSA-SHA256) is verified by the gateway itself and accepted.

Each refused document is otherwise well formed and truly signed (tests/signature_shapes.py): only the
profile stops it. Each accepted one is also accepted by signxml's verifier, an independent implementation."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from lxml import etree
from signxml.verifier import XMLVerifier

import gateway.security.signatures as signatures
from devstack.certs import Issued
from gateway.security.signature_profile import ECDSA_SHA256, ENVELOPED_SIGNATURE, EXCLUSIVE_C14N, INCLUSIVE_C14N
from gateway.security.signatures import DS, SIGNED_OBJECT
from shared.contract.ven_traffic import VenRequest
from tests.gateway.secured_exchange import as_ven, code_and_text, make
from tests.security_documents import openleadr_signed, tampered
from tests.signature_shapes import (
    BASE64,
    C14N_11,
    DSA_SHA1,
    EXCLUSIVE_WITH_COMMENTS,
    HMAC_SHA1,
    HMAC_SHA256,
    INCLUSIVE_WITH_COMMENTS,
    RSA_SHA1,
    SHA1,
    SHA512,
    XPATH,
    XPATH_FILTER2,
    XSLT,
    Reference,
    Shape,
    Transform,
    ds,
    identity_stylesheet,
    signed_in_shape,
)

OUTSIDE = "outside the OpenADR 2.0b signature profile"


def _xpath(expression: str) -> etree._Element:
    element = ds("XPath")
    element.text = expression
    return element


def _filter2() -> etree._Element:
    element = etree.Element(f"{{{XPATH_FILTER2}}}XPath", Filter="union", nsmap={"dsig-xpath": XPATH_FILTER2})
    element.text = "/"
    return element


def _retrieval_method() -> etree._Element:
    return ds("RetrievalMethod", URI="http://attacker.example/key.pem")


def _object_ref(
    transforms: tuple[Transform, ...] = (Transform(INCLUSIVE_C14N),), digest: str | None = None
) -> Reference:
    return (
        Reference("#oadrSignedObject", transforms)
        if digest is None
        else Reference("#oadrSignedObject", transforms, digest)
    )


PROP = Reference("#prop")

REFUSED: dict[str, tuple[Shape, str]] = {
    "xslt_transform": (
        Shape(references=(_object_ref((Transform(XSLT, (identity_stylesheet(),)), Transform(INCLUSIVE_C14N))), PROP)),
        f"uses the transform {XSLT}",
    ),
    "xpath_transform": (
        Shape(references=(_object_ref((Transform(XPATH, (_xpath("true()"),)),)), PROP)),
        f"uses the transform {XPATH}",
    ),
    "xpath_filter2_transform": (
        Shape(references=(_object_ref((Transform(XPATH_FILTER2, (_filter2(),)),)), PROP)),
        f"uses the transform {XPATH_FILTER2}",
    ),
    "base64_transform": (Shape(references=(_object_ref((Transform(BASE64),)), PROP)), f"uses the transform {BASE64}"),
    "sha1_digest": (Shape(references=(_object_ref(digest=SHA1), PROP)), f"uses the digest {SHA1}"),
    "sha512_digest": (Shape(references=(_object_ref(digest=SHA512), PROP)), f"uses the digest {SHA512}"),
    "rsa_sha1": (Shape(signature_method=RSA_SHA1), f"the signature method {RSA_SHA1} is not"),
    "dsa_sha1": (Shape(signature_method=DSA_SHA1), f"the signature method {DSA_SHA1} is not"),
    "hmac_sha256": (Shape(signature_method=HMAC_SHA256), f"the signature method {HMAC_SHA256} is not"),
    "hmac_sha1": (Shape(signature_method=HMAC_SHA1), f"the signature method {HMAC_SHA1} is not"),
    "c14n_1_1": (Shape(canonicalization=C14N_11), f"the canonicalization method {C14N_11} is not"),
    "c14n_with_comments": (Shape(canonicalization=INCLUSIVE_WITH_COMMENTS), "is not C14N 1.0 without comments"),
    "unknown_c14n": (Shape(canonicalization="urn:example:c14n"), "the canonicalization method urn:example:c14n is not"),
    "transform_c14n_with_comments": (
        Shape(references=(_object_ref((Transform(EXCLUSIVE_WITH_COMMENTS),)), PROP)),
        f"uses the transform {EXCLUSIVE_WITH_COMMENTS}",
    ),
    "extra_reference": (Shape(references=(_object_ref(), PROP, Reference("#myid"))), "the signature has 3 references"),
    "one_reference": (Shape(references=(_object_ref(),)), "the signature has 1 reference,"),
    "external_uri": (
        Shape(references=(Reference("http://attacker.example/evil.xml"), PROP)),
        "points outside the document",
    ),
    "xpointer_uri": (Shape(references=(Reference("#xpointer(/)"), PROP)), "points outside the document or by XPointer"),
    "reference_without_uri": (Shape(references=(Reference(None), PROP)), "a reference without a URI"),
    "enveloped_by_id": (
        Shape(references=(_object_ref((Transform(ENVELOPED_SIGNATURE),)), PROP)),
        "only the whole document may",
    ),
    "whole_document_not_enveloped": (
        Shape(references=(Reference(""), PROP)),
        "must use the enveloped-signature transform",
    ),
    "chained_canonicalizations": (
        Shape(references=(_object_ref((Transform(INCLUSIVE_C14N), Transform(EXCLUSIVE_C14N))), PROP)),
        "chains 2 transforms",
    ),
    "key_from_elsewhere": (Shape(key_info_extra=(_retrieval_method(),)), "KeyInfo holds"),
}


@pytest.mark.parametrize("family", sorted(REFUSED))
async def test_a_signature_outside_the_profile_is_refused_with_463_and_the_reason_before_any_verification(
    dev_certs: dict[str, Issued], official_schema: etree.XMLSchema, monkeypatch: pytest.MonkeyPatch, family: str
) -> None:
    """OpenADR 2.0b, 10.2: only the profile's algorithms and reference shapes; nothing else is run or skipped."""
    shape, words = REFUSED[family]

    def no_key_operation(*_: object) -> bool:
        raise AssertionError("a signature outside the profile reached a public-key operation")

    monkeypatch.setattr(signatures, "_signature_checks", no_key_operation)
    exchange, requester, security = make(dev_certs, official_schema)
    ven1 = dev_certs["ven1"]
    document = signed_in_shape("oadrPoll", ven1.cert_path, ven1.key_path, shape, ven_id="ven-1")
    answer = await exchange.handle("OadrPoll", document, as_ven(dev_certs, "ven1"))
    code, text = code_and_text(answer.body)
    assert (answer.status, code) == (200, "463"), text
    assert words in text and OUTSIDE in text, text
    assert requester.requests == []
    assert security.refusals == {"signature_outside_profile": 1}


def test_a_general_verifier_would_have_accepted_the_xslt_signature(dev_certs: dict[str, Issued]) -> None:
    """Why the profile is checked first: signxml skips the XSLT transform it does not run, and accepts."""
    ven1 = dev_certs["ven1"]
    document = signed_in_shape("oadrPoll", ven1.cert_path, ven1.key_path, REFUSED["xslt_transform"][0], ven_id="ven-1")
    XMLVerifier().verify(etree.fromstring(document), x509_cert=ven1.cert_path.read_text(), expect_references=2)


def _enveloped(c14n: tuple[Transform, ...] = ()) -> Shape:
    return Shape(references=(Reference("", (Transform(ENVELOPED_SIGNATURE), *c14n)), PROP))


def _exclusive() -> Shape:
    exclusive = (Transform(EXCLUSIVE_C14N),)
    return Shape(canonicalization=EXCLUSIVE_C14N, references=(_object_ref(exclusive), Reference("#prop", exclusive)))


ACCEPTED: dict[str, tuple[str, str, Callable[[Issued], bytes]]] = {
    "openleadr_rsa": ("ven1", "ven-1", lambda c: openleadr_signed("oadrPoll", c.cert_path, c.key_path, ven_id="ven-1")),
    "openleadr_ecdsa": (
        "vtn-ecc",
        "ven-ecc",
        lambda c: openleadr_signed("oadrPoll", c.cert_path, c.key_path, ven_id="ven-ecc"),
    ),
    "by_id_inclusive": (
        "ven1",
        "ven-1",
        lambda c: signed_in_shape("oadrPoll", c.cert_path, c.key_path, Shape(), ven_id="ven-1"),
    ),
    "by_id_exclusive": (
        "ven1",
        "ven-1",
        lambda c: signed_in_shape("oadrPoll", c.cert_path, c.key_path, _exclusive(), ven_id="ven-1"),
    ),
    "by_id_implicit_c14n": (
        "ven1",
        "ven-1",
        lambda c: signed_in_shape(
            "oadrPoll",
            c.cert_path,
            c.key_path,
            Shape(references=(Reference("#oadrSignedObject", None), Reference("#prop", None))),
            ven_id="ven-1",
        ),
    ),
    "enveloped": (
        "ven1",
        "ven-1",
        lambda c: signed_in_shape("oadrPoll", c.cert_path, c.key_path, _enveloped(), ven_id="ven-1"),
    ),
    "enveloped_exclusive": (
        "ven1",
        "ven-1",
        lambda c: signed_in_shape(
            "oadrPoll", c.cert_path, c.key_path, _enveloped((Transform(EXCLUSIVE_C14N),)), ven_id="ven-1"
        ),
    ),
    "ecdsa_enveloped": (
        "vtn-ecc",
        "ven-ecc",
        lambda c: signed_in_shape(
            "oadrPoll",
            c.cert_path,
            c.key_path,
            Shape(signature_method=ECDSA_SHA256, references=_enveloped().references),
            ven_id="ven-ecc",
        ),
    ),
}


@pytest.mark.parametrize("shape", sorted(ACCEPTED))
async def test_every_shape_the_profile_allows_is_verified_and_accepted(
    dev_certs: dict[str, Issued], official_schema: etree.XMLSchema, shape: str
) -> None:
    certificate, ven_id, build = ACCEPTED[shape]
    document = build(dev_certs[certificate])
    XMLVerifier().verify(
        etree.fromstring(document), x509_cert=dev_certs[certificate].cert_path.read_text(), expect_references=2
    )
    exchange, requester, security = make(dev_certs, official_schema)
    answer = await exchange.handle("OadrPoll", document, as_ven(dev_certs, certificate))
    assert code_and_text(answer.body)[0] == "200", code_and_text(answer.body)
    forwarded = requester.requests[0][1].payload
    assert isinstance(forwarded, VenRequest) and forwarded.context.signed
    assert forwarded.message.ven_id == ven_id
    assert security.refusals == {}


@pytest.mark.parametrize("shape", ["by_id_inclusive", "enveloped"])
async def test_a_message_changed_after_signing_is_refused_in_every_shape(
    dev_certs: dict[str, Issued], official_schema: etree.XMLSchema, shape: str
) -> None:
    certificate, _, build = ACCEPTED[shape]
    exchange, requester, security = make(dev_certs, official_schema)
    answer = await exchange.handle(
        "OadrPoll", tampered(build(dev_certs[certificate]), "ven-2"), as_ven(dev_certs, certificate)
    )
    code, text = code_and_text(answer.body)
    assert (code, requester.requests) == ("463", [])
    assert "does not verify" in text and "differs" in text
    assert security.refusals == {"signature_invalid": 1}


async def test_a_second_element_carrying_the_signed_id_is_refused(
    dev_certs: dict[str, Issued], official_schema: etree.XMLSchema
) -> None:
    ven1 = dev_certs["ven1"]
    root = etree.fromstring(openleadr_signed("oadrPoll", ven1.cert_path, ven1.key_path, ven_id="ven-1"))
    signature = root.find(f"{{{DS}}}Signature")
    assert signature is not None
    twin = etree.SubElement(signature.find(f"{{{DS}}}Object"), "twin")  # type: ignore[arg-type]
    twin.set("Id", "oadrSignedObject")
    exchange, requester, _ = make(dev_certs, official_schema)
    answer = await exchange.handle("OadrPoll", etree.tostring(root), as_ven(dev_certs, "ven1"))
    assert code_and_text(answer.body) == (
        "463",
        "the signature does not verify: two elements carry the Id 'oadrSignedObject'",
    )
    assert requester.requests == []


def test_what_is_used_is_the_signed_object_re_read_from_the_signed_bytes(dev_certs: dict[str, Issued]) -> None:
    ven1 = dev_certs["ven1"]
    for document in (ACCEPTED["openleadr_rsa"][2](ven1), ACCEPTED["enveloped"][2](ven1)):
        root = etree.fromstring(document)
        content = signatures.SignatureVerifier().verify(root, signatures.signature_of(root))  # type: ignore[arg-type]
        assert (
            content.signed_object.tag == SIGNED_OBJECT and content.signed_object.getroottree() is not root.getroottree()
        )
        assert content.signed_bytes == etree.tostring(root.find(SIGNED_OBJECT), method="c14n")
