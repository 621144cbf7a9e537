"""Relative links in the notebooks' markdown cells, README.md and docs/*.md resolve to files.

Links inside code (fenced blocks, inline backticks) are examples, not links, and are skipped;
so are absolute URLs (``https:``, ``mailto:``) and links to an anchor in the same document.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent

_FENCE = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.MULTILINE | re.DOTALL)
_INLINE_CODE = re.compile(r"(`+)(?:(?!\1).)+?\1", re.DOTALL)
# [text](target "title") and ![alt](target); the text may hold one level of brackets
_LINK = re.compile(
    r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+[\"'][^\"']*[\"'])?\s*\)"
)
_REFERENCE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$", re.MULTILINE)
_HTML = re.compile(r"<(?:a|img)\s[^>]*?(?:href|src)\s*=\s*[\"']([^\"']+)[\"']", re.IGNORECASE)


def documents() -> list[Path]:
    docs = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    docs += sorted((ROOT / "notebooks").glob("*.ipynb"))
    return [p for p in docs if p.is_file()]


def markdown_of(path: Path) -> list[str]:
    """The markdown texts of a document: the file, or each markdown cell of a notebook."""
    if path.suffix == ".ipynb":
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        return ["".join(c["source"]) for c in cells if c["cell_type"] == "markdown"]
    return [path.read_text(encoding="utf-8")]


def link_targets(markdown: str) -> list[str]:
    """Every link target outside code, in order of appearance."""
    text = _FENCE.sub("", markdown)
    text = _INLINE_CODE.sub("", text)
    targets = [m.group(1) for m in _LINK.finditer(text)]
    targets += [m.group(1) for m in _REFERENCE.finditer(text)]
    targets += [m.group(1) for m in _HTML.finditer(text)]
    return targets


def local_path(target: str, base: Path) -> Path | None:
    """The file a relative link points to, or None for URLs and same-document anchors."""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path:
        return None
    return (base.parent / unquote(parts.path)).resolve()


def broken_links(path: Path) -> list[str]:
    broken = []
    for i, markdown in enumerate(markdown_of(path)):
        for target in link_targets(markdown):
            resolved = local_path(target, path)
            if resolved is not None and not resolved.exists():
                where = f"markdown cell {i}" if path.suffix == ".ipynb" else "text"
                broken.append(f"{where}: ({target}) -> {resolved} does not exist")
    return broken


@pytest.mark.parametrize("path", documents(), ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve(path: Path) -> None:
    broken = broken_links(path)
    assert not broken, f"{path.relative_to(ROOT)}:\n  " + "\n  ".join(broken)


def test_the_documents_do_link_to_files() -> None:
    local = [
        t
        for p in documents()
        for md in markdown_of(p)
        for t in link_targets(md)
        if local_path(t, p) is not None
    ]
    assert len(local) >= 5, "expected relative links between the notebooks and docs"


def test_the_link_finder_finds_links_and_skips_code(tmp_path: Path) -> None:
    text = (
        'See [notebook 03](03_x.ipynb) and ![chart](img/a.png "title") and\n'
        "[schema](../docs/schema.md#tables), [web](https://example.org), [top](#summary),\n"
        '<a href="other.md">other</a>, and `[not a link](in_code.md)`.\n'
        "```\n[also not](fenced.md)\n```\n"
        "[ref]: refs/target.md\n"
    )
    assert link_targets(text) == [
        "03_x.ipynb",
        "img/a.png",
        "../docs/schema.md#tables",
        "https://example.org",
        "#summary",
        "refs/target.md",
        "other.md",
    ]
    doc = tmp_path / "docs" / "page.md"
    doc.parent.mkdir()
    (tmp_path / "docs" / "here.md").write_text("x")
    doc.write_text("[ok](here.md#part) [gone](missing.md) [web](https://example.org) [a](#x)")
    assert broken_links(doc) == [
        f"text: (missing.md) -> {tmp_path / 'docs' / 'missing.md'} does not exist"
    ]
