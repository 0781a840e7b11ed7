"""Queries in, ranked ``Passage`` s out.

A query is parsed once with Whoosh's syntax (AND/OR/NOT, "phrases", field:term, wildcards,
grouping) against language-neutral virtual fields, then every word is re-analyzed for each
language and matched against that language's stemmed fields. Terms are OR-ed with a coordination
bonus, so a long question ranks passages matching most of its words first instead of requiring
all of them. Before that, the HRH thesaurus widens the words it knows (``expansion``).

``search`` also applies filters and counts facets (``facets``), builds each passage's citation
(``citation``) and, when a word of the query is not in the index, suggests the nearest one that is.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import TYPE_CHECKING, NamedTuple

from whoosh import fields, query
from whoosh.analysis import RegexTokenizer
from whoosh.support.charset import accent_map

from . import expansion, schema, termwise
from .citation import cite
from .errors import QueryError
from .expansion import Expansion
from .facets import FacetValue, Filters
from .facets import count as count_facets
from .index import Index
from .records import Passage, Ranking
from .scoring import idf

if TYPE_CHECKING:
    from whoosh.qparser import QueryParser

# Virtual fields users may name: the text, the headings (title:/heading:), or anything.
ANY, TEXT_FIELDS, HEAD_FIELDS = "any", frozenset({"text", "body"}), frozenset({"title", "heading"})
USER_FIELDS = frozenset({ANY, *TEXT_FIELDS, *HEAD_FIELDS})
COORDINATION = 0.9
SNIPPET_CHARS = 240
# A "?" that ends a word is a question mark, not a one-letter wildcard: "(Time Sharing System)?".
_QUESTION_MARK = re.compile(r"(?<=[\w)\"'])\?+(?=\s|$)")
# Nor is one that opens a word, as in "(the ?slip? effect)": a pattern cannot start with a wildcard.
_LEADING_QUESTION_MARK = re.compile(r"(?<![\w*?])\?+(?=\w)")
_LONE_PUNCT = re.compile(r"(?<!\S)[^\w\s\"()]+(?!\S)")  # "*," in "operators like *, +" too
# Control and invisible format characters carry no words; pasted text brings them along. A table
# for str.translate: the character class as a regular expression took 2.6 M instructions to compile.
_INVISIBLE = dict.fromkeys([*range(0x00, 0x20), *range(0x7F, 0xA0), *range(0x200B, 0x2010), *range(0x2028, 0x202F),
                            *range(0x2060, 0x2065), 0xFEFF], " ")
# Words that are all letters and digits, none of them one of the parser's operators, are parsed
# without Whoosh's parser (see ``_plain``).
_PLAIN_WORD, _BETWEEN_SPACES = re.compile(r"\w+"), re.compile(r"\S+")
_OPERATORS = frozenset({"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "REQUIRE"})
# Limits that keep one query from tying up a machine. A pattern must start with this many
# letters, because a leading wildcard reads every word of every language field in the index.
MAX_QUERY_CHARS = 5000
MAX_CLAUSES = 1000
MIN_PATTERN_PREFIX = 2
MAX_EDIT_DISTANCE = 2


@lru_cache(maxsize=1)
def _parser() -> QueryParser:
    from whoosh.qparser import FuzzyTermPlugin, OrGroup, QueryParser

    neutral = RegexTokenizer()  # case is kept for the thesaurus, which tells "HAF" from "haf"; stems lower-case it
    parse_schema = fields.Schema(
        language=fields.ID, format=fields.ID, path=fields.ID, doc_id=fields.ID, year=fields.NUMERIC,
        **{name: fields.TEXT(analyzer=neutral, multitoken_query="phrase") for name in (ANY, *TEXT_FIELDS, *HEAD_FIELDS)},
    )
    parser = QueryParser(ANY, parse_schema, group=OrGroup.factory(COORDINATION))
    parser.add_plugin(FuzzyTermPlugin())  # "retension~", "nurse~2"
    return parser


class Parsed(NamedTuple):
    """A query ready to run: the Whoosh query, the thesaurus expansions made, and the words typed
    with their offsets in ``text``, for spelling suggestions. A NamedTuple: every search process
    defines it, and a frozen dataclass takes five times as long to define."""

    query: query.Query
    expansions: tuple[Expansion, ...]
    words: tuple[tuple[str, int, int], ...]
    text: str


def parse_query(text: str, ranking: Ranking = Ranking(), expand: bool = True, searcher=None) -> Parsed:
    """A user's query string to a Whoosh query over the index's per-language fields: parsed,
    checked and widened with the thesaurus; with a ``searcher``, the index's statistics weigh the
    thesaurus' forms."""
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(text, f"the query is {len(text)} characters long; the limit is {MAX_QUERY_CHARS}. "
                               "Search for its key words instead.")
    cleaned = text.translate(_INVISIBLE).strip()
    if cleaned == "*":
        return Parsed(query.Every(), (), (), cleaned)  # every passage
    cleaned = _LONE_PUNCT.sub(" ", _QUESTION_MARK.sub("", _LEADING_QUESTION_MARK.sub("", cleaned))).strip()
    if not cleaned:
        raise QueryError(text, "the query is empty. Type some words to search for.")
    try:
        parsed = _plain(cleaned) or _parser().parse(cleaned, normalize=False)
    except Exception as exc:  # noqa: BLE001 - Whoosh's parser raises assorted errors on odd input
        raise QueryError(text, f"it is not valid query syntax ({exc}). Quote it to search the words literally.") from None
    _check_cost(text, parsed)
    words = tuple((leaf.text, leaf.startchar, leaf.endchar) for leaf in parsed.leaves()
                  if type(leaf) is query.Term and leaf.field() in USER_FIELDS and getattr(leaf, "startchar", None) is not None)
    expansions: tuple[Expansion, ...] = ()
    if expand:
        weigh = (lambda fieldname, stem: idf(searcher, fieldname, stem)) if searcher is not None else None
        parsed, expansions = expansion.expand(parsed, cleaned, USER_FIELDS, HEAD_FIELDS, TEXT_FIELDS,
                                              ranking.head_boost, weigh)
    final = _expand(_count_repeats(_lower(parsed)), ranking.head_boost).normalize()
    return Parsed(final, expansions, words, cleaned)


