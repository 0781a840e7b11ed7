"""Crash safety and concurrent use, with real processes and real signals.

A writer is SIGKILLed at random moments, over and over, while it indexes or rebuilds a corpus whose
files change between runs. After every kill the index must open, answer searches and give
consistent stats, and every document in it must be one whole version of its file, old or new.
"""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import pytest

import hrhsearch
from hrhsearch import schema

REPO = Path(__file__).resolve().parent.parent
FILES = 240
KILLS = 20
MARK = re.compile(r"zver(\d+)z")


@pytest.fixture(autouse=True)
def commit_often(monkeypatch: pytest.MonkeyPatch) -> None:
    """Writers here commit every 0.3 s, so that runs commit part-way as well as at the end, and a
    kill can land before, during or after any commit. Child processes inherit it."""
    monkeypatch.setenv("HRHSEARCH_COMMIT_SECONDS", "0.3")


def write_version(folder: Path, n: int, version: int) -> None:
    """File ``n`` at ``version``: its number of parts depends on the version, and each part names it."""
    parts = [f"# Report {n}\n"]
    for part in range(2 + version % 3):
        parts.append(f"## Part {part}\n\nDistrict {n} staffing review zver{version}z, part {part}: nurses, "
                     f"midwives and clinical officers counted against the workload norm.\n")
    path = folder / f"report-{n:03d}.md"
    path.write_text("\n".join(parts), "utf-8")
    os.utime(path, ns=(time.time_ns(), time.time_ns() + version * 10**9))  # a new mtime even within one tick


def hrhsearch_cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "hrhsearch", *args]


