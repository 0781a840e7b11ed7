"""Markdown: ATX and setext headings start sections; YAML front matter gives title and date."""

from __future__ import annotations

from pathlib import Path

from ..documents import Document
from ._markup import document, front_matter, markdown_blocks, read


def extract(path: Path) -> Document:
    meta, body = front_matter(read(path))
    return document(path, "markdown", meta, markdown_blocks(body))
