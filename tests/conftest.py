"""Shared fixtures: every test gets its own default index location, and a tiny corpus in tmp_path."""

from __future__ import annotations

from pathlib import Path

import pytest

import hrhsearch

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "corpus"
SHARED = REPO.parent / "shared"

needs_shared = pytest.mark.skipif(
    not SHARED.is_dir(), reason="../shared (real HRH documents and broken PDFs) is not beside this clone"
)


@pytest.fixture(autouse=True)
def isolated_default_index(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No test may read or write the user's real default index or cache."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HRHSEARCH_INDEX", str(home / "default-index"))
    monkeypatch.setenv("HRHSEARCH_CACHE", str(tmp_path_factory.getbasetemp() / "cache"))  # nor the user's cache
    return home / "default-index"


TINY = {
    "retention.md": """---
title: Retention of Nurses
date: 2020-04-01
---

# Retention of Nurses

## Rural Incentives

Rural allowances and housing keep nurses in remote health centres for longer.

## Supervision

Monthly supportive supervision by district nurses improves performance.
""",
    "formation.md": """# Formation des sages-femmes

Les formations continues des sages-femmes améliorent la qualité des soins obstétricaux dans les
centres de santé ruraux du district sanitaire.
""",
    "capacitacion.txt": """Capacitación del Personal

Las capacitaciones en servicio del personal de enfermería se organizan cada trimestre en los
hospitales provinciales y en los centros de salud rurales.
""",
    "migration.html": """<html><head><title>Nurse Migration</title><script>var x = "scriptword";</script></head>
<body><nav>navword menu</nav><h1>Nurse Migration</h1><p>Nurses migrate abroad for better pay.</p>
<h2>Code of Practice</h2><p>The Global Code discourages active recruitment from countries with shortages.</p>
<footer>footerword</footer></body></html>""",
}


@pytest.fixture
def tiny_corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    for name, text in TINY.items():
        (folder / name).write_text(text, "utf-8")
    return folder


@pytest.fixture
def tiny_index(tiny_corpus: Path, tmp_path: Path) -> Path:
    index = tmp_path / "index"
    report = hrhsearch.build_index([tiny_corpus], index=index, jobs=1)
    assert report.added == len(TINY) and report.ok
    return index


@pytest.fixture(scope="session")
def corpus_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    index = tmp_path_factory.mktemp("corpus") / "index"
    # The same files as the default index: the sample documents, not the folder's README.
    report = hrhsearch.build_index([p for p in CORPUS.iterdir() if p.name != "README.md"], index=index, jobs=2)
    assert report.ok, report.failed
    return index
