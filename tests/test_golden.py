"""Golden queries over corpus/: if ranking regresses, these fail loudly.

Each query names the document (and, where it matters, the section) that must come first.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import hrhsearch

GOLDEN = [
    ("rural retention of nurses", "rural-retention-nurses.pdf", None),
    ("hardship allowance paid on time", "rural-retention-nurses.pdf", "3. Financial Incentives"),
    ("monthly supervision visits for community health workers", "community-health-workers.md", "Supportive Supervision"),
    ("CHW stipend attrition volunteers", "community-health-workers.md", "Remuneration and Motivation"),
    ("Global Code of Practice international recruitment", "migration-recruitment-code.html", None),
    ("task shifting caesarean clinical officers", "task-sharing-guideline.md", None),
    ("gender pay gap women leadership", "gender-equity-health-workforce.txt", None),
    ("HRIS ghost workers payroll", "hris-data-systems.rst", "Core Data"),
    ("faculty shortages training places", "health-professional-education.txt", None),
    ("méthode WISN charge de travail", "planification-effectifs-wisn.pdf", None),
    ("ratio WISN pénurie", "planification-effectifs-wisn.pdf", "3. Interpréter les résultats"),
    ("formation continue sages-femmes", "formation-continue-sages-femmes.md", None),
    ("délégation des tâches", "formation-continue-sages-femmes.md", "Délégation des tâches"),
    ("migration des infirmières salaires", "migration-infirmieres.html", None),
    ("capacitaciones en servicio", "formacion-enfermeria.html", "Capacitación en servicio"),
    ("incentivos económicos retención", "retencion-personal-rural.md", None),
    ("agentes comunitários visitas domiciliárias", "agentes-comunitarios-saude.md", None),
    ("planeamento da força de trabalho", "planeamento-forca-trabalho.txt", None),
]


@pytest.mark.parametrize("query, document, heading", GOLDEN, ids=[g[0] for g in GOLDEN])
def test_golden_query_ranks_the_right_passage_first(corpus_index: Path, query: str, document: str, heading: str | None) -> None:
    top = hrhsearch.search(query, index=corpus_index, limit=3)
    assert top, f"no results for {query!r}"
    assert Path(top[0].path).name == document, f"{query!r}: expected {document}, got {[Path(p.path).name for p in top]}"
    if heading:
        assert top[0].heading == heading
