"""Running a query a term at a time, with the scores Whoosh's matchers give.

Whoosh walks a query's matchers document by document: for every match, each union, intersection
and term matcher in the tree is asked where it is, what it scores and to move on, a dozen Python
calls a match. hrhsearch counts every match, so a word found in half of 100,000 passages cost
0.3 s. Here each term's postings are scored a block at a time into a table of document → score,
and the query's Or, And, BestOf and Require nodes combine those tables, as Lucene's term-at-a-time
scorers do. A word in a large share of a segment's passages is scored and combined over arrays as
long as the segment instead (``Dense``). Phrases are matched from their words' positions (``_phrase``). Any other node
(wildcards, ``*``) is run by its own Whoosh matcher and its matches become a table too, so every
query gives the matches and scores Whoosh's would. Sums are added in another order than Whoosh's
tree, so a score may differ from Whoosh's in its last bit.
"""

from __future__ import annotations

import heapq
import sys
from collections.abc import Iterable
from itertools import accumulate, compress
from pickle import loads

from whoosh import formats, query
from whoosh.matching.wrappers import FilterMatcher
from whoosh.searching import Results
from whoosh.system import _INT_SIZE

from .expansion import BestOf
from .facets import Allowed
from .schema import PackedPositions
from .scoring import TableScorer
from .segments import BlockPostings

Scores = dict[int, float]  # document number in a segment -> score
# A phrase whose rarest word is in this many passages of a segment is matched over arrays. On
# schema 6's blocks, arrays take less time from about 256 passages on (benchmarks/README.md,
# "Changed in 0.6.7"), but numpy's import takes 0.1 s: a search that would be the first to load it
# waits for 4,096 passages, so that searches of small indexes never pay for it.
IN_BULK_LOADED = 256
IN_BULK = 4096
# A word in this many passages of a segment, and in at least one in ``ARRAYS_SHARE`` of them, is
# scored over arrays as long as the segment (``Dense``): under a share, clearing the arrays costs
# more than scoring the postings one by one. A search that would be the first to load numpy (0.1 s)
# waits for more passages (``ARRAYS_FROM``): at 1,050,000 passages, "nurses retention" as a whole
# process took 342 ms from 32,768 and 298 ms from 131,072 (benchmarks/README.md, 0.6.9).
ARRAYS_FROM_LOADED = 4096
ARRAYS_FROM = 131072
ARRAYS_SHARE = 256
_NEXT = (1).__add__
_ONE = b"\x00\x00\x80\x3f"  # 1.0 as a 32-bit float, little-endian


def search(searcher, q: query.Query, limit: int) -> Results:
    """The best ``limit`` documents for ``q``, best first and ties in document order, with the number
    of every match, as ``searcher.search(q, limit=limit)`` gives them."""
    context = searcher.context()
    best: list[tuple[float, int]] = []
    matched: list[tuple[int, Iterable[int]]] = []
    total = 0
    for leaf, offset in searcher.leaf_searchers():
        scores = _scores(leaf, q, context)
        reader = leaf.reader()
        if isinstance(scores, Dense):
            found = _best_of_dense(scores, reader, offset, limit)
            if found:
                total += len(found[0])
                matched.append((offset, found[0]))
                best += found[1]
            continue
        if scores and reader.has_deletions():
            for docnum in reader.deleted_docs_set:
                scores.pop(docnum, None)
        if not scores:
            continue
        total += len(scores)
        matched.append((offset, scores.keys()))
        cut = heapq.nlargest(limit, scores.values())[-1]
        best += [(score, offset + docnum) for docnum, score in scores.items() if score >= cut]
    best.sort(key=lambda item: (-item[0], item[1]))
    return _Results(searcher, q, best[:limit], total, matched)


class _Results(Results):
    def __init__(self, searcher, q: query.Query, top: list, total: int, matched: list) -> None:
        super().__init__(searcher, q, top)
        self._total = total
        self._matched = matched

    def docs(self) -> set[int]:
        if self.docset is None:
            self.docset = set()
            for offset, docnums in self._matched:
                self.docset.update((docnums + offset).tolist() if hasattr(docnums, "tolist")
                                   else (offset + docnum for docnum in docnums))
        return self.docset


