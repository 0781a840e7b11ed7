"""The records that flow between stages: ingest -> sections -> index -> search.

``Document`` is what an ingestor reads out of one file: a title and a flat run of ``Block`` s
(headings and paragraphs, each with its page where the format has pages). ``Section`` is one
indexed passage. ``Passage`` is a ``Section`` found by a search, with its score and snippet.
``asdict(passage)`` is the JSON shape the CLI prints, so field names here are a public contract.
``Ranking`` (BM25's knobs) and ``Limits`` (per-file limits of indexing) are settings that callers
pass in; they live here so that naming them does not load the modules that use them.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Block:
    """A heading (``level`` 1-6) or a paragraph (``level`` 0) of a document."""

    text: str
    level: int = 0
    page: int | None = None

    @property
    def is_heading(self) -> bool:
        return self.level > 0


@dataclass(frozen=True)
class Document:
    path: str
    format: str
    title: str
    blocks: tuple[Block, ...]
    pages: int | None = None
    year: int | None = None
    author: str = ""  # or publisher: who the file's own metadata says wrote it
    url: str = ""  # where the document was published, when its metadata says
    warnings: tuple[str, ...] = ()  # parts that could not be read, e.g. one damaged PDF page


@dataclass(frozen=True)
class Metadata:
    """A document's catalogue record, read from its own text (see ``metadata``)."""

    organisations: tuple[str, ...] = ()
    year: int | None = None
    countries: tuple[str, ...] = ()  # the main ones, most named first
    mentions: tuple[tuple[str, float], ...] = ()  # every country named, with its weight
    regions: tuple[str, ...] = ()  # WHO regions: AFRO, AMRO, SEARO, EURO, EMRO, WPRO
    doc_type: str = ""  # a key of data/doctypes.yaml: strategy, policy, assessment, ...


@dataclass(frozen=True)
class Section:
    """One searchable passage of a document, with everything needed to cite it."""

    section_id: str
    doc_id: str
    path: str
    format: str
    title: str
    heading: tuple[str, ...]
    text: str
    language: str
    position: int
    page_start: int | None = None
    page_end: int | None = None
    year: int | None = None
    organisations: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()  # the document's main countries, then those this passage names
    regions: tuple[str, ...] = ()
    doc_type: str = ""


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


K1 = 1.2
B = 0.75
HEAD_BOOST = 0.3


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

    timeout: float | None = 120.0
    memory_mb: int | None = 2048
