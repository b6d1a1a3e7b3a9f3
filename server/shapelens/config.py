"""One tree of defaulted options, shared by the language server, the CLI and ``[tool.shapelens]``.

Field names are snake_case here and camelCase on the wire (LSP ``initializationOptions``
and ``workspace/didChangeConfiguration``); ``pyproject.toml`` may also spell them in
kebab-case. Loading never fails: an unknown key or a bad value is reported as a message
and that option keeps its default. Importable without pygls.

``python -m shapelens.config`` prints the reference that docs/configuration.md holds.
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Mapping

SEVERITIES = ("error", "warning", "information", "hint")
LOG_LEVELS = ("error", "warning", "info", "debug")
DRY_RUN_MODES = ("off", "onSave", "onCommand")
KERAS_VERSIONS = ("auto", "3", "2")


def _opt(default: Any, doc: str, **rules: Any) -> Any:
    """A leaf option: its default, one line of documentation and its validation rules."""
    return field(default=default, metadata={"doc": doc, **rules})


def _group(cls: type, doc: str) -> Any:
    return field(default_factory=cls, metadata={"doc": doc, "group": True})


def _list(doc: str, kind: str, default: tuple = ()) -> Any:
    """A leaf option holding a list (``kind="codes"``) or a table (``"glob-codes"``, ``"code-severity"``)."""
    factory = (lambda: list(default)) if kind == "codes" else dict
    return field(default_factory=factory, metadata={"doc": doc, "kind": kind})


def is_group(f: dataclasses.Field) -> bool:
    return bool(f.metadata.get("group"))


@dataclass
class DiagnosticsOptions:
    enabled: bool = _opt(True, "Report shape diagnostics at all.")
    error: bool = _opt(True, "Report findings of severity error (shape mismatches Keras raises on).")
    warning: bool = _opt(True, "Report findings of severity warning (e.g. an ignored `input_shape=`).")
    information: bool = _opt(True, "Report informational notes (unknown layers, syntax errors, limits).")
    hint: bool = _opt(True, "Report hints.")
    debounce_ms: int = _opt(0, "Milliseconds to wait before analysing an edit that comes while the document's last edit "
                            "is still waiting or being analysed (the edits of a burst are then analysed once, the "
                            "newest); 0: at once, the analysis of the older text stops at its next check. An edit "
                            "that finds the document idle is analysed at once.",
                            min=0, max=10_000)


@dataclass
class InlayHintsOptions:
    enabled: bool = _opt(True, "Show each layer's output shape at the end of its line.")


@dataclass
class CodeLensOptions:
    enabled: bool = _opt(True, "Show a summary line (layers, parameters, input → output) above each model.")


@dataclass
class ChecksOptions:
    data_shapes: bool = _opt(True, "Check the arrays given to fit/predict/evaluate against the model (SL3xx).")
    keras3_migration: bool = _opt(False, "In files that target Keras 2, also report the Keras 2 imports and "
                                         "Model methods Keras 3 removed (SL401, SL402), as warnings.")


@dataclass
class DryRunOptions:
    mode: str = _opt("off", "When to build the model for real with TensorFlow in a separate worker process.",
                     choices=DRY_RUN_MODES)
    interpreter: str = _opt("", "Python interpreter that has TensorFlow installed; empty: the one running "
                                "shapelens.")
    timeout_ms: int = _opt(30_000, "Milliseconds one dry run may take before the worker is stopped.",
                           min=100, max=600_000)
    startup_timeout_ms: int = _opt(60_000, "Milliseconds the worker may take to start (importing TensorFlow).",
                                   min=100, max=600_000)


@dataclass
class Options:
    diagnostics: DiagnosticsOptions = _group(DiagnosticsOptions, "Which diagnostics are reported, and when.")
    inlay_hints: InlayHintsOptions = _group(InlayHintsOptions, "Inlay hints.")
    code_lens: CodeLensOptions = _group(CodeLensOptions, "Code lenses.")
    checks: ChecksOptions = _group(ChecksOptions, "Optional families of checks.")
    dry_run: DryRunOptions = _group(DryRunOptions, "The TensorFlow dry run (a separate worker process).")
    keras_version: str = _opt("auto", "The Keras the code runs under: `2` (tf-keras, TensorFlow ≤ 2.15), `3`, or "
                                      "`auto`: decided per file from `import tf_keras`, `TF_USE_LEGACY_KERAS`, the "
                                      "project's pins and the installed packages (see Keras version).",
                              choices=KERAS_VERSIONS)
    log_level: str = _opt("warning", "Messages at this level and above go to stderr and the editor's log.",
                          choices=LOG_LEVELS)
    select: list = _list("Codes or code prefixes to report (`SL1` selects SL1xx, `ALL` every code).", "codes",
                         ("ALL",))
    extend_select: list = _list("Codes or prefixes added to `select`.", "codes")
    ignore: list = _list("Codes or prefixes not to report; a more specific `select` entry wins.", "codes")
    per_file_ignores: dict = _list("Glob (relative to the configuration file) -> codes or prefixes not to "
                                   "report in the files it matches.", "glob-codes")
    severity: dict = _list("Code or prefix -> severity (`error`, `warning`, `information`, `hint`) it is "
                           "reported with; the longest prefix wins.", "code-severity")
    report_unused_suppressions: bool = _opt(False, "Report `# shapelens: ignore[...]` / `# noqa: SL...` "
                                                   "comments that suppress nothing (SL004).")

    def severity_enabled(self, severity: str) -> bool:
        return self.diagnostics.enabled and bool(getattr(self.diagnostics, severity, True))


# --------------------------------------------------------------------------- names


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def _norm(key: str) -> str:
    """camelCase, snake_case and kebab-case spellings of one name compare equal."""
    return key.replace("_", "").replace("-", "").lower()


def looks_like_options(payload: Any) -> bool:
    """Whether a settings payload is (part of) the option tree rather than some other section."""
    names = {_norm(f.name) for f in dataclasses.fields(Options)}
    return isinstance(payload, Mapping) and any(_norm(str(k)) in names for k in payload)


# --------------------------------------------------------------------------- loading


def load(*layers: Mapping[str, Any] | None, sources: tuple[str, ...] = (),
         bases: tuple[str | Path | None, ...] = ()) -> tuple[Options, list[str]]:
    """Build Options from option dicts, later layers overriding earlier ones, key by key.

    Returns the options and the problems found (unknown keys, bad values, unknown codes);
    every problem leaves the option concerned at its value from the earlier layers or its
    default (an unknown code is dropped, the rest of its list kept). ``sources`` names each
    layer in the messages; ``bases`` gives the directory relative ``per-file-ignores``
    globs of each layer are anchored at (None: they match at any depth).
    """
    options = Options()
    problems: list[str] = []
    for i, layer in enumerate(layers):
        if layer is None:
            continue
        where = sources[i] if i < len(sources) else "settings"
        if not isinstance(layer, Mapping):
            problems.append(f"{where}: expected an object of options, got {type(layer).__name__}; ignored")
            continue
        base = bases[i] if i < len(bases) else None
        _apply(options, layer, "", where, problems, base)
    return options, problems


def _apply(target: Any, data: Mapping[str, Any], prefix: str, where: str, problems: list[str],
           base: str | Path | None = None) -> None:
    fields = {_norm(f.name): f for f in dataclasses.fields(target)}
    for key, value in data.items():
        f = fields.get(_norm(str(key)))
        path = f"{prefix}{key}"
        if f is None:
            problems.append(f"{where}: unknown option `{path}` ignored")
            continue
        path = prefix + camel(f.name)
        current = getattr(target, f.name)
        if is_group(f):
            if isinstance(value, Mapping):
                _apply(current, value, path + ".", where, problems, base)
            else:
                problems.append(f"{where}: `{path}` must be an object, got {_show(value)}; using the defaults")
            continue
        if "kind" in f.metadata:
            checked = _check_table(f, value, path, where, problems, base)
            if checked is not _INVALID:
                setattr(target, f.name, checked)
            continue
        checked = _check(f, value)
        if checked is _INVALID:
            problems.append(f"{where}: invalid value {_show(value)} for `{path}` ({_expected(f)}); "
                            f"using {_show(current)}")
            continue
        setattr(target, f.name, checked)


def _show(value: Any) -> str:
    """A value as the user wrote it (TOML/JSON-like), never a Python repr of an object."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k} = {_show(v)}" for k, v in value.items()) + "}"
    return f"a {type(value).__name__}"