def _plain(text: str) -> query.Or | None:
    """What Whoosh's parser makes of plain words, each all letters and digits and none an operator:
    an Or of their Terms, with their offsets. Most queries are such words, and a search process
    that needs no parser neither imports it nor compiles its two dozen regular expressions."""
    terms = []
    for match in _BETWEEN_SPACES.finditer(text):
        word = match.group()
        if word in _OPERATORS or not _PLAIN_WORD.fullmatch(word):
            return None
        term = query.Term(ANY, word)
        term.startchar, term.endchar = match.start(), match.end()
        terms.append(term)
    return query.Or(terms, scale=COORDINATION) if terms else None


def _lower(q: query.Query) -> query.Query:
    """The user's words in lower case, now that the thesaurus has seen their case."""
    if type(q) is query.Term and q.field() in USER_FIELDS:
        return query.Term(q.fieldname, q.text.lower(), boost=q.boost)
    if type(q) is query.Phrase and q.field() in USER_FIELDS:
        return query.Phrase(q.fieldname, [w.lower() for w in q.words], slop=q.slop, boost=q.boost)
    return q if q.is_leaf() else q.apply(_lower)


def _count_repeats(q: query.Query) -> query.Query:
    """A word typed twice weighs twice, as in BM25's query term frequency; Whoosh would keep one."""
    if not isinstance(q, query.Or):
        return q
    counts: dict[query.Query, int] = {}
    for sub in q.subqueries:
        counts[sub] = counts.get(sub, 0) + 1
    if len(counts) == len(q.subqueries):
        return q
    return q.__class__([sub.with_boost(sub.boost * n) for sub, n in counts.items()], boost=q.boost, scale=q.scale)


def _check_cost(text: str, parsed: query.Query) -> None:
    leaves = list(parsed.leaves())
    if len(leaves) > MAX_CLAUSES:
        raise QueryError(text, f"it has {len(leaves)} terms; the limit is {MAX_CLAUSES}. Search for its key words instead.")
    for leaf in leaves:
        if isinstance(leaf, (query.Wildcard, query.Prefix)) and not _is_every(leaf):
            literal = re.split(r"[*?]", leaf.text, maxsplit=1)[0] if isinstance(leaf, query.Wildcard) else leaf.text
            if len(literal) < MIN_PATTERN_PREFIX:
                shown = leaf.text + ("*" if isinstance(leaf, query.Prefix) else "")
                shown = shown if len(shown) <= 30 else shown[:30] + "\u2026"
                raise QueryError(text, f"the pattern \u201c{shown}\u201d has fewer than {MIN_PATTERN_PREFIX} letters before its "
                                       "wildcard, so it would read every word in the index. Start it with more "
                                       "letters, like nurs*.")
        if isinstance(leaf, query.FuzzyTerm) and leaf.maxdist > MAX_EDIT_DISTANCE:
            raise QueryError(text, f"a fuzzy match may differ by at most {MAX_EDIT_DISTANCE} letters, as in nurse~2.")


