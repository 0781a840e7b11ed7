"""A faster reader of PDF content streams, giving the objects pdfminer's own parser gives.

pdfminer tokenizes a page's content stream with a Python state machine that makes several method
calls and a debug log call per token; on drawing-heavy pages that is most of the time spent reading
a PDF. Here one regular expression finds each token. The objects are the same, in the same order: a test
compares them with pdfminer's on every PDF at hand and on generated streams. Whatever this reader
does not handle exactly as pdfminer does (inline images, procedures, unbalanced dictionaries, tokens
cut by the end of a stream) makes it return None, and the page is read by pdfminer's parser.
"""

from __future__ import annotations

import re
from typing import Any

from pdfminer import settings
from pdfminer.pdfinterp import PDFInterpreterError
from pdfminer.pdftypes import PDFStream, resolve1
from pdfminer.psparser import ESC_STRING, HEX_PAIR, KWD, LIT, SPC, PSBaseParser, PSKeyword, keyword_name, literal_name

_TOKEN = re.compile(
    rb"[\s\x00]*(?:"
    rb"(%[^\r\n]*)"  # 1 comment
    rb"|/([^/%\[\]()<>{}\s]*)"  # 2 name
    rb"|([-+\d]\d*(?:\.\d*)?|\.\d*)"  # 3 number
    rb"|([A-Za-z][^#/%\[\]()<>{}\s]*)"  # 4 keyword
    rb"|(\()"  # 5 string
    rb"|(<<)"  # 6 dictionary
    rb"|<([\s0-9a-fA-F]*)"  # 7 hex string, its end read as the next token as pdfminer does
    rb"|(>>)"  # 8 dictionary end
    rb"|(>)"  # 9 the end of a hex string
    rb"|(\[)"  # 10 array
    rb"|(\])"  # 11 array end
    rb"|([{}])"  # 12 procedure
    rb"|([^\s\x00])"  # 13 any other byte is a keyword of its own
    rb")"
)
_STRING_STOP = re.compile(rb"[()\\]")
_OCTAL = re.compile(rb"[0-7]{1,3}")
_NAME_HEX = re.compile(rb"#([0-9a-fA-F]{0,2})")
_ESCAPES = {key[0]: bytes((value,)) for key, value in ESC_STRING.items()}  # pdfminer's, by byte
_BI, _ID = KWD(b"BI"), KWD(b"ID")
_TRUE_FALSE = {b"true": True, b"false": False}
_CHUNK = PSBaseParser.BUFSIZ
MOST_BYTES = 16 << 20  # of a page's content streams read here, so that a worker's memory stays bounded


class _Unsure(Exception):
    """A stream this reader leaves to pdfminer."""


def execute(interpreter: Any, streams: list[Any]) -> bool:
    """Run a page's content streams as pdfminer's ``PDFPageInterpreter.execute`` does; False, having
    done nothing, when the streams are left to pdfminer."""
    running = getattr(interpreter, "parent_stream_ids", None)
    if running is None or not isinstance(getattr(interpreter, "stream_ids", None), set):
        return False  # a pdfminer without the loop guard this mirrors
    chosen = [resolve1(obj) for obj in streams]
    if not all(isinstance(s, PDFStream) and s.objid is not None and s.objid not in running for s in chosen):
        return False  # pdfminer warns about these and skips them
    try:
        data = [s.get_data() for s in chosen]
    except Exception:  # noqa: BLE001 - a stream that cannot be decoded: pdfminer runs the streams before it
        return False
    if sum(map(len, data)) > MOST_BYTES:
        return False  # a page's objects take about seven times its bytes; pdfminer's parser streams them
    objects = content_objects(data)
    if objects is None:
        return False
    interpreter.stream_ids.clear()
    interpreter.stream_ids.update(s.objid for s in chosen)
    operators = _OPERATORS.setdefault(type(interpreter), {})
    for obj in objects:
        if obj.__class__ is not PSKeyword:
            interpreter.argstack.append(obj)
            continue
        if obj not in operators:
            operators[obj] = _operator(type(interpreter), obj)
        operator = operators[obj]
        if operator is None:
            if settings.STRICT:
                raise PDFInterpreterError(f"Unknown operator: {keyword_name(obj)!r}")
            continue
        function, count = operator
        if not count:
            function(interpreter)
            continue
        args = interpreter.pop(count)
        if len(args) == count:
            function(interpreter, *args)
    return True


_OPERATORS: dict[type, dict[PSKeyword, tuple[Any, int] | None]] = {}


