"""Sample outputs in README.md and docs/*.md, produced by running their commands.

A sample is a ```text block right after a marker comment naming the command:

    <!-- sample: shapelens check examples/mistake_kernel_too_big.py -->
    ```text
    $ shapelens check examples/mistake_kernel_too_big.py
    ...what the command prints (stdout, then stderr)...
    ```

`<!-- sample(tf): ... -->` marks a command that needs TensorFlow (tests/test_readme_samples.py
runs those only where TensorFlow is installed). Commands run from the repository root with
this checkout's server/ first on PYTHONPATH, UTF-8 output and 100 columns.

    python scripts/update_samples.py          # rewrite every sample from real output
    python scripts/update_samples.py --check  # exit 1 and show the difference if any is stale

Every ```text block in these files must be a sample (the test checks that too), so that no
output is written by hand. After CLI output changes (new options, formats, notebooks), run the
first form and review the diff.
"""

from __future__ import annotations

import difflib
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MARKER = re.compile(r"^<!-- sample(?P<tf>\(tf\))?: (?P<cmd>.+?) -->\n```text\n(?P<body>.*?)^```$", re.M | re.S)
FENCE = re.compile(r"^```text$", re.M)


@dataclass
class Sample:
    path: Path
    command: str
    tf: bool
    body: str  # what the file holds now
    start: int  # offsets of the body in the file
    end: int


def files() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def samples(path: Path) -> list[Sample]:
    text = path.read_text(encoding="utf-8")
    return [Sample(path, m["cmd"], bool(m["tf"]), m["body"], m.start("body"), m.end("body"))
            for m in MARKER.finditer(text)]


def unmarked_blocks(path: Path) -> list[int]:
    """Line numbers of ```text blocks that are not samples."""
    text = path.read_text(encoding="utf-8")
    marked = {m.start("body") for m in MARKER.finditer(text)}
    return [text.count("\n", 0, f.start()) + 1 for f in FENCE.finditer(text) if f.end() + 1 not in marked]


def run(command: str) -> str:
    """`$ command` and what it prints; `shapelens` runs as `python -m shapelens` of this checkout."""
    argv = shlex.split(command)
    if argv[0] == "shapelens":
        argv = [sys.executable, "-m", "shapelens", *argv[1:]]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "server"), os.environ.get("PYTHONPATH", "")]),
           "PYTHONIOENCODING": "utf-8", "COLUMNS": "100", "NO_COLOR": "1"}
    proc = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, encoding="utf-8", timeout=600,
                          stdin=subprocess.DEVNULL)
    out = (proc.stdout + proc.stderr).rstrip("\n")
    return f"$ {command}\n{out}\n"


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = 0
    for path in files():
        text = path.read_text(encoding="utf-8")
        for sample in reversed(samples(path)):  # from the end: offsets stay valid
            fresh = run(sample.command)
            if fresh == sample.body:
                continue
            stale += 1
            rel = path.relative_to(ROOT)
            if check:
                sys.stdout.writelines(difflib.unified_diff(sample.body.splitlines(True), fresh.splitlines(True),
                                                           f"{rel} (now)", f"{sample.command} (real)"))
            else:
                text = text[:sample.start] + fresh + text[sample.end:]
                print(f"updated {rel}: {sample.command}")
        if not check:
            path.write_text(text, encoding="utf-8")
        for line in unmarked_blocks(path):
            print(f"{path.relative_to(ROOT)}:{line}: a ```text block without a <!-- sample: ... --> marker")
            stale += 1
    return 1 if (check and stale) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
