"""Real HRH documents and real broken PDFs from ../shared. Skipped when ../shared is not there."""

from __future__ import annotations

from pathlib import Path

import pytest

import hrhsearch
from hrhsearch.ingest import extract
from hrhsearch.sections import split

from .conftest import SHARED, needs_shared

pytestmark = needs_shared


@pytest.fixture(scope="module")
def shared_index(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, hrhsearch.IndexReport]:
    index = tmp_path_factory.mktemp("shared") / "index"
    report = hrhsearch.build_index([SHARED / "seeds", SHARED / "hrh-docs" / "text", SHARED / "hrh-docs" / "pdf"], index=index, jobs=2)
    return index, report


def test_seeds_and_hrh_docs_all_index(shared_index) -> None:
    index, report = shared_index
    assert report.ok and report.added == 16 and not report.skipped
    stats = hrhsearch.stats(index)
    assert stats.documents_by_format == {"markdown": 7, "pdf": 3, "rst": 1, "text": 5}
    assert set(stats.sections_by_language) >= {"en", "es"}


def test_seed_with_html_fragments_becomes_clean_lines() -> None:
    seed = next(p for p in (SHARED / "seeds").iterdir() if "<li>" in p.read_text("utf-8"))
    document = extract(seed)
    text = " ".join(b.text for b in document.blocks)
    assert "<li>" not in text and "<ul" not in text
    assert sum(b.text.startswith("\u2022 ") for b in document.blocks) >= 5, "list items stay separate lines"


def test_markdown_titles_come_from_front_matter_without_escapes() -> None:
    doc = extract(SHARED / "hrh-docs" / "text" / "en_WhiteHouse2022_Global-Health-Worker-Initiative.md")
    assert doc.title.startswith("FACT SHEET: The Biden-Harris Administration Global Health Worker")
    assert "\\u2060" not in doc.title and "\u2060" not in doc.title and doc.year == 2022


def test_spanish_pdf_has_pages_headings_and_language() -> None:
    doc = extract(SHARED / "hrh-docs" / "pdf" / "es_Fundar2021_Talento-humano-el-recurso-mas-critico.pdf")
    assert doc.title == "Talento humano, el recurso más crítico" and doc.pages == 21
    sections = split(doc)
    assert all(s.language == "es" for s in sections if len(s.text.split()) > 30)
    assert any(s.heading and s.heading[-1] == "Conclusiones" for s in sections)
    pages = [s.page_start for s in sections if s.page_start]
    assert pages == sorted(pages) and max(pages) >= 18


def test_rst_with_a_heading_glitch_keeps_its_sections() -> None:
    doc = extract(SHARED / "hrh-docs" / "text" / "en_iHRIS_lessons-learned.rst")
    heads = [b.text for b in doc.blocks if b.is_heading]
    assert doc.title == "IHRIS Lessons Learned" and len(heads) >= 10
    assert not any(h.endswith("=") for h in heads)


def test_spanish_query_finds_the_pdf_and_its_markdown_twin(shared_index) -> None:
    index, _ = shared_index
    formats = {p.format for p in hrhsearch.search("capacitación del personal de salud", index=index, limit=10)}
    assert formats == {"pdf", "markdown"}
