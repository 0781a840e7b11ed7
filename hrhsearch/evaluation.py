"""Measure ranking against relevance judgments: topics and qrels in, MAP, nDCG and friends out.

Every topic runs through the same parsing and ranking that ``search`` uses. Judgments name
documents, so passages are collapsed to their documents: a document ranks where its best passage
ranks. A document id is the indexed file's name without its suffix (``docid="stem"``), its whole
name (``"name"``) or its absolute path (``"path"``).

The measures are computed by ir-measures, which calls trec_eval's own C code through pytrec_eval,
so the figures are the ones trec_eval and published baselines report. Means are taken over every
judged topic, counting a topic that found nothing as zero (like ``trec_eval -c``).
"""

from __future__ import annotations

import gzip
import html
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .errors import EvaluationError, QueryError
from .index import Index
from .records import DEFAULT_MEASURES, DEPTH, DOCID_KINDS, Ranking
from .searching import rank

ALIASES = {"MAP": "AP", "MRR": "RR", "NDCG@10": "nDCG@10"}

Run = dict[str, list[tuple[str, float]]]  # topic id -> (document id, score), best first


@dataclass(frozen=True)
class Evaluation:
    """Per-topic figures and their means. ``unjudged`` topics were run but have no judgments."""

    measures: tuple[str, ...]
    mean: dict[str, float]
    per_query: dict[str, dict[str, float]]
    queries: int
    unjudged: tuple[str, ...]
    failed: dict[str, str]  # topic id -> why its query could not run (scored as zero)


def read_topics(path: Path | str) -> dict[str, str]:
    """Topics from a TSV file (``id<TAB>query``) or TREC format (``<top>`` with ``<num>`` and
    ``<title>``, or ``<DOC>`` with ``<DOCNO>`` and the query text). ``.gz`` files are read too."""
    text = _read(path, "topics")
    if re.search(r"<top>|<DOC>", text, re.I):
        topics = _trec_topics(text)
    else:
        topics = {}
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            qid, tab, query = line.partition("\t")
            if not tab or not qid.strip() or not query.strip():
                raise EvaluationError(f"{path} line {number}: expected 'topic id<TAB>query', got {line[:60]!r}. "
                                      "Write topics as TSV or in TREC <top> format.")
            topics[qid.strip()] = query.strip()
    if not topics:
        raise EvaluationError(f"{path} holds no topics. Write them as TSV (id<TAB>query) or in TREC <top> format.")
    return topics


def _trec_topics(text: str) -> dict[str, str]:
    topics = {}
    for block in re.findall(r"<top>(.*?)</top>", text, re.I | re.S):
        number = re.search(r"<num>\s*(?:Number:)?\s*(\S+)", block, re.I)
        title = re.search(r"<title>\s*(?:Topic:)?\s*(.*?)\s*(?=<\w+>|$)", block, re.I | re.S)
        if number and title and title.group(1).strip():
            topics[number.group(1)] = " ".join(title.group(1).split())
    for block in re.findall(r"<DOC>(.*?)</DOC>", text, re.I | re.S):
        number = re.search(r"<DOCNO>\s*(\S+?)\s*</DOCNO>", block, re.I)
        body = re.sub(r"<DOCNO>.*?</DOCNO>", " ", block, flags=re.I | re.S)
        if number and body.strip():
            topics[number.group(1)] = " ".join(html.unescape(body).split())
    return topics


def read_qrels(path: Path | str) -> dict[str, dict[str, int]]:
    """TREC qrels: ``topic iteration document grade`` per line; a grade of 0 or less is not relevant."""
    qrels: dict[str, dict[str, int]] = {}
    for number, line in enumerate(_read(path, "qrels").splitlines(), start=1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) != 4 or not re.fullmatch(r"-?\d+", fields[3]):
            raise EvaluationError(f"{path} line {number}: expected 'topic 0 document grade', got {line[:60]!r}.")
        qrels.setdefault(fields[0], {})[fields[2]] = int(fields[3])
    if not qrels:
        raise EvaluationError(f"{path} holds no judgments. Write them as TREC qrels: topic 0 document grade.")
    return qrels


def _read(path: Path | str, what: str) -> str:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise EvaluationError(f"Cannot read the {what} file {path}: {exc.strerror}.") from None
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return data.decode("utf-8", errors="replace")


