"""Which findings are reported, and with what severity: the options of shapelens.config applied
to an Analysis. The CLI and the language server both report through :func:`reported`, so the
same project gives the same findings in both.

Order: Keras 3 migration notes (only with ``checks.keras3Migration``), severity overrides, then the severity switches (``diagnostics.*``) and
``checks.dataShapes``, then ``select``/``ignore``/``per-file-ignores``, then inline
suppressions. Unused or unknown suppressions become SL004 findings (themselves selectable).
"""

from __future__ import annotations

import dataclasses
import fnmatch
from pathlib import Path, PurePosixPath

from shapelens.config import Options
from shapelens.core.results import Analysis, Diagnostic
from shapelens.core.suppressions import Suppression
from shapelens.core.codes import UNUSED_SUPPRESSION

DATA_SHAPE_PREFIX = "SL3"
UNUSED_SUPPRESSION = UNUSED_SUPPRESSION


def _longest(code: str, selectors) -> int:
    """Length of the longest selector matching ``code`` (-1: none; ``ALL`` counts as length 0)."""
    best = -1
    for s in selectors:
        if s == "ALL":
            best = max(best, 0)
        elif code.startswith(s):
            best = max(best, len(s))
    return best


def selected(code: str, options: Options, path: str | None = None) -> bool:
    """Whether ``select``/``extend-select``/``ignore``/``per-file-ignores`` let ``code`` through.

    As in ruff, the most specific entry wins: ``ignore = ["SL1"]`` with ``select = ["SL101"]``
    reports SL101 and no other SL1xx code; on a tie, ignore wins.
    """
    chosen = _longest(code, [*options.select, *options.extend_select])
    if chosen < 0:
        return False
    ignores = list(options.ignore)
    if path and options.per_file_ignores:
        for glob, codes in options.per_file_ignores.items():
            if matches(path, glob):
                ignores.extend(codes)
    return chosen > _longest(code, ignores)


def matches(path: str, glob: str) -> bool:
    """A per-file-ignores glob against a file: anchored globs against the absolute path,
    a glob without ``/`` also against the file name, other relative globs at any depth."""
    try:
        full = Path(path).resolve().as_posix()
    except (OSError, RuntimeError, ValueError):
        full = PurePosixPath(path.replace("\\", "/")).as_posix()
    if fnmatch.fnmatchcase(full, glob):
        return True
    if "/" not in glob:
        return fnmatch.fnmatchcase(PurePosixPath(full).name, glob)
    return not glob.startswith("/") and fnmatch.fnmatchcase(full, "*/" + glob)


def severity_of(code: str, default: str, options: Options) -> str:
    best, severity = -1, default
    for selector, value in options.severity.items():
        n = _longest(code, [selector])
        if n > best:
            best, severity = n, value
    return severity


def reported(analysis: Analysis, options: Options, path: str | None = None) -> list[Diagnostic]:
    """The analysis's diagnostics that the options and the suppression comments let through."""
    path = analysis.path if path is None else path
    suppressions = analysis.suppressions
    out: list[Diagnostic] = []
    used: dict[int, set[str]] = {}
    for d in analysis.diagnostics:
        d = _passes(d, options, path)
        if d is None:
            continue
        s = _suppressor(d, suppressions)
        if s is not None:
            used.setdefault(id(s), set()).add(d.code)
            continue
        out.append(d)
    for s in _unique(suppressions):
        for d in _suppression_findings(s, used.get(id(s), set()), options):
            d = _passes(d, options, path)
            if d is not None:
                out.append(d)
    return out


def _passes(d: Diagnostic, options: Options, path: str) -> Diagnostic | None:
    if d.migration and not options.checks.keras3_migration:
        return None
    severity = severity_of(d.code, d.severity, options) if options.severity else d.severity
    if not options.severity_enabled(severity):
        return None
    if not options.checks.data_shapes and d.code.startswith(DATA_SHAPE_PREFIX):
        return None
    if not selected(d.code, options, path):
        return None
    return d if severity == d.severity else dataclasses.replace(d, severity=severity)


def _suppressor(d: Diagnostic, suppressions: dict[int, Suppression]) -> Suppression | None:
    for line in (d.span.line, d.span.end_line):
        s = suppressions.get(line)
        if s is not None and s.covers(d.code):
            return s
    return None


def _unique(suppressions: dict[int, Suppression]) -> list[Suppression]:
    return sorted({id(s): s for s in suppressions.values()}.values(), key=lambda s: s.span.line)


def _suppression_findings(s: Suppression, used: set[str], options: Options) -> list[Diagnostic]:
    out = []
    for code in s.unknown:
        out.append(Diagnostic(UNUSED_SUPPRESSION, "warning",
                              UNUSED_SUPPRESSION.unknown_code(code=code), s.span))
    if not options.report_unused_suppressions:
        return out
    if s.codes is None:
        if not used:
            out.append(Diagnostic(UNUSED_SUPPRESSION, "warning",
                                  UNUSED_SUPPRESSION.unused(), s.span))
        return out
    unused = [c for c in s.codes if c not in used]
    if unused:
        out.append(Diagnostic(UNUSED_SUPPRESSION, "warning",
                              UNUSED_SUPPRESSION.unused_codes(unused=', '.join(unused)), s.span))
    return out
