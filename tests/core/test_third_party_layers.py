"""Layers of KerasNLP/KerasHub/KerasCV, TensorFlow Addons and TensorFlow Probability without a rule
(rules/thirdparty.py): recorded as layers with an unknown output and an SL002 note (so hovers and
summaries show them), and never given the rule of a Keras layer of the same name."""

from __future__ import annotations

from shapelens.core.analyze import analyze
from shapelens.core.lookup import Lookup

NLP = ("import keras\nimport keras_nlp\ninp = keras.Input((16,), dtype='int32')\n"
       "x = keras_nlp.layers.RotaryEmbedding(max_wavelength=10000, scaling_factor=1.0, sequence_axis=1, "
       "feature_axis=-1)(inp)\nm = keras.Model(inp, x)\n")
TFA = ("import keras\nimport tensorflow_addons as tfa\nx = keras.Input((8, 8, 6))\n"
       "y = tfa.layers.SpectralNormalization(keras.layers.Conv2D(3, 3))(x)\nm = keras.Model(x, y)\n")


def test_a_keras_nlp_layer_is_an_unknown_layer_with_a_note_and_a_hover():
    a = analyze(NLP, "nlp.py")
    layer = next(i for i in a.layers if i.kind == "RotaryEmbedding")
    assert layer.output_shape is None
    notes = [d.message for d in a.diagnostics if d.code == "SL002"]
    assert notes == ["RotaryEmbedding: no rule for this KerasNLP layer; its output shape is unknown"]
    assert not [d for d in a.diagnostics if d.severity in ("error", "warning")]
    target = Lookup(NLP, a).at(3, 25)
    assert target is not None and [i.kind for i in target.layers] == ["RotaryEmbedding"]
    assert [i.kind for i in a.models[0].layers] == ["InputLayer", "RotaryEmbedding"]


def test_a_third_party_layer_named_like_a_keras_layer_does_not_get_the_keras_rule():
    a = analyze(TFA, "tfa.py")
    layer = next(i for i in a.layers if i.kind == "SpectralNormalization")
    # keras.layers.SpectralNormalization(Conv2D(3, 3)) would give (None, 6, 6, 3)
    assert layer.output_shape is None and layer.params is None
    assert any("TensorFlow Addons" in d.message for d in a.diagnostics if d.code == "SL002")


def test_presets_keep_their_own_note():
    a = analyze("import keras_nlp\nbackbone = keras_nlp.models.BertBackbone.from_preset('bert_base_en')\n", "p.py")
    assert any("preset" in d.message for d in a.diagnostics if d.code == "SL002")


def test_a_keras_hub_decoder_takes_its_input_by_keyword():
    # modelled on keras.io's neural_machine_translation_with_keras_nlp: the decoder sequence and
    # the encoder sequence are both passed by name
    a = analyze("import keras\nimport keras_nlp\n"
                "dec = keras.Input((None,), dtype='int64')\nenc = keras.Input((None, 64))\n"
                "x = keras_nlp.layers.TokenAndPositionEmbedding(vocabulary_size=100, sequence_length=40, "
                "embedding_dim=64)(dec)\n"
                "x = keras_nlp.layers.TransformerDecoder(intermediate_dim=128, num_heads=4)"
                "(decoder_sequence=x, encoder_sequence=enc)\n"
                "y = keras.layers.Dense(100)(x)\n", "nmt.py")
    layers = {i.kind: i for i in a.layers}
    assert layers["TransformerDecoder"].output_shape == (None, None, 64)
    assert layers["Dense"].output_shape == (None, None, 100)
    # self-attention and cross-attention blocks, the feed-forward block and three LayerNormalization
    mha = 4 * (64 * 64 + 64)
    assert layers["TransformerDecoder"].params == 2 * mha + 3 * 2 * 64 + 64 * 128 + 128 + 128 * 64 + 64
