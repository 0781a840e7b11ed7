"""What a librarian would catalogue, read from the document itself: publisher, year, countries
and WHO regions, and document type.

Where each comes from, strongest sign first:

- **organisation**: the copyright line and the suggested citation, the author in the file's own
  metadata, the title, then the cover and front matter (the first pages, or the opening words of a
  file without pages) and the colophon (the last page). Mentions in the body count for little.
- **year**: the copyright or publication line; a front-matter date (the ``date`` of Markdown front
  matter, a "June 2021" on the cover); the PDF's creation date only when nothing else states one.
- **countries**: every mention, by name in any of our four languages or by adjective ("Kenyan"),
  weighted by where it stands. The main countries are those well ahead of the rest; each passage
  also carries the countries it mentions itself.
- **type**: cue words in the title, then in the opening, then structure (an abstract and a DOI).

The vocabularies behind all of this are data files (see ``vocabulary``).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace
from datetime import date

from . import vocabulary
from .records import Document, Metadata, Section

FRONT_WORDS = 600  # the opening of a file without pages that stands in for its cover and front matter
FRONT_PAGES = 2
MAIN_COUNTRY_WEIGHT = 3.0  # a country named this much, or in the title, is one the document is about
MAIN_COUNTRY_SHARE = 0.3  # ... and at least this share of the most-named country's weight
MAX_ORGANISATIONS = 3
MIN_ORGANISATION_SCORE = 4.0
MIN_TYPE_SCORE = 2.0

_COLOPHON = re.compile(
    r"©|\(c\)\s*\d|\bcopyright\b|\bISBN\b|\bpublished by\b|\bpubli[ée] par\b|\bpublicado por\b|\beditado por\b"
    r"|\bsuggested citation\b|\bcitation sugg[ée]r[ée]e\b|\bcita sugerida\b|\bcita[çc][ãa]o sugerida\b|\bcómo citar\b"
    r"|\bcomo citar\b|\ball rights reserved\b|\btous droits réservés\b|\btodos los derechos\b",
    re.IGNORECASE,
)
_YEAR = r"(?:19[5-9]\d|20\d\d)"
_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    "janvier|février|fevrier|mars|avril|mai|juin|juillet|août|aout|septembre|octobre|novembre|décembre|decembre|"
    "enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|setiembre|octubre|noviembre|diciembre|"
    "janeiro|fevereiro|março|marco|maio|junho|julho|setembro|outubro|novembro|dezembro"
)
# "June 2021", "14 mars 2020", "junio de 2021", "July 14, 2011"
_DATED = re.compile(rf"\b(?:{_MONTHS})\.?\s+(?:\d{{1,2}}(?:st|nd|rd|th)?,?\s+)?(?:de\s+)?({_YEAR})\b", re.IGNORECASE)
# A year standing alone on a cover line, or closing a short line: "Note d'analyse, 2020."
_LONE_YEAR = re.compile(rf"^(?:[^\d]{{0,80}}[,\u2013\u2014-]\s*)?({_YEAR})\.?$")
_YEAR_IN_LINE = re.compile(rf"(?<![\d/.\u2013-])({_YEAR})(?![\d\u2013/]|\s*[\u2013-]\s*\d)")
_MINISTRY_COUNTRY_CHARS = 80


def describe(document: Document, sections: list[Section]) -> Metadata:
    """The catalogue record of one document."""
    front, back = _front_and_back(document)
    colophon = [line for line in front + back if _COLOPHON.search(line)]
    mentions = _country_weights(document, sections)
    countries = _main_countries(mentions, document.title)
    organisations = _organisations(document, front, back, colophon, countries)
    regions = _regions(countries, organisations, front)
    return Metadata(
        organisations=organisations,
        year=_year(document, front, colophon),
        countries=countries,
        mentions=tuple((name, round(weight, 2)) for name, weight in mentions.most_common()),
        regions=regions,
        doc_type=_doc_type(document, front),
    )


def annotate(sections: list[Section], meta: Metadata) -> list[Section]:
    """Each passage with its document's record, and with the countries it names itself."""
    annotated = []
    for section in sections:
        own = [name for name, _, _ in vocabulary.country_matcher().find(section.text)]
        countries = tuple(dict.fromkeys((*meta.countries, *own)))
        regions = tuple(dict.fromkeys((*meta.regions, *(vocabulary.country_by_name(c).region for c in own))))
        annotated.append(replace(section, organisations=meta.organisations, countries=countries, regions=regions,
                                 doc_type=meta.doc_type, year=meta.year))
    return annotated


def _front_and_back(document: Document) -> tuple[list[str], list[str]]:
    blocks = document.blocks
    if document.pages:
        front = [b.text for b in blocks if b.page is not None and b.page <= FRONT_PAGES]
        back = [b.text for b in blocks if b.page is not None and b.page == document.pages and b.page > FRONT_PAGES]
        return front, back
    front, words = [], 0
    for block in blocks:
        if words >= FRONT_WORDS:
            break
        front.append(block.text)
        words += len(block.text.split())
    return front, []


