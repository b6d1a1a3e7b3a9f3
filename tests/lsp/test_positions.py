"""shapelens.lsp.positions against Python's own codecs (no server)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from lsprotocol import types
from pygls.workspace.text_document import TextDocument

from shapelens.core.lines import lines_with_breaks
from shapelens.core.source import Span
from shapelens.lsp.positions import (
    UTF8,
    UTF16,
    UTF32,
    LineIndex,
    cp_to_units,
    encoding_name,
    units,
    units_to_cp,
)
from shapelens.lsp.textdoc import LspTextDocument

LINE = 's = "😀 Größe"; z = layers.Conv1D(4, 9)(y)  # 😀'
CALL = LINE.index("layers")  # 19 code points


def oracle(text: str, encoding: str) -> int:
    if encoding == UTF8:
        return len(text.encode("utf-8"))
    if encoding == UTF16:
        return len(text.encode("utf-16-le")) // 2
    return len(text)


def test_columns_before_a_layer_call_after_non_ascii():
    assert CALL == 19
    assert cp_to_units(LINE, CALL, UTF16) == 20  # the emoji is a surrogate pair
    assert cp_to_units(LINE, CALL, UTF8) == 24  # emoji 4 bytes, ö and ß 2 bytes each
    assert cp_to_units(LINE, CALL, UTF32) == 19
    for enc in (UTF8, UTF16, UTF32):
        assert units_to_cp(LINE, cp_to_units(LINE, CALL, enc), enc) == CALL


def test_units_of_single_characters():
    for ch, u8, u16 in (("a", 1, 1), ("ß", 2, 1), ("€", 3, 1), ("😀", 4, 2)):
        assert units(ch, UTF8) == u8 and units(ch, UTF16) == u16 and units(ch, UTF32) == 1


def test_offset_inside_a_character_lands_before_it():
    assert units_to_cp("😀x", 1, UTF16) == 0
    assert units_to_cp("😀x", 2, UTF16) == 1
    assert units_to_cp("😀x", 3, UTF8) == 0
    assert units_to_cp("😀x", 4, UTF8) == 1


def test_clamping():
    assert cp_to_units("abc", 10, UTF16) == 3
    assert units_to_cp("abc", 10, UTF16) == 3
    assert units_to_cp("😀", 10, UTF8) == 1
    assert units_to_cp("abc", -1, UTF16) == 0


def test_encoding_names():
    from lsprotocol import types

    assert encoding_name(types.PositionEncodingKind.Utf8) == UTF8
    assert encoding_name("utf-32") == UTF32
    assert encoding_name(None) == UTF16
    assert encoding_name("latin-1") == UTF16


def test_line_index_ranges_and_line_breaks():
    text = "a = 1\r\nb = '😀'; c = 2\rd\n"
    idx = LineIndex(text, UTF16)
    assert idx.lines == ["a = 1", "b = '😀'; c = 2", "d", ""]
    r = idx.range(Span(1, 9, 1, 10))  # `c`
    assert (r.start.line, r.start.character, r.end.line, r.end.character) == (1, 10, 1, 11)
    assert idx.to_cp(r.start) == (1, 9)
    assert idx.span(r) == Span(1, 9, 1, 10)
    end = idx.end_of_line(1)
    assert (end.line, end.character) == (1, 15)
    past = idx.position(99, 0)  # past the end: the end of the text
    assert (past.line, past.character) == (3, 0)


def test_line_index_utf8():
    idx = LineIndex("x = 'Größe'; y = 1\n", UTF8)
    p = idx.position(0, 13)
    assert (p.line, p.character) == (0, 15)
    assert idx.to_cp(p) == (0, 13)


text_lines = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"), max_size=40)


@given(text_lines, st.integers(min_value=0, max_value=45), st.sampled_from([UTF8, UTF16, UTF32]))
def test_round_trip_against_codecs(line, col, encoding):
    col = min(col, len(line))
    u = cp_to_units(line, col, encoding)
    assert u == oracle(line[:col], encoding)
    assert units_to_cp(line, u, encoding) == col
    assert units(line, encoding) == oracle(line, encoding)


# --------------------------------------------------------------------------- incremental text sync

class _LineByLine(LspTextDocument):
    """The same document, with pygls's own line-by-line edit (the reference)."""

    def _apply_incremental_change(self, change):
        TextDocument._apply_incremental_change(self, change)


_TEXT_PIECES = st.lists(st.sampled_from(["x = 1", "😀", "Größe", "\n", "\r\n", "\r", "\f", "  ", "layers.Dense(4)", ""]),
                        max_size=12).map("".join)


@given(text=_TEXT_PIECES, new=_TEXT_PIECES,
       start=st.tuples(st.integers(0, 8), st.integers(0, 20)), end=st.tuples(st.integers(0, 8), st.integers(0, 20)))
def test_incremental_edits_give_the_text_pygls_builds(text, new, start, end):
    change = types.TextDocumentContentChangePartial(
        range=types.Range(start=types.Position(*start), end=types.Position(*end)), text=new)
    fast = LspTextDocument("file:///t.py", source=text, sync_kind=types.TextDocumentSyncKind.Incremental)
    reference = _LineByLine("file:///t.py", source=text, sync_kind=types.TextDocumentSyncKind.Incremental)
    fast.apply_change(change)
    reference.apply_change(change)
    assert fast.source == reference.source
    assert list(fast.lines) == lines_with_breaks(fast.source)  # the lines follow the new text
