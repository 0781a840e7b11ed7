"""Each ingestor on small inputs written here, and on the corpus PDFs."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hrhsearch.errors import EmptyDocument, ExtractionError, UnsupportedFormat
from hrhsearch.ingest import extract
from hrhsearch.ingest._text import clean, decode, dehyphenate, reflow

from .conftest import CORPUS


def extract_written(folder: Path, name: str, text: str):
    path = folder / name
    path.write_text(text, "utf-8")
    return extract(path)


def headings(document) -> list[tuple[int, str]]:
    return [(b.level, b.text) for b in document.blocks if b.is_heading]


def paragraphs(document) -> list[str]:
    return [b.text for b in document.blocks if not b.is_heading]


def test_ligatures_and_invisible_characters_are_normalised() -> None:
    assert clean("e\ufb00ective \ufb01nance\u00ad and work\u2060force  plans") == "effective finance and workforce plans"


@given(st.text(st.sampled_from("ab \t\n\u00a0\u2003\u3000\u00ad\u200b\ufeff\x00\x19\x7f\u00e9e\u0301\ufb01\u2460"), max_size=40))
def test_clean_gives_what_normalising_then_replacing_every_run_of_spaces_gives(text: str) -> None:
    # clean() skips the work that changes nothing (a lone space, text without invisible characters).
    import re
    import unicodedata

    from hrhsearch.ingest._text import _INVISIBLE

    plain = unicodedata.normalize("NFKC", text).translate(_INVISIBLE)
    assert clean(text) == re.sub(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+", " ", plain).strip()


def test_words_hyphenated_across_lines_are_rejoined_but_real_hyphens_stay() -> None:
    assert dehyphenate(["the health work-", "force and com-", "munity health", "post-", "COVID"]) == (
        "the health workforce and community health post- COVID"
    )


def test_reflow_joins_hard_wrapped_lines_and_keeps_bullets_apart() -> None:
    text = "Nurses in rural\nposts stay longer.\n\n\u2022 housing\n\u2022 allowances\nNext para\ncontinues."
    assert reflow(text) == ["Nurses in rural posts stay longer.", "\u2022 housing", "\u2022 allowances Next para continues."]


def test_decode_honours_boms_and_falls_back_to_windows_1252() -> None:
    assert decode("Sénégal".encode("utf-16"), "x") == "Sénégal"
    assert decode("Sénégal".encode("cp1252"), "x") == "Sénégal"
    with pytest.raises(ExtractionError, match="binary data"):
        decode(b"\x00\x01\x02PK", "x.txt")


def test_plain_text_headings_and_reflow(tmp_path: Path) -> None:
    doc = extract_written(tmp_path, "note.txt", "WORKFORCE PLANNING\n\nThe plan sets targets for\nnurses and midwives.\n\n"
        "Rural Retention\nIncentives keep staff\nin remote posts.\n")
    assert doc.title == "WORKFORCE PLANNING"
    assert headings(doc) == [(1, "WORKFORCE PLANNING"), (2, "Rural Retention")]
    assert paragraphs(doc) == ["The plan sets targets for nurses and midwives.", "Incentives keep staff in remote posts."]


def test_text_with_html_fragments_keeps_list_items_as_lines(tmp_path: Path) -> None:
    doc = extract_written(tmp_path, "asks.txt", "Key Asks\n\n<b>Government</b>\t<ul><li>Fund posts.</li><li>Pay on time &amp; in full.</li></ul>\n")
    assert (2, "Government") in headings(doc), "a bold label standing alone heads the list under it"
    assert "\u2022 Fund posts." in paragraphs(doc) and "\u2022 Pay on time & in full." in paragraphs(doc)
    assert not any("<" in p for p in paragraphs(doc))


def test_html_title_headings_and_dropped_boilerplate(tiny_corpus: Path) -> None:
    doc = extract(tiny_corpus / "migration.html")
    assert doc.title == "Nurse Migration"
    assert headings(doc) == [(1, "Nurse Migration"), (2, "Code of Practice")]
    text = " ".join(paragraphs(doc))
    assert "scriptword" not in text and "navword" not in text and "footerword" not in text
    assert "active recruitment" in text


def test_html_declared_charset_is_honoured() -> None:
    doc = extract(CORPUS / "formacion-enfermeria.html")
    assert doc.title == "Formación y capacitación del personal de enfermería"
    assert any("capacitaciones" in p for p in paragraphs(doc))


def test_html_unknown_charset_falls_back_without_failing(tmp_path: Path) -> None:
    path = tmp_path / "odd.html"
    path.write_bytes(b'<meta charset="x-no-such-charset"><title>Caf\xc3\xa9</title><p>ok</p>')
    assert extract(path).title == "Café"


def test_markdown_front_matter_headings_and_inline_markup(tmp_path: Path) -> None:
    doc = extract_written(tmp_path, "m.md", '---\ntitle: "Global Health Worker\\u2060 Initiative"\ndate: 2022-05-11\n---\n'
        "Intro with a [link](http://example.org) and **bold**.\n\nSetext Title\n============\n\n"
        "### Deep\n\n| a | b |\n|---|---|\n| c | d |\n")
    assert doc.title == "Global Health Worker Initiative" and doc.year == 2022
    assert headings(doc) == [(1, "Setext Title"), (3, "Deep")]
    assert paragraphs(doc) == ["Intro with a link and bold.", "a b c d"]


def test_rst_heading_levels_follow_first_use_and_tolerate_trailing_adornment(tmp_path: Path) -> None:
    doc = extract_written(tmp_path, "r.rst", "Lessons\n=======\n\nIntro ``code`` text.\n\nOwnership matters=\n~~~~~~~~~~~~~~~~~~~\n\nBody one.\n\n"
        "Second\n~~~~~~\n\nSee `iHRIS <https://www.ihris.org>`_.\n")
    assert headings(doc) == [(1, "Lessons"), (2, "Ownership matters"), (2, "Second")]
    assert paragraphs(doc) == ["Intro code text.", "Body one.", "See iHRIS."]


def test_pdf_title_from_metadata_pages_and_numbered_headings() -> None:
    doc = extract(CORPUS / "rural-retention-nurses.pdf")
    assert doc.title == "Keeping Nurses in Rural Posts: A Retention Package for District Health Managers"
    assert doc.pages == 4
    assert (2, "3. Financial Incentives") in headings(doc)
    incentives = next(b for b in doc.blocks if b.text == "3. Financial Incentives")
    assert incentives.page == 3
    assert not any(p.startswith("Page ") for p in paragraphs(doc)), "page footers must be dropped"


def test_pdf_title_falls_back_to_largest_text_on_page_one() -> None:
    doc = extract(CORPUS / "planification-effectifs-wisn.pdf")
    assert doc.title == "Planifier les effectifs avec la méthode WISN"
    assert doc.pages == 3


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("empty.pdf", b"", "the file is empty"),
        ("random.pdf", bytes(range(256)) * 8, "not a PDF"),
        ("page.pdf", b"<html><body>not a pdf</body></html>", "not a PDF"),
    ],
)
def test_broken_pdfs_raise_one_error_naming_the_file(tmp_path: Path, name: str, content: bytes, message: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ExtractionError, match=message) as info:
        extract(path)
    assert info.value.path == str(path)


def test_truncated_pdf_fails_cleanly(tmp_path: Path) -> None:
    # A real PDF cut in half, as an interrupted download leaves it.
    data = (CORPUS / "rural-retention-nurses.pdf").read_bytes()
    path = tmp_path / "truncated.pdf"
    path.write_bytes(data[: len(data) // 2])
    try:
        doc = extract(path)
    except ExtractionError as exc:
        assert exc.path == str(path)
    else:  # pdfminer may recover the pages before the cut; then they must be real text
        assert any("nurses" in b.text for b in doc.blocks)


def test_unsupported_suffix_is_its_own_error(tmp_path: Path) -> None:
    path = tmp_path / "sheet.xlsx"
    path.write_bytes(b"PK")
    with pytest.raises(UnsupportedFormat, match="unsupported format '.xlsx'"):
        extract(path)


def test_image_only_pdf_is_an_empty_document(tmp_path: Path) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.rect(20, 20, 50, 50, style="F")
    path = tmp_path / "scan.pdf"
    pdf.output(str(path))
    with pytest.raises(EmptyDocument, match="no text layer"):
        extract(path)


def test_control_characters_in_extracted_text_become_spaces(tmp_path: Path) -> None:
    from hrhsearch.ingest import extract

    page = tmp_path / "old.html"
    page.write_text("<html><body><h1>Title</h1><p>Nurses\x19 pay and\x07housing.</p></body></html>", "utf-8")
    [paragraph] = [b.text for b in extract(page).blocks if not b.is_heading]
    assert paragraph == "Nurses pay and housing."
