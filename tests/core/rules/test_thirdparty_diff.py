"""Third-party layers (TensorFlow Addons, KerasNLP/KerasHub, KerasCV) against Keras's own layers.

The libraries are not installed: where a layer reduces to core Keras layers, the rule's shape
and weights are checked against Keras building those core layers (the reduction follows the
library source cited in each rule's docstring, shapelens/core/rules/thirdparty.py)."""

import pytest

from shapelens.core.analyze import analyze
from shapelens.core.rules import Args, apply
from shapelens.core.rules import thirdparty as tp
from shapelens.core.rules.base import LayerConfig
from shapelens.core.rules import lookup


def _run(library: str, kind: str, config: dict, x: tuple, call: dict | None = None):
    rule = tp.lookup(library, kind)
    assert rule is not None, (library, kind)
    return apply(rule, Args.bind(rule, [], config), x, call or {})


def _wrapped(kind: str, config: dict) -> LayerConfig:
    rule = lookup(kind)
    return LayerConfig(rule, Args.bind(rule, [], config))


WRAPPED_CASES = [
    ("Conv1D", {"filters": 64, "kernel_size": 3, "padding": "same"}, [None, None, 80], False),
    ("Conv1D", {"filters": 16, "kernel_size": 15, "strides": 4, "padding": "same", "groups": 1}, [None, 100, 8], True),
    ("Conv2D", {"filters": 8, "kernel_size": 3}, [None, 16, 16, 3], True),
    ("Dense", {"units": 10}, [None, 10, 10, 1], False),
    ("Conv1DTranspose", {"filters": 32, "kernel_size": 16, "strides": 8, "padding": "same"}, [None, 50, 64], False),
    ("Conv2DTranspose", {"filters": 4, "kernel_size": 2, "strides": 2}, [None, 5, 5, 6], True),
]


@pytest.mark.parametrize("kind,config,x,data_init", WRAPPED_CASES)
def test_weight_normalization_is_the_wrapped_layer(layer_oracle, kind, config, x, data_init):
    """tfa WeightNormalization(layer) returns layer(inputs): Keras's shape for the core layer;
    weights = the layer's (twice with data_init: the clone) + g (kernel's last axis) + 1."""
    keras = layer_oracle.layer(kind, config, [x])
    assert keras["ok"], keras
    out = _run(tp.TFA, "WeightNormalization", {"layer": _wrapped(kind, config), "data_init": data_init}, tuple(x))
    assert list(out.shape) == keras["output"]
    depth = x[-1] if kind.endswith("Transpose") else config.get("units", config.get("filters"))
    assert out.params == keras["params"] * (2 if data_init else 1) + depth + 1


def test_weight_normalization_printed_params():
    """The parameter counts tfa printed in keras.io's MelGAN summary (Keras 2): Conv1DTranspose
    (256, 16, 8) on 512 channels, data_init=False: 2,097,921; Conv1D(1, 7) on 32, data_init=True: 452."""
    out = _run(tp.TFA, "WeightNormalization", {"layer": _wrapped("Conv1DTranspose", {
        "filters": 256, "kernel_size": 16, "strides": 8, "padding": "same"}), "data_init": False}, (None, None, 512))
    assert out.params == 2097921
    out = _run(tp.TFA, "WeightNormalization", {"layer": _wrapped("Conv1D", {
        "filters": 1, "kernel_size": 7, "padding": "same"})}, (None, None, 32))
    assert out.params == 452


@pytest.mark.parametrize("x", [[None, 16, 16, 8], [None, None, 32], [None, 4, 4, 4, 6]])
def test_instance_normalization_is_group_normalization_minus_one(layer_oracle, x):
    keras = layer_oracle.layer("GroupNormalization", {"groups": -1}, [x])
    out = _run(tp.TFA, "InstanceNormalization", {}, tuple(x))
    assert [list(out.shape), out.params] == [keras["output"], keras["params"]]
    keras = layer_oracle.layer("GroupNormalization", {"groups": 2, "center": False}, [x])
    out = _run(tp.TFA, "GroupNormalization", {"groups": 2, "center": False}, tuple(x))
    assert [list(out.shape), out.params] == [keras["output"], keras["params"]]


def _params(oracle, kind, config, x, call=None, positional=False):
    r = oracle.layer(kind, config, x, call=call, positional=positional)
    assert r["ok"], r
    return r["params"]


@pytest.mark.parametrize("hidden,inter,heads", [(128, 256, 4), (64, 32, 3), (200, 400, 2)])
def test_transformer_encoder_weights_are_its_core_layers(layer_oracle, hidden, inter, heads):
    """MultiHeadAttention(heads, hidden // heads) + 2 LayerNormalization + Dense(inter) + Dense(hidden)."""
    x = [None, 10, hidden]
    kd = hidden // heads
    want = (_params(layer_oracle, "MultiHeadAttention", {"num_heads": heads, "key_dim": kd}, [x, x], positional=True)
            + 2 * _params(layer_oracle, "LayerNormalization", {}, [x])
            + _params(layer_oracle, "Dense", {"units": inter}, [x])
            + _params(layer_oracle, "Dense", {"units": hidden}, [[None, 10, inter]]))
    for lib in tp.NLP:
        out = _run(lib, "TransformerEncoder", {"intermediate_dim": inter, "num_heads": heads}, tuple(x))
        assert (out.shape, out.params) == (tuple(x), want)


