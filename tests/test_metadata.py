"""Metadata extraction: the vocabularies, the rules, and precision and recall on the labelled set."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hrhsearch import vocabulary
from hrhsearch.metadata import describe
from hrhsearch.documents import Block, Document
from hrhsearch.sections import split

from .conftest import SHARED
from .labelled import measure

AIM = 0.9  # the issue's aim for each field the text states plainly


def record(text: str, title: str = "A document", **document):
    page = 1 if document.get("pages") else None
    blocks = tuple(Block(line, page=page) for line in text.strip().splitlines() if line.strip())
    doc = Document(path="/x/doc.txt", format=document.pop("format", "text"), title=title, blocks=blocks, **document)
    return describe(doc, split(doc))


@pytest.mark.parametrize(
    "text, country",
    [
        ("Kenyan nurses", "Kenya"),
        ("les infirmiers du Sénégal", "Senegal"),
        ("o governo de Moçambique", "Mozambique"),
        ("la RDC et la République Démocratique du Congo", "Democratic Republic of the Congo"),
        ("the Republic of the Congo", "Congo"),
        ("KENYA MINISTRY OF HEALTH", "Kenya"),
        ("médicos peruanos", "Peru"),
        ("Côte d’Ivoire", "Côte d'Ivoire"),
    ],
)
def test_countries_are_found_by_name_adjective_and_language(text: str, country: str) -> None:
    assert {name for name, _, _ in vocabulary.country_matcher().find(text)} == {country}


def test_names_match_whole_words_and_acronyms_keep_their_case() -> None:
    find = vocabulary.country_matcher().find
    assert find("Nigerian and Nigerien") == [("Nigeria", 0, 8), ("Niger", 13, 21)]
    assert find("let us go to the uk") == []  # "us", "uk": words, not the acronyms
    assert find("Papua New Guinea")[0][0] == "Papua New Guinea"  # not Guinea


def _every_name() -> list[str]:
    names = [n for c in vocabulary.countries() for n in (c.name, *c.names, *c.adjectives)]
    return names + [v for o in vocabulary.organisations() for v in o.variants]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(_every_name()), st.sampled_from(["", "s", "es"]),
                          st.sampled_from([str, str.upper, str.lower, lambda n: n.replace("'", "\u2019")]),
                          st.sampled_from([" ", ", the ", " of ", " d\u2019", "\n", " and-"])), max_size=6))
def test_a_matcher_finds_what_trying_every_word_finds(pieces) -> None:
    """A matcher only tries the words that can start a name, skips a text without any, tries a run
    only as long as its words can begin a name, and finds the words' places only once it has found
    a name: names in any case, with plural endings and curly apostrophes, are found just as trying
    every word and every run length, over words cut with their places, finds them."""
    text = "".join(case(name) + plural + glue for name, plural, case, glue in pieces)
    for matcher in (vocabulary.country_matcher(), vocabulary.organisation_matcher(), vocabulary.region_matcher()):
        tokens, found, i = vocabulary._tokens(text), [], 0
        while i < len(tokens):
            capital = tokens[i][0][:1].isupper()
            runs = range(min(matcher._longest, len(tokens) - i), 0, -1)
            hit = next(((owner, n) for n in runs if (owner := matcher.owner([t[0] for t in tokens[i:i + n]], capital))), None)
            if hit:
                found.append((hit[0], tokens[i][1], tokens[i + hit[1] - 1][2]))
            i += hit[1] if hit else 1
        assert matcher.find(text) == found


@given(st.text(max_size=40) | st.text(st.characters(max_codepoint=127), max_size=40))
def test_folding_drops_accents_and_case_ascii_or_not(text: str) -> None:
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", text.replace("\u2019", "'"))
    assert vocabulary.fold(text) == "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().strip()


def test_a_text_naming_only_a_name_with_a_curly_apostrophe_is_not_skipped() -> None:
    text = "President\u2019s Emergency Plan for AIDS Relief"
    assert vocabulary.organisation_matcher().find(text) == [("PEPFAR", 0, len(text))]


def test_filter_values_resolve_in_any_language() -> None:
    assert vocabulary.country("Kenia").name == vocabulary.country("KEN").name == "Kenya"
    assert vocabulary.region("PAHO") == vocabulary.region("Région africaine".replace("africaine", "des Amériques")) == "AMRO"
    assert vocabulary.organisation("Organización Mundial de la Salud") == "WHO"
    assert vocabulary.doc_type("fact sheet") == "factsheet"


def test_a_ministry_is_named_with_its_country_and_the_copyright_line_gives_the_year() -> None:
    meta = record("""
