"""hrhsearch: passage search over health-workforce documents.

    >>> import hrhsearch
    >>> report = hrhsearch.build_index(["reports/"], index="indexes/mine")
    >>> for p in hrhsearch.search("rural retention of nurses", index="indexes/mine", limit=5):
    ...     print(p.rank, p.title, p.heading, p.page_start, p.snippet)

Each call opens the index and does one job. ``search`` keeps the last few indexes it searched
open, and before each search checks that the index has not changed since. ``open_index`` gives an
``Index`` object for repeated use. With ``index=None`` the default index is used, built from the
bundled sample corpus on first use.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import (
    EmptyDocument,
    EvaluationError,
    ExtractionError,
    HrhsearchError,
    IndexLocked,
    IndexNotFound,
    IndexVersionMismatch,
    QueryError,
    UnsupportedFormat,
)
from .defaults import MEMORY_MB, TIMEOUT

if TYPE_CHECKING:
    from .documents import Block, Document, Metadata, Section
    from .evaluation import Evaluation
    from .expansion import Expansion
    from .facets import FacetValue, Filters
    from .index import Index, Progress, create_index, open_index
    from .records import Limits, Passage, Ranking
    from .reports import FileProblem, IndexReport, Stats
    from .searching import Results

# Imported on first use, so that ``import hrhsearch`` stays light: the command line sets up its
# process (``lightstart``) before the records' dataclasses or Whoosh are loaded, and the index
# builder is not needed to search.
_LAZY = {
    "Block": "documents", "Document": "documents", "Metadata": "documents", "Section": "documents",
    "DEFAULT_MEASURES": "records", "DEPTH": "records", "Evaluation": "evaluation", "Limits": "records",
    "Passage": "records", "Ranking": "records",
    "Expansion": "expansion", "FacetValue": "facets", "Filters": "facets",
    "FileProblem": "reports", "IndexReport": "reports", "Stats": "reports", "Index": "index", "Progress": "index",
    "create_index": "index", "open_index": "index", "Results": "searching",
}


def __getattr__(name: str) -> object:
    if name not in _LAZY:
        raise AttributeError(f"module 'hrhsearch' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(f".{_LAZY[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__version__ = "0.6.12"

__all__ = [
    "Block",
    "Document",
    "EmptyDocument",
    "Evaluation",
    "EvaluationError",
    "Expansion",
    "ExtractionError",
    "FacetValue",
    "FileProblem",
    "Filters",
    "HrhsearchError",
    "Index",
    "IndexLocked",
    "IndexNotFound",
    "IndexReport",
    "IndexVersionMismatch",
    "Metadata",
    "Passage",
    "Progress",
    "QueryError",
    "Ranking",
    "Results",
    "Section",
    "Stats",
    "UnsupportedFormat",
    "build_index",
    "bundled_corpus",
    "create_index",
    "default_index_path",
    "ensure_default_index",
    "evaluate",
    "open_index",
    "optimize",
    "rebuild",
    "search",
    "stats",
]


def bundled_corpus() -> Path:
    """The sample documents shipped with hrhsearch: the default index is built from them."""
    installed = Path(__file__).resolve().parent / "corpus"  # setup.cfg maps corpus/ there
    return installed if installed.is_dir() else installed.parent.parent / "corpus"


def default_index_path() -> Path:
    """``$HRHSEARCH_INDEX``, or ``indexes/default`` under ``$XDG_DATA_HOME/hrhsearch``
    (``~/.local/share/hrhsearch`` when that is unset)."""
    if os.environ.get("HRHSEARCH_INDEX"):
        return Path(os.environ["HRHSEARCH_INDEX"])
    data = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return data / "hrhsearch" / "indexes" / "default"


def ensure_default_index(say: Callable[[str], None] | None = None) -> Path:
    """Build the default index from the bundled corpus if it is missing or out of date."""
    from .index import create_index, open_index

    path = default_index_path()
    try:
        open_index(path)
        return path
    except IndexVersionMismatch:
        if say:
            say(f"The default index at {path} was built by another version; rebuilding it.")
        shutil.rmtree(path)
    except IndexNotFound:
        pass
    corpus = bundled_corpus()
    if say:
        say(f"No index yet at {path}: building it from the bundled sample corpus ({corpus}).")
    from .ingest import is_supported

    files = sorted(f for f in corpus.iterdir() if is_supported(f) and f.name != "README.md")
    report = create_index(path).update(files)
    if say:
        say(f"Built the default index: {report.added} documents, {report.sections} sections in {report.seconds:.1f} s.")
    return path


def _resolve(index: Path | str | None) -> Path:
    return Path(index) if index is not None else ensure_default_index()


def build_index(
    paths: Iterable[Path | str],
    index: Path | str | None = None,
    *,
    jobs: int | None = None,
    progress: Progress | None = None,
    wait: float = 0,
    timeout: float | None = TIMEOUT,
    max_memory_mb: int | None = MEMORY_MB,
    follow_links: bool = False,
    passage_words: int | None = None,
) -> IndexReport:
    """Index files and folders into ``index`` (created if needed), incrementally.

    Each file is read in a worker process that is stopped after ``timeout`` seconds or when it
    needs more than ``max_memory_mb``; such a file is reported in ``IndexReport.failed`` and the run
    goes on. ``None`` lifts a limit. ``passage_words`` sets the passage size of a new index.
    """
    from .index import create_index
    from .records import Limits

    target = Path(index) if index is not None else default_index_path()
    return create_index(target, passage_words).update(paths, jobs=jobs, progress=progress, wait=wait,
                                       limits=Limits(timeout, max_memory_mb), follow_links=follow_links)


Values = str | Iterable[str] | None


def search(query: str, index: Path | str | None = None, *, limit: int = 10, lang: Values = None,
           country: Values = None, region: Values = None, org: Values = None, type: Values = None,
           year: str | int | None = None, facets: bool = False, expand: bool = True,
           ranking: Ranking | None = None) -> Results:
    """Ranked passages for ``query`` (Whoosh syntax or a plain question), best first.

    ``lang``, ``country``, ``region``, ``org`` and ``type`` keep passages with one of the values
    given (a string or a list); ``year`` is a year or a span, ``"2015..2020"``. ``facets=True``
    counts each facet's values over all matches. ``expand=False`` turns off the HRH thesaurus.
    ``ranking`` sets BM25's k1 and b and the weight of title and heading matches (``Ranking()``'s
    defaults when ``None``). The result is a
    sequence of ``Passage`` s that also carries ``total``, ``expansions``, ``facets`` and ``suggestion``."""
    from .facets import Filters
    from .records import Ranking
    from .searching import search as _search

    filters = Filters(country=_values(country), region=_values(region), org=_values(org), type=_values(type),
                      lang=_values(lang), year=str(year) if year is not None else None)
    return _search(_kept_open(_resolve(index)), query, limit=limit, ranking=ranking or Ranking(), filters=filters,
                   facets=facets, expand=expand)


# The indexes ``search`` opened lately, kept with their readers for the next search: each search still
# checks that its index has not changed, and opening one again costs more than the search itself.
_KEPT: dict[Path, Index] = {}
KEPT_INDEXES = 4


def _kept_open(path: Path) -> Index:
    from .index import open_index

    key = path.absolute()
    kept = _KEPT.pop(key, None) or open_index(path)
    _KEPT[key] = kept  # the most recent last
    while len(_KEPT) > KEPT_INDEXES:
        _KEPT.pop(next(iter(_KEPT))).close()
    return kept


def _values(value: Values) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def rebuild(index: Path | str | None = None, *, jobs: int | None = None, progress: Progress | None = None,
            wait: float = 0, timeout: float | None = TIMEOUT, max_memory_mb: int | None = MEMORY_MB,
            follow_links: bool = False, passage_words: int | None = None) -> IndexReport:
    """Re-index every recorded source beside the live index, then swap the new one in; with
    ``passage_words``, cut passages to that many words from now on."""
    from .index import Index
    from .records import Limits

    # An index of another schema version can be rebuilt: that is what its error message advises.
    return Index(_resolve(index), any_version=True).rebuild(
        jobs=jobs, progress=progress, wait=wait, limits=Limits(timeout, max_memory_mb), follow_links=follow_links,
        passage_words=passage_words)


def optimize(index: Path | str | None = None, *, wait: float = 0) -> tuple[int, int]:
    """Merge the index's segments into one; returns the segment counts before and after."""
    from .index import open_index
    from .index import optimize as _optimize

    return _optimize(open_index(_resolve(index)), wait=wait)


