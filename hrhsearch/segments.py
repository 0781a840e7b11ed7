"""Writing passages into Whoosh segments: the codec, the records a file becomes, and the writers.

The worker processes that read files also write them, each into a segment of its own, so that
every core analyses, sorts and writes postings; the process that drives the run deletes old
versions, merges segments in a thread and commits (``index._update``). A worker's segment becomes part of the index
only when that process commits it, together with the deletions of the files' old versions.
"""

from __future__ import annotations

import heapq
import io
import os
import sys
import threading
import zlib
from array import array
from bisect import bisect_left, bisect_right
from collections import Counter
from dataclasses import asdict
from datetime import datetime, timezone
from functools import partial
from itertools import accumulate
from pathlib import Path
from pickle import dumps, loads
from typing import TYPE_CHECKING, Iterator, Sequence

from whoosh import index as whoosh_index
from whoosh.codec.whoosh3 import (
    LENGTHS_COLUMN,
    WHOOSH3_HEADER_MAGIC,
    W3Codec,
    W3LeafMatcher,
    W3PerDocReader,
    W3PostingsWriter,
    W3Segment,
    W3TermInfo,
    W3TermsReader,
    _lenfield,
)
from whoosh.filedb.compound import CompoundStorage
from whoosh.filedb.filestore import FileStorage
from whoosh.filedb.structfile import BufferFile, StructFile
from whoosh.reading import SegmentReader, TermNotFound
from whoosh.system import _INT_SIZE, pack_uint, unpack_uint
from whoosh.util.numeric import length_to_byte
from whoosh.writing import SegmentWriter

from . import schema

if TYPE_CHECKING:
    from .documents import Metadata, Section

# Whoosh's estimate of the postings the writers hold before they finish a segment, shared by the
# worker processes; its estimate is low, and the largest process peaked under 300 MB while indexing
# 100,000 passages (see benchmarks/README.md).
WRITER_MB = 128
MIN_WRITER_MB = 32


class Codec(W3Codec):
    """Whoosh's own segment format, written faster.

    Whoosh records each term's shortest and longest passage, and to do so looks up the length of
    the passage of every posting it writes: a third of the time of writing a segment, and of
    merging one. Those bounds only let a search skip blocks that cannot reach the top results,
    which hrhsearch's searches do not do; without them the bound is that of a passage of length
    0, still a true upper bound. Passage lengths for BM25 are stored as before.

    Segments record their codec, so the index's table of contents names this class."""

    length_stats = False

    def per_document_reader(self, storage, segment):
        return _PerDocReader(storage, segment)

    def new_segment(self, storage, indexname):
        return _Segment(self, indexname)

    def postings_writer(self, dbfile, byteids=False):
        return SplitPostingsWriter(dbfile, blocklimit=self._blocklimit, byteids=byteids,
                                   compression=self._compression, inlinelimit=self._inlinelimit)

    def terms_reader(self, storage, segment):
        name = segment.make_filename(self.TERMS_EXT)
        return _TermsReader(self, storage.open_file(name), storage.file_length(name),
                            segment.open_file(storage, self.POSTS_EXT))

    def postings_reader(self, dbfile, terminfo, format_, term=None, scorer=None):
        if terminfo.is_inlined():
            return super().postings_reader(dbfile, terminfo, format_, term=term, scorer=scorer)
        offset, length = terminfo.extent()
        return BlockPostings(dbfile, offset, length, format_, term=term, scorer=scorer)


