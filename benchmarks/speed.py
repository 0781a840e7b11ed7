"""Speed and memory on the mixed corpus: hrhsearch against peers on the same files, in one run.

    python -m pip install -e '.[bench]'
    sudo apt-get install recollcmd poppler-utils     # Recoll, and the PDF filter it uses
    python benchmarks/speed.py

The mixed corpus is ../shared/seeds, ../shared/hrh-docs (its PDFs, texts and the broken PDFs in odd/),
corpus/ and the CACM collection's 3,204 HTML files, copied into benchmarks/work/mixed. Measured, each
as a whole process where it is one, wall time and peak RSS from GNU time:

- ingest + index: ``hrhsearch index`` with ``--jobs`` at its default (all cores) and with ``--jobs 1``;
  ``recollindex`` on the same folder.
- the writing alone, on the same passages: hrhsearch's writer (what ``index`` does after extraction)
  against plain Whoosh and tantivy indexing the same passage texts, so that our overhead shows apart
  from PDF and HTML extraction.
- PDF text extraction: pdfminer.six with hrhsearch's settings and content-stream reader, the same with
  pdfminer's own parser, and pypdfium2, pages per second.
- a search as a whole process, start-up included: ``hrhsearch search`` against ``recollq``, median of 9.

Results go to benchmarks/results/speed.json and the table to stdout; benchmarks/README.md holds the last.

    python benchmarks/speed.py scale 10000 100000    # the scaling runs, by number of sections
    python benchmarks/speed.py scale 1000000 --without-peers   # hrhsearch alone (over an hour here)
    python benchmarks/speed.py peers 1000000 --without-whoosh  # then tantivy, from its passages
    python benchmarks/speed.py process           # the whole-process searches again, on the last index
    python benchmarks/speed.py pdf               # PDF extraction again, on the mixed corpus' files
    python benchmarks/speed.py latency 100000    # every engine's searches again, on the last indexes
    python benchmarks/speed.py recoll 1000000    # Recoll on the generated files, and recollq's searches
    python benchmarks/speed.py optimized 1000000 [--searches-only]   # optimize a copy, then search its one segment

Whole processes run on hrhsearch's compiled bytecode, as pip leaves it after an install.

The scaling runs generate a corpus of Markdown files, 20 sections each, from the sentences of the mixed
corpus (shuffled with a fixed seed, so every run reads the same text), and measure at each size: index
time and peak RSS, index size, query latency (p50/p95/p99 over 1-, 2- and 5-word queries, a phrase and
a query filtered by the same span of years each time and one by a new span each time, each with
snippets and highlights) for hrhsearch, plain Whoosh and tantivy on the same passages, Recoll's
``recollindex`` on the same files, and ``hrhsearch search`` and ``recollq`` as whole processes.
Results go to benchmarks/results/scale.json.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SHARED = REPO.parent / "shared"
WORK = HERE / "work"
RESULTS = HERE / "results"
MIXED = WORK / "mixed"
QUERIES = ("rural retention of nurses", "community health workers", "human resources information system",
           "recursos humanos", "formation continue sages-femmes", "time sharing system")


def mixed_corpus() -> Path:
    """The files, copied once: Recoll and hrhsearch must read exactly the same ones."""
    if MIXED.is_dir():
        return MIXED
    staging = MIXED.with_name("mixed.tmp")
    shutil.rmtree(staging, ignore_errors=True)
    for source, name in ((SHARED / "seeds", "seeds"), (SHARED / "hrh-docs", "hrh-docs"), (REPO / "corpus", "corpus")):
        shutil.copytree(source, staging / name, ignore=shutil.ignore_patterns("README.md", "SOURCES.md", "NOTES.md"))
    with tarfile.open(SHARED / "benchmarks" / "cacm" / "cacm.tar.gz") as archive:
        members = [m for m in archive.getmembers() if m.isfile() and m.name.endswith(".html")]
        archive.extractall(staging / "cacm", members=members, filter="data")
    for folder in staging.rglob("*"):
        if folder.is_dir():
            folder.chmod(0o755)
    for file in staging.rglob("*"):
        if file.is_file():
            file.chmod(0o644)
    staging.rename(MIXED)
    return MIXED


def timed(command: list[str], env: dict | None = None) -> dict:
    """Wall seconds and peak RSS (MB) of a whole process, from GNU time."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
        started = time.perf_counter()
        done = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", report.name, *command], capture_output=True,
                              text=True, env=env, check=False)
        seconds = time.perf_counter() - started
        rss = int(report.read().strip().splitlines()[-1]) / 1024
    if done.returncode not in (0, 3):
        raise SystemExit(f"{command[0]} failed ({done.returncode}): {done.stderr[-2000:]}")
    return {"seconds": round(seconds, 2), "peak_rss_mb": round(rss, 1), "stdout": done.stdout}


def corpus_size(folder: Path) -> dict:
    files = [f for f in folder.rglob("*") if f.is_file()]
    return {"files": len(files), "mb": round(sum(f.stat().st_size for f in files) / 1e6, 2),
            "pdf_pages": sum(_pdf_pages(f) for f in files if f.suffix == ".pdf")}


