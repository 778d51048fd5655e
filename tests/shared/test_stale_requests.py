"""Which VEN requests go stale: each service names its own, and together they are the requests
docs/architecture.md lists (those whose answer is the delivery)."""

from __future__ import annotations

import re

from event_svc import ven_requests as event_requests
from registration_svc import polls
from registration_svc import ven_requests as registration_requests
from report_svc import ven_messages as report_requests
from shared.contract.backend_events import PollSighting, PollsObserved
from shared.contract.envelope import Envelope, utcnow
from shared.contract.ven_traffic import VenRequest
from shared.oadr.registration import Poll, QueryRegistration
from shared.stale_requests import AnsweredByDelivery
from tests.conftest import REPO_ROOT


def test_the_services_name_the_requests_the_architecture_says_go_stale() -> None:
    page = (REPO_ROOT / "docs" / "architecture.md").read_text()
    bullet = next(line for line in page.split("\n- ") if line.startswith("**Stale requests.**"))
    documented = set(re.findall(r"`(oadr\w+)`", bullet.split(" is skipped")[0]))
    named = AnsweredByDelivery.of(
        registration_requests.ANSWERED_BY_DELIVERY,
        polls.ANSWERED_BY_DELIVERY,
        event_requests.ANSWERED_BY_DELIVERY,
        report_requests.ANSWERED_BY_DELIVERY,
    )
    assert named.message_types == documented


def test_only_ven_requests_of_the_named_types_go_stale() -> None:
    goes_stale = AnsweredByDelivery.of({"oadrPoll"})
    assert goes_stale(Envelope(ven_id="v", payload=VenRequest(message=Poll(ven_id="v"))))
    assert not goes_stale(Envelope(payload=VenRequest(message=QueryRegistration(request_id="r"))))
    sightings = PollsObserved(gateway_instance="g", sightings=(PollSighting(ven_id="v", seen_at=utcnow()),))
    assert not goes_stale(Envelope(payload=sightings))
