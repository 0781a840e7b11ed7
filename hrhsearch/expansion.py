"""Query expansion with the HRH thesaurus (``data/thesaurus.yaml``).

A query word or run of words that names a thesaurus entry ("CHW", "task shifting", "sage-femme")
is searched as typed, or as any of the entry's other forms: its acronyms and its terms in English,
French, Spanish and Portuguese. Each form is analysed with its own language's stemmer and matched
only against that language's fields, so "délégation des tâches" is looked for in French passages.

The other forms weigh ``WEIGHT`` of the user's own words, and a passage scores the best of them,
not their sum: a passage that matches the words typed ranks above one that only matches a
translation, and a passage that names five synonyms is not worth five matches. Acronyms are
case-aware: "HAF" is the HRH Action Framework, "haf" is only a word.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import whoosh
from whoosh import query
from whoosh.matching import NullMatcher
from whoosh.matching.binary import DisjunctionMaxMatcher

from . import cache, schema, vocabulary

WEIGHT = 0.5
CACHE_FORMAT = 1  # bump when the cached tables' layout changes
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Expansion:
    """What one part of a query was widened to: (language, form) pairs, the entry's label first."""

    term: str
    equivalents: tuple[tuple[str, str], ...]

    def __str__(self) -> str:
        shown = [form if language == "en" else f"{form} ({language})" for language, form in self.equivalents[:4]]
        more = len(self.equivalents) - len(shown)
        return f"{self.term} \u2192 {', '.join(shown)}" + (f" (+{more} more)" if more > 0 else "")


@lru_cache(maxsize=1)
def _tables() -> tuple[dict, dict, int]:
    """Lookup tables for every thesaurus form: acronyms by their words, terms by (language, stems).
    Stemming all ~1,500 forms takes longer than the rest of a search, so the tables are kept in
    the user's cache, keyed by the thesaurus file and the stemmers, and built again when either changes."""
    key = _tables_key()
    cached = _read_cache(key)
    if cached is not None:
        return cached
    tables = _build_tables(vocabulary.thesaurus())
    _write_cache(key, tables)
    return tables


def _build_tables(entries: tuple[vocabulary.Entry, ...]) -> tuple[dict, dict, int]:
    acronyms: dict[tuple[str, ...], vocabulary.Entry] = {}
    terms: dict[tuple[str, tuple[str, ...]], vocabulary.Entry] = {}  # (language, stems) -> entry
    for entry in entries:
        for forms in entry.acronyms.values():
            for acronym in forms:
                words = tuple(_WORD.findall(acronym))
                acronyms.setdefault(words, entry)
                acronyms.setdefault(tuple(w.upper() for w in words), entry)  # MOH for MoH, IHRIS for iHRIS
        for language, forms in entry.terms.items():
            for term in forms:
                terms.setdefault((language, schema.stems(language, term)), entry)
    longest = max(len(_WORD.findall(t)) for e in entries for forms in e.terms.values() for t in forms)
    return acronyms, terms, longest


def _tables_key() -> str:
    digest = hashlib.sha256((vocabulary.DATA / "thesaurus.yaml").read_bytes())
    digest.update(f"{schema.SCHEMA_VERSION} {whoosh.versionstring()} {CACHE_FORMAT}".encode())
    return digest.hexdigest()[:20]


def _read_cache(key: str) -> tuple[dict, dict, int] | None:
    try:
        data = json.loads(cache.cache_file(f"thesaurus-{key}.json").read_text("utf-8"))
        entries = [vocabulary.Entry({k: tuple(v) for k, v in a.items()}, {k: tuple(v) for k, v in t.items()})
                   for a, t in data["entries"]]
        acronyms = {tuple(words): entries[n] for words, n in data["acronyms"]}
        terms = {(language, tuple(stems)): entries[n] for language, stems, n in data["terms"]}
        return acronyms, terms, int(data["longest"])
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return None  # missing, unreadable or from another version: build the tables again


def _write_cache(key: str, tables: tuple[dict, dict, int]) -> None:
    acronyms, terms, longest = tables
    entries = list({id(e): e for e in [*acronyms.values(), *terms.values()]}.values())
    number = {id(entry): n for n, entry in enumerate(entries)}
    data = {"entries": [[e.acronyms, e.terms] for e in entries],
            "acronyms": [[list(words), number[id(e)]] for words, e in acronyms.items()],
            "terms": [[language, list(stems), number[id(e)]] for (language, stems), e in terms.items()],
            "longest": longest}
    # A read-only home only costs the next search the time to build them again.
    cache.write(cache.cache_file(f"thesaurus-{key}.json"), lambda out: out.write(json.dumps(data, ensure_ascii=False).encode()))


