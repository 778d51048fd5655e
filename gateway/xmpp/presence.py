"""What the XMPP server says of VENs' presence, for the VENs this connector instance delivers to.

A VEN sends its presence to the VTN's JID when it logs in (a directed presence), and the server tells the VTN
when that session ends. Online: a sign of life for presence_svc, and its lane pushes again at once whatever
its backoff said. Gone: reported unreachable (presence_svc marks it offline, unless it was seen since), and its
lane keeps retrying with backoff. Every instance hears every VEN's presence; only the instance delivering to
the VEN acts on it. The VEN is found by its JID's account, its certificate's fingerprint.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

import asyncpg

from gateway.push.reporting import DeliveryReporter
from shared.db.vens import ven_of_fingerprint
from shared.xmpp_addresses import fingerprint_of_jid, parse_jid

log = logging.getLogger(__name__)

MAX_REMEMBERED = 1_000_000


class VenPresence:
    def __init__(
        self,
        pool: asyncpg.Pool,
        domain: str,
        owns: Callable[[str], bool],
        wake: Callable[[str, bool], None],
        reporter: DeliveryReporter,
    ) -> None:
        self._pool = pool
        self._domain = domain
        self._owns = owns
        self._wake = wake
        self._reporter = reporter
        self._ven_ids: dict[str, str] = {}  # fingerprint -> venID (a binding never moves to another venID)
        self._tasks: set[asyncio.Task[None]] = set()

    def __call__(self, sender: str, available: bool) -> None:
        task = asyncio.get_running_loop().create_task(self._handle(sender, available))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _handle(self, sender: str, available: bool) -> None:
        try:
            fingerprint = fingerprint_of_jid(parse_jid(sender), self._domain)
        except ValueError:
            return
        if fingerprint is None:
            return  # the VTN's own resources, or not a VEN of this server
        ven_id = await self._ven_of(fingerprint)
        if ven_id is None or not self._owns(ven_id):
            return
        if available:
            self._reporter.saw(ven_id)
            self._wake(ven_id, True)
            log.info("VEN online on the XMPP server", extra={"action": "xmpp_ven_online", "ven_id": ven_id})
        else:
            await self._reporter.unreachable(ven_id, time.time(), "the VEN's XMPP session ended")
            log.info("VEN left the XMPP server", extra={"action": "xmpp_ven_offline", "ven_id": ven_id})

    async def _ven_of(self, fingerprint: str) -> str | None:
        known = self._ven_ids.get(fingerprint)
        if known is not None:
            return known
        try:
            async with self._pool.acquire() as conn:
                ven_id = await ven_of_fingerprint(conn, fingerprint)
        except (OSError, asyncpg.PostgresError) as error:
            log.warning(
                "presence not matched to a VEN", extra={"action": "xmpp_presence_unmatched", "error": repr(error)}
            )
            return None
        if ven_id is not None:
            if len(self._ven_ids) >= MAX_REMEMBERED:
                self._ven_ids.clear()
            self._ven_ids[fingerprint] = ven_id
        return ven_id

    async def stop(self) -> None:
        await asyncio.gather(*list(self._tasks), return_exceptions=True)