class _TermsReader(W3TermsReader):
    """Whoosh's term table, with each term's place in it looked up once per reader. A search asks a
    segment about each of its words in every field three times (is it there, in how many passages,
    where are its postings), and each lookup hashes the term and probes the table in Python."""

    MAX_KEPT = 100_000  # a reader kept open for many searches forgets, rather than grows

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self._places: dict[bytes, tuple[int, int] | None] = {}

    def _place(self, key: bytes) -> tuple[int, int] | None:
        try:
            return self._places[key]
        except KeyError:
            if len(self._places) >= self.MAX_KEPT:
                self._places.clear()
            place = self._places[key] = next(self._tindex.ranges_for_key(key), None)
            return place

    def _range_for_key(self, fieldname, tbytes):
        place = self._place(self._keycoder(fieldname, tbytes))
        if place is None:
            raise KeyError((fieldname, tbytes))
        return place

    def __contains__(self, term) -> bool:
        return self._place(self._keycoder(*term)) is not None

    def term_info(self, fieldname, tbytes):
        place = self._place(self._keycoder(fieldname, tbytes))
        if place is None:
            raise TermNotFound(f"No term {fieldname}:{tbytes!r}")
        return W3TermInfo.from_bytes(self._dbfile.get(*place))


# A block's compression byte with this bit set marks a split block (``SplitPostingsWriter``);
# Whoosh writes 0 to 9 there, so segments written before keep being read as they are. With
# ``ARRAYS`` as well (schema 6), the block's two parts are arrays of fixed-width numbers instead
# of pickles, so that a phrase reads a common word's blocks straight into numpy arrays.
SPLIT = 0x40
ARRAYS = 0x20
_LITTLE = sys.byteorder == "little"


# A block of fewer bytes is stored as it is: zlib adds about a dozen bytes and takes about 7 µs a
# call, and most blocks of a worker's segment of small files hold a posting or two (8 bytes).
COMPRESSED_FROM = 64


class SplitPostingsWriter(W3PostingsWriter):
    """Whoosh's blocks of postings, each with its positions apart, as arrays.

    Whoosh pickles a block's passage numbers, weights and positions together, so that scoring a
    word or reading a filter decodes every posting's positions too: four fifths of a block's
    decoding time. Here a block's data is the length of its first part, the first part (numbers
    and weights) and the second (the values, positions for text fields), each compressed on its
    own. Both parts are arrays (``_array_parts``); a block whose values do not fit them (passage
    numbers as bytes, some postings without a value) pickles its parts instead (``_packed``). The
    block's header is Whoosh's, with ``SPLIT`` (and ``ARRAYS``) in its compression byte."""

    arrays = True  # False writes pickled parts, as schema 5 did

    def _write_block(self, last: bool = False) -> None:
        if not self._blockcount:
            self._postfile.write(WHOOSH3_HEADER_MAGIC)
        self._terminfo.add_block(self)
        ids, values = self._ids, self._values
        if self.arrays and not self._byteids and len(values) in (0, len(ids)):
            first, second = _array_parts(ids, self._mini_weights(), values)
            kind = SPLIT | ARRAYS
        else:
            first, second = _packed((self._mini_ids(), self._mini_weights())), _packed(self._mini_values())
            kind = SPLIT
        level = self._compression if len(first) + len(second) >= COMPRESSED_FROM else 0
        if level:
            first, second = zlib.compress(first, level), zlib.compress(second, level)
        data = pack_uint(len(first)) + first + second
        kind |= level
        info = dumps((len(ids), ids[-1], self._maxweight, kind,
                      length_to_byte(self._minlength), length_to_byte(self._maxlength)), 2)
        length = len(info) + len(data)
        self._postfile.write_int(-length if last else length)  # a negative length ends the postings
        self._postfile.write(info)
        self._postfile.write(data)
        self._blockcount += 1
        self._new_block()


def _packed(value: object) -> bytes:
    # Pickle's protocol 5 writes bytes as they are. Whoosh's protocol 2 writes each posting's value
    # as a call to ``_codecs.encode``: a block's positions then took 10 to 20 times as long to
    # unpickle, and three times the space once compressed.
    return dumps(value, 5)


def _unpacked(data: bytes, level: int) -> object:
    return loads(_raw(data, level))


