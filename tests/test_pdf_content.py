"""The content-stream reader gives the objects pdfminer's own parser gives, or leaves the page to it."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pdfminer.pdfdevice import PDFDevice
from pdfminer.pdfdocument import PDFDocument
from pdfminer.pdfinterp import PDFContentParser, PDFPageInterpreter, PDFResourceManager
from pdfminer.pdfpage import PDFPage
from pdfminer.pdfparser import PDFParser
from pdfminer.pdftypes import PDFStream, list_value, resolve1
from pdfminer.psparser import PSEOF
from pdfminer.utils import MATRIX_IDENTITY

from hrhsearch.ingest import _pdfcontent, extract, pdf

from .conftest import CORPUS, SHARED

CORPUS_PDFS = sorted(CORPUS.glob("*.pdf"))
SHARED_PDFS = sorted((SHARED / "hrh-docs").glob("*/*.pdf")) if SHARED.is_dir() else []


def typed(obj: object) -> object:
    """An object with its types spelled out, so that 1 and 1.0 and True differ."""
    if isinstance(obj, list):
        return ["list", *map(typed, obj)]
    if isinstance(obj, dict):
        return ["dict", {key: typed(value) for key, value in obj.items()}]
    return [type(obj).__name__, getattr(obj, "name", obj)]


def pdfminer_objects(streams: list[bytes]) -> list | None:
    """What pdfminer's parser reads from the streams; None when it raises."""
    try:
        parser = PDFContentParser([PDFStream({}, data) for data in streams])
    except PSEOF:
        return []
    objects = []
    while True:
        try:
            objects.append(parser.nextobject()[1])
        except PSEOF:
            return objects
        except Exception:  # noqa: BLE001 - the damaged streams that make pdfminer raise
            return None


def assert_same(streams: list[bytes], must_read: bool = False) -> None:
    ours = _pdfcontent.content_objects(streams)
    theirs = pdfminer_objects(streams)
    if must_read:
        assert ours is not None, streams
    if theirs is None:
        assert ours is None, "pdfminer raises on these streams, so they must be left to it"
    elif ours is not None:
        assert typed(ours) == typed(theirs)


TOKENS = [
    b"0", b"12", b"-3.5", b".5", b"+7", b"5.", b"007", b"-", b"+.", b".", b"1.2.3", b"--5", b"3-4",
    b"/F1", b"/A#41B", b"/#", b"/a#4", b"/a#4g", b"/", b"/\xc3\xa9", b"/\xe9", b"/Name\x00x",
    b"Tj", b"TJ", b"T*", b"'", b'"', b"true", b"false", b"q", b"BT", b"ET", b"Tj\x00", b"re", b"f*",
    b"(abc)", b"()", b"(a(b)c)", b"(a\\)b)", b"(\\101\\7\\0123)", b"(\\400)", b"(x\\\r\ny)", b"(x\\\ny)",
    b"(\\q\\n\\t\\\\)", b"(\\", b"(unclosed", b"(a\rb\nc)",
    b"<48 65>", b"<4>", b"<>", b"<4g>", b"<4", b"<",
    b"[", b"]", b"<<", b">>", b">", b"{", b"}", b"%comment\n", b"%end", b"BI", b"ID", b"EI", b"#", b"\x80", b")",
]
SPACES = [b" ", b"\n", b"\r\n", b"\t", b"\x00", b"\x0b", b"\x0c", b""]


@st.composite
def streams(draw: st.DrawFn, pieces: list[bytes], spaces: list[bytes]) -> list[bytes]:
    """Pieces joined by separators (sometimes none, so tokens run together), cut into 1 to 3 streams."""
    chosen = draw(st.lists(st.sampled_from(pieces), max_size=30))
    data = b"".join(piece + draw(st.sampled_from(spaces)) for piece in chosen)
    cuts = sorted(draw(st.lists(st.integers(0, len(data)), max_size=2)))
    return [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)])]


@settings(max_examples=600, deadline=None)
@given(streams(TOKENS, SPACES))
def test_any_streams_read_as_pdfminer_reads_them(data: list[bytes]) -> None:
    assert_same(data)


WELL_FORMED = [
    b"0", b"12", b"-3.5", b".5", b"+7", b"5.", b"/F1", b"/A#41B", b"/\xe9", b"Tj", b"TJ", b"T*", b"'", b'"', b"true",
    b"(abc)", b"(a(b)c)", b"(\\101\\7\\0123)", b"(x\\\r\ny)", b"(\\q)", b"<48 65>", b"<4>", b"<>", b"[ 1 (a) -2 ]",
    b"<< /A 1 /B [ 2 3 ] >>", b"%comment\n", b"[ [ 1 ] << /C (d) >> ]", b"#", b"\x80",
]


