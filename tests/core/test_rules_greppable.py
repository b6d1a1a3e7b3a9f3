"""One hop from a Keras class name to its rule: every registered name is written literally
in the module that registers it, and every family module is imported explicitly."""

import importlib
import inspect

from shapelens.core.rules import FAMILY_MODULES, LAYERS


def test_every_layer_name_appears_literally_in_its_module():
    missing = []
    for name, rule in LAYERS.items():
        assert rule.module.startswith("shapelens.core.rules."), name
        source = inspect.getsource(importlib.import_module(rule.module))
        if f'"{name}"' not in source:
            missing.append(f"{name} ({rule.module})")
    assert not missing, "registered from a computed string: " + ", ".join(missing)


def test_every_rule_module_is_a_family_module():
    families = {m.__name__ for m in FAMILY_MODULES}
    assert {rule.module for rule in LAYERS.values()} <= families
    assert len(LAYERS) == 145
