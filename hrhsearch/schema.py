"""The index schema: field names, analyzers per language, and the schema version.

Every section's text goes into the field of its own language (``body_fr`` for French), analyzed
with that language's Snowball stemmer and stop words; its title and heading path go into
``head_<lang>`` the same way. A query is analyzed once per language and matched against each
language's fields, so "formation" finds "formations" in French sections and "capacitación" finds
"capacitaciones" in Spanish ones. Languages without a stemmer share the unstemmed ``*_xx`` fields.

Bump ``SCHEMA_VERSION`` whenever a field or an analyzer changes: older indexes then ask to be
rebuilt instead of returning wrong results.
"""

from __future__ import annotations

import re
import sys
from array import array
from functools import lru_cache

from whoosh import columns, fields, formats
from whoosh.analysis import (
    Analyzer,
    CharsetFilter,
    LanguageAnalyzer,
    LowercaseFilter,
    RegexTokenizer,
    StemFilter,
    StopFilter,
)
from whoosh.support.charset import accent_map
from whoosh.system import _INT_SIZE, pack_uint

# 2: the ``analysis`` field, for BM25's per-field document counts; 3: metadata and facets; 4: text
# fields that take analysed postings, the ``published`` year term, segments in hrhsearch's codec;
# 5: posting blocks with their positions apart (``segments.SplitPostingsWriter``), positions packed
# (``PackedPositions``); 6: posting blocks stored as arrays (``segments.ARRAYS``), which a phrase
# of common words reads straight into numpy. This version reads 4 and 5 as well, whose blocks it
# reads as they are, and marks an index 6 before it writes to it (``optimize`` then writes its older
# segments again); an index keeps the positions of the schema it was created with.
SCHEMA_VERSION = 6
READABLE_VERSIONS = (4, 5, 6)
LANGUAGES = ("en", "fr", "es", "pt")
OTHER = "xx"
FIELD_LANGUAGES = LANGUAGES + (OTHER,)

# Facets: what --facets counts, and the filters that narrow a search to one value of each.
FACETS = ("organisation", "year", "country", "region", "type", "language")
# A passage's facet values sit in one column, read by document number without unpickling its text.
FACET_SEPARATOR, VALUE_SEPARATOR = "\x1e", "\x1f"

# kind: a section is searchable text; a document record remembers one source file (its size,
# mtime and root) so that an update can tell what changed without opening the file again.
SECTION, DOCUMENT = "section", "document"


def field_language(language: str) -> str:
    return language if language in LANGUAGES else OTHER


def body_field(language: str) -> str:
    return f"body_{field_language(language)}"


def head_field(language: str) -> str:
    return f"head_{field_language(language)}"


@lru_cache(maxsize=1)
def stop_words() -> frozenset[str]:
    """The stop words of every language we stem. A query word in this set is a function word in
    some language ("de", "la", "the"), and matching it in another language's passages only adds noise."""
    from whoosh.lang import stopwords_for_language

    return frozenset(word for language in LANGUAGES for word in stopwords_for_language(language))


@lru_cache(maxsize=None)
def analyzer(language: str) -> Analyzer:
    """Lower-case, stop words, stem, then fold accents, so that users who type "capacitacion"
    without the accent still match."""
    if language == OTHER:
        return RegexTokenizer() | LowercaseFilter() | CharsetFilter(accent_map)
    return LanguageAnalyzer(language) | CharsetFilter(accent_map)


@lru_cache(maxsize=1 << 17)
def word_stem(language: str, word: str) -> str:
    """One word (as ``TOKEN`` finds it) as ``language``'s fields index it, stop words included: the
    analyzer's own filters applied to one word directly, which is 20 times faster than running the
    analyzer on it. Kept per word: snippets stem every word of the passages they show."""
    language = field_language(language)
    kept = _kept_stem(language, word)
    return kept if kept is not None else word.lower().translate(_word_filters(language)[3])


