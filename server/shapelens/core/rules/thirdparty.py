"""Layers of third-party Keras libraries: TensorFlow Addons, KerasNLP / KerasHub, KerasCV.

These libraries are not needed (nor imported): each rule follows the library's source, cited
in its docstring, and is only written where the output shape is certain from that source.
Where a layer reduces to core Keras layers (``WeightNormalization(Conv1D)`` runs the Conv1D;
``InstanceNormalization`` is ``GroupNormalization(groups=-1)``; a ``TransformerEncoder`` is a
MultiHeadAttention, two LayerNormalization and two Dense layers), the rule runs the core rule
and the differential tests (tests/core/rules/test_thirdparty_diff.py) check it against Keras
with the core layers.

No Keras error is reported for these layers: without the library as an oracle, an input the
rule would reject becomes an unknown output with the reason (precision before recall).
Layers of these libraries without a rule here stay unknown with "no rule for this <library>
layer" (see ``KerasApi.make_layer``).
"""

from __future__ import annotations

from typing import Any, Callable

from shapelens.core.rules.base import LAYERS, Args, LayerError, Out, Rule, Unresolved
from shapelens.core.shapes import Shape, fmt_shape, is_unknown

TFA = "TensorFlow Addons"
NLP = ("KerasNLP", "KerasHub")
CV = "KerasCV"

# (library, class name) -> rule
THIRD_PARTY: dict[tuple[str, str], Rule] = {}


def lookup(library: str, name: str) -> Rule | None:
    return THIRD_PARTY.get((library, name))


def _guarded(kind: str, library: str, fn: Callable[..., Out]) -> Callable[..., Out]:
    def run(a: Args, x: Any, call: dict) -> Out:
        try:
            return fn(a, x, call)
        except LayerError as err:
            raise Unresolved(f"the {library} layer {kind} would not accept this input: {err.message}") from None
        except (TypeError, ValueError, ZeroDivisionError, IndexError):
            raise Unresolved(f"the arguments of the {library} layer {kind} are not understood statically") from None
    return run


def third_party(libraries: str | tuple[str, ...], *names: str, args: tuple[str, ...] = (),
                multi_input: bool = False) -> Callable[[Callable[..., Out]], Callable[..., Out]]:
    """Register ``fn`` for the classes ``names`` of ``libraries`` (spelled out for grep)."""
    libs = (libraries,) if isinstance(libraries, str) else libraries

    def deco(fn: Callable[..., Out]) -> Callable[..., Out]:
        for lib in libs:
            for name in names:
                THIRD_PARTY[(lib, name)] = Rule(
                    kind=name, fn=_guarded(name, lib, fn), signature=tuple(args), family="third-party",
                    multi_input=multi_input, doc=(fn.__doc__ or "").strip(), module=__name__, library=lib,
                )
        return fn

    return deco


def _int(a: Args, name: str, default: Any = None) -> int:
    value = a.raw(name, default)
    if is_unknown(value) or isinstance(value, bool) or not isinstance(value, int):
        raise Unresolved(f"`{name}` of {a.kind} is not known statically")
    return value


def _flag(a: Args, name: str, default: bool) -> bool:
    value = a.raw(name, default)
    if not isinstance(value, bool):
        raise Unresolved(f"`{name}` of {a.kind} is not known statically")
    return value


def _rank(a: Args, x: Shape, ranks: tuple[int, ...]) -> None:
    if not isinstance(x, tuple) or len(x) not in ranks:
        want = " or ".join(f"{r}-D" for r in ranks)
        raise Unresolved(f"{a.kind} expects a {want} input, got {fmt_shape(x) if isinstance(x, tuple) else 'several'}")


def _last(a: Args, x: Shape) -> int:
    d = x[-1]
    if not isinstance(d, int):
        raise Unresolved(f"the last axis of the input of {a.kind} is not known, so its weights are not")
    return d


def _core(kind: str, values: dict) -> tuple[Rule, Args]:
    rule = LAYERS[kind]
    return rule, Args.bind(rule, [], values)


# --------------------------------------------------------------------------- TensorFlow Addons

