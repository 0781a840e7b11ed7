"""Nothing lost: bad files, files that hang or blow up, links that lead astray.

Every file of a generated bad-input corpus must end up either indexed or listed with one clear
reason, and no bad file may cost a good neighbour its place in the index.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import hrhsearch
from hrhsearch import workers
from hrhsearch.cli import EXIT_FILES_FAILED, main
from hrhsearch.records import MAX_WORDS, Limits
from tests import badfiles
from tests.conftest import SHARED, needs_shared

ROOT = os.geteuid() == 0


@pytest.fixture
def bad_corpus(tmp_path: Path) -> tuple[Path, dict[str, badfiles.Expect]]:
    folder = tmp_path / "downloads"
    expected = badfiles.make(folder, tmp_path / "elsewhere")
    if ROOT:  # root reads files whatever their mode; test_unreadable_file_is_named covers it as another user
        expected["unreadable.txt"] = badfiles.Expect("indexed", "quarterly")
    return folder, expected


def index_json(*args: str) -> tuple[int, dict]:
    result = CliRunner().invoke(main, ["index", *args, "--json"])
    return result.exit_code, json.loads(result.stdout)


def test_every_bad_file_is_indexed_or_named_with_its_reason(bad_corpus, tmp_path: Path) -> None:
    folder, expected = bad_corpus
    code, report = index_json(str(folder), "--index", str(tmp_path / "index"), "--jobs", "2")
    assert code == EXIT_FILES_FAILED
    outcome = {}
    for kind in ("failed", "skipped"):
        for problem in report[kind]:
            name = Path(problem["path"]).relative_to(folder).as_posix()
            assert name not in outcome, f"{name} reported twice"
            outcome[name] = (kind, problem["reason"])
    indexed = {Path(p).relative_to(folder).as_posix() for p in hrhsearch.open_index(tmp_path / "index").documents()}
    assert not indexed & set(outcome), "a file was both indexed and reported as a problem"
    assert indexed | set(outcome) == set(expected), "every file must be accounted for"
    for name, expect in expected.items():
        if expect.outcome == "indexed":
            assert name in indexed, f"{name}: {outcome.get(name)}"
            found = hrhsearch.search(expect.clue, index=tmp_path / "index", limit=50)
            assert any(p.path == str(folder / name) for p in found), f"{expect.clue!r} not found in {name}"
        else:
            kind, reason = outcome[name]
            assert kind == expect.outcome, f"{name}: {kind} ({reason})"
            assert expect.clue.lower() in reason.lower(), f"{name}: {reason}"
            assert "\n" not in reason
    assert report["added"] == len(indexed)


def test_text_in_odd_encodings_is_decoded_right(bad_corpus, tmp_path: Path) -> None:
    folder, _ = bad_corpus
    hrhsearch.build_index([folder / "latin1.txt", folder / "utf16-bom.txt"], index=tmp_path / "index")
    [latin] = hrhsearch.search("Moçambique", index=tmp_path / "index")
    assert "zonas rurais de Moçambique" in latin.text
    [utf16] = hrhsearch.search("infirmiers", index=tmp_path / "index")
    assert "élargit l'accès aux soins" in utf16.text and utf16.language == "fr"


def test_scripts_and_remote_resources_never_reach_the_index(bad_corpus, tmp_path: Path) -> None:
    folder, _ = bad_corpus
    hrhsearch.build_index([folder / "unknown-charset.html"], index=tmp_path / "index")
    for word in ("scriptonlyword", "example", "invalid", "tracker", "color"):
        assert list(hrhsearch.search(word, index=tmp_path / "index")) == [], word


def test_links_are_followed_only_when_asked(bad_corpus, tmp_path: Path) -> None:
    folder, _ = bad_corpus
    code, report = index_json(str(folder), "--index", str(tmp_path / "index"), "--follow-links")
    reasons = {Path(p["path"]).name: p["reason"] for p in report["failed"] + report["skipped"]}
    assert "outside-link.md" not in reasons
    assert [p.path for p in hrhsearch.search("confidential", index=tmp_path / "index")] == [str(folder / "outside-link.md")]
    assert "looping" in reasons["loop-a.txt"] and "looping" in reasons["loop-b.txt"]


def test_an_index_built_following_links_keeps_following_them(bad_corpus, tmp_path: Path) -> None:
    folder, _ = bad_corpus
    index = tmp_path / "index"
    (folder / "pipe.txt").unlink()
    hrhsearch.build_index([folder], index=index, follow_links=True)
    linked = [str(folder / "outside-link.md")]
    hrhsearch.rebuild(index=index)
    assert [p.path for p in hrhsearch.search("confidential", index=index)] == linked
    (folder / "new.md").write_text("# New\n\nA new note on relief nurses.\n", "utf-8")
    report = hrhsearch.build_index([folder], index=index)
    assert report.added == 1 and not any(p.path == linked[0] for p in report.skipped)
    assert [p.path for p in hrhsearch.search("confidential", index=index)] == linked


def test_a_link_given_by_the_user_is_followed(bad_corpus, tmp_path: Path) -> None:
    folder, _ = bad_corpus
    report = hrhsearch.build_index([folder / "outside-link.md"], index=tmp_path / "index")
    assert report.added == 1 and report.ok


def _without_root_file_access() -> None:
    """Drop the capabilities that let root read any file, so a mode-000 file is unreadable here too."""
    import ctypes

    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]

    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH: out of the bounding set, so exec keeps them out
        if libc.prctl(24, capability) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "PR_CAPBSET_DROP failed")
    header, data = Header(0x20080522, 0), (Data * 2)()
    if libc.capget(ctypes.byref(header), data) != 0:
        raise OSError(ctypes.get_errno(), "capget failed")
    dac = (1 << 1) | (1 << 2)  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
    data[0].effective &= ~dac
    data[0].permitted &= ~dac
    data[0].inheritable &= ~dac
    if libc.capset(ctypes.byref(header), data) != 0:
        raise OSError(ctypes.get_errno(), "capset failed")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="drops Linux capabilities when run as root")
def test_unreadable_file_is_named(tmp_path: Path) -> None:
    folder = tmp_path / "shared-docs"
    folder.mkdir()
    (folder / "readable.md").write_text("# Payroll\n\nPayroll audits find ghost workers.\n", "utf-8")
    (folder / "secret.md").write_text("# Secret\n\nSecret notes.\n", "utf-8")
    (folder / "secret.md").chmod(0)
    run = subprocess.run(
        [sys.executable, "-m", "hrhsearch", "index", str(folder), "--index", str(tmp_path / "index"), "--json"],
        capture_output=True, text=True, preexec_fn=_without_root_file_access if ROOT else None,
        cwd=Path(__file__).resolve().parent.parent, timeout=120,
    )
    assert run.returncode == EXIT_FILES_FAILED, run.stderr
    report = json.loads(run.stdout)
    assert report["added"] == 1
    [failure] = report["failed"]
    assert failure["path"] == str(folder / "secret.md") and "Permission denied" in failure["reason"]


def test_a_file_over_the_memory_limit_is_skipped_and_the_run_goes_on(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a-good.md").write_text("# Staffing norms\n\nStaffing norms for health centres.\n", "utf-8")
    (folder / "b-huge.txt").write_bytes(b"workload indicators " * 6_000_000)  # 120 MB
    (folder / "c-good.md").write_text("# Deployment\n\nDeployment of new graduates.\n", "utf-8")
    report = hrhsearch.build_index([folder], index=tmp_path / "index", max_memory_mb=64, jobs=1)
    assert [p.path for p in report.failed] == [str(folder / "b-huge.txt")]
    assert "out of memory" in report.failed[0].reason
    assert report.added == 2


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_worker_that_crashes_costs_only_its_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: int) -> None:
    # A worker writes the files it reads into a segment of its own, so a crash also loses the files
    # it wrote before: another worker must write them again, and count them once.
    # The workers are forked, so they run this patched reader: it really kills its own process.
    real = workers.prepare

    def crashing(path: Path, passage_words: int) -> workers.Result:
        if path.name.startswith("crash"):
            os.kill(os.getpid(), signal.SIGSEGV)
        return real(path, passage_words)

    monkeypatch.setattr(workers, "prepare", crashing)
    folder = tmp_path / "docs"
    folder.mkdir()
    for name in ("a.md", "crash-1.md", "b.md", "crash-2.md", "c.md"):
        (folder / name).write_text(f"# {name}\n\nHealth workforce planning note {name[0]}.\n", "utf-8")
    report = hrhsearch.build_index([folder], index=tmp_path / "index", jobs=jobs)
    assert sorted(Path(p.path).name for p in report.failed) == ["crash-1.md", "crash-2.md"]
    assert all("crashed" in p.reason and "SIGSEGV" in p.reason for p in report.failed)
    assert report.added == 3 and report.sections == 3
    stats = hrhsearch.stats(tmp_path / "index")
    assert (stats.documents, stats.sections) == (3, 3)
    found = hrhsearch.search("workforce planning note", index=tmp_path / "index")
    assert sorted(Path(p.path).name for p in found) == ["a.md", "b.md", "c.md"]


def test_a_worker_whose_run_has_stopped_ends_without_a_traceback(tmp_path: Path, capfd: pytest.CaptureFixture) -> None:
    # Ctrl-C stops the indexing process while a worker is still reading. The worker's answer then
    # meets a closed pipe, and its traceback would bury the run's one "Interrupted" line.
    note = tmp_path / "note.md"
    note.write_text("# Locums\n\nLocum doctors cover rural posts.\n", "utf-8")
    worker = workers._Worker(Limits(), MAX_WORDS, None, 64)
    worker.conn.send(workers.Task(note, tmp_path))
    worker.conn.close()
    worker.process.join(timeout=60)
    assert worker.process.exitcode == 0
    assert "Traceback" not in capfd.readouterr().err


def test_ctrl_c_as_a_file_is_handed_out_stops_its_worker_at_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                capfd: pytest.CaptureFixture) -> None:
    # The workers are forked, so they run the patched reader; only the parent is interrupted.
    from multiprocessing.connection import Connection

    parent, real_send = os.getpid(), Connection.send

    def interrupted_after_sending(self: Connection, obj: object) -> None:
        real_send(self, obj)
        if os.getpid() == parent and isinstance(obj, workers.Task):
            raise KeyboardInterrupt

    monkeypatch.setattr(workers, "prepare", lambda path, words: time.sleep(30))
    monkeypatch.setattr(Connection, "send", interrupted_after_sending)
    note = tmp_path / "note.md"
    note.write_text("# Locums\n\nLocum doctors cover rural posts.\n", "utf-8")
    workers._preload()  # the language model, loaded before the clock starts
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        list(workers.Workers(jobs=1).run([workers.Task(note, tmp_path)]))
    assert time.monotonic() - started < 4, "the run waited for a reader whose file it would not use"
    assert "Traceback" not in capfd.readouterr().err


def test_the_slowest_pdf_is_stopped_at_the_time_limit(tmp_path: Path) -> None:
    slow = SHARED / "hrh-docs" / "odd" / "failure-after-repair.pdf"
    if not slow.is_file():
        pytest.skip("../shared/hrh-docs/odd/failure-after-repair.pdf (a PDF slow on purpose) is not beside this clone")
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "slow.pdf").symlink_to(slow)
    (folder / "quick.md").write_text("# Quick\n\nA quick note on locum doctors.\n", "utf-8")
    started = time.monotonic()
    code, report = index_json(str(folder / "slow.pdf"), str(folder / "quick.md"), "--index", str(tmp_path / "index"),
                              "--timeout", "0.5", "--jobs", "1")
    elapsed = time.monotonic() - started
    assert code == EXIT_FILES_FAILED
    [failure] = report["failed"]
    assert failure["path"] == str(folder / "slow.pdf") and "longer than 0.5 s" in failure["reason"]
    assert report["added"] == 1
    assert elapsed < 5, "the slow file was not stopped at its limit"


@needs_shared
def test_real_broken_pdfs_are_each_indexed_or_explained(tmp_path: Path) -> None:
    odd = SHARED / "hrh-docs" / "odd"
    code, report = index_json(str(odd), "--index", str(tmp_path / "index"), "--timeout", "60")
    failed = {Path(p["path"]).name: p["reason"] for p in report["failed"]}
    assert code == EXIT_FILES_FAILED
    assert set(failed) == {"password.pdf", "loremipsum-flat.pdf"}, failed
    assert "password" in failed["password.pdf"] and "OCR" in failed["loremipsum-flat.pdf"]
    # pdfminer cannot read this file's colour space; its text must still come through.
    found = hrhsearch.search("intergovernmental panel", index=tmp_path / "index")
    assert [Path(p.path).name for p in found][:1] == ["pdf-bad-color-space.pdf"]
    assert report["added"] == len(list(odd.iterdir())) - 2
