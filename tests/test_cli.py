"""Every command through click's CliRunner, and the error cases in one table."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import hrhsearch
from hrhsearch import schema
from hrhsearch.cli import main
from hrhsearch.lock import WriteLock

from .conftest import CORPUS

JSON_KEYS = {"rank", "score", "path", "title", "heading", "page_start", "page_end", "language", "snippet", "text", "section_id"}


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def test_index_prints_a_summary(tiny_corpus: Path, tmp_path: Path) -> None:
    result = run("index", str(tiny_corpus), "--index", str(tmp_path / "ix"), "--jobs", "1")
    assert result.exit_code == 0, result.output
    assert "4 added, 0 updated, 0 unchanged, 0 removed, 0 skipped, 0 failed;" in result.output
    again = run("index", str(tiny_corpus), "--index", str(tmp_path / "ix"))
    assert "0 added, 0 updated, 4 unchanged" in again.output


def test_index_json_report_and_exit_3_when_files_fail(tiny_corpus: Path, tmp_path: Path) -> None:
    (tiny_corpus / "bad.pdf").write_bytes(b"not a pdf at all")
    result = run("index", str(tiny_corpus), "--index", str(tmp_path / "ix"), "--json")
    assert result.exit_code == 3
    report = json.loads(result.stdout)
    assert report["added"] == 4 and not report["ok"]
    assert [Path(f["path"]).name for f in report["failed"]] == ["bad.pdf"]


def test_search_prints_ranked_passages(tiny_index: Path) -> None:
    result = run("search", "supportive", "supervision", "--index", str(tiny_index))
    assert result.exit_code == 0
    first = result.stdout.split("\n\n")[0]
    assert first.startswith("1. Retention of Nurses  (score ")
    assert "\u00a7 Supervision" in first and "\x1b[" not in first, "no colour when not on a terminal"


def test_search_json_is_one_object_with_the_passages(tiny_index: Path) -> None:
    result = run("search", "nurses", "--index", str(tiny_index), "--json", "--limit", "2")
    data = json.loads(result.stdout)
    assert set(data) == {"query", "total", "expansions", "suggestion", "facets", "passages"}
    assert data["query"] == "nurses" and data["total"] >= 2 and data["facets"] is None
    records = data["passages"]
    assert JSON_KEYS <= set(records[0])
    assert [r["rank"] for r in records] == [1, 2]
    for r in records:
        assert all(r["snippet"][s:e] for s, e in r["highlights"])


def test_search_lang_filter(tiny_index: Path) -> None:
    result = run("search", "centros OR centres", "--index", str(tiny_index), "--lang", "fr", "--json")
    assert {p["language"] for p in json.loads(result.stdout)["passages"]} == {"fr"}


def test_search_without_index_builds_the_default_and_says_so(isolated_default_index: Path) -> None:
    result = run("search", "rural retention of nurses", "--limit", "1")
    assert result.exit_code == 0
    assert "building it from the bundled sample corpus" in result.stderr
    assert "Keeping Nurses in Rural Posts" in result.stdout


def test_a_reader_that_stops_reading_ends_the_search_quietly(tiny_index: Path, tmp_path: Path) -> None:
    # As in "hrhsearch search ... | head -1", with the reader gone before the first line is written.
    read_end, write_end = os.pipe()
    os.close(read_end)
    env = {**os.environ, "HRHSEARCH_CACHE": str(tmp_path / "cache")}
    done = subprocess.run([sys.executable, "-m", "hrhsearch", "search", "rural nurses", "--index", str(tiny_index)],
                          stdout=write_end, stderr=subprocess.PIPE, text=True, env=env, check=False)
    os.close(write_end)
    assert done.returncode == 141
    assert "Error" not in done.stderr and "Traceback" not in done.stderr and "Exception" not in done.stderr, done.stderr


def test_stats_and_rebuild(tiny_index: Path) -> None:
    stats = run("stats", "--index", str(tiny_index))
    assert f"schema version: {schema.SCHEMA_VERSION} (gen-000001)" in stats.output and "documents:      4" in stats.output
    rebuilt = run("rebuild", "--index", str(tiny_index), "--jobs", "1")
    assert rebuilt.exit_code == 0 and "4 added" in rebuilt.output
    data = json.loads(run("stats", "--index", str(tiny_index), "--json").output)
    assert data["generation"] == "gen-000002" and data["documents"] == 4
    optimized = run("optimize", "--index", str(tiny_index))
    assert optimized.exit_code == 0 and "segment" in optimized.output


@pytest.mark.parametrize(
    "args, code, message",
    [
        (["search", "nurses", "--index", "{tmp}/none"], 1, "No index at {tmp}/none. Build it with: hrhsearch index PATH --index {tmp}/none"),
        (["stats", "--index", "{tmp}/none"], 1, "No index at"),
        (["rebuild", "--index", "{tmp}/none"], 1, "No index at"),
        (["search", "?", "--index", "{ix}"], 1, "the query is empty"),
        (["search", "nurses", "--index", "{ix}", "--limit", "0"], 2, "Invalid value for '--limit'"),
        (["search", "--index", "{ix}"], 2, "Missing argument 'QUERY...'"),
        (["index", "--index", "{ix}"], 2, "Missing argument 'PATHS...'"),
        (["frobnicate"], 2, "No such command 'frobnicate'"),
        (["index", "{tmp}/nothing-here", "--index", "{tmp}/new"], 3, "failed: {tmp}/nothing-here: no such file or folder"),
    ],
)
def test_error_table(tiny_index: Path, tmp_path: Path, args: list[str], code: int, message: str) -> None:
    fill = {"tmp": str(tmp_path), "ix": str(tiny_index)}
    result = run(*(a.format(**fill) for a in args))
    assert result.exit_code == code, result.output
    assert message.format(**fill) in result.output
    assert "Traceback" not in result.output


def test_locked_index_names_the_writer(tiny_corpus: Path, tiny_index: Path) -> None:
    with WriteLock(tiny_index):
        result = run("index", str(tiny_corpus), "--index", str(tiny_index))
    assert result.exit_code == 1
    assert f"Error: The index at {tiny_index} is being written by process {os.getpid()}" in result.output


def test_every_command_has_help_with_an_example() -> None:
    for name in main.commands:
        result = run(name, "--help")
        assert result.exit_code == 0 and "Example:" in result.output, name


def test_the_command_indexes_and_searches_the_samples_as_the_library_does(corpus_index: Path, tmp_path: Path) -> None:
    # The command's own process runs with lightstart's stand-ins and without the cyclic collector,
    # the library's without either: every format and language of the samples goes through both.
    files = [str(p) for p in CORPUS.iterdir() if p.name != "README.md"]
    index = tmp_path / "index"
    done = subprocess.run([sys.executable, "-m", "hrhsearch", "index", *files, "--index", str(index), "--json"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert report["failed"] == [] and report["added"] == len(files)
    assert report["sections"] == hrhsearch.stats(corpus_index).sections
    for text, year in (("rural retention of nurses", None), ("recursos humanos", "2010..2025"), ("sages-femmes", None)):
        command = [sys.executable, "-m", "hrhsearch", "search", text, "--index", str(index), "--json", "--facets"]
        done = subprocess.run([*command, *(("--year", year) if year else ())], capture_output=True, text=True, check=True)
        found = json.loads(done.stdout)
        expected = hrhsearch.search(text, index=corpus_index, year=year, facets=True)
        assert found["total"] == expected.total > 0
        assert [(p["path"], p["heading"], p["year"], round(p["score"], 9)) for p in found["passages"]] == [
            (p.path, p.heading, p.year, round(p.score, 9)) for p in expected]
    for args in (("optimize",), ("rebuild",), ("stats", "--json")):
        done = subprocess.run([sys.executable, "-m", "hrhsearch", *args, "--index", str(index)], capture_output=True,
                              text=True, check=False)
        assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(done.stdout)["sections"] == report["sections"]