def _pdf_pages(path: Path) -> int:
    import pypdfium2

    try:
        return len(pypdfium2.PdfDocument(path))
    except Exception:  # noqa: BLE001 - encrypted or broken: no pages read
        return 0


# ---- ingest + index as whole processes ----------------------------------------------------------

def hrhsearch_index(folder: Path, jobs: int | None, cpus: int | None = None) -> dict:
    """``hrhsearch index`` as a whole process; ``cpus``: pinned to that many cores with taskset."""
    _compiled()
    index = WORK / f"speed-index-{jobs or 'default'}{f'-cpus{cpus}' if cpus else ''}"
    shutil.rmtree(index, ignore_errors=True)
    pin = ["taskset", "-c", ",".join(map(str, sorted(os.sched_getaffinity(0))[:cpus]))] if cpus else []
    command = [*pin, sys.executable, "-m", "hrhsearch", "index", str(folder), "--index", str(index), "--json"]
    result = timed(command + (["--jobs", str(jobs)] if jobs else []))
    report = json.loads(result.pop("stdout"))
    result.update(sections=report["sections"], files_indexed=report["added"], failed=len(report["failed"]),
                  index_mb=round(_folder_mb(index), 1))
    return result


def recoll_index(folder: Path, config: Path = WORK / "recoll-config") -> dict | None:
    """``recollindex`` on ``folder`` from nothing, its configuration and index in ``config``."""
    if not shutil.which("recollindex"):
        return None
    shutil.rmtree(config, ignore_errors=True)
    config.mkdir(parents=True)
    (config / "recoll.conf").write_text(f"topdirs = {folder}\nfollowLinks = 0\n", "utf-8")
    result = timed(["recollindex", "-c", str(config), "-z"])
    result.pop("stdout")
    result["index_mb"] = round(_folder_mb(config / "xapiandb"), 1)
    return result


def _folder_mb(folder: Path) -> float:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) / 1e6


# ---- the writing alone, on the same passages ----------------------------------------------------

def prepared(folder: Path) -> list:
    """Every file read and sectioned once, outside the clock."""
    from hrhsearch.index import walk
    from hrhsearch.workers import Prepared, prepare

    done = []
    for root, file, problem in walk([folder]):
        result = None if problem else prepare(file)
        if isinstance(result, Prepared):
            done.append((root, file, file.stat(), result))
    return done


def write_hrhsearch(files: list, analysed: bool) -> float:
    """hrhsearch's writing, in one process: each file's records into a segment, finished when its
    buffer is full, as a worker does, and committed once. ``analysed``: with the postings computed
    when the files were read (in the workers, as indexing does); otherwise the text is analysed
    here, as plain Whoosh does."""
    from hrhsearch import segments
    from hrhsearch.index import create_index

    target = WORK / "speed-writer"
    shutil.rmtree(target, ignore_errors=True)
    started = time.perf_counter()
    whoosh = create_index(target).whoosh()
    writer = segments.writer(whoosh)
    for root, file, st, result in files:
        segments.write_document(writer, root, file, st.st_mtime_ns, st.st_size, result.sections, result.metadata,
                                result.postings if analysed else ())
        if segments.buffer_full(writer):
            writer.commit(merge=False)
            writer = segments.writer(whoosh)
    writer.commit(merge=False)
    return time.perf_counter() - started


def write_whoosh(texts: list[str]) -> float:
    from whoosh import fields, index
    from whoosh.analysis import StemmingAnalyzer

    target = WORK / "speed-whoosh"
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    schema = fields.Schema(id=fields.ID(stored=True), text=fields.TEXT(analyzer=StemmingAnalyzer(), stored=True))
    started = time.perf_counter()
    writer = index.create_in(str(target), schema).writer()
    for n, text in enumerate(texts):
        writer.add_document(id=str(n), text=text)
    writer.commit()
    return time.perf_counter() - started


def write_tantivy(texts: list[str]) -> float:
    import tantivy

    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True)
    builder.add_text_field("text", stored=True, tokenizer_name="en_stem")
    target = WORK / "speed-tantivy"
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    started = time.perf_counter()
    idx = tantivy.Index(builder.build(), path=str(target))
    writer = idx.writer()
    for n, text in enumerate(texts):
        writer.add_document(tantivy.Document(id=str(n), text=text))
    writer.commit()
    writer.wait_merging_threads()
    return time.perf_counter() - started


# ---- PDF extraction -------------------------------------------------------------------------------

