"""Sectioning: heading paths, bounded passages, pages, languages, stable ids (with properties)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hrhsearch.ingest import extract
from hrhsearch.documents import Block, Document
from hrhsearch.sections import MAX_WORDS, split

from .conftest import CORPUS


def doc(*blocks: Block, title: str = "T") -> Document:
    return Document(path="/x/doc.md", format="markdown", title=title, blocks=tuple(blocks))


def test_one_section_per_heading_with_its_heading_path() -> None:
    sections = split(doc(
        Block("Intro text before any heading."),
        Block("Retention", 1), Block("Why staff leave."),
        Block("Incentives", 2), Block("Pay and housing."),
        Block("Education", 1), Block("Rural schools."),
    ))
    assert [(s.heading, s.text) for s in sections] == [
        ((), "Intro text before any heading."),
        (("Retention",), "Why staff leave."),
        (("Retention", "Incentives"), "Pay and housing."),
        (("Education",), "Rural schools."),
    ]


def test_headings_without_text_are_kept_once() -> None:
    sections = split(doc(Block("Contents", 1), Block("Part A", 2), Block("Part B", 2), Block("Body", 1), Block("Text.")))
    assert [(s.heading, s.text) for s in sections] == [(("Contents",), "Part A\n\nPart B"), (("Body",), "Text.")]


def test_long_sections_become_bounded_passages_on_sentence_boundaries() -> None:
    sentence = "Nurses in rural districts need housing and regular pay to stay in post. "
    sections = split(doc(Block("Long", 1), Block(sentence * 120)))
    assert len(sections) > 3
    for s in sections:
        assert s.heading == ("Long",)
        assert len(s.text.split()) <= MAX_WORDS + 100
        assert s.text.endswith(".")


def test_page_spans_follow_the_paragraphs() -> None:
    sections = split(doc(Block("A", 1, page=2), Block("one", page=2), Block("two", page=3), Block("B", 1, page=4), Block("three", page=4)))
    assert [(s.page_start, s.page_end) for s in sections] == [(2, 3), (4, 4)]


def test_languages_per_section_with_fallback_for_short_text() -> None:
    french = "Les sages-femmes des centres de santé ruraux suivent des formations continues chaque année pour améliorer les soins."
    spanish = "Las capacitaciones del personal de enfermería se organizan cada trimestre en los hospitales provinciales del país."
    sections = split(doc(
        Block("Un", 1), Block(french), Block(french), Block("Dos", 1), Block(spanish), Block("Tres", 1), Block("Oui.")
    ))
    assert [s.language for s in sections] == ["fr", "es", "fr"], "the short last section takes the document's language"


@pytest.mark.parametrize("detector", ["py3langid", "langdetect"])
def test_both_detectors_tell_our_languages_apart(detector: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from hrhsearch import language

    monkeypatch.setenv("HRHSEARCH_LANGUAGE_DETECTOR", detector)
    samples = {
        "en": "Rural allowances and housing keep nurses in remote health centres for longer than the district expected.",
        "fr": "Les sages-femmes des centres de santé ruraux suivent des formations continues chaque année.",
        "es": "Las capacitaciones del personal de enfermería se organizan cada trimestre en los hospitales.",
        "pt": "Os agentes comunitários de saúde visitam as famílias do território todos os meses na atenção primária.",
    }
    assert {code: language.detect(text, fallback="?") for code, text in samples.items()} == {c: c for c in samples}
    assert language.detect("Too short to tell.", fallback="pt") == "pt"


def _corpus_samples() -> list[str]:
    texts = [path.read_text("utf-8", "replace") for path in sorted(CORPUS.rglob("*"))
             if path.suffix in (".md", ".txt", ".html", ".rst")]
    samples = [text[i:i + 400] for text in texts for i in range(0, len(text), 400)]
    return samples + ["", "a", "Mkurugenzi wa afya ya jamii", "医疗卫生人员", "ЗДРАВООХРАНЕНИЕ РОССИИ", "1234 5678"]


def test_the_cached_language_model_answers_as_py3langid_s_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The model is cut to our candidate languages and cached uncompressed; every answer, confidence
    # included, must be what py3langid's own loader gives, from the cache and before it is written.
    from py3langid import langid, modelio

    from hrhsearch import language

    monkeypatch.setenv("HRHSEARCH_CACHE", str(tmp_path / "cache"))
    own = langid.LanguageIdentifier.from_model_file(langid.MODEL_FILE, norm_probs=True)
    own.set_languages(list(language.CANDIDATES))
    samples = _corpus_samples()
    expected = [tuple(own.classify(text)) for text in samples]
    assert len({code for code, _ in expected}) >= 4, "the samples should span our languages"
    first = language._py3langid()
    assert [first(text) for text in samples] == expected
    [cached] = (tmp_path / "cache").glob("py3langid-*.npz")
    assert cached.stat().st_size < 60 * 2**20, "only the candidates' scores are kept"
    monkeypatch.setattr(modelio, "load_model", lambda path: pytest.fail("the cached model was not used"))
    second = language._py3langid()
    assert [second(text) for text in samples] == expected


def test_a_damaged_or_unwritable_model_cache_costs_only_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from hrhsearch import language

    text = "Les sages-femmes des centres de santé ruraux suivent des formations continues chaque année."
    monkeypatch.setenv("HRHSEARCH_CACHE", str(tmp_path / "cache"))
    language._py3langid()
    [cached] = (tmp_path / "cache").glob("py3langid-*.npz")
    cached.write_bytes(cached.read_bytes()[: 2**20])  # damaged: cut short
    assert language._py3langid()(text)[0] == "fr"
    assert cached.stat().st_size > 2**20, "a damaged cache is written again"
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder would be", "utf-8")
    monkeypatch.setenv("HRHSEARCH_CACHE", str(blocked))
    assert language._py3langid()(text)[0] == "fr"


def test_an_unknown_detector_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    from hrhsearch import HrhsearchError, language

    monkeypatch.setenv("HRHSEARCH_LANGUAGE_DETECTOR", "cld9")
    with pytest.raises(HrhsearchError, match="Unknown language detector 'cld9'"):
        language.detect("Any text at all " * 5)


def test_language_detection_is_deterministic() -> None:
    document = extract(CORPUS / "agentes-comunitarios-saude.md")
    first = [(s.section_id, s.language) for s in split(document)]
    assert all(lang == "pt" for _, lang in first)
    assert first == [(s.section_id, s.language) for s in split(document)]


words = st.text(alphabet=st.characters(whitelist_categories=("Ll", "Lu")), min_size=1, max_size=12)
paragraph = st.lists(words, min_size=1, max_size=80).map(" ".join)
block = st.one_of(paragraph.map(Block), st.tuples(st.lists(words, min_size=1, max_size=5).map(" ".join), st.integers(1, 4)).map(lambda t: Block(t[0], t[1])))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(block, min_size=1, max_size=25))
def test_sectioning_never_loses_a_word(blocks: list[Block]) -> None:
    sections = split(doc(*blocks, title=""))
    kept = re.findall(r"\w+", " ".join(" ".join((*s.heading, s.text)) for s in sections))
    for b in blocks:
        for word in re.findall(r"\w+", b.text):
            assert word in kept


@settings(max_examples=30, deadline=None)
@given(st.lists(block, min_size=1, max_size=15))
def test_ids_are_stable_and_unique(blocks: list[Block]) -> None:
    first = [s.section_id for s in split(doc(*blocks))]
    assert first == [s.section_id for s in split(doc(*blocks))]
    assert len(set(first)) == len(first)