_INVALID = object()


def _check(f: dataclasses.Field, value: Any) -> Any:
    kind = type(f.default)
    meta = f.metadata
    if kind is bool:
        return value if isinstance(value, bool) else _INVALID
    if kind is int:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool):
            return _INVALID
        if value < meta.get("min", value) or value > meta.get("max", value):
            return _INVALID
        return value
    if kind is str:
        choices = meta.get("choices")
        if choices and isinstance(value, (int, float)) and not isinstance(value, bool) and float(value).is_integer():
            value = str(int(value))  # keras-version = 2
        if not isinstance(value, str):
            return _INVALID
        if choices:
            match = [c for c in choices if c.lower() == value.lower()]
            return match[0] if match else _INVALID
        return value
    return _INVALID  # pragma: no cover -- every leaf is bool, int or str


# --------------------------------------------------------------------------- code selectors


def known_codes() -> tuple[str, ...]:
    from shapelens.core.codes import CODES

    return tuple(CODES)


def valid_selector(selector: str) -> bool:
    """``ALL``, a code (``SL101``) or a prefix of one (``SL1``, ``SL10``), as ruff reads them."""
    return selector == "ALL" or (selector.startswith("SL") and any(c.startswith(selector) for c in known_codes()))


def parse_selectors(value: Any, path: str, where: str, problems: list[str]) -> list[str] | object:
    """A list of code selectors (or one comma-separated string of them); unknown codes are reported
    in ``problems`` and dropped."""
    if isinstance(value, str):  # a single code, or "SL101,SL102" as on the command line
        value = [v for v in (p.strip() for p in value.split(",")) if v]
    if not isinstance(value, (list, tuple)):
        problems.append(f"{where}: invalid value {_show(value)} for `{path}` (a list of codes such as "
                        f'["SL101", "SL3"]); ignored')
        return _INVALID
    out = []
    for item in value:
        code = item.strip().upper() if isinstance(item, str) else item
        if not isinstance(code, str) or not valid_selector(code):
            problems.append(f"{where}: unknown code {_show(item)} in `{path}` ignored")
            continue
        out.append(code)
    return out