# the kernel's last axis (tfa WeightNormalization's `g` has one entry per element of it)
_KERNEL_DEPTH = {"Dense": "units", "Conv1D": "filters", "Conv2D": "filters", "Conv3D": "filters"}
_TRANSPOSED = ("Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose")


@third_party(TFA, "WeightNormalization", args=("layer", "data_init"))
def weight_normalization(a: Args, x: Shape, call: dict) -> Out:
    """The wrapped layer's output (its ``call`` runs ``self.layer(inputs)``), see
    tensorflow/addons tensorflow_addons/layers/wrappers.py. Weights: the wrapped layer's,
    plus ``g`` (one per entry of the kernel's last axis) and the ``initialized`` flag; with
    ``data_init=True`` (the default) a non-trainable clone of the wrapped layer as well."""
    from shapelens.core.rules import apply
    from shapelens.core.rules.recurrent import inner_layer

    rule, args = inner_layer(a, "layer")
    inner = apply(rule, args, x, {})
    if not isinstance(inner.shape, tuple):
        raise Unresolved(f"the output of the wrapped {rule.kind} is not known statically")
    params = None
    data_init = a.raw("data_init", True)
    if isinstance(inner.params, int) and isinstance(data_init, bool):
        depth = None
        if rule.kind in _KERNEL_DEPTH:
            depth = args.raw(_KERNEL_DEPTH[rule.kind])
        elif rule.kind in _TRANSPOSED:  # kernel (*window, filters, in_channels)
            channels_first = args.raw("data_format") == "channels_first"
            depth = x[1] if channels_first else x[-1]
        if isinstance(depth, int) and not isinstance(depth, bool):
            params = inner.params * (2 if data_init else 1) + depth + 1
    explain = [f"{rule.kind} with its kernel reparameterised (same output shape)"] + inner.explain
    return Out(inner.shape, params, explain=explain)


@third_party(TFA, "GroupNormalization", args=("groups", "axis", "epsilon", "center", "scale"))
def tfa_group_normalization(a: Args, x: Shape, call: dict) -> Out:
    """Same shape, gamma and beta of one entry per channel of `axis`: the semantics of Keras's
    GroupNormalization (same arguments and defaults, groups=32, axis=-1), see
    tensorflow/addons tensorflow_addons/layers/normalizations.py."""
    rule, args = _core("GroupNormalization", dict(a.values))
    return rule.fn(args, x, {})


@third_party(TFA, "InstanceNormalization", args=("axis", "epsilon", "center", "scale"))
def tfa_instance_normalization(a: Args, x: Shape, call: dict) -> Out:
    """``GroupNormalization`` with ``groups=-1`` (one group per channel): same shape, one gamma
    and one beta per channel, see tensorflow/addons tensorflow_addons/layers/normalizations.py
    (``InstanceNormalization.__init__`` sets ``kwargs["groups"] = -1``)."""
    rule, args = _core("GroupNormalization", {**a.values, "groups": -1})
    return rule.fn(args, x, {})


# --------------------------------------------------------------------------- KerasNLP / KerasHub

def _mha_params(query_dim: int, value_dim: int, heads: int, key_dim: int) -> int:
    """MultiHeadAttention(heads, key_dim) (value_dim = key_dim) built for these last axes."""
    q = query_dim * heads * key_dim + heads * key_dim
    kv = 2 * (value_dim * heads * key_dim + heads * key_dim)
    return q + kv + heads * key_dim * query_dim + query_dim


def _heads(a: Args, hidden: int) -> tuple[int, int]:
    heads = _int(a, "num_heads")
    if heads <= 0 or hidden // heads == 0:
        raise Unresolved(f"{a.kind}: the hidden size {hidden} is smaller than num_heads={heads}")
    return heads, hidden // heads


@third_party(NLP, "TransformerEncoder", args=("intermediate_dim", "num_heads", "dropout", "activation",
                                              "layer_norm_epsilon", "kernel_initializer", "bias_initializer",
                                              "normalize_first"))
