"""Which VEN a request speaks for (shared.ven_identity): with client certificates, the certificate decides."""

from __future__ import annotations

from shared.oadr.common import ResponseCode
from shared.ven_identity import CERTIFICATE_OF_NO_VEN, SpeakerRefused, certificate_speaker, not_bound


def test_a_request_speaks_for_the_ven_its_certificate_is_bound_to_with_or_without_a_ven_id() -> None:
    assert certificate_speaker(None, "ven-a") == "ven-a"
    assert certificate_speaker("ven-a", "ven-a") == "ven-a"


def test_naming_another_ven_is_refused_with_the_same_answer_whether_that_ven_exists_or_not() -> None:
    refusals = [certificate_speaker("ven-b", "ven-a"), certificate_speaker("ven-b", None)]
    assert refusals == [not_bound("ven-b")] * 2
    assert refusals[0] == SpeakerRefused(
        ResponseCode.NOT_REGISTERED_OR_AUTHORIZED, "venID ven-b is not bound to this certificate"
    )


def test_a_certificate_bound_to_no_ven_speaks_for_none() -> None:
    assert certificate_speaker(None, None) == CERTIFICATE_OF_NO_VEN
    assert CERTIFICATE_OF_NO_VEN.response_code == ResponseCode.NOT_REGISTERED_OR_AUTHORIZED
