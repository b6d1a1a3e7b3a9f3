"""Names from the user's other modules: read, never run, and shown at the call site."""

from pathlib import Path

from shapelens.core.analyze import analyze
from shapelens.core.resolve import _jedi_find, find_user_module

BLOCKS = '''from keras import layers
FILTERS = 32
open(MARKER, "w").write("ran")

def conv_block(x, filters=FILTERS):
    x = layers.Conv2D(filters, 3)(x)
    return layers.MaxPooling2D()(x)
'''
MAIN = '''import keras
from blocks import conv_block, FILTERS
from pkg.heads import head
import blocks as B

inp = keras.Input((32, 32, 3))
x = conv_block(inp)
x = B.conv_block(x, FILTERS * 2)
x = conv_block(x, 9)
out = head(x, 10)
model = keras.Model(inp, out)
'''
HEADS = '''from keras import layers
from .util import WIDTH
def head(x, n):
    x = layers.Flatten()(x)
    x = layers.Dense(WIDTH)(x)
    return layers.Dense(n)(x)
'''


def make_project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("")
    marker = tmp_path / "RAN"
    (tmp_path / "blocks.py").write_text(BLOCKS.replace("MARKER", repr(str(marker))))
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg/__init__.py").write_text("")
    (tmp_path / "pkg/heads.py").write_text(HEADS)
    (tmp_path / "pkg/util.py").write_text("WIDTH = 16\n")
    main = tmp_path / "main.py"
    main.write_text(MAIN)
    return main


def test_layers_from_helper_modules(tmp_path):
    main = make_project(tmp_path)
    a = analyze(main.read_text(), str(main))
    assert not (tmp_path / "RAN").exists(), "a module's top-level code was executed"
    (model,) = a.models
    assert model.output_shape == (None, 10)
    rows = [(i.kind, i.span.line + 1, i.output_shape) for i in model.layers]
    assert rows == [
        ("InputLayer", 6, (None, 32, 32, 3)),
        ("Conv2D", 7, (None, 30, 30, 32)), ("MaxPooling2D", 7, (None, 15, 15, 32)),
        ("Conv2D", 8, (None, 13, 13, 64)), ("MaxPooling2D", 8, (None, 6, 6, 64)),
        ("Conv2D", 9, (None, 4, 4, 9)), ("MaxPooling2D", 9, (None, 2, 2, 9)),
        ("Flatten", 10, (None, 36)), ("Dense", 10, (None, 16)), ("Dense", 10, (None, 10)),
    ]
    assert model.params == 896 + 18496 + 5193 + 592 + 170
    assert not [d for d in a.diagnostics if d.severity == "error"]


def test_error_inside_a_helper_is_shown_at_the_call(tmp_path):
    make_project(tmp_path)
    main = tmp_path / "small.py"
    main.write_text("import keras\nfrom blocks import conv_block\n\ny = conv_block(keras.Input((2, 2, 3)))\n")
    a = analyze(main.read_text(), str(main))
    (err,) = [d for d in a.diagnostics if d.severity == "error"]
    assert err.code == "SL101" and err.span.line == 3 and err.raise_span.line == 3


def test_module_resolution(tmp_path):
    main = make_project(tmp_path)
    assert find_user_module("blocks", 0, str(main)) == str(tmp_path / "blocks.py")
    assert find_user_module("pkg.heads", 0, str(main)) == str(tmp_path / "pkg/heads.py")
    assert find_user_module("util", 1, str(tmp_path / "pkg/heads.py")) == str(tmp_path / "pkg/util.py")
    assert find_user_module("keras", 0, str(main)) is None
    assert find_user_module("os", 0, str(main)) is None
    assert find_user_module("nowhere", 0, str(main)) is None
    assert find_user_module("blocks", 0, "<buffer>") is None


def test_jedi_fallback_finds_a_project_module(tmp_path):
    main = make_project(tmp_path)
    assert _jedi_find("blocks", str(main), str(tmp_path)) == str(tmp_path / "blocks.py")


def test_import_cycle_and_missing_names(tmp_path):
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "a.py").write_text("from b import g\ndef f(x):\n    return g(x)\n")
    (tmp_path / "b.py").write_text("from a import f\ndef g(x):\n    return f(x)\n")
    main = tmp_path / "main.py"
    main.write_text("import keras\nfrom a import f, nothing\nx = f(keras.Input((3,)))\n")
    a = analyze(main.read_text(), str(main))
    assert a.models == [] and not [d for d in a.diagnostics if d.severity == "error"]


def test_jedi_is_not_started_for_a_name_found_nowhere_in_the_project(tmp_path, monkeypatch):
    """Starting jedi costs ~0.2-0.7 s; a third-party import (rdkit, say) that no file or folder
    of the project is named after cannot resolve to a user module, so jedi is not asked."""
    from shapelens.core import resolve

    main = make_project(tmp_path)
    (tmp_path / "vendor" / "deep").mkdir(parents=True)
    (tmp_path / "vendor" / "deep" / "extras.py").write_text("X = 1\n")
    asked = []
    monkeypatch.setattr(resolve, "_jedi_find", lambda module, importer, root: asked.append(module))
    resolve.find_user_module.cache_clear()
    resolve._module_names_under.cache_clear()
    try:
        assert find_user_module("rdkit.Chem", 0, str(main)) is None
        assert asked == []
        # a name that exists somewhere under the project (not where plain search looks) is left to jedi
        find_user_module("extras", 0, str(main))
        assert asked == ["extras"]
    finally:
        resolve.find_user_module.cache_clear()
        resolve._module_names_under.cache_clear()
