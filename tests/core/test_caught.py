"""Errors the program catches (core/caught.py): information naming the handler, or still an
error when no handler catches that exception. The clean cases run under TensorFlow in
tests/fixtures/precision/caught_errors.py."""

from shapelens.core.analyze import analyze

BODY = """import numpy as np
A = np.ones((2, 3))
D = np.ones((3, 4))
try:
    D @ A
except {handler}:
    pass
"""


def _findings(handler: str):
    return [(d.code, d.severity) for d in analyze(BODY.format(handler=handler), "t.py").diagnostics]


def test_handler_of_that_exception_turns_the_error_into_information():
    for handler in ("ValueError", "ValueError as e", "(TypeError, ValueError)", "Exception", "BaseException"):
        assert _findings(handler) == [("SL315", "information")], handler


def test_bare_except_catches_it():
    text = BODY.replace("except {handler}:", "except:")
    assert [(d.code, d.severity) for d in analyze(text, "t.py").diagnostics] == [("SL315", "information")]


def test_handler_of_another_exception_leaves_the_error():
    for handler in ("FileNotFoundError", "ImportError", "KeyError"):
        assert _findings(handler) == [("SL315", "error")], handler


def test_message_names_the_handler_and_its_line():
    d = analyze(BODY.format(handler="ValueError as e"), "t.py").diagnostics[0]
    assert "caught by `except ValueError` on line 6" in d.message
    assert any(r.span.line == 5 for r in d.related)


def test_removed_import_caught_by_import_error():
    text = "try:\n    from keras.preprocessing.text import Tokenizer\nexcept ImportError:\n    Tokenizer = None\n"
    assert [(d.code, d.severity) for d in analyze(text, "t.py").diagnostics] == [("SL401", "information")]
    text = text.replace("ImportError", "ValueError")
    assert [(d.code, d.severity) for d in analyze(text, "t.py").diagnostics] == [("SL401", "error")]


def test_handler_that_raises_again_leaves_the_error():
    text = BODY.replace("    pass\n", "    print('bad shapes')\n    raise\n").format(handler="ValueError")
    assert [(d.code, d.severity) for d in analyze(text, "t.py").diagnostics] == [("SL315", "error")]
