"""Retrieval quality on classic test collections: hrhsearch against peers, on the same text, in one run.

    python -m pip install -e '.[bench]'
    python benchmarks/quality.py                   # every collection
    python benchmarks/quality.py cacm adi          # some of them

Each collection in ../shared/benchmarks is turned into files that hrhsearch's own ingestors read (CACM
ships as HTML; the SMART collections become one Markdown file per document, title as its heading),
indexed with ``hrhsearch index`` and measured with ``hrhsearch eval``, both run as commands. The peers
index the same documents' text as hrhsearch extracted it, as whole documents:

- tantivy with its English stemmer (``en_stem``) and default BM25 (k1=1.2, b=0.75);
- bm25s with PyStemmer's English stemmer, English stop words and its defaults (Lucene BM25, k1=1.5, b=0.75);
- plain Whoosh BM25F with its defaults, a stemming analyzer and OR-ed query terms.

Every engine's run is scored by the same code (``hrhsearch.evaluation.score``, trec_eval through
ir-measures), over every judged topic. Results go to benchmarks/results/quality.json and the table
to stdout; benchmarks/README.md holds the last results.
"""

from __future__ import annotations

import json
import platform
import re
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared" / "benchmarks"
WORK = HERE / "work"
RESULTS = HERE / "results"
MEASURES = ("AP", "nDCG@10", "P@30", "R@100")
DEPTH = 1000
ANSERINI_CACM = {"AP": 0.3123, "P@30": 0.1942}  # Lucene BM25 k1=0.9 b=0.4, Porter; see ../shared/benchmarks/SOURCES.md


# ---- collections -> files, topics (TSV) and qrels (TREC) -----------------------------------------

def smart_records(path: Path) -> list[dict[str, str]]:
    """Records of a SMART file: ``.I n`` starts one, ``.T``/``.A``/``.B``/``.W``/``.X`` start fields."""
    records: list[dict[str, str]] = []
    field = None
    for line in path.read_text("latin-1").replace("\r\n", "\n").split("\n"):
        start = re.match(r"^\.I\s+(\d+)", line)
        if start:
            records.append({"I": start.group(1)})
            field = None
        elif re.match(r"^\.[TAWBXKNC]\s*$", line.rstrip()) and records:
            field = line.strip()[1]
            records[-1].setdefault(field, "")
        elif field and records:
            records[-1][field] += line.strip() + "\n"
    return records


def prepare_smart(name: str, all_file: str, query_file: str, rel_file: str, qrels_of) -> dict:
    folder = WORK / name
    docs = folder / "docs"
    if not docs.is_dir():
        docs.mkdir(parents=True)
        for record in smart_records(SHARED / name / all_file):
            title = " ".join(record.get("T", "").split())
            body = record.get("W", "").strip()
            (docs / f"{record['I']}.md").write_text(f"# {title}\n\n{body}\n" if title else f"{body}\n", "utf-8")
    queries = smart_records(SHARED / name / query_file)
    topics = folder / "topics.tsv"
    topics.write_text("".join(f"{qid}\t{' '.join(q.get('W', '').split())}\n" for qid, q in _query_ids(name, queries)), "utf-8")
    qrels = folder / "qrels.txt"
    qrels.write_text("".join(f"{q} 0 {d} {g}\n" for q, d, g in qrels_of(SHARED / name / rel_file)), "utf-8")
    return {"docs": docs, "topics": topics, "qrels": qrels}


def _query_ids(name: str, queries: list[dict[str, str]]):
    for position, query in enumerate(queries, start=1):
        # cran.qry numbers its queries 1, 2, 4, 8, ...; cranqrel numbers them 1..225 in order.
        yield (str(position) if name == "cranfield" else str(int(query["I"]))), query


def cranfield_qrels(path: Path):
    for line in path.read_text("latin-1").splitlines():
        if line.split():
            qid, doc, grade = line.split()[:3]
            grade = int(grade)
            yield qid, doc, (5 - grade if 1 <= grade <= 4 else 0)  # 1 is the most relevant; -1 is not relevant


