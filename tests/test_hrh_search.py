"""Filters, facets, citations, the HRH thesaurus, search across languages and "did you mean"."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import example, given, settings
from hypothesis import strategies as st
from whoosh.codec.whoosh3 import W3PostingsWriter

import hrhsearch
from hrhsearch import expansion
from hrhsearch.cli import main
from hrhsearch.errors import QueryError
from hrhsearch.segments import ARRAYS, BlockPostings, SplitPostingsWriter, _found

from .labelled.measure import HERE

LABELLED = HERE / "docs"


@pytest.fixture(scope="session")
def labelled_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    index = tmp_path_factory.mktemp("labelled") / "index"
    report = hrhsearch.build_index([LABELLED], index=index, jobs=2)
    assert report.ok and report.added == len(list(LABELLED.iterdir()))
    return index


def _indexed_copy(tmp_path: Path, count: int) -> tuple[Path, Path]:
    """The first ``count`` labelled documents copied into ``tmp_path``, and an index of them."""
    docs = tmp_path / "docs"
    docs.mkdir()
    for source in sorted(LABELLED.iterdir())[:count]:
        (docs / source.name).write_bytes(source.read_bytes())
    index = tmp_path / "index"
    hrhsearch.build_index([docs], index=index, jobs=1)
    return docs, index


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def test_country_filter_takes_any_language_or_code(labelled_index: Path) -> None:
    kenya = hrhsearch.search("health workers", index=labelled_index, country="Kenya", limit=50)
    assert kenya and all("Kenya" in p.countries for p in kenya)
    assert [p.section_id for p in hrhsearch.search("health workers", index=labelled_index, country="Kenia", limit=50)] == \
        [p.section_id for p in kenya]
    assert hrhsearch.search("health workers", index=labelled_index, country="KEN", limit=50).total == kenya.total


@pytest.mark.parametrize(
    "option, value, check",
    [
        ("region", "AFRO", lambda p: "AFRO" in p.regions),
        ("region", "PAHO", lambda p: "AMRO" in p.regions),
        ("org", "WHO", lambda p: "WHO" in p.organisations),
        ("org", "Organisation mondiale de la Santé", lambda p: "WHO" in p.organisations),
        ("org", "ministry of health", lambda p: any(o.startswith("Ministry of Health") for o in p.organisations)),
        ("type", "strategy", lambda p: p.doc_type == "strategy"),
        ("type", "fact sheet", lambda p: p.doc_type == "factsheet"),
        ("lang", "fr", lambda p: p.language == "fr"),
        ("year", "2015..2018", lambda p: 2015 <= p.year <= 2018),
        ("year", "2019..", lambda p: p.year >= 2019),
        ("year", "2016", lambda p: p.year == 2016),
    ],
)
def test_each_filter_keeps_only_matching_passages(labelled_index: Path, option: str, value: str, check) -> None:
    results = hrhsearch.search("health OR santé OR salud OR saúde", index=labelled_index, limit=500, **{option: value})
    assert results, (option, value)
    assert all(check(p) for p in results), (option, value)


def test_a_year_span_no_passage_falls_in_finds_nothing(labelled_index: Path) -> None:
    everything = hrhsearch.search("health OR santé OR salud OR saúde", index=labelled_index, limit=500)
    assert everything and all(p.year is None or p.year > 1990 for p in everything)
    assert not hrhsearch.search("health OR santé OR salud OR saúde", index=labelled_index, year="1980..1990")
    span = hrhsearch.search("health OR santé OR salud OR saúde", index=labelled_index, year="..2016", limit=500)
    assert len(span) == sum(1 for p in everything if p.year and p.year <= 2016) > 0


def test_filters_combine_and_values_of_one_filter_are_alternatives(labelled_index: Path) -> None:
    both = hrhsearch.search("health OR salud", index=labelled_index, country=["Kenya", "Peru"], limit=100)
    assert {c for p in both for c in p.countries} >= {"Kenya", "Peru"}
    narrowed = hrhsearch.search("health OR salud", index=labelled_index, country=["Kenya", "Peru"], lang="es", limit=100)
    assert narrowed and all(p.language == "es" and "Peru" in p.countries for p in narrowed)


@pytest.mark.parametrize(
    "option, value, words",
    [
        ("country", "Narnia", "no country is called"),
        ("region", "Atlantis", "is not a WHO region"),
        ("type", "novel", "is not a document type"),
        ("year", "2020..2015", "run backwards"),
        ("year", "last year", "is not a year"),
        ("org", "Acme Health Trust", "Publishers in this index:"),
    ],
)
def test_a_filter_value_nobody_could_match_is_an_error_that_says_what_to_use(
        labelled_index: Path, option: str, value: str, words: str) -> None:
    with pytest.raises(QueryError, match=words):
        hrhsearch.search("nurses", index=labelled_index, **{option: value})


def test_facets_count_every_match_and_agree_with_the_filters(labelled_index: Path) -> None:
    results = hrhsearch.search("nurses", index=labelled_index, limit=3, facets=True)
    assert len(results) == 3 and results.total > 3
    assert set(results.facets) == {"organisation", "year", "country", "region", "type", "language"}
    assert sum(v.passages for v in results.facets["language"]) == results.total
    for name, option in (("country", "country"), ("type", "type"), ("region", "region"), ("organisation", "org")):
        for value in results.facets[name][:3]:
            filtered = hrhsearch.search("nurses", index=labelled_index, limit=1, **{option: value.value})
            assert filtered.total == value.passages, (name, value)
            assert value.documents <= value.passages


def test_citation_carries_publisher_year_title_section_and_pages(labelled_index: Path, corpus_index: Path) -> None:
    [kenya] = [p for p in hrhsearch.search("steering committee OR staffing norms", index=labelled_index, limit=20)
               if p.path.endswith("kenya-chw-strategy.md")][:1]
    assert kenya.citation == ('Ministry of Health (Kenya) (2020). Kenya Community Health Strategy 2020–2025, '
                              '§ "Strategic objectives".')
    pdf = hrhsearch.search("hardship allowance paid on time", index=corpus_index, limit=1)[0]
    assert pdf.citation.startswith("Keeping Nurses in Rural Posts") and '§3 "Financial Incentives"' in pdf.citation
    assert pdf.citation.endswith((f"p. {pdf.page_start}.", f"pp. {pdf.page_start}\u2013{pdf.page_end}."))


def test_cite_prints_quotations_with_citations() -> None:
    result = run("search", "hardship allowance paid on time", "--cite", "--limit", "2")
    assert result.exit_code == 0, result.output
    first = result.stdout.split("\n\n")[0].splitlines()
    assert first[0].startswith("[1] ") and "§3 \"Financial Incentives\"" in first[0]
    assert first[1].strip().startswith("\u201c") and first[1].strip().endswith("\u201d")


@pytest.fixture
def thesaurus_index(tmp_path: Path) -> Path:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "chw.md").write_text("# Volunteers\n\nEach community health worker visits forty households a month.\n", "utf-8")
    (docs / "haf.md").write_text("# Framework\n\nThe HRH Action Framework guides planning.\n", "utf-8")
    (docs / "fr.md").write_text("# Délégation\n\nLa délégation des tâches aux infirmiers qualifiés réduit "
                                "les délais de prise en charge dans les centres de santé ruraux du district.\n", "utf-8")
    (docs / "en.md").write_text("# Task shifting\n\nTask shifting to trained nurses shortens waiting times in "
                                "rural health centres of the district.\n", "utf-8")
    hrhsearch.build_index([docs], index=tmp_path / "index", jobs=1)
    return tmp_path / "index"


def test_an_acronym_finds_its_expansion_and_says_so(thesaurus_index: Path) -> None:
    results = hrhsearch.search("CHW", index=thesaurus_index)
    assert [Path(p.path).name for p in results] == ["chw.md"]
    assert str(results.expansions[0]).startswith("CHW \u2192 community health worker")
    assert ("fr", "agent de santé communautaire") in results.expansions[0].equivalents


def test_acronyms_are_case_aware_and_expansion_can_be_turned_off(thesaurus_index: Path) -> None:
    assert [Path(p.path).name for p in hrhsearch.search("HAF", index=thesaurus_index)] == ["haf.md"]
    lower = hrhsearch.search("haf", index=thesaurus_index)
    assert list(lower) == [] and lower.expansions == ()
    off = hrhsearch.search("CHW", index=thesaurus_index, expand=False)
    assert list(off) == [] and off.expansions == ()


def test_an_english_query_finds_french_passages_and_ranks_its_own_words_first(thesaurus_index: Path) -> None:
    results = hrhsearch.search("task shifting", index=thesaurus_index)
    assert [Path(p.path).name for p in results] == ["en.md", "fr.md"]
    assert results[0].score > 1.5 * results[1].score, "a translation weighs less than the words typed"
    assert [Path(p.path).name for p in hrhsearch.search("task shifting", index=thesaurus_index, lang="fr")] == ["fr.md"]


def test_a_french_query_finds_english_passages_too(thesaurus_index: Path) -> None:
    results = hrhsearch.search("délégation des tâches", index=thesaurus_index)
    assert [Path(p.path).name for p in results] == ["fr.md", "en.md"]


def test_expansion_does_not_flood_the_golden_queries(corpus_index: Path) -> None:
    from .test_golden import GOLDEN

    for query, document, _ in GOLDEN:
        expanded = hrhsearch.search(query, index=corpus_index, limit=3)
        plain = hrhsearch.search(query, index=corpus_index, limit=3, expand=False)
        assert Path(expanded[0].path).name == Path(plain[0].path).name == document, query


def test_the_thesaurus_tables_are_cached_and_rebuilt_when_stale(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HRHSEARCH_CACHE", str(tmp_path / "cache"))
    expansion._tables.cache_clear()
    built = expansion._tables()
    [cached] = (tmp_path / "cache").glob("thesaurus-*.json")
    expansion._tables.cache_clear()
    assert expansion._tables() == built  # read back from the cache, not stemmed again
    assert expansion.lookup.__wrapped__(("nurses",)).label == "nurse"
    cached.write_text('{"entries": [], "acronyms": [], "terms": [], "longest": 1', "utf-8")  # cut short
    expansion._tables.cache_clear()
    assert expansion._tables() == built
    assert json.loads(cached.read_text("utf-8"))["longest"] == built[2]  # written again, whole
    monkeypatch.setattr(expansion, "_build_tables", lambda entries: pytest.fail("must come from the cache"))
    expansion._tables.cache_clear()
    assert expansion._tables() == built
    expansion._tables.cache_clear()


def test_did_you_mean_comes_from_the_index_vocabulary(labelled_index: Path) -> None:
    results = hrhsearch.search("retension of nurces", index=labelled_index)
    assert results.suggestion == "retention of nurses"
    assert hrhsearch.search("retention of nurses", index=labelled_index).suggestion is None
    assert hrhsearch.search("zzqxv", index=labelled_index).suggestion is None  # nothing close: no guess


def test_the_cli_shows_expansions_suggestions_and_facets(labelled_index: Path) -> None:
    result = run("search", "CHW", "retension", "--index", str(labelled_index), "--facets")
    assert result.exit_code == 0, result.output
    assert "Expanded: CHW \u2192 community health worker" in result.stderr
    assert "Did you mean: CHW retention" in result.stderr
    assert "Facets over" in result.stdout and "country" in result.stdout
    data = json.loads(run("search", "CHW", "retension", "--index", str(labelled_index), "--facets", "--json").stdout)
    assert data["suggestion"] == "CHW retention"
    assert data["expansions"][0]["term"] == "CHW"
    assert {"language": "en", "text": "community health worker"} in data["expansions"][0]["equivalents"]
    assert data["facets"]["language"] and {"value", "passages", "documents"} == set(data["facets"]["language"][0])
    assert {"organisations", "countries", "regions", "doc_type", "citation"} <= set(data["passages"][0])
    off = json.loads(run("search", "CHW", "--index", str(labelled_index), "--no-expand", "--json").stdout)
    assert off["expansions"] == []


def test_filters_in_the_cli(labelled_index: Path) -> None:
    result = run("search", "nurses", "--index", str(labelled_index), "--region", "AMRO", "--year", "2015..2020",
                 "--type", "assessment", "--json")
    passages = json.loads(result.stdout)["passages"]
    assert passages and all("AMRO" in p["regions"] and 2015 <= p["year"] <= 2020 and p["doc_type"] == "assessment"
                            for p in passages)
    bad = run("search", "nurses", "--index", str(labelled_index), "--country", "Narnia")
    assert bad.exit_code == 1 and bad.stderr.startswith("Error: ") and "Traceback" not in bad.output


def test_a_short_limit_returns_the_head_of_the_full_ranking(tmp_path: Path) -> None:
    # Whoosh prunes matchers once its top-k heap is full; expansion's matcher must not lose passages
    # then. The corpus is indexed in sorted order, as the default index is: the loss depended on it.
    from .conftest import CORPUS
    from .test_golden import GOLDEN

    hrhsearch.build_index(sorted(p for p in CORPUS.iterdir() if p.name != "README.md"), index=tmp_path / "ix", jobs=1)
    for query, _, _ in GOLDEN + [("rural retention of nurses", None, None)]:
        head = [p.section_id for p in hrhsearch.search(query, index=tmp_path / "ix", limit=4)]
        full = [p.section_id for p in hrhsearch.search(query, index=tmp_path / "ix", limit=1000)]
        assert head == full[:4], query


@pytest.mark.parametrize("query", ["health workers", "nurs* retention", '"community health"', "CHW supervision",
                                   "santé OR salud", "health -nurses", "+rural +health"])
def test_a_filter_finds_what_the_search_without_it_finds_in_the_passages_it_allows(labelled_index: Path, query: str) -> None:
    """A filter is applied as each word's postings are read, before scoring (``termwise._scores``):
    whatever the query's shape (words, wildcards, phrases, thesaurus equivalents, exclusions,
    required words), it must find the passages, scores and order of the whole search, filtered."""
    from hrhsearch.facets import years

    everything = hrhsearch.search(query, index=labelled_index, limit=10_000)
    for year, lang in [("2015..2020", ()), (None, ("en",)), ("..2016", ("fr", "es"))]:
        low, high = years("", year) if year else (None, None)
        wanted = [p for p in everything if (not lang or p.language in lang)
                  and (year is None or (p.year is not None and (low or 0) <= p.year <= (high or 9999)))]
        found = hrhsearch.search(query, index=labelled_index, limit=10_000, year=year, lang=lang)
        assert found.total == len(wanted) and len(found) == len(wanted)
        assert [(p.section_id, p.path) for p in found] == [(p.section_id, p.path) for p in wanted], (query, year, lang)
        assert [p.score for p in found] == pytest.approx([p.score for p in wanted], rel=1e-12)
    assert everything.total > 0


def test_a_filter_allows_exactly_the_passages_whoosh_finds_for_its_terms(tmp_path: Path, monkeypatch) -> None:
    """``facets.Allowed`` reads each segment's allowed passages block by block; Whoosh's own And of
    Ors over the same terms must find the same live passages, deletions included. The filters share
    terms, so later ones are made of terms kept from earlier ones."""
    from whoosh import query

    from hrhsearch import facets, termwise
    from hrhsearch.facets import Filters

    read_as: set[str] = set()
    real_others = facets._others

    def others(reader, group):
        found = real_others(reader, group)
        read_as.add("the values asked for" if found is None else "the other values")
        return found

    monkeypatch.setattr(facets, "_others", others)

    docs, index = _indexed_copy(tmp_path, 16)
    changed = sorted(docs.iterdir())[3]
    changed.write_text(changed.read_text("utf-8") + "\n\nA closing note on nurses.\n", "utf-8")
    assert hrhsearch.build_index([docs], index=index, jobs=1).updated == 1  # the old version's passages are deleted
    filters = [Filters(lang=("en",)), Filters(lang=("fr", "es")), Filters(year="2015..2020"), Filters(year="..2012", lang=("en",)),
               Filters(country=("Kenya", "Senegal")), Filters(region=("AFRO",)), Filters(org=("WHO",)), Filters(type=("strategy",)),
               Filters(lang=("en", "fr", "es", "pt")), Filters(year="..2030")]
    with hrhsearch.open_index(index).searcher() as searcher:
        reader = searcher.reader()
        assert reader.has_deletions()
        seen = 0
        for f in filters:
            allowed = f.query("q", reader)
            whoosh_own = query.And([query.Or([query.Term(field, value) for field, value in group]) for group in allowed.groups])
            for leaf, _ in searcher.leaf_searchers():
                live = lambda ids: sorted(i for i in ids if not leaf.reader().is_deleted(i))  # noqa: E731
                ours = live(allowed.matcher(leaf).all_ids())
                assert ours == live(whoosh_own.matcher(leaf).all_ids()), f
                seen += len(ours)
            # Run a term at a time, the deleted passages are left out as Whoosh's matchers leave them out.
            words = query.Or([query.Term("body_es", "enfermer"), query.Term("body_en", "nurs")])  # the changed file is Spanish
            q = query.Require(words, Filters(lang=("es", "en")).query("q", reader))
            ours, whoosh_found = termwise.search(searcher, q, 3), searcher.search(q, limit=None, optimize=False)
            assert len(ours) == len(whoosh_found) and set(ours.docs()) == set(whoosh_found.docs())
            assert [h.docnum for h in ours] == [h.docnum for h in whoosh_found][:3]
        assert seen > 50  # the filters did allow passages
        assert read_as == {"the values asked for", "the other values"}


def test_a_filter_s_passages_are_kept_for_the_next_search_until_the_index_changes(tmp_path: Path, monkeypatch) -> None:
    """A filter's passages are read once per segment: the next search with the same filter reads no
    postings for it and finds the same passages. A changed index is read afresh, and a segment keeps
    ``FILTERS_KEPT`` filters, the most recently used."""
    from hrhsearch import facets

    reads: list = []
    real = facets.Allowed.allowed
    monkeypatch.setattr(facets.Allowed, "allowed", lambda self, reader: reads.append(self.groups) or real(self, reader))
    docs, index = _indexed_copy(tmp_path, 12)

    def found(lang: str) -> tuple[list, bool]:
        """The passages found in ``lang``, and whether the filter's postings were read for them."""
        before = len(reads)
        passages = hrhsearch.search("health OR salud OR santé", index=index, limit=500, lang=lang)
        return [(p.path, p.section_id) for p in passages], len(reads) > before

    english, read = found("en")
    assert english and read
    assert found("en") == (english, False)  # kept
    spanish, read = found("es")
    assert spanish and read and set(spanish).isdisjoint(english)
    assert found("en") == (english, False)

    (docs / "zz-new-note.md").write_text("# A new note\n\nHealth workers in rural districts.\n", "utf-8")
    assert hrhsearch.build_index([docs], index=index, jobs=1).added == 1
    after, read = found("en")
    assert read and set(after) > set(english) and any(path.endswith("zz-new-note.md") for path, _ in after)

    monkeypatch.setattr(facets, "FILTERS_KEPT", 2)
    assert [found(lang)[1] for lang in ("es", "en", "fr", "en", "es")] == [True, False, True, False, True]


