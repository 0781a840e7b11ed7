"""The index on disk: open it, update it from files, rebuild it atomically, describe it.

An index directory holds ``hrhsearch.json`` (the schema version and which generation is live),
one or more ``gen-NNNNNN/`` Whoosh indexes, and ``write.lock``. Updates are Whoosh commits inside
the live generation, which are atomic: a killed writer leaves the last commit readable. A rebuild
writes a new generation beside the live one and then switches ``hrhsearch.json`` with one
``os.replace``, so an interrupted rebuild leaves the old index in place.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Self

from whoosh import index as whoosh_index

from . import schema, segments
from .errors import (
    ExtractionError,
    HrhsearchError,
    IndexNotFound,
    IndexVersionMismatch,
    UnsupportedFormat,
)
from .lock import WriteLock
from .records import MAX_WORDS, Limits, Ranking
from .scoring import BM25

if TYPE_CHECKING:
    from .reports import FileProblem, IndexReport, Stats

META = "hrhsearch.json"
# A long run commits about this often, so that a killed run keeps what it wrote before. Each commit
# makes a segment that merges copy again later, so committing after every few files is slow: writing
# the mixed benchmark corpus took 18.5 s with a commit every 200 files and 9.6 s with one commit.
COMMIT_SECONDS = 60.0
MERGE_FACTOR = 10  # segments of one size tier that are merged into one
OPEN_ATTEMPTS = 5
MIN_PASSAGE_WORDS, MAX_PASSAGE_WORDS = 30, 5000


# Called after each file that had to be read: (files done, files to do, path).
Progress = Callable[[int, int, str], None]


def exists(index: Path | str) -> bool:
    return (Path(index) / META).is_file()


def _read_meta(index: Path, any_version: bool = False) -> dict:
    try:
        meta = json.loads((index / META).read_text("utf-8"))
    except FileNotFoundError:
        raise IndexNotFound(index) from None
    except (OSError, ValueError) as exc:
        raise HrhsearchError(f"The index at {index} is unreadable ({exc}). Rebuild it with: hrhsearch rebuild --index {index}") from None
    if meta.get("schema_version") not in schema.READABLE_VERSIONS and not any_version:
        raise IndexVersionMismatch(index, meta.get("schema_version"), schema.READABLE_VERSIONS)
    return meta


def _write_meta(index: Path, meta: dict) -> None:
    """Write ``meta``, marked with this version's schema: whatever writes it has written the index."""
    meta["schema_version"] = schema.SCHEMA_VERSION
    tmp = index / f"{META}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(meta, indent=2), "utf-8")
    os.replace(tmp, index / META)


def _now() -> str:
    return segments.now()


