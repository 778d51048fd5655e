"""The repository describes the product in its own terms: no references to work-tracking numbers.

A reader of the code or the docs cannot follow "issue N" or "(#N)": what the text means must be said
in it. Checked over every tracked source, doc and configuration file.
"""

from __future__ import annotations

import re
import subprocess

import pytest

from tests.conftest import REPO_ROOT

CHECKED_SUFFIXES = (".py", ".md", ".yml", ".yaml", ".sql", ".toml", ".cfg", ".txt")
CHECKED_NAMES = ("Makefile", "Dockerfile")
# The word issue or ticket before a number (with or without "#"), a "#" number in parentheses or after "see",
# and a list item that starts with a "#" number.
TRACKER_REFERENCE = re.compile(
    r"\b(?:issue|ticket)s?\s*#?\d+\b|\(#\d+\)|\bsee\s+#\d+\b|^\s*[-*]\s+#\d+\b", re.IGNORECASE | re.MULTILINE
)


def tracked_files() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    ).stdout.split("\0")
    return [p for p in listed if p.endswith(CHECKED_SUFFIXES) or p.rsplit("/", 1)[-1] in CHECKED_NAMES]


def tracker_references(text: str) -> list[str]:
    return [match.group(0).strip() for match in TRACKER_REFERENCE.finditer(text)]


def test_no_tracked_file_refers_to_work_tracking_numbers() -> None:
    found = {}
    for path in tracked_files():
        file = REPO_ROOT / path
        if file.is_file():
            references = tracker_references(file.read_text(errors="replace"))
            if references:
                found[path] = references
    assert found == {}


@pytest.mark.parametrize(
    "text",
    [
        "Security profile (issue " + "#5)",
        "built in (" + "#12)",
        "- " + "#2 walking skeleton",
        "fixed, see " + "#40",
        "per the Ticket " + "7 figures",
    ],
)
def test_the_check_finds_tracker_references(text: str) -> None:
    assert tracker_references(text) != []


@pytest.mark.parametrize(
    "text",
    [
        "a ticket taken before each request",
        "the CA that issues VEN certificates",
        "colour #fff",
        "rows 1-5 (# of VENs)",
        "file an issue on the project's page",
    ],
)
def test_the_check_leaves_product_words_alone(text: str) -> None:
    assert tracker_references(text) == []
