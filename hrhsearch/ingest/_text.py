"""Text clean-up shared by the ingestors: decoding, normalising, reflowing hard-wrapped lines."""

from __future__ import annotations

import codecs
import re
import unicodedata

from ..errors import ExtractionError

# Characters that carry no text but split words for a tokenizer (soft hyphen, zero-width
# space/joiners, word joiner, BOM).
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"), None)
# Control characters that PDFs and old HTML carry into text (NUL, \x19 for an apostrophe) read as spaces.
_INVISIBLE.update(dict.fromkeys([*range(0, 9), *range(11, 32), 127], " "))
_INVISIBLE_FOUND = re.compile("[" + "".join(map(re.escape, map(chr, _INVISIBLE))) + "]")
_SPACING = r"\t\u00a0\u2000-\u200a\u202f\u205f\u3000"  # spacing other than the space itself
# A run of spacing that is not already one space: most text has none, and replacing each single
# space with itself took as long as the rest of the clean-up.
_SPACES = re.compile(rf"[{_SPACING}][ {_SPACING}]*| [ {_SPACING}]+")
_SYMBOL_BULLET = r"[\u2022\u25aa\u25cf\u25e6\u2023\u2043\u00b7*+\-\u2013]"
_BULLET = re.compile(rf"^\s*(?:{_SYMBOL_BULLET}|\(?\d{{1,2}}[.)]|\(?[a-z][.)])\s+")
_SYMBOL_BULLET_LINE = re.compile(rf"^\s*{_SYMBOL_BULLET}\s+")
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def clean(text: str) -> str:
    """Normalise one line or paragraph: ligatures (NFKC), invisible characters, runs of spaces."""
    text = unicodedata.normalize("NFKC", text)
    if _INVISIBLE_FOUND.search(text):  # translate looks every character up, found or not
        text = text.translate(_INVISIBLE)
    return _SPACES.sub(" ", text).strip()


def decode(data: bytes, path: str, declared: str | None = None) -> str:
    """Bytes to text: a BOM wins, then the declared charset, then UTF-8, then Windows-1252.

    Bytes that are clearly binary (NUL bytes without a UTF-16/32 BOM) are an error, not text.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data.decode(encoding, errors="replace")
    if b"\x00" in data[:8192]:
        raise ExtractionError(path, "binary data, not text (it holds NUL bytes and no text encoding mark)")
    if declared:
        try:
            return data.decode(declared, errors="replace")
        except LookupError:
            pass  # an unknown charset name: fall through to our own guesses
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    if _looks_binary(text[:8192]):
        raise ExtractionError(path, "binary data, not text (it is mostly control characters)")
    return text


def _looks_binary(sample: str) -> bool:
    odd = sum(1 for c in sample if (c < " " and c not in "\t\n\r\f") or c == "\ufffd")
    return odd > max(8, len(sample) // 20)


def is_bullet(line: str, numbered: bool = True) -> bool:
    """A list item: a bullet symbol, or with ``numbered`` also "1." / "a)" (which in a PDF usually
    number headings instead)."""
    return bool((_BULLET if numbered else _SYMBOL_BULLET_LINE).match(line))


def dehyphenate(lines: list[str]) -> str:
    """Join wrapped lines into one paragraph, rejoining words hyphenated across a line break."""
    out = ""
    for line in (ln.strip() for ln in lines):
        if not line:
            continue
        if out.endswith("-") and len(out) > 1 and out[-2].isalpha() and line[:1].islower():
            out = out[:-1] + line
        elif out:
            out = f"{out} {line}"
        else:
            out = line
    return out


def reflow(text: str) -> list[str]:
    """Hard-wrapped text to paragraphs: blank lines separate them, bullets and tabbed rows stand alone."""
    paragraphs: list[str] = []
    current: list[str] = []

    def flush() -> None:
        if current:
            joined = clean(dehyphenate(current))
            if joined:
                paragraphs.append(joined)
            current.clear()

    for raw in text.splitlines():
        line = raw.rstrip()
        if not line.strip():
            flush()
        elif is_bullet(line) or "\t" in line.strip():
            flush()
            current.append(line.replace("\t", "  "))
        else:
            current.append(line)
    flush()
    return paragraphs


_SMALL_WORDS = frozenset(
    "a an and as at by de del des du en et for from in la las le les los of on or para pour the to "
    "y e o da das do dos em na no com sur par con".split()
)


def looks_like_heading(paragraph: str) -> bool:
    """A short standalone line in title case or capitals, not a sentence and not a bullet."""
    if len(paragraph) > 90 or is_bullet(paragraph) or "\n" in paragraph:
        return False
    words = paragraph.split()
    if not 1 <= len(words) <= 12 or paragraph[-1] in ".,;!?" or not any(c.isalpha() for c in paragraph):
        return False
    letters = [c for c in paragraph if c.isalpha()]
    if all(c.isupper() for c in letters) and len(letters) >= 3:
        return True
    significant = [w for w in words if w.lower() not in _SMALL_WORDS and w[:1].isalpha()]
    return bool(significant) and all(w[0].isupper() for w in significant)