def _check_table(f: dataclasses.Field, value: Any, path: str, where: str, problems: list[str],
                 base: str | Path | None) -> Any:
    kind = f.metadata["kind"]
    if kind == "codes":
        return parse_selectors(value, path, where, problems)
    if not isinstance(value, Mapping):
        problems.append(f"{where}: `{path}` must be a table, got {_show(value)}; ignored")
        return _INVALID
    out: dict[str, Any] = {}
    for key, item in value.items():
        key = str(key)
        if kind == "glob-codes":
            codes = parse_selectors(item, f"{path}.{key}", where, problems)
            if codes is not _INVALID:
                out[_anchor(key, base)] = codes
            continue
        code = key.strip().upper()  # code-severity
        if not valid_selector(code):
            problems.append(f"{where}: unknown code {_show(key)} in `{path}` ignored")
        elif not isinstance(item, str) or item.lower() not in SEVERITIES:
            problems.append(f"{where}: invalid value {_show(item)} for `{path}.{key}` (one of "
                            + ", ".join(f'"{s}"' for s in SEVERITIES) + "); ignored")
        else:
            out[code] = item.lower()
    return out


def _anchor(glob: str, base: str | Path | None) -> str:
    """A per-file-ignores glob made absolute against its configuration file's directory."""
    glob = glob.replace("\\", "/")
    if base is None or glob.startswith(("/", "*")) or (len(glob) > 1 and glob[1] == ":"):
        return glob
    return Path(base).resolve().as_posix().rstrip("/") + "/" + glob


def _expected(f: dataclasses.Field) -> str:
    kind = type(f.default)
    if kind is bool:
        return "true or false"
    if kind is int:
        return f"an integer from {f.metadata.get('min')} to {f.metadata.get('max')}"
    if f.metadata.get("choices"):
        return "one of " + ", ".join(_show(c) for c in f.metadata["choices"])
    return "a string"


# --------------------------------------------------------------------------- configuration files

# Looked for in each directory from a file's own upward, as ruff does; in one directory the
# first of these that configures shapelens wins (a pyproject.toml without [tool.shapelens]
# does not count). The closest configuration file applies, alone: files are not merged.
CONFIG_NAMES = (".shapelens.toml", "shapelens.toml", "pyproject.toml")


def _toml():
    try:
        import tomllib
    except ImportError:  # Python 3.10
        try:
            import tomli as tomllib  # type: ignore[no-redef]
        except ImportError:
            return None
    return tomllib


