"""Process-level set-up shared by the generator and the reference servers: file limits and the event loop."""

from __future__ import annotations

import asyncio
import resource
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

_T = TypeVar("_T")


def raise_open_file_limit(wanted: int = 65536) -> int:
    """Raise this process's soft RLIMIT_NOFILE towards `wanted` (capped by the hard limit); return the result.

    Every simulated VEN holds one socket, and so does the server for each VEN, so 1000 VENs need well over
    the usual soft limit of 1024.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if target > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    return soft


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def event_loop_name() -> str:
    return "uvloop" if _loop_factory() is not None else "asyncio"


def run_async(coroutine: Coroutine[Any, Any, _T]) -> _T:
    """Run a coroutine to completion on uvloop when installed (cheaper per request), else on asyncio."""
    with asyncio.Runner(loop_factory=_loop_factory()) as runner:
        return runner.run(coroutine)
