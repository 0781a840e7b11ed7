"""Precision and recall of metadata extraction on the labelled set (labels.yaml).

Run it to print the table that README.md quotes:

    python tests/labelled/measure.py

Set-valued fields (organisation, countries) count (document, value) pairs: precision is the share of
values extracted that are right, recall the share of labelled values found. For year, type and
language, precision is the share of documents given a value that got the right one, and recall the
share of documents with a labelled value that got it.
"""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
SHARED = HERE.parents[2] / "shared"
FIELDS = ("organisation", "year", "countries", "type", "language")


@dataclass
class Tally:
    right: int = 0
    extracted: int = 0
    labelled: int = 0
    misses: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.right / self.extracted if self.extracted else 1.0

    @property
    def recall(self) -> float:
        return self.right / self.labelled if self.labelled else 1.0


def labels() -> dict[str, dict[Path, dict]]:
    raw = yaml.safe_load((HERE / "labels.yaml").read_text(encoding="utf-8"))
    return {
        "written": {HERE / "docs" / name: label for name, label in raw["written"].items()},
        "heldout": {HERE / "heldout" / name: label for name, label in raw["heldout"].items()},
        "shared": {SHARED / name: label for name, label in raw["shared"].items()},
    }


def extracted(path: Path) -> dict:
    from hrhsearch.ingest import extract
    from hrhsearch.metadata import describe
    from hrhsearch.sections import split

    document = extract(path)
    sections = split(document)
    record = describe(document, sections)
    language = Counter(s.language for s in sections).most_common(1)[0][0]
    return {"organisation": list(record.organisations), "year": record.year, "countries": list(record.countries),
            "type": record.doc_type, "language": language}


def measure(labelled: dict[Path, dict]) -> dict[str, Tally]:
    tallies = {name: Tally() for name in FIELDS}
    for path, label in labelled.items():
        got = extracted(path)
        for name in FIELDS:
            want, found = label[name], got[name]
            tally = tallies[name]
            if isinstance(want, list):
                tally.right += len(set(want) & set(found))
                tally.extracted += len(set(found))
                tally.labelled += len(set(want))
                wrong = sorted(set(want) ^ set(found))
            else:
                tally.right += want is not None and found == want
                tally.extracted += found is not None
                tally.labelled += want is not None
                wrong = [] if found == want else [f"{found!r} for {want!r}"]
            if wrong:
                tally.misses.append(f"{path.name}: {', '.join(map(str, wrong))}")
    return tallies


def table(tallies: dict[str, Tally], documents: int) -> str:
    rows = [f"| field ({documents} documents) | precision | recall |", "|---|---|---|"]
    rows += [f"| {name} | {t.precision:.2f} ({t.right}/{t.extracted}) | {t.recall:.2f} ({t.right}/{t.labelled}) |"
             for name, t in tallies.items()]
    return "\n".join(rows)


if __name__ == "__main__":
    for group, labelled in labels().items():
        present = {path: label for path, label in labelled.items() if path.exists()}
        if not present:
            print(f"{group}: no documents here (../shared is missing)", file=sys.stderr)
            continue
        tallies = measure(present)
        print(f"\n{group}\n\n{table(tallies, len(present))}")
        if "-v" in sys.argv:
            for name, tally in tallies.items():
                for miss in tally.misses:
                    print(f"  {name}: {miss}")