@lru_cache(maxsize=1)
def _first_stems() -> frozenset[tuple[str, str]]:
    """(language, stem) of every term's first word: a run of query words that starts with none of
    these cannot name a term, whatever follows."""
    _, terms, _ = _tables()
    return frozenset((language, stems[0]) for language, stems in terms if stems)


@lru_cache(maxsize=4096)
def could_start(word: str) -> bool:
    acronyms, _, _ = _tables()
    if (word,) in acronyms or (word[:-1],) in acronyms:
        return True
    first = _first_stems()
    return any((language, stems[0]) in first for language in vocabulary.LANGUAGES
               if (stems := schema.stems(language, word)))


@lru_cache(maxsize=4096)
def lookup(words: tuple[str, ...]) -> vocabulary.Entry | None:
    """The entry these words name: an acronym as written (or with a plural "s"), or a term in any
    of its languages, compared stem by stem, so that "nurses" finds "nurse"."""
    acronyms, terms, _ = _tables()
    if words in acronyms:
        return acronyms[words]
    if len(words) == 1 and words[0].endswith("s") and (words[0][:-1],) in acronyms:
        return acronyms[(words[0][:-1],)]  # CHWs
    text = " ".join(words)
    for language in vocabulary.LANGUAGES:
        stems = schema.stems(language, text)
        if stems and (language, stems) in terms:
            return terms[(language, stems)]
    return None


