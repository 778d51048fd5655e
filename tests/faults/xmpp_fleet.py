"""XMPP VENs for the fault suite: each with its own certificate of the fault stack's CA (its JID), logged in to
the fault stack's XMPP server, registered over XMPP, answering every message the VTN sends as the spec says
and every new event (modification) with an oadrCreatedEvent sent to the VTN as a request, again until it is
acknowledged (tests/integration/xmpp_ven.py). What the VTN acknowledged goes in the same `Ledger` as the
other fleets' answers; every message a VEN got is kept, to count repeats."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from lxml import etree

from gateway.xmpp.connection import AskFailed
from tests.faults.fleet import Ledger
from tests.faults.push_fleet import repeated_sets, vens_holding
from tests.integration.xmpp_ven import Server, XmppVen, issue_certificate

ANSWER_ATTEMPTS = 240  # half a second apart at least: a VEN keeps answering through any outage of the suite


class XmppFleet:
    def __init__(self, server: Server, size: int, ledger: Ledger, schema: etree.XMLSchema, cert_dir: Path) -> None:
        self.server = server
        self.size = size
        self.ledger = ledger
        self.schema = schema
        self.cert_dir = cert_dir
        self.vens: list[XmppVen] = []
        self.answered: set[tuple[str, str, int]] = set()  # (venID, eventID, modification) acknowledged

    async def start(self, timeout: float = 60.0) -> None:
        stamp = f"{time.time_ns():x}"
        for i in range(self.size):
            name = f"xmpp-fault-{stamp}-{i}"
            ven = XmppVen(
                name, issue_certificate(self.cert_dir, name, tls_dir=self.server.tls_dir), self.schema,
                server=self.server, on_answers_sent=self._acknowledged, answer_attempts=ANSWER_ATTEMPTS,
            )  # fmt: skip
            self.vens.append(ven)
        await asyncio.gather(*(self._register(ven, timeout) for ven in self.vens))

    async def _register(self, ven: XmppVen, timeout: float) -> None:
        """Log in and register, again while the connector is not logged in yet (the server answers `wait`)."""
        await ven.connect(timeout)
        deadline = time.monotonic() + timeout
        while not ven.ven_id:
            try:
                await ven.register()
            except (AskFailed, TimeoutError):
                pass
            if not ven.ven_id:
                if time.monotonic() > deadline:
                    raise AssertionError(f"{ven.name} could not register over XMPP")
                await asyncio.sleep(0.5)

    def _acknowledged(self, ven_id: str, answers: list[tuple[str, int, str]]) -> None:
        for event_id, modification, opt in answers:
            self.answered.add((ven_id, event_id, modification))
            self.ledger.event_answers.setdefault((ven_id, event_id, modification, opt), self.ledger.phase)

    @property
    def ven_ids(self) -> list[str]:
        return [ven.ven_id for ven in self.vens]

    def missing(self, event_ids: list[str]) -> list[tuple[str, str]]:
        """(venID, eventID) not yet answered with acknowledgement, modification 0."""
        return [(v, e) for v in self.ven_ids for e in event_ids if (v, e, 0) not in self.answered]

    def received(self, event_id: str) -> int:
        """XMPP VENs that got a set holding the event."""
        return vens_holding((ven.received for ven in self.vens), event_id)

    def repeats(self, event_ids: list[str]) -> int:
        return repeated_sets((ven.received for ven in self.vens), event_ids)

    def invalid(self) -> list[str]:
        """Documents the VTN sent that are not valid 2.0b."""
        return [problem for ven in self.vens for problem in ven.invalid]

    async def stop(self) -> None:
        for ven in self.vens:
            ven.stop_answering()
        await asyncio.gather(*(ven.settle() for ven in self.vens), return_exceptions=True)
        await asyncio.gather(*(ven.disconnect() for ven in self.vens), return_exceptions=True)