class Dense:
    """A segment's matches as two arrays as long as the segment: each document's score (0.0 where
    it does not match) and whether it matches.

    A word in a large share of a segment's passages is scored and combined this way, in C, where the
    tables cost a Python step per posting at each node of the query: "workforce", in the title of
    every passage of the 1,050,000-passage benchmark, took 1.8–2.8 s. Every node does what it does to
    tables, with the same operations in the same order, so scores are equal to the last bit."""

    __slots__ = ("scores", "hit")

    def __init__(self, scores, hit) -> None:
        self.scores, self.hit = scores, hit

    def __len__(self) -> int:
        return int(self.hit.sum())


def _best_of_dense(scores: Dense, reader, offset: int, limit: int) -> tuple | None:
    """The matching documents of a segment (``Dense``), and the (score, document) of those that may
    be among the ``limit`` best: every one that scores at least the ``limit``-th best score."""
    import numpy as np

    if reader.has_deletions():
        scores.hit[np.fromiter(reader.deleted_docs_set, dtype=np.int64)] = False
    ids = np.flatnonzero(scores.hit)
    if not ids.size:
        return None
    values = scores.scores[ids]
    cut = np.partition(values, ids.size - limit)[ids.size - limit] if ids.size > limit else values.min()
    chosen = values >= cut
    return ids, list(zip(values[chosen].tolist(), (ids[chosen] + offset).tolist()))


def _as_dense(np, scores: Scores | Dense, size: int) -> Dense:
    if isinstance(scores, Dense):
        return scores
    found = Dense(np.zeros(size), np.zeros(size, dtype=bool))
    if scores:
        ids, values = _arrays(np, scores)
        found.scores[ids] = values
        found.hit[ids] = True
    return found


def _arrays(np, scores: Scores) -> tuple:
    """A table's documents and scores, as arrays."""
    return (np.fromiter(scores.keys(), dtype=np.int64, count=len(scores)),
            np.fromiter(scores.values(), dtype=np.float64, count=len(scores)))


def _size(parts: list) -> int | None:
    """The segment's size, if some part is ``Dense``: then the parts are combined as arrays."""
    return next((len(part.hit) for part in parts if isinstance(part, Dense)), None)


def _scores(searcher, q: query.Query, context, passing: bytes | None = None) -> Scores | Dense:
    """Every match of ``q`` in one segment, by document. ``passing`` is a filter around ``q``, a byte
    per document (``Allowed.passing``): the documents it leaves out are dropped as each word's
    postings are read, before they are scored, which at 1,050,000 passages saves scoring the
    half or more of common words' postings that a span of years leaves out."""
    kind = type(q)
    if kind is query.Term:
        return _boosted(_term(searcher, q, context, passing), q.boost)
    if kind in (query.Or, query.And) or isinstance(q, BestOf):
        subs = q.subqueries
        if not subs:
            return {}
        if len(subs) == 1:  # Whoosh hands back the one part's matcher, without this query's boost
            return _scores(searcher, subs[0], context, passing)
        if kind is query.Or and not (q.scale or q.minmatch):
            return _boosted(_sum([_scores(searcher, s, context, passing) for s in subs]), q.boost)
        if kind is query.And:
            return _boosted(_both([_scores(searcher, s, context, passing) for s in subs]), q.boost)
        if isinstance(q, BestOf):
            return _boosted(_best([_scores(searcher, s, context, passing) for s in subs]), q.boost)
    if kind is query.Phrase:
        scores = _phrase(searcher, q, context)
        if scores is not None:
            return _only(scores, passing)
    if kind is query.Require:
        if isinstance(q.b, Allowed):
            allowed = q.b.passing(searcher.reader())
            if passing is None:
                return _scores(searcher, q.a, context, allowed)
            return _only(_scores(searcher, q.a, context, passing), allowed)
        scores = _scores(searcher, q.a, context, passing)
        if not scores:
            return scores
        if isinstance(scores, Dense):
            import numpy as np

            kept = np.zeros(len(scores.hit), dtype=bool)
            kept[np.fromiter(q.b.matcher(searcher, context).all_ids(), dtype=np.int64)] = True
            return _kept(scores, kept)
        kept = scores.keys() & set(q.b.matcher(searcher, context).all_ids())
        return dict(zip(kept, map(scores.__getitem__, kept)))
    return _only(_matched(q.matcher(searcher, context)), passing)