def word_initial(word: str) -> str:
    """The letter that ``word_stem`` of ``word`` begins with in every language: stemmers cut and change
    endings only, and accents are folded after. Snippets stem only the words whose initial a query
    term shares, which spares most of the stemming in a process that has not seen the words yet."""
    return word[:1].lower().translate(accent_map)[:1]


@lru_cache(maxsize=None)
def _word_filters(language: str) -> tuple[frozenset, int, object, dict]:
    """(stop words, shortest word not stopped, cached stemmer, accent map) of a language's analyzer."""
    items = analyzer(language).items
    stop = next((f for f in items if isinstance(f, StopFilter)), None)
    stem = next((f for f in items if isinstance(f, StemFilter)), None)
    charset = next(f for f in items if isinstance(f, CharsetFilter))
    if stop is not None and stop.max is not None:
        raise AssertionError("a maximum word length would need checking here too")
    return (frozenset(stop.stops) if stop else frozenset(), stop.min if stop else 0,
            stem._stem if stem and not stem.ignore else None, charset.charmap)


# Whoosh's default tokenizer, which every analyzer here uses; its group made non-capturing for findall
TOKEN = re.compile(r"[\w\*]+(?:\.?[\w\*]+)*")


def stems(language: str, text: str) -> tuple[str, ...]:
    """``text`` as ``language``'s fields index it: lower-cased, stop words out, stemmed, accents folded."""
    return tuple(token.text for token in analyzer(field_language(language))(text))


class Postings(tuple):
    """A text field's postings, ``(term bytes, frequency, weight, encoded positions)`` per word,
    analysed when the file is read, so that writing can take them as they are. The positions are
    packed (``PackedPositions``), as this version's schema packs them."""


class PackedPositions(formats.Positions):
    """Whoosh's ``Positions``, with a posting's positions stored after its count as 32-bit unsigned
    integers, little-endian, instead of a pickle of the gaps between them: a phrase decodes each
    candidate passage's positions, and unpickling them was most of its time."""

    def encode(self, poslist) -> bytes:
        return _packed(poslist)

    def decode_positions(self, valuestring: bytes) -> list[int]:
        return _unpacked(valuestring)


_BIG_ENDIAN = sys.byteorder == "big"


def _packed(positions: list[int]) -> bytes:
    packed = array("I", positions)
    if _BIG_ENDIAN:
        packed.byteswap()
    return pack_uint(len(packed)) + packed.tobytes()


def _unpacked(value: bytes) -> list[int]:
    packed = array("I", value[_INT_SIZE:])
    if _BIG_ENDIAN:
        packed.byteswap()
    return packed.tolist()