def pdf_extraction(folder: Path) -> dict:
    """Pages a second: hrhsearch's PDF extraction (pdfminer.six, with its content streams read by
    hrhsearch's reader), the same with pdfminer's own parser and shapes, and pypdfium2's text."""
    import pypdfium2

    from hrhsearch.errors import ExtractionError
    from hrhsearch.ingest import _pdfcontent, pdf

    def hrhsearch_pages(path: Path) -> int:
        try:
            return pdf.extract(path).pages or 0
        except ExtractionError:
            return 0

    def pdfminer_pages(path: Path) -> int:
        reader, device = _pdfcontent.execute, pdf._without_paths
        _pdfcontent.execute, pdf._without_paths = (lambda *args: False), (lambda device_class: device_class)
        try:
            return hrhsearch_pages(path)
        finally:
            _pdfcontent.execute, pdf._without_paths = reader, device

    def pdfium_pages(path: Path) -> int:
        count = 0
        try:
            document = pypdfium2.PdfDocument(path)
            for page in document:
                page.get_textpage().get_text_range()
                count += 1
        except Exception:  # noqa: BLE001 - encrypted or broken
            pass
        return count

    readers = {"pdfminer": hrhsearch_pages, "pdfminer_own_parser": pdfminer_pages, "pypdfium2": pdfium_pages}
    pages = dict.fromkeys(readers, 0)
    seconds = dict.fromkeys(readers, 0.0)
    for path in sorted(folder.rglob("*.pdf")):
        for name, read in readers.items():  # in turn, file by file, so that drift touches each alike
            started = time.perf_counter()
            pages[name] += read(path)
            seconds[name] += time.perf_counter() - started
    return {name: {"pages": pages[name], "seconds": round(seconds[name], 2),
                   "pages_per_second": round(pages[name] / seconds[name], 1) if seconds[name] else None}
            for name in pages}


# ---- a search as a whole process ----------------------------------------------------------------

# The least a Whoosh-based search can do as a process: start Python, import Whoosh, open the index,
# parse the words into one English field and print ten hits with highlights.
PLAIN_WHOOSH_SEARCH = """
import json, sys
from whoosh import index, qparser
folder = json.load(open(sys.argv[1] + "/hrhsearch.json"))["generation"]
ix = index.open_dir(sys.argv[1] + "/" + folder)
with ix.searcher() as s:
    q = qparser.QueryParser("body_en", ix.schema, group=qparser.OrGroup).parse(sys.argv[2])
    for hit in s.search(q, limit=10):
        print(hit["title"], hit.highlights("body_en", text=hit["text"]))
"""


def _compiled() -> None:
    """Write hrhsearch's bytecode, as pip does when it installs a package: otherwise a process would
    compile every module it imports, whenever the environment says not to write bytecode."""
    import compileall

    compileall.compile_dir(REPO / "hrhsearch", quiet=1)


def _search_commands(index: Path) -> dict[str, list[str]]:
    """The whole-process searches of the mixed corpus, by name, with Python doing nothing beside them."""
    query = QUERIES[0]
    return {"hrhsearch": [sys.executable, "-m", "hrhsearch", "search", query, "--index", str(index), "--limit", "10"],
            "plain_whoosh": [sys.executable, "-c", PLAIN_WHOOSH_SEARCH, str(index), query],
            "python": [sys.executable, "-c", "pass"]}


def search_process(index: Path) -> dict:
    _compiled()
    commands = _search_commands(index)
    if shutil.which("recollq"):
        commands["recollq"] = _recollq(WORK / "recoll-config", QUERIES[0])
    runs: dict[str, list] = {name: [] for name in commands}
    for _ in range(9):
        for name, command in commands.items():
            runs[name].append(timed(command))
    return {name: _medians(done) for name, done in runs.items()}


def instructions(index: Path) -> dict:
    """Instructions of each whole-process search, in millions, counted by callgrind: unlike time,
    they do not move with the machine's load. Empty without valgrind."""
    if not shutil.which("valgrind"):
        return {}
    _compiled()
    return {name: _counted(command) for name, command in _search_commands(index).items()}


def _counted(command: list[str]) -> float:
    # A fixed hash seed: set and dict orders, and so a few instructions, depend on it.
    done = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *command],
                          capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": "0"}, check=True)
    (line,) = [line for line in done.stderr.splitlines() if "Collected :" in line]
    return round(int(line.rsplit(":", 1)[1]) / 1e6, 1)


def _recollq(config: Path, query: str) -> list[str]:
    return ["recollq", "-c", str(config), "-n", "10", query]


def _medians(runs: list[dict]) -> dict:
    return {"median_seconds": round(statistics.median(r["seconds"] for r in runs), 3),
            "peak_rss_mb": round(statistics.median(r["peak_rss_mb"] for r in runs), 1)}


def _busy(seconds_of_work: int) -> float:
    started, total = time.perf_counter(), 0
    for n in range(seconds_of_work * 4_000_000):
        total += n % 7
    return time.perf_counter() - started


def parallel_ceiling() -> dict:
    """How much faster two processes of pure Python finish two equal jobs than one process does
    them in turn: the most two cores can give any work here, the peer for --jobs 2 against 1."""
    import multiprocessing

    one = sum(_busy(3) for _ in range(2))
    started = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(2) as pool:
        pool.map(_busy, [3, 3])
    two = time.perf_counter() - started
    return {"one_process_s": round(one, 2), "two_processes_s": round(two, 2), "speedup": round(one / two, 2)}


