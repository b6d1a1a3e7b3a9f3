"""One tree of defaulted options, shared by the language server, the CLI and ``[tool.shapelens]``.

Field names are snake_case here and camelCase on the wire (LSP ``initializationOptions``
and ``workspace/didChangeConfiguration``); ``pyproject.toml`` may also spell them in
kebab-case. Loading never fails: an unknown key or a bad value is reported as a message
and that option keeps its default. Importable without pygls.

``python -m shapelens.config`` prints the reference that docs/configuration.md holds.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Mapping

SEVERITIES = ("error", "warning", "information", "hint")
LOG_LEVELS = ("error", "warning", "info", "debug")
DRY_RUN_MODES = ("off", "onSave", "onCommand")


def _opt(default: Any, doc: str, **rules: Any) -> Any:
    """A leaf option: its default, one line of documentation and its validation rules."""
    return field(default=default, metadata={"doc": doc, **rules})


def _group(cls: type, doc: str) -> Any:
    return field(default_factory=cls, metadata={"doc": doc})


@dataclass
class DiagnosticsOptions:
    enabled: bool = _opt(True, "Report shape diagnostics at all.")
    error: bool = _opt(True, "Report findings of severity error (shape mismatches Keras raises on).")
    warning: bool = _opt(True, "Report findings of severity warning (e.g. an ignored `input_shape=`).")
    information: bool = _opt(True, "Report informational notes (unknown layers, syntax errors, limits).")
    hint: bool = _opt(True, "Report hints.")
    debounce_ms: int = _opt(25, "Milliseconds to wait after the last edit of a document before analysing it.",
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
    log_level: str = _opt("warning", "Messages at this level and above go to stderr and the editor's log.",
                          choices=LOG_LEVELS)

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


def load(*layers: Mapping[str, Any] | None, sources: tuple[str, ...] = ()) -> tuple[Options, list[str]]:
    """Build Options from option dicts, later layers overriding earlier ones, key by key.

    Returns the options and the problems found (unknown keys, bad values); every
    problem leaves the option concerned at its value from the earlier layers or its
    default. ``sources`` names each layer in the messages.
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
        _apply(options, layer, "", where, problems)
    return options, problems


def _apply(target: Any, data: Mapping[str, Any], prefix: str, where: str, problems: list[str]) -> None:
    fields = {_norm(f.name): f for f in dataclasses.fields(target)}
    for key, value in data.items():
        f = fields.get(_norm(str(key)))
        path = f"{prefix}{key}"
        if f is None:
            problems.append(f"{where}: unknown option `{path}` ignored")
            continue
        path = prefix + camel(f.name)
        current = getattr(target, f.name)
        if dataclasses.is_dataclass(current):
            if isinstance(value, Mapping):
                _apply(current, value, path + ".", where, problems)
            else:
                problems.append(f"{where}: `{path}` must be an object, got {value!r}; using the defaults")
            continue
        checked = _check(f, value)
        if checked is _INVALID:
            problems.append(f"{where}: invalid value {value!r} for `{path}` ({_expected(f)}); "
                            f"using {current!r}")
            continue
        setattr(target, f.name, checked)


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
        if not isinstance(value, str):
            return _INVALID
        choices = meta.get("choices")
        if choices:
            match = [c for c in choices if c.lower() == value.lower()]
            return match[0] if match else _INVALID
        return value
    return _INVALID  # pragma: no cover -- every leaf is bool, int or str


def _expected(f: dataclasses.Field) -> str:
    kind = type(f.default)
    if kind is bool:
        return "true or false"
    if kind is int:
        return f"an integer from {f.metadata.get('min')} to {f.metadata.get('max')}"
    if f.metadata.get("choices"):
        return "one of " + ", ".join(repr(c) for c in f.metadata["choices"])
    return "a string"


# --------------------------------------------------------------------------- pyproject.toml


def read_pyproject(root: str | Path | None) -> tuple[dict | None, list[str]]:
    """The ``[tool.shapelens]`` table of ``root/pyproject.toml`` (None when absent)."""
    if root is None:
        return None, []
    path = Path(root) / "pyproject.toml"
    if not path.is_file():
        return None, []
    try:
        import tomllib
    except ImportError:  # Python 3.10
        try:
            import tomli as tomllib  # type: ignore[no-redef]
        except ImportError:
            return None, [f"{path}: cannot read [tool.shapelens] on Python 3.10 without tomli"]
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except (OSError, ValueError) as exc:
        return None, [f"{path}: cannot read ({exc}); [tool.shapelens] ignored"]
    table = data.get("tool", {}).get("shapelens")
    if table is None:
        return None, []
    if not isinstance(table, dict):
        return None, [f"{path}: [tool.shapelens] must be a table"]
    return table, []


# --------------------------------------------------------------------------- reference


def to_wire(options: Any) -> dict[str, Any]:
    """The options as a camelCase dict (what a client would send)."""
    out = {}
    for f in dataclasses.fields(options):
        value = getattr(options, f.name)
        out[camel(f.name)] = to_wire(value) if dataclasses.is_dataclass(value) else value
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
        if f.default_factory is not dataclasses.MISSING:  # a group
            yield from reference(f.default_factory, path + ".")
            continue
        kind = type(f.default).__name__
        if f.metadata.get("choices"):
            kind = " \\| ".join(f'`"{c}"`' for c in f.metadata["choices"])
        elif kind == "int":
            kind = f"integer ({f.metadata.get('min')}–{f.metadata.get('max')})"
        elif kind == "bool":
            kind = "boolean"
        elif kind == "str":
            kind = "string"
        yield OptionDoc(path, kind, f.default, f.metadata.get("doc", ""))


def _json(value: Any) -> str:
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
