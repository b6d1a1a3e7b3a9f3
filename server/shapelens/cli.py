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


EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2
FORMATS = ("text", "json", "sarif", "github")
KERAS_CHOICES = ("auto", "3", "2")
STDIN = "-"


def main(argv: list[str] | None = None) -> int:
    from shapelens import __version__

    _safe_streams()
    parser = argparse.ArgumentParser(prog="shapelens", description="Keras model shapes, without running the model.",
                                     epilog="Exit status: 0 nothing to report, 1 findings, 2 usage or I/O error.")
    parser.add_argument("--version", action="version", version=f"shapelens {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    check = sub.add_parser("check", help="report shape errors in Python files (exit 1 if any error)",
                           description="Report shape errors in Python files without running them.",
                           epilog="Exit status: 0 nothing at or above --fail-on, 1 findings, 2 usage or I/O error.")
    check.add_argument("paths", nargs="+", help="files or directories; - reads the standard input")
    check.add_argument("--format", choices=FORMATS, default="text",
                       help="text (default), json, sarif (SARIF 2.1.0) or github (workflow annotations)")
    check.add_argument("--select", metavar="CODES", help="report only these codes or prefixes (SL1,SL301)")
    check.add_argument("--extend-select", metavar="CODES", help="codes or prefixes added to the selection")
    check.add_argument("--ignore", metavar="CODES", help="codes or prefixes not to report (added to the config's)")
    check.add_argument("--config", metavar="PATH",
                       help="use this configuration file (pyproject.toml or shapelens.toml) for every file "
                            "instead of the closest one")
    check.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are findings")
    check.add_argument("--fail-on", choices=("error", "warning"), default="error",
                       help="the lowest severity that makes the exit status 1 (default: error)")
    check.add_argument("--stdin-filename", metavar="NAME",
                       help="the name of the file read from - (for messages, configuration and per-file-ignores)")
    check.add_argument("--keras-version", choices=KERAS_CHOICES,
                       help="the Keras the code runs under (default: keras-version from the configuration, "
                            "else auto: decided per file)")
    check.add_argument("--report-unused-suppressions", action="store_true",
                       help="report suppression comments that suppress nothing (SL004)")
    check.add_argument("--shapes", action="store_true", help="also print each model's shape table")
    check.add_argument("--no-info", action="store_true", help="hide informational notes (unknown layers, limits)")
    check.add_argument("--confirm", action="store_true",
                       help="also build each model with TensorFlow (in a worker process) and print the verdicts")
    check.add_argument("--interpreter", metavar="PYTHON",
                       help="the Python that runs the code: --confirm builds with its TensorFlow, and with "
                            "keras-version auto its installed Keras counts (default: this one)")

    summary = sub.add_parser("summary", help="print a model.summary()-like table for each model in a file")
    summary.add_argument("file")
    summary.add_argument("--keras-version", choices=KERAS_CHOICES,
                         help="the Keras the code runs under (default: from the configuration, else auto)")

    serve = sub.add_parser("serve", help="run the language server (stdio by default)")
    serve.add_argument("--tcp", metavar="HOST:PORT", help="listen on TCP instead of stdio")
    serve.add_argument("--log-level", default="warning", choices=("debug", "info", "warning", "error"))

    sub.add_parser("version", help="print the version")

    args = parser.parse_args(argv)
    try:
        if args.command == "check":
            return cmd_check(args)
        if args.command == "summary":
            return cmd_summary(args)
    except BrokenPipeError:  # `shapelens check ... | head`: the reader left; say nothing more
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_USAGE
    if args.command == "serve":
        return cmd_serve(args)
    print(__version__)
    return 0


# --------------------------------------------------------------------------- output streams

# What the text output draws with, and what it becomes on a stream that cannot encode it
# (PYTHONIOENCODING=ascii, a cp1252 console).
ASCII_FALLBACK = str.maketrans({"→": "->", "×": "x", "─": "-", "·": "|", "…": "...", "≤": "<=", "≥": ">=",
                                "—": "-", "–": "-", "‘": "'", "’": "'", "“": '"', "”": '"'})


