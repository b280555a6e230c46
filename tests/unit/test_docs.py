"""The docs hold together: every relative link in README.md and docs/ reaches a file of the
repository, and every #anchor a heading of its target (GitHub's slug rules); and no tracked file
points to a document outside the repository.
"""

from __future__ import annotations

import re
import subprocess
from collections import Counter
from functools import cache
from pathlib import Path
from urllib.parse import unquote

import pytest

REPO = Path(__file__).resolve().parents[2]
DOCS = sorted([REPO / "README.md", *(REPO / "docs").rglob("*.md")])

FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1")
# [text](target) and ![alt](target); the target may carry a "title". Nested brackets in the text
# (a code span with [ ]) are not used in these docs.
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)  # http:, https:, mailto:, ...

# What a reference to a document outside the repository looks like: the design and research notes
# the project started from, and absolute paths of the machine it was written on. Built from parts
# so this file does not match itself.
OUTSIDE = re.compile(
    "|".join(
        (
            r"(?<![\w.-])" + "shared" + "/",  # a relative path into the notes, with or without ../
            r"\b" + "DESIGN" + r"\.md\b",
            r"(?<![\w.-])/" + "work" + "/",  # absolute paths under /work
        )
    )
)


def prose_lines(text: str) -> list[tuple[int, str]]:
    """(line number, line) outside fenced code blocks."""
    lines, fence = [], None
    for number, line in enumerate(text.splitlines(), 1):
        opened = FENCE.match(line)
        if fence is None and opened:
            fence = opened.group(1)
        elif fence is not None and line.strip().startswith(fence[0] * len(fence)):
            fence = None
        elif fence is None:
            lines.append((number, line))
    return lines


def github_slug(heading: str) -> str:
    """The id GitHub gives a heading: its text lower-cased, punctuation dropped, spaces to dashes."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link counts as its text
    text = text.replace("`", "").strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


@cache
def anchors(path: Path) -> frozenset[str]:
    """Every heading anchor of a Markdown file, with GitHub's -1, -2 suffixes for repeats."""
    seen: Counter[str] = Counter()
    found = set()
    for _number, line in prose_lines(path.read_text(encoding="utf-8")):
        heading = HEADING.match(line)
        if heading:
            slug = github_slug(heading.group(2))
            found.add(f"{slug}-{seen[slug]}" if seen[slug] else slug)
            seen[slug] += 1
    return frozenset(found)


def links(path: Path) -> list[tuple[int, str]]:
    found = []
    for number, line in prose_lines(path.read_text(encoding="utf-8")):
        for target in LINK.findall(CODE_SPAN.sub("", line)):
            found.append((number, target))
    return found


def broken(source: Path, target: str) -> str | None:
    """Why a link from `source` does not resolve, or None when it does."""
    if EXTERNAL.match(target):
        return None
    file_part, _, anchor = target.partition("#")
    destination = (source.parent / unquote(file_part)).resolve() if file_part else source
    if not destination.is_relative_to(REPO):
        return "points outside the repository"
    if not destination.exists():
        return "no such file"
    if anchor:
        if destination.suffix != ".md":
            return "anchor into a file that is not Markdown"
        if unquote(anchor) not in anchors(destination):
            return f"no heading with anchor #{anchor} in {destination.relative_to(REPO)}"
    return None


@pytest.mark.parametrize("doc", DOCS, ids=lambda path: str(path.relative_to(REPO)))
def test_every_relative_link_resolves(doc: Path) -> None:
    problems = [
        f"{doc.relative_to(REPO)}:{number}: ({target}) {why}"
        for number, target in links(doc)
        if (why := broken(doc, target))
    ]
    assert not problems, "\n".join(problems)


def test_the_docs_are_linked_from_the_index() -> None:
    """Every page under docs/ is reachable: linked from docs/README.md."""
    index = REPO / "docs" / "README.md"
    linked = {(index.parent / target.partition("#")[0]).resolve() for _number, target in links(index)}
    pages = {page.resolve() for page in DOCS if page.is_relative_to(REPO / "docs") and page != index}
    assert pages - linked == set()


@pytest.mark.parametrize(
    ("target", "why"),
    [
        ("docs/README.md", None),
        ("docs/design.md#layout", None),
        ("docs/design.md#no-such-heading", "no heading with anchor #no-such-heading in docs/design.md"),
        ("docs/no-such-page.md", "no such file"),
        ("../outside.md", "points outside the repository"),
        ("https://example.com/anything#at-all", None),
    ],
)
def test_the_link_check_catches_broken_links(target: str, why: str | None) -> None:
    assert broken(REPO / "README.md", target) == why


@pytest.mark.parametrize(
    ("heading", "slug"),
    [
        (
            "Filtering by service and environment (resource attributes)",
            "filtering-by-service-and-environment-resource-attributes",
        ),
        ("One Collector (`otelcol.yaml`)", "one-collector-otelcolyaml"),
        ("Per call, against the bare SDK, the floor and peers", "per-call-against-the-bare-sdk-the-floor-and-peers"),
        ("genai-cost prices show", "genai-cost-prices-show"),
        ("Attribution: who spent it", "attribution-who-spent-it"),
    ],
)
def test_github_slug(heading: str, slug: str) -> None:
    assert github_slug(heading) == slug


def tracked_files() -> list[str]:
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True)
    return [name for name in listed.stdout.decode().split("\0") if name]


def outside_references(names: list[str]) -> list[str]:
    found = []
    for name in names:
        path = REPO / name
        if not path.is_file():  # deleted in the work tree, not yet committed
            continue
        data = path.read_bytes()
        if b"\0" in data:  # binary
            continue
        for number, line in enumerate(data.decode("utf-8", "replace").splitlines(), 1):
            if OUTSIDE.search(line):
                found.append(f"{name}:{number}: {line.strip()}")
    return found


def area(name: str) -> str:
    return name.split("/", 1)[0] if "/" in name else "(top level)"


AREAS = sorted({area(name) for name in tracked_files()})


@pytest.mark.parametrize("where", AREAS)
def test_no_tracked_file_refers_to_a_document_outside_the_repository(where: str) -> None:
    found = outside_references([name for name in tracked_files() if area(name) == where])
    assert not found, "point to docs/ instead:\n" + "\n".join(found)


def test_the_outside_reference_check_catches_each_kind() -> None:
    for line in ("see ../" + "shared" + "/reference/x.md", "as " + "DESIGN" + ".md says", "/" + "work/main/README.md"):
        assert OUTSIDE.search(line), line
    for line in ("docs/design.md", "a shared data set", "network/workers"):
        assert not OUTSIDE.search(line), line