class Index:
    """An hrhsearch index directory. ``open_index`` and ``create_index`` make one."""

    def __init__(self, path: Path | str, *, any_version: bool = False) -> None:
        """``any_version``: open an index of a schema this version cannot search, to rebuild it."""
        self.path = Path(path)
        self.meta = _read_meta(self.path, any_version)
        self.notices: list[str] = []  # said by the next update's report, e.g. a stale lock cleared
        self._kept = threading.local()  # each thread's reader, kept between its searches

    @property
    def passage_words(self) -> int:
        """The most words in one passage, chosen when the index was created or last rebuilt."""
        return int(self.meta.get("passage_words", MAX_WORDS))

    @property
    def generation_path(self) -> Path:
        return self.path / self.meta["generation"]

    def whoosh(self) -> whoosh_index.Index:
        # A writer committing, or a rebuild switching generations, can delete the files an opening
        # reader has just chosen; reading the newest state again is then the right answer.
        for attempt in range(OPEN_ATTEMPTS):
            try:
                return whoosh_index.open_dir(str(self.generation_path))
            except (FileNotFoundError, whoosh_index.EmptyIndexError):
                if attempt == OPEN_ATTEMPTS - 1:
                    raise
                time.sleep(0.02 * (attempt + 1))
                self.meta = _read_meta(self.path)
        raise AssertionError("unreachable")

    def searcher(self, ranking: Ranking = Ranking()):  # -> whoosh.searching.Searcher
        """A searcher on the index as it stands now. Its reader is kept for this thread's next search
        and opened again only when the index has changed (a commit or a rebuild, by any process):
        opening one reads every segment's tables, about 20 ms at 100,000 passages in 13 segments."""
        from whoosh.searching import Searcher

        return Searcher(self._reader(), weighting=BM25(ranking.k1, ranking.b), closereader=False)

    def _reader(self):  # -> whoosh.reading.IndexReader
        kept = getattr(self._kept, "opened", None)
        if kept is not None:
            generation, ix, reader = kept
            try:
                if _read_meta(self.path)["generation"] == generation and ix.latest_generation() == reader.generation():
                    return reader
            except FileNotFoundError:  # the generation was switched and removed meanwhile
                pass
        self.meta = _read_meta(self.path)
        ix = self.whoosh()
        reader = ix.reader()
        self._kept.opened = (self.meta["generation"], ix, reader)
        return reader  # the one replaced is not closed: a searcher of this thread may still use it

    def close(self) -> None:
        """Close the reader this thread kept between searches; the next search opens one again."""
        kept = getattr(self._kept, "opened", None)
        self._kept.opened = None
        if kept is not None:
            kept[2].close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def documents(self) -> dict[str, dict]:
        """The recorded source files: path -> stored fields of its document record."""
        with self.whoosh().searcher() as searcher:
            return {fields["path"]: fields for fields in searcher.documents(kind=schema.DOCUMENT)}

    def stats(self) -> Stats:
        from .reports import Stats  # a search never needs the reports

        by_format: Counter[str] = Counter()
        docs_by_format: Counter[str] = Counter()
        by_language: Counter[str] = Counter()
        roots: set[str] = set()
        with self.whoosh().searcher() as searcher:
            for fields in searcher.all_stored_fields():
                if fields["kind"] == schema.SECTION:
                    by_format[fields["format"]] += 1
                    by_language[fields["language"]] += 1
                else:
                    docs_by_format[fields["format"]] += 1
                    roots.add(fields["root"])
        size = _folder_size(self.generation_path)
        return Stats(
            index=str(self.path),
            schema_version=self.meta["schema_version"],
            generation=self.meta["generation"],
            documents=sum(docs_by_format.values()),
            sections=sum(by_format.values()),
            documents_by_format=dict(sorted(docs_by_format.items())),
            sections_by_format=dict(sorted(by_format.items())),
            sections_by_language=dict(by_language.most_common()),
            roots=tuple(sorted(roots)),
            updated=self.meta.get("updated", ""),
            size_bytes=size,
        )

    def _following_links(self, asked: bool) -> bool:
        """An index once asked to follow links keeps doing so, so that updates and rebuilds
        reproduce what it was built from. Recorded in ``meta``, written with the next change."""
        if asked:
            self.meta["follow_links"] = True
        return bool(self.meta.get("follow_links"))

    def update(self, paths: Iterable[Path | str], *, jobs: int | None = None, progress: Progress | None = None,
               wait: float = 0, limits: Limits = Limits(), follow_links: bool = False) -> IndexReport:
        """Index files and folders (recursively): add new files, re-index changed ones, drop the
        sections of files gone from a folder given here, and leave unchanged files alone.

        Each file is read and written in a worker process under ``limits``; ``jobs`` workers run at
        once (default: one per core this process may use). Symbolic links inside the folders are
        skipped unless ``follow_links``; an index once built with it keeps following links, in
        updates and rebuilds alike."""
        from .reports import IndexReport

        with WriteLock(self.path, wait=wait) as lock:
            report = IndexReport(index=str(self.path), notices=self.notices + lock.notices)
            self.notices = []
            self.meta = _read_meta(self.path)
            _claim(self)
            remember = follow_links and not self.meta.get("follow_links")
            _update(self, [Path(p) for p in paths], self.whoosh(), report, jobs, progress, limits,
                    self._following_links(follow_links))
            if report.added or report.updated or report.removed or remember:
                self.meta["updated"] = _now()
                _write_meta(self.path, self.meta)
        return report

    def rebuild(self, *, jobs: int | None = None, progress: Progress | None = None, wait: float = 0,
                limits: Limits = Limits(), follow_links: bool = False, passage_words: int | None = None) -> IndexReport:
        """Re-index every recorded source root into a new generation, then switch to it; with
        ``passage_words``, cut passages to that size from now on."""
        from .reports import IndexReport

        with WriteLock(self.path, wait=wait) as lock:
            self.meta = _read_meta(self.path, any_version=True)
            if passage_words:
                self.meta["passage_words"] = _checked_passage_words(passage_words)
            roots = _recorded_roots(self)
            number = int(self.meta["generation"].split("-")[1]) + 1
            new = f"gen-{number:06d}"
            shutil.rmtree(self.path / new, ignore_errors=True)
            (self.path / new).mkdir()
            fresh = whoosh_index.create_in(str(self.path / new), schema.build())
            report = IndexReport(index=str(self.path), notices=lock.notices)
            _update(self, [Path(r) for r in roots], fresh, report, jobs, progress, limits,
                    self._following_links(follow_links), check_existing=False)
            old = self.meta["generation"]
            self.meta.update(generation=new, updated=_now())
            self.meta.pop("older_blocks", None)
            _write_meta(self.path, self.meta)
            _remove_stale_generations(self.path, keep={new, old})
        return report


