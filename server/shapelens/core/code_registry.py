"""The machinery of the code registry (shapelens.core.codes): a code is a ``str`` subclass
registered with :func:`code`, its message templates are :class:`Msg` objects."""

from __future__ import annotations

import string
from typing import Any, Callable

DOCS_BASE_URL = "https://github.com/shapelens/shapelens/blob/main/docs/rules/"
SEVERITIES = ("error", "warning", "information", "hint")


_PLAIN = (str, int, float, bool, type(None))
_MAX_TEXT = 60  # characters of a string shown in a message
_MAX_ITEMS = 8  # items of a list, tuple or dict shown in a message


def shown(value: Any, depth: int = 0) -> str:
    """``repr(value)`` for the plain values a person typed (numbers, strings, None, tuples,
    lists and dicts of them); for anything else the analysis holds (a tensor, a layer, a value not
    known) a description in words, never an internal repr. Long strings, long lists and huge
    integers are cut."""
    if value is None or isinstance(value, (bool, float)):
        return repr(value)
    if isinstance(value, int):
        return "a very large integer" if value.bit_length() > 64 else int.__repr__(value)
    if isinstance(value, str):
        return str.__repr__(value) if len(value) <= _MAX_TEXT else str.__repr__(value[:_MAX_TEXT]) + "..."
    t = type(value)
    if depth < 3 and t in (tuple, list):
        items = [shown(v, depth + 1) for v in value[:_MAX_ITEMS]] + (["..."] if len(value) > _MAX_ITEMS else [])
        if t is list:
            return "[" + ", ".join(items) + "]"
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
    if depth < 3 and t is dict:
        pairs = [f"{shown(k, depth + 1)}: {shown(v, depth + 1)}" for k, v in list(value.items())[:_MAX_ITEMS]]
        return "{" + ", ".join(pairs + (["..."] if len(value) > _MAX_ITEMS else [])) + "}"
    for describer in _DESCRIBERS:
        text = describer(value)
        if text:
            return text
    if t.__module__.split(".")[0] == "shapelens":
        return "a value that is not a number, a string or a tuple"
    return f"a {t.__name__}"


_DESCRIBERS: list[Callable[[Any], str | None]] = []


def describer(fn: Callable[[Any], str | None]) -> Callable[[Any], str | None]:
    """Register ``fn(value)``: the words for one of the analysis's own objects (None: not one it
    knows), used by :func:`shown` (registered by the modules that know those objects: this one
    imports none of them)."""
    _DESCRIBERS.append(fn)
    return fn


def _internal(value: Any, depth: int = 0) -> bool:
    """Whether ``value`` is (or holds) one of the analysis's own objects whose text is a repr."""
    if isinstance(value, _PLAIN):
        return False
    t = type(value)
    if t in (tuple, list):
        return depth < 3 and any(_internal(v, depth + 1) for v in value[:_MAX_ITEMS])
    if t is dict:
        return depth < 3 and any(_internal(v, depth + 1) for v in list(value.values())[:_MAX_ITEMS])
    return t.__str__ is object.__str__ and hasattr(value, "__dataclass_fields__") \
        and t.__module__.split(".")[0] == "shapelens"


class _Formatter(string.Formatter):
    """``{x!r}`` shows ``x`` with :func:`shown`; ``{x}`` of one of the analysis's own objects
    (a dataclass without a text of its own) is described the same way."""

    def convert_field(self, value: Any, conversion: str | None) -> Any:
        if conversion == "r":
            return shown(value)
        if conversion is None and (_internal(value) or (type(value) is int and value.bit_length() > 64)):
            return shown(value)
        return super().convert_field(value, conversion)

    def format_field(self, value: Any, format_spec: str) -> Any:
        try:
            return format(value, format_spec)
        except (ValueError, TypeError):  # ("{n:,}" given a value described in words)
            return format(value if isinstance(value, str) else shown(value))


_FORMATTER = _Formatter()


