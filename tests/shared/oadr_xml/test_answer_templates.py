"""The answers written from templates are byte for byte what the tree renderer writes, and valid 2.0b;
whatever a template cannot write as plain text goes to the renderer."""

from __future__ import annotations

import itertools

import pytest
from lxml import etree

from shared.oadr.common import EiResponse
from shared.oadr.messages import VtnMessage
from shared.oadr.registration import Response
from shared.oadr.report import CancelReport, UpdatedReport
from shared.oadr_xml.answer_templates import encode_from_template
from shared.oadr_xml.codec import encode, render
from tests.conftest import assert_valid

CODES = (200, 452, 503)
DESCRIPTIONS = (None, "OK", "unknown or unregistered venID", "rID 'x' was not requested by \"r\" at #4 (100%)")
REQUEST_IDS = (None, "", "5bee79e2391644f79b46c18592e729ac")
VEN_IDS = (None, "ven-1", "VEN 7 / building {A}")


def _answers() -> list[VtnMessage]:
    messages: list[VtnMessage] = []
    for code, description, request_id, ven_id in itertools.product(CODES, DESCRIPTIONS, REQUEST_IDS, VEN_IDS):
        response = EiResponse(response_code=code, response_description=description, request_id=request_id)
        messages.append(Response(response=response, ven_id=ven_id))
        messages.append(UpdatedReport(response=response, ven_id=ven_id))
    return messages


@pytest.mark.parametrize("message", _answers(), ids=lambda m: m.message_type)
def test_a_templated_answer_is_what_the_renderer_writes(message: VtnMessage, official_schema: etree.XMLSchema) -> None:
    templated = encode_from_template(message, render)
    assert templated is not None
    assert templated == render(message)
    assert_valid(official_schema, templated)


@pytest.mark.parametrize("text", ["a & b", "<tag>", "x > y", "vén", "tab\there", "line\nbreak"])
def test_values_needing_escapes_go_to_the_renderer(text: str) -> None:
    for message in (
        Response(response=EiResponse(response_description=text, request_id="r"), ven_id="ven-1"),
        UpdatedReport(response=EiResponse(request_id=text), ven_id="ven-1"),
        Response(response=EiResponse(request_id="r"), ven_id=text),
    ):
        assert encode_from_template(message, render) is None
        assert encode(message) == render(message)


def test_an_updated_report_with_a_cancel_goes_to_the_renderer(official_schema: etree.XMLSchema) -> None:
    cancel = CancelReport(request_id="c-1", report_request_ids=("rr-1",), report_to_follow=False, ven_id="ven-1")
    message = UpdatedReport(response=EiResponse(request_id="r"), ven_id="ven-1", cancel_report=cancel)
    assert encode_from_template(message, render) is None
    assert b"oadrCancelReport" in encode(message)
    assert_valid(official_schema, encode(message))