def _array_parts(ids: list[int], weights, values: list[bytes]) -> tuple[bytes, bytes]:
    """A block's two parts as arrays, little-endian: the gaps between passage numbers (the first
    from 0) as 32-bit integers, then the weights as 32-bit floats, as Whoosh's writer holds them
    (none if all are 1.0, one if all are equal, as its ``_mini_weights`` gives them); and each
    value's length in bytes as a 32-bit integer, then the values one after another (nothing if the
    postings have none)."""
    gaps = array("I", [ids[0]])
    gaps.extend(map(int.__sub__, ids[1:], ids))
    kept = array("f", [] if weights is None else [weights] if isinstance(weights, float) else weights)
    lengths = array("I", map(len, values))
    if not _LITTLE:
        for part in (gaps, kept, lengths):
            part.byteswap()
    return gaps.tobytes() + kept.tobytes(), lengths.tobytes() + b"".join(values)


def _raw(data: bytes, level: int) -> bytes:
    return zlib.decompress(data) if level else data


def _array_first(data: bytes, level: int, count: int) -> tuple[array, object]:
    """A block's passage-number gaps and its weights, as ``_array_parts`` wrote them and as Whoosh's
    reader takes them: None for all 1.0, one float for all equal, else one each."""
    raw = _raw(data, level)
    gaps, weights = array("I"), array("f")
    gaps.frombytes(raw[: 4 * count])
    weights.frombytes(raw[4 * count :])
    if not _LITTLE:
        gaps.byteswap()
        weights.byteswap()
    if not weights:
        return gaps, None
    return gaps, weights[0] if len(weights) == 1 else weights


def _values_of(rest: bytes, compression: int, count: int, fixed: int | None) -> list | bytes:
    """A split block's values from its second part, as Whoosh's block reader takes them: one each,
    or all together for a format whose values have a fixed size."""
    level = compression & ~(SPLIT | ARRAYS)
    if not compression & ARRAYS:
        return _unpacked(rest, level)
    values = _array_values(rest, level, count)
    return values if fixed is None or fixed < 0 else b"".join(values)


def _array_values(data: bytes, level: int, count: int) -> list[bytes]:
    """A block's values from its second part (``_array_parts``); empty values for postings without one."""
    raw = _raw(data, level)
    if not raw:
        return [b""] * count
    lengths = array("I")
    lengths.frombytes(raw[: 4 * count])
    if not _LITTLE:
        lengths.byteswap()
    ends = list(accumulate(lengths, initial=4 * count))
    return list(map(raw.__getitem__, map(slice, ends, ends[1:])))


