"""XML mapping of registration, poll and oadrResponse messages."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from lxml import etree

from shared.oadr.registration import (
    CanceledPartyRegistration,
    CancelPartyRegistration,
    CreatedPartyRegistration,
    CreatePartyRegistration,
    Poll,
    QueryRegistration,
    RequestReregistration,
    Response,
)
from shared.oadr_xml.common import (
    REQUEST_ID,
    VEN_ID,
    VTN_ID,
    add_ei_response,
    add_wrapped_duration,
    message_element,
    parse_ei_response,
)
from shared.oadr_xml.namespaces import EI, OADR, q
from shared.oadr_xml.tree import add, add_optional, optional_text, required_text, text_of
from shared.oadr_xml.values import parse_bool

REGISTRATION_ID = q(EI, "registrationID")


def parse_query_registration(element: etree._Element) -> QueryRegistration:
    return QueryRegistration(request_id=required_text(element, REQUEST_ID))


def parse_create_party_registration(element: etree._Element) -> CreatePartyRegistration:
    pull = text_of(element, q(OADR, "oadrHttpPullModel"))
    return CreatePartyRegistration(
        request_id=required_text(element, REQUEST_ID),
        registration_id=optional_text(element, REGISTRATION_ID),
        ven_id=optional_text(element, VEN_ID),
        profile_name=required_text(element, q(OADR, "oadrProfileName")),
        transport_name=required_text(element, q(OADR, "oadrTransportName")),
        transport_address=text_of(element, q(OADR, "oadrTransportAddress")) or None,
        report_only=parse_bool(required_text(element, q(OADR, "oadrReportOnly"))),
        xml_signature=parse_bool(required_text(element, q(OADR, "oadrXmlSignature"))),
        ven_name=text_of(element, q(OADR, "oadrVenName")) or None,
        http_pull_model=None if pull is None else parse_bool(pull),
    )


def parse_cancel_party_registration(element: etree._Element) -> CancelPartyRegistration:
    return CancelPartyRegistration(
        request_id=required_text(element, REQUEST_ID),
        registration_id=required_text(element, REGISTRATION_ID),
        ven_id=optional_text(element, VEN_ID),
    )


def parse_canceled_party_registration(element: etree._Element) -> CanceledPartyRegistration:
    return CanceledPartyRegistration(
        response=parse_ei_response(element),
        registration_id=optional_text(element, REGISTRATION_ID),
        ven_id=optional_text(element, VEN_ID),
    )


def parse_poll(element: etree._Element) -> Poll:
    return Poll(ven_id=required_text(element, VEN_ID))


def parse_response(element: etree._Element) -> Response:
    return Response(response=parse_ei_response(element), ven_id=optional_text(element, VEN_ID))


def render_created_party_registration(message: CreatedPartyRegistration) -> etree._Element:
    element = message_element("oadrCreatedPartyRegistration")
    add_ei_response(element, message.response)
    add_optional(element, REGISTRATION_ID, message.registration_id)
    add_optional(element, VEN_ID, message.ven_id)
    add(element, VTN_ID, message.vtn_id)
    profiles = add(element, q(OADR, "oadrProfiles"))
    for profile in message.profiles:
        profile_element = add(profiles, q(OADR, "oadrProfile"))
        add(profile_element, q(OADR, "oadrProfileName"), profile.profile_name)
        transports = add(profile_element, q(OADR, "oadrTransports"))
        for transport in profile.transports:
            add(add(transports, q(OADR, "oadrTransport")), q(OADR, "oadrTransportName"), transport.transport_name)
    if message.requested_poll_freq is not None:
        add_wrapped_duration(element, q(OADR, "oadrRequestedOadrPollFreq"), message.requested_poll_freq)
    if message.service_specific_info:
        services = add(element, q(OADR, "oadrServiceSpecificInfo"))
        for service in message.service_specific_info:
            service_element = add(services, q(OADR, "oadrService"))
            add(service_element, q(OADR, "oadrServiceName"), service.service_name)
            for key, value in service.info:
                info = add(service_element, q(OADR, "oadrInfo"))
                add(info, q(OADR, "oadrKey"), key)
                add(info, q(OADR, "oadrValue"), value)
    return element


def render_cancel_party_registration(message: CancelPartyRegistration) -> etree._Element:
    element = message_element("oadrCancelPartyRegistration")
    add(element, REQUEST_ID, message.request_id)
    add(element, REGISTRATION_ID, message.registration_id)
    add_optional(element, VEN_ID, message.ven_id)
    return element


def render_canceled_party_registration(message: CanceledPartyRegistration) -> etree._Element:
    element = message_element("oadrCanceledPartyRegistration")
    add_ei_response(element, message.response)
    add_optional(element, REGISTRATION_ID, message.registration_id)
    add_optional(element, VEN_ID, message.ven_id)
    return element


def render_request_reregistration(message: RequestReregistration) -> etree._Element:
    element = message_element("oadrRequestReregistration")
    add(element, VEN_ID, message.ven_id)
    return element


def render_response(message: Response) -> etree._Element:
    element = message_element("oadrResponse")
    add_ei_response(element, message.response)
    add_optional(element, VEN_ID, message.ven_id)
    return element


def render_response_without_ven_id(message: Response, namespace: str) -> etree._Element:
    """oadrResponse as profiles without its venID write it (2.0a)."""
    element = message_element("oadrResponse", namespace)
    add_ei_response(element, message.response)
    return element


PARSERS: Mapping[str, Callable[[etree._Element], Any]] = {
    "oadrQueryRegistration": parse_query_registration,
    "oadrCreatePartyRegistration": parse_create_party_registration,
    "oadrCancelPartyRegistration": parse_cancel_party_registration,
    "oadrCanceledPartyRegistration": parse_canceled_party_registration,
    "oadrPoll": parse_poll,
    "oadrResponse": parse_response,
}
RENDERERS: Mapping[str, Callable[[Any], etree._Element]] = {
    "oadrCreatedPartyRegistration": render_created_party_registration,
    "oadrCancelPartyRegistration": render_cancel_party_registration,
    "oadrCanceledPartyRegistration": render_canceled_party_registration,
    "oadrRequestReregistration": render_request_reregistration,
    "oadrResponse": render_response,
}
