"""The index on disk: reopen, incremental updates, atomic rebuild, locking, versions."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

import hrhsearch
from hrhsearch import index as index_module
from hrhsearch import schema
from hrhsearch.errors import IndexLocked, IndexNotFound, IndexVersionMismatch
from hrhsearch.lock import WriteLock

from .conftest import CORPUS


def titles(index: Path, query: str) -> list[str]:
    return [p.title for p in hrhsearch.search(query, index=index, limit=20)]


def test_build_close_reopen_and_search(tiny_index: Path) -> None:
    reopened = hrhsearch.open_index(tiny_index)
    passages = hrhsearch.search("supportive supervision", index=reopened.path)
    assert passages[0].title == "Retention of Nurses"
    assert passages[0].heading == "Supervision"
    assert passages[0].year == 2020
    assert reopened.stats().documents == 4


def test_second_run_over_unchanged_files_does_nothing(tiny_corpus: Path, tiny_index: Path) -> None:
    before = sorted(os.listdir(hrhsearch.open_index(tiny_index).generation_path))
    report = hrhsearch.build_index([tiny_corpus], index=tiny_index, jobs=1)
    assert (report.added, report.updated, report.unchanged, report.removed, report.sections) == (0, 0, 4, 0, 0)
    assert sorted(os.listdir(hrhsearch.open_index(tiny_index).generation_path)) == before


def test_changed_file_has_its_old_sections_replaced(tiny_corpus: Path, tiny_index: Path) -> None:
    path = tiny_corpus / "migration.html"
    path.write_text("<title>Nurse Migration</title><h1>Return</h1><p>Circular migration schemes bring nurses home.</p>", "utf-8")
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 10**9))
    report = hrhsearch.build_index([tiny_corpus], index=tiny_index, jobs=1)
    assert (report.added, report.updated, report.unchanged) == (0, 1, 3)
    assert titles(tiny_index, "circular") == ["Nurse Migration"]
    assert titles(tiny_index, '"active recruitment"') == []
    assert hrhsearch.stats(tiny_index).documents == 4


def test_deleted_file_has_its_sections_removed_and_new_file_is_added(tiny_corpus: Path, tiny_index: Path) -> None:
    (tiny_corpus / "migration.html").unlink()
    (tiny_corpus / "new.md").write_text("# Workload\n\nWISN measures the staffing need from workload.", "utf-8")
    report = hrhsearch.build_index([tiny_corpus], index=tiny_index, jobs=1)
    assert (report.added, report.removed, report.unchanged) == (1, 1, 3)
    assert titles(tiny_index, "recruitment") == []
    assert titles(tiny_index, "wisn") == ["Workload"]


def test_indexing_one_file_of_a_folder_does_not_remove_its_siblings(tiny_corpus: Path, tiny_index: Path) -> None:
    report = hrhsearch.build_index([tiny_corpus / "retention.md"], index=tiny_index, jobs=1)
    assert report.removed == 0 and report.unchanged == 1
    assert hrhsearch.stats(tiny_index).documents == 4


def test_parallel_and_serial_builds_write_the_same_sections(tiny_corpus: Path, tmp_path: Path) -> None:
    hrhsearch.build_index([tiny_corpus], index=tmp_path / "one", jobs=1)
    hrhsearch.build_index([tiny_corpus], index=tmp_path / "two", jobs=2)
    one, two = hrhsearch.stats(tmp_path / "one"), hrhsearch.stats(tmp_path / "two")
    assert (one.sections, one.sections_by_language) == (two.sections, two.sections_by_language)


def test_rebuild_swaps_in_a_new_generation_and_keeps_results(tiny_index: Path) -> None:
    before = hrhsearch.open_index(tiny_index).meta["generation"]
    expected = titles(tiny_index, "nurses")
    report = hrhsearch.rebuild(tiny_index, jobs=1)
    assert report.added == 4 and report.ok
    assert hrhsearch.open_index(tiny_index).meta["generation"] != before
    assert titles(tiny_index, "nurses") == expected


def test_interrupted_rebuild_leaves_the_old_index_working(tiny_index: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    meta_before = (tiny_index / "hrhsearch.json").read_text()
    expected = titles(tiny_index, "nurses")

    def interrupted_at_second_file(done: int, total: int, path: str) -> None:
        if done == 2:
            raise KeyboardInterrupt  # what Ctrl-C does halfway through a rebuild

    with pytest.raises(KeyboardInterrupt):
        hrhsearch.rebuild(tiny_index, jobs=1, progress=interrupted_at_second_file)
    assert (tiny_index / "hrhsearch.json").read_text() == meta_before
    assert titles(tiny_index, "nurses") == expected
    # and the next rebuild clears the half-written generation and succeeds
    assert hrhsearch.rebuild(tiny_index, jobs=1).ok
    assert titles(tiny_index, "nurses") == expected


def test_a_second_writer_is_refused_with_the_holders_pid(tiny_corpus: Path, tiny_index: Path) -> None:
    with WriteLock(tiny_index):
        with pytest.raises(IndexLocked, match=f"process {os.getpid()}"):
            hrhsearch.build_index([tiny_corpus], index=tiny_index, jobs=1)
        started = time.monotonic()
        with pytest.raises(IndexLocked):
            hrhsearch.build_index([tiny_corpus], index=tiny_index, jobs=1, wait=0.3)
        assert time.monotonic() - started >= 0.3


def test_a_stale_lock_file_is_cleared_and_reported(tiny_corpus: Path, tiny_index: Path) -> None:
    (tiny_index / "write.lock").write_text("999999")  # left by a writer that was killed
    report = hrhsearch.build_index([tiny_corpus], index=tiny_index, jobs=1)
    assert any("stale write lock left by process 999999" in n for n in report.notices)


def test_missing_index_and_wrong_schema_version_say_what_to_do(tmp_path: Path, tiny_index: Path) -> None:
    with pytest.raises(IndexNotFound, match="Build it with: hrhsearch index PATH --index"):
        hrhsearch.search("nurses", index=tmp_path / "nowhere")
    meta = json.loads((tiny_index / "hrhsearch.json").read_text())
    expected = titles(tiny_index, "nurses")
    for version, said in ((0, "has schema version 0; this hrhsearch reads 4, 5 and 6"), (99, "(written by a newer hrhsearch)")):
        (tiny_index / "hrhsearch.json").write_text(json.dumps(meta | {"schema_version": version}))
        with pytest.raises(IndexVersionMismatch, match=r"hrhsearch rebuild --index") as raised:
            hrhsearch.search("nurses", index=tiny_index)
        assert said in str(raised.value)
    # and the rebuild it advises works, from the sources the index recorded
    assert hrhsearch.rebuild(tiny_index, jobs=1).added == 4
    assert titles(tiny_index, "nurses") == expected
    assert json.loads((tiny_index / "hrhsearch.json").read_text())["schema_version"] == schema.SCHEMA_VERSION


@pytest.mark.parametrize("previous", [4, 5])
def test_an_index_of_a_previous_version_is_searched_and_marked_before_it_is_written(tiny_corpus: Path,
                                                                                    tiny_index: Path, previous: int) -> None:
    # Version 4's blocks are Whoosh's own and version 5's pickled; this version reads them, and
    # writes its own beside them only after marking the index 6, which an older hrhsearch then
    # refuses with a clear message.
    meta_file = tiny_index / "hrhsearch.json"
    meta_file.write_text(json.dumps(json.loads(meta_file.read_text()) | {"schema_version": previous}))
    assert titles(tiny_index, "supervision") == ["Retention of Nurses"]
    assert json.loads(meta_file.read_text())["schema_version"] == previous  # searching writes nothing
    (tiny_corpus / "wisn.md").write_text("# Workload\n\nWISN measures the staffing need from workload.", "utf-8")
    assert hrhsearch.build_index([tiny_corpus], index=tiny_index, jobs=1).added == 1
    assert json.loads(meta_file.read_text())["schema_version"] == schema.SCHEMA_VERSION == 6
    meta_file.write_text(json.dumps(json.loads(meta_file.read_text()) | {"schema_version": previous}))
    hrhsearch.optimize(tiny_index)
    assert json.loads(meta_file.read_text())["schema_version"] == 6
    assert titles(tiny_index, "wisn") == ["Workload"]


def test_stats_count_documents_sections_formats_and_languages(tiny_index: Path, tiny_corpus: Path) -> None:
    stats = hrhsearch.stats(tiny_index)
    assert stats.schema_version == schema.SCHEMA_VERSION == 6
    assert stats.documents_by_format == {"html": 1, "markdown": 2, "text": 1}
    assert set(stats.sections_by_language) == {"en", "fr", "es"}
    assert stats.sections == sum(stats.sections_by_format.values())
    assert stats.roots == (str(tiny_corpus),)
    assert stats.updated


def test_bad_files_are_reported_and_the_rest_still_go_in(tiny_corpus: Path, tmp_path: Path) -> None:
    (tiny_corpus / "broken.pdf").write_bytes(b"%PDF-1.4 garbage")
    (tiny_corpus / "binary.txt").write_bytes(b"\x00\x01\x02\x03" * 100)
    (tiny_corpus / "notes.docx").write_bytes(b"PK")
    report = hrhsearch.build_index([tiny_corpus, tmp_path / "missing"], index=tmp_path / "ix", jobs=2)
    failed = {Path(p.path).name: p.reason for p in report.failed}
    assert set(failed) == {"broken.pdf", "binary.txt", "missing"}
    assert "binary data" in failed["binary.txt"]
    assert [Path(p.path).name for p in report.skipped] == ["notes.docx"]
    assert report.added == 4 and not report.ok


def test_default_index_is_built_from_the_bundled_corpus_on_first_use(isolated_default_index: Path) -> None:
    messages: list[str] = []
    path = hrhsearch.ensure_default_index(say=messages.append)
    assert path == isolated_default_index
    assert "building it from the bundled sample corpus" in messages[0]
    assert hrhsearch.stats().documents == 14
    assert hrhsearch.search("rural retention of nurses")[0].path.endswith("rural-retention-nurses.pdf")
    messages.clear()
    hrhsearch.ensure_default_index(say=messages.append)
    assert messages == []


def test_passage_size_is_set_at_creation_and_changed_by_rebuild(tiny_corpus: Path, tmp_path: Path) -> None:
    long = tiny_corpus / "long.md"
    long.write_text("# Long\n\n" + " ".join(f"Sentence {n} about district staffing norms." for n in range(200)), "utf-8")
    index = tmp_path / "index"
    hrhsearch.build_index([tiny_corpus], index=index, passage_words=100)
    sections = lambda: [p for p in hrhsearch.search("staffing", index=index, limit=100) if p.title == "Long"]  # noqa: E731
    assert len(sections()) == 13 and all(len(p.text.split()) <= 100 for p in sections())
    with pytest.raises(hrhsearch.HrhsearchError, match="rebuild --index .* --passage-words 300"):
        hrhsearch.build_index([tiny_corpus], index=index, passage_words=300)
    hrhsearch.rebuild(index=index, passage_words=300)
    assert len(sections()) == 4 and hrhsearch.open_index(index).passage_words == 300


def test_optimize_merges_segments_and_keeps_every_passage(tiny_corpus: Path, tiny_index: Path) -> None:
    for n in range(3):  # each update commits a segment of its own
        (tiny_corpus / f"note-{n}.md").write_text(f"# Note {n}\n\nLocum cover rota number {n}.\n", "utf-8")
        hrhsearch.build_index([tiny_corpus], index=tiny_index)
    before_stats = hrhsearch.stats(tiny_index)
    before, after = hrhsearch.optimize(index=tiny_index)
    assert before > 1 and after == 1
    assert hrhsearch.stats(tiny_index).sections == before_stats.sections
    assert len(hrhsearch.search("locum", index=tiny_index)) == 3
    assert hrhsearch.optimize(index=tiny_index) == (1, 1)


def test_indexing_and_optimize_leave_no_temporary_folders_in_the_index(tiny_corpus: Path, tmp_path: Path) -> None:
    # Whoosh leaves a writer's temporary folder behind when the writer finishes: one per worker.
    index = tmp_path / "index"
    hrhsearch.build_index([tiny_corpus], index=index, jobs=2)
    (tiny_corpus / "note.md").write_text("# Note\n\nLocum cover rota.\n", "utf-8")
    hrhsearch.build_index([tiny_corpus], index=index, jobs=2)
    generation = next(index.glob("gen-*"))
    assert not list(generation.glob("*.tmp")), list(generation.iterdir())
    (generation / "MAIN.worker-1-2.tmp").mkdir()  # as a killed run leaves it
    before, after = hrhsearch.optimize(index=index)
    assert before > 1 and after == 1
    assert not list(generation.glob("*.tmp")), list(generation.iterdir())
    assert len(hrhsearch.search("locum", index=index)) == 1


def test_the_term_table_grows_with_the_words_and_files_not_the_passages(tmp_path: Path) -> None:
    """Whoosh holds a segment's whole term table in memory until the segment is written, in every
    worker and in every merge; a term per passage made that grow with the corpus. Two files of the
    same words in 10 or 60 passages give the same terms, and each passage still has its own id."""
    terms = {}
    for passages in (10, 60):
        docs = tmp_path / f"docs-{passages}"
        docs.mkdir()
        for name in ("a", "b"):
            body = "".join(f"## Part {n % 3}\n\nRural nurses stay where housing is paid.\n\n" for n in range(passages))
            (docs / f"{name}.md").write_text(f"# Retention\n\n{body}", "utf-8")
        index = tmp_path / f"index-{passages}"
        assert hrhsearch.build_index([docs], index=index, jobs=1).sections == 2 * passages
        with hrhsearch.open_index(index).searcher() as searcher:
            terms[passages] = sorted((field, text) for field, text in searcher.reader().all_terms()
                                     if field not in ("doc_id", "path", "root"))
        found = hrhsearch.search("rural nurses", index=index, limit=1000)
        assert len({p.section_id for p in found}) == len(found) == 2 * passages
    assert terms[10] == terms[60]


def test_tiered_merging_bounds_the_segments_and_keeps_every_document(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HRHSEARCH_COMMIT_SECONDS", "0")  # one segment per file, before merging
    docs = tmp_path / "docs"
    docs.mkdir()
    for n in range(25):
        (docs / f"note-{n:02d}.md").write_text(f"# Note {n}\n\nDistrict staffing note number{n}.\n", "utf-8")
    hrhsearch.build_index([docs], index=tmp_path / "index", jobs=1)
    opened = hrhsearch.open_index(tmp_path / "index")
    segments = len(list(opened.whoosh()._segments()))
    assert segments < index_module.MERGE_FACTOR, segments  # 25 commits, merged in tiers of ten
    assert opened.stats().documents == 25
    assert all(hrhsearch.search(f"number{n}", index=tmp_path / "index") for n in range(25))


def test_a_commit_during_a_merge_deletes_stale_files_but_not_the_merge_s(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """While a merge runs beside the commits, each commit must keep the segments it reads and the one
    it writes, and delete what nothing uses: sparing every unlisted file kept each merged-away
    segment until the end of a long build (7.5 GB of files for an index of 2.9 GB)."""
    import threading

    from hrhsearch import segments

    monkeypatch.setenv("HRHSEARCH_COMMIT_SECONDS", "0")  # a segment per file
    docs = tmp_path / "docs"
    docs.mkdir()
    for n in range(6):
        (docs / f"note-{n}.md").write_text(f"# Note {n}\n\nDistrict staffing note number{n}.\n", "utf-8")
    index = tmp_path / "index"
    hrhsearch.build_index([docs], index=index, jobs=1)
    target = hrhsearch.open_index(index).whoosh()
    folder = Path(target.storage.folder)
    inputs = list(target._segments())
    assert len(inputs) > 1

    release = threading.Event()
    add_segment = segments.WorkerWriter.add_segment
    monkeypatch.setattr(segments.WorkerWriter, "add_segment", lambda self, s: release.wait(60) and add_segment(self, s))
    commits = index_module._Commits(target, folder)
    commits.merger.start(inputs)  # held before it reads its first segment
    output = commits.merger.working[-1].segment_id()
    (folder / f"{output}.trm").write_bytes(b"the merge is writing this")
    stale = folder / f"{target.indexname}_stalestalestale01.seg"
    stale.write_bytes(b"a segment that no table of contents lists")
    try:
        commits.commit([])  # a new generation, the merge still running
        names = {f.name.split(".")[0] for f in folder.iterdir()}
        assert not stale.exists()
        assert output in names
        assert all(s.segment_id() in names for s in inputs)
    finally:
        release.set()
    commits.close()  # the merge finishes and replaces its inputs
    names = {f.name.split(".")[0] for f in folder.iterdir()}
    assert not any(s.segment_id() in names for s in inputs)
    assert output in names
    after = hrhsearch.open_index(index)
    assert len(list(after.whoosh()._segments())) == 1
    assert after.stats().documents == 6
    assert [bool(hrhsearch.search(f"number{n}", index=index)) for n in range(6)] == [True] * 6


def test_a_segment_read_without_its_memory_map_gives_the_same_bytes_in_any_order_of_reads(tiny_index: Path) -> None:
    # Merges read segments without a map, each part with a buffer of its own: reads that hop
    # between parts must not disturb one another.
    import random

    from whoosh.filedb.filestore import FileStorage

    from hrhsearch import segments

    opened = hrhsearch.open_index(tiny_index)
    segment = next(iter(opened.whoosh()._segments()))
    folder = str(opened.generation_path)
    mapped = segment.open_compound_file(FileStorage(folder, readonly=True))
    plain = segment.open_compound_file(FileStorage(folder, supports_mmap=False, readonly=True))
    names = sorted(mapped.list())
    parts = {name: (mapped.open_file(name), plain.open_file(name)) for name in names}
    assert len(names) > 3
    assert all(type(p) is segments._PartFile for _, p in parts.values()) or not hasattr(os, "pread")
    # Plain reads of the whole part, as Whoosh would give them.
    for name, (_, part) in parts.items():
        start, length = plain.range(name)
        with open(Path(folder) / segment.make_filename(segment.COMPOUND_EXT), "rb") as whole:
            whole.seek(start)
            assert part.get(0, length) == whole.read(length)
    rng = random.Random(7)
    for _ in range(3000):
        name = rng.choice(names)
        a, b = parts[name]
        length = plain.file_length(name)
        position, size = rng.randrange(length), rng.choice((1, 4, 8, 100, 70_000))
        if rng.random() < 0.5:
            assert a.get(position, size) == b.get(position, size)
        else:  # a position, then reads that follow on from it
            a.seek(position), b.seek(position)
            assert a.read(size) == b.read(size) and a.read(3) == b.read(3) and a.tell() == b.tell()
    plain.close()
    with pytest.raises(ValueError):  # closed with its file: no read from a stale descriptor
        parts[names[0]][1].get(0, 1 + 2 * segments.PART_BUFFER)
    mapped.close()


def test_a_streamed_merge_writes_the_same_segment_as_whoosh_sorting_every_posting(tmp_path: Path) -> None:
    from whoosh.reading import SegmentReader
    from whoosh.writing import SegmentWriter

    from hrhsearch import segments

    docs, index = tmp_path / "docs", tmp_path / "index"
    docs.mkdir()
    samples = sorted(p for p in CORPUS.iterdir() if p.suffix in (".md", ".txt", ".html"))[:9]
    for batch in (samples[:5], samples[5:]):  # a segment each
        for sample in batch:
            (docs / sample.name).write_bytes(sample.read_bytes())
        hrhsearch.build_index([docs], index=index, jobs=1)
    changed = docs / samples[2].name  # its old passages are deleted in the first segment
    changed.write_text(changed.read_text("utf-8") + "\n\nA closing note on rural nurses.\n", "utf-8")
    hrhsearch.build_index([docs], index=index, jobs=1)
    opened = hrhsearch.open_index(index)
    inputs = list(opened.whoosh()._segments())
    # Records after a deleted one move down: the merge must renumber them.
    assert len(inputs) == 3 and any(s.deleted_count() and min(s._deleted) < s.doc_count_all() - s.deleted_count() for s in inputs)

    def merged(add_reader) -> SegmentReader:
        writer = segments.WorkerWriter(opened.generation_path, 32)
        for segment in inputs:
            reader = SegmentReader(writer.storage, writer.schema, segment)
            add_reader(writer, reader)
            reader.close()
        return SegmentReader(writer.storage, writer.schema, writer.finish())

    streamed, sorted_by_whoosh = merged(segments.WorkerWriter.add_reader), merged(SegmentWriter.add_reader)
    postings = list(streamed.iter_postings())
    assert len(postings) > 1000 and postings == list(sorted_by_whoosh.iter_postings())
    assert list(streamed.iter_docs()) == list(sorted_by_whoosh.iter_docs())
    assert streamed.doc_count_all() == sum(s.doc_count() for s in inputs)
    for field in ("body_en", "head_en", "body_fr"):
        assert streamed.field_length(field) == sorted_by_whoosh.field_length(field)
        assert [streamed.doc_field_length(n, field) for n in range(streamed.doc_count_all())] == \
               [sorted_by_whoosh.doc_field_length(n, field) for n in range(streamed.doc_count_all())]


def test_an_index_keeps_its_reader_between_searches_until_the_index_changes(tiny_corpus: Path, tiny_index: Path) -> None:
    from hrhsearch.searching import search

    opened = hrhsearch.open_index(tiny_index)
    with opened.searcher() as first:
        reader = first.reader()
    with opened.searcher() as second:
        assert second.reader() is reader and not reader.is_closed
    # another process' update is seen by the next search, through a new reader
    (tiny_corpus / "wisn.md").write_text("# Workload\n\nWISN measures the staffing need from workload.", "utf-8")
    hrhsearch.build_index([tiny_corpus], index=tiny_index, jobs=1)
    assert [p.title for p in search(opened, "wisn")] == ["Workload"]
    with opened.searcher() as third:
        assert third.reader() is not reader
        reader = third.reader()
    # and so is a rebuild, which switches to a new generation folder
    hrhsearch.rebuild(tiny_index, jobs=1)
    assert [p.title for p in search(opened, "wisn")] == ["Workload"]
    assert opened.meta["generation"] == hrhsearch.open_index(tiny_index).meta["generation"]
    with opened.searcher() as fourth:
        assert fourth.reader() is not reader
    opened.close()
    assert [p.title for p in search(opened, "wisn")] == ["Workload"]  # a closed index opens again


def test_threads_searching_one_index_each_get_their_own_reader(tiny_index: Path) -> None:
    import threading

    from hrhsearch.searching import search

    opened = hrhsearch.open_index(tiny_index)
    queries = ["nurses", "supervision", "sages-femmes", "recruitment", "capacitación"] * 4
    expected = [[p.section_id for p in search(opened, q)] for q in queries]
    found: dict[int, list] = {}
    readers: dict[int, object] = {}
    all_done = threading.Barrier(4, timeout=60)

    def run(n: int) -> None:
        found[n] = [[p.section_id for p in search(opened, q)] for q in queries]
        with opened.searcher() as searcher:
            readers[n] = searcher.reader()
        all_done.wait()  # every thread's reader is alive until all have looked

    threads = [threading.Thread(target=run, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(found[n] == expected for n in range(4))
    assert len({id(reader) for reader in readers.values()}) == 4


def test_search_by_path_keeps_a_few_indexes_open_and_sees_their_changes(tiny_corpus: Path, tiny_index: Path,
                                                                         tmp_path: Path) -> None:
    assert titles(tiny_index, "wisn") == []
    kept = hrhsearch._KEPT[tiny_index.absolute()]
    (tiny_corpus / "wisn.md").write_text("# Workload\n\nWISN measures the staffing need from workload.", "utf-8")
    hrhsearch.build_index([tiny_corpus], index=tiny_index, jobs=1)
    assert titles(tiny_index, "wisn") == ["Workload"]
    assert hrhsearch._KEPT[tiny_index.absolute()] is kept
    for n in range(hrhsearch.KEPT_INDEXES):
        hrhsearch.build_index([tiny_corpus / "wisn.md"], index=tmp_path / f"other-{n}", jobs=1)
        assert titles(tmp_path / f"other-{n}", "wisn") == ["Workload"]
    assert tiny_index.absolute() not in hrhsearch._KEPT and len(hrhsearch._KEPT) == hrhsearch.KEPT_INDEXES


@pytest.mark.parametrize("older", ["Whoosh's blocks", "pickled split blocks"])
def test_optimize_rewrites_an_older_index_s_blocks_in_this_version_s_format(tiny_corpus: Path, tmp_path: Path, older: str,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from whoosh import formats as whoosh_formats
    from whoosh.codec.whoosh3 import W3PostingsWriter

    from hrhsearch import segments

    def block_kinds(index: Path) -> set[str]:
        kinds = set()
        with hrhsearch.open_index(index).searcher() as searcher:
            for leaf, _ in searcher.leaf_searchers():
                for field, text in leaf.reader().all_terms():
                    raw = leaf.reader().postings(field, text)
                    raw = getattr(raw, "child", raw)
                    if isinstance(raw, segments.BlockPostings):
                        kind = raw._compression
                        kinds.add("arrays" if kind & segments.ARRAYS else "pickled split blocks" if kind & segments.SPLIT
                                  else "Whoosh's blocks")
        return kinds

    index = tmp_path / "older"
    with monkeypatch.context() as patched:
        if older == "Whoosh's blocks":  # hrhsearch 0.5 wrote Whoosh's own blocks, as schema 4
            patched.setattr(segments.Codec, "postings_writer", lambda self, dbfile, byteids=False: W3PostingsWriter(
                dbfile, blocklimit=self._blocklimit, byteids=byteids, compression=self._compression, inlinelimit=1))
            patched.setattr(schema, "SCHEMA_VERSION", 4)
            patched.setattr(schema, "PackedPositions", whoosh_formats.Positions)  # and pickled positions
        else:  # hrhsearch 0.6 pickled the two parts of its split blocks, as schema 5
            patched.setattr(segments.SplitPostingsWriter, "arrays", False)
            patched.setattr(schema, "SCHEMA_VERSION", 5)
        hrhsearch.build_index([tiny_corpus], index=index, jobs=1)
    assert block_kinds(index) == {older}
    expected, phrase = titles(index, "nurses"), titles(index, '"supportive supervision"')
    assert phrase == ["Retention of Nurses"]
    assert hrhsearch.optimize(index) == (1, 1)  # one segment, written again
    assert block_kinds(index) == {"arrays"}
    assert titles(index, "nurses") == expected and titles(index, '"supportive supervision"') == phrase
    # the index keeps the schema it was created with, and its positions are read as they were written
    positions = whoosh_formats.Positions if older == "Whoosh's blocks" else schema.PackedPositions
    assert type(hrhsearch.open_index(index).whoosh().schema["body_en"].format) is positions
    meta = json.loads((index / "hrhsearch.json").read_text())
    assert meta["schema_version"] == 6 and "older_blocks" not in meta
    files = sorted(os.listdir(hrhsearch.open_index(index).generation_path))
    assert hrhsearch.optimize(index) == (1, 1)
    assert sorted(os.listdir(hrhsearch.open_index(index).generation_path)) == files  # nothing left to rewrite


def test_files_added_to_an_index_with_pickled_positions_are_found_by_phrases(tiny_corpus: Path, tmp_path: Path,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """An index created before positions were packed keeps pickling them: the passages this version
    adds to it are written with its own positions, and phrases find them."""
    from whoosh import formats as whoosh_formats

    index = tmp_path / "older"
    with monkeypatch.context() as patched:
        patched.setattr(schema, "PackedPositions", whoosh_formats.Positions)
        hrhsearch.build_index([tiny_corpus], index=index, jobs=1)
    (tiny_corpus / "surgeons.md").write_text("# Surgeons\n\nLocum cover keeps orthopaedic surgeons in district hospitals.\n",
                                             "utf-8")
    report = hrhsearch.build_index([tiny_corpus], index=index, jobs=1)
    assert report.added == 1 and report.ok
    assert type(hrhsearch.open_index(index).whoosh().schema["body_en"].format) is whoosh_formats.Positions
    assert titles(index, '"locum cover"') == titles(index, '"orthopaedic surgeons"') == ["Surgeons"]
    assert titles(index, '"surgeons orthopaedic"') == []
    assert titles(index, '"supportive supervision"') == ["Retention of Nurses"]
