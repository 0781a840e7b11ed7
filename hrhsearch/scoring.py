"""Ranking: BM25 as Lucene computes it, over hrhsearch's per-language fields.

Whoosh's own BM25F takes its IDF from classic tf-idf (``log(N / (n + 1)) + 1``) and averages field
lengths over every record in the index, including other languages' passages and the document
records. Both blur the ranking. Here IDF is BM25's, ``log(1 + (N - n + 0.5) / (n + 0.5))``, counted
over the passages of every language (see ``_frequencies``), and the average length counts only the
passages that have the field. On the CACM collection that
took MAP from 0.3265 to 0.3447 (benchmarks/README.md has every collection).
"""

from __future__ import annotations

from functools import lru_cache
from itertools import compress
from math import log

from whoosh.scoring import WeightingModel, WeightLengthScorer, WeightScorer, bm25
from whoosh.util.numeric import byte_to_length

from .records import K1, B
from .schema import FIELD_LANGUAGES


class BM25(WeightingModel):
    def __init__(self, k1: float = K1, b: float = B) -> None:
        self.k1, self.b = k1, b

    def supports_block_quality(self) -> bool:
        return True

    def scorer(self, searcher, fieldname: str, text: bytes, qf: int = 1):
        if not searcher.schema[fieldname].scorable:
            return WeightScorer.for_(searcher, fieldname, text)
        lengths = getattr(getattr(searcher.reader(), "_perdoc", None), "length_bytes", None)
        if lengths is None:  # a reader of another codec
            return _Scorer(searcher, fieldname, text, self.k1, self.b)
        return TableScorer(searcher, fieldname, text, self.k1, self.b, lengths(fieldname))


class _Scorer(WeightLengthScorer):
    def __init__(self, searcher, fieldname: str, text: bytes, k1: float, b: float) -> None:
        top = searcher.get_parent()  # collection statistics, not one segment's
        docs, n = _frequencies(top, fieldname, text)
        self.idf = log(1 + (docs - n + 0.5) / (n + 0.5))
        self.avgfl = _kept(top, ("average length", fieldname),
                           lambda: top.field_length(fieldname) / max(1, _documents_with(top, fieldname)) or 1)
        self.k1, self.b = k1, b
        self.setup(searcher, fieldname, text)

    def _score(self, weight: float, length: float) -> float:
        return bm25(self.idf, weight, length, self.avgfl, self.b, self.k1)


class TableScorer(_Scorer):
    """The same scores, computed as Lucene does: a length is one of 256 byte values, so the length
    part of BM25 is a table, and a match costs a lookup instead of Whoosh's per-document length
    reads (a third of the time of a query that matches half the index)."""

    def __init__(self, searcher, fieldname: str, text: bytes, k1: float, b: float, lengths: bytes) -> None:
        super().__init__(searcher, fieldname, text, k1, b)
        self.lengths = lengths
        self.norms = _norms(k1, b, self.avgfl)
        self.k1_plus_1 = k1 + 1

    def score(self, matcher) -> float:
        return self.weighed(matcher.id(), matcher.weight())

    def weighed(self, docnum: int, weight: float) -> float:
        """The score of one posting: its document and its weight (the word's count there)."""
        return self.idf * ((weight * self.k1_plus_1) / (weight + self.norms[self.lengths[docnum]]))

    def weighed_arrays(self, np, docs, weights):
        """``weighed`` over numpy arrays of documents and their weights, with the same operations in
        the same order, so that each score is equal to the last bit."""
        norms = np.array(self.norms)[np.frombuffer(self.lengths, dtype=np.uint8)[docs]]
        return self.idf * ((weights * self.k1_plus_1) / (weights + norms))

    def scores(self, postings, passing: bytes | None = None) -> dict[int, float]:
        """Every posting's score by document, block by block (``segments.BlockPostings``), with the
        same expression as ``score``; with ``passing`` (a byte per document), only the documents it
        marks, picked out in C before the scoring in Python."""
        idf, k1_plus_1, norms, lengths = self.idf, self.k1_plus_1, self.norms, self.lengths
        found: dict[int, float] = {}
        for ids, weights in postings.blocks(values=False):
            if passing is not None:
                kept = list(map(passing.__getitem__, ids))
                ids, weights = list(compress(ids, kept)), compress(weights, kept)
            found.update(zip(ids, [idf * ((w * k1_plus_1) / (w + norms[lengths[d]])) for d, w in zip(ids, weights)]))
        return found


@lru_cache(maxsize=64)
def _norms(k1: float, b: float, avgfl: float) -> tuple[float, ...]:
    """BM25's length part for each of the 256 lengths a byte holds, in the same expression as
    ``whoosh.scoring.bm25`` so that scores are equal to the last bit. Kept: every word of a query asks
    for its field's table in every segment."""
    return tuple(k1 * ((1 - b) + b * (byte_to_length(n) if n else 1) / avgfl) for n in range(256))


def idf(searcher, fieldname: str, text: str) -> float:
    """BM25's IDF of a term as ranking counts it (see ``_frequencies``)."""
    docs, n = _frequencies(searcher, fieldname, text.encode("utf-8"))
    return log(1 + (docs - n + 0.5) / (n + 0.5))


def _frequencies(searcher, fieldname: str, text: bytes) -> tuple[int, int]:
    """(passages, passages with the term) for IDF, counted over every language's field of this kind.

    A Spanish word quoted in an English passage is rare among English passages but common in the
    collection; counted per language it would outrank the Spanish passages that are about it. The
    same word has the same stem in most languages' fields, so summing them gives its real rarity.
    In a collection of one language this is plain BM25."""
    split = _language_field(fieldname)
    if split is None:
        return _kept(searcher, ("term", fieldname, text),
                     lambda: (max(1, searcher.doc_count()), searcher.doc_frequency(fieldname, text)))
    kind, _ = split
    docs = _kept(searcher, "passages", lambda: sum(searcher.doc_frequency("analysis", code) for code in FIELD_LANGUAGES))
    n = _kept(searcher, (kind, text), lambda: sum(searcher.doc_frequency(f"{kind}_{code}", text) for code in FIELD_LANGUAGES))
    return max(1, docs, n), n


def _kept(searcher, key, count):
    """A collection count, counted once per searcher: a query's terms are scored in every segment,
    in five languages' fields, and each count asks every segment (58,000 lookups for one search at
    1,000,000 passages in 62 segments)."""
    known = searcher.__dict__.setdefault("_hrhsearch_counts", {})
    if key not in known:
        known[key] = count()
    return known[key]


def _documents_with(searcher, fieldname: str) -> int:
    split = _language_field(fieldname)
    return searcher.doc_count() if split is None else searcher.doc_frequency("analysis", split[1])


def _language_field(fieldname: str) -> tuple[str, str] | None:
    """("body", "fr") for body_fr; None for a field that is not one language's text or headings."""
    kind, _, language = fieldname.partition("_")
    return (kind, language) if kind in ("body", "head") and language else None