class BlockPostings(W3LeafMatcher):
    """Whoosh decodes the document numbers of each block of postings with a generator, a Python
    call per posting (about 7% of the benchmark's searches under cProfile, before they ran a term at a
    time). ``accumulate`` makes the same sums in C."""

    def _read_ids(self) -> None:
        if self._data is None:
            self._read_data()
        ids = self._data[0]
        self._ids = ids if self._byteids else tuple(accumulate(ids))

    @property
    def _level(self) -> int:
        """A split block's compression level: its compression byte without its marks."""
        return self._compression & ~(SPLIT | ARRAYS)

    def _read_data(self) -> None:
        """A split block's first part; its values wait until something asks for them."""
        if not self._compression & SPLIT:
            return super()._read_data()
        first, self._rest = self._parts()
        if self._compression & ARRAYS:
            self._data = (*_array_first(first, self._level, self._blocklength), None)
        else:
            self._data = (*_unpacked(first, self._level), None)

    def _parts(self) -> tuple[bytes, bytes]:
        """A split block's two parts, as stored."""
        data = self._postfile.get(self._dataoffset, self._nextoffset - self._dataoffset)
        cut = _INT_SIZE + unpack_uint(data[:_INT_SIZE])[0]
        return data[_INT_SIZE:cut], data[cut:]

    def _read_values(self) -> None:
        if self._data is None:
            self._read_data()
        if self._compression & SPLIT and self._rest is not None:
            self._data = (*self._data[:2], _values_of(self._rest, self._compression, self._blocklength, self._fixedsize))
            self._rest = None
        super()._read_values()

    def stored_arrays(self, docs: list[int] | None) -> Iterator[tuple] | None:
        """Each block from here on that may hold one of ``docs`` (sorted; every block if None), as
        ``_array_parts`` stored it: its last passage number, its number of postings, its first part
        and a function that gives its second part, both decompressed; None if the blocks are not
        arrays. A phrase of common words reads them into numpy arrays without a Python step per
        posting."""
        if self._compression is None or not self._compression & ARRAYS or self._i:
            return None
        return self._stored_arrays(docs)

    def _stored_arrays(self, docs: list[int] | None) -> Iterator[tuple]:
        at, wanted, below = 0, len(docs) if docs is not None else 0, -1
        while self.is_active():
            if docs is not None:
                at = bisect_right(docs, below, at)
                if at == wanted:
                    return
            if docs is None or docs[at] <= self._maxid:
                (first, rest), level = self._parts(), self._level
                yield self._maxid, self._blocklength, _raw(first, level), partial(_raw, rest, level)
            below = self._maxid
            self._next_block()

    def blocks(self, values: bool = True) -> Iterator[tuple]:
        """(documents, weights, values) of each block from here on, or (documents, weights): a merge
        copies postings and a search scores them a block at a time instead of asking for each
        posting's parts."""
        while self.is_active():
            if self._ids is None:
                self._read_ids()
            if self._weights is None:
                self._read_weights()
            at = self._i
            if values:
                if self._values is None:
                    self._read_values()
                yield self._ids[at:], self._weights[at:], self._values[at:]
            else:
                yield self._ids[at:], self._weights[at:]
            self._next_block()

    def block_ids(self) -> Iterator[tuple[int, ...]]:
        """The documents of each block from here on, without their weights: what a filter needs.
        (Whoosh spells out a block of equal weights, as a filter's are, one posting at a time.)"""
        while self.is_active():
            if self._ids is None:
                self._read_ids()
            yield self._ids[self._i :]
            self._next_block()

    def picked(self, docs: list[int] | None) -> Iterator[Picked]:
        """The postings of each block from here on that holds some of ``docs`` (sorted), for those
        documents only, or every posting if ``docs`` is None. A phrase reads a common word's
        postings where its rarer words are, decodes no other block, and decodes positions only in
        the blocks that still hold a candidate once every word is read."""
        at, wanted = 0, len(docs) if docs is not None else 0
        while (docs is None or at < wanted) and self.is_active():
            if docs is not None and self._maxid < docs[at]:
                self._next_block()
                continue
            if self._ids is None:
                self._read_ids()
            if docs is None:
                found = range(self._i, len(self._ids))
            else:
                end = bisect_right(docs, self._maxid, at)
                found = _found(self._ids, self._i, docs[at:end])
                at = end
            if found:
                if self._weights is None:
                    self._read_weights()
                yield Picked(self, found)
            self._next_block()


def _found(ids: Sequence[int], start: int, wanted: list[int]) -> list[int]:
    """Where ``wanted`` (sorted) stand in ``ids`` from ``start`` on: looked up one by one when they
    are few, else through a table of the block."""
    if len(wanted) * 8 < len(ids) - start:
        found, at, size = [], start, len(ids)
        for doc in wanted:
            at = bisect_left(ids, doc, at)
            if at == size:
                break
            if ids[at] == doc:
                found.append(at)
        return found
    where = dict(zip(ids[start:], range(start, len(ids))))
    return [where[doc] for doc in wanted if doc in where]


