"""Read and write files in worker processes, each under a time and memory limit.

A parser that hangs, loops, eats memory or crashes the interpreter takes down one worker, never
the indexing run: the worker is killed or found dead, the file is reported with the reason, and a
fresh worker takes the next file. Results come back as files are done, the slowest handed out first.

With a target index, each worker also writes the files it reads into a segment of its own (see
``segments``). The files a lost worker had written since it last finished a segment are read
again by another, silently: their results were already given.
"""

from __future__ import annotations

import faulthandler
import os
import random
import resource
import signal
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .documents import Metadata, Section
from .errors import ExtractionError, HrhsearchError
from .records import MAX_WORDS, Limits
from .schema import Postings

if TYPE_CHECKING:  # multiprocessing is imported when workers start: searching never needs it
    from multiprocessing.connection import Connection
    from multiprocessing.context import BaseContext


@dataclass(frozen=True)
class Prepared:
    """One file read and sectioned; ``warnings`` name parts of it that could not be read.
    ``postings`` holds each section's text fields, analysed for the index (see ``schema.passage_postings``)."""

    sections: list[Section]
    warnings: tuple[str, ...] = ()
    metadata: Metadata = Metadata()
    postings: tuple[dict[str, Postings], ...] = ()


@dataclass(frozen=True)
class Task:
    """A file to read (and, with a target index, to write), with what its record keeps."""

    path: Path
    root: Path
    mtime_ns: int = 0
    size: int = 0


@dataclass(frozen=True)
class Written:
    """One file read and written into its worker's segment: ``segments`` the worker finished with it."""

    sections: int
    warnings: tuple[str, ...] = ()
    segments: tuple = ()


Result = Prepared | Written | ExtractionError


def prepare(path: Path, passage_words: int = MAX_WORDS) -> Result:
    """Extract and section one file into passages of at most ``passage_words`` words; errors come
    back as values."""
    from .ingest import extract
    from .metadata import annotate, describe
    from .schema import passage_postings
    from .sections import split

    try:
        document = extract(path)
        sections = split(document, max_words=passage_words)
    except ExtractionError as exc:
        return exc
    except MemoryError:
        return ExtractionError(path, "ran out of memory while reading it (raise --max-memory to allow more)")
    except RecursionError:
        return ExtractionError(path, "it is nested too deeply to read")
    if not any(s.text.strip() for s in sections) and document.title in ("", Path(path).stem):
        return ExtractionError(path, "no text found in it")  # a title alone is worth finding
    record = describe(document, sections)
    sections = annotate(sections, record)
    postings = tuple(map(passage_postings, sections))
    return Prepared(sections, document.warnings, record, postings)


def _serve(conn: Connection, parent_end: Connection, memory_mb: int | None, passage_words: int,
           target: str | None, writer_mb: int) -> None:
    parent_end.close()
    parent = os.getppid()
    random.seed()  # forked workers inherit one random state, and would draw the same segment names
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    faulthandler.disable()  # a crash is reported once, by the parent, with the file's name
    if memory_mb:
        ceiling = _address_space() + memory_mb * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (ceiling, ceiling))
    writer = None
    while True:
        try:
            # Sibling workers hold copies of this pipe, so a killed parent need not mean EOF here.
            while not conn.poll(1.0):
                if os.getppid() != parent:
                    return
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        if task == FINISH:
            answer, writer = writer.finish() if writer else None, None
        else:
            answer = prepare(task.path, passage_words)
            if target and isinstance(answer, Prepared):
                answer, writer = _write(answer, task, writer, target, writer_mb)
        if not _reply(conn, answer, None if task == FINISH else task.path):
            return


def _reply(conn: Connection, answer: object, path: Path | None) -> bool:
    """Send ``answer`` to the parent; False when the parent has gone (stopped by Ctrl-C, say),
    which is the parent's to report: a worker's traceback would only bury its message."""
    try:
        try:
            conn.send(answer)
        except MemoryError:
            if path is None:
                raise
            conn.send(ExtractionError(path, "ran out of memory while reading it (raise --max-memory to allow more)"))
    except OSError:  # a broken pipe, or a closed one
        return False
    return True


