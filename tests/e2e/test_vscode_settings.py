"""The VS Code extension's settings (editors/vscode/package.json) mirror the server's option tree.

Plain unit test (no editor, no e2e set-up): every option of shapelens.config is contributed as
`shapelens.<camelCase path>` with the same type, default, bounds, choices and description, and
nothing else is, but the extension's own settings, which src/options.ts keeps from the server.
"""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any, Iterator

import pytest

from shapelens import config
from tests.e2e.support import ROOT

EXTENSION = ROOT / "editors" / "vscode"
JSON_TYPES = {bool: "boolean", int: "integer", str: "string"}


def leaves(cls: type = config.Options, prefix: str = "") -> Iterator[tuple[str, dataclasses.Field]]:
    for f in dataclasses.fields(cls):
        path = prefix + config.camel(f.name)
        if config.is_group(f):
            yield from leaves(f.default_factory, path + ".")
        else:
            yield path, f


def contributed() -> dict[str, dict[str, Any]]:
    package = json.loads((EXTENSION / "package.json").read_text(encoding="utf-8"))
    return package["contributes"]["configuration"]["properties"]


def extension_only() -> set[str]:
    """EXTENSION_ONLY of src/options.ts: the settings it does not send to the server."""
    source = (EXTENSION / "src" / "options.ts").read_text(encoding="utf-8")
    match = re.search(r"EXTENSION_ONLY[^=]*=\s*new Set\(\[([^\]]*)\]\)", source)
    assert match, "EXTENSION_ONLY not found in src/options.ts"
    return set(re.findall(r"'([^']+)'", match.group(1)))


OPTIONS = dict(leaves())


@pytest.mark.parametrize("path", list(OPTIONS))
def test_option_is_contributed_with_the_servers_default(path):
    f = OPTIONS[path]
    props = contributed()
    key = f"shapelens.{path}"
    assert key in props, f"package.json lacks {key}"
    prop = props[key]
    kind = f.metadata.get("kind")
    if kind is not None:  # a list of codes, or a table of them
        assert prop["type"] == ("array" if kind == "codes" else "object"), prop
        assert prop["default"] == f.default_factory(), prop
        items = prop["items"] if kind == "codes" else prop["additionalProperties"]
        if kind == "glob-codes":
            items = items["items"]
        assert items["type"] == "string", prop
        if kind == "code-severity":
            assert items["enum"] == list(config.SEVERITIES), prop
        assert prop["markdownDescription"] == f.metadata["doc"], prop
        return
    assert prop["type"] == JSON_TYPES[type(f.default)], prop
    assert prop["default"] == f.default and type(prop["default"]) is type(f.default), prop
    assert prop.get("enum") == (list(f.metadata["choices"]) if "choices" in f.metadata else None), prop
    assert prop.get("minimum") == f.metadata.get("min"), prop
    assert prop.get("maximum") == f.metadata.get("max"), prop
    assert prop.get("markdownDescription", prop.get("description")) == f.metadata["doc"], prop


def test_nothing_else_is_contributed():
    own = extension_only()
    assert own == {"interpreter", "importStrategy", "trace.server"}
    server_keys = {k.removeprefix("shapelens.") for k in contributed()} - own
    assert server_keys == set(OPTIONS), (f"not options of the server: {sorted(server_keys - set(OPTIONS))}; "
                                         f"missing: {sorted(set(OPTIONS) - server_keys)}")


def test_settings_are_in_the_tree_order():
    """Same order as docs/configuration.md, so the Settings UI reads like the reference."""
    own = extension_only()
    keys = [k.removeprefix("shapelens.") for k in contributed() if k.removeprefix("shapelens.") not in own]
    assert keys == list(OPTIONS)
