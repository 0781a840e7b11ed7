"""The errors hrhsearch raises, one family under one base class.

    HrhsearchError                 anything hrhsearch reports to a user
    ├── IndexNotFound              no index where one was expected
    ├── IndexVersionMismatch       an index written by an incompatible schema
    ├── IndexLocked                another process is writing the index
    ├── QueryError                 a query that cannot be parsed or run
    ├── EvaluationError            topics or judgments that cannot be read, an unknown measure
    └── ExtractionError            one file could not be read (named, with the cause)
        ├── UnsupportedFormat      a file type hrhsearch does not read (skipped, not failed)
        └── EmptyDocument          a file with no text layer

Every message names the next step. The CLI prints them as one ``Error:`` line.
"""

from __future__ import annotations

from pathlib import Path


class HrhsearchError(Exception):
    """Base class of every error hrhsearch raises on purpose."""

    exit_code = 1


class IndexNotFound(HrhsearchError):
    def __init__(self, index: Path | str) -> None:
        self.index = str(index)
        super().__init__(
            f"No index at {self.index}. Build it with: hrhsearch index PATH --index {self.index}"
        )


class IndexVersionMismatch(HrhsearchError):
    def __init__(self, index: Path | str, found: object, readable: tuple[int, ...]) -> None:
        self.index, self.found, self.readable = str(index), found, readable
        newer = " (written by a newer hrhsearch)" if isinstance(found, int) and found > max(readable) else ""
        super().__init__(
            f"The index at {self.index} has schema version {found}{newer}; this hrhsearch reads "
            f"{', '.join(map(str, readable[:-1])) + ' and ' if len(readable) > 1 else ''}{readable[-1]}. Rebuild it with: hrhsearch rebuild --index {self.index}"
        )


class IndexLocked(HrhsearchError):
    def __init__(self, index: Path | str, pid: int | None) -> None:
        self.index, self.pid = str(index), pid
        who = f"process {pid}" if pid else "another process"
        super().__init__(
            f"The index at {self.index} is being written by {who}. "
            "Wait for it to finish, or pass --wait SECONDS."
        )


class QueryError(HrhsearchError):
    def __init__(self, query: str, reason: str) -> None:
        self.query, self.reason = query, reason
        shown = " ".join("".join(c if c.isprintable() else " " for c in query).split())
        shown = shown if len(shown) <= 60 else shown[:60] + "\u2026"
        super().__init__(f"Cannot search for \u201c{shown}\u201d: {reason}")


class EvaluationError(HrhsearchError):
    """Topics or relevance judgments that cannot be used; the message says how to fix them."""


class ExtractionError(HrhsearchError):
    """One file could not be read. ``path`` and ``cause`` are kept for reports."""

    def __init__(self, path: Path | str, cause: str) -> None:
        self.path, self.cause = str(path), cause
        super().__init__(f"{self.path}: {cause}")

    def __reduce__(self) -> tuple:
        # Extraction runs in worker processes; the error must survive the trip back.
        return (self.__class__, (self.path, self.cause))


class UnsupportedFormat(ExtractionError):
    pass


class EmptyDocument(ExtractionError):
    pass