def equivalents(entry: vocabulary.Entry, typed: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """Every form of ``entry`` but the one typed: its label first, then by language."""
    typed_text = " ".join(typed)
    forms: list[tuple[str, str]] = [("en", entry.label)] if "en" in entry.terms else []
    for language in vocabulary.LANGUAGES:
        forms += [(language, term) for term in entry.terms.get(language, ())]
        forms += [(language, acronym) for acronym in entry.acronyms.get(language, ())]
    unique = dict.fromkeys(f for f in forms if schema.stems(f[0], f[1]) != schema.stems(f[0], typed_text) and f[1] != typed_text)
    return tuple(unique)


def expand(q: query.Query, text: str, user_fields: set[str], head_fields: set[str], text_fields: set[str],
           head_boost: float, idf: Callable[[str, str], float] | None = None) -> tuple[query.Query, tuple[Expansion, ...]]:
    """``q`` (parsed from ``text``) with each part that names a thesaurus entry widened to the
    entry's other forms. ``idf(field, stem)`` gives the index's statistics, which weigh each form."""
    found: list[Expansion] = []

    def leaf_words(sub: query.Query) -> tuple[str, ...] | None:
        if sub.field() not in user_fields:
            return None
        if type(sub) is query.Term:
            return (sub.text,)
        if type(sub) is query.Phrase:
            return tuple(sub.words)
        return None

    built: dict[tuple, list[query.Query]] = {}  # a word repeated in a query is widened once

    def widen(leaves: list[query.Query], words: tuple[str, ...], entry: vocabulary.Entry,
              parent: type) -> query.Query:
        typed = leaves[0] if len(leaves) == 1 else parent(leaves)
        key = (words, leaves[0].field())
        if key not in built:
            forms = equivalents(entry, words)
            built[key] = _others(words, forms, leaves[0].field())
            if built[key]:
                start, end = getattr(leaves[0], "startchar", None), getattr(leaves[-1], "endchar", None)
                typed_text = text[start:end] if start is not None and end is not None else " ".join(words)
                found.append(Expansion(typed_text.strip("\"'"), forms))
        return BestOf([typed, *built[key]]) if built[key] else typed

    def _others(words: tuple[str, ...], forms: tuple[tuple[str, str], ...], fieldname: str) -> list[query.Query]:
        typed_weight = _typed_weight(words, idf)
        others = []
        for language, form in forms:
            found_form = _search_form(language, form, fieldname, head_fields, text_fields, head_boost)
            if found_form is not None:
                form_query, stems = found_form
                # Built for this form alone, so its boost is set in place: ``with_boost`` deep-copies.
                form_query.boost = WEIGHT * min(1.0, typed_weight / _form_weight(language, stems, idf))
                others.append(form_query)
        return others

    def walk(q: query.Query) -> query.Query:
        words = leaf_words(q)
        if words:
            entry = lookup(words)
            return widen([q], words, entry, query.Or) if entry else q
        if not isinstance(q, (query.And, query.Or)):
            return q.apply(walk) if not q.is_leaf() else q
        return q.__class__(_runs(q.subqueries, q.__class__), boost=q.boost,
                           **({"scale": q.scale} if isinstance(q, query.Or) else {}))

    def _runs(subs: list[query.Query], parent: type) -> list[query.Query]:
        _, _, longest = _tables()
        out: list[query.Query] = []
        i = 0
        while i < len(subs):
            start = leaf_words(subs[i])
            if not start or not could_start(start[0]):
                out.append(walk(subs[i]))
                i += 1
                continue
            for n in range(min(longest, len(subs) - i), 0, -1):
                run = subs[i : i + n]
                parts = [leaf_words(s) for s in run]
                if any(p is None for p in parts) or len({s.field() for s in run}) > 1:
                    continue
                words = tuple(w for p in parts for w in p)
                if not words:
                    continue
                if n > 1 and (words[0].lower() in schema.stop_words() or words[-1].lower() in schema.stop_words()):
                    continue  # "task shifting for": the entry is the run without its function word
                entry = lookup(words)
                if entry:
                    out.append(widen(run, words, entry, parent))
                    i += n
                    break
            else:
                out.append(walk(subs[i]))
                i += 1
        return out

    return walk(q), tuple(found)


def _typed_weight(words: tuple[str, ...], idf: Callable[[str, str], float] | None) -> float:
    """What the words typed are worth: the sum of their IDFs, each in the language where it is most
    common (or, without statistics, their number)."""
    content = [w for w in words if w.lower() not in schema.stop_words()] or list(words)
    if idf is None:
        return float(len(content))
    total = 0.0
    for word in content:
        weights = [idf(f"body_{lang}", stems[0]) for lang in schema.FIELD_LANGUAGES if (stems := schema.stems(lang, word))]
        total += min(weights, default=0.0)
    return total


def _form_weight(language: str, stems: list[str], idf: Callable[[str, str], float] | None) -> float:
    """What a form would be worth: a phrase scores about the sum of its words. Scaling each form to
    the weight of what was typed keeps "CHW" widened to "agente comunitário de saúde" from counting
    as three rare words, and a translation that is rare only because its language has few passages
    from outranking the word typed."""
    if idf is None:
        return float(len(stems))
    return sum(idf(f"body_{language}", stem) for stem in stems) or 1.0


def _search_form(language: str, form: str, fieldname: str, head_fields: set[str], text_fields: set[str],
                 head_boost: float) -> tuple[query.Query, list[str]] | None:
    """One form of an entry, matched in its own language's fields only, and its stems."""
    stems = list(schema.stems(language, form))
    if not stems:
        return None
    targets = []
    if fieldname not in head_fields:
        targets.append((f"body_{language}", 1.0))
    if fieldname not in text_fields:
        targets.append((f"head_{language}", head_boost))
    subs = [query.Term(name, stems[0], boost=boost) if len(stems) == 1 else query.Phrase(name, stems, boost=boost)
            for name, boost in targets]
    return (subs[0] if len(subs) == 1 else query.Or(subs)), stems


class BestOf(query.DisjunctionMax):
    """Whoosh's DisjunctionMax, scoring with a matcher that works.

    Whoosh 2.7's ``DisjunctionMaxMatcher`` returns the larger of its two sub-matchers' scores
    without checking that both are on the current document, so a passage that matches one form
    takes the best score of another passage; and its ``replace`` drops every match once either
    side runs out. ``_BestMatcher`` fixes both and opts out of quality-based skipping.
    """

    def _matcher(self, subs, searcher, context):
        return self._tree_matcher(subs, _BestMatcher, searcher, context, lambda q: q.estimate_size(searcher.reader()))


class _BestMatcher(DisjunctionMaxMatcher):
    def __init__(self, a, b, tiebreak: float = 0.0) -> None:
        super().__init__(a, b, tiebreak)

    def supports_block_quality(self) -> bool:
        return False

    def max_quality(self) -> float:
        # Whoosh's phrase matchers report a single word's best score as their bound, far below what a
        # phrase scores, so a parent pruning on that bound would drop real matches. No bound is safe.
        return float("inf")

    def replace(self, minquality=0):
        # minquality is ignored, and a side that has run out is kept rather than unwrapped: handing the
        # other side back bare would let the next replace() prune it on Whoosh's too-low bounds.
        a, b = self.a.replace(), self.b.replace()
        if not a.is_active() and not b.is_active():
            return NullMatcher()
        return self if a is self.a and b is self.b else self.__class__(a, b)

    def score(self) -> float:
        a, b = self.a, self.b
        if not a.is_active():
            return b.score()
        if not b.is_active():
            return a.score()
        if a.id() != b.id():
            return a.score() if a.id() < b.id() else b.score()
        return max(a.score(), b.score())
