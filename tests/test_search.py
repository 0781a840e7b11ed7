"""Query language, stemming per language, ranking of long questions, snippets, hostile input."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import hrhsearch
from hrhsearch.cli import main
from hrhsearch.errors import QueryError
from hrhsearch.searching import make_snippet

from .conftest import CORPUS


def titles(index: Path, query: str, **kw) -> list[str]:
    return [p.title for p in hrhsearch.search(query, index=index, limit=20, **kw)]


@pytest.mark.parametrize(
    "query, expected",
    [
        ("nurses AND housing", ["Retention of Nurses"]),
        # The thesaurus finds the Spanish passage on "personal de enfermería" too.
        ("nurses NOT housing", ["Capacitación del Personal", "Nurse Migration", "Retention of Nurses"]),
        ("recruitment OR supervision", ["Nurse Migration", "Retention of Nurses"]),
        ('"active recruitment"', ["Nurse Migration"]),
        ('"recruitment active"', []),
        ("title:migration", ["Nurse Migration"]),
        ("superv*", ["Retention of Nurses"]),
        # A word typed whole before its wildcard is longer than its stem ("nurs"), and still finds itself.
        ("nurse*", ["Nurse Migration", "Retention of Nurses"]),
        ("formation*", ["Formation des sages-femmes"]),
        ("title:nurse*", ["Nurse Migration", "Retention of Nurses"]),
        # Fuzzy: the word typed, stemmed as the index is, within one letter (or two) of an indexed stem.
        ("retension~", ["Retention of Nurses"]),
        ("nurzes~", ["Nurse Migration", "Retention of Nurses"]),
        ("fornation~", ["Formation des sages-femmes"]),
        ("capasitación~", ["Capacitación del Personal"]),
        ("(housing OR pay) AND nurses", ["Nurse Migration", "Retention of Nurses"]),
        ("heading:supervision", ["Retention of Nurses"]),
        ("text:retention", ["Retention of Nurses"]),  # the body is read with its title and headings
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
    assert list(hrhsearch.search("the of and", index=tiny_index)) == []


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


SYNTAX = list('"()[]{}*?~^:+-!\\/') + ["AND", "OR", "NOT", "TO", "title:", "year:", "language:"]
WORDS = ["nurses", "housing", "sages-femmes", "migración", "capacitación", "supervision", "rural"]
hostile = st.one_of(
    st.text(max_size=120),
    st.lists(st.sampled_from(SYNTAX + WORDS) | st.text(max_size=4), max_size=40).map(" ".join),
    st.lists(st.sampled_from(SYNTAX + WORDS), max_size=60).map("".join),
    st.text(st.characters(categories=["Cc", "Cf", "Zl", "Zp", "Zs", "Co", "Cs"]), max_size=40),
    st.text(min_size=1500, max_size=2500),
    st.builds(lambda w, n: " ".join([w] * n), st.sampled_from(WORDS + ["*a*", "n*", "nu*s*"]), st.integers(1, 400)),
)
TIME_BOUND = 3.0  # seconds for one query on the tiny index; a hang or a blow-up shows far above it


@settings(max_examples=300, deadline=None)
@given(hostile)
def test_hostile_queries_give_results_or_one_query_error_quickly(tiny_index_for_fuzz: Path, text: str) -> None:
    started = time.perf_counter()
    try:
        passages = hrhsearch.search(text, index=tiny_index_for_fuzz, limit=3)
        assert all(p.rank == n for n, p in enumerate(passages, start=1))
    except QueryError as exc:
        assert "\n" not in str(exc) and len(str(exc)) < 400, "a query error is one short line"
    assert time.perf_counter() - started < TIME_BOUND


def test_a_not_query_finds_passages_and_never_a_source_file_s_record(tiny_index: Path) -> None:
    # A NOT matches whatever lacks its words, and a file's record lacks every word.
    every = hrhsearch.search("NOT zzzz", index=tiny_index, limit=50)
    assert every.total == hrhsearch.stats(tiny_index).sections == len(every)
    assert all(p.text for p in every)
    assert hrhsearch.search('" AND NOT title:', index=tiny_index).total == every.total  # found by the fuzzer below
    assert [p.title for p in hrhsearch.search("NOT nurses", index=tiny_index, limit=50, expand=False)] == [
        p.title for p in every if "nurse" not in (p.title + p.heading + p.text).lower()]


@settings(max_examples=60, deadline=None)
@given(hostile)
def test_hostile_queries_through_the_cli(tiny_index_for_fuzz: Path, text: str) -> None:
    result = CliRunner().invoke(main, ["search", "--index", str(tiny_index_for_fuzz), "--", text])
    if result.exit_code == 0:
        assert "Traceback" not in result.output
    else:
        assert result.exit_code in (1, 2), result.output
        assert isinstance(result.exception, SystemExit)
        errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
        assert len(errors) == 1, result.output


@pytest.mark.parametrize(
    "query, reason",
    [
        ("*a*", "fewer than 2 letters before its wildcard"),
        ("n*", "fewer than 2 letters before its wildcard"),
        ("heading:*urse", "fewer than 2 letters before its wildcard"),
        ("nurse~3", "at most 2 letters"),
        ("nurse " * 1000, "characters long"),
        (" ".join(["ab"] * 1200), "1200 terms"),
        ("\x00\x07\u200b", "empty"),
    ],
)
def test_expensive_or_empty_queries_are_refused_with_a_reason(tiny_index_for_fuzz: Path, query: str, reason: str) -> None:
    with pytest.raises(QueryError, match=reason):
        hrhsearch.search(query, index=tiny_index_for_fuzz)


def test_control_characters_in_a_query_separate_words(tiny_index_for_fuzz: Path) -> None:
    plain = hrhsearch.search("nurses housing", index=tiny_index_for_fuzz)
    assert plain and hrhsearch.search("nurses\x00housing\u200b", index=tiny_index_for_fuzz).passages == plain.passages


def test_question_marks_around_words_are_punctuation(tiny_index_for_fuzz: Path) -> None:
    assert titles(tiny_index_for_fuzz, "the ?supportive? supervision") == titles(tiny_index_for_fuzz, "supportive supervision")


def test_patterns_with_a_long_enough_start_still_work(tiny_index_for_fuzz: Path) -> None:
    assert titles(tiny_index_for_fuzz, "supervi*") == ["Retention of Nurses"]
    assert len(hrhsearch.search("*", index=tiny_index_for_fuzz, limit=50)) >= 4


@pytest.fixture(scope="module")
def tiny_index_for_fuzz(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from .conftest import TINY

    folder = tmp_path_factory.mktemp("fuzzdocs")
    for name, text in TINY.items():
        (folder / name).write_text(text, "utf-8")
    index = folder.parent / "fuzz-index"
    hrhsearch.build_index([folder], index=index, jobs=1)
    return index


def test_a_search_process_loads_no_reader_detector_or_worker_machinery(tiny_index: Path, tmp_path: Path) -> None:
    # What a search imports is what every search pays for at start: parsers, language detection,
    # YAML (the thesaurus comes from its cache), multiprocessing and the records and reports of
    # indexing (dataclasses, each about a millisecond to define) belong to indexing only.
    script = (
        "import sys\n"
        "from hrhsearch.cli import main\n"
        f"for text in ('rural nurses', '\"rural nurses\"'):  # a phrase of rare words is matched without numpy\n"
        "    try:\n"
        f"        main(['search', text, '--index', {str(tiny_index)!r}])\n"
        "    except SystemExit:\n"
        "        pass\n"
        "heavy = ('pdfminer', 'langdetect', 'py3langid', 'numpy', 'yaml', 'multiprocessing')\n"
        "indexing = {'hrhsearch.documents', 'hrhsearch.reports', 'hrhsearch.sections', 'hrhsearch.evaluation'}\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy or m in indexing))\n"
    )
    env = {**os.environ, "HRHSEARCH_CACHE": str(tmp_path / "cache")}
    first = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True)
    assert "yaml" in first.stdout  # the first search builds the thesaurus cache
    again = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True)
    assert again.stdout.strip().splitlines()[-1] == "[]", again.stdout


def test_the_command_leaves_out_what_whoosh_imports_but_never_uses(tiny_index: Path, tmp_path: Path) -> None:
    # The command's process gives Whoosh stand-ins for urllib.request, the cached_property package
    # (which loads asyncio) and its English morphology: together about 40% of importing what a
    # search needs.
    env = {**os.environ, "HRHSEARCH_CACHE": str(tmp_path / "cache")}
    command = [sys.executable, "-X", "importtime", "-m", "hrhsearch", "search", "rural nurses", "--index", str(tiny_index)]
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
    assert "1. " in done.stdout and "nurses" in done.stdout.lower()
    imported = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    assert "whoosh.reading" in imported and "hrhsearch.lightstart" in imported
    assert not imported & {"asyncio", "urllib.request", "cached_property", "whoosh.lang.morph_en", "whoosh.lang.porter",
                           "whoosh.lang.dmetaphone", "hrhsearch.workers", "whoosh.util.times", "calendar", "_hashlib",
                           "whoosh.lang.snowball.danish", "whoosh.lang.snowball.russian", "inspect", "ast", "dis",
                           "html", "html.entities", "platform"}, imported


def test_importing_the_package_defines_no_record_class_yet() -> None:
    # The command installs its stand-ins after the package's own module has run, so that module
    # must not load dataclasses (and, through it, inspect) before them.
    script = ("import sys\n"
              "before = 'dataclasses' in sys.modules\n"
              "import hrhsearch\n"
              "print(before, 'dataclasses' in sys.modules, 'hrhsearch.records' in sys.modules)\n"
              "print(hrhsearch.Ranking().k1, hrhsearch.Limits().timeout, hrhsearch.Passage.__name__)\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.split("\n")[:2] == ["False False False", "1.2 120.0 Passage"], done.stdout


def test_the_command_collects_garbage_again_for_any_command_but_a_search_or_stats(tiny_corpus: Path, tiny_index: Path,
                                                                                tmp_path: Path) -> None:
    # The command starts without the cyclic collector; indexing, which runs on, turns it back on.
    script = ("import gc, sys\n"
              "from hrhsearch import lightstart\n"
              "lightstart.install()\n"
              "from hrhsearch.cli import main\n"
              "def run(*args):\n"
              "    try:\n"
              "        main(list(args))\n"
              "    except SystemExit:\n"
              "        pass\n"
              "    return gc.isenabled()\n"
              f"print('gc:', run('search', 'nurses', '--index', {str(tiny_index)!r}), run('stats', '--index', {str(tiny_index)!r}),"
              " gc.get_freeze_count() == 0)\n"
              f"print('gc:', run('index', {str(tiny_corpus)!r}, '--index', {str(tmp_path / 'new')!r}, '--jobs', '1'),"
              " gc.get_freeze_count() > 0)\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
    said = [line for line in done.stdout.splitlines() if line.startswith("gc:")]
    assert said == ["gc: False False True", "gc: True True"], done.stdout + done.stderr
    # A search leaves every object out of the collections Python makes as it exits.
    ends = ("import gc, sys\n"
            "from hrhsearch.__main__ import run\n"
            f"sys.argv = ['hrhsearch', 'search', 'nurses', '--index', {str(tiny_index)!r}]\n"
            "try:\n"
            "    run()\n"
            "except SystemExit as exit:\n"
            "    print(exit.code, gc.isenabled(), gc.get_freeze_count() > 1000, file=sys.stderr)\n")
    done = subprocess.run([sys.executable, "-c", ends], capture_output=True, text=True, check=False)
    assert done.stderr.strip().splitlines()[-1] == "0 False True", done.stderr


@given(st.text(alphabet=st.sampled_from(" \t\nab\r\x0c"), max_size=12) | st.text(max_size=40))
@settings(max_examples=300, deadline=None)
def test_the_stand_in_cleandoc_cleans_as_inspect_does(text: str) -> None:
    import inspect

    from hrhsearch import lightstart

    assert lightstart._cleandoc(text) == inspect.cleandoc(text)


def test_a_schema_pickled_beside_the_stand_ins_names_the_real_functions(tmp_path: Path) -> None:
    # An index built by the command stores its schema, whose filters hold Whoosh's default stemmer.
    build = ("import pickle, sys\n"
             "from hrhsearch import lightstart\n"
             "lightstart.install()\n"
             "from hrhsearch import schema\n"
             f"open({str(tmp_path / 'schema.pickle')!r}, 'wb').write(pickle.dumps(schema.build()))\n"
             "assert type(sys.modules['whoosh.lang.porter']).__name__ == '_StandIn'\n")
    subprocess.run([sys.executable, "-c", build], check=True)
    read = ("import pickle, sys\n"
            "from hrhsearch import schema\n"
            f"stored, fresh = pickle.load(open({str(tmp_path / 'schema.pickle')!r}, 'rb')), schema.build()\n"
            "from whoosh.lang.porter import stem\n"
            "from whoosh.analysis import StemFilter\n"
            "filters = [f for n in stored.names() for f in getattr(stored[n].analyzer, 'items', ()) if isinstance(f, StemFilter)]\n"
            "assert filters and all(f.stemfn.__module__ != 'hrhsearch.lightstart' for f in filters)\n"
            "assert any(f.stemfn is stem for f in filters)\n"
            "words = 'Nurses running trainings enfermeras formación infirmières'\n"
            "for name in fresh.names():\n"
            "    if fresh[name].analyzer:\n"
            "        assert [t.text for t in stored[name].analyzer(words)] == [t.text for t in fresh[name].analyzer(words)], name\n"
            "print('ok')\n")
    done = subprocess.run([sys.executable, "-c", read], capture_output=True, text=True, check=False)
    assert done.stdout.strip() == "ok", done.stderr


def test_the_installed_command_starts_as_python_m_hrhsearch_does() -> None:
    from importlib.metadata import entry_points

    (command,) = [e for e in entry_points(group="console_scripts") if e.name == "hrhsearch"]
    assert command.value == "hrhsearch.__main__:run"


def test_the_stand_ins_hand_any_other_use_to_the_real_modules(tiny_index: Path) -> None:
    script = (
        "import sys\n"
        "from hrhsearch import lightstart\n"
        "lightstart.install()\n"
        "import hrhsearch\n"
        f"assert hrhsearch.search('rural nurses', index={str(tiny_index)!r}).total > 0\n"
        "assert 'asyncio' not in sys.modules\n"
        "import urllib.request\n"
        "assert urllib.request.Request('https://example.org/a').host == 'example.org'\n"
        "assert type(sys.modules['urllib.request']).__name__ == 'module'\n"
        "from cached_property import threaded_cached_property, cached_property\n"
        "from whoosh.lang.morph_en import variations\n"
        "assert 'nursing' in variations('nurse')\n"
        "from whoosh.lang.porter import stem\n"
        "from whoosh.lang.dmetaphone import double_metaphone\n"
        "assert stem('nursing') == 'nurs' and double_metaphone('Smith')[0] == 'SM0'\n"
        "import whoosh.lang.morph_en\n"
        "assert whoosh.lang.morph_en.variations is sys.modules['whoosh.lang.morph_en'].variations\n"
        "assert 'asyncio' in sys.modules\n"
        "from whoosh.lang import stemmer_for_language\n"
        "assert stemmer_for_language('fr')('infirmières') == 'infirmi' and 'whoosh.lang.snowball.german' not in sys.modules\n"
        "assert stemmer_for_language('de')('Krankenschwestern') == 'krankenschw'\n"
        "from whoosh.lang.snowball import classes, GermanStemmer\n"
        "assert classes['de'] is GermanStemmer and len(classes) == 14\n"
        "from whoosh.compat import htmlescape\n"
        "assert htmlescape('<a>') == '&lt;a&gt;'\n"
        "import html.parser\n"
        "assert html.unescape('&eacute;') == 'é'\n"
        "assert html.parser.HTMLParser and sys.modules['html'] is html\n"
        "import platform\n"
        "system = platform.system()\n"
        "assert type(sys.modules['platform']).__name__ == '_StandIn'\n"
        "assert system == platform.uname().system and type(sys.modules['platform']).__name__ == 'module'\n"
        "import inspect\n"
        "assert inspect.cleandoc('  a\\n    b') == 'a\\nb' and list(inspect.signature(lambda x: x).parameters) == ['x']\n"
        "import hashlib\n"
        "assert hashlib.md5(b'a', usedforsecurity=False).hexdigest() == '0cc175b9c0f1b6a831c399e269772661'\n"
        "assert hashlib.sha1(b'a').hexdigest() == '86f7e437faa5a7fce15d1ddcb9eaeaea377667b8'\n"
        "from whoosh.util.times import floor, datetime_to_long\n"
        "import datetime\n"
        "assert datetime_to_long(datetime.datetime(2020, 1, 1)) > 0 and callable(floor)\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
    assert done.stdout.strip() == "ok", done.stderr


def _shape(q) -> object:
    """A parsed query as everything a search reads of it: types, fields, words, boosts, the Or's
    coordination and each word's offsets."""
    if q.is_leaf():
        return (type(q).__name__, q.field(), getattr(q, "text", None), q.boost, q.startchar, q.endchar)
    return (type(q).__name__, q.boost, getattr(q, "scale", None), [_shape(s) for s in q.subqueries])


