"""initializationOptions and workspace/didChangeConfiguration -> shapelens.config.Options."""

from __future__ import annotations

import logging

from lsprotocol import types

from shapelens.config import looks_like_options
from shapelens.lsp import settings
from shapelens.lsp.features import diagnostics

log = logging.getLogger("shapelens.lsp")


async def did_change_configuration(ls, params: types.DidChangeConfigurationParams) -> None:
    payload = settings.unwrap(params.settings)
    if not looks_like_options(payload) and ls.supports(lambda c: c.workspace.configuration):
        try:
            answer = await ls.workspace_configuration_async(
                types.ConfigurationParams(items=[types.ConfigurationItem(section="shapelens")]))
            payload = answer[0] if answer else None
        except Exception:  # noqa: BLE001 -- a client that cannot answer keeps the current settings
            log.warning("workspace/configuration failed; keeping the current settings")
            return
    previous = settings.apply(ls, payload)
    if _changes_analysis(previous, ls.options):
        ls.analyses.reanalyze()  # under the Keras the new settings target
    refresh(ls)


def _changes_analysis(before, after) -> bool:
    """Whether new options change the analyses themselves (not only what they report)."""
    return (before.keras_version != after.keras_version
            or before.dry_run.interpreter != after.dry_run.interpreter)


def refresh(ls) -> None:
    """Let the client see what the new options change."""
    diagnostics.republish(ls)
    caps = ls.supports
    if ls.pull_diagnostics and caps(lambda c: c.workspace.diagnostics.refresh_support):
        ls.workspace_diagnostic_refresh(None)
    if caps(lambda c: c.workspace.inlay_hint.refresh_support):
        ls.workspace_inlay_hint_refresh(None)
    if caps(lambda c: c.workspace.code_lens.refresh_support):
        ls.workspace_code_lens_refresh(None)