def _only(scores: Scores | Dense, passing: bytes | None) -> Scores | Dense:
    """The scores of the documents ``passing`` keeps; compress and map run in C, as a filter often
    keeps hundreds of thousands of matches."""
    if passing is None or not scores:
        return scores
    if isinstance(scores, Dense):
        import numpy as np

        return _kept(scores, np.frombuffer(passing, dtype=np.uint8).view(bool))
    return dict(compress(scores.items(), map(passing.__getitem__, scores)))


def _kept(scores: Dense, kept) -> Dense:
    """``scores`` of the documents ``kept`` (a bool array) marks, 0.0 for the others."""
    scores.hit &= kept
    scores.scores *= scores.hit
    return scores


def _term(searcher, q: query.Term, context, passing: bytes | None) -> Scores | Dense:
    text = _indexed(searcher, q.fieldname, q.text)
    if text is None:
        return {}
    postings = searcher.postings(q.fieldname, text, weighting=context.weighting)
    raw = _blocks(postings)
    if raw is None:
        return _only(_matched(postings), passing)
    if _in_arrays(searcher.reader(), q.fieldname, text):
        found = _dense_term(raw, searcher.reader().doc_count_all())
        if found is not None:
            return _only(found, passing)
    return raw.scorer.scores(raw, passing)


def _in_arrays(reader, fieldname: str, text: bytes) -> bool:
    count = reader.doc_frequency(fieldname, text)
    least = ARRAYS_FROM_LOADED if "numpy" in sys.modules else ARRAYS_FROM
    return count >= least and count * ARRAYS_SHARE >= reader.doc_count_all()


def _dense_term(postings: BlockPostings, size: int) -> Dense | None:
    """``TableScorer.scores`` over arrays, from blocks stored as arrays; None for other blocks."""
    import numpy as np

    blocks = postings.stored_arrays(None)
    if blocks is None:
        return None
    found = _as_dense(np, {}, size)
    blocks = list(blocks)
    if blocks:
        ids, weights, _ = _numbers(np, blocks)
        found.scores[ids] = postings.scorer.weighed_arrays(np, ids, weights)
        found.hit[ids] = True
    return found


def _indexed(searcher, fieldname: str, word: str) -> bytes | None:
    """``word`` as ``fieldname`` stores it, if the segment holds it."""
    if fieldname not in searcher.schema:
        return None
    try:
        text = searcher.schema[fieldname].to_bytes(word)
    except ValueError:
        return None
    return text if (fieldname, text) in searcher.reader() else None


def _blocks(postings) -> BlockPostings | None:
    """A term's postings as hrhsearch's block reader with its table scorer, where the codec and the
    weighting give them; deletions are dropped at the end, so the filter around them is set aside."""
    raw = postings.child if isinstance(postings, FilterMatcher) else postings
    return raw if isinstance(raw, BlockPostings) and isinstance(raw.scorer, TableScorer) else None


def _phrase(searcher, q: query.Phrase, context) -> Scores | None:
    """The documents where ``q``'s words stand in order, each within ``slop`` of the one before, scored
    as Whoosh's phrase matcher scores them: the sum of its words' scores, added in the same order.
    The rarest word's postings are read first, and the others only in the blocks where it is; common
    words are matched over arrays (``_phrase_in_bulk``). None for what Whoosh's matcher should
    answer itself (a field without positions, another codec)."""
    if q.fieldname not in searcher.schema:
        return {}
    field = searcher.schema[q.fieldname]
    if not field.format or not field.format.supports("positions"):
        return None
    words = [_indexed(searcher, q.fieldname, word) for word in q.words]
    if None in words:
        return {}
    postings = {text: _blocks(searcher.postings(q.fieldname, text, weighting=context.weighting)) for text in set(words)}
    if None in postings.values():
        return None
    reader = searcher.reader()
    rarest = min(reader.doc_frequency(q.fieldname, text) for text in postings)
    if type(field.format) is PackedPositions and rarest >= (IN_BULK_LOADED if "numpy" in sys.modules else IN_BULK):
        return _phrase_in_bulk(reader, q.fieldname, words, postings, q.slop, q.boost)
    candidates, weights, positions = _holding_all(reader, q.fieldname, postings)
    decode, slop = _positions if type(field.format) is formats.Positions else field.format.decoder("positions"), q.slop
    first, later = positions[words[0]], [positions[text] for text in words[1:]]
    weighed = [(postings[text].scorer.weighed, weights[text]) for text in words]
    scores: Scores = {}
    for docnum in candidates:
        ends = decode(first[docnum])
        for held in later:
            if slop == 1:
                ends = set(map(_NEXT, ends)).intersection(decode(held[docnum]))
            else:
                ends = [p for p in decode(held[docnum]) if any(0 < p - end <= slop for end in ends)]
            if not ends:
                break
        else:
            scores[docnum] = _tree_sum([weigh(docnum, found[docnum]) for weigh, found in weighed]) * q.boost
    return scores