def _operator(interpreter_class: type, keyword: PSKeyword) -> tuple[Any, int] | None:
    name = keyword_name(keyword).replace("*", "_a").replace('"', "_w").replace("'", "_q")
    function = getattr(interpreter_class, "do_" + name, None)
    return None if function is None else (function, function.__code__.co_argcount - 1)


def content_objects(streams: list[bytes]) -> list[Any] | None:
    """The top-level objects of a page's content streams read one after another, or None."""
    objects: list[Any] = []
    open_: list[tuple[str, list[Any]]] = []  # the arrays and dictionaries still open, with their container
    current = objects
    try:
        for number, data in enumerate(streams):
            current = _read(data, current, open_, last=number == len(streams) - 1)
    except _Unsure:
        return None
    return None if open_ else objects


def _read(data: bytes, current: list[Any], open_: list[tuple[str, list[Any]]], last: bool) -> list[Any]:
    """Append one stream's objects to ``current``; return the container open at its end."""
    match = _TOKEN.match
    end = len(data)
    pos = 0
    while (m := match(data, pos)) is not None:
        pos = m.end()
        kind = m.lastindex
        if kind == 3:
            text = m.group(3)
            try:
                current.append(float(text) if b"." in text else int(text))
            except ValueError:
                pass  # "-" or "." alone: pdfminer drops it
        elif kind == 4:
            word = m.group(4)
            token = _TRUE_FALSE.get(word)
            if token is None:
                token = KWD(word)
                if token is _BI or token is _ID:
                    raise _Unsure  # inline image data is not made of tokens
            current.append(token)
        elif kind == 2:
            current.append(_name(m.group(2), at_end=pos == end))
        elif kind == 5:
            text, pos = _string(data, pos)
            current.append(text)
        elif kind == 10 or kind == 6:
            open_.append(("a" if kind == 10 else "d", current))
            current = []
        elif kind == 11 or kind == 8:
            # A closer that does not match is ignored, as pdfminer ignores it.
            if open_ and open_[-1][0] == ("a" if kind == 11 else "d"):
                _, outer = open_.pop()
                outer.append(current if kind == 11 else _dictionary(current))
                current = outer
        elif kind == 7:
            if pos == end:
                raise _Unsure  # not closed in this stream
            current.append(HEX_PAIR.sub(_hex_byte, SPC.sub(b"", m.group(7))))
        elif kind == 9:
            if pos == end and not last:
                raise _Unsure  # a ">" that the next stream may make ">>"
        elif kind == 13:
            current.append(KWD(m.group(13)))
        elif kind == 12:
            raise _Unsure  # procedures
        # kind 1, a comment, is skipped
    return current


def _name(raw: bytes, at_end: bool) -> Any:
    if at_end and (not raw or b"#" in raw):
        raise _Unsure  # pdfminer reads such a name on into the next stream
    if b"#" in raw:
        raw = _NAME_HEX.sub(lambda h: bytes((int(h.group(1), 16),)) if h.group(1) else b"", raw)
    try:
        return LIT(str(raw, "utf-8"))
    except UnicodeDecodeError:
        return LIT(raw)


def _dictionary(items: list[Any]) -> dict:
    if len(items) % 2:
        raise _Unsure  # pdfminer raises on it: let it
    return {literal_name(k): v for k, v in zip(items[::2], items[1::2]) if v is not None}


def _hex_byte(pair: re.Match) -> bytes:
    return bytes((int(pair.group(0), 16),))


def _string(data: bytes, pos: int) -> tuple[bytes, int]:
    """A literal string from just after its "(": escapes read as pdfminer reads them."""
    parts: list[bytes] = []
    depth = 1
    search = _STRING_STOP.search
    while True:
        m = search(data, pos)
        if m is None:
            raise _Unsure  # not closed in this stream
        stop = m.start()
        parts.append(data[pos:stop])
        char = data[stop]
        pos = stop + 1
        if char == 0x28:  # (
            depth += 1
            parts.append(b"(")
        elif char == 0x29:  # )
            depth -= 1
            if not depth:
                return b"".join(parts), pos
            parts.append(b")")
        else:
            if pos >= len(data):
                raise _Unsure
            octal = _OCTAL.match(data, pos)
            if octal:
                code = int(octal.group(0), 8)
                if code > 255:
                    raise _Unsure  # pdfminer fails an assertion on it: let it
                parts.append(bytes((code,)))
                pos = octal.end()
                continue
            escaped = data[pos]
            parts.append(_ESCAPES.get(escaped, b""))
            # pdfminer skips the "\n" of an escaped "\r\n" only when both are in one of its 4 KB reads.
            crlf = escaped == 0x0D and data[pos + 1 : pos + 2] == b"\n" and (pos + 1) % _CHUNK
            pos += 2 if crlf else 1