FINISH = "finish"  # a worker's segment is to be committed: finish it and send it back


def _write(prepared: Prepared, task: Task, writer, target: str, writer_mb: int):
    from .segments import WorkerWriter, buffer_full, write_document

    if writer is None:
        writer = WorkerWriter(Path(target), writer_mb)
    write_document(writer, task.root, task.path, task.mtime_ns, task.size, prepared.sections, prepared.metadata,
                   prepared.postings)
    finished = ()
    if buffer_full(writer):
        finished, writer = (writer.finish(),), None
    return Written(len(prepared.sections), prepared.warnings, finished), writer


def _die_with_parent() -> None:
    """Ask Linux to kill this worker when the parent dies: a killed indexer must not leave workers
    behind that hold copies of its index locks. Elsewhere the worker notices within a second."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _address_space() -> int:
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _preload() -> None:
    # Forked workers share what the parent has loaded, so parsers and language profiles are
    # loaded once per run instead of once per worker; so are the vocabularies.
    from . import ingest, language, metadata, sections  # noqa: F401

    language.preload()
    metadata.preload()


def _context() -> BaseContext:
    # fork, where there is one: spawn and forkserver re-run the caller's main module, which breaks
    # library users whose scripts have no ``if __name__ == "__main__"`` guard.
    import multiprocessing

    return multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")


class _Worker:
    def __init__(self, limits: Limits, passage_words: int, target: Path | None, writer_mb: int) -> None:
        parent, child = _context().Pipe()
        self.process = _context().Process(target=_serve, daemon=True, args=(
            child, parent, limits.memory_mb, passage_words, str(target) if target else None, writer_mb))
        self.process.start()
        child.close()
        self.conn = parent
        self.task: tuple[int, Task, float] | None = None  # (position, task, deadline)
        self.unfinished: list[tuple[int, Task]] = []  # written into its segment, not yet handed over

    def give(self, position: int, task: Task, timeout: float | None) -> None:
        self.conn.send(task)
        self.task = (position, task, time.monotonic() + timeout if timeout else float("inf"))

    def stop(self, kill: bool = False) -> None:
        if kill and self.process.is_alive():
            self.process.kill()
        else:
            try:
                self.conn.send(None)
            except OSError:
                pass
        self.conn.close()
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()


class Workers:
    """Worker processes that read files, and with a ``target`` index folder also write them.

    ``run`` yields a result per task. When ``commit_due()`` says so after a result, it stops
    handing out files, yields what is still being read, has every worker finish its segment and
    calls ``commit(segments)``: so a commit holds every file whose result was yielded before it,
    and no other. It commits once more at the end."""

    def __init__(self, jobs: int | None = None, limits: Limits = Limits(), passage_words: int = MAX_WORDS,
                 target: Path | None = None) -> None:
        from .segments import worker_limit_mb

        self.jobs = jobs or available_cores()
        self.limits, self.passage_words, self.target = limits, passage_words, target
        self.writer_mb = worker_limit_mb(self.jobs)

    def _fresh(self) -> _Worker:
        return _Worker(self.limits, self.passage_words, self.target, self.writer_mb)

    def run(self, tasks: Sequence[Task], commit_due: Callable[[], bool] = lambda: False,
            commit: Callable[[list], None] = lambda segments: None) -> Iterator[tuple[Task, Result]]:
        """(task, result) for every task, as they finish. The slowest files go out first (PDFs, the
        largest first), so that one long file does not run alone at the end while other cores idle."""
        if not tasks:
            return
        _preload()
        workers = [self._fresh() for _ in range(min(self.jobs, len(tasks)))]
        pending = deque(sorted(enumerate(tasks), key=lambda item: _cost(item[1]), reverse=True))
        again: deque[tuple[int, Task]] = deque()  # lost with a worker's segment: read and written again
        done: list[tuple[Task, Result]] = []
        segments: list = []
        given, pausing, ended = 0, False, False
        try:
            while True:
                for worker in workers:
                    if worker.task is None and (again or (pending and not pausing)):
                        position, task = again.popleft() if again else pending.popleft()
                        worker.give(position, task, self.limits.timeout)
                while done:
                    yield done.pop(0)
                    given += 1
                    pausing = pausing or (commit_due() and given < len(tasks))
                if any(w.task is not None for w in workers):
                    workers = self._collect(workers, done, segments, again)
                elif again:
                    continue
                elif given >= len(tasks):
                    break
                elif pausing:  # every file handed out so far is written, and its result given: commit
                    commit(segments + self._finish(workers))
                    segments, pausing = [], False
            commit(segments + self._finish(workers))
            ended = True
        finally:
            # Stopped early (Ctrl-C, an error, a caller that stopped reading): nothing a worker still
            # does would be used, and one finishing a segment could keep the user waiting.
            for worker in workers:
                worker.stop(kill=not ended or worker.task is not None)

    def _finish(self, workers: list[_Worker]) -> list:
        if not self.target:
            return []
        for worker in workers:  # all at once: each finishes its segment on its own core
            worker.conn.send(FINISH)
        finished = []
        for worker in workers:
            try:
                segment = worker.conn.recv()
            except (EOFError, OSError):
                raise HrhsearchError(
                    f"A worker stopped while finishing its part of the index ({_death(worker.process.exitcode, self.limits)}). "
                    "The index is as it was at its last commit; run the command again.") from None
            worker.unfinished.clear()
            if segment is not None:
                finished.append(segment)
        return finished

    def _collect(self, workers: list[_Worker], done: list[tuple[Task, Result]], segments: list,
                 again: deque) -> list[_Worker]:
        """Wait for the first worker to answer, die or run out of time; return the workers to go on with."""
        busy = [w for w in workers if w.task is not None]
        soonest = min(w.task[2] for w in busy)  # type: ignore[index]
        from multiprocessing.connection import wait

        wait([w.conn for w in busy] + [w.process.sentinel for w in busy], timeout=max(0.0, soonest - time.monotonic()))
        kept = [w for w in workers if w.task is None]
        for worker in busy:
            position, task, deadline = worker.task  # type: ignore[misc]
            result = _answer(worker, task.path, deadline, self.limits)
            if result is None:
                kept.append(worker)
                continue
            worker.task = None
            redone = position < 0  # its first result was given already
            if isinstance(result, Written):
                worker.unfinished.append((position, task))
                if result.segments:
                    segments.extend(result.segments)
                    worker.unfinished.clear()
            if not redone:
                done.append((task, result))
            if isinstance(result, _Lost):
                again.extend((p if p < 0 else -1 - p, t) for p, t in worker.unfinished)  # its segment died with it
                worker.stop(kill=True)
                kept.append(self._fresh())
            else:
                kept.append(worker)
        return kept


def _cost(task: Task) -> tuple[bool, int]:
    return task.path.suffix.lower() == ".pdf", task.size


def available_cores() -> int:
    """The cores this process may run on: fewer than the machine has under taskset or a container's
    CPU set, where one worker per machine core would only take turns."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class _Lost(ExtractionError):
    """A file whose worker had to be killed or died; the worker is replaced."""


def _answer(worker: _Worker, path: Path, deadline: float, limits: Limits) -> Result | None:
    try:
        if worker.conn.poll():
            return worker.conn.recv()
    except (EOFError, OSError):
        pass
    if not worker.process.is_alive():
        worker.process.join()
        return _Lost(path, _death(worker.process.exitcode, limits))
    if time.monotonic() >= deadline:
        return _Lost(path, f"reading it took longer than {limits.timeout:g} s, so it was stopped and skipped "
                           "(raise --timeout to allow more)")
    return None


def _death(exitcode: int | None, limits: Limits) -> str:
    if exitcode is not None and exitcode < 0:
        name = signal.Signals(-exitcode).name
        hint = " (out of memory?)" if -exitcode == signal.SIGKILL else ""
        return f"the reader crashed on it ({name}){hint}; it was skipped"
    return f"the reader stopped on it with exit status {exitcode}; it was skipped"