def _is_every(q: query.Query) -> bool:
    return isinstance(q, query.Every) or (isinstance(q, query.Wildcard) and q.text == "*")


def _expand(q: query.Query, head_boost: float) -> query.Query:
    if _is_every(q):
        return query.Every()  # a bare "*": every passage
    if isinstance(q, (query.Term, query.Phrase, query.Prefix, query.Wildcard, query.FuzzyTerm)) and q.field() in USER_FIELDS:
        return _per_language(q, head_boost)
    if q.is_leaf():
        return q
    if isinstance(q, query.Or) and any(isinstance(sub, query.Not) for sub in q.subqueries):
        # Under OR grouping Whoosh reads "a b NOT c" as "a OR b OR (NOT c)"; users mean "(a OR b) minus c".
        kept = [_expand(sub, head_boost) for sub in q.subqueries if not isinstance(sub, query.Not)]
        excluded = [_expand(sub.query, head_boost) for sub in q.subqueries if isinstance(sub, query.Not)]
        positive = q.__class__(kept, boost=q.boost, scale=q.scale) if kept else query.Every()
        return query.AndNot(positive, query.Or(excluded))
    return q.apply(lambda sub: _expand(sub, head_boost))


def _per_language(q: query.Query, head_boost: float) -> query.Query:
    name = q.field()
    targets: list[tuple[str, str, float]] = []
    for language in schema.FIELD_LANGUAGES:
        if name not in HEAD_FIELDS:
            targets.append((language, f"body_{language}", 1.0))
        if name not in TEXT_FIELDS:
            targets.append((language, f"head_{language}", head_boost))
    subqueries = [sub for sub in (_retarget(q, lang, fname, boost) for lang, fname, boost in targets) if sub is not None]
    return query.Or(subqueries, boost=q.boost) if subqueries else query.NullQuery


def _retarget(q: query.Query, language: str, fieldname: str, boost: float) -> query.Query | None:
    if isinstance(q, query.Term):
        if q.text.lower() in schema.stop_words():
            return None  # a function word in one of our languages: noise in the others
        stems = schema.stems(language, q.text)
        if not stems:
            return None  # a stop word in this language
        return query.Term(fieldname, stems[0], boost=boost) if len(stems) == 1 else query.Phrase(fieldname, stems, boost=boost)
    if isinstance(q, query.Phrase):
        stems = schema.stems(language, " ".join(q.words))
        if not stems:
            return None
        return query.Term(fieldname, stems[0], boost=boost) if len(stems) == 1 else query.Phrase(fieldname, stems, slop=q.slop, boost=boost)
    # Patterns match indexed terms as they are (stemmed and accent-folded), so fold them too.
    pattern = accent_fold(q.text.lower())
    if isinstance(q, query.Prefix):
        prefix = query.Prefix(fieldname, pattern, boost=boost)
        # The word typed is often longer than its own stem ("nurse*" and "nurs"), which the prefix
        # alone would miss: it matches that stem too, so that nurse* finds "nurse" and "nurses".
        stems = schema.stems(language, q.text)
        if len(stems) == 1 and not stems[0].startswith(pattern):
            return query.Or([prefix, query.Term(fieldname, stems[0], boost=boost)])
        return prefix
    if isinstance(q, query.FuzzyTerm):
        # The word typed is stemmed as the index is, so that a misspelling is as far from the stem it
        # means as from the word ("retension" is three letters from "retent", "retens" one); and its
        # first letter is kept, as Whoosh's own default does, rather than comparing every word indexed.
        stems = schema.stems(language, q.text)
        if not stems:
            return None
        stem = stems[0] if len(stems) == 1 else pattern
        return query.FuzzyTerm(fieldname, stem, maxdist=q.maxdist, prefixlength=max(1, q.prefixlength), boost=boost)
    return query.Wildcard(fieldname, pattern, boost=boost)


def accent_fold(text: str) -> str:
    return text.translate(accent_map)


MAX_SPELLED_WORDS = 12  # a longer query is pasted text, not typed: no spelling suggestions