def test_a_new_span_of_years_reads_only_the_years_no_earlier_filter_read(tmp_path: Path, monkeypatch) -> None:
    """A segment keeps the passages of the terms its filters were made of (``TERMS_KEPT``, the most
    recently used), so that a new span of years already read reads no postings, and finds what it
    finds when every year is read afresh."""
    from whoosh.reading import IndexReader

    from hrhsearch import facets

    _, index = _indexed_copy(tmp_path, 16)
    hrhsearch.optimize(index)  # one segment: one reader keeps every term read here
    with hrhsearch.open_index(index).searcher() as searcher:
        years = sorted(int(year) for year in searcher.reader().field_terms("published"))
    assert len(years) >= 4
    low, high = years[0], years[-1]

    read: list[str] = []  # the years whose postings were read
    real_recent = facets._recent

    def recent(kept, reader, key):
        found = real_recent(kept, reader, key)
        if kept is facets._TERMS and found is None:
            read.append(key[1])
        return found

    monkeypatch.setattr(facets, "_recent", recent)
    words = "health OR salud OR santé"

    def found(span: str) -> tuple[list, set]:
        before = len(read)
        passages = hrhsearch.search(words, index=index, limit=1000, year=span)
        return sorted((p.path, p.section_id) for p in passages), set(read[before:])

    everything, first = found(f"{low}..{high}")
    assert everything and first == {str(y) for y in years}
    with monkeypatch.context() as listing:  # nor are the years held listed again
        listing.setattr(IndexReader, "field_terms", lambda *_: pytest.fail("the years were listed again"))
        inner, again = found(f"{years[1]}..{years[-2]}")  # a new filter, of years read already
    assert inner and set(inner) < set(everything) and again == set()
    facets._TERMS.clear()
    facets._KEPT.clear()
    facets._VALUES.clear()
    assert found(f"{years[1]}..{years[-2]}") == (inner, {str(y) for y in years[1:-1]})  # read afresh

    monkeypatch.setattr(facets, "TERMS_KEPT", 1)
    assert found(f"{low}..{low}")[1] == {str(low)}
    assert found(f"{high}..{high}")[1] == {str(high)}
    assert found(f"{low}..{low}")[1] == set()  # the whole filter is kept
    assert found(f"{low}..{years[1]}")[1] == {str(low), str(years[1])}  # the one year kept was the last read