def _claim(index: Index) -> None:
    """Mark an index this version's before writing to it: an older hrhsearch then says it cannot
    read the index, instead of failing on blocks it does not know. Its segments written before
    keep Whoosh's blocks (read as they are) until ``optimize`` rewrites them."""
    if index.meta.get("schema_version") != schema.SCHEMA_VERSION:
        index.meta["older_blocks"] = True
        _write_meta(index.path, index.meta)


def _recorded_roots(index: Index) -> list[str]:
    try:
        return sorted(index.stats().roots)
    except HrhsearchError:
        raise
    except Exception as exc:  # noqa: BLE001 - an index of another version, read as far as it goes
        raise HrhsearchError(
            f"Cannot read which folders the index at {index.path} was built from ({type(exc).__name__}: {exc}). "
            f"Index them again into a new index: hrhsearch index FOLDER --index NEW_INDEX") from None


def optimize(index: Index, wait: float = 0) -> tuple[int, int]:
    """Merge the live generation's segments into one, which makes searches faster after many
    incremental updates; one segment written by hrhsearch 0.6.5 or earlier is written again in
    this version's blocks. Returns the segment counts (before, after)."""
    with WriteLock(index.path, wait=wait):
        index.meta = _read_meta(index.path)
        _claim(index)
        whoosh = index.whoosh()
        before = len(whoosh._segments())
        if before > 1 or (before and index.meta.get("older_blocks")):
            segments.writer(whoosh).commit(optimize=True)
            _remove_temporary_folders(Path(whoosh.storage.folder))
        if index.meta.pop("older_blocks", None):
            _write_meta(index.path, index.meta)
        return before, len(index.whoosh()._segments())


def _folder_size(folder: Path) -> int:
    total = 0
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return 0  # a rebuild switched generations and removed this one meanwhile
    for entry in entries:
        try:
            total += entry.stat().st_size if entry.is_file() else 0
        except FileNotFoundError:
            pass  # a writer's commit removed it since the listing
    return total


def create_index(path: Path | str, passage_words: int | None = None) -> Index:
    """Create an empty index at ``path`` (or return the one already there). ``passage_words`` (default
    300) is the most words in one passage; changing it later takes ``rebuild(passage_words=...)``."""
    path = Path(path)
    if exists(path):
        index = Index(path)
        if passage_words and passage_words != index.passage_words:
            raise HrhsearchError(
                f"The index at {path} cuts passages at {index.passage_words} words. To change that, run: "
                f"hrhsearch rebuild --index {path} --passage-words {passage_words}")
        return index
    path.mkdir(parents=True, exist_ok=True)
    with WriteLock(path) as lock:
        if not exists(path):
            generation = "gen-000001"
            shutil.rmtree(path / generation, ignore_errors=True)
            (path / generation).mkdir()
            whoosh_index.create_in(str(path / generation), schema.build())
            _write_meta(path, {"schema_version": schema.SCHEMA_VERSION, "generation": generation,
                               "created": _now(), "updated": _now(),
                               "passage_words": _checked_passage_words(passage_words or MAX_WORDS)})
    index = Index(path)
    index.notices.extend(lock.notices)
    return index