def transformer_encoder(a: Args, x: Shape, call: dict) -> Out:
    """Same shape as its input (``compute_output_shape`` returns it). Weights: a
    MultiHeadAttention(num_heads, key_dim=hidden // num_heads), two LayerNormalization,
    Dense(intermediate_dim) and Dense(hidden); see keras-team/keras-hub (was keras-nlp)
    keras_hub/src/layers/modeling/transformer_encoder.py."""
    _rank(a, x, (3,))
    hidden = _last(a, x)
    inter = _int(a, "intermediate_dim")
    heads, kd = _heads(a, hidden)
    params = _mha_params(hidden, hidden, heads, kd) + 2 * 2 * hidden + hidden * inter + inter + inter * hidden + hidden
    return Out(x, params, explain=[f"self-attention ({heads} heads of {kd}) and a {inter}-unit feed-forward: "
                                   f"the output keeps the input shape"])


_CACHES = ("self_attention_cache", "cross_attention_cache")


@third_party(NLP, "TransformerDecoder", args=("intermediate_dim", "num_heads", "dropout", "activation",
                                              "layer_norm_epsilon", "kernel_initializer", "bias_initializer",
                                              "normalize_first"))
def transformer_decoder(a: Args, x: Shape, call: dict) -> Out:
    """The decoder sequence's shape (without attention caches); with an encoder sequence
    (second argument or ``encoder_sequence=``) a cross-attention block as well. See
    keras-team/keras-hub keras_hub/src/layers/modeling/transformer_decoder.py."""
    if any(call.get(k) is not None for k in _CACHES):
        raise Unresolved("TransformerDecoder with attention caches returns (outputs, caches)")
    _rank(a, x, (3,))
    hidden = _last(a, x)
    inter = _int(a, "intermediate_dim")
    heads, kd = _heads(a, hidden)
    enc = call.get("encoder_sequence")
    if enc is None and call.get("args"):
        enc = call["args"][0]
    params = _mha_params(hidden, hidden, heads, kd) + 2 * hidden
    if enc is not None:
        if not isinstance(enc, tuple) or not isinstance(enc[-1], int):
            raise Unresolved("the encoder sequence of TransformerDecoder has an unknown last axis")
        params += _mha_params(hidden, enc[-1], heads, kd) + 2 * hidden
    params += hidden * inter + inter + inter * hidden + hidden + 2 * hidden
    return Out(x, params, explain=["the output keeps the decoder sequence's shape"])


@third_party(NLP, "FNetEncoder", args=("intermediate_dim", "dropout", "activation", "layer_norm_epsilon",
                                       "kernel_initializer", "bias_initializer"))
def fnet_encoder(a: Args, x: Shape, call: dict) -> Out:
    """Same shape (Fourier mixing, then Dense(intermediate_dim) and Dense(hidden)) and two
    LayerNormalization; see keras-team/keras-hub keras_hub/src/layers/modeling/f_net_encoder.py."""
    _rank(a, x, (3,))
    hidden = _last(a, x)
    inter = _int(a, "intermediate_dim")
    return Out(x, 2 * 2 * hidden + hidden * inter + inter + inter * hidden + hidden)


@third_party(NLP, "TokenAndPositionEmbedding", args=("vocabulary_size", "sequence_length", "embedding_dim",
                                                     "tie_weights", "embeddings_initializer", "mask_zero"))
def token_and_position_embedding(a: Args, x: Shape, call: dict) -> Out:
    """Token ids (..., seq) -> (..., seq, embedding_dim) (``compute_output_shape``). Weights:
    the token table (vocabulary_size, embedding_dim) and the position table (sequence_length,
    embedding_dim); with tie_weights=False a reverse projection (embedding_dim,
    vocabulary_size) too. See keras-team/keras-hub
    keras_hub/src/layers/modeling/token_and_position_embedding.py."""
    vocab, seq, dim = _int(a, "vocabulary_size"), _int(a, "sequence_length"), _int(a, "embedding_dim")
    if not isinstance(x, tuple):
        raise Unresolved("TokenAndPositionEmbedding takes one tensor of token ids")
    tie = _flag(a, "tie_weights", True)
    params = vocab * dim + seq * dim + (0 if tie else dim * vocab)
    return Out((*x, dim), params, explain=[f"each token id becomes a vector of {dim}"])