def test_a_segment_looks_each_term_up_once_and_answers_as_whoosh_s_term_table(corpus_index: Path) -> None:
    from whoosh.codec.whoosh3 import W3TermsReader
    from whoosh.filedb.filetables import OrderedHashReader
    from whoosh.reading import TermNotFound

    lookups = []
    real = OrderedHashReader.ranges_for_key

    def counted(self, key):
        lookups.append(key)
        return real(self, key)

    with hrhsearch.open_index(corpus_index).searcher() as searcher:
        for leaf, _ in searcher.leaf_searchers():
            ours = leaf.reader()._terms
            theirs = W3TermsReader(ours._codec, ours._dbfile, None, ours._postfile)
            terms = [("body_en", b"nurs"), ("body_fr", b"infirmi"), ("body_en", b"zzzz"), ("title", b"nurs"), ("nofield", b"x")]
            OrderedHashReader.ranges_for_key = counted
            try:
                for _ in range(3):
                    for term in terms:
                        assert (term in ours) == (term in theirs)
                        if term in theirs:
                            assert ours.doc_frequency(*term) == theirs.doc_frequency(*term) > 0
                            assert ours.frequency(*term) == theirs.frequency(*term)
                            assert ours.term_info(*term).extent() == theirs.term_info(*term).extent()
                        else:
                            with pytest.raises(TermNotFound):
                                ours.term_info(*term)
                            with pytest.raises(KeyError):
                                ours.doc_frequency(*term)
                lookups.clear()
                for term in terms:  # all known to this reader now
                    term in ours, ours.term_info(*term) if term in ours else None
                assert lookups == []
            finally:
                OrderedHashReader.ranges_for_key = real


