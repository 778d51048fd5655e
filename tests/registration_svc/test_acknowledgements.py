"""An oadrCanceledPartyRegistration answers only a cancel the VTN sent (registration_svc.acknowledgements);
the caller hands it the speaking VEN's own cancels only, so another VEN's never match."""

from __future__ import annotations

from registration_svc.acknowledgements import acknowledged_cancel
from shared.oadr.common import EiResponse
from shared.oadr.registration import CanceledPartyRegistration, CancelPartyRegistration

SENT = [
    CancelPartyRegistration(request_id="cancel-2", registration_id="reg-2", ven_id="ven-a"),
    CancelPartyRegistration(request_id="cancel-1", registration_id="reg-1", ven_id="ven-a"),
]


def ack(request_id: str | None, registration_id: str | None) -> CanceledPartyRegistration:
    return CanceledPartyRegistration(response=EiResponse(request_id=request_id), registration_id=registration_id)


def test_an_acknowledgement_names_its_cancel_by_request_id_and_registration_id() -> None:
    assert acknowledged_cancel(SENT, ack("cancel-1", "reg-1")) == SENT[1]
    assert acknowledged_cancel(SENT, ack("cancel-2", None)) == SENT[0]
    assert acknowledged_cancel(SENT, ack(None, "reg-1")) == SENT[1]
    assert acknowledged_cancel(SENT, ack("", "reg-2")) == SENT[0]  # an empty requestID names nothing


def test_an_acknowledgement_of_nothing_sent_or_of_nothing_at_all_answers_nothing() -> None:
    assert acknowledged_cancel(SENT, ack("cancel-1", "reg-2")) is None  # the two do not belong together
    assert acknowledged_cancel(SENT, ack("cancel-9", None)) is None
    assert acknowledged_cancel(SENT, ack(None, None)) is None
    assert acknowledged_cancel([], ack("cancel-1", "reg-1")) is None
