"""core/lines.py: where lines start, by the tokenizer's breaks only (\\r\\n, \\r, \\n)."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from shapelens.core.lines import line_starts, lines_with_breaks, split_lines

BREAK = re.compile(r"\r\n|\r|\n")

# pieces that mix every break with the characters str.splitlines would also break at
pieces = st.lists(st.sampled_from(["a", "é", "😀", " ", "\n", "\r", "\r\n", "\f", "\v", "\x85", "\u2028", ""]),
                  max_size=30).map("".join)


@given(pieces)
def test_line_starts_are_where_the_tokenizer_breaks(text):
    expected = [0, *(m.end() for m in BREAK.finditer(text))]
    assert line_starts(text) == expected
    assert len(line_starts(text)) == len(split_lines(text))
    assert [text[s:] for s in line_starts(text)][-1] == split_lines(text)[-1]


def test_line_starts_of_plain_texts():
    assert line_starts("") == [0]
    assert line_starts("a") == [0]
    assert line_starts("a\n") == [0, 2]
    assert line_starts("ab\ncd\n\nef") == [0, 3, 6, 7]
    assert line_starts("a\r\nb\rc\nd") == [0, 3, 5, 7]
    assert line_starts("a\fb\u2028c\n") == [0, 6]  # a form feed and U+2028 end no line
    assert "".join(lines_with_breaks("a\fb\nc")) == "a\fb\nc"