def _country_weights(document: Document, sections: list[Section]) -> Counter:
    weights: Counter = Counter()
    find = vocabulary.country_matcher().find
    for name, _, _ in find(document.title):
        weights[name] += 5
    for section in sections:
        for name, _, _ in find(" ".join(section.heading)):
            weights[name] += 1
        for name, _, _ in find(section.text):
            weights[name] += 1
    return weights


def _main_countries(weights: Counter, title: str) -> tuple[str, ...]:
    if not weights:
        return ()
    top = weights.most_common(1)[0][1]
    in_title = {name for name, _, _ in vocabulary.country_matcher().find(title)}
    return tuple(name for name, weight in weights.most_common()
                 if name in in_title or (weight >= MAIN_COUNTRY_WEIGHT and weight >= MAIN_COUNTRY_SHARE * top))


def _organisations(document: Document, front: list[str], back: list[str], colophon: list[str],
                   countries: tuple[str, ...]) -> tuple[str, ...]:
    scores: Counter = Counter()
    sources = [(document.author, 5.0, None), (document.title, 3.0, None)]
    sources += [(line, 6.0, None) for line in colophon]
    sources += [(line, 2.0, 6.0) for line in front] + [(line, 1.0, 2.0) for line in back]
    capped: Counter = Counter()
    for text, weight, cap in sources:
        for name, start, end in vocabulary.organisation_matcher().find(text):
            if name == vocabulary.MINISTRY:
                name = _ministry(text, start, end, countries)
            if cap is None or capped[name] < cap:
                scores[name] += weight
                capped[name] += weight
    if document.author and not vocabulary.organisation_matcher().find(document.author) and _names_a_body(document.author):
        scores[document.author.strip()] += MIN_ORGANISATION_SCORE + 1  # a publisher we have no entry for
    if not scores:
        return ()
    best = scores.most_common(1)[0][1]
    kept = [name for name, score in scores.most_common() if score >= MIN_ORGANISATION_SCORE and score >= best / 2]
    return tuple(kept[:MAX_ORGANISATIONS])


def _names_a_body(author: str) -> bool:
    """A front-matter author that is an institution, not a person: "Ministère de la Santé", not "A. Diallo"."""
    words = set(vocabulary.fold(author).replace(",", " ").split())
    return bool(words & set(vocabulary.load_organisation_words()))


def _ministry(text: str, start: int, end: int, countries: tuple[str, ...]) -> str:
    """A ministry of health, named with its country: the one written beside it, or the document's own."""
    window = text[max(0, start - _MINISTRY_COUNTRY_CHARS) : end + _MINISTRY_COUNTRY_CHARS]
    near = [name for name, _, _ in vocabulary.country_matcher().find(window)]
    country = near[0] if near else countries[0] if len(countries) == 1 else ""
    return f"{vocabulary.MINISTRY} ({country})" if country else vocabulary.MINISTRY


def _year(document: Document, front: list[str], colophon: list[str]) -> int | None:
    latest = date.today().year + 1
    for line in colophon:
        years = [int(y) for y in _YEAR_IN_LINE.findall(line) if int(y) <= latest]
        if years:
            return max(years)
    if document.year and document.format != "pdf":
        return document.year  # a front-matter date the author wrote
    for line in front[:40]:
        dated = _DATED.search(line) or (_LONE_YEAR.match(line.strip()) if len(line) <= 120 else None)
        if dated and int(dated.group(1)) <= latest:
            return int(dated.group(1))
    return document.year


def _regions(countries: tuple[str, ...], organisations: tuple[str, ...], front: list[str]) -> tuple[str, ...]:
    regions = [vocabulary.country_by_name(c).region for c in countries]
    regions += [vocabulary.organisation_region(org) for org in organisations]
    regions += [code for code, _, _ in vocabulary.region_matcher().find(" ".join(front))]
    return tuple(r for r in dict.fromkeys(regions) if r)


def _doc_type(document: Document, front: list[str]) -> str:
    title = vocabulary.fold(document.title)
    opening = vocabulary.fold(" ".join(front))
    text = "\n".join(b.text for b in document.blocks)
    scores: Counter = Counter()
    for kind in vocabulary.doc_types():
        scores[kind.key] += 5 * any(_has_phrase(title, cue) for cue in kind.title)
        scores[kind.key] += 2 * sum(_has_phrase(opening, cue) for cue in kind.front)
        scores[kind.key] += 2 * sum(bool(re.search(mark, text, re.MULTILINE)) for mark in kind.marks)
    order = [kind.key for kind in vocabulary.doc_types()]
    best = max(order, key=lambda key: (scores[key], -order.index(key)))
    return best if scores[best] >= MIN_TYPE_SCORE else "report"


def _has_phrase(folded_text: str, cue: str) -> bool:
    return re.search(r"(?<!\w)" + re.escape(vocabulary.fold(cue)) + r"(?!\w)", folded_text) is not None
