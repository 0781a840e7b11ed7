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
from functools import lru_cache

from . import vocabulary
from .documents import Document, Metadata, Section

FRONT_WORDS = 600  # the opening of a file without pages that stands in for its front matter
FRONT_PAGES = 2
COVER_BLOCKS = 8  # the first lines of a file without pages: its cover; the last ones, its back cover
BACK_PAGES = 2
COVER_LINE_CHARS = 100  # a date or a publisher on a cover stands on a short line, not in a sentence
COVER_DATE_WORDS = 8  # "Bogotá, D.C., agosto de 2022"; a longer line with a date is a sentence about an event
MAIN_COUNTRY_WEIGHT = 3.0  # a country named this often is one the document is about ...
MAIN_COUNTRY_SHARE = 0.5  # ... if it is named at least half as often as the most-named country
FEW_COUNTRIES = 3  # a document naming no more countries than this is about each it names enough
SHORT_WORDS = 300
MAX_ORGANISATIONS = 3
MIN_ORGANISATION_SCORE = 4.0
MIN_TYPE_SCORE = 2.0

# Whole words, in any case, and two signs.
_COLOPHON_WORDS = (
    "copyright", "ISBN", "published by", "publi[ée] par", "publicado por", "editado por", "suggested citation",
    "citation sugg[ée]r[ée]e", "cita sugerida", "cita[çc][ãa]o sugerida", "cómo citar", "como citar", "modo de citar",
    "pour citer", "please cite", "to cite", "all rights reserved", "tous droits réservés", "todos los derechos",
)
_COLOPHON_SIGNS = (("©", ""), ("(", r"c\)\s*\d"))
_YEAR = r"(?:19[5-9]\d|20\d\d)"
_SITE = re.compile(r"(?:https?://)?(?:www\.)?((?:[a-z0-9-]+\.)+[a-z]{2,})(/[\w./-]*)?", re.IGNORECASE)
# What every site has, found by a scan for its dot: the site pattern is tried at every character of
# a line, and only a line with this can hold one.
_SITE_HINT = re.compile(r"\.(?<=[a-z0-9-]\.)[a-z]{2}", re.IGNORECASE)
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


def preload() -> None:
    """Read the vocabularies and compile the cues that reading a document needs."""
    vocabulary.preload()
    _cues()


def describe(document: Document, sections: list[Section]) -> Metadata:
    """The catalogue record of one document."""
    cover, front, back = _parts(document)
    colophon = _colophon(front + back)
    mentions = _country_weights(document, sections)
    countries = _main_countries(mentions, document.title, cover, sum(len(s.text.split()) for s in sections))
    organisations = _organisations(document, cover, front, back, colophon, countries)
    regions = _regions(countries, organisations, front)
    return Metadata(
        organisations=organisations,
        year=_year(document, cover, colophon),
        countries=countries,
        mentions=tuple((name, round(weight, 2)) for name, weight in mentions.most_common()),
        regions=regions,
        doc_type=_doc_type(document, cover, front),
    )


def annotate(sections: list[Section], meta: Metadata) -> list[Section]:
    """Each passage with its document's record, and with the countries it names itself."""
    annotated = []
    for section in sections:
        own = _countries_in(section.text)
        countries = tuple(dict.fromkeys((*meta.countries, *own)))
        regions = tuple(dict.fromkeys((*meta.regions, *(vocabulary.country_by_name(c).region for c in own))))
        annotated.append(replace(section, organisations=meta.organisations, countries=countries, regions=regions,
                                 doc_type=meta.doc_type, year=meta.year))
    return annotated


def _parts(document: Document) -> tuple[list[str], list[str], list[str]]:
    """The cover (page 1, or the first lines), the front matter (the first pages, or the opening
    words) and the back page, as lines of text."""
    blocks = document.blocks
    if document.pages:
        cover = [b.text for b in blocks if b.page == 1]
        front = [b.text for b in blocks if b.page is not None and b.page <= FRONT_PAGES]
        back = [b.text for b in blocks if b.page is not None and b.page > max(FRONT_PAGES, document.pages - BACK_PAGES)]
        return cover, front, back
    front, words = [], 0
    for block in blocks:
        if words >= FRONT_WORDS:
            break
        front.append(block.text)
        words += len(block.text.split())
    back = [b.text for b in blocks[max(len(front), len(blocks) - COVER_BLOCKS):]]
    return [b.text for b in blocks[:COVER_BLOCKS]], front, back


