"""The documentation site's hook (mkdocs.yml `hooks:`): docs/ pages may link to files elsewhere in the repository.

A relative link that leaves docs/ (`../CHANGELOG.md`, `../deploy/k8s/README.md`) works as written where the
Markdown is read in the repository. For the site, the linked file is added under `repository/` (a Markdown
file as a page of its own, whose links are followed the same way; anything else copied as it is) and the
link is rewritten to it. A link to a file that does not exist fails `mkdocs build --strict`, as a broken
link inside docs/ does; links inside docs/ and their anchors are mkdocs' own to check.
"""

from __future__ import annotations

import logging
import posixpath
import re
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

__all__ = ["REPOSITORY_FOLDER", "local_links", "on_files", "on_page_markdown"]

REPOSITORY_FOLDER = "repository"
# An inline Markdown link or image: [text](target "title"), the target up to the first space or ')'.
_LINK = re.compile(r"(!?\[[^\]]*\]\()([^)\s]+)([^)]*\))")
_FENCED_BLOCK = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.MULTILINE | re.DOTALL)
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")

log = logging.getLogger("mkdocs.hooks.docs_site")


def _is_local(target: str) -> bool:
    return not _SCHEME.match(target) and not target.startswith(("#", "/"))


def _outside_code(markdown: str) -> list[tuple[int, int]]:
    """The spans of `markdown` that are not fenced code blocks."""
    spans, start = [], 0
    for block in _FENCED_BLOCK.finditer(markdown):
        spans.append((start, block.start()))
        start = block.end()
    spans.append((start, len(markdown)))
    return spans


def local_links(markdown: str) -> list[str]:
    """The relative link targets of a Markdown text (anchors kept), outside fenced code blocks."""
    return [
        match.group(2)
        for start, end in _outside_code(markdown)
        for match in _LINK.finditer(markdown, start, end)
        if _is_local(match.group(2))
    ]


class _Site:
    """Where a repository file is in the site: docs/ files at their own path, the others under repository/."""

    def __init__(self, config: MkDocsConfig) -> None:
        self.docs_dir = Path(config.docs_dir).resolve()
        self.root = Path(config.config_file_path).resolve().parent

    def source_of(self, file: File) -> Path:
        return Path(file.abs_src_path or self.docs_dir / file.src_uri).resolve()

    def uri_of(self, path: Path) -> str:
        if path.is_relative_to(self.docs_dir):
            return path.relative_to(self.docs_dir).as_posix()
        return f"{REPOSITORY_FOLDER}/{path.relative_to(self.root).as_posix()}"

    def target_of(self, page_source: Path, link: str) -> tuple[Path, str]:
        """The file a link names (resolved against the page's real location) and its anchor."""
        path, _, anchor = link.partition("#")
        return (page_source.parent / path).resolve(), anchor


def _nav_entries(nav: object) -> list[str]:
    """Every page path named in mkdocs.yml's nav."""
    if isinstance(nav, str):
        return [nav]
    if isinstance(nav, dict):
        return [entry for value in nav.values() for entry in _nav_entries(value)]
    if isinstance(nav, list):
        return [entry for value in nav for entry in _nav_entries(value)]
    return []


def _include(files: Files, config: MkDocsConfig, site: _Site, referrer: str, name: str, target: Path) -> bool:
    """Add `target` to the site under repository/ unless it is there; False (and a warning) if it is no file."""
    if not target.is_relative_to(site.root) or not target.is_file():
        log.warning(f"{referrer} names '{name}', which is no file of the repository")
        return False
    uri = site.uri_of(target)
    if uri not in files:
        files.append(File.generated(config, uri, abs_src_path=str(target)))
    return True


def on_files(files: Files, *, config: MkDocsConfig) -> Files:
    """Add every repository file that the nav names under repository/ or that a page links to from outside
    docs/, following the added pages' links too."""
    site = _Site(config)
    pending = [site.source_of(f) for f in files.documentation_pages()]
    for entry in _nav_entries(config.nav):
        if entry.startswith(f"{REPOSITORY_FOLDER}/"):
            target = (site.root / entry.removeprefix(f"{REPOSITORY_FOLDER}/")).resolve()
            if _include(files, config, site, "mkdocs.yml's nav", entry, target):
                pending.append(target)
    seen: set[Path] = set()
    while pending:
        source = pending.pop()
        if source in seen or source.suffix != ".md":
            continue
        seen.add(source)
        for link in local_links(source.read_text()):
            target, _ = site.target_of(source, link)
            if target.is_relative_to(site.docs_dir) or not link.partition("#")[0]:
                continue
            if _include(files, config, site, f"'{source.relative_to(site.root)}'", link, target):
                pending.append(target)
    return files


def on_page_markdown(markdown: str, *, page: Page, config: MkDocsConfig, files: Files) -> str:
    """Point each link at the target's place in the site, relative to this page's place."""
    site = _Site(config)
    source = site.source_of(page.file)

    def relink(match: re.Match[str]) -> str:
        link = match.group(2)
        if not _is_local(link) or not link.partition("#")[0]:
            return match.group(0)
        target, anchor = site.target_of(source, link)
        if not target.is_relative_to(site.root) or not target.exists():
            return match.group(0)  # reported by on_files (outside docs/) or by mkdocs (inside)
        relative = posixpath.relpath(site.uri_of(target), posixpath.dirname(page.file.src_uri) or ".")
        return f"{match.group(1)}{relative}{'#' + anchor if anchor else ''}{match.group(3)}"

    parts, position = [], 0
    for start, end in _outside_code(markdown):
        parts.append(markdown[position:start])
        parts.append(_LINK.sub(relink, markdown[start:end]))
        position = end
    return "".join(parts)
