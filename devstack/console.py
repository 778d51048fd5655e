"""The devstack's terminal output: its own status lines and the prefixed output of its children.

One lock serialises every line so that output of processes echoed from several threads never interleaves
inside a line.
"""

from __future__ import annotations

import sys
import threading

__all__ = ["echo_line", "say", "shout"]

_lock = threading.Lock()
_PREFIX_WIDTH = 17
_COLOURS = (36, 32, 33, 35, 34, 96, 92, 93, 95, 94)


def _colour_for(name: str) -> int:
    return _COLOURS[sum(name.encode()) % len(_COLOURS)]


def _prefix(name: str) -> str:
    label = f"{name:<{_PREFIX_WIDTH}}|"
    if sys.stdout.isatty():
        return f"\033[{_colour_for(name)}m{label}\033[0m "
    return f"{label} "


def echo_line(name: str, text: str) -> None:
    """Write one line of a child's output, prefixed with the child's name."""
    with _lock:
        sys.stdout.write(_prefix(name) + text.rstrip("\n") + "\n")
        sys.stdout.flush()


def say(message: str) -> None:
    """A status line of the devstack itself."""
    echo_line("devstack", message)


def shout(message: str) -> None:
    """A failure that must not drown in the children's output."""
    bar = "!" * 78
    with _lock:
        sys.stderr.write(f"\n{bar}\n!!! {message}\n{bar}\n\n")
        sys.stderr.flush()
