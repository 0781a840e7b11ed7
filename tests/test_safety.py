"""Ingestion never fetches, includes or executes anything a document points at (see SECURITY.md)."""

from __future__ import annotations

import configparser
import inspect
import re
import socket
from pathlib import Path

import pytest

import hrhsearch

REPO = Path(__file__).resolve().parent.parent

HOSTILE = {
    "remote.html": """<!DOCTYPE html [<!ENTITY leak SYSTEM "file:///etc/hostname">]>
<html><head><title>Remote Things</title>
<meta http-equiv="refresh" content="0; url=http://example.invalid/refresh">
<link rel="stylesheet" href="http://example.invalid/style.css">
<script src="http://example.invalid/app.js"></script>
<base href="http://example.invalid/">
</head><body><h1>Remote Things</h1>
<p>Deployment of midwives &leak; to border districts.</p>
<img src="http://example.invalid/pixel.gif"><iframe src="http://example.invalid/frame"></iframe>
<object data="http://example.invalid/x.swf"></object>
</body></html>""",
    "remote.md": "# Remote Markdown\n\n![chart](http://example.invalid/chart.png)\n\nTeleconsultation for rural "
                 "nurses.\n\n[link](http://example.invalid/page)\n",
    "include.rst": "Remote RST\n==========\n\n.. include:: /etc/hostname\n\n.. raw:: html\n   :url: "
                   "http://example.invalid/raw\n\n.. image:: http://example.invalid/img.png\n\nLocum cover for "
                   "district hospitals.\n",
}


def test_ingestion_opens_no_connection_and_includes_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    attempts = tmp_path / "attempts"

    def refuse(*args: object, **kwargs: object) -> None:
        with attempts.open("a") as log:  # workers are forked processes: record in a file
            log.write(f"{args!r}\n")
        raise OSError("network use during ingestion")

    for name in ("connect", "connect_ex"):
        monkeypatch.setattr(socket.socket, name, refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    folder = tmp_path / "docs"
    folder.mkdir()
    for name, text in HOSTILE.items():
        (folder / name).write_text(text, "utf-8")
    samples = [p for p in (REPO / "corpus").iterdir() if p.name != "README.md"]
    report = hrhsearch.build_index([folder, *samples], index=tmp_path / "index", jobs=2)
    assert report.ok, report.failed
    assert not attempts.exists(), attempts.read_text()
    index = tmp_path / "index"
    for query, title in (('"border districts"', "Remote Things"), ("teleconsultation", "Remote Markdown"),
                         ('"locum cover"', "Remote RST")):
        assert [p.title for p in hrhsearch.search(query, index=index)] == [title]
    hostname = Path("/etc/hostname")
    if hostname.is_file() and re.fullmatch(r"[a-z][a-z0-9-]{3,}", hostname.read_text().strip()):
        assert list(hrhsearch.search(hostname.read_text().strip(), index=index)) == [], "a local file was included"
    for word in ("example", "invalid", "pixel", "refresh"):
        assert list(hrhsearch.search(word, index=index)) == [], word


def test_pdfminer_is_a_release_that_loads_no_pickles() -> None:
    # pdfminer.six before 20260107 unpickles CMap files, so a crafted PDF could run code (CVE-2025-64512).
    config = configparser.ConfigParser()
    config.read(REPO / "setup.cfg")
    [bound] = [line for line in config["options"]["install_requires"].splitlines() if line.startswith("pdfminer.six")]
    assert bound.replace(" ", "") == "pdfminer.six>=20260107"
    import pdfminer.cmapdb

    assert "pickle" not in inspect.getsource(pdfminer.cmapdb)
