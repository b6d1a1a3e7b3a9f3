"""The machinery of the code registry (shapelens.core.codes): a code is a ``str`` subclass
registered with :func:`code`, its message templates are :class:`Msg` objects."""

from __future__ import annotations

import string
from typing import Any, Callable

DOCS_BASE_URL = "https://github.com/shapelens/shapelens/blob/main/docs/rules/"
SEVERITIES = ("error", "warning", "information", "hint")


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
        return self.template.format(**fields)

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