def check(index: Path, folder: Path, before: dict[str, int | None], now: dict[str, int]) -> dict[str, int]:
    """The index is whole: each document is one version of its file, ``before`` or ``now``."""
    opened = hrhsearch.open_index(index)
    stats = opened.stats()
    hrhsearch.search("staffing review", index=index, limit=5)
    sections: dict[str, list[dict]] = defaultdict(list)
    records: dict[str, dict] = {}
    with opened.whoosh().searcher() as searcher:
        for fields in searcher.all_stored_fields():
            if fields["kind"] == schema.SECTION:
                sections[fields["doc_id"]].append(fields)
            else:
                assert fields["doc_id"] not in records, "two records for one document"
                records[fields["doc_id"]] = fields
    assert set(sections) <= set(records), "sections without their document"
    assert stats.documents == len(records) and stats.sections == sum(len(s) for s in sections.values())
    versions: dict[str, int] = {}
    for doc_id, record in records.items():
        found = Counter(int(MARK.search(s["text"]).group(1)) for s in sections[doc_id])
        assert len(found) == 1, f"{record['path']} mixes versions {dict(found)}"
        [version] = found
        name = Path(record["path"]).name
        assert version in {before.get(name), now[name]}, f"{name} is at version {version}"
        assert len(sections[doc_id]) == record["sections"] == 2 + version % 3, f"{name} is half written"
        versions[name] = version
    return versions


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
def test_index_survives_sigkill_at_random_moments(tmp_path: Path) -> None:
    folder, index = tmp_path / "docs", tmp_path / "index"
    folder.mkdir()
    rng = random.Random(2026)
    disk = {}
    for n in range(FILES):
        write_version(folder, n, 0)
        disk[f"report-{n:03d}.md"] = 0
    started = time.monotonic()
    subprocess.run(hrhsearch_cli("index", str(folder), "--index", str(index)), check=True, capture_output=True)
    full_run = time.monotonic() - started
    indexed: dict[str, int | None] = check(index, folder, {}, disk)
    assert indexed == disk
    moments: list[tuple[str, float, int]] = []
    round_ = 0
    while sum(code == -signal.SIGKILL for *_, code in moments) < KILLS:
        round_ += 1
        assert round_ <= 3 * KILLS, f"too few runs were still going when killed: {moments}"
        for n in rng.sample(range(FILES), FILES // 3):
            write_version(folder, n, round_)
            disk[f"report-{n:03d}.md"] = round_
        command = "rebuild" if round_ % 4 == 0 else "index"
        args = ("rebuild", "--index", str(index)) if command == "rebuild" else ("index", str(folder), "--index", str(index))
        writer = subprocess.Popen(hrhsearch_cli(*args), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        moment = rng.uniform(0.05, full_run * 0.8)
        time.sleep(moment)
        writer.send_signal(signal.SIGKILL)
        writer.communicate()
        moments.append((command, round(moment, 2), writer.returncode))
        indexed = check(index, folder, indexed, disk)
    killed = [m for m in moments if m[2] == -signal.SIGKILL]
    finish = subprocess.run(hrhsearch_cli("index", str(folder), "--index", str(index)), capture_output=True, text=True)
    assert finish.returncode == 0, finish.stderr
    assert check(index, folder, indexed, disk) == disk, "a later run must finish the job"
    print(f"{len(killed)} kills survived: {moments}")
    leftovers = [p.name for p in index.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []


def test_a_killed_writers_lock_is_cleared_and_the_user_told(tmp_path: Path) -> None:
    folder, index = tmp_path / "docs", tmp_path / "index"
    folder.mkdir()
    for n in range(FILES):
        write_version(folder, n, 1)
    hrhsearch.build_index([folder / "report-000.md"], index=index)
    writer = subprocess.Popen(hrhsearch_cli("index", str(folder), "--index", str(index)),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    lock = index / "write.lock"
    deadline = time.monotonic() + 60
    while not (lock.is_file() and lock.read_text().strip() == str(writer.pid)):
        assert time.monotonic() < deadline and writer.poll() is None, "the writer never took its lock"
        time.sleep(0.01)
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    after = subprocess.run(hrhsearch_cli("index", str(folder), "--index", str(index)), capture_output=True, text=True)
    assert after.returncode == 0, after.stderr
    assert f"Cleared a stale write lock left by process {writer.pid}" in after.stderr
    assert hrhsearch.stats(index).documents == FILES


def test_searches_run_while_another_process_updates(tmp_path: Path) -> None:
    folder, index = tmp_path / "docs", tmp_path / "index"
    folder.mkdir()
    for n in range(60):
        write_version(folder, n, 0)
    hrhsearch.build_index([folder], index=index)
    stop = tmp_path / "stop"
    updater = subprocess.Popen([sys.executable, "-c", UPDATER, str(folder), str(index), str(stop)],
                               cwd=REPO, stderr=subprocess.PIPE, text=True)
    searchers = [
        subprocess.Popen([sys.executable, "-c", SEARCHER, str(index), str(stop), query], cwd=REPO,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for query in ("staffing review", '"clinical officers"', "midwives AND zver*", "workload norm")
    ]
    time.sleep(8)
    stop.touch()
    _, errors = updater.communicate(timeout=120)
    assert updater.returncode == 0, errors
    runs = 0
    for searcher in searchers:
        out, err = searcher.communicate(timeout=60)
        assert searcher.returncode == 0, err
        runs += int(out)
    assert runs >= 20, "the searches must overlap the updates"
    print(f"{runs} searches in 4 processes during the updates")


# Rewrites files and re-indexes (with an occasional rebuild) until told to stop.
UPDATER = """
import sys, pathlib, hrhsearch
from tests.test_crash import write_version
folder, index, stop = map(pathlib.Path, sys.argv[1:])
version = 0
while not stop.exists():
    version += 1
    for n in range(0, 60, 3):
        write_version(folder, (n + version) % 60, version)
    if version % 5 == 0:
        hrhsearch.rebuild(index=index, wait=30)
    else:
        hrhsearch.build_index([folder], index=index, wait=30)
"""

# Searches in a loop until told to stop, failing on any error; prints how many searches it ran.
SEARCHER = """
import sys, pathlib, hrhsearch
index, stop, query = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]), sys.argv[3]
runs = 0
while not stop.exists():
    assert hrhsearch.search(query, index=index, limit=10), query
    hrhsearch.stats(index)
    runs += 1
print(runs)
"""


def test_a_second_writer_fails_at_once_naming_the_first_or_waits(tmp_path: Path) -> None:
    folder, index = tmp_path / "docs", tmp_path / "index"
    folder.mkdir()
    for n in range(FILES):
        write_version(folder, n, 1)
    first = subprocess.Popen(hrhsearch_cli("index", str(folder), "--index", str(index)),
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    lock = index / "write.lock"
    while not (lock.is_file() and lock.read_text().strip() == str(first.pid)):
        assert first.poll() is None, "the first writer finished before the test could overlap it"
        time.sleep(0.01)
    started = time.monotonic()
    second = subprocess.run(hrhsearch_cli("index", str(folder), "--index", str(index)), capture_output=True, text=True)
    assert second.returncode == 1
    assert f"being written by process {first.pid}" in second.stderr and "--wait" in second.stderr
    assert second.stderr.count("\n") == 1 and "Traceback" not in second.stderr
    assert time.monotonic() - started < 5, "without --wait the second writer must not wait"
    waiting = subprocess.run(hrhsearch_cli("index", str(folder), "--index", str(index), "--wait", "120"),
                             capture_output=True, text=True)
    assert first.wait() == 0
    assert waiting.returncode == 0, waiting.stderr
    assert "0 added" in waiting.stdout and f"{FILES} unchanged" in waiting.stdout


@pytest.mark.parametrize("moment", ["loading", "writing"])
def test_ctrl_c_stops_a_run_cleanly_and_the_next_run_finishes(tmp_path: Path, moment: str) -> None:
    folder, index = tmp_path / "docs", tmp_path / "index"
    folder.mkdir()
    files = 3 * FILES  # enough that the run is still going after its first commit
    for n in range(files):
        write_version(folder, n, 1)
    hrhsearch.build_index([folder / "report-000.md"], index=index)
    generation = hrhsearch.open_index(index).generation_path
    commits = len(list(generation.glob("*.toc"))) and max(int(t.stem.split("_")[-1]) for t in generation.glob("*.toc"))
    writer = subprocess.Popen(hrhsearch_cli("index", str(folder), "--index", str(index)),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lock = index / "write.lock"
    while not (lock.is_file() and lock.read_text().strip() == str(writer.pid)):
        assert writer.poll() is None, "the writer finished before it could be interrupted"
        time.sleep(0.01)
    if moment == "writing":  # after the first commit of this run, with more files to go
        while max(int(t.stem.split("_")[-1]) for t in generation.glob("*.toc")) == commits:
            assert writer.poll() is None, "the writer finished before it could be interrupted"
            time.sleep(0.01)
    writer.send_signal(signal.SIGINT)
    _, errors = writer.communicate(timeout=60)
    assert writer.returncode == 130 and "Interrupted" in errors and "Traceback" not in errors, errors
    check(index, folder, {"report-000.md": 1}, {f"report-{n:03d}.md": 1 for n in range(files)})
    finish = subprocess.run(hrhsearch_cli("index", str(folder), "--index", str(index)), capture_output=True, text=True)
    assert finish.returncode == 0, finish.stderr
    assert hrhsearch.stats(index).documents == files
