"""Filters that narrow a search, and facet counts over everything a search found.

A filter names values the way a user would: a country in any of our languages or by ISO code
("Kenia", "KEN"), a WHO region by code or name ("AFRO", "PAHO"), a publisher by any of its
names ("OMS"), a type by key or label ("strategy", "fact sheet"), a year or a span ("2015..2020").
Values of one filter are alternatives; different filters must all hold.
"""

from __future__ import annotations

import re
import weakref
from bisect import bisect_left
from collections import Counter, OrderedDict, defaultdict, deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import compress, repeat

from whoosh import query
from whoosh.matching import ListMatcher, NullMatcher, ReadTooFar
from whoosh.matching.wrappers import FilterMatcher

from . import schema, vocabulary
from .errors import QueryError
from .segments import BlockPostings

_SPAN = re.compile(r"^\s*(\d{4})?\s*(?:\.\.|–|-|to)\s*(\d{4})?\s*$")


@dataclass(frozen=True)
class Filters:
    """What a search is limited to; every field empty means no limit."""

    country: tuple[str, ...] = ()
    region: tuple[str, ...] = ()
    org: tuple[str, ...] = ()
    type: tuple[str, ...] = ()
    lang: tuple[str, ...] = ()
    year: str | None = None  # "2016", "2015..2020", "2015..", "..2020"

    def __bool__(self) -> bool:
        return any((self.country, self.region, self.org, self.type, self.lang, self.year))

    def query(self, text: str, reader, sections_only: bool = True) -> query.Query | None:
        """The Whoosh filter for these values (None for no filter); ``QueryError`` names a value no
        one could match. ``sections_only`` keeps out the records of source files, which only a
        query on an ID field or ``*`` can match: filtering costs a pass over the index."""
        conditions: list[Group] = [_any("kind", [schema.SECTION])] if sections_only else []
        if self.country:
            conditions.append(_any("country", [_country(text, v) for v in self.country]))
        if self.region:
            conditions.append(_any("region", [_region(text, v) for v in self.region]))
        if self.org:
            conditions.append(tuple(term for v in self.org for term in _organisation(text, v, reader)))
        if self.type:
            conditions.append(_any("doctype", [_type(text, v) for v in self.type]))
        if self.lang:
            conditions.append(_any("language", [v.strip().lower() for v in self.lang]))
        if self.year:
            low, high = years(text, self.year)
            held = [y for y in _values(reader, "published") if (low or 0) <= int(y) <= (high or 9999)]
            conditions.append(_any("published", held or ["none"]))  # a term no passage has: no match
        return Allowed(tuple(conditions)) if conditions else None


Group = tuple[tuple[str, str], ...]  # (field, value) terms, any of which will do


def _any(field: str, values: list[str]) -> Group:
    return tuple((field, value) for value in values)


# Fields of which a record holds one term at most, so that the records holding some of their values
# are also every record but those holding the others, if every record holds one.
SINGLE_VALUED = frozenset({"kind", "language", "published"})

# What a segment's reader keeps between searches, the most recently used of each: whole filters, a
# byte per passage (1.1 MB at 1,050,000 passages), and the terms they were made of, a bit per passage
# (130 KB), so that a new span of years is made of years already read.
FILTERS_KEPT = 16
TERMS_KEPT = 64
_KEPT: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # segment reader -> {groups: passing}
_TERMS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # segment reader -> {(field, value): bits}
_VALUES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # reader -> {field: its values}


def _values(reader, field: str) -> tuple[str, ...]:
    """The values ``reader`` holds for a filter's field, kept with it: listing them reads every
    segment's term table, about 3 ms a search at 1,050,000 passages."""
    kept = _VALUES.setdefault(reader, {})
    if field not in kept:
        kept[field] = tuple(reader.field_terms(field))
    return kept[field]