def _checked_passage_words(words: int) -> int:
    if not MIN_PASSAGE_WORDS <= words <= MAX_PASSAGE_WORDS:
        raise HrhsearchError(f"Passages must be {MIN_PASSAGE_WORDS} to {MAX_PASSAGE_WORDS} words long, not {words}.")
    return words


def open_index(path: Path | str) -> Index:
    return Index(path)


def _remove_stale_generations(index: Path, keep: set[str]) -> None:
    # The previous generation is kept one round so that searches already open on it can finish.
    for child in index.glob("gen-*"):
        if child.name not in keep:
            shutil.rmtree(child, ignore_errors=True)


def walk(paths: Iterable[Path], follow_links: bool = False) -> Iterator[tuple[Path, Path, str | None]]:
    """(root, file, problem) for every file under the given paths, in a stable order. ``problem`` is
    why a file is left out: a symbolic link (unless ``follow_links``), a broken or looping link, or
    something that is not a regular file. Links are never followed into a loop."""
    for root in paths:
        root = Path(os.path.abspath(root))
        if not root.is_dir():
            yield root, root, _not_a_file(root, root, True)
            continue
        seen: set[tuple[int, int]] = set()
        for folder, dirs, files in os.walk(root, followlinks=follow_links):
            st = os.stat(folder)
            if (st.st_dev, st.st_ino) in seen:
                dirs.clear()
                continue
            seen.add((st.st_dev, st.st_ino))
            for name in sorted(d for d in dirs if not d.startswith(".")):
                link = Path(folder) / name
                if os.path.islink(link) and not follow_links:
                    yield root, link, f"a link to a folder ({os.readlink(link)}); pass --follow-links to index through links"
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(files):
                if not name.startswith("."):
                    file = Path(folder) / name
                    yield root, file, _not_a_file(root, file, follow_links)


def _not_a_file(root: Path, file: Path, follow_links: bool) -> str | None:
    try:
        mode = os.lstat(file).st_mode
    except OSError as exc:
        return f"cannot read it: {exc.strerror}"
    if stat.S_ISLNK(mode):
        if not follow_links and file != root:
            return f"a symbolic link ({os.readlink(file)}); pass --follow-links to index the files links point to"
        try:
            mode = os.stat(file).st_mode
        except OSError as exc:
            return f"a broken or looping symbolic link ({exc.strerror})"
    if stat.S_ISDIR(mode):
        return None if file == root else "a folder reached through a link"
    if not stat.S_ISREG(mode):
        return "not a regular file (a pipe, socket or device); skipped so that reading it cannot hang"
    return None