def whole_streams(pieces: list[bytes], spaces: list[bytes]) -> st.SearchStrategy[list[bytes]]:
    """1 to 3 streams, each of whole pieces, each piece followed by a separator."""
    body = st.lists(st.tuples(st.sampled_from(pieces), st.sampled_from(spaces)), max_size=15)
    return st.lists(body.map(lambda pairs: b"".join(a + b for a, b in pairs)), min_size=1, max_size=3)


@settings(max_examples=300, deadline=None)
@given(whole_streams(WELL_FORMED, [b" ", b"\n", b"\r\n", b"\t"]))  # NUL does not end a name or keyword
def test_well_formed_streams_are_read_without_pdfminer(data: list[bytes]) -> None:
    assert_same(data, must_read=True)


def test_an_escaped_line_end_split_by_pdfminer_s_read_size_is_read_as_pdfminer_reads_it() -> None:
    chunk = _pdfcontent._CHUNK
    for backslash in (chunk - 3, chunk - 2, chunk - 1):
        data = b"(" + b"a" * (backslash - 1) + b"\\\r\nb) Tj"
        assert_same([data], must_read=True)
    assert pdfminer_objects([b"(" + b"a" * (chunk - 3) + b"\\\r\nb)"])[0].endswith(b"a\nb")


@pytest.mark.parametrize("content", [b"BI /W 1 /H 1 ID \x00 EI", b"{ 1 } pop", b"(open", b"<< /A >>", b"[ 1 2"])
def test_what_the_reader_does_not_handle_is_left_to_pdfminer(content: bytes) -> None:
    assert _pdfcontent.content_objects([content]) is None


class Recorder(PDFPageInterpreter):
    """An interpreter that records the operators it runs and their operands."""

    def __init__(self) -> None:
        manager = PDFResourceManager()
        super().__init__(manager, PDFDevice(manager))
        self.init_state(MATRIX_IDENTITY)
        self.ran: list = []

    def do_Tj(self, s: object) -> None:
        self.ran.append(("Tj", typed(s)))

    def do_TJ(self, seq: object) -> None:
        self.ran.append(("TJ", typed(seq)))

    def do_Td(self, tx: object, ty: object) -> None:
        self.ran.append(("Td", typed(tx), typed(ty)))

    def do_T_a(self) -> None:
        self.ran.append(("T*",))

    def do__q(self, s: object) -> None:
        self.ran.append(("'", typed(s)))


def stream_objects(datas: list[bytes], first: int = 10) -> list[PDFStream]:
    made = []
    for number, data in enumerate(datas, start=first):
        stream = PDFStream({}, data)
        stream.set_objid(number, 0)
        made.append(stream)
    return made


OPERATIONS = [b"1", b"2.5", b"(text)", b"[ (a) -20 (b) ]", b"Tj", b"TJ", b"Td", b"T*", b"'", b"BT", b"ET", b"Zz"]


@settings(max_examples=200, deadline=None)
@given(streams(OPERATIONS, [b" ", b"\n"]))
def test_operators_run_with_the_operands_pdfminer_gives_them(data: list[bytes]) -> None:
    ours, theirs = Recorder(), Recorder()
    ran = _pdfcontent.execute(ours, stream_objects(data))
    if not ran:  # as the extractor's interpreter does
        PDFPageInterpreter.execute(ours, stream_objects(data))
    PDFPageInterpreter.execute(theirs, stream_objects(data))
    assert ran == (_pdfcontent.content_objects(data) is not None)
    assert ours.ran == theirs.ran
    assert typed(ours.argstack) == typed(theirs.argstack)


def test_a_stream_already_being_run_is_left_to_pdfminer_s_loop_guard() -> None:
    interpreter = Recorder()
    [stream] = stream_objects([b"(x) Tj"])
    interpreter.parent_stream_ids.add(stream.objid)
    assert not _pdfcontent.execute(interpreter, [stream])
    unnumbered = PDFStream({}, b"(x) Tj")
    assert not _pdfcontent.execute(interpreter, [unnumbered])
    assert interpreter.ran == []


def test_a_page_larger_than_the_reader_takes_is_left_to_pdfminer_s_streaming_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    data = [b"1 0 0 1 72 700 cm (posting allowance) Tj " * 20]
    assert _pdfcontent.execute(Recorder(), stream_objects(data))
    monkeypatch.setattr(_pdfcontent, "MOST_BYTES", len(data[0]) - 1)
    interpreter = Recorder()
    assert not _pdfcontent.execute(interpreter, stream_objects(data))
    assert interpreter.ran == []


def page_streams(path: Path) -> list[list[PDFStream]]:
    with path.open("rb") as fp:
        document = PDFDocument(PDFParser(fp), password="")
        return [[resolve1(s) for s in list_value(page.contents)] for page in PDFPage.create_pages(document)]