def test_transformer_decoder_weights_are_its_core_layers(layer_oracle):
    dec, enc = [None, 7, 64], [None, 9, 48]
    heads, inter, kd = 4, 128, 16
    self_attn = _params(layer_oracle, "MultiHeadAttention", {"num_heads": heads, "key_dim": kd}, [dec, dec],
                        positional=True)
    cross = _params(layer_oracle, "MultiHeadAttention", {"num_heads": heads, "key_dim": kd, "value_dim": kd},
                    [dec, enc], positional=True)
    norm = _params(layer_oracle, "LayerNormalization", {}, [dec])
    ffn = _params(layer_oracle, "Dense", {"units": inter}, [dec]) + _params(layer_oracle, "Dense", {"units": 64},
                                                                             [[None, 7, inter]])
    out = _run("KerasNLP", "TransformerDecoder", {"intermediate_dim": inter, "num_heads": heads}, tuple(dec))
    assert (out.shape, out.params) == (tuple(dec), self_attn + 2 * norm + ffn)
    out = _run("KerasNLP", "TransformerDecoder", {"intermediate_dim": inter, "num_heads": heads}, tuple(dec),
               {"args": [tuple(enc)]})
    assert (out.shape, out.params) == (tuple(dec), self_attn + cross + 3 * norm + ffn)


def test_token_and_position_embedding_is_two_embeddings(layer_oracle):
    tok = layer_oracle.layer("Embedding", {"input_dim": 1000, "output_dim": 32}, [[None, 20]])
    out = _run("KerasHub", "TokenAndPositionEmbedding",
               {"vocabulary_size": 1000, "sequence_length": 20, "embedding_dim": 32}, (None, 20))
    assert list(out.shape) == tok["output"]
    assert out.params == tok["params"] + 20 * 32
    fnet = _run("KerasNLP", "FNetEncoder", {"intermediate_dim": 16}, (None, 20, 32))
    want = (2 * _params(layer_oracle, "LayerNormalization", {}, [[None, 20, 32]])
            + _params(layer_oracle, "Dense", {"units": 16}, [[None, 20, 32]])
            + _params(layer_oracle, "Dense", {"units": 32}, [[None, 20, 16]]))
    assert (fnet.shape, fnet.params) == ((None, 20, 32), want)


def test_keras_cv_reexports_center_crop(layer_oracle):
    keras = layer_oracle.layer("CenterCrop", {"height": 8, "width": 6}, [[None, 16, 16, 3]])
    out = _run(tp.CV, "CenterCrop", {"height": 8, "width": 6}, (None, 16, 16, 3))
    assert list(out.shape) == keras["output"]


PROGRAM = '''
import keras
import keras_cv
import keras_nlp
import tensorflow_addons as tfa
from keras import layers

inp = keras.Input((None, 80))
x = tfa.layers.WeightNormalization(layers.Conv1D(64, 3, padding="same"), data_init=False)(inp)
x = tfa.layers.InstanceNormalization()(x)
x = layers.Bidirectional(layers.LSTM(4, return_sequences=True))(x)
tok = keras.Input((64,), dtype="int32")
e = keras_nlp.layers.TokenAndPositionEmbedding(1000, 64, 128)(tok)
e = keras_nlp.layers.TransformerEncoder(256, 4)(e)
img = keras.Input((32, 32, 3))
y = keras_cv.layers.RandomFlip("horizontal")(img)
y = keras_cv.layers.Grayscale()(y)
y = keras_cv.layers.RandomNewThing(3)(y)
'''


def test_program_shapes_and_reasons():
    a = analyze(PROGRAM, "p.py", keras="3")
    by = {(i.kind, i.span.line + 1): i for i in a.layers}
    assert by[("WeightNormalization", 9)].output_shape == (None, None, 64)
    assert by[("WeightNormalization", 9)].params == 3 * 80 * 64 + 64 + 64 + 1
    assert by[("InstanceNormalization", 10)].output_shape == (None, None, 64)
    assert by[("TokenAndPositionEmbedding", 13)].output_shape == (None, 64, 128)
    assert by[("TransformerEncoder", 14)].output_shape == (None, 64, 128)
    assert by[("RandomFlip", 16)].output_shape == (None, 32, 32, 3)
    assert by[("Grayscale", 17)].output_shape == (None, 32, 32, 1)
    unknown = by[("RandomNewThing", 18)]
    assert unknown.output_shape is None and "no rule for this KerasCV layer" in unknown.note
    # the layers given to a wrapper are marked (the wrapper's call is the call site)
    inner = by[("Conv1D", 9)]
    assert inner.wrapped and inner.output_shape is None and "WeightNormalization" in inner.note
    assert by[("LSTM", 11)].wrapped
    assert not [d for d in a.diagnostics if d.severity == "error"]


def test_unknown_input_keeps_a_reason():
    out_src = PROGRAM.replace('(inp)', '(unknown_thing)', 1)
    a = analyze(out_src, "p.py", keras="3")
    wn = next(i for i in a.layers if i.kind == "WeightNormalization")
    assert wn.output_shape is None and wn.note
