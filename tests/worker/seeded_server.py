"""`shapelens serve` with the engine's Flatten rule broken on purpose (tests only).

A seeded engine bug: the dry run must report it as SL902 with both answers.
"""

import sys

from shapelens.core.rules import LAYERS

_rule = LAYERS["Flatten"]
_original = _rule.fn


def _broken(args, inputs, call):
    out = _original(args, inputs, call)
    out.shape = (*out.shape[:-1], out.shape[-1] + 1)
    return out


_rule.fn = _broken

if __name__ == "__main__":
    from shapelens.cli import main

    sys.exit(main(["serve"]))
