"""The summary line counts layers as the model titles do (it said 8 where the title said 7)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_footer_counts_the_layers_of_the_models_like_their_titles():
    proc = subprocess.run([sys.executable, "-m", "shapelens", "check", "--shapes", "examples/mistake_kernel_too_big.py",
                           "examples/mnist_cnn.py"], cwd=ROOT, capture_output=True, text=True, encoding="utf-8",
                          timeout=120)
    titles = [int(n) for n in re.findall(r" · (\d+) layers · ", proc.stdout)]
    footer = re.search(r"^2 files, 2 models, (\d+) layers:", proc.stdout, re.M)
    assert len(titles) == 2 and footer, proc.stdout
    assert int(footer[1]) == sum(titles) == 14, proc.stdout
