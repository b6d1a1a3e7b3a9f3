"""Differential harness: the same layer config through the engine and through real Keras."""

from __future__ import annotations

from shapelens.core.rules import Args, LayerError, Unresolved, apply, lookup
from shapelens.core.rules.base import LayerConfig
from shapelens.core.shapes import Unknown


def _decode(value):
    if isinstance(value, dict) and "__layer__" in value:
        rule = lookup(value["__layer__"])
        assert rule is not None, f"no rule for nested {value['__layer__']}"
        return LayerConfig(rule, Args.bind(rule, [], {k: _decode(v) for k, v in value.get("config", {}).items()}))
    if isinstance(value, dict):
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def _norm(shape):
    if isinstance(shape, list):
        return [_norm(s) for s in shape]
    if isinstance(shape, tuple):
        return [("?" if isinstance(d, Unknown) else d) for d in shape]
    return shape


def engine(kind: str, config: dict, inputs: list, call: dict | None = None, as_list: bool = False,
           positional: bool = False) -> dict:
    """Run the rule. ``positional=True`` mirrors the oracle's ``layer(*inputs, **call)``:
    the first shape is the input and the others reach the rule as ``call["args"]``
    (e.g. ``mha(query, value)`` -> input query, ``call["args"] == [value]``)."""
    rule = lookup(kind)
    assert rule is not None, f"no rule registered for {kind}"
    shapes = [tuple(s) for s in inputs]
    x = shapes if (as_list or rule.multi_input and len(shapes) > 1) else shapes[0]
    if as_list:
        x = shapes
    call_shapes = {k: (tuple(v["__shape__"]) if isinstance(v, dict) and "__shape__" in v else v)
                   for k, v in (call or {}).items()}
    if positional:
        x = shapes[0]
        call_shapes["args"] = shapes[1:]
    try:
        args = Args.bind(rule, [], _decode(config))
        out = apply(rule, args, x, call_shapes)
    except LayerError as e:
        return {"ok": False, "code": e.code, "error": e.message}
    except Unresolved as e:
        return {"ok": None, "error": e.reason}
    return {"ok": True, "output": _norm(out.shape), "params": out.params}


def check(oracle, kind: str, config: dict, inputs: list, call: dict | None = None, as_list: bool = False,
          positional: bool = False) -> dict:
    """Assert the engine agrees with Keras on this config; returns the Keras answer.

    ``positional=True`` calls the Keras layer as ``layer(*inputs, **call)`` (see engine)."""
    tf = oracle.layer(kind, config, inputs, call=call, as_list=as_list, positional=positional)
    en = engine(kind, config, inputs, call=call, as_list=as_list, positional=positional)
    ctx = f"{kind}({config}) on {inputs}: keras={tf} engine={en}"
    assert tf.get("stage") != "harness", ctx
    assert en["ok"] is not None, "engine left a literal config unresolved: " + ctx
    assert en["ok"] == tf["ok"], ctx
    if tf["ok"]:
        assert en["output"] == tf["output"], ctx
        assert en["params"] == tf["params"], ctx
    return tf