class Picked:
    """Some postings of one block: their documents and weights, and their values once asked for.
    A split block keeps its values' bytes until then; any other is decoded as Whoosh decodes it."""

    __slots__ = ("ids", "weights", "_found", "_values", "_rest", "_decode")

    def __init__(self, postings: BlockPostings, found: Sequence[int]) -> None:
        ids, weights = postings._ids, postings._weights
        self.ids = [ids[i] for i in found]
        self.weights = [weights[i] for i in found]
        self._found = found
        fixed = postings._fixedsize
        if postings._values is None and postings._compression & SPLIT and (fixed is None or fixed < 0):
            self._values, self._rest = None, postings._rest
            self._decode = partial(_values_of, compression=postings._compression, count=postings._blocklength, fixed=fixed)
        else:
            if postings._values is None:
                postings._read_values()
            self._values, self._rest, self._decode = postings._values, None, None

    def values(self) -> list:
        if self._values is None:
            self._values = self._decode(self._rest)
            self._rest = None
        values = self._values
        return [values[i] for i in self._found]


class _Segment(W3Segment):
    """A segment whose compound file is read through its memory map.

    Whoosh maps a compound file, then copies every part of it into a ``BytesIO`` when a reader
    opens it, so a search process held a copy of the whole index (350 MB at 100,000 passages)
    before it searched. Here the parts are read from the map, and a search touches the pages it
    needs. The map, taken when the reader opens, keeps the file readable after a merge deletes it."""

    def open_compound_file(self, storage):
        return _MappedCompound(storage.open_file(self.make_filename(self.COMPOUND_EXT)),
                               use_mmap=storage.supports_mmap)


class _MappedCompound(CompoundStorage):
    def open_file(self, name, *args, **kwargs):
        offset, length = self.range(name)
        if self._source:
            return _MappedFile(memoryview(self._source)[offset : offset + length], name=name)
        if not hasattr(self._file, "fileno") or not hasattr(os, "pread"):  # pread: not on Windows
            return super().open_file(name, *args, **kwargs)
        return _PartFile(self._file, offset, length, name=name)


class _MappedFile(BufferFile):
    """Whoosh's ``BufferFile`` without the copy: reads come straight from the memory map."""

    def __init__(self, view: memoryview, name: str | None = None) -> None:
        StructFile.__init__(self, io.BufferedReader(_ViewReader(view)), name=name)
        self._buf = view
        self.is_real = False  # no file descriptor behind it


class _Window(io.RawIOBase):
    """``length`` bytes of something, read from a position of the window's own."""

    def __init__(self, length: int) -> None:
        self._length, self._pos = length, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self._read(max(0, min(len(buffer), self._length - self._pos)))
        buffer[: len(data)] = data
        self._pos += len(data)
        return len(data)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._length}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def tell(self) -> int:
        return self._pos


class _ViewReader(_Window):
    def __init__(self, view: memoryview) -> None:
        super().__init__(len(view))
        self._view = view

    def _read(self, size: int) -> memoryview:
        return self._view[self._pos : self._pos + size]


PART_BUFFER = 64 * 1024


class _PartFile(StructFile):
    """One part of a compound file read without a memory map (as merges read), with a read-ahead
    buffer of its own. Whoosh's parts share the file's one buffer and position: a merge reads
    several parts of each segment in turn, so nearly every read moved the position away and became
    two system calls (5% of the CPU time of indexing 105,000 passages)."""

    def __init__(self, file, offset: int, length: int, name: str | None = None) -> None:
        super().__init__(io.BufferedReader(_PartReader(file, offset, length), PART_BUFFER), name=name)
        self.is_real = False  # no file descriptor of its own


class _PartReader(_Window):
    """``length`` bytes of a file from ``offset``, read with ``pread``, which moves no shared position."""

    def __init__(self, file, offset: int, length: int) -> None:
        super().__init__(length)
        self._file, self._offset = file, offset

    def _read(self, size: int) -> bytes:
        # The descriptor asked for at each read: a closed file raises, where a kept number could
        # by then name another file.
        return os.pread(self._file.fileno(), size, self._offset + self._pos) if size else b""


