"""What the Markdown and reStructuredText ingestors share: front matter, inline mark-up, block parsing."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

import yaml

from ..documents import Block, Document
from ._text import clean, decode, reflow
from .text import has_html, strip_fragments

_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.S)
_ATX = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)[ \t]*#*[ \t]*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_MD_INLINE = [
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), r"\1"),  # images: keep the alt text
    (re.compile(r"\[([^\]]+)\]\([^)]*\)"), r"\1"),  # links: keep the words
    (re.compile(r"\[([^\]]+)\]\[[^\]]*\]"), r"\1"),
    (re.compile(r"(\*\*|__)(.+?)\1"), r"\2"),
    (re.compile(r"(?<![\w*])[*_](?!\s)(.+?)(?<!\s)[*_](?![\w*])"), r"\1"),
    (re.compile(r"`([^`]*)`"), r"\1"),
    (re.compile(r"\\([\\`*_{}\[\]()#+\-.!|])"), r"\1"),
]
_RST_ADORNMENT = re.compile(r"""^([=\-~^"'`#*+:.<>_])\1{2,}\s*$""")
_RST_INLINE = [
    (re.compile(r"`([^`<]+?)\s*<[^>]*>`__?"), r"\1"),
    (re.compile(r":[\w:-]+:`([^`]*)`"), r"\1"),
    (re.compile(r"``([^`]*)``"), r"\1"),
    (re.compile(r"\*\*([^*]+)\*\*"), r"\1"),
    (re.compile(r"\*([^*]+)\*"), r"\1"),
    (re.compile(r"`([^`]+)`_{0,2}"), r"\1"),
    (re.compile(r"\|([\w -]+)\|"), r"\1"),
]
_RST_DIRECTIVE = re.compile(r"^\.\.(\s|$)")


def front_matter(text: str) -> tuple[dict, str]:
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    try:
        meta = yaml.safe_load(match.group(1))
    except yaml.YAMLError:
        return {}, text[match.end():]
    return (meta if isinstance(meta, dict) else {}), text[match.end():]


def _year(value: object) -> int | None:
    if isinstance(value, (date, datetime)):
        return value.year
    found = re.search(r"\b(1[89]\d\d|20\d\d)\b", str(value or ""))
    return int(found.group(1)) if found else None


def _inline(text: str, rules: list[tuple[re.Pattern[str], str]]) -> str:
    for pattern, repl in rules:
        text = pattern.sub(repl, text)
    return text


def _paragraphs(lines: list[str], rules: list[tuple[re.Pattern[str], str]]) -> list[Block]:
    text = "\n".join(lines)
    if has_html(text):
        text = strip_fragments(text)
    return [Block(p) for p in (clean(_inline(p, rules)) for p in reflow(text)) if p]


def markdown_blocks(text: str) -> list[Block]:
    text = _COMMENT.sub("", text)
    blocks: list[Block] = []
    pending: list[str] = []
    in_fence = False
    for line in text.splitlines():
        if _FENCE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            pending.append(line)
            continue
        atx = _ATX.match(line)
        setext = _SETEXT.match(line)
        if setext and pending and pending[-1].strip() and not _TABLE_RULE.match(line.replace("-", "--")):
            title = pending.pop()
            blocks += _paragraphs(pending, _MD_INLINE)
            blocks.append(Block(clean(_inline(title, _MD_INLINE)), level=1 if setext.group(1)[0] == "=" else 2))
            pending = []
        elif atx:
            blocks += _paragraphs(pending, _MD_INLINE)
            pending = []
            heading = clean(_inline(atx.group(2), _MD_INLINE))
            if heading:
                blocks.append(Block(heading, level=len(atx.group(1))))
        elif _TABLE_RULE.match(line):
            continue
        else:
            # Table rows become plain lines of cells.
            pending.append(" ".join(c.strip() for c in line.strip("|").split("|")) if line.lstrip().startswith("|") else line)
    blocks += _paragraphs(pending, _MD_INLINE)
    return blocks


_RST_FIELD = re.compile(r"^:(\w[\w ]*):\s+(.+?)\s*$")
_DOCINFO = {"author", "authors", "organisation", "organization", "date", "year", "url"}


def rst_docinfo(text: str) -> dict:
    """The bibliographic fields (``:Date: 2014``, ``:Organisation: ...``) at the top of an RST document."""
    fields: dict = {}
    for line in text.splitlines()[:40]:
        match = _RST_FIELD.match(line)
        if match and match.group(1).lower() in _DOCINFO:
            fields.setdefault(match.group(1).lower(), match.group(2))
    return fields


def rst_blocks(text: str) -> list[Block]:
    lines = text.splitlines()
    styles: list[tuple[str, bool]] = []
    blocks: list[Block] = []
    pending: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        over = bool(_RST_ADORNMENT.match(line)) and i + 2 < len(lines) and _RST_ADORNMENT.match(lines[i + 2] or "")
        if over and lines[i + 1].strip():
            title, style, step = lines[i + 1], (line.strip()[0], True), 3
        elif line.strip() and _RST_ADORNMENT.match(nxt) and len(nxt.strip()) >= len(line.strip().rstrip("=-~^")) - 1:
            title, style, step = line, (nxt.strip()[0], False), 2
        else:
            if not _RST_DIRECTIVE.match(line):
                pending.append(line)
            i += 1
            continue
        if style not in styles:
            styles.append(style)
        blocks += _paragraphs(pending, _RST_INLINE)
        pending = []
        # A real-world glitch: an adornment character left at the end of the title text.
        heading = clean(_inline(title.strip().rstrip("=~^").strip(), _RST_INLINE))
        if heading:
            blocks.append(Block(heading, level=min(6, styles.index(style) + 1)))
        i += step
    blocks += _paragraphs(pending, _RST_INLINE)
    return blocks


def document(path: Path, fmt: str, meta: dict, blocks: list[Block]) -> Document:
    title = clean(str(meta.get("title") or "")) or next((b.text for b in blocks if b.is_heading), "") or path.stem
    year = _year(meta.get("date") or meta.get("year") or meta.get("published_time"))
    author = str(meta.get("organisation") or meta.get("organization") or meta.get("author") or "")
    url = str(meta.get("source_url") or meta.get("url") or meta.get("canonical_url") or "")
    return Document(path=str(path), format=fmt, title=title, blocks=tuple(blocks), year=year, author=author, url=url)


def read(path: Path) -> str:
    return decode(path.read_bytes(), str(path))