def test_table_scoring_and_block_decoding_equal_whoosh_to_the_bit(corpus_index: Path, monkeypatch: pytest.MonkeyPatch,
                                                                   tmp_path: Path) -> None:
    from whoosh.codec.whoosh3 import W3LeafMatcher

    from hrhsearch import scoring
    from hrhsearch.searching import rank

    from .test_golden import GOLDEN

    opened = hrhsearch.open_index(corpus_index)
    queries = [g[0] for g in GOLDEN]
    fast = [rank(opened, q, limit=50) for q in queries]

    def whoosh_lengths(self, searcher, fieldname, text, qf=1):
        if not searcher.schema[fieldname].scorable:
            return scoring.WeightScorer.for_(searcher, fieldname, text)
        return scoring._Scorer(searcher, fieldname, text, self.k1, self.b)

    monkeypatch.setattr(scoring.BM25, "scorer", whoosh_lengths)
    assert [rank(opened, q, limit=50) for q in queries] == fast
    assert sum(map(len, fast)) > 100

    # Every posting list of the index, written again in Whoosh's blocks and read by Whoosh's own
    # reader, reads the same as hrhsearch's split blocks, and hrhsearch reads Whoosh's blocks alike.
    checked = 0
    with opened.whoosh().reader() as reader:
        for leaf, _ in reader.leaf_readers():
            for field, text in leaf.all_terms():
                info = leaf.term_info(field, text)
                if not field.startswith("body_") or info.is_inlined():
                    continue
                format_ = leaf.schema[field].format
                ours = _all_postings(leaf.postings(field, text))
                assert ours == _read_back(tmp_path, W3PostingsWriter, W3LeafMatcher, format_, ours)
                assert ours == _read_back(tmp_path, W3PostingsWriter, BlockPostings, format_, ours)
                assert ours == _read_back(tmp_path, SplitPostingsWriter, BlockPostings, format_, ours)
                checked += 1
    assert checked > 500