class _PerDocReader(W3PerDocReader):
    """Whoosh asks whether a field has a column by looking for its file, once per document and
    field when it merges segments (370,000 ``stat`` calls for the CACM collection); a segment's
    files never change, so the answer is kept."""

    def has_column(self, fieldname: str) -> bool:
        known = self.__dict__.setdefault("_has_column", {})
        if fieldname not in known:
            known[fieldname] = super().has_column(fieldname)
        return known[fieldname]

    def length_bytes(self, fieldname: str) -> bytes:
        """Every passage's length in a field, one byte each in Whoosh's encoding (0: none), read once
        per segment: BM25 needs a length for every match, and Whoosh's lookup takes five calls."""
        known = self.__dict__.setdefault("_length_bytes", {})
        if fieldname not in known:
            column = self._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
            # A fixed-width column stops at its last non-zero value; the rest are zero.
            data = b"" if column is None else column._dbfile.get(column._basepos, column._count)
            known[fieldname] = data.ljust(self._doccount, b"\0")
        return known[fieldname]


class _StreamedMerges(SegmentWriter):
    """Merges that stream, as Lucene's do. Whoosh copies every posting of the segments it merges into
    its sorting pool and sorts them all again (about 2.9 ms a passage). But each segment's terms are
    stored in order, and a segment added later gets higher document numbers: walking the segments'
    terms together, and each term's postings segment after segment, gives the same postings in the
    same order, with nothing to sort."""

    def add_reader(self, reader) -> None:
        # Whoosh's merges hand over a reader and close it when this returns; the postings are read later.
        self.add_segment(reader.segment())

    def add_segment(self, segment) -> None:
        """Copy a segment's records into this one; its postings are streamed when the segment is finished."""
        self._check_state()
        start = self.docnum
        # Plain file reads: the pages of a memory map count in the merging process' resident memory,
        # as many as the segments merged hold.
        kept = SegmentReader(FileStorage(self.storage.folder, supports_mmap=False, readonly=True), self.schema, segment)
        names = set(self.schema.names()) | {n for n in kept.indexed_field_names() if n in self.schema}
        docmap = self.write_per_doc(names, kept)
        self.__dict__.setdefault("_merging", []).append((kept, start, docmap))
        self._added = True

    def _flush_segment(self) -> None:
        merging = self.__dict__.get("_merging")
        if not merging:
            return super()._flush_segment()
        self.perdocwriter.close()
        lengths = self.per_document_reader() if self.codec.length_stats else None
        postings = _streamed_postings(self.schema, merging)
        if self.pool.fieldnames:  # records added to this writer as well
            postings = heapq.merge(postings, self.pool.iter_postings(), key=_posting_order)
        self.fieldwriter.add_postings(self.schema, lengths, postings)
        self.fieldwriter.close()
        if lengths:
            lengths.close()

    def _close_segment(self) -> None:
        super()._close_segment()
        for reader, _, _ in self.__dict__.pop("_merging", ()):
            reader.close()


def _streamed_postings(schema, merging: list) -> Iterator[tuple]:
    """(field, term, document, weight, value) for every live posting of the segments, in order."""
    terms = heapq.merge(*(_numbered_terms(reader, n) for n, (reader, _, _) in enumerate(merging)))
    for field, text, n, info in terms:
        reader, start, docmap = merging[n]
        postings = reader._terms._codec.postings_reader(reader._terms._postfile, info, schema[field].format)
        blocks = postings.blocks() if isinstance(postings, BlockPostings) else _one_by_one(postings)
        if docmap is None:
            for ids, weights, values in blocks:
                for docnum, weight, value in zip(ids, weights, values):
                    yield field, text, start + docnum, weight, value
        else:
            for ids, weights, values in blocks:  # docmap holds the live records only
                for docnum, weight, value in zip(ids, weights, values):
                    if docnum in docmap:
                        yield field, text, docmap[docnum], weight, value


def _numbered_terms(reader, n: int) -> Iterator[tuple]:
    """A segment's terms in order, with their postings' whereabouts, read in one pass instead of
    one lookup each."""
    schema = reader.schema
    for (field, text), info in reader._terms.items():
        if field in schema:
            yield field, text, n, info


def _one_by_one(postings) -> Iterator[tuple]:
    while postings.is_active():
        yield (postings.id(),), (postings.weight(),), (postings.value(),)
        postings.next()