@dataclass(frozen=True)
class Results(Sequence[Passage]):
    """The passages of one search, best first, and what was done to find them.

    It is a sequence of ``Passage`` s, so ``for p in results`` and ``results[0]`` work. ``total`` counts
    every matching passage, not just those returned; ``facets`` (when asked for) counts values over
    all of them; ``suggestion`` is the query with its unknown words replaced by the index's own, when
    that finds more.
    """

    passages: tuple[Passage, ...]
    total: int
    query: str
    expansions: tuple[Expansion, ...] = ()
    facets: dict[str, tuple[FacetValue, ...]] | None = None
    suggestion: str | None = None

    def __getitem__(self, item):  # type: ignore[override]
        return self.passages[item]

    def __len__(self) -> int:
        return len(self.passages)


def search(index: Index, text: str, limit: int = 10, language: str | None = None,
           ranking: Ranking = Ranking(), filters: Filters = Filters(), facets: bool = False,
           expand: bool = True) -> Results:
    """Run a query on an open index and return up to ``limit`` passages, best first."""
    if language:
        filters = replace(filters, lang=(*filters.lang, language))
    with index.searcher(ranking) as searcher:
        parsed = _parsed(text, limit, ranking, expand, searcher)
        if parsed.query is query.NullQuery:
            return Results((), 0, text, parsed.expansions)
        hits = _hits(searcher, parsed, limit, filters)
        terms = _query_terms(parsed.query, searcher.reader())
        passages = tuple(_passage(rank, hit, terms) for rank, hit in enumerate(hits, start=1))
        total = len(hits)
        counted = count_facets(searcher.reader(), hits.docs()) if facets else None
        suggestion = _suggestion(searcher, parsed, total, ranking, filters, expand)
    return Results(passages, total, text, parsed.expansions, counted, suggestion)


def rank(index: Index, text: str, limit: int = 1000, language: str | None = None,
         ranking: Ranking = Ranking(), expand: bool = True) -> list[tuple[str, float]]:
    """(source path, score) of the best ``limit`` passages, best first: the ranking ``search`` gives,
    without building snippets, for evaluation runs."""
    with index.searcher(ranking) as searcher:
        parsed = _parsed(text, limit, ranking, expand, searcher)
        if parsed.query is query.NullQuery:
            return []
        hits = _hits(searcher, parsed, limit, Filters(lang=(language,) if language else ()))
        return [(hit["path"], float(hit.score)) for hit in hits]


def _parsed(text: str, limit: int, ranking: Ranking, expand: bool, searcher) -> Parsed:
    if limit < 1:
        raise QueryError(text, "the limit must be at least 1")
    return parse_query(text, ranking, expand, searcher)


def _hits(searcher, parsed: Parsed, limit: int, filters: Filters):
    condition = filters.query(parsed.text, searcher.reader(), sections_only=_may_match_records(parsed.query))
    try:
        # The filter is a required clause that does not score. The query is run a term at a time
        # (``termwise``), which scores and counts every match; highlights use the query's own terms.
        q = parsed.query if condition is None else query.Require(parsed.query, condition)
        return termwise.search(searcher, q, limit)
    except Exception as exc:  # noqa: BLE001 - e.g. a pattern that expands past Whoosh's limits
        raise QueryError(parsed.text, f"it could not be run ({type(exc).__name__}: {exc}).") from None


def _may_match_records(q: query.Query) -> bool:
    """Whether a query could match a source file's record: those have no text fields, so only a
    query on an ID field (language:, format:, ...), ``*`` or a NOT, which matches what lacks a word, can."""
    if isinstance(q, query.Not):
        return True
    if q.is_leaf():
        return isinstance(q, query.Every) or not q.field() or not q.field().startswith(("body_", "head_"))
    return any(_may_match_records(child) for child in q.children())


def _suggestion(searcher, parsed: Parsed, total: int, ranking: Ranking, filters: Filters, expand: bool) -> str | None:
    """The query with each word the index does not hold replaced by the nearest word it does, if
    that finds more."""
    if len(parsed.words) > MAX_SPELLED_WORDS:
        return None
    text, shift = parsed.text, 0
    for word, start, end in parsed.words:
        if _frequency(searcher, word) or word.lower() in schema.stop_words():
            continue  # a word the index holds is not a misspelling, however little it finds
        better = _nearest_word(searcher, word)
        if better:
            text = text[: start + shift] + better + text[end + shift :]
            shift += len(better) - (end - start)
    if text == parsed.text:
        return None
    try:
        found = len(_hits(searcher, parse_query(text, ranking, expand, searcher), 1, filters))
    except QueryError:
        return None
    return text if found > total else None


def _frequency(searcher, word: str) -> int:
    """In how many passages a word's stem appears, in the language where it is most common."""
    return max((searcher.doc_frequency(f"body_{lang}", stems[0]) for lang in schema.FIELD_LANGUAGES
                if (stems := schema.stems(lang, word))), default=0)


