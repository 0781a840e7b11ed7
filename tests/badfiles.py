"""A corpus of bad input, generated on demand: every way a user's folder of downloads goes wrong.

``make(folder)`` writes it and returns what must become of each file: ``indexed`` (with a word
that a search must find in it), ``failed`` or ``skipped`` (with a word the reason must contain).
"""

from __future__ import annotations

import os
import random
import re
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
GOOD_PDF = REPO / "corpus" / "rural-retention-nurses.pdf"


@dataclass(frozen=True)
class Expect:
    outcome: str  # indexed | failed | skipped
    clue: str  # a word to search for (indexed) or a word in the reason (failed, skipped)


GOOD_TEXT = """Supervision of Community Health Workers

Community health workers in pastoralist counties receive monthly supportive supervision visits
from the link facility, with a checklist and a stipend paid on time, and they report higher
motivation when supervisors bring supplies.
"""


def make(folder: Path, outside: Path) -> dict[str, Expect]:
    """Write the bad corpus into ``folder`` (and one file into ``outside``, reached by a link)."""
    folder.mkdir(parents=True, exist_ok=True)
    outside.mkdir(parents=True, exist_ok=True)
    rng = random.Random(7)
    pdf = GOOD_PDF.read_bytes()
    expected: dict[str, Expect] = {}

    def write(name: str, data: bytes | str, expect: Expect) -> Path:
        path = folder / name
        path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        expected[name] = expect
        return path

    # Good neighbours: a bad file must never cost them their place in the index.
    write("good-before.txt", GOOD_TEXT, Expect("indexed", "pastoralist"))
    write("good-after.md", "# Retention bonus\n\nA retention bonus keeps midwives in island clinics.\n",
          Expect("indexed", "island"))

    write("truncated.pdf", pdf[: len(pdf) // 3], Expect("failed", "truncated"))
    write("broken-xref.pdf", _break_xref(pdf), Expect("indexed", "resigned"))
    write("random-bytes.pdf", rng.randbytes(20_000), Expect("failed", "not a pdf"))
    write("zero-bytes.txt", b"", Expect("failed", "empty"))
    write("blank.txt", " \n\t\n   \n", Expect("failed", "no text"))
    write("zero-bytes.pdf", b"", Expect("failed", "empty"))
    write("latin1.txt", "Formação contínua\n\nA formação contínua dos técnicos de saúde melhora a retenção "
          "nas zonas rurais de Moçambique.\n".encode("latin-1"), Expect("indexed", "contínua"))
    write("utf16-bom.txt", "Délégation des tâches\n\nLa délégation des tâches aux infirmiers élargit l'accès "
          "aux soins dans les districts ruraux.\n".encode("utf-16"), Expect("indexed", "délégation"))
    write("binary.txt", rng.randbytes(4096), Expect("failed", "binary"))
    write("control-chars.txt", bytes(rng.choice(range(1, 32)) for _ in range(4096)), Expect("failed", "binary"))
    write("unknown-charset.html", '<html><head><meta charset="x-no-such-charset"><title>Workforce Census</title>'
          '<script>document.write("scriptonlyword")</script><style>p{color:red}</style></head>'
          "<body><h1>Workforce Census</h1><p>The census counted every enumerator and nurse on the payroll.</p>"
          '<img src="http://example.invalid/tracker.png"><iframe src="http://example.invalid/"></iframe>'
          "</body></html>", Expect("indexed", "enumerator"))
    write("huge-line.txt", " ".join(rng.choice(WORDS) for _ in range(150_000)), Expect("indexed", "absenteeism"))
    write("deeply-nested.html", "<html><title>Nested</title><body>" + "<div>" * 50_000
          + "<p>Deeply nested locum allowances.</p>" + "</div>" * 50_000 + "</body></html>",
          Expect("indexed", "locum"))
    write("not-html.html", rng.randbytes(3000), Expect("failed", "binary"))
    write("bad-front-matter.md", "---\ntitle: [unclosed\n---\n\n# Deployment\n\nDeployment of graduates "
          "to hard-to-reach posts.\n", Expect("indexed", "graduates"))
    write("image.png", b"\x89PNG\r\n\x1a\n" + rng.randbytes(200), Expect("skipped", "unsupported"))

    unreadable = write("unreadable.txt", "Private notes on quarterly audits.\n", Expect("failed", "permission"))
    unreadable.chmod(0)

    (folder / "loop-a.txt").symlink_to(folder / "loop-b.txt")
    (folder / "loop-b.txt").symlink_to(folder / "loop-a.txt")
    expected["loop-a.txt"] = expected["loop-b.txt"] = Expect("skipped", "link")

    secret = outside / "outside.md"
    secret.write_text("# Outside\n\nConfidential salary scales outside the folder.\n", "utf-8")
    (folder / "outside-link.md").symlink_to(secret)
    expected["outside-link.md"] = Expect("skipped", "link")

    os.mkfifo(folder / "pipe.txt")
    expected["pipe.txt"] = Expect("skipped", "regular file")

    (folder / "folder.pdf").mkdir()
    (folder / "folder.pdf" / "inside.txt").write_text(GOOD_TEXT.replace("pastoralist", "archipelago"), "utf-8")
    expected["folder.pdf/inside.txt"] = Expect("indexed", "archipelago")
    return expected


WORDS = ("absenteeism", "payroll", "district", "nurse", "midwife", "posting", "training", "budget", "the", "of")


def _break_xref(pdf: bytes) -> bytes:
    """Point ``startxref`` at the wrong place, as a careless editor or a partial download does."""
    return re.sub(rb"startxref\s+(\d+)", b"startxref\n17", pdf)
