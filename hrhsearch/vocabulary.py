"""The field's vocabularies, read from the data files in ``hrhsearch/data``.

Countries and WHO regions, publishers, document types and the HRH thesaurus are data, so that a
librarian can extend them without touching code. Each is read once, on first use.

Matching rules shared by all of them: a name in capitals or with a capital letter ("Kenya", "OMS")
matches as written or in capitals ("KENYA"); a name in lower case ("sénégalais") matches in any
case. Names match whole words only.
"""

import re
import unicodedata
from functools import lru_cache
from itertools import filterfalse
from pathlib import Path
from typing import NamedTuple

DATA = Path(__file__).resolve().parent / "data"
REGIONS = ("AFRO", "AMRO", "SEARO", "EURO", "EMRO", "WPRO")
LANGUAGES = ("en", "fr", "es", "pt")


def load_yaml(name: str):
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with open(DATA / name, encoding="utf-8") as handle:
        return yaml.load(handle, Loader=loader)  # noqa: S506 - a safe loader


def fold(text: str) -> str:
    """Lower case without accents, for comparing names a user typed with names in the data."""
    if text.isascii():
        return text.casefold().strip()  # what the rest would give, sooner
    decomposed = unicodedata.normalize("NFKD", text.replace("\u2019", "'"))
    return "".join(filterfalse(unicodedata.combining, decomposed)).casefold().strip()


# The vocabularies' rows are NamedTuples, not dataclasses: a search imports this module (for the
# thesaurus), and a NamedTuple class takes a fifth of the time to define. The module's annotations
# are not postponed (no ``from __future__ import annotations``): typing compiles each field's
# annotation of a NamedTuple when it is given as a string.
class Country(NamedTuple):
    code: str  # ISO 3166 alpha-3
    region: str
    name: str
    names: tuple[str, ...]
    adjectives: tuple[str, ...]


class Organisation(NamedTuple):
    name: str
    full: str
    region: str
    variants: tuple[str, ...]
    domains: tuple[str, ...] = ()


class DocType(NamedTuple):
    key: str
    label: str
    title: tuple[str, ...]
    front: tuple[str, ...]
    marks: tuple[str, ...]
    mark_weight: float = 1.5


class Entry(NamedTuple):
    """One thesaurus entry: acronyms and terms per language, all naming the same thing."""

    acronyms: dict[str, tuple[str, ...]]
    terms: dict[str, tuple[str, ...]]

    @property
    def label(self) -> str:
        return (self.terms.get("en") or next(iter(self.terms.values())))[0]


_TOKEN = re.compile(r"\w+(?:['\u2019-]\w+)*|[&/]")


def _tokens(text: str) -> list[tuple[str, int, int]]:
    # One character for another: the places stay those of ``text``.
    return [(m.group(), *m.span()) for m in _TOKEN.finditer(text.replace("\u2019", "'"))]


@lru_cache(maxsize=512)
def _words(text: str) -> tuple[tuple[str, ...], tuple[str, ...], frozenset[str]]:
    """(words, the same case-folded, the set of those) of ``text``, as ``_tokens`` cuts it: the
    country, publisher and region matchers read the same cover lines and passages, so each text is
    cut once. Places are left out; a matcher asks for them (``_spans``) only when it finds a name."""
    words = tuple(_TOKEN.findall(text.replace("\u2019", "'")))
    folded = tuple(map(str.casefold, words))
    return words, folded, frozenset(folded)


def _spans(text: str) -> list[tuple[int, int]]:
    return [(start, end) for _, start, end in _tokens(text)]


