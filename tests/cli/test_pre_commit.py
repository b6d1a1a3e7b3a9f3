"""The pre-commit hook (.pre-commit-hooks.yaml), run by the real pre-commit in a temporary repository.

`pre-commit try-repo` installs this checkout (including uncommitted changes) into a fresh
virtualenv, as a user's `repo:` entry would, so the hook is tested exactly as published. It
needs pip to reach an index (or the local mirror pip is configured with); it takes about a
minute, hence the `pre_commit` marker: `pytest -m "not pre_commit"` leaves it out.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.cli.conftest import CLEAN, ROOT, program

pytestmark = pytest.mark.pre_commit


def test_the_hook_file_declares_shapelens_check():
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert hook["id"] == "shapelens-check" and hook["entry"] == "shapelens check"
    assert hook["language"] == "python" and hook["types_or"] == ["python", "jupyter"]


def _pre_commit() -> list[str]:
    if shutil.which("pre-commit") is None:
        try:
            import pre_commit  # noqa: F401
        except ImportError:
            pytest.fail("pre-commit is not installed (it is in the test extra: pip install -e '.[test]')")
    return [sys.executable, "-m", "pre_commit"]


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=repo, check=True,
                   capture_output=True)


def test_broken_file_fails_and_clean_file_passes(tmp_path: Path):
    repo = tmp_path / "project"
    repo.mkdir()
    (repo / "broken.py").write_text(program(), encoding="utf-8")
    (repo / "clean.py").write_text(CLEAN, encoding="utf-8")
    (repo / "notes.txt").write_text("not python\n")
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    env = dict(os.environ, PRE_COMMIT_HOME=str(tmp_path / "cache"), PRE_COMMIT_COLOR="never")
    env.pop("PYTHONPATH", None)  # the hook must run the shapelens it installed, not this checkout's
    cmd = [*_pre_commit(), "try-repo", str(ROOT), "shapelens-check", "--verbose"]

    broken = subprocess.run([*cmd, "--files", "broken.py", "notes.txt"], cwd=repo, env=env,
                            capture_output=True, text=True, timeout=900)
    out = broken.stdout + broken.stderr
    assert broken.returncode == 1, out
    assert "shapelens check" in out and "Failed" in out
    assert "broken.py:6:5: SL101 [error]" in out and "notes.txt" not in out.split("Failed", 1)[1]

    clean = subprocess.run([*cmd, "--files", "clean.py"], cwd=repo, env=env, capture_output=True, text=True,
                           timeout=900)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "Passed" in clean.stdout

    # the project's configuration applies to the hook as to the CLI
    (repo / "pyproject.toml").write_text("[tool.shapelens]\nignore = ['SL101']\n")
    ignored = subprocess.run([*cmd, "--files", "broken.py"], cwd=repo, env=env, capture_output=True, text=True,
                             timeout=900)
    assert ignored.returncode == 0, ignored.stdout + ignored.stderr