def _colophon(lines: list[str]) -> list[str]:
    """Copyright and publication lines, and the suggested citation that follows a "How to cite" heading."""
    found = []
    for n, line in enumerate(lines):
        if _COLOPHON.search(line):
            found.append(line)
            if len(line) <= 40 and n + 1 < len(lines):
                found.append(lines[n + 1])
    return found


def _country_weights(document: Document, sections: list[Section]) -> Counter:
    weights: Counter = Counter()
    find = vocabulary.country_matcher().find
    for name, _, _ in find(document.title):
        weights[name] += 5
    for section in sections:
        for name, _, _ in find(" ".join(section.heading)):
            weights[name] += 1
        for name in _countries_in(section.text):
            weights[name] += 1
    return weights


@lru_cache(maxsize=256)
def _countries_in(text: str) -> tuple[str, ...]:
    """Every country a passage names, in order; each passage is read twice (weights, then annotation)."""
    return tuple(name for name, _, _ in vocabulary.country_matcher().find(text))


def _main_countries(weights: Counter, title: str, cover: list[str], words: int) -> tuple[str, ...]:
    """The countries a document is about: named in its title or on its cover, or named often and
    at least half as often as the most-named one. In a document that names only a few countries,
    naming one twice is enough, and in a short one, once."""
    if not weights:
        return ()
    top = weights.most_common(1)[0][1]
    find = vocabulary.country_matcher().find
    prominent = {name for name, _, _ in find(title)} | {name for line in cover if len(line) <= COVER_LINE_CHARS
                                                         for name, _, _ in find(line)}
    enough = MAIN_COUNTRY_WEIGHT if len(weights) > FEW_COUNTRIES else 1.0 if words <= SHORT_WORDS else 2.0
    return tuple(name for name, weight in weights.most_common()
                 if name in prominent or (weight >= enough and weight >= MAIN_COUNTRY_SHARE * top))


def _organisations(document: Document, cover: list[str], front: list[str], back: list[str], colophon: list[str],
                   countries: tuple[str, ...]) -> tuple[str, ...]:
    """Publishers, by the strength of where they are named: the file's metadata and the colophon
    most, then the title and the cover, then the rest of the front matter and the back page."""
    scores: Counter = Counter()
    at = vocabulary.organisation_at(document.url) if document.url else None
    if at:
        scores[at] += 6
    country = _cover_country(cover, countries)
    capped: Counter = Counter()
    sources = [(document.author, 6.0, None), (document.title, 3.0, None)]
    sources += [(line, 6.0, None) for line in colophon]
    # A cover names its publisher on a short line; a long one is text that names others in passing.
    sources += [(line, 4.0, 8.0) if len(line) <= COVER_LINE_CHARS else (line, *_passing(line)) for line in cover]
    sources += [(line, *_passing(line)) for line in front[len(cover):] + back]
    for line in cover + back:  # a publisher's web site on the cover or the back cover
        for site in _SITE.finditer(line) if _SITE_HINT.search(line) else ():
            owner = vocabulary.organisation_at(site.group(0))
            if owner and capped[(owner, "site")] < 8:
                scores[owner] += 4
                capped[(owner, "site")] += 4
    for text, weight, cap in sources:
        for name, start, end in vocabulary.organisation_matcher().find(text):
            if name == vocabulary.MINISTRY:
                name = _ministry(text, start, end, country)
            if cap is None or capped[(name, cap)] < cap:
                scores[name] += weight
                capped[(name, cap)] += weight
    if document.author and not vocabulary.organisation_matcher().find(document.author) and _names_a_body(document.author):
        scores[document.author.strip()] += 6  # a publisher we have no entry for, named by the file itself
    _merge_ministries(scores)
    if not scores:
        return ()
    best = scores.most_common(1)[0][1]
    kept = [name for name, score in scores.most_common() if score >= MIN_ORGANISATION_SCORE and score >= best / 2]
    return tuple(kept[:MAX_ORGANISATIONS])


def _passing(line: str) -> tuple[float, float]:
    """(weight, cap) of a publisher named in the front or back matter: a short line is a credit
    ("Área de Salud de Fundar"), a long one text that names others in passing."""
    return (2.0, 4.0) if len(line) <= COVER_LINE_CHARS else (0.5, 2.0)