class Text(fields.TEXT):
    """Whoosh's TEXT field, which also takes ready ``Postings`` in place of a string, with packed
    positions."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if type(self.format) is formats.Positions:
            self.format = PackedPositions(field_boost=self.format.field_boost)

    def index(self, value, **kwargs):
        if isinstance(value, Postings):
            if type(self.format) is formats.Positions:
                # A field of an index created before positions were packed: ``analysed`` packed
                # them, and this field's readers unpickle them.
                pack = self.format.encode
                return ((text, freq, weight, pack(_unpacked(encoded))) for text, freq, weight, encoded in value)
            return iter(value)
        return super().index(value, **kwargs)


def section_texts(title: str, heading: tuple[str, ...], text: str, language: str) -> dict[str, str]:
    """A passage's text fields. The body carries its headings too, so that BM25 sees a passage with
    its context as one field of text; the head field adds a smaller bonus for matching the title or
    a heading."""
    head = " \n".join((title, *heading))
    return {body_field(language): f"{head}\n{text}", head_field(language): head}


def analysed(texts: dict[str, str]) -> dict[str, Postings]:
    """``section_texts`` as the index's fields analyse them, each word's stem looked up once per
    process (``_kept_stem``): the postings Whoosh's analyzer chain gives, byte for byte, in about a
    third of the time; the chain builds a token object for every word and passes it through five
    generators."""
    return {name: _postings(name.rpartition("_")[2], value) for name, value in texts.items()}


def passage_postings(section) -> dict[str, Postings]:
    """A passage's (``documents.Section``'s) text fields, analysed as the index stores them."""
    return analysed(section_texts(section.title, section.heading, section.text, section.language))


def _postings(language: str, text: str) -> Postings:
    """What ``Text.index`` gives for ``text`` in a field of ``language``: each stem, in the order it
    first appears, with its count, weight and packed positions. As Whoosh's ``StopFilter`` numbers
    them, the first word kept keeps its place and the others follow it with no gap for stop words."""
    at: dict[str, list[int]] = {}
    position = None
    for place, word in enumerate(TOKEN.findall(text)):
        stem = _kept_stem(language, word)
        if stem is None:
            continue
        position = place if position is None else position + 1
        at.setdefault(stem, []).append(position)
    return Postings((stem.encode("utf-8"), len(found), float(len(found)), _packed(found)) for stem, found in at.items())


@lru_cache(maxsize=1 << 16)
def _kept_stem(language: str, word: str) -> str | None:
    """A word as the fields of ``language`` (a field's language) index it, or None for a word their
    analyzer drops (a stop word, or too short). Indexing reads this table alone; ``word_stem``,
    which searches use, keeps its own in front of it."""
    stops, minsize, stem, charmap = _word_filters(language)
    lowered = word.lower()  # which can be longer: "İ" is two characters lower-cased
    if minsize and (len(lowered) < minsize or lowered in stops):
        return None
    return (stem(lowered) if stem else lowered).translate(charmap)


@lru_cache(maxsize=1)
def _schema() -> fields.Schema:
    return build()


def build() -> fields.Schema:
    schema = fields.Schema(
        # Stored, not indexed: nothing looks a passage up by its id, and a term per passage kept the
        # index's term table, which Whoosh holds in memory until a segment is written, growing with
        # the passages (135 MB for the 1,100,000 ids of 1,050,000 passages, under tracemalloc).
        section_id=fields.STORED,
        doc_id=fields.ID(stored=True),
        kind=fields.ID(stored=True),
        path=fields.ID(stored=True),
        root=fields.ID(stored=True),
        format=fields.ID(stored=True),
        language=fields.ID(stored=True),
        # Sections only: which language's fields hold the text. Its document frequency is the
        # number of passages in body_<code>/head_<code>, which BM25 needs and Whoosh does not keep.
        analysis=fields.ID,
        year=fields.NUMERIC(stored=True),
        # The year again as a plain term ("2016"), for the year filter: Whoosh reads a numeric range
        # by collecting every passage in it first (120 ms at 10,000 passages), a few terms lazily.
        published=fields.ID,
        # Filters (exact, canonical values: "WHO", "Kenya", "AFRO", "strategy"), shown from the stored copies.
        org=fields.KEYWORD(commas=True, scorable=False),
        country=fields.KEYWORD(commas=True, scorable=False),
        region=fields.KEYWORD(commas=True, scorable=False),
        doctype=fields.ID,
        organisations=fields.STORED,
        countries=fields.STORED,
        regions=fields.STORED,
        doc_type=fields.STORED,
        metadata=fields.STORED,  # a document record's whole catalogue entry, weighted mentions included
        facets=fields.COLUMN(columns.VarBytesColumn()),
        title=fields.STORED,
        heading=fields.STORED,
        text=fields.STORED,
        page_start=fields.STORED,
        page_end=fields.STORED,
        position=fields.STORED,
        mtime_ns=fields.STORED,
        size=fields.STORED,
        sections=fields.STORED,
        indexed_at=fields.STORED,
    )
    for language in FIELD_LANGUAGES:
        schema.add(f"body_{language}", Text(analyzer=analyzer(language), phrase=True))
        schema.add(f"head_{language}", Text(analyzer=analyzer(language), phrase=True))
    return schema
