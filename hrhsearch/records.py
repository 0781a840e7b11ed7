"""What callers get back and pass in: ``Passage``, a passage found by a search, with its score and
snippet, and the settings ``Ranking`` (BM25's knobs), ``Limits`` (per-file limits of indexing) and
``MAX_WORDS`` (the longest passage). ``asdict(passage)`` is the JSON shape the CLI prints, so field
names here are a public contract. The settings live here so that naming them does not load the
modules that use them (their values are in ``defaults``); the records of indexing are in
``documents``, which a search never loads.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .defaults import B, DEFAULT_MEASURES, DEPTH, DOCID_KINDS, HEAD_BOOST, K1, MAX_WORDS, MEMORY_MB, TIMEOUT

__all__ = ["B", "DEFAULT_MEASURES", "DEPTH", "DOCID_KINDS", "HEAD_BOOST", "K1", "MAX_WORDS", "Limits", "Passage", "Ranking"]


@dataclass(frozen=True)
class Passage:
    """A search hit. ``snippet`` is plain text; ``highlights`` are (start, end) offsets into it."""

    rank: int
    score: float
    section_id: str
    path: str
    title: str
    heading: str
    page_start: int | None
    page_end: int | None
    language: str
    format: str
    snippet: str
    text: str
    highlights: tuple[tuple[int, int], ...] = field(default=())
    year: int | None = None
    organisations: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    doc_type: str = ""
    citation: str = ""


@dataclass(frozen=True)
class Ranking:
    """The knobs of ranking. ``k1`` is how fast repeated words stop adding score; ``b`` how much a
    long passage is discounted (0 = not at all, 1 = fully); ``head_boost`` weighs a match in a title
    or heading against one in the text."""

    k1: float = K1
    b: float = B
    head_boost: float = HEAD_BOOST


@dataclass(frozen=True)
class Limits:
    """Per-file limits. ``timeout`` in seconds of wall time; ``memory_mb`` of memory a worker may
    allocate on top of what it starts with. ``None`` lifts a limit."""

    timeout: float | None = TIMEOUT
    memory_mb: int | None = MEMORY_MB
