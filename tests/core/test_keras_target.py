"""The Keras target (`keras-version`): file, project pins, installed packages, default."""

import os
import time
from pathlib import Path

import pytest

from shapelens.core import keras_target as kt


@pytest.mark.parametrize("line, expected", [
    ("tensorflow<2.16", "2"), ("tensorflow==2.15.0", "2"), ("tensorflow==2.15.*", "2"),
    ("tensorflow-cpu~=2.13", "2"), ("keras<3", "2"), ("keras==2.*", "2"), ("tf-keras", "2"),
    ("tf_keras>=2.16", "2"), ("tensorflow>=2.16", "3"), ("keras>=3.0", "3"), ("keras==3.*", "3"),
    ("tensorflow==2.16.1", "3"), ("tensorflow", None), ("tensorflow>=2.10", None), ("numpy<2", None),
    ("tensorflow<2.17", None), ("tensorflow[and-cuda]==2.15.1  # gpu", "2"), ("# tensorflow<2.16", None),
    ("tensorflow-probability<0.24", None), ("keras-tuner<1.4", None),
])
def test_requirement_lines(line, expected):
    assert kt.pins_in(line) == expected


def test_keras2_pin_wins_over_unpinned():
    assert kt.pins_in("numpy\ntensorflow>=2.10\ntf-keras\n") == "2"


def test_pyproject_dependency_list():
    assert kt.pins_in('[project]\ndependencies = ["tensorflow>=2.12,<2.16", "numpy"]\n') == "2"


def test_setting_overrides_everything(tmp_path):
    assert kt.decide("3", "import tf_keras\n", str(tmp_path / "a.py")).version == "3"
    assert kt.decide("2", "", None).version == "2"


@pytest.mark.parametrize("text", [
    "import tf_keras as keras\n", "from tf_keras import layers\n",
    "import os\nos.environ['TF_USE_LEGACY_KERAS'] = '1'\nimport tensorflow as tf\n",
    'import os\nos.environ.setdefault("TF_USE_LEGACY_KERAS", "1")\n',
])
def test_file_asks_for_keras2(text):
    t = kt.decide("auto", text, None, interpreter=None, environ={})
    assert t.version == "2" and t.reason


def test_legacy_env_set_to_zero_is_not_keras2():
    assert kt.decide("auto", "import os\nos.environ['TF_USE_LEGACY_KERAS'] = '0'\n", None,
                     environ={}).version == "3"


def test_project_pins_found_upward(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "requirements.txt").write_text("tensorflow==2.15.0\n")
    f = tmp_path / "src" / "pkg" / "model.py"
    f.parent.mkdir(parents=True)
    t = kt.decide("auto", "import tensorflow as tf\n", str(f), environ={})
    assert (t.version, t.reason) == ("2", "a Keras 2 pin in requirements.txt")


def test_search_stops_at_repository_root(tmp_path):
    (tmp_path / "requirements.txt").write_text("tensorflow==2.15.0\n")
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    assert kt.decide("auto", "", str(repo / "m.py"), environ={}).version == "3"


def test_project_files_added_or_removed_are_seen(tmp_path):
    """Directory listings are kept between analyses while the directory is unchanged: a pin
    added, changed or removed is still seen at once (also within the file system's clock)."""
    (tmp_path / ".git").mkdir()
    f = str(tmp_path / "model.py")
    assert kt.decide("auto", "", f, environ={}).version == "3"
    (tmp_path / "requirements.txt").write_text("tensorflow==2.15.0\n")  # just now: racily new
    assert kt.decide("auto", "", f, environ={}).reason == "a Keras 2 pin in requirements.txt"
    # an old directory (listing kept), then a file added: its mtime changes
    old = time.time() - 60
    os.utime(tmp_path, (old, old))
    assert kt.decide("auto", "", f, environ={}).version == "2"
    assert kt.decide("auto", "", f, environ={}).version == "2"  # from the kept listing
    (tmp_path / "requirements.txt").unlink()
    assert kt.decide("auto", "", f, environ={}).version == "3"
    (tmp_path / "requirements-gpu.txt").write_text("keras>=3\n")
    assert kt.decide("auto", "", f, environ={}).reason == "a Keras 3 pin in requirements-gpu.txt"


def _fake_env(tmp_path: Path, dists: list[str]) -> str:
    sp = tmp_path / "venv" / "lib" / "python3.11" / "site-packages"
    sp.mkdir(parents=True)
    for d in dists:
        (sp / f"{d}.dist-info").mkdir()
    (tmp_path / "venv" / "bin").mkdir()
    return str(tmp_path / "venv" / "bin" / "python")


def test_installed_keras2(tmp_path):
    py = _fake_env(tmp_path, ["tensorflow-2.15.1", "keras-2.15.0"])
    t = kt.decide("auto", "", None, interpreter=py, environ={})
    assert (t.version, t.reason) == ("2", "keras 2.15.0 is installed")


def test_installed_keras3_with_legacy_env(tmp_path):
    py = _fake_env(tmp_path, ["tensorflow-2.18.0", "keras-3.8.0", "tf_keras-2.18.0"])
    assert kt.decide("auto", "", None, interpreter=py, environ={}).version == "3"
    legacy = kt.decide("auto", "", None, interpreter=py, environ={"TF_USE_LEGACY_KERAS": "1"})
    assert legacy.version == "2" and "TF_USE_LEGACY_KERAS" in legacy.reason


def test_default_is_keras3(tmp_path):
    t = kt.decide("auto", "import keras\n", str(tmp_path / "m.py"), interpreter=None, environ={})
    assert t == kt.KERAS3_DEFAULT


def test_this_interpreter_is_read_without_importing():
    import sys
    versions = kt.installed_versions(sys.executable)
    assert isinstance(versions, dict)