def document_id(path: str, docid: str = "stem") -> str:
    if docid not in DOCID_KINDS:
        raise EvaluationError(f"Unknown document id kind {docid!r}; use one of: {', '.join(DOCID_KINDS)}.")
    if docid == "path":
        return path
    return Path(path).stem if docid == "stem" else Path(path).name


def run_topics(index: Index, topics: dict[str, str], depth: int = DEPTH, docid: str = "stem",
               ranking: Ranking = Ranking()) -> tuple[Run, dict[str, str]]:
    """Each topic's ranked documents (a document scores as its best passage), and the topics whose
    query could not run, with the reason."""
    run: Run = {}
    failed: dict[str, str] = {}
    for qid, query in topics.items():
        try:
            passages = rank(index, query, limit=depth * 3, ranking=ranking)
        except QueryError as exc:
            failed[qid] = exc.reason
            continue
        seen: dict[str, float] = {}
        for path, score in passages:
            seen.setdefault(document_id(path, docid), score)
        run[qid] = list(seen.items())[:depth]
    return run, failed


def write_run(run: Run, path: Path | str, tag: str = "hrhsearch") -> None:
    """A TREC run file: ``topic Q0 document rank score tag``."""
    with open(path, "w", encoding="utf-8") as out:
        for qid, docs in run.items():
            for position, (doc, score) in enumerate(docs, start=1):
                out.write(f"{qid} Q0 {doc} {position} {score:.6f} {tag}\n")


def measure_names(names: Iterable[str]) -> tuple[str, ...]:
    measures = _ir_measures()
    chosen = []
    for name in names:
        name = ALIASES.get(name.strip(), name.strip())
        try:
            measures.parse_measure(name)
        except Exception:  # noqa: BLE001 - ir-measures raises assorted errors for unknown names
            raise EvaluationError(f"Unknown measure {name!r}. Use names like {', '.join(DEFAULT_MEASURES)} or P@30.") from None
        chosen.append(name)
    return tuple(chosen)


def score(run: Run, qrels: dict[str, dict[str, int]], measures: Iterable[str] = DEFAULT_MEASURES,
          topics: Iterable[str] | None = None, failed: dict[str, str] | None = None) -> Evaluation:
    """Measure a run against judgments over the judged ``topics`` (default: every judged topic)."""
    ir = _ir_measures()
    names = measure_names(measures)
    parsed = {ir.parse_measure(name): name for name in names}
    wanted = [qid for qid in (topics if topics is not None else qrels) if qid in qrels]
    per_query = {qid: dict.fromkeys(names, 0.0) for qid in wanted}
    judged = [ir.Qrel(qid, doc, grade) for qid in wanted for doc, grade in qrels[qid].items()]
    scored = [ir.ScoredDoc(qid, doc, s) for qid in wanted for doc, s in run.get(qid, [])]
    for metric in ir.iter_calc(list(parsed), judged, scored):
        per_query[metric.query_id][parsed[metric.measure]] = float(metric.value)
    mean = {name: sum(q[name] for q in per_query.values()) / len(per_query) if per_query else 0.0 for name in names}
    unjudged = tuple(qid for qid in (topics or ()) if qid not in qrels)
    return Evaluation(names, mean, per_query, len(per_query), unjudged, dict(failed or {}))


def evaluate(index: Index, topics: Path | str, qrels: Path | str, measures: Iterable[str] = DEFAULT_MEASURES,
             depth: int = DEPTH, docid: str = "stem", run_out: Path | str | None = None,
             ranking: Ranking = Ranking()) -> Evaluation:
    """Run every topic in ``topics`` on ``index`` and measure the ranking against ``qrels``."""
    names = measure_names(measures)  # before the topics run, so that a typo fails at once
    topic_map, judgments = read_topics(topics), read_qrels(qrels)
    run, failed = run_topics(index, topic_map, depth=depth, docid=docid, ranking=ranking)
    if run_out:
        write_run(run, run_out)
    return score(run, judgments, names, topics=topic_map, failed=failed)


def _ir_measures():  # -> the ir_measures module
    try:
        import ir_measures
    except ImportError:
        raise EvaluationError("Evaluation needs ir-measures. Install it with: pip install 'hrhsearch[eval]'") from None
    return ir_measures
