"""Which message of the VTN a VEN's acknowledgement on EiRegisterParty answers (pure, no I/O).

An acknowledgement counts only for a message the VTN sent that same VEN (shared.db.pending.sent_to finds the
VEN's own): oadrCanceledPartyRegistration for an oadrCancelPartyRegistration, named by its requestID (the
eiResponse's) and registrationID; one that names neither answers nothing."""

from __future__ import annotations

from collections.abc import Sequence

from shared.oadr.registration import CanceledPartyRegistration, CancelPartyRegistration


def acknowledged_cancel(
    sent: Sequence[CancelPartyRegistration], acknowledgement: CanceledPartyRegistration
) -> CancelPartyRegistration | None:
    """The cancel among `sent` (the VEN's, newest first) that `acknowledgement` answers, or None."""
    request_id = acknowledgement.response.request_id or None
    registration_id = acknowledgement.registration_id or None
    if request_id is None and registration_id is None:
        return None
    for cancel in sent:
        if request_id not in (None, cancel.request_id):
            continue
        if registration_id not in (None, cancel.registration_id):
            continue
        return cancel
    return None
