"""A passage's citation, ready to paste into a report:

    WHO (2016). Global strategy on human resources for health: Workforce 2030, §3 "Policy options", pp. 14–15.

Publisher, year, title, the section (its number when the heading has one) and the pages. What a
document does not state is left out, except the year, which reads "n.d." as in most styles.
"""

from __future__ import annotations

import re

# "3. Policy options", "3.2 Incentives", "III. Context", "Chapter 3: ...", "Capítulo 2 – ..."
_NUMBERED = re.compile(
    r"^(?:(?i:chapter|section|part|chapitre|partie|cap[ií]tulo|secci[oó]n|parte|se[cç][aã]o)\s+)?"
    r"(\d{1,2}(?:\.\d{1,2})*\.?(?=[\s):\u2013\u2014-])|[IVXLC]+(?=[.)]\s))[.):\s\u2013\u2014-]+\s*(.+)$"
)


def cite(organisations: tuple[str, ...] | list[str], year: int | None, title: str, heading: tuple[str, ...] | list[str],
         page_start: int | None, page_end: int | None) -> str:
    title = title.strip().rstrip(".")
    when = f"({year})" if year else "(n.d.)"
    parts = [f"{organisations[0]} {when}. {title}" if organisations else f"{title} {when}"]
    if heading:
        parts.append(_section(heading[-1]))
    if page_start is not None:
        end = page_end if page_end is not None else page_start
        parts.append(f"p. {page_start}" if end == page_start else f"pp. {page_start}\u2013{end}")
    return ", ".join(parts) + "."


def _section(heading: str) -> str:
    numbered = _NUMBERED.match(heading.strip())
    if numbered and any(c.isalpha() for c in numbered.group(2)):
        return f'\u00a7{numbered.group(1).rstrip(".")} "{numbered.group(2).strip()}"'
    return f'\u00a7 "{heading.strip()}"'
