"""Building blocks shared by every OpenADR message model."""

from __future__ import annotations

from enum import IntEnum

from pydantic import BaseModel, ConfigDict


class OadrModel(BaseModel):
    """Base of every OpenADR model: immutable, strict about unknown fields.

    Floats must be finite: INF and NaN have no JSON form for the payloads on Kafka.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


class ResponseCode(IntEnum):
    """The OpenADR 2.0b response codes this VTN uses (2.0b spec, section 8.4 and the certification tests)."""

    OK = 200
    BAD_REQUEST = 400
    NOT_ALLOWED = 405
    OUT_OF_SEQUENCE = 450
    NOT_ALLOWED_BY_PROFILE = 451
    INVALID_ID = 452
    NOT_RECOGNIZED = 453
    INVALID_DATA = 454
    COMPLIANCE_ERROR = 459
    SIGNAL_NOT_SUPPORTED = 460
    REPORT_NOT_SUPPORTED = 461
    TARGET_MISMATCH = 462
    NOT_REGISTERED_OR_AUTHORIZED = 463
    DEPLOYMENT_ERROR_OTHER = 469
    SERVICE_UNAVAILABLE = 503


class EiResponse(OadrModel):
    """The ei:eiResponse block: outcome of the request it answers."""

    response_code: int = ResponseCode.OK
    response_description: str | None = "OK"
    request_id: str | None = None

    @property
    def ok(self) -> bool:
        return self.response_code < 300