def _all_postings(matcher) -> list[tuple[int, float, bytes]]:
    raw = matcher.child if hasattr(matcher, "child") else matcher
    found = []
    while raw.is_active():
        found.append((raw.id(), raw.weight(), raw.value()))
        raw.next()
    return found


def _read_back(folder: Path, writer_class, reader_class, format_, postings: list, level: int = 3,
               wanted: list[int] | None = None, size: int = 128) -> list:
    """``postings`` written by ``writer_class`` in blocks of ``size``, read by ``reader_class``; what
    ``BlockPostings.picked`` gives for the ``wanted`` documents is checked too."""
    from whoosh.codec.whoosh3 import W3TermInfo
    from whoosh.filedb.filestore import FileStorage

    storage = FileStorage(str(folder))
    name = f"{writer_class.__name__}.pst"
    with storage.create_file(name) as out:
        writer = writer_class(out, blocklimit=size, compression=level, inlinelimit=1)
        writer.start_postings(format_, W3TermInfo())
        for docnum, weight, value in postings:
            writer.add_posting(docnum, weight, value)
        offset, length = writer.finish_postings().extent()
    with storage.open_file(name) as postfile:
        reader = reader_class(postfile, offset, length, format_)
        found = _all_postings(reader)
        if reader_class is BlockPostings and writer_class is SplitPostingsWriter:
            reader.reset()  # decoding the numbers and weights of a split block leaves its positions
            blocks = [len(ids) for ids, _ in reader.blocks(values=False)]
            assert blocks == [len(postings[i:i + size]) for i in range(0, len(postings), size)]
            assert reader._data[2] is None and reader._rest and reader._compression & ARRAYS
            for docs in (None, wanted):
                reader.reset()
                assert _stored(reader, docs) == [p for p in found if docs is None or p[0] in set(docs)]
        if reader_class is BlockPostings:
            reader.reset()
            every = [(d, w, v) for block in reader.picked(None) for d, w, v in zip(block.ids, block.weights, block.values())]
            assert every == found
            if wanted is not None:
                reader.reset()
                picked = [(d, w, v) for block in reader.picked(wanted) for d, w, v in zip(block.ids, block.weights, block.values())]
                assert picked == [p for p in found if p[0] in set(wanted)]
    return found


