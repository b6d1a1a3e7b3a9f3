"""Feeding shapelens.config from the client and the project, and reporting bad options.

Precedence, lowest first: defaults, ``[tool.shapelens]`` of the workspace's
pyproject.toml, the client's settings (initializationOptions, then
workspace/didChangeConfiguration). A settings payload may be the option tree itself or
wrap it as ``{"shapelens": {...}}`` (VS Code's ``settings`` convention).
"""

from __future__ import annotations

import logging
from typing import Any

from lsprotocol import types
from pygls.uris import to_fs_path

from shapelens.config import Options, load, read_pyproject
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


def apply(server, client_settings: Any = None, *, replace_client: bool = True) -> Options:
    """Recompute server.options (reporting bad options); returns the previous options."""
    if replace_client:
        server.client_settings = unwrap(client_settings)
    project, problems = read_pyproject(project_root(server))
    options, more = load(project, server.client_settings or None,
                         sources=("pyproject.toml [tool.shapelens]", "shapelens settings"))
    problems += more
    previous = server.options
    server.options = options
    server.options_generation += 1
    logs.set_level(server.cli_log_level, options.log_level)
    if problems:
        text = "shapelens: " + "; ".join(problems)
        log.warning(text)
        server.show(text, types.MessageType.Warning)
    log.info("options: %s", options)
    return previous
