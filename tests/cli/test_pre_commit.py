"""The pre-commit hook (.pre-commit-hooks.yaml), run by the real pre-commit in a temporary repository.

The checkout as it is on disk (its tracked files, uncommitted changes included) is copied into a
temporary git repository and committed; a temporary project names it in its
.pre-commit-config.yaml (`repo: <path>`, `rev: <that commit>`), as a user names the published
repository. pre-commit installs shapelens from it into a fresh virtualenv, once for the three
runs. That needs pip to reach an index (or the local mirror pip is configured with) and takes
minutes on a busy machine, hence the `pre_commit` marker: `pytest -m "not pre_commit"` leaves it out.
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


def _snapshot(dest: Path) -> str:
    """This checkout's tracked files, as they are on disk, committed in a new repository; its commit."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, check=True, capture_output=True).stdout
    for name in filter(None, listed.decode().split("\0")):
        src = ROOT / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    (dest / ".pre-commit-hooks.yaml").write_bytes((ROOT / ".pre-commit-hooks.yaml").read_bytes())
    _git(dest, "init", "-q")
    _git(dest, "add", ".")
    _git(dest, "commit", "-q", "-m", "snapshot")
    return subprocess.run(["git", "rev-parse", "HEAD"], cwd=dest, check=True, capture_output=True,
                          text=True).stdout.strip()


def test_broken_file_fails_and_clean_file_passes(tmp_path: Path):
    hooks = tmp_path / "shapelens"
    hooks.mkdir()
    rev = _snapshot(hooks)
    repo = tmp_path / "project"
    repo.mkdir()
    (repo / "broken.py").write_text(program(), encoding="utf-8")
    (repo / "clean.py").write_text(CLEAN, encoding="utf-8")
    (repo / "notes.txt").write_text("not python\n")
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {hooks.as_posix()}\n    rev: {rev}\n    hooks:\n      - id: shapelens-check\n")
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    env = dict(os.environ, PRE_COMMIT_HOME=str(tmp_path / "cache"), PRE_COMMIT_COLOR="never")
    env.pop("PYTHONPATH", None)  # the hook must run the shapelens it installed, not this checkout's
    cmd = [*_pre_commit(), "run", "shapelens-check", "--verbose"]

    broken = subprocess.run([*cmd, "--files", "broken.py", "notes.txt"], cwd=repo, env=env,
                            capture_output=True, text=True, timeout=1800)
    out = broken.stdout + broken.stderr
    assert broken.returncode == 1, out
    assert "shapelens check" in out and "Failed" in out
    assert "broken.py:6:5: SL101 [error]" in out and "notes.txt" not in out.split("Failed", 1)[1]

    clean = subprocess.run([*cmd, "--files", "clean.py"], cwd=repo, env=env, capture_output=True, text=True,
                           timeout=600)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "Passed" in clean.stdout

    # the project's configuration applies to the hook as to the CLI
    (repo / "pyproject.toml").write_text("[tool.shapelens]\nignore = ['SL101']\n")
    ignored = subprocess.run([*cmd, "--files", "broken.py"], cwd=repo, env=env, capture_output=True, text=True,
                             timeout=600)
    assert ignored.returncode == 0, ignored.stdout + ignored.stderr