def read_config(path: str | Path) -> tuple[dict | None, list[str]]:
    """The shapelens table of one configuration file: ``[tool.shapelens]`` of a pyproject.toml,
    the whole of a (.)shapelens.toml. None when the file does not configure shapelens."""
    path = Path(path)
    tomllib = _toml()
    if tomllib is None:
        return None, [f"{path}: cannot read TOML on Python 3.10 without tomli; ignored"]
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except OSError as exc:
        return None, [f"{path}: cannot read ({exc.strerror or 'I/O error'}); ignored"]
    except ValueError as exc:
        return None, [f"{path}: not valid TOML ({exc}); ignored"]
    if path.name != "pyproject.toml":
        table = data.get("tool", {}).get("shapelens", data) if isinstance(data.get("tool"), dict) else data
        return table, []
    tool = data.get("tool", {})
    table = tool.get("shapelens") if isinstance(tool, dict) else None
    if table is None:
        return None, []
    if not isinstance(table, dict):
        return None, [f"{path}: [tool.shapelens] must be a table; ignored"]
    return table, []


def read_pyproject(root: str | Path | None) -> tuple[dict | None, list[str]]:
    """The ``[tool.shapelens]`` table of ``root/pyproject.toml`` (None when absent)."""
    if root is None or not (Path(root) / "pyproject.toml").is_file():
        return None, []
    return read_config(Path(root) / "pyproject.toml")


def source_name(path: str | Path) -> str:
    path = Path(path)
    return f"{path} [tool.shapelens]" if path.name == "pyproject.toml" else str(path)


class Discovery:
    """Finds and reads the configuration file of each file, caching both (one per CLI run,
    one per server configuration generation)."""

    def __init__(self) -> None:
        self._dirs: dict[Path, Path | None] = {}
        self._tables: dict[Path, tuple[dict | None, list[str]]] = {}

    def config_for(self, file: str | Path) -> Path | None:
        """The closest configuration file above ``file`` (a file or a directory)."""
        try:
            start = Path(file).resolve()
        except (OSError, RuntimeError, ValueError):
            return None
        directory = start if start.is_dir() else start.parent
        seen: list[Path] = []
        found: Path | None = None
        for d in (directory, *directory.parents):
            if d in self._dirs:
                found = self._dirs[d]
                break
            seen.append(d)
            hit = next((d / n for n in CONFIG_NAMES if self._configures(d / n)), None)
            if hit is not None:
                found = hit
                break
        for d in seen:
            self._dirs[d] = found
        return found

    def _configures(self, path: Path) -> bool:
        try:
            if not path.is_file():
                return False
        except OSError:
            return False
        table, problems = self.table(path)
        return table is not None or (path.name != "pyproject.toml" and bool(problems))

    def table(self, path: Path) -> tuple[dict | None, list[str]]:
        if path not in self._tables:
            self._tables[path] = read_config(path)
        return self._tables[path]


# --------------------------------------------------------------------------- reference


def to_wire(options: Any) -> dict[str, Any]:
    """The options as a camelCase dict (what a client would send)."""
    out = {}
    for f in dataclasses.fields(options):
        value = getattr(options, f.name)
        out[camel(f.name)] = to_wire(value) if dataclasses.is_dataclass(value) else copy.deepcopy(value)
    return out


@dataclass(frozen=True)
class OptionDoc:
    path: str  # camelCase, dotted
    type: str
    default: Any
    doc: str


def reference(cls: type = Options, prefix: str = "") -> Iterator[OptionDoc]:
    """Every leaf option, in declaration order."""
    for f in dataclasses.fields(cls):
        path = prefix + camel(f.name)
        if is_group(f):
            yield from reference(f.default_factory, path + ".")
            continue
        kind = type(f.default).__name__
        default = f.default
        if "kind" in f.metadata:
            default = f.default_factory()
            kind = {"codes": "list of codes", "glob-codes": "table: glob → list of codes",
                    "code-severity": "table: code → severity"}[f.metadata["kind"]]
        elif f.metadata.get("choices"):
            kind = " \\| ".join(f'`"{c}"`' for c in f.metadata["choices"])
        elif kind == "int":
            kind = f"integer ({f.metadata.get('min')}–{f.metadata.get('max')})"
        elif kind == "bool":
            kind = "boolean"
        elif kind == "str":
            kind = "string"
        yield OptionDoc(path, kind, default, f.metadata.get("doc", ""))


def _json(value: Any) -> str:
    if isinstance(value, (list, dict)):
        import json

        return json.dumps(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    return str(value)


def markdown_reference() -> str:
    """The option table of docs/configuration.md (tests keep the file in step with it)."""
    rows = ["| Option | Type | Default | Description |", "|---|---|---|---|"]
    for o in reference():
        rows.append(f"| `{o.path}` | {o.type} | `{_json(o.default)}` | {o.doc} |")
    return "\n".join(rows) + "\n"


if __name__ == "__main__":  # pragma: no cover
    print(markdown_reference(), end="")
