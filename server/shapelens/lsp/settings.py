"""Feeding shapelens.config from the client and the project, and reporting bad options.

Precedence, lowest first: defaults, the closest configuration file (``.shapelens.toml``,
``shapelens.toml`` or a pyproject.toml with ``[tool.shapelens]``, found upward from each
document as the CLI does), the client's settings (initializationOptions, then
workspace/didChangeConfiguration). A settings payload may be the option tree itself or
wrap it as ``{"shapelens": {...}}`` (VS Code's ``settings`` convention).

``server.options`` holds the options found from the workspace root (timings, the dry run,
features); :func:`options_for` those of one document (what its diagnostics report).
"""

from __future__ import annotations

import logging
from typing import Any

from lsprotocol import types
from pygls.uris import to_fs_path

from shapelens.config import Discovery, Options, load, source_name
from shapelens.lsp import logs

log = logging.getLogger("shapelens.lsp")


def unwrap(payload: Any) -> Any:
    """The shapelens option tree inside a settings payload (None when there is none)."""
    if isinstance(payload, dict):
        if "settings" in payload and isinstance(payload["settings"], dict) and len(payload) == 1:
            return unwrap(payload["settings"])
        if "shapelens" in payload:
            return payload["shapelens"]
    return payload


def project_root(server) -> str | None:
    ws = server.workspace
    folders = list(getattr(ws, "folders", {}).values())
    uri = folders[0].uri if folders else ws.root_uri
    return to_fs_path(uri) if uri else None


def _layered(server, config_file) -> tuple[Options, list[str]]:
    table, problems = server.config_discovery.table(config_file) if config_file else (None, [])
    where = source_name(config_file) if config_file else "configuration file"
    options, more = load(table, server.client_settings or None, sources=(where, "shapelens settings"),
                         bases=(config_file.parent if config_file else None, None))
    return options, problems + more


def apply(server, client_settings: Any = None, *, replace_client: bool = True) -> Options:
    """Recompute server.options (reporting bad options); returns the previous options."""
    if replace_client:
        server.client_settings = unwrap(client_settings)
    server.config_discovery = Discovery()  # configuration files are read again
    server.file_options = {}
    root = project_root(server)
    config_file = server.config_discovery.config_for(root) if root else None
    options, problems = _layered(server, config_file)
    server.file_options[config_file] = options
    previous = server.options
    server.options = options
    server.options_generation += 1
    logs.set_level(server.cli_log_level, options.log_level)
    _report(server, problems)
    log.info("options: %s", options)
    return previous


def options_for(server, uri: str) -> Options:
    """The options of one document: its closest configuration file (or the workspace's when it
    has none), then the client's settings."""
    discovery = getattr(server, "config_discovery", None)
    path = to_fs_path(uri) if uri.startswith("file:") else None
    if discovery is None or path is None:
        return server.options
    config_file = discovery.config_for(path)
    if config_file is None:  # a file outside every configured project: the workspace's options
        return server.options
    cache = server.file_options
    if config_file not in cache:
        cache[config_file], problems = _layered(server, config_file)
        _report(server, problems)
    return cache[config_file]


def _report(server, problems: list[str]) -> None:
    if problems:
        text = "shapelens: " + "; ".join(problems)
        log.warning(text)
        server.show(text, types.MessageType.Warning)
