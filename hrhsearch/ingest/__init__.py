"""Ingestors, one per format, each ``extract(path) -> Document``; ``extract`` here picks one by suffix."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..errors import EmptyDocument, ExtractionError, UnsupportedFormat
from ..documents import Document
from . import html, markdown, pdf, rst, text

Extractor = Callable[[Path], Document]

EXTRACTORS: dict[str, Extractor] = {
    ".pdf": pdf.extract,
    ".html": html.extract,
    ".htm": html.extract,
    ".xhtml": html.extract,
    ".txt": text.extract,
    ".text": text.extract,
    ".md": markdown.extract,
    ".markdown": markdown.extract,
    ".rst": rst.extract,
}


def is_supported(path: Path) -> bool:
    return path.suffix.lower() in EXTRACTORS


def extract(path: Path | str) -> Document:
    """Read one file into a ``Document``.

    Raises ``UnsupportedFormat`` for a suffix no ingestor reads, and ``ExtractionError`` naming the
    file and the cause for anything that goes wrong inside a parser.
    """
    path = Path(path)
    extractor = EXTRACTORS.get(path.suffix.lower())
    if extractor is None:
        raise UnsupportedFormat(path, f"unsupported format {path.suffix or '(no suffix)'!r}")
    try:
        if path.stat().st_size == 0:
            raise EmptyDocument(path, "the file is empty (0 bytes)")
        return extractor(path)
    except (ExtractionError, MemoryError, RecursionError):
        raise  # the worker reports running out of memory or stack in its own words
    except (OSError, UnicodeError) as exc:
        raise ExtractionError(path, f"cannot read it: {exc.strerror or exc}" if isinstance(exc, OSError) else str(exc)) from None
    except Exception as exc:  # noqa: BLE001 - third-party parsers raise anything on hostile input
        raise ExtractionError(path, f"cannot parse it ({type(exc).__name__}: {exc})") from None


__all__ = ["EXTRACTORS", "extract", "is_supported"]
