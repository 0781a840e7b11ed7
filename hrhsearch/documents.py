"""The records that flow from a file into the index: ingest -> sections -> index.

``Document`` is what an ingestor reads out of one file: a title and a flat run of ``Block`` s
(headings and paragraphs, each with its page where the format has pages). ``Metadata`` is its
catalogue record. ``Section`` is one indexed passage. A search reads stored fields instead, so it
never imports this module (each dataclass takes about a millisecond to define).
"""

from __future__ import annotations

from dataclasses import dataclass


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