class Msg:
    """A message template: ``Msg("{kind} expects {n}-D")(kind="Dense", n=2)``."""

    __slots__ = ("template", "fields", "name", "owner")

    def __init__(self, template: str) -> None:
        self.template = template
        fields: list[str] = []
        for _, field, _, _ in string.Formatter().parse(template):
            if field is not None:
                if not field.isidentifier():
                    raise ValueError(f"template field {field!r} is not a plain name: {template!r}")
                if field not in fields:
                    fields.append(field)
        self.fields = tuple(fields)
        self.name = ""
        self.owner = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __call__(self, /, **fields: Any) -> str:
        if len(fields) != len(self.fields) or not all(f in fields for f in self.fields):
            missing = [f for f in self.fields if f not in fields]
            extra = [f for f in fields if f not in self.fields]
            raise TypeError(f"{self.owner}.{self.name}: missing fields {missing}, unexpected fields {extra}")
        return _FORMATTER.vformat(self.template, (), fields)

    def __repr__(self) -> str:
        return f"<Msg {self.owner}.{self.name}: {self.template!r}>"


class Code(str):
    """A diagnostic code: equal to (and hashed as) its ``"SLxxx"`` string, with its registry
    entry (``name``, ``severity``, ``summary``, ``url``) and its templates as attributes."""

    name: str
    severity: str  # "error" | "warning" | "information" | "hint"
    summary: str
    messages: dict[str, Msg]

    @property
    def code(self) -> str:
        return str.__str__(self)

    @property
    def url(self) -> str:
        return f"{DOCS_BASE_URL}{self.code}.md"

    # one object per code: copies and pickles come back as the registered code
    def __copy__(self) -> Code:
        return self

    def __deepcopy__(self, memo: dict) -> Code:
        return self

    def __reduce__(self) -> tuple:
        return (get, (self.code,))


class Messages:
    """Templates that belong to no single code (see :data:`SHARED`)."""

    def __init__(self, name: str, messages: dict[str, Msg]) -> None:
        self.name = name
        self.messages = messages
        for attr, msg in messages.items():
            setattr(self, attr, msg)

    def __repr__(self) -> str:
        return f"<Messages {self.name}>"


CODES: dict[str, Code] = {}
GROUPS: dict[str, Messages] = {}  # the template groups of no single code, by name
_RESERVED = frozenset(dir(str)) | {"code", "name", "severity", "summary", "url", "messages"}


def _templates(cls: type, owner: str) -> dict[str, Msg]:
    messages = {attr: value for attr, value in vars(cls).items() if isinstance(value, Msg)}
    for attr, msg in messages.items():
        if attr in _RESERVED:
            raise ValueError(f"{owner}.{attr}: the name is taken by str or Code; rename the template")
        msg.owner = owner
    return messages


def code(number: str, name: str, severity: str, summary: str) -> Callable[[type], Code]:
    """Register the decorated class as the code ``number``; the class name is the code's
    ``name`` in upper case (``invalid-argument`` -> ``INVALID_ARGUMENT``)."""
    if severity not in SEVERITIES:
        raise ValueError(f"{number}: unknown severity {severity!r}")

    def register(cls: type) -> Code:
        if cls.__name__ != name.upper().replace("-", "_"):
            raise ValueError(f"{number}: the class of {name!r} must be named {name.upper().replace('-', '_')}")
        if number in CODES:
            raise ValueError(f"{number} is registered twice")
        obj = Code(number)
        obj.name, obj.severity, obj.summary = name, severity, summary
        obj.messages = _templates(cls, cls.__name__)
        for attr, msg in obj.messages.items():
            setattr(obj, attr, msg)
        CODES[number] = obj
        return obj

    return register


def messages(cls: type) -> Messages:
    """A group of templates that belong to no single code."""
    if cls.__name__ in GROUPS:
        raise ValueError(f"{cls.__name__} is registered twice")
    group = GROUPS[cls.__name__] = Messages(cls.__name__, _templates(cls, cls.__name__))
    return group


def all_templates() -> list[Msg]:
    """Every template of every code and group (import core.op_errors first to have its group)."""
    owners: list[Code | Messages] = [*CODES.values(), *GROUPS.values()]
    return [msg for owner in owners for msg in owner.messages.values()]


def all_codes() -> list[Code]:
    return list(CODES.values())


def get(number: str) -> Code:
    return CODES[number]
