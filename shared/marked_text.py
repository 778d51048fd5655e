"""A text made once with marks where values go, filled in many times: the same document for many readers,
each with its own few values, at the cost of a string join instead of a rendering.

A mark is a string the text cannot otherwise hold by accident (shared.oadr.event_sets uses characters of
Unicode's private use area); `MarkedText.cut` still counts each mark and refuses a text where one occurs
other than as often as the caller put it there, so a value that happened to contain a mark can never be
mistaken for one: the caller then renders that text the slow way.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class MarkedText:
    """The text cut at its marks: `parts[0]`, value of `names[0]`, `parts[1]`, ..., `parts[-1]`."""

    parts: tuple[str, ...]
    names: tuple[str, ...]

    @classmethod
    def cut(cls, text: str, marks: Mapping[str, str], expected: Mapping[str, int]) -> MarkedText | None:
        """`text` cut at every occurrence of each mark (name -> mark); None unless each mark occurs exactly
        `expected[name]` times."""
        by_mark = {mark: name for name, mark in marks.items()}
        pattern = re.compile("|".join(re.escape(mark) for mark in sorted(by_mark, key=len, reverse=True)))
        pieces = pattern.split(text)
        found = tuple(by_mark[match.group()] for match in pattern.finditer(text))
        if any(found.count(name) != expected.get(name, 0) for name in marks):
            return None
        return cls(parts=tuple(pieces), names=found)

    def fill(self, values: Mapping[str, str]) -> str:
        """The text with each mark replaced by its value (already escaped as the text's format needs)."""
        pieces = [self.parts[0]]
        for name, part in zip(self.names, self.parts[1:], strict=True):
            pieces.append(values[name])
            pieces.append(part)
        return "".join(pieces)