def _posting_order(posting: tuple) -> tuple:
    return posting[:3]


class _OwnTemporaryFiles(_StreamedMerges):
    """Whoosh keeps every writer's temporary files in one folder per index and removes the folder
    when a writer finishes, under the feet of the others: each of ours has a folder of its own.
    (Whoosh's column writer still uses the shared folder.) The folders are removed at the end of
    the run (``index._remove_temporary_folders``)."""

    def _own_temporary_folder(self, role: str) -> None:
        self._tempstorage = self.storage.temp_storage(
            f"{self.indexname}.{role}-{os.getpid()}-{threading.get_ident()}.tmp")
        self.pool.tempstore = self._tempstorage


class Writer(_OwnTemporaryFiles):
    """The writer of the process that commits. Its commit deletes the segment files that the new
    table of contents does not list, except those of ``spared`` segments: a merge running beside it
    reads some and writes one. (Sparing every unlisted file while a merge ran kept each merged-away
    segment until the end of a long build: 7.5 GB of files for an index of 2.9 GB.)
    Segments are compound files (see ``_Segment``): separate files would be opened lazily, and a
    search running while a merge deleted one would fail."""

    spared: tuple = ()

    def __init__(self, ix, **kwargs) -> None:
        super().__init__(ix, **kwargs)
        self._own_temporary_folder("writer")

    def _commit_toc(self, segments: list) -> None:
        whoosh_index.TOC(self.schema, segments, self.generation).write(self.storage, self.indexname)
        whoosh_index.clean_files(self.storage, self.indexname, self.generation, [*segments, *self.spared])


def writer(target: whoosh_index.Index) -> Writer:
    return Writer(target, limitmb=WRITER_MB, codec=Codec())


class Merger:
    """Merges segments in a thread of the committing process, while the workers go on writing.

    Merging in the commit itself stopped every worker until it was done: two merges of 45,000
    passages took much of the time of indexing 100,000. A merged segment replaces its inputs at
    a later commit, unless one of them lost records meanwhile (an update deleted them), in which
    case it is dropped and the inputs stay."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._thread: threading.Thread | None = None
        self._inputs: tuple[tuple[str, int], ...] = ()
        self._merged = None
        self._error: BaseException | None = None
        self.working: tuple = ()  # the segments a running merge reads and the one it writes

    @property
    def busy(self) -> bool:
        return self._thread is not None

    def start(self, inputs: list) -> None:
        self._inputs = tuple((s.segment_id(), s.deleted_count()) for s in inputs)
        self._merged, self._error = None, None
        merging = WorkerWriter(self.folder, WRITER_MB)  # here, so that its segment is known before it has files
        self.working = (*inputs, merging.newsegment)
        self._thread = threading.Thread(target=self._merge, args=(merging, list(inputs)), daemon=True)
        self._thread.start()

    def _merge(self, merging: WorkerWriter, inputs: list) -> None:
        try:
            for segment in inputs:
                merging.add_segment(segment)
            self._merged = merging.finish()
        except BaseException as exc:  # noqa: BLE001 - raised again in the committing thread
            self._error = exc

    def apply(self, segments: list, wait: bool = False) -> list:
        """``segments`` with a finished merge's inputs replaced by its output."""
        if self._thread is None or (self._thread.is_alive() and not wait):
            return segments
        self._thread.join()
        self._thread, self.working = None, ()
        if self._error is not None:
            raise self._error
        now = {s.segment_id(): s.deleted_count() for s in segments}
        if self._merged is None or any(now.get(name) != deleted for name, deleted in self._inputs):
            return segments
        names = {name for name, _ in self._inputs}
        return [s for s in segments if s.segment_id() not in names] + [self._merged]