def _safe_streams() -> None:
    """Never fail on an unencodable character: the exit status must mean findings, not encoding."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(errors="backslashreplace")
        except (AttributeError, ValueError, OSError):
            pass


def _encodable(stream, sample: str = "→×─·") -> bool:
    try:
        sample.encode(getattr(stream, "encoding", None) or "ascii")
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def writer(stream=None):
    """print() for the text and github formats: the symbols fall back to ASCII where the stream
    cannot encode them (what is left is backslash-escaped by _safe_streams)."""
    stream = sys.stdout if stream is None else stream
    ascii_only = not _encodable(stream)

    def emit(line: str = "") -> None:
        if ascii_only:
            line = line.translate(ASCII_FALLBACK)
        print(line, file=stream)

    return emit


def warn(message: str) -> None:
    print(f"shapelens: {message}", file=sys.stderr)


# --------------------------------------------------------------------------- files


def iter_files(paths: Iterable[str]) -> tuple[list[Path], list[str]]:
    files: list[Path] = []
    missing: list[str] = []
    for raw in paths:
        p = Path(raw)
        if raw == STDIN:
            files.append(p)
        elif not raw.strip():
            missing.append("'': an empty path (use . for the current directory)")
        elif p.is_dir():
            for root, dirs, names in os.walk(p):
                dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
                # regular files only: a FIFO or a device named *.py would block the read forever
                files.extend(Path(root) / n for n in sorted(names)
                             if n.endswith((".py", ".ipynb")) and (Path(root) / n).is_file())
        elif p.is_file():
            files.append(p)
        elif p.exists():
            missing.append(f"{raw}: not a regular file")
        else:
            missing.append(f"{raw}: no such file or directory")
    return files, missing


def read_source(path: Path) -> str | None:
    """The text of one input (a .py file, or the standard input for ``-``); None when unreadable.
    Every input of `check` and `summary` is read here."""
    try:
        if str(path) == STDIN:
            data = sys.stdin.buffer.read() if hasattr(sys.stdin, "buffer") else sys.stdin.read().encode()
            return data.decode("utf-8", errors="replace")
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


_read = read_source  # the name older callers use


# --------------------------------------------------------------------------- configuration


class Configs:
    """The options of each file: its closest configuration file (or the one given with --config;
    for a file outside every configured project, the one found from the current directory),
    then the command-line flags. Problems are printed once per configuration file."""

    def __init__(self, args: argparse.Namespace) -> None:
        from shapelens.config import Discovery

        self.args = args
        self.discovery = Discovery()
        self.explicit: Path | None = Path(args.config) if args.config else None
        self.cache: dict = {}
        self.flags: dict[str, list[str]] = {}
        from shapelens.config import parse_selectors

        for flag in ("select", "extend_select", "ignore"):
            value = getattr(args, flag)
            if value is not None:
                problems: list[str] = []
                self.flags[flag] = parse_selectors(value, "--" + flag.replace("_", "-"), "command line", problems)
                for p in problems:
                    warn(p)

    def usable(self) -> str | None:
        """Why --config cannot be used (None when it can)."""
        if self.explicit is not None and not self.explicit.is_file():
            return f"--config {self.args.config}: no such file"
        return None

    def for_file(self, path: str):
        from shapelens.config import load, source_name

        config = self.explicit
        if config is None:
            config = self.discovery.config_for(path) or self.discovery.config_for(Path.cwd())
        if config not in self.cache:
            table, problems = self.discovery.table(config) if config else (None, [])
            options, more = load(table, sources=(source_name(config) if config else "",),
                                 bases=(config.parent if config else None,))
            for p in problems + more:
                warn(p)
            if "select" in self.flags:
                options.select = self.flags["select"]
            options.extend_select = options.extend_select + self.flags.get("extend_select", [])
            options.ignore = options.ignore + self.flags.get("ignore", [])
            if self.args.report_unused_suppressions:
                options.report_unused_suppressions = True
            if self.args.keras_version:
                options.keras_version = self.args.keras_version
            self.cache[config] = options
        return self.cache[config]


READABLE = ("", ".py", ".pyi", ".pyw", ".ipynb")


def _load(path: Path, name: str) -> tuple[str, object] | str:
    """(program text, notebook mapping or None), or the message saying why it cannot be read.
    ``name`` is the path shown (for the standard input, --stdin-filename)."""
    from shapelens.core import notebook

    if Path(name).suffix.lower() not in READABLE:
        return f"cannot check {name}: shapelens reads Python files (.py) and Jupyter notebooks (.ipynb)"
    text = read_source(path)
    if text is None:
        return f"cannot read {name}"
    if Path(name).suffix.lower() != ".ipynb":
        return text, None
    try:
        cells, language = notebook.read_ipynb(text)
    except notebook.NotebookError as exc:
        return f"{name}: {exc}"
    joined = notebook.join(cells, language)
    return joined.text, joined


# --------------------------------------------------------------------------- check


def cmd_check(args: argparse.Namespace) -> int:
    from shapelens.core.analyze import analyze
    from shapelens.core.notebook import analyze_joined
    from shapelens.core.selection import reported

    if args.stdin_filename is not None and STDIN not in args.paths:
        warn("--stdin-filename is used only with - (the standard input) among the paths")
    files, missing = iter_files(args.paths)
    if missing:
        # the other paths are still checked; the exit status says something was not
        warn(f"not checked: {'; '.join(missing)}")
    configs = Configs(args)
    problem = configs.usable()
    if problem:
        warn(problem)
        return EXIT_USAGE
    results = []
    unreadable = 0
    for path in files:
        name = (args.stdin_filename or STDIN) if str(path) == STDIN else str(path)
        loaded = _load(path, name)
        if isinstance(loaded, str):
            warn(loaded)
            unreadable += 1
            continue
        text, joined = loaded
        options = configs.for_file(name)
        target = keras_target(text, name, options, args)
        analysis = (analyze(text, name, with_spec=args.confirm, keras=target) if joined is None
                    else analyze_joined(joined, name, with_spec=args.confirm, keras=target))
        # the dry run compares with the whole analysis; the options choose what is shown
        shown = reported(analysis, options, name)
        results.append(Checked(name, analysis, shown, text, joined))
    batch = _confirm([(r.path, r.analysis) for r in results], args) if args.confirm else None
    if args.format == "json":
        _print_json(results, batch)
    elif args.format == "sarif":
        from shapelens.sarif import sarif_log

        from shapelens.notebook_report import in_cells

        for r in results:
            r.diagnostics = in_cells(r.diagnostics, r.joined)
        print(json.dumps(sarif_log(results), indent=2))
    elif args.format == "github":
        from shapelens.report import github_lines

        emit = writer()
        from shapelens.notebook_report import in_cells

        for r in results:
            for line in github_lines(_relative(r.path), in_cells(r.diagnostics, r.joined), show_info=not args.no_info):
                emit(line)
    else:
        _print_text(results, batch, args)
    return EXIT_USAGE if unreadable or missing else _status(results, batch, args)


def keras_target(text: str, name: str, options, args: argparse.Namespace):
    """The Keras a file targets: the setting, else (auto) decided from the file, its project and
    the interpreter that runs it (--interpreter, dryRun.interpreter, else this one)."""
    from shapelens.core.analyze import target_for

    interpreter = getattr(args, "interpreter", None) or options.dry_run.interpreter or sys.executable
    return target_for(text, name if name != STDIN else "<stdin>", options, interpreter=interpreter)


def keras_note(analyses: list) -> str:
    """" (Keras 2)" when every file targets Keras 2, " (Keras 2: n of m files)" when some do."""
    n = sum(1 for a in analyses if a.keras == "2")
    if not n:
        return ""
    return " (Keras 2)" if n == len(analyses) else f" (Keras 2: {n} of {_plural(len(analyses), 'file')})"


def _relative(path: str) -> str:
    """A path under the current directory as GitHub wants it (relative to the checkout)."""
    try:
        return Path(path).resolve().relative_to(Path.cwd().resolve()).as_posix()
    except (OSError, RuntimeError, ValueError):
        return path


class Checked:
    """One checked file: its analysis (all findings) and the findings its options report."""

    def __init__(self, path: str, analysis, diagnostics: list, text: str, joined=None) -> None:
        self.path = path
        self.joined = joined  # core.notebook.Joined for a notebook, else None
        self.analysis = analysis
        self.diagnostics = diagnostics
        self.text = text


def _print_json(results: list[Checked], batch) -> None:
    from shapelens.notebook_report import json_file_entry

    files = [json_file_entry(r.path, r.analysis, r.joined, r.diagnostics) for r in results]
    for entry, r in zip(files, results):
        entry["keras"] = {"version": r.analysis.keras, "reason": r.analysis.keras_reason}
    if batch is not None:
        from shapelens.dryrun.confirm import json_entry

        for entry in files:
            entry["tensorflow"] = json_entry(batch, entry["path"])
    print(json.dumps({"version": 1, "files": files}))


def _print_text(results: list[Checked], batch, args: argparse.Namespace) -> None:
    from shapelens.notebook_report import text_diagnostics, text_model_tables

    emit = writer()
    for r in results:
        for line in text_diagnostics(r.path, r.analysis, r.joined, show_info=not args.no_info, diagnostics=r.diagnostics):
            emit(line)
        if batch is not None:
            from shapelens.dryrun.confirm import text_lines

            for line in text_lines(batch, r.path):
                emit(line)
        if args.shapes:
            for line in text_model_tables(r.path, r.analysis, r.joined):
                emit(line)
    errors = _count(results, ("error",))
    warnings = _count(results, ("warning",))
    layers = sum(len(m.layers) for r in results for m in r.analysis.models)  # as each model's title counts them
    models = sum(len(r.analysis.models) for r in results)
    emit(f"{_plural(len(results), 'file')}, {_plural(models, 'model')}, {_plural(layers, 'layer')}: "
         f"{_plural(errors, 'error')}, {_plural(warnings, 'warning')}{keras_note([r.analysis for r in results])}")
    if batch is not None and batch.verdicts:
        from shapelens.dryrun.confirm import total_line

        emit(total_line(batch))
    if args.shapes:
        emit("In your editor: `shapelens serve` is the language server (see docs/editors.md).")


def _count(results: list[Checked], severities: tuple[str, ...]) -> int:
    return sum(1 for r in results for d in r.diagnostics if d.severity in severities)


def _confirm(results: list, args: argparse.Namespace):
    """`--confirm`: the TensorFlow dry run of every file (docs/dry-run.md)."""
    from shapelens.dryrun.confirm import confirm

    batch = confirm(results, args.interpreter)
    if batch.unavailable:
        print(f"shapelens: {batch.unavailable}", file=sys.stderr)
    return batch


def _status(results: list[Checked], batch, args: argparse.Namespace) -> int:
    """1 when a reported finding is at or above --fail-on (statically or under TensorFlow), 0 with
    --exit-zero; else 2 when --confirm could not run."""
    severities = ("error",) if args.fail_on == "error" else ("error", "warning")
    failing = _count(results, severities)
    if batch is not None:
        failing += sum(1 for v in batch.verdicts.values() for d in v.diagnostics if d.severity in severities)
    if failing and not args.exit_zero:
        return EXIT_FINDINGS
    return EXIT_USAGE if batch is not None and batch.unavailable else EXIT_CLEAN


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def cmd_summary(args: argparse.Namespace) -> int:
    from shapelens.core.analyze import analyze
    from shapelens.core.notebook import analyze_joined
    from shapelens.notebook_report import text_model_tables

    path = Path(args.file)
    name = str(path) if args.file != STDIN else STDIN
    loaded = _load(path, name) if path.is_file() or args.file == STDIN else f"cannot read {args.file}"
    if isinstance(loaded, str):
        print(f"shapelens: {loaded}", file=sys.stderr)
        return 2
    text, joined = loaded
    from shapelens.config import Discovery, load, source_name

    discovery = Discovery()
    config = discovery.config_for(path if args.file != STDIN else Path.cwd())
    table, _ = discovery.table(config) if config else (None, [])
    options, _ = load(table, sources=(source_name(config) if config else "",))
    if args.keras_version:
        options.keras_version = args.keras_version
    target = keras_target(text, name, options, args)
    analysis = (analyze(text, str(path), keras=target) if joined is None
                else analyze_joined(joined, str(path), keras=target))
    lines = text_model_tables(str(path), analysis, joined)
    emit = writer()
    if not lines:
        emit(f"{path}: no Keras model found")
    for line in lines:
        emit(line)
    if lines and analysis.keras == "2":
        emit(f"Shapes for Keras 2 ({analysis.keras_reason}).")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from shapelens.lsp.server import run

    return run(tcp=args.tcp, log_level=args.log_level)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
