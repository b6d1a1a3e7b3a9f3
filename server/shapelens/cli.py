"""Command line: `shapelens check`, `shapelens summary`, `shapelens serve`.

The check and summary paths import only the pure core (no pygls, lsprotocol or
TensorFlow) so that they start fast.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Iterable

SKIP_DIRS = {".git", ".hg", ".venv", "venv", "env", "node_modules", "__pycache__", "build", "dist", ".tox",
             ".mypy_cache", ".pytest_cache", "site-packages"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="shapelens", description="Keras model shapes, without running the model.")
    sub = parser.add_subparsers(dest="command", required=True)

    check = sub.add_parser("check", help="report shape errors in Python files (exit 1 if any error)")
    check.add_argument("paths", nargs="+", help="files or directories")
    check.add_argument("--format", choices=("text", "json"), default="text")
    check.add_argument("--shapes", action="store_true", help="also print each model's shape table")
    check.add_argument("--no-info", action="store_true", help="hide informational notes (unknown layers, limits)")
    check.add_argument("--confirm", action="store_true",
                       help="also build each model with TensorFlow (in a worker process) and print the verdicts")
    check.add_argument("--interpreter", metavar="PYTHON",
                       help="with --confirm: the Python that has TensorFlow (default: this one)")

    summary = sub.add_parser("summary", help="print a model.summary()-like table for each model in a file")
    summary.add_argument("file")

    serve = sub.add_parser("serve", help="run the language server (stdio by default)")
    serve.add_argument("--tcp", metavar="HOST:PORT", help="listen on TCP instead of stdio")
    serve.add_argument("--log-level", default="warning", choices=("debug", "info", "warning", "error"))

    sub.add_parser("version", help="print the version")

    args = parser.parse_args(argv)
    if args.command == "check":
        return cmd_check(args)
    if args.command == "summary":
        return cmd_summary(args)
    if args.command == "serve":
        return cmd_serve(args)
    from shapelens import __version__

    print(__version__)
    return 0


def iter_files(paths: Iterable[str]) -> tuple[list[Path], list[str]]:
    files: list[Path] = []
    missing: list[str] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            for root, dirs, names in os.walk(p):
                dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
                files.extend(Path(root) / n for n in sorted(names) if n.endswith(".py"))
        elif p.is_file():
            files.append(p)
        else:
            missing.append(raw)
    return files, missing


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def cmd_check(args: argparse.Namespace) -> int:
    from shapelens.core.analyze import analyze
    from shapelens.report import json_file_entry, text_diagnostics, text_model_tables

    files, missing = iter_files(args.paths)
    if missing:
        print(f"shapelens: no such file or directory: {', '.join(missing)}", file=sys.stderr)
        return 2
    results = []
    for path in files:
        text = _read(path)
        if text is None:
            print(f"shapelens: cannot read {path}", file=sys.stderr)
            continue
        results.append((str(path), analyze(text, str(path), with_spec=args.confirm)))
    errors = sum(1 for _, a in results for d in a.diagnostics if d.severity == "error")
    batch = _confirm(results, args) if args.confirm else None
    if args.format == "json":
        files = [json_file_entry(p, a) for p, a in results]
        if batch is not None:
            from shapelens.worker.confirm import json_entry

            for entry in files:
                entry["tensorflow"] = json_entry(batch, entry["path"])
        print(json.dumps({"version": 1, "files": files}))
        return _status(errors, batch)
    out = sys.stdout
    for path, analysis in results:
        for line in text_diagnostics(path, analysis, show_info=not args.no_info):
            print(line, file=out)
        if batch is not None:
            from shapelens.worker.confirm import text_lines

            for line in text_lines(batch, path):
                print(line, file=out)
        if args.shapes:
            for line in text_model_tables(path, analysis):
                print(line, file=out)
    warnings = sum(1 for _, a in results for d in a.diagnostics if d.severity == "warning")
    layers = sum(len(m.layers) for _, a in results for m in a.models)  # as each model's title counts them
    models = sum(len(a.models) for _, a in results)
    print(
        f"{_plural(len(results), 'file')}, {_plural(models, 'model')}, {_plural(layers, 'layer')}: "
        f"{_plural(errors, 'error')}, {_plural(warnings, 'warning')}",
        file=out,
    )
    if batch is not None and batch.verdicts:
        from shapelens.worker.confirm import total_line

        print(total_line(batch), file=out)
    if args.shapes:
        print("In your editor: `shapelens serve` is the language server (see docs/editors.md).", file=out)
    return _status(errors, batch)


def _confirm(results: list, args: argparse.Namespace):
    """`--confirm`: the TensorFlow dry run of every file (docs/dry-run.md)."""
    from shapelens.worker.confirm import confirm

    batch = confirm(results, args.interpreter)
    if batch.unavailable:
        print(f"shapelens: {batch.unavailable}", file=sys.stderr)
    return batch


def _status(errors: int, batch) -> int:
    """1 when something raises (statically or under TensorFlow); else 2 when --confirm could not run."""
    if batch is not None:
        errors += sum(1 for v in batch.verdicts.values() for d in v.diagnostics if d.severity == "error")
    if errors:
        return 1
    return 2 if batch is not None and batch.unavailable else 0


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def cmd_summary(args: argparse.Namespace) -> int:
    from shapelens.core.analyze import analyze
    from shapelens.report import text_model_tables

    path = Path(args.file)
    text = _read(path) if path.is_file() else None
    if text is None:
        print(f"shapelens: cannot read {args.file}", file=sys.stderr)
        return 2
    analysis = analyze(text, str(path))
    lines = text_model_tables(str(path), analysis)
    if not lines:
        print(f"{path}: no Keras model found")
    for line in lines:
        print(line)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from shapelens.lsp.server import run

    return run(tcp=args.tcp, log_level=args.log_level)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