def merges(segments: list, factor: int) -> list:
    """Segments to merge: a size tier (1-9 records, 10-99, ...) once it holds ``factor`` segments, as
    Lucene's tiered policy does, and segments that are mostly deleted records. Each record is
    copied about once per tier."""
    tiers: dict[int, list] = {}
    for segment in segments:
        tiers.setdefault(len(str(max(1, segment.doc_count_all()))), []).append(segment)
    chosen = [s for group in tiers.values() if len(group) >= factor for s in group]
    return chosen + [s for s in segments if s not in chosen and s.deleted_count() > s.doc_count_all() // 2]


class WorkerWriter(_OwnTemporaryFiles):
    """A worker's (or a merge's) writer: no lock (the committing process holds the index's), and a
    segment that is finished here but committed by that process."""

    def __init__(self, folder: Path, limit_mb: int) -> None:
        super().__init__(whoosh_index.open_dir(str(folder)), _lk=False, limitmb=limit_mb, codec=Codec())
        self._own_temporary_folder("worker")

    def finish(self):  # -> whoosh.codec.base.Segment | None
        """Finish the segment and return it, for the committing process; None if it is empty."""
        segment = self._finalize_segment() if self._added else None
        if segment is None:
            self._close_segment()
        self._finish()
        return segment


def worker_limit_mb(jobs: int) -> int:
    return max(MIN_WRITER_MB, WRITER_MB // max(1, jobs))


def buffer_full(writer: SegmentWriter) -> bool:
    """Whether a writer's posting buffer is nearly full. Past its limit Whoosh sorts the buffer into
    temporary runs and merges them again when it finishes, which is slower than finishing a segment
    of that size: indexing 10,500 passages in one segment took 58 s with runs and 42 s with a
    segment finished here (the buffer is Whoosh's ``PostingPool``; its size is an estimate)."""
    pool = getattr(writer, "pool", None)
    return bool(pool) and getattr(pool, "currentsize", 0) >= 0.9 * getattr(pool, "limit", float("inf"))


def write_document(writer: SegmentWriter, root: Path, file: Path, mtime_ns: int, size: int, sections: list[Section],
                   record: Metadata, postings: tuple[dict, ...] = ()) -> None:
    """A file's passages and its record (size, mtime and root, so that updates can tell what changed).
    ``postings``: each passage's fields as ``schema.passage_postings`` gives them, else analysed here."""
    first = sections[0]
    languages = Counter(s.language for s in sections)
    for n, s in enumerate(sections):
        texts = postings[n] if postings else schema.passage_postings(s)
        writer.add_document(
            section_id=s.section_id, doc_id=s.doc_id, kind=schema.SECTION, path=s.path, format=s.format,
            language=s.language, analysis=schema.field_language(s.language), title=s.title,
            heading=list(s.heading), text=s.text,
            page_start=s.page_start, page_end=s.page_end, position=s.position,
            **({"year": s.year, "published": str(s.year)} if s.year else {}),
            **texts,
            **_catalogue_fields(s),
        )
    writer.add_document(
        section_id=f"doc:{first.doc_id}", doc_id=first.doc_id, kind=schema.DOCUMENT, path=str(file),
        root=str(Path(os.path.abspath(root))), format=first.format, language=languages.most_common(1)[0][0],
        title=first.title, mtime_ns=mtime_ns, size=size, sections=len(sections), indexed_at=now(),
        metadata=asdict(record),
    )


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _catalogue_fields(s: Section) -> dict:
    values = {"organisation": s.organisations, "country": s.countries, "region": s.regions,
              "type": (s.doc_type,) if s.doc_type else (), "year": (str(s.year),) if s.year else (),
              "language": (s.language,), "doc": (s.doc_id,)}
    facets = schema.FACET_SEPARATOR.join(f"{name}{schema.VALUE_SEPARATOR}{value}"
                                         for name, group in values.items() for value in group)
    return {
        "org": ",".join(s.organisations), "country": ",".join(s.countries), "region": ",".join(s.regions),
        "doctype": s.doc_type, "organisations": list(s.organisations), "countries": list(s.countries),
        "regions": list(s.regions), "doc_type": s.doc_type, "facets": facets.encode("utf-8"),
    }