@pytest.mark.parametrize("path", CORPUS_PDFS, ids=lambda p: p.name)
def test_the_corpus_pdfs_are_read_without_pdfminer_s_parser_and_alike(path: Path) -> None:
    for streams_of_page in page_streams(path):
        assert_same([s.get_data() for s in streams_of_page], must_read=True)


def _shared_params() -> list:
    if not SHARED_PDFS:
        return [pytest.param(None, marks=pytest.mark.skip(reason="../shared (real PDFs) is not beside this clone"))]
    return [pytest.param(p, id=p.name) for p in SHARED_PDFS if p.name != "password.pdf"]


@pytest.mark.parametrize("path", _shared_params())
def test_real_pdfs_content_streams_read_alike(path: Path) -> None:
    for streams_of_page in page_streams(path):
        try:
            data = [s.get_data() for s in streams_of_page]
        except Exception:  # noqa: BLE001 - a stream pdfminer cannot decode is pdfminer's to report
            continue
        assert_same(data, must_read=True)  # none of these pages needs pdfminer's parser


def outcome(path: Path) -> object:
    try:
        return extract(path)
    except Exception as exc:  # noqa: BLE001 - a PDF that fails must fail alike
        return type(exc).__name__, str(exc)


def _slow_outcome(path: Path, monkeypatch: pytest.MonkeyPatch) -> object:
    with monkeypatch.context() as patch:
        patch.setattr(_pdfcontent, "execute", lambda *args: False)
        patch.setattr(pdf, "_without_paths", lambda device_class: device_class)
        return outcome(path)


SMALL_PDFS = CORPUS_PDFS + [p for p in SHARED_PDFS if p.stat().st_size < 600_000 and p.name != "password.pdf"]


@pytest.mark.parametrize("path", SMALL_PDFS, ids=lambda p: p.name)
def test_documents_are_the_same_as_with_pdfminer_s_parser_and_shapes(path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    assert outcome(path) == _slow_outcome(path, monkeypatch)


def _one_page_pdf(content: bytes) -> bytes:
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def test_a_page_with_an_inline_image_is_read_by_pdfminer_and_keeps_its_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    content = (b"q 2 0 0 2 100 600 cm BI /W 2 /H 2 /CS /G /BPC 8 ID \x00\xff\xff\x00 EI Q\n"
               b"BT /F1 12 Tf 72 700 Td (Inline images sit beside the posting allowance) Tj ET")
    path = tmp_path / "inline.pdf"
    path.write_bytes(_one_page_pdf(content))
    assert _pdfcontent.content_objects([content]) is None
    document = extract(path)
    assert "posting allowance" in " ".join(block.text for block in document.blocks)
    assert document == _slow_outcome(path, monkeypatch)


def test_reading_many_pdfs_keeps_one_interpreter_class_and_one_operator_table() -> None:
    for path in CORPUS_PDFS * 3:
        extract(path)
    tolerant = pdf._tolerant(PDFPageInterpreter)
    assert tolerant is pdf._tolerant(PDFPageInterpreter)
    assert [cls for cls in _pdfcontent._OPERATORS if cls.__name__ == tolerant.__name__] == [tolerant]


DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


@pytest.mark.parametrize("unicode_font", [False, True], ids=["core fonts", "embedded Unicode font"])
def test_a_varied_generated_pdf_reads_alike(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, unicode_font: bool) -> None:
    """Escaped brackets and backslashes, shapes, a rotated line, two columns and, with an embedded
    font, text written as two-byte glyph numbers: binary strings with NULs, line ends and escapes."""
    from fpdf import FPDF

    if unicode_font and not DEJAVU.is_file():
        pytest.skip("no DejaVu font on this machine to embed")
    document = FPDF()
    if unicode_font:
        document.add_font("DejaVu", fname=str(DEJAVU))
    for page in range(2):
        document.add_page()
        document.set_font("DejaVu" if unicode_font else "Helvetica", size=18)
        document.cell(0, 12, f"Part {page + 1}: retention (rural) \\ posts", new_x="LMARGIN", new_y="NEXT")
        document.set_font("DejaVu" if unicode_font else "Helvetica", size=10)
        document.rect(10, 40, 60, 20, style="DF")
        document.ellipse(80, 40, 30, 15)
        document.line(10, 70, 200, 70)
        with document.rotation(30, x=100, y=120):
            document.text(100, 120, "Rotated note on housing allowances")
        text = "Incentives (housing, pay) keep nurses in remote posts; agentes de saúde e formação contínua. " * 6
        document.set_y(140)
        document.multi_cell(90, 5, text)
        document.set_xy(110, 140)
        document.multi_cell(90, 5, text.upper())
    path = tmp_path / "varied.pdf"
    document.output(str(path))
    for streams_of_page in page_streams(path):
        assert_same([s.get_data() for s in streams_of_page], must_read=True)
    fast = outcome(path)
    assert "posts" in " ".join(block.text for block in fast.blocks)
    assert fast == _slow_outcome(path, monkeypatch)
