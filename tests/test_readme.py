"""The README's promises hold: the two commands exist, its example event is one the VTN accepts, and every
link from it into the repository resolves."""

from __future__ import annotations

import json
import re

from markdown.extensions.toc import slugify

from devstack.docs_site import local_links
from event_svc.validation import validate_event
from shared.contract.events import CreateEvent
from tests.conftest import REPO_ROOT


def test_make_run_and_make_test_exist() -> None:
    makefile = (REPO_ROOT / "Makefile").read_text()
    assert "\nrun:" in makefile and "\ntest:" in makefile
    assert "make test" in (REPO_ROOT / ".ci" / "run").read_text()


def test_the_example_event_is_one_the_vtn_accepts() -> None:
    readme = (REPO_ROOT / "README.md").read_text()
    body = re.search(r"/api/v1/events -d '(.*?)'", readme, re.DOTALL)
    assert body is not None
    event = CreateEvent.model_validate(json.loads(body.group(1).replace("<the venID the VEN got>", "ven-1")))
    validate_event(event.active_period, event.signals, event.baseline, event.targets)


def _anchors(markdown: str) -> set[str]:
    """The ids the site's Markdown (Python-Markdown's toc) gives the headings of a page."""
    headings = re.findall(r"^#{1,6}\s+(.+?)\s*#*\s*$", markdown, re.MULTILINE)
    return {slugify(heading.replace("`", ""), "-") for heading in headings}


def broken_links(markdown: str) -> list[str]:
    """Links of a Markdown text at the repository's root to files that do not exist, or to missing anchors."""
    broken = []
    for target in local_links(markdown):
        path, _, anchor = target.partition("#")
        file = (REPO_ROOT / path).resolve()
        if not file.exists() or not file.is_relative_to(REPO_ROOT):
            broken.append(target)
        elif anchor and file.suffix == ".md" and anchor not in _anchors(file.read_text()):
            broken.append(target)
    return broken


def test_every_link_from_the_readme_into_the_repository_resolves() -> None:
    assert broken_links((REPO_ROOT / "README.md").read_text()) == []


def test_the_readme_links_into_the_docs() -> None:
    targets = {t.partition("#")[0] for t in local_links((REPO_ROOT / "README.md").read_text())}
    for page in ("architecture", "operating", "security", "deploying", "backends", "reliability", "performance"):
        assert f"docs/{page}.md" in targets, page


def test_a_broken_link_is_found() -> None:
    """The check has teeth: a missing file and a missing anchor are reported, good links and URLs are not."""
    text = (
        "[a](docs/nowhere.md), [b](docs/architecture.md#no-such-heading), [c](https://example.org), "
        "[d](docs/architecture.md#glossary), [e](deploy/k8s/README.md)"
    )
    assert broken_links(text) == ["docs/nowhere.md", "docs/architecture.md#no-such-heading"]
