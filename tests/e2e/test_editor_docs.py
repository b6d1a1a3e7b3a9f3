"""docs/editors.md stays in step with editors/ (plain unit test, no editor needed)."""

from __future__ import annotations

import json
import re

from tests.e2e.support import ROOT

DOC = ROOT / "docs" / "editors.md"


def test_the_old_neovim_snippet_is_the_tested_file():
    snippet = (ROOT / "editors" / "nvim" / "setup-0.8-0.10.lua").read_text(encoding="utf-8").strip()
    assert snippet in DOC.read_text(encoding="utf-8")


def test_every_vscode_command_is_documented():
    package = json.loads((ROOT / "editors" / "vscode" / "package.json").read_text(encoding="utf-8"))
    text = DOC.read_text(encoding="utf-8")
    for command in package["contributes"]["commands"]:
        assert f"**{command['title']}**" in text, command


def test_images_exist_and_are_small():
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", DOC.read_text(encoding="utf-8"))
    assert images
    for rel in images:
        path = DOC.parent / rel
        assert path.is_file(), rel
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", rel
        assert path.stat().st_size < 300_000, (rel, path.stat().st_size)