def trec_like_qrels(path: Path):  # MED.REL: qid 0 docid 1
    for line in path.read_text("latin-1").splitlines():
        if line.split():
            qid, _, doc, grade = line.split()[:4]
            yield qid, doc, int(grade)


def pair_qrels(path: Path):  # CISI.REL, ADI.REL: qid docid 0 0.000000; every pair is relevant
    for line in path.read_text("latin-1").splitlines():
        if line.split():
            qid, doc = line.split()[:2]
            yield qid, doc, 1


def prepare_cacm() -> dict:
    folder = WORK / "cacm"
    docs = folder / "docs"
    if not docs.is_dir():
        docs.mkdir(parents=True)
        with tarfile.open(SHARED / "cacm" / "cacm.tar.gz") as archive:
            for member in archive.getmembers():
                if member.isfile() and member.name.endswith(".html"):
                    (docs / Path(member.name).name).write_bytes(archive.extractfile(member).read())
    return {"docs": docs, "topics": SHARED / "cacm" / "topics.cacm.txt", "qrels": SHARED / "cacm" / "qrels.cacm.txt"}


COLLECTIONS = {
    "cacm": prepare_cacm,
    "cranfield": lambda: prepare_smart("cranfield", "cran.all.1400", "cran.qry", "cranqrel", cranfield_qrels),
    "medline": lambda: prepare_smart("medline", "MED.ALL", "MED.QRY", "MED.REL", trec_like_qrels),
    "cisi": lambda: prepare_smart("cisi", "CISI.ALL", "CISI.QRY", "CISI.REL", pair_qrels),
    "adi": lambda: prepare_smart("adi", "ADI.ALL", "ADI.QRY", "ADI.REL", pair_qrels),
}


# ---- engines -------------------------------------------------------------------------------------

def hrhsearch_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hrhsearch", *args], capture_output=True, text=True, check=False)


def run_hrhsearch(name: str, files: dict) -> dict:
    index = WORK / name / "index"
    from hrhsearch.schema import SCHEMA_VERSION

    meta = index / "hrhsearch.json"
    if meta.is_file() and json.loads(meta.read_text("utf-8")).get("schema_version") != SCHEMA_VERSION:
        shutil.rmtree(index)  # built by another version of hrhsearch
    if not meta.is_file():
        built = hrhsearch_cli("index", str(files["docs"]), "--index", str(index), "--json")
        if built.returncode not in (0, 3):
            raise SystemExit(f"indexing {name} failed: {built.stderr}")
    result = hrhsearch_cli("eval", "--topics", str(files["topics"]), "--qrels", str(files["qrels"]), "--index", str(index),
                           "--metrics", ",".join(MEASURES), "--depth", str(DEPTH), "--json")
    if result.returncode != 0:
        raise SystemExit(f"evaluating {name} failed: {result.stderr}")
    return json.loads(result.stdout)["mean"]


def documents_as_extracted(files: dict) -> dict[str, str]:
    """Each document's text as hrhsearch's ingestors read it: the same text for every peer."""
    from hrhsearch.ingest import extract

    texts = {}
    for path in sorted(files["docs"].iterdir()):
        document = extract(path)
        texts[path.stem] = "\n".join([document.title, *(b.text for b in document.blocks)])
    return texts


def query_words(text: str) -> str:
    return " ".join(re.findall(r"\w+", text))


def run_tantivy(texts: dict[str, str], topics: dict[str, str]) -> dict[str, list[tuple[str, float]]]:
    import tantivy

    builder = tantivy.SchemaBuilder()
    builder.add_text_field("docid", stored=True, tokenizer_name="raw")
    builder.add_text_field("body", stored=False, tokenizer_name="en_stem")
    index = tantivy.Index(builder.build())
    writer = index.writer()
    for docid, text in texts.items():
        writer.add_document(tantivy.Document(docid=docid, body=text))
    writer.commit()
    index.reload()
    searcher = index.searcher()
    run = {}
    for qid, text in topics.items():
        words = query_words(text)
        if not words:
            run[qid] = []
            continue
        hits = searcher.search(index.parse_query(words, ["body"]), DEPTH).hits
        run[qid] = [(searcher.doc(address)["docid"][0], score) for score, address in hits]
    return run


