"""reStructuredText: underlined (and overlined) titles start sections, levels in order of first use."""

from __future__ import annotations

from pathlib import Path

from ..documents import Document
from ._markup import document, front_matter, read, rst_blocks, rst_docinfo


def extract(path: Path) -> Document:
    meta, body = front_matter(read(path))
    return document(path, "rst", {**rst_docinfo(body), **meta}, rst_blocks(body))
