"""Every sample output in README.md and docs/*.md is what its command really prints.

The samples are the ```text blocks after a `<!-- sample: COMMAND -->` marker; this test runs
each command and compares. When output changes on purpose, regenerate them with
`python scripts/update_samples.py` and review the diff.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("update_samples", ROOT / "scripts" / "update_samples.py")
samples = importlib.util.module_from_spec(_spec)
sys.modules["update_samples"] = samples  # (dataclasses look their module up)
_spec.loader.exec_module(samples)

ALL = [s for path in samples.files() for s in samples.samples(path)]


def _param(s):
    marks = [pytest.mark.tf] if s.tf else []
    return pytest.param(s, id=f"{s.path.relative_to(ROOT)}: {s.command}", marks=marks)


def test_there_are_samples():
    assert any(s.path.name == "README.md" for s in ALL)
    assert any(s.command.startswith("shapelens check ") for s in ALL)


@pytest.mark.parametrize("sample", [_param(s) for s in ALL])
def test_sample_is_real_output(sample):
    if sample.tf:
        pytest.importorskip("tensorflow")
    assert sample.body == samples.run(sample.command), (
        f"{sample.path.relative_to(ROOT)}: the sample of `{sample.command}` is stale; "
        "run `python scripts/update_samples.py` and review the diff")


def test_every_text_block_is_a_sample():
    """No output is written by hand: each ```text block of these files has a sample marker."""
    unmarked = {str(p.relative_to(ROOT)): samples.unmarked_blocks(p) for p in samples.files()}
    assert not {k: v for k, v in unmarked.items() if v}, unmarked


def test_toml_example_in_readme_is_a_valid_configuration():
    """The README's [tool.shapelens] example uses options that exist (documented in docs/configuration.md)."""
    import re
    import tomllib

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```toml\n(.*?)```", readme, re.S)[1]
    table = tomllib.loads(block)["tool"]["shapelens"]
    documented = set(re.findall(r"^\| `([\w.]+)` \|", (ROOT / "docs" / "configuration.md").read_text(), re.M))

    def kebab_to_camel(name: str) -> str:
        head, *rest = name.split("-")
        return head + "".join(p.title() for p in rest)

    def paths(node, prefix=""):
        for key, value in node.items():
            path = f"{prefix}{kebab_to_camel(key)}"
            yield from paths(value, path + ".") if isinstance(value, dict) else [path]

    found = list(paths(table))
    assert found and all(p in documented for p in found), (found, sorted(documented))