def _phrase_in_bulk(reader, fieldname: str, words: list[bytes], postings: dict[bytes, BlockPostings], slop: int,
                    boost: float) -> Scores:
    """``_phrase`` over arrays, for words common enough that a Python pass per candidate passage
    dominates (122,505 candidates for one benchmark phrase at 1,050,000 passages): each position
    becomes ``passage << 32 | position``, the positions that follow one another within the slop
    are found by bisection in C, and BM25 runs over the matches with the same operations in the same
    order as ``TableScorer.weighed``, so that scores are equal to the last bit."""
    import numpy as np

    found = _stored_arrays(np, reader, fieldname, postings)
    if found is False:  # blocks written before they were arrays
        found = _picked_arrays(np, reader, fieldname, postings)
    if found is None:
        return {}
    docs, weights, keys = found
    ends = keys[words[0]]
    for text in words[1:]:
        following = keys[text]
        before = np.searchsorted(ends, following) - 1  # the nearest position before each
        ends = following[(before >= 0) & (following - ends[np.maximum(before, 0)] <= slop)]
        if not ends.size:
            return {}
    matched = ends >> 32
    matched = matched[np.concatenate(([True], matched[1:] != matched[:-1]))]
    at = np.searchsorted(docs, matched)
    parts = [postings[text].scorer.weighed_arrays(np, matched, weights[text][at]) for text in words]
    return dict(zip(matched.tolist(), (_tree_sum(parts) * boost).tolist()))


def _picked_arrays(np, reader, fieldname: str, postings: dict[bytes, BlockPostings]) -> tuple | None:
    """The passages that hold every word, and each word's weights and positions there (see
    ``_weights_and_keys``), from blocks of any kind, picked as ``_candidates`` picks them."""
    candidates, picked = _candidates(reader, fieldname, postings)
    if not candidates:
        return None
    docs = np.array(candidates, dtype=np.int64)
    kept = set(candidates)
    weights, keys = {}, {}
    for text, blocks in picked.items():
        weights[text], keys[text] = _weights_and_keys(np, blocks, kept, docs)
    return docs, weights, keys


def _stored_arrays(np, reader, fieldname: str, postings: dict[bytes, BlockPostings]) -> tuple | None | bool:
    """What ``_picked_arrays`` gives, read from blocks stored as arrays (``segments.ARRAYS``)
    without a Python step per posting: False if a word's blocks are not arrays."""
    docs, read = None, {}
    for text in sorted(postings, key=lambda text: reader.doc_frequency(fieldname, text)):
        blocks = postings[text].stored_arrays(None if docs is None else docs.tolist())
        if blocks is None:
            return False
        blocks = list(blocks)
        if not blocks:  # none of this word's blocks reaches the passages of the rarer ones
            return None
        ids, weights, sizes = _numbers(np, blocks)
        docs = ids if docs is None else np.intersect1d(docs, ids, assume_unique=True)
        if not docs.size:
            return None
        read[text] = blocks, ids, weights, sizes
    weights, keys = {}, {}
    for text, (blocks, ids, block_weights, sizes) in read.items():
        found = docs[np.minimum(np.searchsorted(docs, ids), len(docs) - 1)] == ids
        holding = np.logical_or.reduceat(found, np.cumsum(sizes) - sizes)
        there = np.repeat(holding, sizes)
        values = [block[3]() for block, wanted in zip(blocks, holding.tolist()) if wanted]
        keys[text] = _keys(np, ids[there], values, sizes[holding], found[there])
        weights[text] = block_weights[found]
    return docs, weights, keys


