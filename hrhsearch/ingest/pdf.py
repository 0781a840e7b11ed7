"""PDF with pdfminer.six: text page by page, headings from font size, the title from metadata or page 1.
Content streams are read by ``_pdfcontent``, which gives pdfminer's own objects faster.

pdfminer.six must be 20260107 or later: earlier releases unpickle CMap files, so a crafted PDF
could run code (CVE-2025-64512). setup.cfg holds that lower bound.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..errors import EmptyDocument, ExtractionError
from ..documents import Block, Document
from ._text import clean, dehyphenate, is_bullet

_JUNK_TITLE = re.compile(r"^(untitled|microsoft word\b|document\d*$|.*\.(docx?|pdf|indd|qxd)$)", re.I)
_PAGE_NUMBER = re.compile(r"^(page\s+)?\d{1,4}(\s*(/|of)\s*\d{1,4})?$", re.I)


@dataclass
class _Box:
    page: int
    text: str
    size: float
    bold: bool
    lines: int


def _boxes(path: Path) -> tuple[list[_Box], dict, int, list[str]]:
    # Imported here so that searching never pays for loading pdfminer.
    from pdfminer.converter import PDFPageAggregator
    from pdfminer.layout import LAParams, LTChar, LTTextBox, LTTextLine
    from pdfminer.pdfdocument import PDFDocument, PDFPasswordIncorrect
    from pdfminer.pdfinterp import PDFPageInterpreter, PDFResourceManager
    from pdfminer.pdfpage import PDFPage
    from pdfminer.pdfparser import PDFParser

    boxes: list[_Box] = []
    problems: list[str] = []
    with path.open("rb") as fp:
        try:
            document = PDFDocument(PDFParser(fp), password="")
        except PDFPasswordIncorrect:
            raise ExtractionError(path, "encrypted: the PDF needs a password to open") from None
        info = _info(document)
        manager = PDFResourceManager(caching=True)
        device = _without_paths(PDFPageAggregator)(manager, laparams=LAParams())
        interpreter = _tolerant(PDFPageInterpreter)(manager, device)
        pages = 0
        for number, page in enumerate(PDFPage.create_pages(document), start=1):
            pages = number
            try:
                interpreter.process_page(page)
            except Exception as exc:  # noqa: BLE001 - one damaged page must not cost the others
                problems.append(f"page {number} could not be read ({type(exc).__name__}: {exc})")
                continue
            for element in device.get_result():
                if not isinstance(element, LTTextBox):
                    continue
                lines = [line for line in element if isinstance(line, LTTextLine)]
                chars = [c for line in lines for c in line if isinstance(c, LTChar) and c.get_text().strip()]
                text = clean(dehyphenate([line.get_text() for line in lines]))
                if not text or not chars:
                    continue
                size = sum(c.size for c in chars) / len(chars)
                bold = sum("bold" in c.fontname.lower() for c in chars) > 0.8 * len(chars)
                boxes.append(_Box(number, text, round(size, 1), bold, len(lines)))
    if problems and not boxes:
        raise ExtractionError(path, f"no page could be read: {problems[0]}")
    return boxes, info, pages, problems


@lru_cache(maxsize=None)  # one class, not one per file: the content reader keeps a table per class
def _tolerant(interpreter_class: type) -> type:
    """A page interpreter that survives broken colour spaces and fonts, which text needs neither of,
    and reads content streams with the faster reader where it can."""
    from . import _pdfcontent

    class Tolerant(interpreter_class):  # type: ignore[misc, valid-type]
        def init_resources(self, resources: dict) -> None:
            try:
                super().init_resources(resources)
            except Exception:  # noqa: BLE001 - e.g. PDFKeyError for a colour space without /N
                kept = {k: v for k, v in (resources or {}).items() if k not in ("ColorSpace", "Pattern", "Shading")}
                super().init_resources(kept)

        def execute(self, streams: list) -> None:
            if not _pdfcontent.execute(self, streams):
                super().execute(streams)

    return Tolerant


@lru_cache(maxsize=None)
def _without_paths(device_class: type) -> type:
    """A layout device that drops lines and shapes: they never join text boxes, and building them
    costs time on drawing-heavy pages."""

    class TextOnly(device_class):  # type: ignore[misc, valid-type]
        def paint_path(self, *args: object) -> None:
            pass

    return TextOnly


def _info(document: object) -> dict:
    from pdfminer.pdftypes import resolve1
    from pdfminer.utils import decode_text

    info: dict = {}
    for entry in getattr(document, "info", []) or []:
        for key, value in (resolve1(entry) or {}).items():
            value = resolve1(value)
            if isinstance(value, bytes):
                value = decode_text(value)
            if isinstance(value, str):
                info[key] = clean(value)
    return info


def _damage(exc: Exception) -> str:
    detail = f"{type(exc).__name__}: {exc}"
    if type(exc).__name__ == "PSEOF":
        return f"the PDF ends too early: a truncated download or copy? Fetch it again ({detail})"
    if "/Root" in str(exc) or "really a PDF" in str(exc):
        return f"not a PDF, or too damaged to read: it has no document catalogue ({detail})"
    return f"cannot parse this PDF ({detail})"


def _running_lines(boxes: list[_Box], pages: int) -> set[str]:
    """Headers and footers: the same short text on most pages."""
    if pages < 3:
        return set()
    seen = Counter((b.text for b in {(b.page, b.text): b for b in boxes}.values() if len(b.text) < 80))
    return {text for text, count in seen.items() if count >= max(3, pages // 2)}


def _heading_levels(boxes: list[_Box]) -> tuple[float, dict[float, int]]:
    weights: Counter[float] = Counter()
    for box in boxes:
        weights[box.size] += len(box.text)
    body = weights.most_common(1)[0][0]
    larger = sorted({b.size for b in boxes if _heading_shaped(b) and b.size >= body * 1.15}, reverse=True)
    levels: dict[float, int] = {}
    for size in larger:
        # Sizes within a point of a larger heading size are the same level set a little differently.
        near = next((lvl for s, lvl in levels.items() if s - size <= 1.0), None)
        levels[size] = near or min(5, len(set(levels.values())) + 1)
    return body, levels


def _heading_shaped(box: _Box) -> bool:
    return (
        box.lines <= 3
        and len(box.text.split()) <= 20
        and any(c.isalpha() for c in box.text)
        and not is_bullet(box.text, numbered=False)
    )


def _bold_heading(box: _Box, body: float) -> bool:
    """Bold body-size lines head sections too, except on the cover, where bold is authors and dates."""
    return box.bold and box.page > 1 and box.lines == 1 and box.size >= body and _heading_shaped(box) and box.text[-1] not in ".,;:"


def _title(info: dict, boxes: list[_Box]) -> str:
    title = info.get("Title", "")
    if title and not _JUNK_TITLE.match(title):
        return title
    first = [b for b in boxes if b.page == 1 and _heading_shaped(b)]
    if not first:
        return ""
    largest = max(b.size for b in first)
    return clean(" ".join(b.text for b in first if b.size == largest))


def extract(path: Path) -> Document:
    try:
        boxes, info, pages, problems = _boxes(path)
    except (ExtractionError, MemoryError, RecursionError):
        raise
    except Exception as exc:  # noqa: BLE001 - pdfminer raises many types on damaged files
        raise ExtractionError(path, _damage(exc)) from None
    if not boxes:
        raise EmptyDocument(path, f"no text layer on any of its {pages} pages (a scan?); run OCR on it first")
    running = _running_lines(boxes, pages)
    body, levels = _heading_levels(boxes)
    blocks: list[Block] = []
    for box in boxes:
        if box.text in running or _PAGE_NUMBER.match(box.text):
            continue
        level = levels.get(box.size, 0) if _heading_shaped(box) else 0
        if not level and _bold_heading(box, body):
            level = max(levels.values(), default=0) + 1
        blocks.append(Block(box.text, level=min(level, 6), page=box.page))
    year = re.search(r"(19|20)\d\d", info.get("CreationDate", "").removeprefix("D:")[:4])
    return Document(
        path=str(path),
        format="pdf",
        title=_title(info, boxes) or path.stem,
        blocks=tuple(blocks),
        pages=pages,
        year=int(year.group(0)) if year else None,
        author=info.get("Author", ""),
        warnings=tuple(problems),
    )
