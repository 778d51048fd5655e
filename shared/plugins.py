"""Loading and calling OpenLEADR-compatible handlers named in settings as "package.module:function"."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from typing import Any


def load_callable(spec: str) -> Callable[..., Any]:
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise ValueError(f"handler {spec!r} must look like 'package.module:function'")
    target: Any = importlib.import_module(module_name)
    for part in attribute.split("."):
        target = getattr(target, part)
    if not callable(target):
        raise ValueError(f"handler {spec!r} is not callable")
    return target  # type: ignore[no-any-return]


def load_optional(spec: str | None) -> Callable[..., Any] | None:
    return load_callable(spec) if spec else None


async def call_handler(handler: Callable[..., Any], *args: Any) -> Any:
    """Call a handler the way OpenLEADR does: plain functions and coroutine functions alike."""
    result = handler(*args)
    if inspect.isawaitable(result):
        result = await result
    return result