def _cover_country(cover: list[str], countries: tuple[str, ...]) -> str:
    """The country a ministry on the cover belongs to: one the cover names, or the document's only one."""
    named = [name for line in cover for name, _, _ in vocabulary.country_matcher().find(line)]
    if named:
        return Counter(named).most_common(1)[0][0]
    return countries[0] if len(countries) == 1 else ""


def _merge_ministries(scores: Counter) -> None:
    """"Ministry of Health" without a country is the ministry named with one elsewhere in the document."""
    named = [name for name in scores if name.startswith(vocabulary.MINISTRY + " (")]
    if len(named) == 1 and vocabulary.MINISTRY in scores:
        scores[named[0]] += scores.pop(vocabulary.MINISTRY)


def _names_a_body(author: str) -> bool:
    """A front-matter author that is an institution, not a person: "Ministère de la Santé", not "A. Diallo"."""
    words = set(vocabulary.fold(author).replace(",", " ").split())
    return bool(words & set(vocabulary.load_organisation_words()))


def _ministry(text: str, start: int, end: int, country: str) -> str:
    """A ministry of health, named with its country: the one written beside it, or ``country``."""
    window = text[max(0, start - _MINISTRY_COUNTRY_CHARS) : end + _MINISTRY_COUNTRY_CHARS]
    near = [name for name, _, _ in vocabulary.country_matcher().find(window)]
    country = near[0] if near else country
    return f"{vocabulary.MINISTRY} ({country})" if country else vocabulary.MINISTRY


def _year(document: Document, cover: list[str], colophon: list[str]) -> int | None:
    """The copyright or publication line's year; a date the author gave in front matter; a date
    standing on the cover; else the file's creation date (PDF metadata)."""
    latest = date.today().year + 1
    for line in colophon:
        years = [int(y) for y in _YEAR_IN_LINE.findall(line) if int(y) <= latest]
        if years:
            return max(years)
    if document.year and document.format != "pdf":
        return document.year
    for line in cover:
        if len(line) > COVER_LINE_CHARS:
            continue  # a date in a sentence is an event's, not the publication's
        dated = _cover_date(line) or _LONE_YEAR.match(line.strip())
        if dated and int(dated.group(1)) <= latest:
            return int(dated.group(1))
    return document.year


def _cover_date(line: str) -> re.Match | None:
    """A date that is a short line or ends one ("Press release, 15 November 2021"); a date inside a
    sentence ("On July 14, 2011, nearly 100 people ...") is an event's."""
    dates = list(_DATED.finditer(line))
    found = dates[-1] if dates else None
    if found and (len(line.split()) <= COVER_DATE_WORDS or not line[found.end():].strip(" .;)")):
        return found
    return None


def _regions(countries: tuple[str, ...], organisations: tuple[str, ...], front: list[str]) -> tuple[str, ...]:
    regions = [vocabulary.country_by_name(c).region for c in countries]
    regions += [vocabulary.organisation_region(org) for org in organisations]
    regions += [code for code, _, _ in vocabulary.region_matcher().find(" ".join(front))]
    return tuple(r for r in dict.fromkeys(regions) if r)


def _doc_type(document: Document, cover: list[str], front: list[str]) -> str:
    """The type whose cue words stand in the title (earliest first), on the cover, in the opening,
    or whose structural marks the text carries; "report" when nothing says more."""
    title = vocabulary.fold(document.title)
    cover_lines = "\n".join(line for line in cover if len(line) <= COVER_LINE_CHARS)
    cover_text = vocabulary.fold(cover_lines)
    opening = vocabulary.fold(" ".join(front))
    text = "\n".join(b.text for b in document.blocks)
    scores: Counter = Counter()
    first_in_title: dict[str, int] = {}
    for kind, (title_cues, front_cues, marks) in zip(vocabulary.doc_types(), _cues()):
        if title_cues:
            found = title_cues.search(title)
            if found:
                scores[kind.key] += 5
                first_in_title[kind.key] = found.start()
            scores[kind.key] += 3 * bool(title_cues.search(cover_text))
        if front_cues:
            scores[kind.key] += 2 * len({m.group(0) for m in front_cues.finditer(opening)})
        marked = [mark for mark in marks if mark.search(text)]
        if len(marked) >= 2:  # one mark can be chance ("Background" heads many reports); two are structure
            scores[kind.key] += sum(kind.mark_weight * (2 if mark.search(cover_lines) else 1) for mark in marked)
    order = [kind.key for kind in vocabulary.doc_types()]
    best = max(order, key=lambda key: (scores[key], -first_in_title.get(key, 10**6), -order.index(key)))
    return best if scores[best] >= MIN_TYPE_SCORE else "report"


