"""Codes are symbols with their messages: every code has a named constant in core/codes.py
(a class registered with its severity, summary and message templates), no module of the
server spells a code as a string literal, report sites build their messages from the
templates, and the templates and their call sites agree."""

from __future__ import annotations

import ast
import io
import re
import tokenize
from pathlib import Path

import pytest

from shapelens.core import code_registry, codes, op_errors
from shapelens.core.code_registry import Msg

PACKAGE = Path(codes.__file__).resolve().parents[1]
LITERAL = re.compile(r"""^(["'])SL\d{3}\1$""")
REGISTRY_MODULES = {"codes.py", "op_errors.py"}

# Where a message is handed to a diagnostic: callee name -> index of the message argument.
REPORT_CALLS = {"LayerError": 1, "ShapeError": 1, "OpError": 1, "report": 1, "Diagnostic": 2, "_add": 2}
# Report sites that still spell their message (path relative to the package: line text);
# move them to a template, never add to this list.
RATCHET: set[str] = set()


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"))


def _groups() -> dict[str, code_registry.Code | code_registry.Messages]:
    """The template owners by the name modules import them under."""
    owners: dict[str, code_registry.Code | code_registry.Messages] = {}
    for name in dir(codes):
        value = getattr(codes, name)
        if isinstance(value, (code_registry.Code, code_registry.Messages)):
            owners[name] = value
    owners["OP_ERRORS"] = op_errors.OP_ERRORS
    return owners


def _template_uses():
    """(path, node, owner name, template name, the call or None) for every attribute of a code
    or group that names one of its templates, e.g. INVALID_ARGUMENT.kernel_size_zero(...)."""
    owners = _groups()
    for path in _modules():
        if path.name in REGISTRY_MODULES and path.parent.name == "core":
            continue
        tree = _tree(path)
        imported = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module in ("shapelens.core.codes", "shapelens.core.op_errors"):
                for alias in node.names:
                    if alias.name in owners:
                        imported[alias.asname or alias.name] = alias.name
        calls = {id(node.func): node for node in ast.walk(tree) if isinstance(node, ast.Call)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in imported:
                owner = imported[node.value.id]
                if node.attr in owners[owner].messages:
                    yield path, node, owner, node.attr, calls.get(id(node))


def _spells_text(e: ast.AST) -> bool:
    """True when the expression writes message text itself (a literal, an f-string, a
    concatenation or .format() of one) instead of calling a template."""
    if isinstance(e, ast.JoinedStr) or isinstance(e, ast.Constant) and isinstance(e.value, str):
        return True
    if isinstance(e, ast.BinOp):
        return _spells_text(e.left) or _spells_text(e.right)
    if isinstance(e, ast.IfExp):
        return _spells_text(e.body) or _spells_text(e.orelse)
    if isinstance(e, ast.Call) and isinstance(e.func, ast.Attribute) and e.func.attr == "format":
        return _spells_text(e.func.value)
    return False


def _message_arg(call: ast.Call) -> ast.AST | None:
    func = call.func
    name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
    if name not in REPORT_CALLS:
        return None
    for kw in call.keywords:
        if kw.arg == "message":
            return kw.value
    index = REPORT_CALLS[name]
    return call.args[index] if len(call.args) > index else None


def _own_name(owner) -> str:
    """INVALID_ARGUMENT for the code invalid-argument, SHARED for the group SHARED."""
    if isinstance(owner, code_registry.Code):
        return owner.name.upper().replace("-", "_")
    return owner.name


def _code_names() -> set[str]:
    return {name for name, owner in _groups().items() if isinstance(owner, code_registry.Code)}


def test_every_code_has_a_constant_named_after_its_slug():
    for code in codes.all_codes():
        name = code.name.upper().replace("-", "_")
        assert getattr(codes, name, None) == code.code, f"{code.code}: codes.{name} missing"
        assert getattr(codes, name) is code


def test_a_code_is_its_string():
    code = codes.INVALID_ARGUMENT
    assert code == "SL201" and hash(code) == hash("SL201") and codes.CODES["SL201"] is code
    assert {"SL201": 1}[code] == 1 and code.startswith("SL2") and str(code) == "SL201"
    assert (code.name, code.severity, code.code) == ("invalid-argument", "error", "SL201")
    assert code.url.endswith("/docs/rules/SL201.md")
    import copy
    import json
    import pickle

    assert copy.deepcopy(code) is code and pickle.loads(pickle.dumps(code)) is code
    assert json.dumps([code]) == '["SL201"]' and repr(code) == "'SL201'"


def test_no_module_spells_a_code_as_a_string():
    found = []
    for path in _modules():
        if path.name == "codes.py" and path.parent.name == "core":
            continue
        for tok in tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline):
            if tok.type == tokenize.STRING and LITERAL.match(tok.string):
                found.append(f"{path.relative_to(PACKAGE)}:{tok.start[0]}: {tok.string}")
    assert not found, "use the named constants of shapelens.core.codes:\n" + "\n".join(found)