def _numbers(np, blocks: list):
    """The passage numbers and weights of stored blocks, and each block's number of postings."""
    sizes = np.fromiter((block[1] for block in blocks), dtype=np.int64, count=len(blocks))
    gaps = np.frombuffer(b"".join(first[: 4 * count] for _, count, first, _ in blocks), dtype="<u4").astype(np.int64)
    starts = np.cumsum(sizes) - sizes
    # A block's first gap is from 0: take away the previous block's last passage number.
    gaps[starts[1:]] -= np.fromiter((block[0] for block in blocks[:-1]), dtype=np.int64, count=len(blocks) - 1)
    # A block stores a weight for each posting, one for all, or none if all are 1.0 (32-bit floats).
    stored = [first[4 * count :] or _ONE for _, count, first, _ in blocks]
    held = np.fromiter(map(len, stored), dtype=np.int64, count=len(stored)) // 4
    each = np.where(held == sizes, 1, sizes)  # how many postings each stored weight stands for
    weights = np.frombuffer(b"".join(stored), dtype="<f4").astype(np.float64)
    return np.cumsum(gaps), np.repeat(weights, np.repeat(each, held)), sizes


def _keys(np, ids, values: list[bytes], counts, found):
    """The positions of the postings ``found`` among ``ids``, as ``passage << 32 | position``, from
    their blocks' second parts (``values``, of ``counts`` postings each): each value's length in
    bytes, 32 bits each, then the values, a packed value being its count and then its positions."""
    counts = counts.tolist()
    lengths = np.frombuffer(b"".join(raw[: 4 * n] for raw, n in zip(values, counts)), dtype="<u4").astype(np.int64) // 4
    keys = _position_keys(np, ids, b"".join(raw[4 * n :] for raw, n in zip(values, counts)), lengths)
    return keys[np.repeat(found, lengths - 1)]


def _position_keys(np, docs, values: bytes, lengths):
    """``passage << 32 | position`` for every position of packed ``values`` (a count, then the
    positions, 32-bit little-endian each), one after another, ``lengths`` 32-bit numbers each, of
    the passages ``docs``."""
    data = np.frombuffer(values, dtype="<u4")
    is_position = np.ones(len(data), dtype=bool)
    is_position[np.cumsum(lengths) - lengths] = False
    return (np.repeat(docs, lengths - 1) << 32) | data[is_position].astype(np.int64)


def _candidates(reader, fieldname: str, postings: dict[bytes, BlockPostings]) -> tuple[list[int], dict]:
    """The passages that hold every word, read from passage numbers alone, rarest word first, and
    each word's blocks that hold them."""
    order = sorted(postings, key=lambda text: reader.doc_frequency(fieldname, text))
    picked = {order[0]: list(postings[order[0]].picked(None))}
    candidates = [doc for block in picked[order[0]] for doc in block.ids]
    for text in order[1:]:
        picked[text] = list(postings[text].picked(candidates))
        held = set().union(*(block.ids for block in picked[text]))
        candidates = [doc for doc in candidates if doc in held]
    return candidates, picked


def _weights_and_keys(np, blocks: list, kept: set[int], docs):
    """A word's weight in each of ``docs`` (every one holds it), and its positions there as
    ``passage << 32 | position``, sorted."""
    ids, weights, values = [], [], []
    for block in blocks:
        if not kept.isdisjoint(block.ids):
            ids += block.ids
            weights += block.weights
            values += block.values()
    ids = np.array(ids, dtype=np.int64)
    chosen = np.zeros(len(ids), dtype=bool)
    chosen[np.searchsorted(ids, docs)] = True
    values = list(compress(values, chosen.tolist()))
    lengths = np.fromiter(map(len, values), dtype=np.int64, count=len(values)) // 4
    return np.array(weights, dtype=np.float64)[chosen], _position_keys(np, docs, b"".join(values), lengths)