class Matcher:
    """Finds the names of a vocabulary in text, longest first, and says whose they are.

    Names are compared as runs of words, so a text is read once, word by word, whatever the size
    of the vocabulary; a run is only tried from a word that can start a name. Acronyms ("DRC",
    "OMS", "MoH") match as written or in capitals; proper names ("Democratic Republic of the
    Congo") in any case as long as they start with a capital; lower-case names in any case.
    """

    def __init__(self, names: dict[str, str]) -> None:
        self._exact: dict[tuple[str, ...], str] = {}
        self._proper: dict[tuple[str, ...], str] = {}
        self._loose: dict[tuple[str, ...], str] = {}
        for name, owner in names.items():
            words = tuple(word for word, _, _ in _tokens(name))
            if not words:
                continue
            if _is_acronym(words):
                self._exact.setdefault(words, owner)
                self._exact.setdefault(tuple(w.upper() for w in words), owner)
            else:
                table = self._loose if name[:1].islower() else self._proper
                table.setdefault(tuple(w.casefold() for w in words), owner)
        starts = {key[0].casefold() for key in (*self._exact, *self._proper, *self._loose)}
        # The words a name can start with, and their plurals as ``_singulars`` undoes them.
        self._starts = frozenset(starts | {w + "s" for w in starts if len(w) > 2} | {w + "es" for w in starts if len(w) > 2})
        self._longest = max(map(len, [*self._exact, *self._proper, *self._loose]), default=1)
        # Every run of words that begins a longer name, case-folded: a run is only tried as long
        # as its words but the last can begin a name.
        self._openings = frozenset(tuple(w.casefold() for w in key[:n]) for key in (*self._exact, *self._proper, *self._loose)
                                   for n in range(1, len(key)))

    def find(self, text: str) -> list[tuple[str, int, int]]:
        """(owner, start, end) of every match, in text order, never overlapping."""
        found: list[tuple[str, int, int]] = []
        starts = self._starts
        words, folded, present = _words(text)
        if starts.isdisjoint(present):
            return found  # most texts: no word can start a name
        spans, end = None, 0
        for i in [i for i, word in enumerate(folded) if word in starts]:
            hit = self._match_at(words, folded, i) if i >= end else None  # not inside a name found
            if hit:
                owner, n = hit
                spans = spans or _spans(text)
                found.append((owner, spans[i][0], spans[i + n - 1][1]))
                end = i + n
        return found

    def _match_at(self, words: tuple[str, ...], folded: tuple[str, ...], i: int) -> tuple[str, int] | None:
        capital = words[i][:1].isupper()
        longest, run = 1, min(self._longest, len(words) - i)
        while longest < run and folded[i : i + longest] in self._openings:
            longest += 1
        for n in range(longest, 0, -1):
            owner = self.owner(list(words[i : i + n]), capital)
            if owner:
                return owner, n
        return None

    def owner(self, words: list[str], capital: bool) -> str | None:
        """Whose name ``words`` are, as a run that starts with a capital or not; the last word
        may have a plural ending ("Kenyans", "congolaises")."""
        for last in _singulars(words[-1]):
            key = (*words[:-1], last)
            folded = tuple(w.casefold() for w in key)
            owner = self._exact.get(key) or (capital and self._proper.get(folded)) or self._loose.get(folded)
            if owner:
                return owner
        return None


def _is_acronym(words: tuple[str, ...]) -> bool:
    letters = "".join(words)
    return any(c.isupper() for c in letters[1:]) and (letters.isupper() or len(letters) <= 6)


def _singulars(word: str) -> tuple[str, ...]:
    if word.endswith("es") and len(word) > 4:
        return word, word[:-1], word[:-2]
    if word.endswith("s") and len(word) > 3:
        return word, word[:-1]
    return (word,)


@lru_cache(maxsize=1)
def countries() -> tuple[Country, ...]:
    rows = []
    for line in (DATA / "countries.tsv").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        code, region, name, names, adjectives = (line.split("\t") + [""] * 5)[:5]
        rows.append(Country(code, region, name, tuple(filter(None, names.split("|"))),
                            tuple(filter(None, adjectives.split("|")))))
    return tuple(rows)


@lru_cache(maxsize=1)
def country_matcher() -> Matcher:
    table: dict[str, str] = {}
    for country in countries():
        for name in (country.name, *country.names, *country.adjectives):
            table.setdefault(name, country.name)
    return Matcher(table)


@lru_cache(maxsize=1)
def _countries_by_key() -> dict[str, Country]:
    keys: dict[str, Country] = {}
    for country in countries():
        for key in (country.code, *country.names, *country.adjectives, country.name):
            keys.setdefault(fold(key), country)
    return keys