def main() -> None:
    if not SHARED.is_dir():
        raise SystemExit(f"The shared data is not at {SHARED}; this benchmark needs it.")
    folder = mixed_corpus()
    results: dict = {"corpus": corpus_size(folder)}
    print(f"corpus: {results['corpus']}", file=sys.stderr)
    # Each whole-process run twice, in turn, keeping the faster: this machine's speed drifts by 10-20%
    # over minutes, and one slow moment should not decide a ratio.
    runs = {"recoll": lambda: recoll_index(folder),
            "hrhsearch_jobs_default": lambda: hrhsearch_index(folder, None),
            "hrhsearch_jobs_1": lambda: hrhsearch_index(folder, 1),
            "hrhsearch_one_cpu": lambda: hrhsearch_index(folder, None, cpus=1)}
    for round_ in range(2):
        for name, run in runs.items():
            row = run()
            print(f"{name} (round {round_ + 1}): {row}", file=sys.stderr)
            if row and (name not in results or row["seconds"] < results[name]["seconds"]):
                results[name] = row
    results["parallel_ceiling"] = parallel_ceiling()
    print(f"two cores at most: {results['parallel_ceiling']}", file=sys.stderr)
    files = prepared(folder)
    texts = [f"{s.title}\n{' '.join(s.heading)}\n{s.text}" for *_, result in files for s in result.sections]
    results["writing"] = {"sections": len(texts), "hrhsearch": round(write_hrhsearch(files, analysed=True), 2),
                          "hrhsearch_analysing": round(write_hrhsearch(files, analysed=False), 2),
                          "whoosh": round(write_whoosh(texts), 2), "tantivy": round(write_tantivy(texts), 2)}
    print(f"writing: {results['writing']}", file=sys.stderr)
    results["pdf"] = pdf_extraction(folder)
    print(f"pdf: {results['pdf']}", file=sys.stderr)
    results["search_process"] = search_process(WORK / "speed-index-default")
    results["instructions"] = instructions(WORK / "speed-index-default")
    print(f"search: {results['search_process']} {results['instructions']}", file=sys.stderr)
    results["machine"] = f"{platform.platform()}, Python {platform.python_version()}, {os.cpu_count()} cores"
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "speed.json").write_text(json.dumps(results, indent=2) + "\n", "utf-8")
    print(json.dumps(results, indent=2))


# ---- scaling ------------------------------------------------------------------------------------

SECTIONS_PER_FILE = 20
WORDS_PER_SECTION = 180


def sentence_pool() -> list[str]:
    import re

    files = prepared(mixed_corpus())
    pool = [s for *_, result in files for section in result.sections
            for s in re.split(r"(?<=[.!?])\s+", " ".join(section.text.split()))
            if 6 <= len(s.split()) <= 60 and s.isprintable()]
    return sorted(set(pool))


