"""Fills bundled/libs for `npm run package`: the shapelens wheel built from this repository
plus the pinned pure-Python dependencies of bundled/requirements.txt, installed with
`pip install --target` (as Microsoft's Python tool extensions do). Run by `npm run bundle`.

    python scripts/bundle.py            # uses the python running it (any Python >= 3.10 with pip)

Dependencies are resolved as pure-Python wheels for Python 3.10 (`--only-binary=:all:
--platform any --python-version 3.10`), so the result runs on every supported Python and
no compiled file lands in the .vsix. Needs the package index (or a pip cache/--find-links).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]  # editors/vscode
ROOT = HERE.parents[1]
LIBS = HERE / "bundled" / "libs"
REQUIREMENTS = HERE / "bundled" / "requirements.txt"


def pip(*args: str) -> None:
    cmd = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input", *args]
    print("$", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True)


def main() -> int:
    shutil.rmtree(LIBS, ignore_errors=True)
    LIBS.mkdir(parents=True)
    with tempfile.TemporaryDirectory(prefix="shapelens-wheel-") as tmp:
        pip("wheel", "--no-deps", "--no-build-isolation", "--wheel-dir", tmp, str(ROOT))
        wheels = list(Path(tmp).glob("shapelens-*.whl"))
        assert len(wheels) == 1, wheels
        pip("install", "--no-deps", "--no-compile", "--target", str(LIBS), str(wheels[0]))
    pip("install", "--no-compile", "--target", str(LIBS), "--only-binary=:all:", "--platform", "any",
        "--python-version", "3.10", "--implementation", "py", "--abi", "none", "-r", str(REQUIREMENTS))
    # jedi only resolves imports of the user's own modules here (core/resolve.py): its stubs of
    # third-party packages (4,000+ files, 27 MB) are not needed; the directories stay, empty.
    for stubs in (LIBS / "jedi" / "third_party" / "typeshed" / "stubs", LIBS / "jedi" / "third_party" / "django-stubs"):
        shutil.rmtree(stubs)
        stubs.mkdir()
    for junk in [*LIBS.glob("*.dist-info/RECORD"), *LIBS.rglob("__pycache__"), LIBS / "bin"]:
        if junk.is_dir():
            shutil.rmtree(junk)
        elif junk.exists():
            junk.unlink()
    compiled = [p for p in LIBS.rglob("*") if p.suffix in (".so", ".pyd", ".dylib")]
    assert not compiled, f"compiled files would make the .vsix platform-specific: {compiled}"
    files = [p for p in LIBS.rglob("*") if p.is_file()]
    print(f"{len(files)} files, {sum(p.stat().st_size for p in files) / 1e6:.1f} MB")
    print(f"bundled: {', '.join(sorted(p.name.split('-')[0] for p in LIBS.glob('*.dist-info')))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