def _stored(reader: BlockPostings, docs: list[int] | None) -> list:
    """The postings of ``docs`` (every one if None) as a phrase reads blocks stored as arrays:
    their numbers and weights through numpy (``termwise._numbers``), their values from each
    block's second part."""
    import numpy as np

    from hrhsearch import termwise
    from hrhsearch.segments import _array_values

    blocks = list(reader.stored_arrays(docs))
    if not blocks:
        return []
    ids, weights, _ = termwise._numbers(np, blocks)
    values = [value for _, count, _, second in blocks for value in _array_values(second(), 0, count)]
    assert len(values) == len(ids) == len(weights)
    return [(d, w, v) for d, w, v in zip(ids.tolist(), weights.tolist(), values) if docs is None or d in set(docs)]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 3000), max_size=300, unique=True), st.integers(0, 300), st.data())
def test_picking_finds_each_wanted_document_where_it_stands(ids, start, data) -> None:
    """A phrase's candidates are looked up in a block one by one when they are few, else through a
    table of the block: either way every wanted document from ``start`` on is found, once, in order,
    and no document that is not there."""
    ids = tuple(sorted(ids))
    start = min(start, len(ids))
    held = data.draw(st.lists(st.sampled_from(ids), max_size=40) if ids else st.just([]))
    held += ids[-1:] if data.draw(st.booleans()) else []  # the block's last document
    absent = data.draw(st.lists(st.integers(0, 3000).filter(lambda d: d not in ids), max_size=5))
    wanted = sorted(set(held) | set(absent))
    assert _found(ids, start, wanted) == [i for i in range(start, len(ids)) if ids[i] in set(wanted)]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([1.0, 2.0, 1.1, 0.3]), st.lists(st.integers(0, 5000), min_size=1, max_size=6)),
                min_size=1, max_size=400),
       st.sampled_from([0, 3]), st.integers(1, 40), st.integers(0, 3), st.sampled_from([4, 128]))