def _update(index: Index, paths: list[Path], target: whoosh_index.Index, report: IndexReport,
            jobs: int | None, progress: Progress | None, limits: Limits, follow_links: bool,
            check_existing: bool = True) -> None:
    from .ingest import is_supported
    from .reports import FileProblem
    from .workers import Task, Workers  # searching never needs them

    started = time.perf_counter()
    for path in paths:
        if not path.exists():
            report.failed.append(FileProblem(str(path), "no such file or folder (or a broken link)"))
    known = index.documents() if check_existing else {}
    todo: list[tuple[Path, Path, os.stat_result]] = []
    seen: set[str] = set()
    for root, file, problem in walk((p for p in paths if p.exists()), follow_links):
        seen.add(str(file))
        if problem:
            report.skipped.append(FileProblem(str(file), problem))
            continue
        if not is_supported(file):
            report.skipped.append(FileProblem(str(file), f"unsupported format {file.suffix or '(no suffix)'!r}"))
            continue
        try:
            st = file.stat()
        except OSError as exc:
            report.failed.append(FileProblem(str(file), f"cannot read it: {exc.strerror}"))
            continue
        old = known.get(str(file))
        if old and old["mtime_ns"] == st.st_mtime_ns and old["size"] == st.st_size:
            report.unchanged += 1
        else:
            todo.append((root, file, st))
    gone = [p for p in known if p not in seen and any(_is_under(p, root) for root in paths if root.exists())]
    if not todo and not gone:
        report.seconds = time.perf_counter() - started
        return  # nothing changed: leave the index files untouched
    folder = Path(target.storage.folder)
    _remove_temporary_folders(folder)  # left by a killed run
    commits = _Commits(target, folder)
    tasks = [Task(file, root, st.st_mtime_ns, st.st_size) for root, file, st in todo]
    try:
        for path in gone:
            commits.writer().delete_by_term("doc_id", known[path]["doc_id"])
            report.removed += 1
        results = Workers(jobs, limits, index.passage_words, target=folder).run(tasks, commits.due, commits.commit)
        for n, (task, result) in enumerate(results, start=1):  # to its end, where the last commit is
            if progress:
                progress(n, len(tasks), str(task.path))
            if isinstance(result, ExtractionError):
                target_list = report.skipped if isinstance(result, UnsupportedFormat) else report.failed
                target_list.append(FileProblem(str(task.path), result.cause))
                continue
            report.warnings.extend(FileProblem(str(task.path), warning) for warning in result.warnings)
            previous = known.get(str(task.path))
            if previous:
                commits.writer().delete_by_term("doc_id", previous["doc_id"])
            report.sections += result.sections
            report.updated += bool(previous)
            report.added += not previous
        commits.close()
    except BaseException:
        commits.cancel()
        raise
    _remove_temporary_folders(folder)
    for problems in (report.skipped, report.failed, report.warnings):
        problems.sort(key=lambda problem: problem.path)  # files finish in any order; report them in one
    report.seconds = time.perf_counter() - started


class _Commits:
    """The committing side of an indexing run: deletions go into a writer opened when first needed;
    each commit adds the workers' finished segments and a merge that finished beside them, and
    starts the next merge."""

    def __init__(self, target: whoosh_index.Index, folder: Path) -> None:
        self.target, self.merger = target, segments.Merger(folder)
        self.every, self.last = commit_seconds(), time.monotonic()
        self._writer: segments.Writer | None = None

    def writer(self) -> segments.Writer:
        if self._writer is None:
            self._writer = segments.writer(self.target)
        return self._writer

    def due(self) -> bool:
        return time.monotonic() - self.last >= self.every

    def commit(self, finished: list, wait: bool = False) -> None:
        if finished or self._writer is not None or self.merger.busy:
            current = self.writer()
            current.segments = self.merger.apply(current.segments + finished, wait=wait)
            if not wait and not self.merger.busy and (chosen := segments.merges(current.segments, MERGE_FACTOR)):
                self.merger.start(chosen)
            current.spared = self.merger.working  # a running merge's files, which the new table may not list
            current.commit(merge=False)
        self._writer, self.last = None, time.monotonic()

    def close(self) -> None:
        """Commit what is left (deletions alone, when no file was read), with the last merge."""
        self.commit([], wait=True)

    def cancel(self) -> None:
        if self._writer is not None and not self._writer.is_closed:  # an interrupt can land between commits
            self._writer.cancel()


def _remove_temporary_folders(folder: Path) -> None:
    """The writers' temporary folders. Whoosh leaves one, empty, for every writer that finished (each
    worker's, and its column writers' shared one) and full ones when a run is killed. Called under
    the write lock, when no writer of this index is left running."""
    for stale in folder.glob("*.tmp"):
        if stale.is_dir():
            shutil.rmtree(stale, ignore_errors=True)


def commit_seconds() -> float:
    """How often a long indexing run commits: ``COMMIT_SECONDS``, or the environment's
    ``HRHSEARCH_COMMIT_SECONDS`` (0 commits after every file)."""
    value = os.environ.get("HRHSEARCH_COMMIT_SECONDS")
    try:
        return max(0.0, float(value)) if value else COMMIT_SECONDS
    except ValueError:
        raise HrhsearchError(f"HRHSEARCH_COMMIT_SECONDS must be a number of seconds, not {value!r}.") from None


def _is_under(path: str, root: Path) -> bool:
    root_str = os.path.abspath(root)
    return path == root_str or path.startswith(root_str.rstrip(os.sep) + os.sep)
