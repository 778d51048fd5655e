"""The documentation site builds with `mkdocs build --strict`: no warning, no broken link or anchor, inside
docs/ or from docs/ to the rest of the repository."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT


def build(site_dir: Path, config: Path = REPO_ROOT / "mkdocs.yml") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "--strict",
            "--config-file",
            str(config),
            "--site-dir",
            str(site_dir),
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_site_builds_strictly(tmp_path: Path) -> None:
    result = build(tmp_path / "site")
    output = result.stdout + result.stderr
    assert result.returncode == 0 and "WARNING" not in output, output
    for page in (
        "architecture",
        "operating",
        "settings",
        "security",
        "deploying",
        "backends",
        "reliability",
        "performance",
    ):
        assert (tmp_path / "site" / page / "index.html").is_file(), page
    # Files outside docs/ that the pages link to are pages of the site too.
    for page in ("CHANGELOG", "bench", "deploy/k8s"):
        assert (tmp_path / "site" / "repository" / page / "index.html").is_file(), page


@pytest.fixture
def site_copy(tmp_path: Path) -> Path:
    """The site's sources (mkdocs.yml, the hook, docs/ and every tracked Markdown file) copied as they lie."""
    tracked = subprocess.run(
        ["git", "ls-files", "-z", "mkdocs.yml", "devstack/docs_site.py", "docs", "*.md"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\0")
    for name in filter(None, tracked):
        if (REPO_ROOT / name).is_file():
            (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / name).write_bytes((REPO_ROOT / name).read_bytes())
    return tmp_path


def test_the_copy_builds_as_the_repository_does(site_copy: Path) -> None:
    result = build(site_copy / "site", site_copy / "mkdocs.yml")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("line", "complaint"),
    [
        ("[gone](missing.md)", "not found among documentation files"),
        ("[gone](architecture.md#no-such-heading)", "does not contain an anchor"),
        ("[gone](../no-such-file.md)", "no file of the repository"),
    ],
)
def test_a_broken_link_fails_the_build(site_copy: Path, line: str, complaint: str) -> None:
    """The strict build has teeth: one broken link added to a copy of the site's sources fails it."""
    index = site_copy / "docs" / "index.md"
    index.write_text(index.read_text() + f"\n{line}\n")
    result = build(site_copy / "site", site_copy / "mkdocs.yml")
    assert result.returncode != 0 and complaint in result.stdout + result.stderr
