"""Codes are symbols: every code has a named constant in core/codes.py, and no module of the
server spells a code as a string literal (grep finds every use of a code by its name)."""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

from shapelens.core import codes

PACKAGE = Path(codes.__file__).resolve().parents[1]
LITERAL = re.compile(r"""^(["'])SL\d{3}\1$""")


def test_every_code_has_a_constant_named_after_its_slug():
    for code in codes.all_codes() if hasattr(codes, "all_codes") else codes._ALL:
        name = code.name.upper().replace("-", "_")
        assert getattr(codes, name, None) == code.code, f"{code.code}: codes.{name} missing"


def test_no_module_spells_a_code_as_a_string():
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "codes.py" and path.parent.name == "core":
            continue
        for tok in tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline):
            if tok.type == tokenize.STRING and LITERAL.match(tok.string):
                found.append(f"{path.relative_to(PACKAGE)}:{tok.start[0]}: {tok.string}")
    assert not found, "use the named constants of shapelens.core.codes:\n" + "\n".join(found)