def generate(sections: int, pool: list[str]) -> Path:
    import random

    folder = WORK / f"scale-{sections}"
    if folder.is_dir():
        return folder
    from hrhsearch import vocabulary

    staging = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    rng = random.Random(sections)
    countries = [c.name for c in vocabulary.countries()]
    publishers = [o.name for o in vocabulary.organisations()]
    for n in range(sections // SECTIONS_PER_FILE):
        lines = [f"---\ntitle: Workforce report {n}\ndate: {rng.randint(2000, 2024)}\n"
                 f"author: {rng.choice(publishers)}\n---\n", f"# Workforce report {n}\n",
                 f"This report is about {rng.choice(countries)}.\n"]
        for k in range(SECTIONS_PER_FILE):
            words, body = 0, []
            while words < WORDS_PER_SECTION:
                sentence = rng.choice(pool)
                body.append(sentence)
                words += len(sentence.split())
            lines.append(f"## Section {k}\n\n{' '.join(body)}\n")
        (staging / f"report-{n:06d}.md").write_text("\n".join(lines), "utf-8")
    staging.rename(folder)
    return folder


def queries(pool: list[str], count: int = 40) -> dict[str, list[str]]:
    import random

    rng = random.Random(7)
    words = [w.strip(".,;:()\"'").lower() for s in pool for w in s.split()]
    common = sorted({w for w in words if len(w) > 4 and w.isalpha()})
    pick = lambda k: [" ".join(rng.sample(common, k)) for _ in range(count)]  # noqa: E731
    phrases = [" ".join(s.split()[2:4]) for s in rng.sample(pool, count)]
    return {"1 word": pick(1), "2 words": pick(2), "5 words": pick(5), "phrase": [f'"{p}"' for p in phrases],
            "filtered": pick(2), "filtered, new spans": pick(2)}


FILTER_SPAN = (2010, 2020)


def filter_spans(kind: str, count: int) -> list[tuple[int, int] | None]:
    """The years each query of ``kind`` is limited to: the same span for "filtered", which hrhsearch
    reads once and keeps (``facets.FILTERS_KEPT``), and a span no other query has for "filtered, new
    spans", whose filter every engine reads afresh."""
    if kind == "filtered":
        return [FILTER_SPAN] * count
    if kind == "filtered, new spans":
        import random

        return random.Random(11).sample([(low, low + width) for low in range(1995, 2016) for width in range(3, 12)], count)
    return [None] * count


def latencies(run, queries_by_kind: dict[str, list[str]]) -> dict[str, dict[str, float]]:
    out = {}
    for kind, texts in queries_by_kind.items():
        times = []
        for text, span in zip(texts, filter_spans(kind, len(texts))):
            started = time.perf_counter()
            run(text, span)
            times.append((time.perf_counter() - started) * 1000)
        times.sort()
        out[kind] = {f"p{q}": round(times[min(len(times) - 1, int(len(times) * q / 100))], 1) for q in (50, 95, 99)}
    return out


def hrhsearch_latency(index: Path, qs: dict) -> dict:
    import hrhsearch

    opened = hrhsearch.open_index(index)
    from hrhsearch.facets import Filters
    from hrhsearch.searching import search

    def run(text: str, span: tuple[int, int] | None) -> None:
        # A query that fails stops the run: a failure timed as a search would pass for a fast one.
        search(opened, text, limit=10, filters=Filters(year="{}..{}".format(*span), lang=("en",)) if span else Filters())

    run("warm up", None)
    return latencies(run, qs)


def whoosh_latency(target: Path, qs: dict) -> dict:
    from whoosh import index, qparser, query

    ix = index.open_dir(str(target))
    searcher = ix.searcher()
    parser = qparser.QueryParser("text", ix.schema, group=qparser.OrGroup)

    def run(text: str, span: tuple[int, int] | None) -> None:
        hits = searcher.search(parser.parse(text), limit=10, filter=query.NumericRange("year", *span) if span else None)
        for hit in hits:
            hit.highlights("text")

    return latencies(run, qs)


def tantivy_latency(target: Path, qs: dict) -> dict:
    import tantivy

    idx = tantivy.Index.open(str(target))
    idx.reload()
    searcher = idx.searcher()
    schema = idx.schema

    def run(text: str, span: tuple[int, int] | None) -> None:
        q = idx.parse_query(text + (" AND year:[{} TO {}]".format(*span) if span else ""), ["text"])
        snippets = tantivy.SnippetGenerator.create(searcher, q, schema, "text")
        for _, address in searcher.search(q, 10).hits:
            snippets.snippet_from_doc(searcher.doc(address)).to_html()

    return latencies(run, qs)


def indexed_passages(index: Path) -> list[tuple[str, int]]:
    """Every passage hrhsearch indexed, as the peers index it: title, heading and text as one text, and
    its year. Read from the stored fields, so the peers hold exactly the same passages; at 1M passages
    this takes a minute, where reading the files again took most of an hour."""
    import hrhsearch
    from hrhsearch import schema

    with hrhsearch.open_index(index).whoosh().reader() as reader:
        return [(f"{d['title']}\n{' '.join(d['heading'])}\n{d['text']}", d.get("year") or 0)
                for _, d in reader.iter_docs() if d["kind"] == schema.SECTION]


def peer_indexes(sections: int, whoosh: bool = True) -> dict:
    """The same passages in plain Whoosh (unless ``whoosh`` is false) and tantivy, with a year to filter on."""
    import tantivy
    from whoosh import fields, index
    from whoosh.analysis import StemmingAnalyzer

    rows = indexed_passages(WORK / f"scale-index-{sections}")
    result = {}
    target = WORK / f"scale-whoosh-{sections}"
    shutil.rmtree(target, ignore_errors=True)
    if whoosh:
        target.mkdir(parents=True)
        schema = fields.Schema(text=fields.TEXT(analyzer=StemmingAnalyzer(), stored=True), year=fields.NUMERIC(stored=True))
        started = time.perf_counter()
        writer = index.create_in(str(target), schema).writer(limitmb=256)
        for text, year in rows:
            writer.add_document(text=text, year=year)
        writer.commit()
        result["whoosh"] = {"seconds": round(time.perf_counter() - started, 1), "index_mb": round(_folder_mb(target), 1)}
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("text", stored=True, tokenizer_name="en_stem")
    builder.add_integer_field("year", stored=True, indexed=True, fast=True)
    ttarget = WORK / f"scale-tantivy-{sections}"
    shutil.rmtree(ttarget, ignore_errors=True)
    ttarget.mkdir(parents=True)
    started = time.perf_counter()
    idx = tantivy.Index(builder.build(), path=str(ttarget))
    twriter = idx.writer()
    for text, year in rows:
        twriter.add_document(tantivy.Document(text=text, year=year))
    twriter.commit()
    twriter.wait_merging_threads()
    result["tantivy"] = {"seconds": round(time.perf_counter() - started, 1), "index_mb": round(_folder_mb(ttarget), 1)}
    result["sections"] = len(rows)
    return result


def search_process_on(index: Path, recoll_config: Path | None = None) -> dict:
    """``hrhsearch search`` as a whole process on a scaling index, median of 5; and ``recollq`` in
    turn with it, where Recoll indexed the same files into ``recoll_config``."""
    _compiled()
    query = "nurses retention"
    recoll = recoll_config is not None and (recoll_config / "xapiandb").is_dir() and shutil.which("recollq")
    process, recollq = [], []
    for _ in range(5):
        process.append(timed([sys.executable, "-m", "hrhsearch", "search", query, "--index", str(index)]))
        if recoll:
            recollq.append(timed(_recollq(recoll_config, query)))
    return {**_medians(process), **({"recollq": _medians(recollq)} if recollq else {})}


def recoll_config_for(size: int) -> Path:
    return WORK / f"recoll-config-{size}"


def recoll_only(sizes: list[int]) -> None:
    """Recoll on the generated files of each size, with recollq's whole-process searches beside
    hrhsearch's: for a size whose hrhsearch index took too long to build again in the same run."""
    path = RESULTS / "scale.json"
    results = json.loads(path.read_text("utf-8"))
    for size in sizes:
        row = results[str(size)]
        row["recoll_index"] = {**recoll_index(WORK / f"scale-{size}", recoll_config_for(size)), "separate_run": True}
        row["search_process"] = search_process_on(WORK / f"scale-index-{size}", recoll_config_for(size))
        print(f"{size}: recoll {row['recoll_index']} {row['search_process']}", file=sys.stderr)
        path.write_text(json.dumps(results, indent=2) + "\n", "utf-8")


def search_latency(size: int, qs: dict) -> dict:
    """Latency of every engine, and ``hrhsearch search`` as whole processes, on the built indexes."""
    index = WORK / f"scale-index-{size}"
    plain, tantivy = WORK / f"scale-whoosh-{size}", WORK / f"scale-tantivy-{size}"
    row = {"latency_ms": {"hrhsearch": hrhsearch_latency(index, qs),
                          **({"whoosh": whoosh_latency(plain, qs)} if plain.is_dir() else {}),
                          **({"tantivy": tantivy_latency(tantivy, qs)} if tantivy.is_dir() else {})}}
    row["search_process"] = search_process_on(index, recoll_config_for(size))
    print(f"{size}: {row['latency_ms']} {row['search_process']}", file=sys.stderr)
    return row


def latency_only(sizes: list[int]) -> None:
    """Measure the searches again on the indexes the last ``scale`` run built."""
    qs = queries(sentence_pool())
    path = RESULTS / "scale.json"
    results = json.loads(path.read_text("utf-8"))
    for size in sizes:
        results[str(size)].update(search_latency(size, qs))
        path.write_text(json.dumps(results, indent=2) + "\n", "utf-8")


def peers_only(sizes: list[int], whoosh: bool = True) -> None:
    """Build the peers' indexes from hrhsearch's existing index of each size, and measure every engine's
    searches again: for a size whose hrhsearch index took too long to build twice."""
    qs = queries(sentence_pool())
    path = RESULTS / "scale.json"
    results = json.loads(path.read_text("utf-8"))
    for size in sizes:
        results[str(size)]["peers_index"] = peer_indexes(size, whoosh)
        print(f"{size}: peers {results[str(size)]['peers_index']}", file=sys.stderr)
        results[str(size)].update(search_latency(size, qs))
        path.write_text(json.dumps(results, indent=2) + "\n", "utf-8")


def optimized(sizes: list[int], again: bool = False) -> None:
    """``hrhsearch optimize`` on a copy of the index of each size, timed, and hrhsearch's searches
    again on the one segment it leaves; kept apart from the figures of the index as built, which
    stays as it was for later searches. ``again``: the searches only, on the copy a previous run
    optimized, keeping that run's optimize figures."""
    qs = queries(sentence_pool())
    path = RESULTS / "scale.json"
    results = json.loads(path.read_text("utf-8"))
    for size in sizes:
        index = WORK / f"scale-index-{size}-optimized"
        if again:
            run = results[str(size)]["optimized"]["optimize"]
        else:
            shutil.rmtree(index, ignore_errors=True)
            shutil.copytree(WORK / f"scale-index-{size}", index)
            run = timed([sys.executable, "-m", "hrhsearch", "optimize", "--index", str(index)])
            run.pop("stdout", None)
        # The index as built and tantivy are searched in the same run, as the ratios' peers.
        tantivy = WORK / f"scale-tantivy-{size}"
        row = {"optimize": run, "latency_ms": {"hrhsearch": hrhsearch_latency(index, qs),
                                               "as_built": hrhsearch_latency(WORK / f"scale-index-{size}", qs),
                                               **({"tantivy": tantivy_latency(tantivy, qs)} if tantivy.is_dir() else {})},
               "search_process": search_process_on(index)}
        print(f"{size} optimized: {row}", file=sys.stderr)
        results[str(size)]["optimized"] = row
        path.write_text(json.dumps(results, indent=2) + "\n", "utf-8")


def scale(sizes: list[int], whoosh: bool = True, peers: bool = True, reuse_peers: bool = False) -> None:
    pool = sentence_pool()
    qs = queries(pool)
    path = RESULTS / "scale.json"
    results = json.loads(path.read_text("utf-8")) if path.is_file() else {}
    for size in sizes:
        folder = generate(size, pool)
        index = WORK / f"scale-index-{size}"
        shutil.rmtree(index, ignore_errors=True)
        _compiled()
        run = timed([sys.executable, "-m", "hrhsearch", "index", str(folder), "--index", str(index), "--json"])
        report = json.loads(run.pop("stdout"))
        row = {"hrhsearch_index": {**run, "sections": report["sections"], "index_mb": round(_folder_mb(index), 1)}}
        recoll = recoll_index(folder, recoll_config_for(size))
        if recoll:
            row["recoll_index"] = recoll
        print(f"{size}: {row}", file=sys.stderr)
        earlier = results.get(str(size), {}).get("peers_index")
        if reuse_peers and earlier and all((WORK / f"scale-{name}-{size}").is_dir() for name in ("whoosh", "tantivy") if name in earlier):
            row["peers_index"] = {**earlier, "built_earlier": True}  # the same passages, indexed by a previous run
        elif peers:
            row["peers_index"] = peer_indexes(size, whoosh)
            print(f"{size}: peers {row['peers_index']}", file=sys.stderr)
        else:
            for name in ("whoosh", "tantivy"):
                shutil.rmtree(WORK / f"scale-{name}-{size}", ignore_errors=True)
        row.update(search_latency(size, qs))
        if "optimized" in results.get(str(size), {}):  # the same passages, optimized after a previous build
            row["optimized"] = {**results[str(size)]["optimized"], "built_earlier": True}
        results[str(size)] = row
        results["machine"] = f"{platform.platform()}, Python {platform.python_version()}, {os.cpu_count()} cores"
        RESULTS.mkdir(exist_ok=True)
        path.write_text(json.dumps(results, indent=2) + "\n", "utf-8")
    print(json.dumps(results, indent=2))


def tables() -> str:
    """The README's tables, from the last results."""
    out = []
    speed = json.loads((RESULTS / "speed.json").read_text("utf-8"))
    c, recoll = speed["corpus"], speed["recoll"]
    out += [f"Mixed corpus: {c['files']} files, {c['mb']} MB, {c['pdf_pages']} PDF pages. {speed['machine']}.", "",
            "| ingest + index | wall s | MB/s | PDF pages/s | passages/s | peak RSS MB | index MB | passages | wall / Recoll |",
            "|---|---|---|---|---|---|---|---|---|"]
    for name, key in (("Recoll (recollindex)", "recoll"), ("hrhsearch, --jobs default (2)", "hrhsearch_jobs_default"),
                      ("hrhsearch, --jobs 1", "hrhsearch_jobs_1"), ("hrhsearch, pinned to one core", "hrhsearch_one_cpu")):
        row = speed.get(key)
        if not row:
            continue
        rate = f"{row['sections'] / row['seconds']:.0f}" if row.get("sections") else ""
        out.append(f"| {name} | {row['seconds']} | {c['mb'] / row['seconds']:.2f} | {c['pdf_pages'] / row['seconds']:.1f} | "
                   f"{rate} | {row['peak_rss_mb']} | {row['index_mb']} | {row.get('sections', '')} | "
                   f"{row['seconds'] / recoll['seconds']:.1f} |")
    default, ceiling = speed["hrhsearch_jobs_default"]["seconds"], speed.get("parallel_ceiling")
    out += ["", "MB/s, PDF pages/s and passages/s are the corpus' size, its PDF pages and the passages indexed, over the "
            "whole run's wall time.", "", f"Two cores against one: --jobs 1 takes {speed['hrhsearch_jobs_1']['seconds'] / default:.2f}× as long as "
            f"--jobs 2, and one pinned core {speed['hrhsearch_one_cpu']['seconds'] / default:.2f}×."
            + (f" For comparison, two processes of pure Python arithmetic finished two equal jobs {ceiling['speedup']}× "
               "as fast as one process doing both: what this machine gave two processes at that moment." if ceiling else "")]
    w = speed["writing"]
    out += ["", f"| writing the same {w['sections']} passages | seconds | / plain Whoosh |", "|---|---|---|"]
    names = {"hrhsearch": "hrhsearch, postings analysed by the workers (the writing process' share)",
             "hrhsearch_analysing": "hrhsearch, analysing the text in the writing process",
             "whoosh": "plain Whoosh (analysing in its one process)", "tantivy": "tantivy"}
    out += [f"| {label} | {w[name]} | {w[name] / w['whoosh']:.2f} |" for name, label in names.items() if name in w]
    p = speed["pdf"]
    out += ["", "| PDF text extraction | pages | seconds | pages/s |", "|---|---|---|---|"]
    pdf_labels = {"pdfminer": "pdfminer, content streams read by hrhsearch (as indexing does)",
                  "pdfminer_own_parser": "pdfminer, its own content parser"}
    out += [f"| {pdf_labels.get(name, name)} | {p[name]['pages']} | {p[name]['seconds']} | {p[name]['pages_per_second']} |"
            for name in p]
    sp, counted = speed["search_process"], speed.get("instructions", {})
    labels = {"hrhsearch": "hrhsearch search", "plain_whoosh": "plain Whoosh: import, open, parse, 10 hits with highlights",
              "python": "Python starting and doing nothing", "recollq": "recollq"}
    out += ["", "| one search as a whole process | median s | peak RSS MB | / plain Whoosh | instructions (millions) |",
            "|---|---|---|---|---|"]
    base = sp.get("plain_whoosh", {}).get("median_seconds")
    for name in sp:
        ratio = f"{sp[name]['median_seconds'] / base:.2f}" if base else ""
        out.append(f"| {labels.get(name, name)} | {sp[name]['median_seconds']} | {sp[name]['peak_rss_mb']} | {ratio} | "
                   f"{counted.get(name, '')} |")
    path = RESULTS / "scale.json"
    if path.is_file():
        scale_results = json.loads(path.read_text("utf-8"))
        sizes = [k for k in scale_results if k.isdigit()]
        out += ["", "| sections | hrhsearch index s | passages/s | peak RSS MB | index MB | plain Whoosh writing s | tantivy s | "
                "Recoll s | Recoll peak RSS MB | / Recoll | search process s | search RSS MB | recollq s |",
                "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for size in sizes:
            r = scale_results[size]
            h, peers, recoll = r["hrhsearch_index"], r.get("peers_index", {}), r.get("recoll_index")
            process = r["search_process"]
            ratio = ("" if not recoll else f"{h['seconds'] / recoll['seconds']:.1f}"
                     + (" (separate runs)" if recoll.get("separate_run") else ""))
            out.append(f"| {h['sections']} | {h['seconds']} | {h['sections'] / h['seconds']:.0f} | {h['peak_rss_mb']} | {h['index_mb']} | "
                       f"{peers.get('whoosh', {}).get('seconds', 'not run')} | "
                       f"{peers.get('tantivy', {}).get('seconds', 'not run')} | "
                       f"{recoll['seconds'] if recoll else 'not run'} | {recoll['peak_rss_mb'] if recoll else ''} | {ratio} | "
                       f"{process['median_seconds']} | {process['peak_rss_mb']} | "
                       f"{process.get('recollq', {}).get('median_seconds', 'not run')} |")
        out += ["", "| sections | query | hrhsearch p50 / p95 / p99 ms | plain Whoosh | tantivy |", "|---|---|---|---|---|"]
        for size in sizes:
            lat = scale_results[size]["latency_ms"]
            for kind in lat["hrhsearch"]:
                cells = _latency_cells(lat, kind, ("hrhsearch", "whoosh", "tantivy"))
                out.append(f"| {scale_results[size]['hrhsearch_index']['sections']} | {kind} | {' | '.join(cells)} |")
        done = [size for size in sizes if "optimized" in scale_results[size]]
        if done:
            out += ["", "| sections, after `hrhsearch optimize` | optimize s | peak RSS MB | query | hrhsearch p50 / p95 / p99 ms | "
                    "as built, same run | tantivy, same run | search process s |", "|---|---|---|---|---|---|---|---|"]
            for size in done:
                o = scale_results[size]["optimized"]
                lat = o["latency_ms"]
                for kind in lat["hrhsearch"]:
                    cells = _latency_cells(lat, kind, ("hrhsearch", "as_built", "tantivy"))
                    out.append(f"| {scale_results[size]['hrhsearch_index']['sections']} | {o['optimize']['seconds']} | "
                               f"{o['optimize']['peak_rss_mb']} | {kind} | {' | '.join(cells)} | "
                               f"{o['search_process']['median_seconds']} |")
    return "\n".join(out)


def _latency_cells(lat: dict, kind: str, engines: tuple[str, ...]) -> list[str]:
    """Each engine's p50 / p95 / p99 for one kind of query, or "not run"."""
    return [" / ".join(str(lat[e][kind][f"p{q}"]) for q in (50, 95, 99)) if kind in lat.get(e, {}) else "not run"
            for e in engines]


if __name__ == "__main__":
    if sys.argv[1:2] == ["table"]:
        print(tables())
    elif sys.argv[1:2] == ["ceiling"]:
        path = RESULTS / "speed.json"
        results = json.loads(path.read_text("utf-8"))
        results["parallel_ceiling"] = parallel_ceiling()
        path.write_text(json.dumps(results, indent=2) + "\n", "utf-8")
        print(results["parallel_ceiling"])
    elif sys.argv[1:2] == ["pdf"]:  # PDF extraction again, on the mixed corpus' files
        path = RESULTS / "speed.json"
        speed = json.loads(path.read_text("utf-8"))
        speed["pdf"] = pdf_extraction(WORK / "mixed")
        print(json.dumps(speed["pdf"], indent=2))
        path.write_text(json.dumps(speed, indent=2) + "\n", "utf-8")
    elif sys.argv[1:2] == ["process"]:  # the mixed corpus' whole-process searches again, on its last index
        path = RESULTS / "speed.json"
        speed = json.loads(path.read_text("utf-8"))
        speed["search_process"] = search_process(WORK / "speed-index-default")
        speed["instructions"] = instructions(WORK / "speed-index-default")
        print(json.dumps({**speed["search_process"], "instructions": speed["instructions"]}, indent=2))
        path.write_text(json.dumps(speed, indent=2) + "\n", "utf-8")
    elif sys.argv[1:2] == ["latency"]:
        latency_only([int(n) for n in sys.argv[2:]] or [10_000])
    elif sys.argv[1:2] == ["optimized"]:
        optimized([int(n) for n in sys.argv[2:] if n.isdigit()], again="--searches-only" in sys.argv)
    elif sys.argv[1:2] == ["recoll"]:
        recoll_only([int(n) for n in sys.argv[2:] if n.isdigit()])
    elif sys.argv[1:2] == ["peers"]:
        peers_only([int(n) for n in sys.argv[2:] if n.isdigit()], whoosh="--without-whoosh" not in sys.argv)
    elif sys.argv[1:2] == ["scale"]:
        sizes = [int(n) for n in sys.argv[2:] if n.isdigit()]
        scale(sizes or [10_000], whoosh="--without-whoosh" not in sys.argv, peers="--without-peers" not in sys.argv,
              reuse_peers="--reuse-peers" in sys.argv)
    else:
        main()
