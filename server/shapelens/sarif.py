"""SARIF 2.1.0 output of `shapelens check --format sarif` (GitHub code scanning, VS Code's SARIF viewer).

One run; every shapelens code is a rule with its summary, default level and help URI (its
docs/rules page); each reported finding is a result located in its file. Columns count
Unicode code points (Span's unit), as ``columnKind`` says. tests/cli/test_sarif.py validates
the output against the official schema.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Sequence
from urllib.parse import quote

from shapelens import __version__
from shapelens.core.results import Diagnostic
from shapelens.core.codes import CODES, Code

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/shapelens/shapelens"
LEVEL = {"error": "error", "warning": "warning", "information": "note", "hint": "note"}
SRCROOT = "%SRCROOT%"


def _pascal(name: str) -> str:
    return "".join(p[:1].upper() + p[1:] for p in name.split("-"))


def rule(code: Code) -> dict[str, Any]:
    return {
        "id": code.code,
        "name": _pascal(code.name),
        "shortDescription": {"text": code.name.replace("-", " ")},
        "fullDescription": {"text": code.summary},
        "helpUri": code.url,
        "help": {"text": f"{code.summary} See {code.url}",
                 "markdown": f"{code.summary} [{code.code} documentation]({code.url})"},
        "defaultConfiguration": {"level": LEVEL.get(code.severity, "note")},
        "properties": {"tags": ["keras", "shapes"], "severity": code.severity},
    }


def artifact(path: str, root: Path) -> dict[str, Any]:
    """A relative URI under the current directory (``uriBaseId`` %SRCROOT%), else a file:// URI."""
    p = Path(path)
    try:
        full = p.resolve()
        rel = full.relative_to(root)
    except (OSError, RuntimeError, ValueError):
        if p.is_absolute():
            return {"uri": p.as_uri()}
        return {"uri": quote(path.replace(os.sep, "/")), "uriBaseId": SRCROOT}
    return {"uri": quote(rel.as_posix()), "uriBaseId": SRCROOT}


def _region(span) -> dict[str, int]:
    return {"startLine": span.line + 1, "startColumn": span.col + 1,
            "endLine": span.end_line + 1, "endColumn": span.end_col + 1}


def result(path: str, d: Diagnostic, root: Path, rule_index: dict[str, int]) -> dict[str, Any]:
    location = artifact(path, root)
    out: dict[str, Any] = {
        "ruleId": d.code,
        "level": LEVEL.get(d.severity, "note"),
        "message": {"text": d.message},
        "locations": [{"physicalLocation": {"artifactLocation": location, "region": _region(d.span)}}],
    }
    if d.code in rule_index:
        out["ruleIndex"] = rule_index[d.code]
    related = [r for r in d.related]
    if related:
        out["relatedLocations"] = [
            {"id": n, "message": {"text": r.message},
             "physicalLocation": {"artifactLocation": location, "region": _region(r.span)}}
            for n, r in enumerate(related)
        ]
    return out


def sarif_log(results: Sequence[Any], root: str | Path | None = None) -> dict[str, Any]:
    """``results``: objects with ``path`` and ``diagnostics`` (the reported findings) -> a SARIF log."""
    root = Path(root or Path.cwd()).resolve()
    rules = [rule(c) for c in CODES.values()]
    index = {r["id"]: n for n, r in enumerate(rules)}
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "shapelens", "version": __version__, "semanticVersion": __version__,
                                "informationUri": INFORMATION_URI, "rules": rules}},
            "originalUriBaseIds": {SRCROOT: {"uri": root.as_uri().rstrip("/") + "/"}},
            "columnKind": "unicodeCodePoints",
            "results": [result(r.path, d, root, index) for r in results
                        for d in sorted(r.diagnostics, key=lambda d: (d.span.line, d.span.col))],
        }],
    }