def stats(index: Path | str | None = None) -> Stats:
    from .index import open_index

    return open_index(_resolve(index)).stats()


def evaluate(
    topics: Path | str,
    qrels: Path | str,
    index: Path | str | None = None,
    *,
    measures: Iterable[str] | None = None,
    depth: int | None = None,
    docid: str = "stem",
    run_out: Path | str | None = None,
    ranking: Ranking | None = None,
) -> Evaluation:
    """Run every topic through ``search``'s ranking and measure it against TREC qrels.

    ``docid`` says how a judged document id maps to an indexed file: its name without the suffix
    (``"stem"``), its whole name (``"name"``) or its absolute path (``"path"``). ``run_out`` writes
    the run in TREC format. ``measures`` and ``depth`` default to ``DEFAULT_MEASURES`` and ``DEPTH``.
    Needs ``pip install 'hrhsearch[eval]'``."""
    from .evaluation import DEFAULT_MEASURES, DEPTH
    from .evaluation import evaluate as _evaluate
    from .index import open_index
    from .records import Ranking

    return _evaluate(open_index(_resolve(index)), topics, qrels, measures=DEFAULT_MEASURES if measures is None else measures,
                     depth=DEPTH if depth is None else depth, docid=docid, run_out=run_out, ranking=ranking or Ranking())
