"""A ``Document`` to ``Section`` s: one per heading, long ones cut into passages of bounded size.

Passages end on paragraph boundaries where they can, on sentence boundaries where a paragraph is
too long, and on word boundaries only for text without sentences. Every passage keeps its heading
path and page span. Ids are the document id plus the passage's position, so the same file gives
the same ids on every run.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from . import language
from .documents import Block, Document, Section
from .records import MAX_WORDS

MIN_WORDS = 100
_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+(?=[\"'(\[«¿¡]?[A-ZÀ-ÖØ-Þ0-9])")


def doc_id(path: str) -> str:
    return hashlib.sha1(path.encode("utf-8", "surrogatepass")).hexdigest()[:12]


@dataclass
class _Draft:
    heading: tuple[str, ...]
    paragraphs: list[tuple[str, int | None]] = field(default_factory=list)
    page: int | None = None


def split(document: Document, max_words: int = MAX_WORDS) -> list[Section]:
    """Cut a document into passages, each with its heading path, pages and language."""
    drafts = _drafts(document.blocks, document.title)
    doc_language = language.detect(" ".join(p for d in drafts for p, _ in d.paragraphs))
    chunked = [(draft, _chunks(draft.paragraphs, max_words) or [[]]) for draft in drafts]
    # Language detection is most of the cost of reading a file; a lone passage is the whole
    # document, whose language is already known.
    alone = sum(len(chunks) for _, chunks in chunked) == 1
    did = doc_id(document.path)
    sections: list[Section] = []
    for draft, chunks in chunked:
        for chunk in chunks:
            text = _join(chunk)
            pages = [page for _, page, _ in chunk if page is not None]
            sections.append(
                Section(
                    section_id=f"{did}-{len(sections):04d}",
                    doc_id=did,
                    path=document.path,
                    format=document.format,
                    title=document.title,
                    heading=draft.heading,
                    text=text,
                    language=doc_language if alone else language.detect(
                        text, fallback=doc_language, sample_chars=language.PASSAGE_SAMPLE_CHARS),
                    position=len(sections),
                    page_start=min(pages) if pages else None,
                    page_end=max(pages) if pages else None,
                    year=document.year,
                )
            )
    return sections


def _drafts(blocks: tuple[Block, ...], title: str = "") -> list[_Draft]:
    """Group blocks under their headings.

    A heading with no text of its own lives on in the heading path of its subsections. Runs of
    headings with neither text nor subsections (a table of contents, a cover page) become one
    section that lists them, so that no heading is lost.
    """
    raw: list[_Draft] = [_Draft(heading=())]
    stack: list[tuple[int, str]] = []
    for block in blocks:
        if block.is_heading and _part_of_title(block.text, title):
            stack.clear()  # the title repeated as a heading adds nothing to the heading path
            raw.append(_Draft(heading=(), page=block.page))
        elif block.is_heading:
            while stack and stack[-1][0] >= block.level:
                stack.pop()
            stack.append((block.level, block.text))
            raw.append(_Draft(heading=tuple(text for _, text in stack), page=block.page))
        else:
            raw[-1].paragraphs.append((block.text, block.page))
    drafts: list[_Draft] = []
    orphans: list[_Draft] = []
    for n, draft in enumerate(raw):
        following = raw[n + 1].heading if n + 1 < len(raw) else ()
        if not draft.paragraphs and (not draft.heading or following[: len(draft.heading)] == draft.heading):
            continue
        if not draft.paragraphs:
            orphans.append(draft)
            continue
        _flush_orphans(drafts, orphans)
        drafts.append(draft)
    _flush_orphans(drafts, orphans)
    return drafts


def _part_of_title(heading: str, title: str) -> bool:
    heading, title = heading.casefold(), title.casefold()
    return heading == title or (len(heading.split()) >= 3 and heading in title)


def _flush_orphans(drafts: list[_Draft], orphans: list[_Draft]) -> None:
    if orphans:
        prefix = orphans[0].heading[:-1]
        while any(o.heading[: len(prefix)] != prefix for o in orphans):
            prefix = prefix[:-1]
        lines = [(" > ".join(o.heading[len(prefix):]), o.page) for o in orphans]
        drafts.append(_Draft(heading=prefix, paragraphs=lines))
        orphans.clear()


_Piece = tuple[str, "int | None", int]  # text, page, index of the paragraph it came from


def _join(chunk: list[_Piece]) -> str:
    """Sentences of one paragraph join with a space, paragraphs with a blank line."""
    out = ""
    for n, (text, _, para) in enumerate(chunk):
        out += ("" if n == 0 else " " if chunk[n - 1][2] == para else "\n\n") + text
    return out


def _chunks(paragraphs: list[tuple[str, int | None]], max_words: int) -> list[list[_Piece]]:
    pieces = [(piece, page, n) for n, (text, page) in enumerate(paragraphs) for piece in _pieces(text, max_words)]
    chunks: list[list[_Piece]] = []
    words = 0
    for piece in pieces:
        n = len(piece[0].split())
        if chunks and words + n <= max_words:
            chunks[-1].append(piece)
            words += n
        else:
            chunks.append([piece])
            words = n
    min_words = min(MIN_WORDS, max_words // 3)
    if len(chunks) > 1 and sum(len(p[0].split()) for p in chunks[-1]) < min_words:
        # A short tail reads better joined to the passage before it than standing alone.
        tail = chunks.pop()
        chunks[-1].extend(tail)
    return chunks


def _pieces(text: str, max_words: int) -> list[str]:
    """A paragraph small enough to fit, or its sentences, or for text without sentences, word runs."""
    if len(text.split()) <= max_words:
        return [text.strip()]
    pieces: list[str] = []
    for sentence in _SENTENCE_END.split(text.strip()):
        words = sentence.split()
        if len(words) <= max_words:
            pieces.append(sentence)
        else:
            pieces.extend(" ".join(words[i : i + max_words]) for i in range(0, len(words), max_words))
    return pieces
