"""Push VENs for the fault suite: registered with oadrHttpPullModel false, their endpoints on one
`PushVenServer`, each answering every push as the spec says and every new event (modification) with an
oadrCreatedEvent sent to the VTN, again until it is acknowledged (a VEN retrying). What the VTN acknowledged
goes in the same `Ledger` as the polling VENs' answers; every push a VEN got is kept, to count repeats."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable, Iterable

import httpx

from bench.loadgen import messages
from bench.loadgen.push_server import Pushed, PushVenServer
from tests.faults.fleet import Ledger, new_request_id

OPT = "optIn"


def vens_holding(received_by_ven: Iterable[list[Pushed]], event_id: str) -> int:
    """VENs that got a set holding the event."""
    return sum(1 for received in received_by_ven if any(any(e[0] == event_id for e in p.events) for p in received))


def repeated_sets(received_by_ven: Iterable[list[Pushed]], event_ids: list[str]) -> int:
    """Event sets a VEN got twice: the same queued message (its requestID) sent again. (A set holds every event
    of the VEN, so an event appears again in later sets: that is no repeat.)"""
    count = 0
    for received in received_by_ven:
        seen = Counter(p.request_id for p in received if any(e in event_ids for e, _, _ in p.events))
        count += sum(n - 1 for n in seen.values())
    return count


class PushFleet:
    def __init__(self, url: str, size: int, ledger: Ledger) -> None:
        self.server = PushVenServer()
        self._http = httpx.AsyncClient(
            base_url=url, timeout=httpx.Timeout(15.0), limits=httpx.Limits(max_connections=size + 5)
        )
        self.ledger = ledger
        self.size = size
        self.ven_ids: dict[str, str] = {}  # endpoint key -> venID
        self.answered: set[tuple[str, str, int]] = set()  # (venID, eventID, modification) acknowledged
        self._answering: set[asyncio.Task[None]] = set()
        self._stopping = asyncio.Event()

    async def start(self) -> None:
        await self.server.start()
        stamp = f"{time.time_ns():x}"
        for i in range(self.size):
            key = f"push-fault-{stamp}-{i}"
            self.server.endpoint(key).on_push = self._answer_of(key)
            await self._register(key)

    async def _register(self, key: str) -> None:
        body = messages.create_party_registration(
            new_request_id(), key, transport_address=self.server.address_of(key), http_pull_model=False
        )
        for _ in range(60):
            try:
                answer = await self._http.post("/EiRegisterParty", content=body)
                if answer.status_code == 200 and "<ei:responseCode>200<" in answer.text:
                    ven_id = answer.text.split("<ei:venID>", 1)[1].split("<", 1)[0]
                    self.ven_ids[key] = self.server.endpoint(key).ven_id = ven_id
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.5)
        raise AssertionError(f"{key} could not register")

    def _answer_of(self, key: str) -> Callable[[Pushed], None]:
        def on_push(pushed: Pushed) -> None:
            ven_id = self.ven_ids.get(key, "")
            todo = [(e, m) for e, m, _ in pushed.events if (ven_id, e, m) not in self.answered]
            if todo and not self._stopping.is_set():
                task = asyncio.get_running_loop().create_task(self._answer(ven_id, pushed.request_id or "", todo))
                self._answering.add(task)
                task.add_done_callback(self._answering.discard)

        return on_push

    async def _answer(self, ven_id: str, request_id: str, todo: list[tuple[str, int]]) -> None:
        body = messages.created_event(request_id, ven_id, [(e, m, OPT) for e, m in todo])
        while not self._stopping.is_set():
            try:
                answer = await self._http.post("/EiEvent", content=body)
                if answer.status_code == 200 and "<ei:responseCode>200<" in answer.text:
                    for event_id, modification in todo:
                        self.answered.add((ven_id, event_id, modification))
                        self.ledger.event_answers.setdefault((ven_id, event_id, modification, OPT), self.ledger.phase)
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.5)

    def missing(self, event_ids: list[str]) -> list[tuple[str, str]]:
        """(venID, eventID) not yet answered with acknowledgement, modification 0."""
        return [(v, e) for v in self.ven_ids.values() for e in event_ids if (v, e, 0) not in self.answered]

    def received(self, event_id: str) -> int:
        """Push VENs that got a set holding the event."""
        return vens_holding((endpoint.received for endpoint in self.server.endpoints.values()), event_id)

    def repeats(self, event_ids: list[str]) -> int:
        return repeated_sets((endpoint.received for endpoint in self.server.endpoints.values()), event_ids)

    async def stop(self) -> None:
        self._stopping.set()
        await asyncio.gather(*self._answering, return_exceptions=True)
        await self.server.stop()
        await self._http.aclose()
