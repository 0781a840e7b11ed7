"""``hrhsearch eval``: hand-made judgments over the tiny corpus, with every figure worked out by hand.

Topic 1 "supportive supervision" finds only retention.md (two of its passages match: they must count
as one document). Judged relevant: retention (found at rank 1) and migration (not found).
    AP = (1/1) / 2 = 0.5   RR = 1   P@10 = 1/10   R@100 = 1/2
    nDCG@10 = (1/log2 2) / (1/log2 2 + 1/log2 3) = 1 / 1.63093 = 0.61315
Topic 2 "recruitment" finds only migration.html; judged relevant: retention only. Every measure is 0.
Topic 3 "sages-femmes" finds only formation.md, judged relevant with grade 2.
    AP = 1   RR = 1   P@10 = 0.1   R@100 = 1   nDCG@10 = 1
Topic 4 "housing" has no judgments: it is run but not counted.
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import hrhsearch
from hrhsearch.cli import main
from hrhsearch.errors import EvaluationError

TOPICS = "1\tsupportive supervision\n2\trecruitment\n3\tsages-femmes\n4\thousing\n"
QRELS = "1 0 retention 1\n1 0 migration 1\n2 0 retention 1\n3 0 formation 2\n"
PER_QUERY = {
    "1": {"AP": 0.5, "nDCG@10": 1 / (1 + 1 / 1.584962500721156), "P@10": 0.1, "R@100": 0.5, "RR": 1.0},
    "2": {"AP": 0.0, "nDCG@10": 0.0, "P@10": 0.0, "R@100": 0.0, "RR": 0.0},
    "3": {"AP": 1.0, "nDCG@10": 1.0, "P@10": 0.1, "R@100": 1.0, "RR": 1.0},
}


@pytest.fixture
def judgments(tmp_path: Path) -> tuple[Path, Path]:
    topics, qrels = tmp_path / "topics.tsv", tmp_path / "qrels.txt"
    topics.write_text(TOPICS, "utf-8")
    qrels.write_text(QRELS, "utf-8")
    return topics, qrels


def test_measures_match_the_hand_worked_figures(tiny_index: Path, judgments) -> None:
    result = hrhsearch.evaluate(*judgments, index=tiny_index)
    assert result.queries == 3 and result.unjudged == ("4",)
    for qid, expected in PER_QUERY.items():
        assert result.per_query[qid] == pytest.approx(expected, abs=1e-4), qid
    assert result.mean == pytest.approx({
        "AP": 0.5, "nDCG@10": (0.61315 + 1) / 3, "P@10": 0.2 / 3, "R@100": 0.5, "RR": 2 / 3,
    }, abs=1e-4)


def test_run_file_lists_documents_not_passages(tiny_index: Path, judgments, tmp_path: Path) -> None:
    hrhsearch.evaluate(*judgments, index=tiny_index, run_out=tmp_path / "run.txt")
    lines = [line.split() for line in (tmp_path / "run.txt").read_text().splitlines()]
    assert [(q, d, r) for q, _, d, r, _, _ in lines if q == "1"] == [("1", "retention", "1")]
    assert all(tag == "hrhsearch" and z == "Q0" for _, z, _, _, _, tag in lines)


def test_document_ids_can_be_file_names(tiny_index: Path, tmp_path: Path) -> None:
    (tmp_path / "t.tsv").write_text("1\tsupportive supervision\n", "utf-8")
    (tmp_path / "q.txt").write_text("1 0 retention.md 1\n", "utf-8")
    assert hrhsearch.evaluate(tmp_path / "t.tsv", tmp_path / "q.txt", index=tiny_index).mean["AP"] == 0
    by_name = hrhsearch.evaluate(tmp_path / "t.tsv", tmp_path / "q.txt", index=tiny_index, docid="name")
    assert by_name.mean["AP"] == 1


def test_trec_topic_formats_and_gzip_are_read(tiny_index: Path, tmp_path: Path, judgments) -> None:
    trec = tmp_path / "topics.trec.gz"
    trec.write_bytes(gzip.compress(b"<top>\n<num> Number: 1\n<title> supportive supervision\n<desc> Description:\n"
                                   b"Anything.\n</top>\n<top>\n<num> 3\n<title>sages-femmes\n</top>\n"))
    docs = tmp_path / "topics.docs"
    docs.write_text("<DOC>\n<DOCNO> 1 </DOCNO>\n supportive\nsupervision?\n</DOC>\n", "utf-8")
    from hrhsearch.evaluation import read_topics

    assert read_topics(trec) == {"1": "supportive supervision", "3": "sages-femmes"}
    assert read_topics(docs) == {"1": "supportive supervision?"}
    result = hrhsearch.evaluate(trec, judgments[1], index=tiny_index, measures=["MAP", "MRR"])
    # Only topics that were run count: topic 2 is judged but not in this topics file.
    assert result.measures == ("AP", "RR") and result.queries == 2 and "2" not in result.per_query
    assert result.mean == {"AP": 0.75, "RR": 1.0}


@pytest.mark.parametrize(
    "topics, qrels, measures, message",
    [
        ("1 no tab here\n", QRELS, None, "line 1: expected 'topic id<TAB>query'"),
        (TOPICS, "1 retention 1\n", None, "line 1: expected 'topic 0 document grade'"),
        (TOPICS, "1 0 retention yes\n", None, "line 1"),
        ("", QRELS, None, "holds no topics"),
        (TOPICS, QRELS, ["MAP@@"], "Unknown measure"),
    ],
)
def test_bad_inputs_say_what_is_wrong(tiny_index: Path, tmp_path: Path, topics, qrels, measures, message) -> None:
    (tmp_path / "t").write_text(topics, "utf-8")
    (tmp_path / "q").write_text(qrels, "utf-8")
    with pytest.raises(EvaluationError, match=message):
        hrhsearch.evaluate(tmp_path / "t", tmp_path / "q", index=tiny_index, **({"measures": measures} if measures else {}))


def test_the_command_s_own_process_evaluates_as_the_library_does(tiny_index: Path, judgments) -> None:
    # The command runs with lightstart's stand-ins, which the library never has.
    command = [sys.executable, "-m", "hrhsearch", "eval", "--topics", str(judgments[0]), "--qrels", str(judgments[1]),
               "--index", str(tiny_index), "--json"]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    expected = hrhsearch.evaluate(judgments[0], judgments[1], index=tiny_index)
    assert json.loads(done.stdout)["mean"] == pytest.approx(expected.mean)


def test_cli_prints_the_table_and_json(tiny_index: Path, judgments, tmp_path: Path) -> None:
    args = ["eval", "--topics", str(judgments[0]), "--qrels", str(judgments[1]), "--index", str(tiny_index)]
    table = CliRunner().invoke(main, [*args, "--per-query"])
    assert table.exit_code == 0, table.output
    rows = {line.split()[0]: line.split()[1:] for line in table.output.splitlines() if len(line.split()) == 6}
    assert rows["topic"] == ["AP", "nDCG@10", "P@10", "R@100", "RR"]
    assert rows["1"] == ["0.5000", "0.6131", "0.1000", "0.5000", "1.0000"]
    assert rows["mean"] == ["0.5000", "0.5377", "0.0667", "0.5000", "0.6667"]
    assert "1 topics have no judgments" in table.output
    as_json = json.loads(CliRunner().invoke(main, [*args, "--json", "--metrics", "MAP,P@30"]).output)
    assert as_json["measures"] == ["AP", "P@30"] and as_json["mean"]["AP"] == pytest.approx(0.5)
    missing = CliRunner().invoke(main, ["eval", "--topics", str(tmp_path / "nope"), "--qrels", str(judgments[1]),
                                        "--index", str(tiny_index)])
    assert missing.exit_code == 1 and "Cannot read the topics file" in missing.output