class Allowed(query.Query):
    """The passages that hold a term of every group: a filter, as a set of passages per segment.

    Whoosh would intersect every match of a query with each filter term's postings in turn, a dozen
    skips per match for a span of years; here each segment's allowed passages are read once, block
    by block, and a match costs one lookup. Where every passage holds one value of the field (its
    language, say) and the values not asked for are rarer, those are read instead: "English only"
    reads the few passages in other languages. The segment's reader keeps what it read
    (``passing``), so that the next search with the same filter reads nothing, and each term's
    passages, so that a filter sharing terms with an earlier one reads only the new terms. It does
    not score."""

    def __init__(self, groups: tuple[Group, ...]) -> None:
        self.groups = groups

    def __eq__(self, other) -> bool:
        return isinstance(other, Allowed) and other.groups == self.groups

    def __hash__(self) -> int:
        return hash(self.groups)

    def __repr__(self) -> str:
        return f"Allowed({self.groups!r})"

    def estimate_size(self, reader) -> int:
        return min(_postings(reader, group) for group in self.groups)

    def matcher(self, searcher, context=None):
        passing = self.passing(searcher.reader())
        ids = list(compress(range(len(passing)), passing))
        return _SortedIds(ids) if ids else NullMatcher()

    def passing(self, reader) -> bytes:
        """A byte per document of one segment's ``reader``: 1 if it passes (deleted ones among
        them), else 0. Kept with the reader, which an open index keeps until the index changes."""
        found = _recent(_KEPT, reader, self.groups)
        if found is None:
            found = _remember(_KEPT, reader, self.groups, _unpacked(self.allowed(reader), reader.doc_count_all()),
                              FILTERS_KEPT)
        return found

    def allowed(self, reader) -> int:
        """The documents of one segment's ``reader`` that pass (deleted ones among them), as the set
        bits of an integer: bit ``d`` for document ``d``."""
        everyone = (1 << reader.doc_count_all()) - 1
        kept = everyone
        for group in sorted(self.groups, key=lambda g: _postings(reader, g)):
            others = _others(reader, group)
            kept &= everyone ^ _bits(reader, others) if others is not None else _bits(reader, group)
            if not kept:
                break
        return kept


def _recent(kept: weakref.WeakKeyDictionary, reader, key) -> object | None:
    """What ``reader`` keeps under ``key``, marked as the most recently used."""
    entries = kept.get(reader)
    found = None if entries is None else entries.get(key)
    if found is not None:
        entries.move_to_end(key)
    return found


def _remember(kept: weakref.WeakKeyDictionary, reader, key, value, bound: int):
    entries = kept.get(reader)
    if entries is None:
        entries = kept[reader] = OrderedDict()
    entries[key] = value
    while len(entries) > bound:
        entries.popitem(last=False)  # the least recently used
    return value


_AS_DIGITS, _AS_BYTES = bytes.maketrans(b"\x00\x01", b"01"), bytes.maketrans(b"01", b"\x00\x01")


def _packed(bytemap: bytes | bytearray) -> int:
    """A byte per document (0 or 1) as the bits of an integer, in C: ``int`` reads binary digits in
    linear time, so 1,000,000 documents take milliseconds."""
    return int(bytemap.translate(_AS_DIGITS)[::-1], 2) if bytemap else 0


def _unpacked(bits: int, count: int) -> bytes:
    return format(bits, "b").encode("ascii").rjust(count, b"0")[::-1].translate(_AS_BYTES) if count else b""


def _postings(reader, group: Group) -> int:
    return sum(reader.doc_frequency(field, value) for field, value in group)


def _others(reader, group: Group) -> Group | None:
    """The terms of the field's other values, where reading them is the cheaper way to the group's
    passages: the field holds one value per record and every record of the segment holds one."""
    field = group[0][0]
    if field not in SINGLE_VALUED or any(f != field for f, _ in group):
        return None
    counts = {value: reader.doc_frequency(field, value) for value in _values(reader, field)}
    if sum(counts.values()) != reader.doc_count_all():
        return None
    wanted = {value for _, value in group}
    others = tuple((field, value) for value in counts if value not in wanted)
    return others if sum(counts[v] for _, v in others) < _postings(reader, group) else None


def _bits(reader, group: Group) -> int:
    found = 0
    for term in group:
        found |= _term_bits(reader, term)
    return found


def _term_bits(reader, term: tuple[str, str]) -> int:
    """The documents holding ``term`` in one segment, as bits; kept with the reader."""
    found = _recent(_TERMS, reader, term)
    if found is not None:
        return found
    if term not in reader:
        return 0
    bytemap = bytearray(reader.doc_count_all())
    for ids in _posting_ids(reader.postings(*term)):
        deque(map(bytemap.__setitem__, ids, repeat(1)), maxlen=0)  # in C: hundreds of thousands of ids
    return _remember(_TERMS, reader, term, _packed(bytemap), TERMS_KEPT)


