"""Query language, stemming per language, ranking of long questions, snippets, hostile input."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import hrhsearch
from hrhsearch.errors import QueryError
from hrhsearch.search import make_snippet


def titles(index: Path, query: str, **kw) -> list[str]:
    return [p.title for p in hrhsearch.search(query, index=index, limit=20, **kw)]


@pytest.mark.parametrize(
    "query, expected",
    [
        ("nurses AND housing", ["Retention of Nurses"]),
        ("nurses NOT housing", ["Nurse Migration", "Retention of Nurses"]),
        ("recruitment OR supervision", ["Nurse Migration", "Retention of Nurses"]),
        ('"active recruitment"', ["Nurse Migration"]),
        ('"recruitment active"', []),
        ("title:migration", ["Nurse Migration"]),
        ("superv*", ["Retention of Nurses"]),
        ("(housing OR pay) AND nurses", ["Nurse Migration", "Retention of Nurses"]),
        ("heading:supervision", ["Retention of Nurses"]),
        ("text:retention", []),
        ("text:remote", ["Retention of Nurses"]),
        ("language:fr", ["Formation des sages-femmes"]),
        ("format:html", ["Nurse Migration"]),
    ],
)
def test_whoosh_query_syntax(tiny_index: Path, query: str, expected: list[str]) -> None:
    assert sorted(set(titles(tiny_index, query))) == expected


def test_french_and_spanish_words_match_their_inflected_forms(tiny_index: Path) -> None:
    assert titles(tiny_index, "formation") == ["Formation des sages-femmes"]
    assert titles(tiny_index, "capacitación") == ["Capacitación del Personal"]


def test_lang_restricts_results(tiny_index: Path) -> None:
    assert titles(tiny_index, "centres OR centros OR nurses", lang="es") == ["Capacitación del Personal"]


@pytest.mark.parametrize(
    "question",
    [
        "What articles deal with TSS (Time Sharing System)?",
        "nurses' retention in Kenya",
        "why do nurses leave? pay, housing & supervision!",
        "rural: retention -- incentives / housing",
        "\"unbalanced quote",
        "(unbalanced bracket",
    ],
)
def test_plain_questions_with_punctuation_never_fail(tiny_index: Path, question: str) -> None:
    hrhsearch.search(question, index=tiny_index)


def test_long_question_ranks_passages_matching_most_terms_first(tiny_index: Path) -> None:
    passages = hrhsearch.search("do rural allowances and housing keep nurses in remote centres", index=tiny_index)
    assert passages[0].heading == "Rural Incentives"
    assert len(passages) > 1, "passages matching only some words still come back"


@pytest.mark.parametrize("query", ["", "   ", "?", "!!"])
def test_empty_queries_are_a_query_error(tiny_index: Path, query: str) -> None:
    with pytest.raises(QueryError, match="empty"):
        hrhsearch.search(query, index=tiny_index)


def test_stop_words_alone_find_nothing_rather_than_everything(tiny_index: Path) -> None:
    assert hrhsearch.search("the of and", index=tiny_index) == []


def test_snippet_highlights_are_offsets_of_the_matched_words(tiny_index: Path) -> None:
    passage = hrhsearch.search("housing nurses", index=tiny_index)[0]
    marked = [passage.snippet[s:e].lower() for s, e in passage.highlights]
    assert marked == ["housing", "nurses"]


def test_snippet_window_centres_on_the_matches() -> None:
    text = " ".join(["filler"] * 200 + ["retention"] + ["filler"] * 200)
    snippet, spans = make_snippet(text, {"retent"}, "en", width=100)
    assert snippet.startswith("\u2026") and snippet.endswith("\u2026") and len(snippet) <= 102
    assert [snippet[s:e] for s, e in spans] == ["retention"]


def test_passage_carries_what_a_citation_needs(corpus_index: Path) -> None:
    passage = hrhsearch.search("hardship allowance", index=corpus_index)[0]
    assert passage.title.startswith("Keeping Nurses in Rural Posts")
    assert passage.heading == "3. Financial Incentives"
    assert (passage.page_start, passage.page_end) == (3, 3)
    assert passage.language == "en" and passage.format == "pdf"
    assert re.fullmatch(r"[0-9a-f]{12}-\d{4}", passage.section_id)


@settings(max_examples=150, deadline=2000)
@given(st.text(max_size=80))
def test_any_string_gives_results_or_a_query_error(tiny_index_for_fuzz: Path, text: str) -> None:
    try:
        hrhsearch.search(text, index=tiny_index_for_fuzz, limit=3)
    except QueryError as exc:
        assert "\n" not in str(exc), "a query error is one line"


@pytest.fixture(scope="module")
def tiny_index_for_fuzz(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from .conftest import TINY

    folder = tmp_path_factory.mktemp("fuzzdocs")
    for name, text in TINY.items():
        (folder / name).write_text(text, "utf-8")
    index = folder.parent / "fuzz-index"
    hrhsearch.build_index([folder], index=index, jobs=1)
    return index
