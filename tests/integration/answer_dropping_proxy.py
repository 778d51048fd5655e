"""An HTTP proxy between a VEN and the VTN that loses one answer on the way back, as a dropped connection or a
gateway dying mid-answer would: the VTN handles the request in full, the VEN gets HTTP 503 instead."""

from __future__ import annotations

import aiohttp
from aiohttp import web


class AnswerDroppingProxy:
    """Forwards `{proxy}/{path}` to `{target}/{path}`; the answer to the first request whose body contains
    `marker` is dropped (with `in_answer`: the first answer that contains it, e.g. a poll's)."""

    def __init__(self, target: str, marker: bytes, in_answer: bool = False) -> None:
        self._target = target.rstrip("/")
        self._marker = marker
        self._in_answer = in_answer
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self.dropped = 0

    async def start(self) -> str:
        """Start listening on a free port of 127.0.0.1; the proxy's base URL."""
        self._session = aiohttp.ClientSession()
        app = web.Application()
        app.router.add_post("/{path:.*}", self._forward)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        return f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    async def _forward(self, request: web.Request) -> web.Response:
        assert self._session is not None
        body = await request.read()
        headers = {"Content-Type": request.headers.get("Content-Type", "application/xml")}
        async with self._session.post(
            f"{self._target}/{request.match_info['path']}", data=body, headers=headers
        ) as answer:
            content = await answer.read()
            status, content_type = answer.status, answer.headers.get("Content-Type", "application/xml")
        if self._marker in (content if self._in_answer else body) and not self.dropped:
            self.dropped += 1
            return web.Response(status=503, text="answer lost on the way")
        return web.Response(status=status, body=content, headers={"Content-Type": content_type})
