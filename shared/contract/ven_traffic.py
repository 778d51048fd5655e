"""What the gateway and the services say to each other about one VEN request."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from shared.oadr.messages import VenMessage, VtnMessage
from shared.oadr.profiles import OadrProfile


class ContractModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RequestContext(ContractModel):
    """What the gateway established about the sender, for the services to rely on. `profile`: the OpenADR
    profile the request came in (its endpoint); a VEN is served only in its own (`vens.profile_name`)."""

    fingerprint: str | None = None
    remote_addr: str | None = None
    signed: bool = False
    profile: OadrProfile = OadrProfile.B


class VenRequest(ContractModel):
    """An OpenADR message from a VEN, parsed and validated by the gateway."""

    kind: Literal["ven_request"] = "ven_request"
    message: VenMessage
    context: RequestContext = RequestContext()


class VenReply(ContractModel):
    """The service's answer to a VenRequest, for the gateway to render.

    `cacheable` marks an answer to an oadrPoll (nothing pending, or unknown VEN) or an oadrRequestEvent (the
    VEN's whole set) that the gateway may repeat for this VEN's later requests of the same kind, without asking
    again, until a `VenChanged` notice for the VEN arrives.
    `pending_id` lets the gateway ignore a handout offer for a message it has already delivered.
    """

    kind: Literal["ven_reply"] = "ven_reply"
    message: VtnMessage
    cacheable: bool = False
    pending_id: int | None = None  # the message came from the VEN's pending queue (shared.db.pending)


class PendingHandout(ContractModel):
    """A VEN's only pending message, of a kind a repeat of which is harmless (a full oadrDistributeEvent):
    a gateway may hand it out on the VEN's next poll without asking registration_svc. `profile`: the VEN's, in
    which the message is rendered (a 2.0a VEN's next pull, its oadrRequestEvent, takes it)."""

    pending_id: int
    message: VtnMessage
    profile: OadrProfile = OadrProfile.B


class VenChanged(ContractModel):
    """Notice to every gateway instance: forget cached poll answers for this VEN and ask again; or, with
    `handout`, answer the VEN's next poll with that message (then report it with `PendingDelivered`).
    `push` marks a VEN whose messages the VTN pushes (registered with oadrHttpPullModel false): the pusher
    owning the VEN delivers what waits in its queue."""

    kind: Literal["ven_changed"] = "ven_changed"
    ven_id: str
    reason: str
    handout: PendingHandout | None = None
    push: bool = False


class PendingDelivered(ContractModel):
    """A VEN got its pending message `pending_id`: a gateway handed it out from a `VenChanged` handout, or a
    pusher pushed it and the VEN's answer was handled."""

    kind: Literal["pending_delivered"] = "pending_delivered"
    ven_id: str
    pending_id: int
    delivered_at: datetime


class PendingUndelivered(ContractModel):
    """The VEN never got its pending message `pending_id`, which a poll took: the answer reached the gateway
    only after it had answered the VEN 503, or the VEN had hung up by then. It goes back in the VEN's queue."""

    kind: Literal["pending_undelivered"] = "pending_undelivered"
    ven_id: str
    pending_id: int
