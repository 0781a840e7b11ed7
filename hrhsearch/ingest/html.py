"""HTML: the <title>, sections on h1-h6, no script/style/nav/footer, the declared charset honoured.

Built on the standard library's tokenizer so that nothing is fetched or run: images, scripts
and remote resources are never followed.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from ..documents import Block, Document
from ._text import clean, decode, reflow

_DROPPED = frozenset({"script", "style", "nav", "footer", "noscript", "template", "svg", "iframe", "object", "head"})
_BLOCK = frozenset(
    "address article aside blockquote br dd div dl dt fieldset figcaption figure form header hr li main "
    "ol p pre section table tbody td th thead tr ul caption".split()
)
_HEADINGS = {f"h{n}": n for n in range(1, 7)}
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
# <meta> names that say who published a page and when, most specific first.
_PUBLISHER = ("citation_publisher", "dc.publisher", "og:site_name", "author", "dc.creator")
_DATE = ("citation_publication_date", "citation_date", "dc.date", "article:published_time", "date")
_YEAR = re.compile(r"\b(19[5-9]\d|20\d\d)\b")


class _Collector(HTMLParser):
    """Walks the tag stream once, turning it into headings and paragraphs."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[Block] = []
        self.title = ""
        self._buffer: list[str] = []
        self._drop_depth = 0
        self._in_title = False
        self._heading: int = 0
        self._pre = 0
        self.meta: dict[str, str] = {}  # <meta name=... content=...>, and the canonical address as "url"

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("meta", "link"):
            self._remember(tag, dict(attrs))
        if tag == "title":
            self._in_title = True
        if tag in _DROPPED:
            self._drop_depth += 1
        elif tag in _HEADINGS or tag in _BLOCK:
            self._flush()
            self._heading = _HEADINGS.get(tag, self._heading)
            if tag == "li":
                self._buffer.append("\u2022 ")
            if tag == "pre":
                self._pre += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        if tag in _DROPPED:
            self._drop_depth = max(0, self._drop_depth - 1)
        elif tag in _HEADINGS or tag in _BLOCK:
            self._flush()
            if tag in _HEADINGS:
                self._heading = 0
            if tag == "pre":
                self._pre = max(0, self._pre - 1)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("meta", "link"):
            self._remember(tag, dict(attrs))
        if tag in _BLOCK:
            self._flush()

    def _remember(self, tag: str, attrs: dict[str, str | None]) -> None:
        if tag == "link" and (attrs.get("rel") or "").lower() == "canonical" and attrs.get("href"):
            self.meta.setdefault("url", attrs["href"] or "")
        name = (attrs.get("name") or attrs.get("property") or "").lower()
        if tag == "meta" and name and attrs.get("content"):
            self.meta.setdefault("url" if name == "og:url" else name, clean(attrs["content"] or ""))

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        elif not self._drop_depth:
            self._buffer.append(data)

    def _flush(self) -> None:
        text, self._buffer = "".join(self._buffer), []
        if self._heading:
            heading = clean(text.replace("\n", " "))
            if heading:
                self.blocks.append(Block(heading, level=self._heading))
        elif self._pre:
            self.blocks.extend(Block(p) for p in reflow(text))
        else:
            # Outside <pre>, newlines in HTML source are just spaces.
            paragraph = clean(text.replace("\n", " "))
            if paragraph and paragraph != "\u2022":
                self.blocks.append(Block(paragraph))

    def close(self) -> None:
        super().close()
        self._flush()


def parse_html(markup: str) -> tuple[str, list[Block]]:
    """Markup (a page or a fragment) to its title and blocks."""
    title, blocks, _ = _parse(markup)
    return title, blocks


def _parse(markup: str) -> tuple[str, list[Block], dict[str, str]]:
    collector = _Collector()
    collector.feed(markup)
    collector.close()
    return clean(collector.title), collector.blocks, collector.meta


def extract(path: Path) -> Document:
    data = path.read_bytes()
    declared = _CHARSET.search(data[:4096])
    markup = decode(data, str(path), declared.group(1).decode("ascii") if declared else None)
    title, blocks, meta = _parse(markup)
    if not title:
        title = next((b.text for b in blocks if b.is_heading), "") or path.stem
    year = next((_YEAR.search(meta[k]) for k in _DATE if k in meta and _YEAR.search(meta[k])), None)
    return Document(path=str(path), format="html", title=title, blocks=tuple(blocks),
                    year=int(year.group(1)) if year else None,
                    author=next((meta[k] for k in _PUBLISHER if meta.get(k)), ""), url=meta.get("url", ""))