@example(postings=[(1.1, [0, 2])] * 5 + [(0.3, [1])] * 3, level=0, every=2, missing=1, size=4)  # equal weights
@example(postings=[(1.0, [n % 7]) for n in range(5)], level=3, every=1, missing=0, size=4)  # a small block stays as it is
def test_split_blocks_hold_what_whoosh_s_blocks_hold(tmp_path_factory, postings, level, every, missing, size) -> None:
    """Postings across several blocks, compressed or not: numbers, weights (equal ones through a
    32-bit float, as Whoosh reads them) and positions read back the same from hrhsearch's split
    blocks, stored as arrays, as from Whoosh's, whether read posting by posting or straight into
    arrays, and decoding a block's numbers and weights leaves its positions undecoded. Picking some documents' postings, few or many in a
    block, some of them absent, gives those postings and no others."""
    from whoosh.formats import Positions

    format_ = Positions()
    items = [(n * 3, float(w), format_.encode(sorted(set(ps)))) for n, (w, ps) in enumerate(postings)]
    wanted = sorted({n * 3 for n in range(0, len(items), every)} | {n * 3 + 1 for n in range(0, len(items), every * 7)[:missing]})
    folder = tmp_path_factory.mktemp("blocks")
    from whoosh.codec.whoosh3 import W3LeafMatcher

    whoosh_own = _read_back(folder, W3PostingsWriter, W3LeafMatcher, format_, items, level, size=size)
    assert [(d, v) for d, _, v in whoosh_own] == [(d, v) for d, _, v in items]
    assert [w for _, w, _ in whoosh_own] == pytest.approx([w for _, w, _ in items], rel=1e-7)
    assert _read_back(folder, W3PostingsWriter, BlockPostings, format_, items, level, wanted, size) == whoosh_own
    assert _read_back(folder, SplitPostingsWriter, BlockPostings, format_, items, level, wanted, size) == whoosh_own