def _posting_ids(matcher) -> Iterator[Iterable[int]]:
    """The documents of a term's postings, a block at a time where the codec allows. Deleted
    passages may be among them; the query this filters has none."""
    raw = matcher.child if isinstance(matcher, FilterMatcher) else matcher
    if not isinstance(raw, BlockPostings):  # a short list kept in the term's entry, or another codec's
        yield list(matcher.all_ids())
        return
    yield from raw.block_ids()


class _SortedIds(ListMatcher):
    def skip_to(self, id: int) -> None:  # noqa: A002 - Whoosh's name
        if not self.is_active():
            raise ReadTooFar
        if id > self._ids[self._i]:
            self._i = bisect_left(self._ids, id, self._i)


def years(text: str, value: str) -> tuple[int | None, int | None]:
    """A year or a span of years: "2016", "2015..2020", "2015..", "..2020"."""
    value = value.strip()
    if re.fullmatch(r"\d{4}", value):
        return int(value), int(value)
    span = _SPAN.match(value)
    if not span or not any(span.groups()):
        raise QueryError(text, f"“{value}” is not a year or a span of years. Write 2016, 2015..2020, 2015.. or ..2020.")
    low, high = (int(y) if y else None for y in span.groups())
    if low and high and low > high:
        raise QueryError(text, f"the years {value} run backwards. Write the earlier year first: {high}..{low}.")
    return low, high


def _country(text: str, value: str) -> str:
    found = vocabulary.country(value)
    if not found:
        raise QueryError(text, f"no country is called “{value}”. Give its name in English, French, Spanish or "
                               "Portuguese, or its ISO code, as in Kenya, Sénégal or KEN.")
    return found.name


def _region(text: str, value: str) -> str:
    found = vocabulary.region(value)
    if not found:
        raise QueryError(text, f"“{value}” is not a WHO region. Use one of: {', '.join(vocabulary.REGIONS)}.")
    return found


def _type(text: str, value: str) -> str:
    found = vocabulary.doc_type(value)
    if not found:
        kinds = ", ".join(kind.key for kind in vocabulary.doc_types())
        raise QueryError(text, f"“{value}” is not a document type. Use one of: {kinds}.")
    return found


def _organisation(text: str, value: str, reader) -> Group:
    """A publisher we know by any of its names, or any indexed publisher whose name contains the
    words given ("ministry of health" finds every ministry)."""
    known = vocabulary.organisation(value)
    if known:
        return _any("org", [known])
    wanted = vocabulary.fold(value)
    indexed = [term.decode("utf-8") if isinstance(term, bytes) else term for term in reader.lexicon("org")]
    matching = [name for name in indexed if wanted in vocabulary.fold(name)]
    if not matching:
        shown = ", ".join(indexed[:12]) + (", …" if len(indexed) > 12 else "")
        raise QueryError(text, f"no indexed document is published by “{value}”. "
                               + (f"Publishers in this index: {shown}." if indexed else "This index names no publishers."))
    return _any("org", matching)


@dataclass(frozen=True)
class FacetValue:
    """One value of a facet: how many passages of the results have it, from how many documents."""

    value: str
    passages: int
    documents: int


def count(reader, docnums) -> dict[str, tuple[FacetValue, ...]]:
    """Facet counts over every passage matched, read from each passage's facet column."""
    column = reader.column_reader("facets")
    passages: dict[str, Counter] = defaultdict(Counter)
    documents: dict[str, dict[str, set]] = defaultdict(lambda: defaultdict(set))
    for docnum in docnums:
        raw = column[docnum]
        if not raw:
            continue
        pairs = [item.split(schema.VALUE_SEPARATOR, 1) for item in raw.decode("utf-8").split(schema.FACET_SEPARATOR)]
        doc = next((value for name, value in pairs if name == "doc"), "")
        for name, value in pairs:
            if name != "doc":
                passages[name][value] += 1
                documents[name][value].add(doc)
    result: dict[str, tuple[FacetValue, ...]] = {}
    for name in schema.FACETS:
        values = [FacetValue(value, n, len(documents[name][value])) for value, n in passages[name].items()]
        order = (lambda v: (-int(v.value), 0)) if name == "year" else (lambda v: (-v.passages, v.value))
        result[name] = tuple(sorted(values, key=order))
    return result