REPUBLIC OF GHANA
MINISTRY OF HEALTH
Human resources policy
Ghana trains nurses and Ghanaian districts keep them.
© Ministry of Health, Ghana 2017
""")
    assert meta.organisations == ("Ministry of Health (Ghana)",)
    assert meta.year == 2017 and meta.countries == ("Ghana",) and meta.regions == ("AFRO",)


def test_colophon_lines_are_told_by_their_words_and_signs() -> None:
    from hrhsearch import metadata

    for line in ("© WHO 2016", "ISBN 978 92 4 151113 1", "(c) 2019", "Suggested citation.", "Tous droits réservés",
                 "Publié par l'OMS", "Cómo citar", "TO CITE this report", "\u0130SBN 978"):
        assert metadata._colophon([line]) == [line], line
    assert metadata._colophon(["Cities publish their own data", "copyrighted", "(c)opy"]) == []


_COLOPHON_PIECES = ["©", "(c) 1", "(C)2", "(c)", "copyright", "COPYRIGHT", "xcopyright", "copyrights", "ISBN", "ıSBN",
                    "\u0130sbn", "published by", "Publié par", "publie par", "to cite", "TO CITE", "toCite", "cita sugerida",
                    "citação sugerida", "Todos los derechos", "ſuggested citation", "\u212aopyright", "é", "_", "1", " ", "\n",
                    "-", ".", "a", "t"]


@given(st.lists(st.sampled_from(_COLOPHON_PIECES), max_size=12))
@settings(max_examples=400, deadline=None)
def test_the_colophon_pattern_finds_what_its_words_written_plainly_find(pieces: list[str]) -> None:
    """The colophon pattern, written so that its first characters can be scanned for, matches where
    its signs and whole words, case-blind, match."""
    import re

    from hrhsearch import metadata

    plain = re.compile("|".join([r"©", r"\(c\)\s*\d", *(rf"\b{word}\b" for word in metadata._COLOPHON_WORDS)]),
                       re.IGNORECASE)
    text = "".join(pieces)
    assert [m.span() for m in metadata._COLOPHON.finditer(text)] == [m.span() for m in plain.finditer(text)]


def test_the_cases_of_every_first_letter_scanned_for_are_all_that_match_it_case_blind() -> None:
    """Each case-blind word is scanned for by the cases of its first character: every character that
    matches it case-blind, checked over all of Unicode for every letter a word could start with."""
    import re
    import string
    import sys

    from hrhsearch import metadata

    firsts = set(string.ascii_letters) | {first for first, _ in metadata._COLOPHON_SIGNS}
    everything = "".join(map(chr, range(sys.maxunicode + 1)))
    for first in firsts:
        matching = sorted(m.group() for m in re.finditer(re.escape(first), everything, re.IGNORECASE))
        assert metadata._cases(first) == matching, first


@given(st.lists(st.sampled_from(["et al.", "Wet al.", "_et al.", "WHA69.19", "xWHA 69.1", "WHA 7.1", "URGES", "aURGES",
                                  "URGE", "doi:10.1234", "Doi.org/10.12345", "DOI/ 10.99999", "received: 3", "Received 12",
                                  "RECIBIDO 2", "reçu 4", "corresponding author", "correspondingauthor", "Corresponding Author",
                                  "EB132.R5", "CD52.R3", "ADOPTE", "PRIE INSTAMMENT", "é", "İ", "ß", "1", "\n", " ", ".", "-",
                                  "ıNSTA", "ſOLICITA", "DECIDES", "xDECIDES", "Rěçu 1", "CORRESPONDING AUTHOR",
                                  "Background", "results"]), max_size=25))
@settings(max_examples=300, deadline=None)
def test_marks_searched_the_quick_way_match_where_they_are_written_to(pieces: list[str]) -> None:
    """Each document-type mark, rewritten so that it starts with a letter to scan for, finds the same
    matches as the mark as written."""
    import re

    from hrhsearch.metadata import _quick_mark

    text = "".join(pieces)
    marks = [mark for kind in vocabulary.doc_types() for mark in kind.marks]
    assert sum(_quick_mark(mark) != mark for mark in marks) >= 8
    for mark in marks:
        written, quick = re.compile(mark, re.MULTILINE), re.compile(_quick_mark(mark), re.MULTILINE)
        assert [m.span() for m in quick.finditer(text)] == [m.span() for m in written.finditer(text)], mark


def _every_cue() -> list[str]:
    return sorted({vocabulary.fold(cue) for kind in vocabulary.doc_types() for cue in (*kind.title, *kind.front)})


@given(st.lists(st.sampled_from(_every_cue()) | st.sampled_from(["x", "_", "1", " ", "\n", "-", "é"]), max_size=12))
@settings(max_examples=300, deadline=None)
def test_title_and_opening_cues_scanned_for_match_where_the_plain_alternation_does(pieces: list[str]) -> None:
    import re

    from hrhsearch import metadata

    text = "".join(pieces)
    for kind, patterns in zip(vocabulary.doc_types(), metadata._cues()):
        for cues, scanned in zip((kind.title, kind.front), patterns[:2]):
            if not cues:
                continue
            words = sorted({vocabulary.fold(cue) for cue in cues}, key=len, reverse=True)
            plain = re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, words)) + r")(?!\w)")
            assert [m.span() for m in scanned.finditer(text)] == [m.span() for m in plain.finditer(text)], kind.key


def test_a_mark_whose_boundary_opens_one_alternative_of_several_is_searched_as_written() -> None:
    import re

    from hrhsearch.metadata import _quick_mark

    text = "Fbar x foo y Cdx abx ABx"
    for mark in (r"(?i)\bfoo|bar", r"\bfoo|bar", r"(?i)\b(?:ab|cd)x|y", r"\b(?:ab|cd)x|y", r"(?i)\b(?:ab|cd)x"):
        written, quick = re.compile(mark), re.compile(_quick_mark(mark))
        assert [m.span() for m in quick.finditer(text)] == [m.span() for m in written.finditer(text)], mark
    assert _quick_mark(r"(?i)\b(?:ab|cd)x") != r"(?i)\b(?:ab|cd)x"


def test_a_date_inside_a_sentence_is_not_the_publication_year() -> None:
    assert record("On July 14, 2011, nearly 100 participants from 18 countries joined the webinar.").year is None
    assert record("Geneva, June 2021\nThe report.").year == 2021


def test_a_pdf_creation_date_only_fills_in() -> None:
    assert record("Nothing dated here.", format="pdf", year=2009, pages=1).year == 2009
    assert record("© WHO 2016", format="pdf", year=2009, pages=1).year == 2016


def test_types_come_from_the_title_then_the_structure() -> None:
    assert record("Some text.", title="National strategic plan for nursing").doc_type == "strategy"
    assert record("Some text.", title="Lignes directrices sur la formation").doc_type == "policy"
    assert record("Abstract\nBackground\nResults\ndoi:10.1186/s12960-017-0245-1", title="Why doctors leave").doc_type == "article"
    assert record("WHA69.19\nURGES Member States to act;\nREQUESTS the Director-General", title="Workforce 2030").doc_type == "resolution"
    assert record("Some notes about a meeting.", title="Notes").doc_type == "report"


def test_an_author_that_is_an_institution_becomes_the_organisation() -> None:
    assert record("Text.", author="Northern Province Health Directorate").organisations == ("Northern Province Health Directorate",)
    assert record("Text.", author="A. Diallo").organisations == ()


def test_a_publisher_web_site_names_the_publisher() -> None:
    assert record("Text.", url="https://www.who.int/publications/i/item/123").organisations == ("WHO",)
    assert vocabulary.organisation_at("https://www.afro.who.int/news") == "WHO AFRO"


def _check(group: str, floor: float) -> None:
    labelled = {path: label for path, label in measure.labels()[group].items() if path.exists()}
    tallies = measure.measure(labelled)
    low = {name: (round(t.precision, 2), round(t.recall, 2), t.misses) for name, t in tallies.items()
           if t.precision < floor or t.recall < floor}
    assert not low, low


def test_the_written_labelled_set_meets_the_aim_on_every_field() -> None:
    assert len(measure.labels()["written"]) >= 40
    _check("written", AIM)


def test_the_held_out_documents_stay_where_they_were_measured() -> None:
    # Written after the rules were settled; figures in README. A drop means a rule got worse.
    _check("heldout", 0.8)


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared (real HRH documents) is not beside this clone")
def test_the_real_documents_stay_where_they_were_measured() -> None:
    _check("shared", 0.75)


def test_every_labelled_file_exists_and_every_value_is_known() -> None:
    types = {kind.key for kind in vocabulary.doc_types()}
    for group in ("written", "heldout"):
        for path, label in measure.labels()[group].items():
            assert path.exists(), path
            assert label["type"] in types, path
            assert all(vocabulary.country(c) for c in label["countries"]), path


def test_data_files_have_what_the_issue_asks() -> None:
    assert len(vocabulary.countries()) >= 194
    assert {c.region for c in vocabulary.countries()} == set(vocabulary.REGIONS)
    entries = vocabulary.thesaurus()
    assert len(entries) >= 80
    assert all(set(e.terms) == {"en", "fr", "es", "pt"} for e in entries)
    acronyms = {a for e in entries for forms in e.acronyms.values() for a in forms}
    assert {"HRH", "CHW", "HEW", "GHWA", "WHA", "HAF", "SSW", "OVC", "HRIS", "iHRIS", "NHWA", "WISN", "FBO", "NGO",
            "MoH", "PHC", "UHC"} <= acronyms
    shifting = next(e for e in entries if "task shifting" in e.terms["en"])
    assert "délégation des tâches" in shifting.terms["fr"] and "delegación de funciones" in shifting.terms["es"]


def test_labelled_documents_are_in_every_language() -> None:
    languages = {label["language"] for label in measure.labels()["written"].values()}
    assert languages == {"en", "fr", "es", "pt"}
    assert {Path(p).suffix for p in measure.labels()["written"]} >= {".md", ".txt", ".html", ".rst"}


def test_an_html_page_names_its_publisher_date_and_address_in_meta_tags(tmp_path: Path) -> None:
    from hrhsearch.ingest import extract

    page = tmp_path / "page.html"
    page.write_text("""<html><head><title>Nursing workforce brief</title>
<meta name="citation_publication_date" content="2021/05/04">
<link rel="canonical" href="https://www.paho.org/en/documents/nursing-brief">
</head><body><h1>Nursing workforce brief</h1><p>Nurses in Chile and Peru.</p></body></html>""", "utf-8")
    doc = extract(page)
    assert (doc.year, doc.url) == (2021, "https://www.paho.org/en/documents/nursing-brief")
    meta = describe(doc, split(doc))
    assert meta.organisations == ("PAHO",) and meta.year == 2021 and "AMRO" in meta.regions
