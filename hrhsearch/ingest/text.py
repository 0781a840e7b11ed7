"""Plain text: hard-wrapped lines reflowed, heading-like lines start sections, stray HTML stripped.

Text saved from web pages often carries HTML fragments (``<li>`` lists inside a table cell, ``<b>``
labels). Those are turned into lines before reflowing, and list items stay separate lines.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from ..documents import Block, Document
from ._text import clean, decode, looks_like_heading, reflow
from .html import parse_html

_TAG = re.compile(r"</?([a-zA-Z][a-zA-Z0-9]*)\b[^<>]*>")
_FRAGMENT_TAGS = frozenset("a b i em strong p br li ul ol div span table tr td th h1 h2 h3 h4 h5 h6 font u".split())
_WHOLE_PAGE = re.compile(r"^\s*(<!doctype html|<html)", re.I)
_BLOCK_TAG = re.compile(r"<(?:/?(?:p|div|ul|ol|table|tr|h[1-6])|br\s*/?)\b[^<>]*>", re.I)
_LIST_ITEM = re.compile(r"<li\b[^<>]*>", re.I)
_MD_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*$")


def has_html(text: str) -> bool:
    return sum(1 for m in _TAG.finditer(text[:200_000]) if m.group(1).lower() in _FRAGMENT_TAGS) >= 2


def strip_fragments(text: str) -> str:
    """Tags to line breaks (list items become bullet lines), everything else dropped."""
    text = _LIST_ITEM.sub("\n\n\u2022 ", text)
    text = _BLOCK_TAG.sub("\n\n", text)
    return html.unescape(_TAG.sub("", text))


def blocks_from_text(text: str) -> list[Block]:
    blocks: list[Block] = []
    for paragraph_lines in _paragraph_line_groups(text):
        first, rest = paragraph_lines[0], paragraph_lines[1:]
        md = _MD_HEADING.match(first.strip())
        if md:
            blocks.append(Block(clean(md.group(2)), level=len(md.group(1))))
        elif looks_like_heading(clean(first)) and (not rest or rest[0].strip()[:1].isupper()):
            # A title-like first line directly above a paragraph is its heading.
            blocks.append(Block(clean(first), level=1 if clean(first).isupper() else 2))
        else:
            rest = paragraph_lines
        blocks.extend(Block(p) for p in reflow("\n".join(rest)))
    return blocks


def _paragraph_line_groups(text: str) -> list[list[str]]:
    groups: list[list[str]] = [[]]
    for line in text.splitlines():
        if line.strip():
            groups[-1].append(line)
        elif groups[-1]:
            groups.append([])
    return [g for g in groups if g]


def extract(path: Path) -> Document:
    text = decode(path.read_bytes(), str(path))
    if _WHOLE_PAGE.match(text):
        title, blocks = parse_html(text)
    else:
        if has_html(text):
            text = strip_fragments(text)
        title, blocks = "", blocks_from_text(text)
    title = title or next((b.text for b in blocks if b.is_heading), "") or path.stem
    return Document(path=str(path), format="text", title=title, blocks=tuple(blocks))
