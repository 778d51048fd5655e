"""oadrResponse and oadrUpdatedReport, the answers to most of what VENs send, written from templates.

Each template is rendered once by the tree renderer with markers where the values go, so an answer is
byte for byte what the renderer writes (tests/shared/oadr_xml/test_answer_templates.py holds them to it).
Values that are not plain printable ASCII without markup characters, and an oadrUpdatedReport carrying a
cancel, are left to the renderer. Building and serializing a tree per answer was a tenth of the gateway's
CPU under report load; a template costs a string join.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from shared.oadr.common import EiResponse
from shared.oadr.messages import VtnMessage
from shared.oadr.registration import Response
from shared.oadr.report import UpdatedReport

_PLAIN = re.compile(r"[\x20-\x25\x27-\x3b\x3d\x3f-\x7e]*")  # printable ASCII but & < >
_CODE_MARKER = 987654321
_MARKER = re.compile(r"@@(\w+)@@")
_ANSWERS: dict[str, Callable[[EiResponse, str | None], Response | UpdatedReport]] = {
    "oadrResponse": lambda response, ven_id: Response(response=response, ven_id=ven_id),
    "oadrUpdatedReport": lambda response, ven_id: UpdatedReport(response=response, ven_id=ven_id),
}


def encode_from_template(message: VtnMessage, render: Callable[[VtnMessage], bytes]) -> bytes | None:
    """The unsigned document of `message` from a template made with `render`; None when no template fits."""
    make = _ANSWERS.get(message.message_type)
    if make is None or getattr(message, "cancel_report", None) is not None:
        return None
    # every answer with a template has these two fields, which the VtnMessage union as a whole lacks
    response: EiResponse = getattr(message, "response")  # noqa: B009
    ven_id: str | None = getattr(message, "ven_id")  # noqa: B009
    values = {
        "code": str(response.response_code),
        "description": response.response_description,
        "request": response.request_id or "",
        "ven": ven_id,
    }
    if not all(value is None or _PLAIN.fullmatch(value) for value in values.values()):
        return None
    parts = _template(message.message_type, response.response_description is not None, ven_id is not None, render)
    return "".join(values[part] or "" if index % 2 else part for index, part in enumerate(parts)).encode()


@lru_cache(maxsize=16)
def _template(
    message_type: str, with_description: bool, with_ven_id: bool, render: Callable[[VtnMessage], bytes]
) -> tuple[str, ...]:
    """The rendered document split at its markers: text, value name, text, value name, ..., text."""
    response = EiResponse(
        response_code=_CODE_MARKER,
        response_description="@@description@@" if with_description else None,
        request_id="@@request@@",
    )
    document = render(_ANSWERS[message_type](response, "@@ven@@" if with_ven_id else None)).decode()
    return tuple(_MARKER.split(document.replace(f">{_CODE_MARKER}<", ">@@code@@<")))