@third_party(NLP, "PositionEmbedding", args=("sequence_length", "initializer"))
def position_embedding(a: Args, x: Shape, call: dict) -> Out:
    """Same shape as its input (..., seq, features); weights (sequence_length, features). See
    keras-team/keras-hub keras_hub/src/layers/modeling/position_embedding.py."""
    seq = _int(a, "sequence_length")
    _rank(a, x, (2, 3, 4, 5))
    return Out(x, seq * _last(a, x))


@third_party(NLP, "SinePositionEncoding", args=("max_wavelength",))
def sine_position_encoding(a: Args, x: Shape, call: dict) -> Out:
    """Same shape as its input, no weights. See keras-team/keras-hub
    keras_hub/src/layers/modeling/sine_position_encoding.py."""
    _rank(a, x, (2, 3, 4, 5))
    return Out(x, 0)


# --------------------------------------------------------------------------- KerasCV

_SAME_SHAPE_CV = (
    "RandomFlip", "RandomContrast", "RandomBrightness", "RandomShear", "RandomRotation",
    "RandomTranslation", "RandomZoom", "RandAugment", "AutoContrast", "ChannelShuffle",
    "Equalization", "Posterization", "Solarization", "RandomColorDegeneration", "RandomColorJitter",
    "RandomSharpness", "RandomGaussianBlur", "RandomCutout", "GridMask", "RandomChannelShift",
    "Rescaling",
)


@third_party(CV, *_SAME_SHAPE_CV)
def cv_same_shape(a: Args, x: Shape, call: dict) -> Out:
    """An image augmentation that changes pixel values or moves them inside the frame: images
    (batch, height, width, channels) or one image (height, width, channels) keep their shape.
    See keras-team/keras-cv keras_cv/src/layers/preprocessing/<layer>.py ("Output shape:
    3D (unbatched) or 4D (batched) tensor with shape (..., height, width, channels)");
    RandAugment picks among such layers (rand_augment.py)."""
    _rank(a, x, (3, 4))
    return Out(x, 0)


@third_party(CV, "RandomHue", "RandomSaturation")
def cv_hsv(a: Args, x: Shape, call: dict) -> Out:
    """Same shape for RGB images (the layer goes through HSV, so the last axis must be 3).
    See keras-team/keras-cv keras_cv/src/layers/preprocessing/random_hue.py and
    random_saturation.py."""
    _rank(a, x, (3, 4))
    if isinstance(x[-1], int) and x[-1] != 3:
        raise Unresolved(f"{a.kind} works on RGB images (3 channels), got {fmt_shape(x)}")
    return Out(x, 0)


@third_party(CV, "Grayscale", args=("output_channels",))
def cv_grayscale(a: Args, x: Shape, call: dict) -> Out:
    """RGB images (..., h, w, 3) -> (..., h, w, output_channels), output_channels 1 (default)
    or 3. See keras-team/keras-cv keras_cv/src/layers/preprocessing/grayscale.py."""
    channels = _int(a, "output_channels", 1)
    _rank(a, x, (3, 4))
    if channels not in (1, 3) or isinstance(x[-1], int) and x[-1] != 3:
        raise Unresolved(f"Grayscale(output_channels={channels}) on {fmt_shape(x)} is not modelled")
    return Out((*x[:-1], channels), 0)


@third_party(CV, "DropPath", args=("rate", "seed"))
def cv_drop_path(a: Args, x: Shape, call: dict) -> Out:
    """Stochastic depth: drops whole samples at training time, same shape, no weights. See
    keras-team/keras-cv keras_cv/src/layers/regularization/drop_path.py."""
    if not isinstance(x, tuple):
        raise Unresolved("DropPath takes one tensor")
    return Out(x, 0)


# keras_cv.layers re-exports these Keras layers (keras_cv/src/layers/__init__.py:
# ``from tensorflow.keras.layers import CenterCrop, RandomHeight, RandomWidth``)
for _name in ("CenterCrop", "RandomHeight", "RandomWidth"):
    if _name in LAYERS:
        THIRD_PARTY[(CV, _name)] = LAYERS[_name]
