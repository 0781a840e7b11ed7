"""What indexing reports back: ``IndexReport`` for an update or rebuild, with a ``FileProblem`` for
each file skipped or failed, and ``Stats`` for an index. Apart from ``index`` so that a search
process does not define them.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class FileProblem:
    path: str
    reason: str


@dataclass
class IndexReport:
    """What an ``update`` or ``rebuild`` did. ``failed`` files were not indexed; see their reasons."""

    index: str
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    sections: int = 0
    skipped: list[FileProblem] = field(default_factory=list)
    failed: list[FileProblem] = field(default_factory=list)
    warnings: list[FileProblem] = field(default_factory=list)  # indexed, but with parts unreadable
    notices: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failed


@dataclass(frozen=True)
class Stats:
    index: str
    schema_version: int
    generation: str
    documents: int
    sections: int
    documents_by_format: dict[str, int]
    sections_by_format: dict[str, int]
    sections_by_language: dict[str, int]
    roots: tuple[str, ...]
    updated: str
    size_bytes: int