plain_words = st.lists(st.one_of(st.sampled_from(["AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "REQUIRE", "and", "x_y",
                                                  "Santé", "niñ̃o", "3", "3.5", "U.N.", "a.", "TO", "nurse's", "a-b"]),
                                 st.text(st.characters(categories=["L", "Nd", "Mn", "Pc"]), min_size=1, max_size=8)),
                       min_size=1, max_size=6)


@settings(max_examples=300, deadline=None)
@given(plain_words, st.lists(st.sampled_from([" ", "  ", "\t", "\n", "\u3000", "\xa0"]), min_size=6, max_size=6))
def test_plain_words_are_parsed_as_whoosh_s_parser_parses_them(words: list[str], gaps: list[str]) -> None:
    from hrhsearch.searching import _parser, _plain

    text = "".join(word + gap for word, gap in zip(words, gaps)).strip()
    plain = _plain(text)
    if plain is not None:
        assert _shape(plain) == _shape(_parser().parse(text, normalize=False)), text
    if all(w.isalnum() and w.upper() != w for w in words):
        assert plain is not None, text  # lower-case words always take the short way


def test_a_query_of_plain_words_does_not_load_whoosh_s_parser(tiny_index: Path) -> None:
    script = ("import sys, hrhsearch\n"
              f"assert hrhsearch.search('rural nurses', index={str(tiny_index)!r}).total > 0\n"
              "assert not [m for m in sys.modules if m.startswith('whoosh.qparser')]\n"
              f"assert hrhsearch.search('rural AND nurses', index={str(tiny_index)!r}).total > 0\n"
              "assert 'whoosh.qparser' in sys.modules\n"
              "print('ok')\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
    assert done.stdout.strip() == "ok", done.stderr


def test_importing_hrhsearch_loads_neither_whoosh_nor_the_builder() -> None:
    script = (
        "import sys, hrhsearch\n"
        "assert hrhsearch.Passage and hrhsearch.Ranking and hrhsearch.Limits and hrhsearch.QueryError\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'whoosh' or m == 'hrhsearch.index'))\n"
        "import hrhsearch.searching, hrhsearch.evaluation\n"
        "assert callable(hrhsearch.search) and callable(hrhsearch.evaluate), 'a submodule hid a function'\n"
        "assert hrhsearch.Index is hrhsearch.index.Index and 'Results' in dir(hrhsearch)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_a_word_is_stemmed_for_snippets_as_the_analyzer_stems_it() -> None:
    # Snippets stem word by word with the analyzer's own filters; a difference would lose highlights.
    from hrhsearch import schema

    words = {m.group() for f in sorted(CORPUS.rglob("*")) if f.suffix in (".md", ".txt", ".html", ".rst")
             for m in schema.TOKEN.finditer(f.read_text("utf-8", "replace"))}
    words |= {"a", "I", "The", "DE", "São", "été", "e.g", "U.S.A", "**", "a*b"}
    assert len(words) > 1000
    for language in ("en", "fr", "es", "pt", "xx", "de"):
        analyzer = schema.analyzer(schema.field_language(language))
        for word in words:
            expected = next((t.text for t in analyzer(word, removestops=False)), "")
            assert schema.word_stem(language, word) == expected, (language, word)


@settings(max_examples=300, deadline=None)
@given(st.from_regex(r"[A-Za-zÀ-ÿİıŒœßÆæ][a-zà-ÿœæß]{0,14}(ing|ies|ying|ción|ções|ement|s|y)?", fullmatch=True))
def test_a_stem_begins_with_the_words_initial(word: str) -> None:
    # Snippets skip stemming the words whose initial no query term shares; a stemmer that changed
    # a word's first letter would lose their highlights.
    from hrhsearch import schema

    for language in ("en", "fr", "es", "pt", "xx"):
        assert schema.word_stem(language, word).startswith(schema.word_initial(word)), (language, word)


def test_snippets_highlight_every_word_whose_stem_is_a_query_term() -> None:
    from hrhsearch import schema

    for language, names in (("en", ("community-health-workers.md", "task-sharing-guideline.md")),
                            ("fr", ("formation-continue-sages-femmes.md", "migration-infirmieres.html")),
                            ("es", ("retencion-personal-rural.md", "formacion-enfermeria.html")),
                            ("pt", ("agentes-comunitarios-saude.md", "planeamento-forca-trabalho.txt"))):
        text = " ".join(" ".join((CORPUS / name).read_text("utf-8", "replace").split()) for name in names)
        words = [m.group() for m in schema.TOKEN.finditer(text)]
        terms = {schema.word_stem(language, w) for w in words[::7]}
        expected = tuple(m.span() for m in schema.TOKEN.finditer(text) if schema.word_stem(language, m.group()) in terms)
        assert len(expected) > 100, language
        assert make_snippet(text, terms, language, width=len(text)) == (text, expected)


def test_the_total_counts_every_match_however_short_the_limit(tmp_path: Path) -> None:
    """Whoosh's collector, once its top results are full, drops a word that can no longer reach
    them and stops counting the passages that have only that word: at 100,000 passages "compute
    primal" counted 1,676 of 62,712. It takes a segment of over 5,000 records (below that Whoosh
    loads every match first) and rare matches spread among common ones."""
    docs = tmp_path / "docs"
    docs.mkdir()
    for n in range(2600):  # a passage and a file record each: one segment of 5,200 records
        text = f"Primal computing, note {n:04d}." if n % 300 == 150 else f"Payroll computing, note {n:04d}."
        (docs / f"note-{n:04d}.md").write_text(f"# Note {n}\n\n{text}\n", "utf-8")
    hrhsearch.build_index([docs], index=tmp_path / "index", jobs=1)
    for limit in (1, 3, 100):
        found = hrhsearch.search("primal computing", index=tmp_path / "index", limit=limit)
        assert found.total == 2600 and len(found) == limit
        assert all("Primal" in p.text for p in found[: min(limit, 9)])
    assert hrhsearch.search("primal computing", index=tmp_path / "index", limit=2, lang="en").total == 2600


@given(st.lists(st.integers(min_value=0, max_value=70_000), min_size=1, max_size=60))
def test_positions_decode_as_whoosh_decodes_them(positions: list[int]) -> None:
    from whoosh.formats import Positions

    from hrhsearch import termwise

    value = Positions().encode(sorted(positions))
    for stored in (value, value[:-1]):  # with and without pickle's closing byte
        assert termwise._positions(stored) == Positions().decode_positions(stored) == sorted(positions)


@given(st.lists(st.integers(min_value=0, max_value=2**32 - 1), max_size=60), st.floats(0.5, 3.0))
def test_packed_positions_hold_what_whoosh_s_positions_hold(positions: list[int], boost: float) -> None:
    from whoosh.formats import Positions

    from hrhsearch.schema import PackedPositions

    ours, whoosh_own = PackedPositions(field_boost=boost), Positions(field_boost=boost)
    packed, pickled = ours.encode(sorted(positions)), whoosh_own.encode(sorted(positions))
    assert ours.decode_positions(packed) == whoosh_own.decode_positions(pickled) == sorted(positions)
    assert ours.decode_frequency(packed) == whoosh_own.decode_frequency(pickled) == len(positions)
    assert ours.decode_weight(packed) == whoosh_own.decode_weight(pickled)
    assert ours.decode_position_boosts(packed) == whoosh_own.decode_position_boosts(pickled)


@given(st.lists(st.one_of(st.sampled_from("The rural nurses of district NURSE paid pay de la formación y los "
                                           "formaciones cobertura U.N. 2016 é İ I a à São ß ﬁne ǅ x*y e.g. "
                                           "...".split()), st.text(max_size=8)), max_size=40),
       st.sampled_from(["en", "fr", "es", "pt", "sw"]))
@settings(max_examples=300, deadline=None)
def test_analysed_postings_are_whoosh_s_own(words: list[str], language: str) -> None:
    """``schema.analysed`` stems each word through a per-process table instead of Whoosh's analyzer
    chain; the postings must be Whoosh's, byte for byte and in the same order."""
    from hrhsearch import schema

    texts = schema.section_texts(" ".join(words[:3]), tuple(words[3:5]), " ".join(words[5:]), language)
    whoosh_own = {name: tuple(schema._schema()[name].index(value)) for name, value in texts.items()}
    assert {name: tuple(postings) for name, postings in schema.analysed(texts).items()} == whoosh_own


@pytest.mark.parametrize("in_bulk, arrays", [(False, True), (True, True), (True, False)],
                         ids=["passage by passage", "over arrays", "over arrays from pickled blocks"])
def test_phrases_run_term_by_term_match_and_score_as_whoosh_s_phrase_matcher(tmp_path: Path, in_bulk: bool,
                                                                              arrays: bool, monkeypatch) -> None:
    """Phrases are matched from their words' positions, reading a common word only in the blocks of
    postings where the rarer words are, passage by passage or, for common words, over arrays, read
    from blocks stored as arrays or from schema 5's pickled ones. Whoosh's own phrase matcher must
    agree on every passage and score: words in and out of order, repeated, apart by a slop, across
    postings of many blocks, with deleted passages."""
    import random

    from whoosh import query

    from hrhsearch import schema, segments, termwise

    for name in ("IN_BULK", "IN_BULK_LOADED"):
        monkeypatch.setattr(termwise, name, 0 if in_bulk else 10**9)
    monkeypatch.setattr(segments.SplitPostingsWriter, "arrays", arrays)
    read = {"stored": 0, "picked": 0}
    for name, kind in (("_stored_arrays", "stored"), ("_picked_arrays", "picked")):
        def counted(*args, _real=getattr(termwise, name), _kind=kind):
            found = _real(*args)
            read[_kind] += found is not False
            return found
        monkeypatch.setattr(termwise, name, counted)

    rng = random.Random(3)
    words = "rural nurses retention health workers pay housing district training".split()
    docs = tmp_path / "docs"
    docs.mkdir()
    for n in range(120):  # 600 passages: a common word's postings span several blocks
        sections = [" ".join(rng.choice(words) for _ in range(rng.randint(8, 40))) + "." for _ in range(5)]
        (docs / f"note-{n:03d}.md").write_text("".join(f"## Part {k}\n\n{t}\n\n" for k, t in enumerate(sections)), "utf-8")
    index = tmp_path / "index"
    hrhsearch.build_index([docs], index=index, jobs=1)
    for changed in sorted(docs.iterdir())[::9]:  # their old passages are deleted
        changed.write_text(changed.read_text("utf-8") + "\nrural nurses of the district.\n", "utf-8")
    hrhsearch.build_index([docs], index=index, jobs=1)
    phrases = [("rural", "nurses"), ("nurses", "rural"), ("retention", "health", "workers"), ("pay", "pay"),
               ("pay", "pay", "pay"), ("health", "workers", "pay", "housing"), ("rural", "absent"), ("district",),
               ("district", "the")]
    compared = 0
    with hrhsearch.open_index(index).searcher() as searcher:
        assert searcher.reader().has_deletions()
        for phrase in phrases:
            for slop, boost in ((1, 1.0), (2, 1.0), (3, 1.0), (1, 2.5)):
                q = query.Phrase("body_en", [schema.word_stem("en", w) for w in phrase], slop=slop, boost=boost)
                ours = termwise.search(searcher, q, 1000)
                whoosh_own = searcher.search(q, limit=None, optimize=False)
                assert len(ours) == len(whoosh_own) and set(ours.docs()) == set(whoosh_own.docs()), (phrase, slop)
                assert [(h.docnum, h.score) for h in ours] == [(h.docnum, h.score) for h in whoosh_own], (phrase, slop)
                compared += len(ours)
    assert compared > 1000, compared
    if in_bulk:  # blocks stored as arrays are read as they are, any others picked
        assert (read["stored"] > 0, read["picked"] > 0) == (arrays, not arrays), read


@pytest.mark.parametrize("arrays", [True, False], ids=["arrays", "pickled blocks"])
def test_a_phrase_of_common_words_that_never_meet_finds_nothing(tmp_path: Path, arrays: bool, monkeypatch) -> None:
    """Over arrays, the rarer word's passages can all come after the other word's last block: then
    no block is read and nothing is found, as Whoosh's matcher finds nothing."""
    from whoosh import query

    from hrhsearch import schema, segments, termwise

    for name in ("IN_BULK", "IN_BULK_LOADED"):
        monkeypatch.setattr(termwise, name, 0)
    monkeypatch.setattr(segments.SplitPostingsWriter, "arrays", arrays)
    docs = tmp_path / "docs"
    docs.mkdir()
    for n in range(6):  # alpha in the first three files' passages, omega in the last two
        word = "alpha" if n < 3 else "omega" if n > 3 else "middle"
        (docs / f"note-{n}.md").write_text(f"## Part\n\nThe {word} nurses of the {word} district.\n", "utf-8")
    index = tmp_path / "index"
    hrhsearch.build_index([docs], index=index, jobs=1)
    with hrhsearch.open_index(index).searcher() as searcher:
        for words in (("omega", "alpha"), ("alpha", "omega"), ("omega", "nurses")):
            q = query.Phrase("body_en", [schema.word_stem("en", w) for w in words])
            ours = termwise.search(searcher, q, 10)
            assert [h.docnum for h in ours] == [h.docnum for h in searcher.search(q, limit=None, optimize=False)]
            assert len(ours) == (2 if words[1] == "nurses" else 0)


def test_a_phrase_is_matched_over_arrays_from_fewer_passages_once_numpy_is_loaded(tmp_path: Path, monkeypatch) -> None:
    """A search that would load numpy (0.1 s) matches over arrays only from ``IN_BULK`` passages on;
    once numpy is loaded, from ``IN_BULK_LOADED``."""
    import numpy  # noqa: F401 - loaded, as in a process that has matched a common phrase before
    from whoosh import query

    from hrhsearch import schema, termwise

    files = termwise.IN_BULK_LOADED // 5 + 4  # five passages each: between the two thresholds
    assert termwise.IN_BULK_LOADED < files * 5 < termwise.IN_BULK
    docs = tmp_path / "docs"
    docs.mkdir()
    for n in range(files):
        (docs / f"note-{n:03d}.md").write_text("".join(f"## Part {k}\n\nRural nurses, file {n}.\n\n" for k in range(5)), "utf-8")
    index = tmp_path / "index"
    hrhsearch.build_index([docs], index=index, jobs=1)
    over_arrays = []
    real = termwise._phrase_in_bulk
    monkeypatch.setattr(termwise, "_phrase_in_bulk", lambda *args: over_arrays.append(1) or real(*args))
    q = query.Phrase("body_en", [schema.word_stem("en", w) for w in ("rural", "nurses")])
    with hrhsearch.open_index(index).searcher() as searcher:
        assert searcher.reader().doc_frequency("body_en", q.words[0]) == files * 5
        assert len(termwise.search(searcher, q, 1000)) == files * 5 and over_arrays == [1]
        monkeypatch.delitem(sys.modules, "numpy")
        assert len(termwise.search(searcher, q, 1000)) == files * 5 and over_arrays == [1]


@pytest.mark.parametrize("common_from, arrays_stored", [(0, True), (150, True), (0, False)],
                         ids=["every word over arrays", "common words over arrays", "blocks stored pickled"])
def test_words_scored_over_arrays_rank_as_the_tables_do_to_the_last_bit(tmp_path: Path, monkeypatch, common_from: int,
                                                                         arrays_stored: bool) -> None:
    """A word in a large share of a segment's passages is scored and combined over arrays
    (``termwise.Dense``); the others stay tables, and the two meet in every kind of node. Whatever
    the mix, each search finds the passages, totals and scores (equal to the last bit) of the tables
    alone, with deleted passages, filters, thesaurus equivalents, exclusions and phrases. Blocks
    written before they were arrays (schema 5) stay tables."""
    import random

    from whoosh import query

    from hrhsearch import schema, segments, termwise

    monkeypatch.setattr(segments.SplitPostingsWriter, "arrays", arrays_stored)
    from hrhsearch.expansion import BestOf
    from hrhsearch.facets import Filters

    search_module = sys.modules["hrhsearch.searching"]
    rng = random.Random(5)
    words = "rural nurses retention health workers pay housing district training supervision".split()
    docs = tmp_path / "docs"
    docs.mkdir()
    for n in range(120):  # 600 passages; the rarer words are in under 150 of them
        sections = [" ".join(rng.choice(words[: rng.randint(3, len(words))]) for _ in range(rng.randint(8, 30))) + "."
                    for _ in range(5)]
        year = 2010 + n % 10
        sections[0] += " The ministry decides." if n % 40 == 0 else ""  # in fewer passages than a page of results
        (docs / f"note-{n:03d}.md").write_text(f"---\nyear: {year}\n---\n" + "".join(
            f"## Part {k}\n\n{t}\n\n" for k, t in enumerate(sections)), "utf-8")
    index = tmp_path / "index"
    hrhsearch.build_index([docs], index=index, jobs=1)
    for changed in sorted(docs.iterdir())[::7]:  # their old passages are deleted
        changed.write_text(changed.read_text("utf-8") + "\nrural nurses of the district.\n", "utf-8")
    hrhsearch.build_index([docs], index=index, jobs=1)

    dense = []
    real = termwise._dense_term
    monkeypatch.setattr(termwise, "_dense_term", lambda *args: dense.append(real(*args)) or dense[-1])
    texts = ["rural nurses", "nurses AND housing", "nurses NOT housing", "pay OR supervision", "+rural +health",
             "rural -pay", '"rural nurses"', "CHW supervision", "(housing OR pay) AND nurses", "superv*", "health workers",
             "(nurses AND housing) OR pay", "ministry", "ministry OR supervision"]
    rural, nurses, training, pay = (query.Term("body_en", schema.word_stem("en", w)) for w in ("rural", "nurses", "training", "pay"))
    required = query.Require(query.Or([rural, nurses]), training)  # required words that are not a filter
    built = [required, query.Or([required, pay]), BestOf([rural, pay]), BestOf([query.Phrase("body_en", [rural.text, nurses.text]), pay])]
    compared = 0
    with hrhsearch.open_index(index).searcher() as searcher:
        assert searcher.reader().has_deletions()
        for filters in (Filters(), Filters(year="2012..2016")):
            for text in texts + built:
                if isinstance(text, str):
                    parsed = search_module.parse_query(text, searcher=searcher)
                    condition = filters.query(text, searcher.reader())
                    q = parsed.query if condition is None else query.Require(parsed.query, condition)
                else:
                    q = text
                found = {}
                for arrays in (False, True):
                    least = common_from if arrays else 10**9
                    for name in ("ARRAYS_FROM", "ARRAYS_FROM_LOADED"):
                        monkeypatch.setattr(termwise, name, least)
                    monkeypatch.setattr(termwise, "ARRAYS_SHARE", 10**9)
                    results = [termwise.search(searcher, q, limit) for limit in (7, 1000)]  # a page, and all
                    found[arrays] = [([(h.docnum, h.score) for h in r], len(r), r.docs()) for r in results]
                assert found[True] == found[False], (text, filters)
                compared += found[False][0][1]
    assert compared > 1000, compared
    assert len(dense) > 20
    assert all((found is not None) == arrays_stored for found in dense)


def test_running_a_query_term_by_term_gives_whoosh_s_full_ranking(corpus_index: Path) -> None:
    """``termwise`` against Whoosh's own matchers, unlimited (so nothing is pruned), over the golden
    queries, boolean and phrase queries, wildcards and filters."""
    import sys

    from whoosh import query

    from hrhsearch import termwise
    from hrhsearch.facets import Filters

    from .test_golden import GOLDEN

    search_module = sys.modules["hrhsearch.searching"]
    texts = [g[0] for g in GOLDEN] + ["nurses AND housing", "nurses NOT housing", "superv*", "title:migration",
                                      "(housing OR pay) AND nurses", "*", "CHW", '"community health workers"', "language:fr"]
    compared = 0
    with hrhsearch.open_index(corpus_index).searcher() as searcher:
        for filters in (Filters(), Filters(lang=("en", "fr")), Filters(year="2015..")):
            for text in texts:
                parsed = search_module.parse_query(text, searcher=searcher)
                condition = filters.query(text, searcher.reader(), sections_only=search_module._may_match_records(parsed.query))
                q = parsed.query if condition is None else query.Require(parsed.query, condition)
                ours = termwise.search(searcher, q, 5)
                whoosh_own = searcher.search(q, limit=None, optimize=False)
                assert len(ours) == len(whoosh_own) and set(ours.docs()) == set(whoosh_own.docs()), (text, filters)
                assert [(h.docnum, round(h.score, 9)) for h in ours] == [(h.docnum, round(h.score, 9)) for h in whoosh_own][:5]
                compared += len(ours)
    assert compared > 200
