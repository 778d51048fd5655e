"""Pushes are written before answers are checked: in a burst, every VEN gets its message sooner.

A burst (an event for thousands of push VENs) makes many lanes ready to push at once while the answers to the
first pushes come back. Checking an answer (parsing it, the schema, the security checks, then handing it over
and recording the delivery) costs the pusher more CPU than writing a push, and asyncio runs whatever is ready
first come, first served: answers checked between the sends hold back every VEN still waiting for its push.
So each push attempt (`PushAttempt`) counts as sending from the moment its lane has the message in hand
until its request is written (or the attempt ended), and the VEN's answer, once read, is checked only when
no attempt is sending, or after ANSWER_HOLD_SECONDS at most (a send stuck in connecting must not hold every
answer back). Nothing else changes: one message at a time per VEN, its answer checked and handled and its
delivery recorded before the next, retries as before.

An attempt waiting for its answer's turn holds no push slot (VTN_PUSH_CONCURRENCY: released once the answer
is read) and no connection (the answer was read in full and the connection went back to its pool), so the
sends it waits for can always go.
"""

from __future__ import annotations

import asyncio
import contextlib
from types import TracebackType

ANSWER_HOLD_SECONDS = 0.5  # the longest an answer waits for the sends under way


class SendsFirst:
    def __init__(self, hold_seconds: float = ANSWER_HOLD_SECONDS) -> None:
        self._hold_seconds = hold_seconds
        self._sending = 0
        self._none_sending = asyncio.Event()
        self._none_sending.set()

    @property
    def sending(self) -> int:
        """Lanes with a message in hand whose request is not written yet."""
        return self._sending

    def sending_one(self) -> None:
        """A lane has a message to push."""
        self._sending += 1
        self._none_sending.clear()

    def sent_one(self) -> None:
        """That lane's request is written, or its attempt ended without it."""
        self._sending -= 1
        if self._sending <= 0:
            self._sending = 0
            self._none_sending.set()

    async def answers_turn(self) -> None:
        """Return once no lane is sending (lanes made ready just before go first), or after the hold."""
        await asyncio.sleep(0)  # lanes whose heads were read a moment ago run first and count themselves
        if self._sending:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._none_sending.wait(), self._hold_seconds)


class PushAttempt:
    """One attempt to push one message: counted as sending and holding a push slot (`slots`) from entry; the
    deliverer calls `written` once the request is on its way and `answer_read` once the VEN's answer is in hand
    (gateway.push.deliverer.Pacing). Leaving the block settles whatever the deliverer did not."""

    def __init__(self, sends: SendsFirst, slots: asyncio.Semaphore) -> None:
        self._sends = sends
        self._slots = slots
        self._sending = False
        self._holding = False

    async def __aenter__(self) -> PushAttempt:
        self._sends.sending_one()
        self._sending = True
        try:
            await self._slots.acquire()
        except BaseException:
            self.written()
            raise
        self._holding = True
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.written()
        self._release()

    def written(self) -> None:
        if self._sending:
            self._sending = False
            self._sends.sent_one()

    async def answer_read(self) -> None:
        """The answer is in hand: give the slot back and wait for the answers' turn."""
        self.written()
        self._release()
        await self._sends.answers_turn()

    def _release(self) -> None:
        if self._holding:
            self._holding = False
            self._slots.release()
