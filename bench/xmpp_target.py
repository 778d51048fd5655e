"""The event benchmark's XMPP target (`vtn-xmpp`): the stack serving XMPP, its VENs those of bench.xmpp_vens.

    python -m bench.event_bench --vens 1000 --targets vtn,vtn-push,vtn-xmpp --rounds 1

The stack runs the XMPP connector and trusts the VENs' CA (bench.vtn_stack.FullStack with `xmpp_vens_ca`);
the VENs log in once the stack is up. The CPU reported for the target includes the XMPP server's and the
benchmark's own process (label `bench.event_bench`), where the simulated XMPP sessions run.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from bench.event_vens import EventVen
from bench.loadgen.config import VtnAddress
from bench.targets import BASE_PATH, LOOPBACK
from bench.vtn_stack import HTTP_PORT, FullStack
from bench.xmpp_vens import XmppService, xmpp_certificates, xmpp_fleet


class XmppTarget:
    """The certificates of `vens` XMPP VENs, made (or found) before the stack starts."""

    def __init__(self, vens: int) -> None:
        self._certificates = xmpp_certificates(vens)

    @property
    def ca_file(self) -> Path:
        return self._certificates.ca_file

    def fleet(self, stack: FullStack) -> Callable[[int], Awaitable[list[EventVen]]]:
        """What makes the target's VENs, once `stack` is up."""
        address = VtnAddress.parse(f"http://{LOOPBACK}:{HTTP_PORT}{BASE_PATH}")

        async def make(count: int) -> list[EventVen]:
            return await xmpp_fleet(count, XmppService.of(stack.xmpp_server), self._certificates.vens, address)

        return make