def test_report_sites_use_templates():
    """LayerError / ShapeError / OpError / Diagnostic(...) / *.report(...), the dry run's _add(...)
    and (CODE, message) pairs get their message from a template (or pass one on), never spell it."""
    code_names = _code_names()
    found = []
    for path in _modules():
        if path.name in REGISTRY_MODULES and path.parent.name == "core":
            continue
        lines = path.read_text(encoding="utf-8").splitlines()
        for node in ast.walk(_tree(path)):
            message = None
            if isinstance(node, ast.Call):
                message = _message_arg(node)
            elif isinstance(node, ast.Tuple) and len(node.elts) >= 2 and isinstance(node.elts[0], ast.Name) \
                    and node.elts[0].id in code_names:
                message = node.elts[1]
            if message is not None and _spells_text(message):
                site = f"{path.relative_to(PACKAGE)}: {lines[node.lineno - 1].strip()}"
                if site not in RATCHET:
                    found.append(f"{path.relative_to(PACKAGE)}:{node.lineno}: {lines[node.lineno - 1].strip()}")
    assert not found, "give these messages a template in core/codes.py:\n" + "\n".join(found)


def test_ratchet_entries_still_exist():
    sites = set()
    for path in _modules():
        for line in path.read_text(encoding="utf-8").splitlines():
            sites.add(f"{path.relative_to(PACKAGE)}: {line.strip()}")
    assert not RATCHET - sites, f"remove from RATCHET (moved or gone): {sorted(RATCHET - sites)}"


def test_every_call_of_a_template_supplies_exactly_its_fields():
    owners = _groups()
    found = []
    calls = 0
    for path, node, owner, name, call in _template_uses():
        msg = owners[owner].messages[name]
        where = f"{path.relative_to(PACKAGE)}:{node.lineno}: {owner}.{name}"
        if call is None:
            found.append(f"{where} is not called (pass the filled message, not the template)")
            continue
        calls += 1
        if call.args or any(kw.arg is None for kw in call.keywords):
            found.append(f"{where}: keyword fields only, no *args/**kwargs")
            continue
        given = [kw.arg for kw in call.keywords]
        if sorted(given) != sorted(msg.fields):
            found.append(f"{where}: gives {sorted(given)}, the template has {sorted(msg.fields)}")
    assert calls > 300
    assert not found, "\n".join(found)


def test_every_template_is_used():
    used = {(owner, name) for _, _, owner, name, _ in _template_uses()}
    owners = _groups()
    unused = [f"{owner}.{name}" for owner, group in owners.items() for name in group.messages
              if (owner, name) not in used and owner == _own_name(group)]
    assert not unused, "unused templates (remove them):\n" + "\n".join(unused)
    assert len(code_registry.all_templates()) == sum(len(g.messages) for g in owners.values())


def test_template_names_are_words():
    """Named after what they say: no message_2, no kernel_size_2 next to kernel_size."""
    for owner in _groups().values():
        for name, msg in owner.messages.items():
            assert re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)*", name), msg
            numbered = re.fullmatch(r"(.+)_\d+", name)
            assert not re.fullmatch(r"message(_\d+)?", name), f"{msg}: name it after what it says"
            assert not (numbered and numbered.group(1) in owner.messages), f"{msg}: name it after what it says"


def test_a_template_formats_with_all_its_fields_and_no_others():
    msg = codes.INVALID_ARGUMENT.kernel_size_zero
    assert msg(kind="Conv2D", kernel="(0, 3)") == "kernel_size of Conv2D cannot contain 0, got (0, 3)"
    with pytest.raises(TypeError, match="missing fields \\['kernel'\\]"):
        msg(kind="Conv2D")
    with pytest.raises(TypeError, match="unexpected fields \\['size'\\]"):
        msg(kind="Conv2D", kernel="(0, 3)", size=3)
    with pytest.raises(TypeError):
        msg("Conv2D", "(0, 3)")
    assert Msg("{n:,} values, {v!r}")(n=1000, v="a") == "1,000 values, 'a'"
    with pytest.raises(ValueError):
        Msg("{a.b}")


def test_every_template_formats():
    """Each template fills with placeholder values (no stray braces, valid format specs)."""
    for msg in code_registry.all_templates():
        values = {f: 1 for f in msg.fields}
        assert isinstance(msg(**values), str), msg