def _nearest_word(searcher, word: str) -> str | None:
    """The nearest stem the index holds (Whoosh's corrector, over each language's text field,
    within one letter, then two), written as a passage that holds it writes it."""
    for distance in (1, 2):
        candidates = []
        for lang in schema.FIELD_LANGUAGES:
            stems = schema.stems(lang, word)
            if not stems:
                continue
            fieldname = f"body_{lang}"
            for stem in searcher.corrector(fieldname).suggest(stems[0], limit=3, maxdist=distance, prefix=1):
                candidates.append((searcher.doc_frequency(fieldname, stem), lang, stem))
        if candidates:
            _, lang, stem = max(candidates)
            return _surface(searcher, lang, stem, word.lower())
    return None


def _surface(searcher, lang: str, stem: str, typed: str) -> str | None:
    """How the passages write a stem, in the form nearest to what was typed ("nurses", not "nursing",
    for "nurces")."""
    fieldname = f"body_{lang}"
    forms: set[str] = set()
    for hit in searcher.search(query.Term(fieldname, stem), limit=5):
        text = " ".join((hit["title"], *hit["heading"], hit["text"]))
        forms.update(text[t.startchar : t.endchar].lower()
                     for t in schema.analyzer(lang)(text, chars=True, removestops=False) if t.text == stem)
    return min(forms, key=lambda form: (_distance(form, typed), form)) if forms else None


def _distance(a: str, b: str) -> int:
    """Levenshtein distance, for choosing among a few short words."""
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        previous, row[0] = row[0], i
        for j, cb in enumerate(b, start=1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (ca != cb))
    return row[-1]


def _query_terms(q: query.Query, reader) -> dict[str, set[str]]:
    """The indexed terms a query can match, by field, patterns expanded: what a snippet highlights."""
    terms: dict[str, set[str]] = {}
    for fieldname, text in q.existing_terms(reader, expand=True):
        terms.setdefault(fieldname, set()).add(text.decode("utf-8") if isinstance(text, bytes) else text)
    return terms


def _passage(rank: int, hit, query_terms: dict[str, set[str]]) -> Passage:
    stored = hit.fields()
    language = stored["language"]
    body = schema.body_field(language)
    terms = query_terms.get(body, set())
    snippet, highlights = make_snippet(stored["text"], terms, language)
    return Passage(
        rank=rank,
        score=round(float(hit.score), 4),
        section_id=stored["section_id"],
        path=stored["path"],
        title=stored["title"],
        heading=" > ".join(stored["heading"]),
        page_start=stored.get("page_start"),
        page_end=stored.get("page_end"),
        language=language,
        format=stored["format"],
        snippet=snippet,
        text=stored["text"],
        highlights=highlights,
        year=stored.get("year"),
        organisations=tuple(stored.get("organisations") or ()),
        countries=tuple(stored.get("countries") or ()),
        regions=tuple(stored.get("regions") or ()),
        doc_type=stored.get("doc_type") or "",
        citation=cite(stored.get("organisations") or (), stored.get("year"), stored["title"], stored["heading"],
                      stored.get("page_start"), stored.get("page_end")),
    )


def make_snippet(text: str, terms: set[str], language: str, width: int = SNIPPET_CHARS) -> tuple[str, tuple[tuple[int, int], ...]]:
    """The window of ``text`` richest in matched terms, and the (start, end) offsets of the matches in it."""
    text = " ".join(text.split())  # one line, so that offsets count what the reader sees
    initials = {term[:1] for term in terms}
    spans = [m.span() for m in schema.TOKEN.finditer(text)
             if schema.word_initial(m.group()) in initials and schema.word_stem(language, m.group()) in terms]
    if len(text) <= width:
        return text, tuple(spans)
    best_start = 0
    if spans:
        best = max(range(len(spans)), key=lambda i: sum(1 for s, _ in spans[i:] if s < spans[i][0] + width))
        best_start = max(0, spans[best][0] - width // 5)
        best_start = text.rfind(" ", 0, best_start) + 1 if best_start else 0
    end = min(len(text), best_start + width)
    if end < len(text) and text.rfind(" ", best_start, end) > best_start:
        end = text.rfind(" ", best_start, end)
    prefix = "\u2026" if best_start > 0 else ""
    suffix = "\u2026" if end < len(text) else ""
    shift = len(prefix) - best_start
    inside = tuple((s + shift, e + shift) for s, e in spans if s >= best_start and e <= end)
    return f"{prefix}{text[best_start:end]}{suffix}", inside