def _holding_all(reader, fieldname: str, postings: dict[bytes, BlockPostings]) -> tuple[list[int], dict, dict]:
    """The passages that hold every word (``_candidates``), then each word's weight and encoded
    positions in them, from the blocks that still hold one."""
    candidates, picked = _candidates(reader, fieldname, postings)
    kept = set(candidates)
    weights: dict[bytes, dict[int, float]] = {}
    positions: dict[bytes, dict[int, bytes]] = {}
    for text in picked:
        weights[text], positions[text] = {}, {}
        for block in picked[text]:
            if kept.isdisjoint(block.ids):
                continue
            for doc, weight, value in zip(block.ids, block.weights, block.values()):
                if doc in kept:
                    weights[text][doc] = weight
                    positions[text][doc] = value
    return candidates, weights, positions


def _positions(value: bytes) -> list[int]:
    """What Whoosh's ``Positions.decode_positions`` reads: a count, then the pickled gaps between
    positions, added up here in C. Decoding them is most of a phrase's time."""
    return list(accumulate(loads(value[_INT_SIZE:] if value.endswith(b".") else value[_INT_SIZE:] + b".")))


def _tree_sum(parts: list[float]) -> float:
    """The sum as Whoosh's intersection of matchers adds it: halves first (``make_binary_tree``)."""
    if len(parts) <= 2:
        return parts[0] + parts[1] if len(parts) == 2 else parts[0]
    half = len(parts) // 2
    return _tree_sum(parts[:half]) + _tree_sum(parts[half:])


def _matched(matcher) -> Scores:
    found: Scores = {}
    while matcher.is_active():
        found[matcher.id()] = matcher.score()
        matcher.next()
    return found


def _boosted(scores: Scores | Dense, boost: float) -> Scores | Dense:
    if boost == 1.0:
        return scores
    if isinstance(scores, Dense):
        scores.scores *= boost
        return scores
    return {docnum: score * boost for docnum, score in scores.items()}


def _sum(parts: list) -> Scores | Dense:
    parts.sort(key=len, reverse=True)
    size = _size(parts)
    if size is not None:
        import numpy as np

        total = _as_dense(np, parts[0], size)
        for part in parts[1:]:
            if isinstance(part, Dense):
                total.scores += part.scores
                total.hit |= part.hit
            elif part:  # a table is added where it matches, without arrays of its own
                ids, values = _arrays(np, part)
                total.scores[ids] += values
                total.hit[ids] = True
        return total
    total = parts[0]
    for part in parts[1:]:
        get = total.get
        total.update({docnum: get(docnum, 0.0) + score for docnum, score in part.items()})
    return total


def _both(parts: list) -> Scores | Dense:
    parts.sort(key=len)
    total = parts[0]
    for part in parts[1:]:
        if isinstance(part, Dense) or isinstance(total, Dense):
            total = _both_arrays(total, part)
        else:
            total = {docnum: score + part[docnum] for docnum, score in total.items() if docnum in part}
    return total


def _both_arrays(total: Scores | Dense, part: Scores | Dense) -> Scores | Dense:
    """``_both``'s step where a side is ``Dense``; a table stays a table, picked from the arrays."""
    import numpy as np

    if isinstance(total, dict):
        ids, values = _arrays(np, total)
        held = part.hit[ids]
        return dict(zip(ids[held].tolist(), (values[held] + part.scores[ids[held]]).tolist()))
    part = _as_dense(np, part, len(total.hit))
    total.hit &= part.hit
    total.scores += part.scores
    total.scores *= total.hit
    return total


def _best(parts: list) -> Scores | Dense:
    parts.sort(key=len, reverse=True)
    size = _size(parts)
    if size is not None:
        import numpy as np

        best = _as_dense(np, parts[0], size)
        for part in parts[1:]:
            if isinstance(part, Dense):
                better = part.hit & (part.scores > np.where(best.hit, best.scores, -1.0))
                best.scores[better] = part.scores[better]
                best.hit |= better
            elif part:
                ids, values = _arrays(np, part)
                better = values > np.where(best.hit[ids], best.scores[ids], -1.0)
                best.scores[ids[better]] = values[better]
                best.hit[ids[better]] = True
        return best
    best = parts[0]
    for part in parts[1:]:
        get = best.get
        best.update({docnum: score for docnum, score in part.items() if score > get(docnum, -1.0)})
    return best