def run_bm25s(texts: dict[str, str], topics: dict[str, str]) -> dict[str, list[tuple[str, float]]]:
    import bm25s
    import Stemmer

    stemmer = Stemmer.Stemmer("english")
    ids = list(texts)
    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenize(list(texts.values()), stopwords="en", stemmer=stemmer, show_progress=False),
                    show_progress=False)
    run = {}
    for qid, text in topics.items():
        tokens = bm25s.tokenize([text], stopwords="en", stemmer=stemmer, show_progress=False)
        if not tokens.vocab:
            run[qid] = []
            continue
        docs, scores = retriever.retrieve(tokens, k=min(DEPTH, len(ids)), show_progress=False)
        run[qid] = [(ids[d], float(s)) for d, s in zip(docs[0], scores[0]) if s > 0]
    return run


def run_whoosh(texts: dict[str, str], topics: dict[str, str]) -> dict[str, list[tuple[str, float]]]:
    import tempfile

    from whoosh import fields, index, qparser
    from whoosh.analysis import StemmingAnalyzer

    schema = fields.Schema(docid=fields.ID(stored=True), body=fields.TEXT(analyzer=StemmingAnalyzer()))
    with tempfile.TemporaryDirectory() as folder:
        ix = index.create_in(folder, schema)
        writer = ix.writer()
        for docid, text in texts.items():
            writer.add_document(docid=docid, body=text)
        writer.commit()
        parser = qparser.QueryParser("body", schema, group=qparser.OrGroup)
        run = {}
        with ix.searcher() as searcher:
            for qid, text in topics.items():
                hits = searcher.search(parser.parse(query_words(text)), limit=DEPTH)
                run[qid] = [(hit["docid"], float(hit.score)) for hit in hits]
        return run


PEERS = {"tantivy": run_tantivy, "bm25s": run_bm25s, "whoosh": run_whoosh}


# ---- the run -------------------------------------------------------------------------------------

def evaluate_collection(name: str) -> dict[str, dict[str, float]]:
    from hrhsearch.evaluation import read_qrels, read_topics, score

    files = COLLECTIONS[name]()
    topics, qrels = read_topics(files["topics"]), read_qrels(files["qrels"])
    results = {}
    started = time.perf_counter()
    results["hrhsearch"] = run_hrhsearch(name, files)
    print(f"  {name}: hrhsearch {time.perf_counter() - started:.1f} s", file=sys.stderr)
    texts = documents_as_extracted(files)
    for peer, run in PEERS.items():
        started = time.perf_counter()
        results[peer] = score(run(texts, topics), qrels, MEASURES, topics=topics).mean
        print(f"  {name}: {peer} {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return results


def table(results: dict[str, dict[str, dict[str, float]]]) -> str:
    lines = ["| collection | engine | MAP | nDCG@10 | P@30 | R@100 | MAP / best peer |",
             "|---|---|---|---|---|---|---|"]
    for name, engines in results.items():
        best = max(v["AP"] for k, v in engines.items() if k != "hrhsearch")
        for engine, m in engines.items():
            ratio = f"{m['AP'] / best:.3f}" if engine == "hrhsearch" else ""
            lines.append(f"| {name} | {engine} | {m['AP']:.4f} | {m['nDCG@10']:.4f} | {m['P@30']:.4f} | {m['R@100']:.4f} | {ratio} |")
        if name == "cacm":
            lines.append(f"| cacm | Lucene BM25 (Anserini, published) | {ANSERINI_CACM['AP']:.4f} | | {ANSERINI_CACM['P@30']:.4f} | | |")
    return "\n".join(lines)


def main(names: list[str]) -> None:
    if not SHARED.is_dir():
        raise SystemExit(f"The test collections are not at {SHARED}; this benchmark needs them.")
    results = {}
    for name in names or list(COLLECTIONS):
        results[name] = evaluate_collection(name)
    RESULTS.mkdir(exist_ok=True)
    record = {"machine": f"{platform.platform()}, Python {platform.python_version()}", "results": results}
    (RESULTS / "quality.json").write_text(json.dumps(record, indent=2) + "\n", "utf-8")
    print(table(results))


if __name__ == "__main__":
    main(sys.argv[1:])