@lru_cache(maxsize=1)
def _cues() -> list[tuple[re.Pattern | None, re.Pattern | None, list[re.Pattern]]]:
    """Each type's title and opening cues as one pattern each (whole words, folded), and its marks."""

    def alternation(cues: tuple[str, ...]) -> re.Pattern | None:
        if not cues:
            return None
        words = sorted({vocabulary.fold(cue) for cue in cues}, key=len, reverse=True)
        return re.compile(_scanned([(word[0], re.escape(word[1:])) for word in words], False, _NOT_AFTER_WORD) + r"(?!\w)")

    return [(alternation(kind.title), alternation(kind.front), [re.compile(_quick_mark(m), re.MULTILINE) for m in kind.marks])
            for kind in vocabulary.doc_types()]


_LEADING_BOUNDARY = re.compile(r"^((?:\(\?i\))?)\\b")
_INITIAL_LITERAL = re.compile(r"[^\W_](?![?*+{])")
_FIRST_WORDS = re.compile(r"\(\?:([^()\[\]\\]*)\)")
# Lookbehinds checked after a word's first character, which stands for ``{}``: a word boundary
# before it, and (a cue's) no word character before it.
_AFTER_BOUNDARY = r"(?<=\b{})"
_NOT_AFTER_WORD = r"(?<!\w.)"
# Characters that match a letter case-blind besides its own upper and lower case: dotted and
# dotless I (for i), the long s (for s), the Kelvin and Angstrom signs (for k and å).
_OTHER_CASES = "\u0130\u0131\u017f\u212a\u212b"


def _quick_mark(mark: str) -> str:
    """``mark`` as a pattern that matches where it does, searched faster. A pattern that starts with a
    word boundary (``\\bet al\\.``) is tried at every character of a document's text, where one that
    starts with a letter, or with a group of words that each start with one, is found by a fast scan
    for those letters (``_scanned``)."""
    lead = _LEADING_BOUNDARY.match(mark)
    if not lead:
        return mark
    blind, rest = bool(lead.group(1)), mark[lead.end():]
    group = _FIRST_WORDS.match(rest)
    if "|" in (rest[group.end():] if group else rest):
        return mark  # the boundary applies to one alternative of several: left as written
    if _INITIAL_LITERAL.match(rest):
        return _scanned([(rest[0], rest[1:])], blind, _AFTER_BOUNDARY)
    if group and all(_INITIAL_LITERAL.match(word) for word in group.group(1).split("|")):
        tail = rest[group.end():]
        words = [(word[0], word[1:]) for word in group.group(1).split("|")]
        return _scanned(words, blind, _AFTER_BOUNDARY) + (f"(?i:{tail})" if blind and tail else tail)
    return mark


def _scanned(words: list[tuple[str, str]], blind: bool, before: str) -> str:
    """An alternation of ``words`` (each a first character and a pattern for the rest) that Python's
    regular expressions find by scanning for the first characters. They do so only when every
    alternative starts with one character, matched as written: what must stand before a word
    (``before``, a lookbehind) is checked behind its first character, and a case-blind word is
    given once for each character its first one matches case-blind. The alternatives keep their
    order, so the match at each place is the one the plain alternation finds."""
    return "(?:" + "|".join(_alternatives(words, blind, before)) + ")"


def _alternatives(words: list[tuple[str, str]], blind: bool, before: str) -> list[str]:
    alternatives = []
    for first, rest in words:
        rest = f"(?i:{rest})" if blind and rest else rest
        for char in _cases(first) if blind else (first,):
            alternatives.append(re.escape(char) + before.format(re.escape(char)) + rest)
    return alternatives


def _cases(char: str) -> list[str]:
    """Every character that ``char`` matches case-blind."""
    found = {char, char.lower(), char.upper(), *_OTHER_CASES}
    return sorted(c for c in found if len(c) == 1 and re.fullmatch(re.escape(char), c, re.IGNORECASE))


# One alternation, not two: the scan needs every alternative to start with a character.
_COLOPHON = re.compile("|".join([*_alternatives([*_COLOPHON_SIGNS], True, ""),
                                 *_alternatives([(word[0], word[1:] + r"\b") for word in _COLOPHON_WORDS], True, _AFTER_BOUNDARY)]))