def country(value: str) -> Country | None:
    """The country a user means by a name in any of our languages, an adjective or an ISO code."""
    return _countries_by_key().get(fold(value))


def country_by_name(name: str) -> Country:
    return _countries_by_key()[fold(name)]


@lru_cache(maxsize=1)
def regions() -> dict[str, dict]:
    return load_yaml("regions.yaml")


def region(value: str) -> str | None:
    """The WHO region code (AFRO, ...) a user means by a code, an alias or a name."""
    wanted = fold(value)
    for code, data in regions().items():
        if wanted in {fold(code), fold(data["name"]), *(fold(a) for a in data["aliases"])}:
            return code
    return None


@lru_cache(maxsize=1)
def region_matcher() -> Matcher:
    # Only the spelled-out names: a bare "AFRO" in a text is usually the regional office, an organisation.
    return Matcher({alias: code for code, data in regions().items() for alias in data["aliases"]
                    if len(alias.split()) > 1})


@lru_cache(maxsize=1)
def _organisation_data() -> dict:
    return load_yaml("organisations.yaml")


@lru_cache(maxsize=1)
def organisations() -> tuple[Organisation, ...]:
    return tuple(Organisation(o["name"], o.get("full", o["name"]), o.get("region", ""), tuple(o["variants"]),
                              tuple(o.get("domains", ())))
                 for o in _organisation_data()["organisations"])


def organisation_at(url: str) -> str | None:
    """The publisher whose web site ``url`` is on (the most specific site wins: afro.who.int over who.int)."""
    address = re.sub(r"^[a-z]+://", "", url.strip().lower())
    host, _, path = address.partition("/")
    where = f"{host}/{path}"
    best: tuple[int, str] | None = None
    for org in organisations():
        for domain in org.domains:
            site, _, prefix = domain.partition("/")
            if (host == site or host.endswith("." + site)) and where.startswith(f"{host}/{prefix}"):
                best = max(best or (0, ""), (len(domain), org.name))
    return best[1] if best else None


MINISTRY = "Ministry of Health"


@lru_cache(maxsize=1)
def organisation_matcher() -> Matcher:
    table = {variant: org.name for org in organisations() for variant in org.variants}
    for variant in _organisation_data()["ministries"]["variants"]:
        table.setdefault(variant, MINISTRY)
    return Matcher(table)


@lru_cache(maxsize=1)
def load_organisation_words() -> frozenset[str]:
    return frozenset(_organisation_data()["organisation_words"])


def organisation(value: str) -> str | None:
    """The short name (WHO, PAHO, ...) of a publisher a user names by any of its variants."""
    wanted = fold(value)
    for org in organisations():
        if wanted in {fold(org.name), fold(org.full), *(fold(v) for v in org.variants)}:
            return org.name
    return None


def organisation_region(name: str) -> str:
    return next((org.region for org in organisations() if org.name == name), "")


@lru_cache(maxsize=1)
def doc_types() -> tuple[DocType, ...]:
    return tuple(DocType(key, data["label"], tuple(data.get("title") or ()), tuple(data.get("front") or ()),
                         tuple(data.get("marks") or ()), float(data.get("mark_weight", 1.5)))
                 for key, data in load_yaml("doctypes.yaml").items())


def doc_type(value: str) -> str | None:
    """The type key (strategy, policy, ...) a user means by a key, a label or a part of one."""
    wanted = fold(value)
    for kind in doc_types():
        if wanted in {kind.key, fold(kind.label), *(fold(part) for part in kind.label.split("/"))}:
            return kind.key
    return None


@lru_cache(maxsize=1)
def thesaurus() -> tuple[Entry, ...]:
    entries = []
    for raw in load_yaml("thesaurus.yaml"):
        acronyms = {lang: tuple(raw.get("acronyms", {}).get(lang, ())) for lang in LANGUAGES if raw.get("acronyms", {}).get(lang)}
        terms = {lang: tuple(raw[lang]) for lang in LANGUAGES if raw.get(lang)}
        entries.append(Entry(acronyms, terms))
    return tuple(entries)


def preload() -> None:
    """Read every vocabulary that reading a document needs."""
    country_matcher(), organisation_matcher(), region_matcher(), doc_types(), load_organisation_words()
