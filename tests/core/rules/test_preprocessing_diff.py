"""Preprocessing layers against real Keras: Rescaling, Resizing, CenterCrop, RandomCrop, the
image augmentation layers, CategoryEncoding and Normalization, on random ranks and
random (valid and invalid) arguments."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shapelens.core.shapes import UNK
from tests.core.rules.harness import check, engine

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

dim = st.sampled_from([1, 2, 3, 3, 4, 8, 16, None])
batch = st.sampled_from([None, None, 2])
fmt = st.sampled_from([None, "channels_last", "channels_first"] * 3 + ["channels_middle"])
GOOD_FACTORS = [0.0, 0.1, 0.5, 1.0, [0.1, 0.2], [0.4, 0.1]]
factor = st.sampled_from(GOOD_FACTORS * 4 + [-0.3, -1.0, 1.5, 2, 5, 9, None, [], [-0.5, 0.2], [2, 3], [-2, 0.5],
                                             [0.1, 0.2, 0.3], "x"])
fill_mode = st.sampled_from(["reflect", "wrap", "constant", "nearest"] * 2 + ["mirror", "edge"])
interp = st.sampled_from(["nearest", "bilinear"] * 3 + ["bicubic"])
vrange = st.sampled_from([(0, 255), (0, 1), (-1, 1)] * 3 + [(0, 1, 2), 255])


@st.composite
def image(draw, ranks=(1, 2, 3, 4, 4, 4, 5)):
    rank = draw(st.sampled_from(ranks))
    return [draw(batch)] + [draw(dim) for _ in range(rank - 1)]


def maybe(draw, cfg, key, strat, p=2):
    if draw(st.integers(0, p)) == 0:
        cfg[key] = draw(strat)


AUGMENT = {
    "RandomFlip": lambda d: {"mode": d(st.sampled_from(["horizontal", "vertical", "horizontal_and_vertical"]))},
    "RandomRotation": lambda d: {"factor": d(factor)},
    "RandomZoom": lambda d: {"height_factor": d(factor), **({"width_factor": d(factor)} if d(st.booleans()) else {})},
    "RandomTranslation": lambda d: {"height_factor": d(factor), "width_factor": d(factor)},
    "RandomShear": lambda d: {"x_factor": d(factor), "y_factor": d(factor)} if d(st.booleans()) else {},
    "RandomContrast": lambda d: {"factor": d(factor)},
    "RandomBrightness": lambda d: {"factor": d(factor)},
    "RandomHue": lambda d: {"factor": d(factor)},
    "RandomSaturation": lambda d: {"factor": d(factor)},
    "RandomSharpness": lambda d: {"factor": d(factor)},
    "RandomInvert": lambda d: {"factor": d(factor)} if d(st.booleans()) else {},
    "RandomPosterization": lambda d: {"factor": d(st.sampled_from([1, 4, 8, 0, 9, [2, 4], [0, 2], [9, 10]]))},
    "RandomGrayscale": lambda d: {"factor": d(st.sampled_from([0.0, 0.5, 1.0, 1.5, -0.1]))} if d(st.booleans()) else {},
    "RandomPerspective": lambda d: {"factor": d(factor), "scale": d(st.sampled_from([0.0, 0.5, 1.0, 1.5, -0.5]))},
    "RandomElasticTransform": lambda d: {"factor": d(factor), "scale": d(factor)},
    "RandomErasing": lambda d: {"factor": d(factor), "scale": d(factor)},
    "RandomGaussianBlur": lambda d: {"factor": d(factor), "kernel_size": d(st.sampled_from([3, 5, 4, [3, 5], [3, 4], [3, 3, 3]])),
                                     "sigma": d(factor)},
    "RandomColorJitter": lambda d: {k: d(factor) for k in ("brightness_factor", "contrast_factor", "saturation_factor", "hue_factor")
                                    if d(st.booleans())},
    "RandomColorDegeneration": lambda d: {"factor": d(factor)},
    "Solarization": lambda d: {"addition_factor": d(factor), "threshold_factor": d(factor)},
    "AutoContrast": lambda d: {},
    "Equalization": lambda d: {"bins": d(st.sampled_from([16, 256]))},
    "ContrastLimitedAdaptiveHistogramEqualization": lambda d: {},
    "CutMix": lambda d: {"factor": d(factor)} if d(st.booleans()) else {},
    "MixUp": lambda d: {"alpha": d(st.sampled_from([0.2, 1.0]))},
    "AugMix": lambda d: {"factor": d(factor)} if d(st.booleans()) else {},
    "RandAugment": lambda d: {"factor": d(factor)} if d(st.booleans()) else {},
    "MaxNumBoundingBoxes": lambda d: {"max_number": d(st.sampled_from([3, 10, "x"]))},
}
TAKES_FILL = {"RandomRotation", "RandomZoom", "RandomTranslation", "RandomShear", "RandomElasticTransform"}
TAKES_INTERP = TAKES_FILL | {"RandomPerspective", "AugMix", "RandAugment"}
TAKES_RANGE = {"RandomBrightness", "RandomSaturation", "RandomSharpness", "RandomPosterization", "RandomColorDegeneration",
               "Solarization", "AutoContrast", "Equalization", "AugMix", "RandAugment", "RandomColorJitter",
               "RandomContrast", "RandomHue", "RandomInvert"}
NO_DATA_FORMAT = {"RandomContrast", "RandomBrightness", "Solarization", "AutoContrast", "MaxNumBoundingBoxes"}


@st.composite
def augment_case(draw):
    kind = draw(st.sampled_from(sorted(AUGMENT)))
    cfg = AUGMENT[kind](draw)
    if kind in TAKES_FILL:
        maybe(draw, cfg, "fill_mode", fill_mode)
    if kind in TAKES_INTERP:
        maybe(draw, cfg, "interpolation", interp)
    if kind in TAKES_RANGE:
        maybe(draw, cfg, "value_range", vrange)
    if kind not in NO_DATA_FORMAT:
        maybe(draw, cfg, "data_format", fmt)
    if draw(st.integers(0, 15)) == 0 and "factor" not in cfg:
        cfg["factor"] = draw(factor)  # forwarded to the base class, which may reject it
    return kind, cfg, [draw(image())]


size = st.sampled_from([1, 4, 8, 16] * 3 + [0, None, -2, 2.5])


@st.composite
def resize_case(draw):
    kind = draw(st.sampled_from(["Resizing", "CenterCrop", "RandomCrop"]))
    cfg = {"height": draw(size), "width": draw(size)}
    maybe(draw, cfg, "data_format", fmt, 1)
    if kind == "Resizing":
        maybe(draw, cfg, "crop_to_aspect_ratio", st.booleans())
        maybe(draw, cfg, "pad_to_aspect_ratio", st.booleans())
        maybe(draw, cfg, "interpolation", st.sampled_from(["bilinear", "nearest", "area"]))
    return kind, cfg, [draw(image())]


@st.composite
def encoding_case(draw):
    cfg = {"num_tokens": draw(st.sampled_from([1, 5, 10] * 3 + [0, 2.5, None]))}
    maybe(draw, cfg, "output_mode", st.sampled_from(["one_hot", "multi_hot", "count", "binary"] * 2 + ["int", "tf_idf"]), 1)
    x = [draw(batch)] + [draw(st.sampled_from([1, 1, 3, None])) for _ in range(draw(st.integers(0, 3)))]
    return "CategoryEncoding", cfg, [x]


@st.composite
def normalization_case(draw):
    cfg = {}
    maybe(draw, cfg, "axis", st.sampled_from([-1, 1, 2, 0, 3, None, [1, 2], [-1, -2], [], [4]]), 1)
    x = draw(image(ranks=(1, 2, 3, 3, 4)))
    if draw(st.integers(0, 2)) == 0:
        cfg["mean"] = draw(st.sampled_from([0.5, [1.0, 2.0], [1.0, 2.0, 3.0], [[1.0, 2.0]], [1.0]]))
        cfg["variance"] = cfg["mean"] if draw(st.integers(0, 5)) else 1.0
    return "Normalization", cfg, [x]


@SETTINGS
@given(augment_case())
def test_augmentation_matches_keras(layer_oracle, case):
    kind, cfg, inputs = case
    check(layer_oracle, kind, cfg, inputs)


@SETTINGS
@given(resize_case())
def test_resize_and_crop_match_keras(layer_oracle, case):
    kind, cfg, inputs = case
    check(layer_oracle, kind, cfg, inputs)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(encoding_case(), normalization_case()))
def test_encoding_and_normalization_match_keras(layer_oracle, case):
    kind, cfg, inputs = case
    check(layer_oracle, kind, cfg, inputs)


def test_preprocessing_seed_cases(layer_oracle):
    assert check(layer_oracle, "Rescaling", {"scale": 1 / 255}, [[None, 28, 28, 1]])["ok"]
    check(layer_oracle, "Rescaling", {}, [[None, 28, 28, 1]])
    assert check(layer_oracle, "Resizing", {"height": 224, "width": 224}, [[None, 32, 32, 3]])["output"] == [None, 224, 224, 3]
    assert check(layer_oracle, "Resizing", {"height": 4, "width": 5}, [[8, 8, 3]])["output"] == [4, 5, 3]
    check(layer_oracle, "Resizing", {"height": 4, "width": 5, "data_format": "channels_first"}, [[None, 3, 8, 8]])
    check(layer_oracle, "Resizing", {"height": 4, "width": 5}, [[None, 8]])  # Keras overwrites the batch axis
    check(layer_oracle, "CenterCrop", {"height": 4, "width": 5}, [[None, 8]])
    check(layer_oracle, "RandomFlip", {"factor": 0.5}, [[None, 8, 8, 3]])
    check(layer_oracle, "RandomColorDegeneration", {"factor": 0.5}, [[None, 8, 8, 4]])
    check(layer_oracle, "CategoryEncoding", {"num_tokens": 5}, [[None]])  # multi_hot drops the batch axis
    check(layer_oracle, "CategoryEncoding", {"num_tokens": 5, "output_mode": "one_hot"}, [[None, 1]])
    assert check(layer_oracle, "Normalization", {"axis": [1, 2]}, [[None, 2, 3]])["params"] == 13


def test_preprocessing_table_none_dims():
    """Hand table (no TensorFlow needed)."""
    assert engine("Resizing", {"height": 64, "width": 32}, [[None, None, None, 3]])["output"] == [None, 64, 32, 3]
    assert engine("Resizing", {"height": 64, "width": 32}, [[None, None, 3]])["output"] == [64, 32, 3]
    assert engine("Resizing", {"height": 64, "width": 32, "data_format": "channels_first"}, [[None, 3, None, None]])["output"] == [None, 3, 64, 32]
    assert engine("CenterCrop", {"height": 8, "width": 8}, [[None, None, None, None]])["output"] == [None, 8, 8, None]
    assert engine("CenterCrop", {"height": 8, "width": 8}, [[None, 16]])["code"] == "SL102"
    assert engine("RandomCrop", {"height": 8, "width": 8}, [[None, None, None, 3]])["output"] == [None, 8, 8, 3]
    assert engine("RandomFlip", {}, [[None, None, None, 3]])["output"] == [None, None, None, 3]
    assert engine("RandomRotation", {"factor": 2}, [[None, 8, 8, 3]])["code"] == "SL201"
    assert engine("RandomZoom", {"height_factor": -1.0}, [[None, 8, 8, 3]])["code"] == "SL201"
    assert engine("CategoryEncoding", {"num_tokens": 4, "output_mode": "one_hot"}, [[None, None]])["output"] == [None, None, 4]
    assert engine("CategoryEncoding", {"num_tokens": 4}, [[None, None]])["output"] == [None, 4]
    assert engine("Normalization", {"axis": 1}, [[None, None, 3]])["code"] == "SL106"
    assert engine("Resizing", {"height": 3, "width": 4}, [[None, UNK, UNK, 3]])["output"] == [None, 3, 4, 3]
    assert engine("Normalization", {}, [[None, 4, UNK]])["params"] is None


@st.composite
def encoding_case(draw):
    """Discretization, Hashing, StringLookup / IntegerLookup and TextVectorization: the layers of the
    structured-data and text tutorials (found missing by the realistic corpus)."""
    kind = draw(st.sampled_from(["Discretization", "Hashing", "StringLookup", "IntegerLookup", "TextVectorization"]))
    mode = st.sampled_from(["int", "one_hot", "multi_hot", "count", "binary", "tf_idf"])
    cfg: dict = {}
    if kind == "Discretization":
        choice = draw(st.integers(0, 4))
        if choice < 2:
            cfg["bin_boundaries"] = draw(st.sampled_from([[0.0], [1.0, 2.0, 3.0], [25, 35, 50, 65]]))
        elif choice < 4:
            cfg["num_bins"] = draw(st.sampled_from([1, 4, 10, 0, -1]))
        else:
            cfg.update(num_bins=3, bin_boundaries=[1.0])
    elif kind == "Hashing":
        cfg["num_bins"] = draw(st.sampled_from([2, 8, 100, 0, -3]))
    elif kind in ("StringLookup", "IntegerLookup"):
        vocab = ["a", "b", "c"] if kind == "StringLookup" else [4, 5, 6]
        maybe(draw, cfg, "vocabulary", st.sampled_from([vocab, vocab[:1]]), 1)
        maybe(draw, cfg, "max_tokens", st.sampled_from([10, 20, 1, None]))
        maybe(draw, cfg, "pad_to_max_tokens", st.booleans())
        maybe(draw, cfg, "num_oov_indices", st.sampled_from([0, 1, 2, -1]))
        maybe(draw, cfg, "invert", st.booleans(), 4)
    else:
        maybe(draw, cfg, "max_tokens", st.sampled_from([100, 20, 1, None]), 1)
        maybe(draw, cfg, "output_sequence_length", st.sampled_from([10, 4, None]), 1)
        maybe(draw, cfg, "pad_to_max_tokens", st.booleans())
        maybe(draw, cfg, "split", st.sampled_from([None, "whitespace", "character"]))
    maybe(draw, cfg, "output_mode", mode, 1)
    if cfg.get("output_mode") == "tf_idf" and kind != "TextVectorization":
        cfg.pop("output_mode")  # tf_idf needs idf_weights or adapt()
    if kind == "TextVectorization" and cfg.get("output_mode") == "tf_idf" and not cfg.get("pad_to_max_tokens"):
        cfg.pop("output_mode")
    ranks = (1, 2) if kind == "TextVectorization" else (1, 2, 2, 3)
    x = [draw(batch)] + [draw(st.sampled_from([1, 1, 3, None])) for _ in range(draw(st.sampled_from(ranks)) - 1)]
    return kind, cfg, [x]


@SETTINGS
@given(encoding_case())
def test_encoding_layers_match_keras(layer_oracle, case):
    kind, cfg, inputs = case
    check(layer_oracle, kind, cfg, inputs)


def test_encoding_layers_examples(layer_oracle):
    """The tutorial forms, and Discretization's multi_hot quirk (axis 1 dropped)."""
    check(layer_oracle, "Discretization", {"bin_boundaries": [25, 35, 50, 65], "output_mode": "one_hot"}, [[None, 1]])
    check(layer_oracle, "Discretization", {"num_bins": 4, "output_mode": "multi_hot"}, [[None, 2, 3]])
    check(layer_oracle, "Hashing", {"num_bins": 8, "output_mode": "one_hot"}, [[None, 1]])
    check(layer_oracle, "StringLookup", {"vocabulary": ["a", "b", "c"], "output_mode": "one_hot"}, [[None, 1]])
    check(layer_oracle, "StringLookup", {"output_mode": "one_hot"}, [[None, 1]])  # (None, None) before adapt()
    check(layer_oracle, "IntegerLookup", {"max_tokens": 10, "pad_to_max_tokens": True, "output_mode": "multi_hot"},
          [[None, 3]])
    check(layer_oracle, "TextVectorization", {"max_tokens": 100, "output_sequence_length": 10}, [[None, 1]])
    check(layer_oracle, "TextVectorization", {"max_tokens": 100, "output_mode": "multi_hot",
                                               "pad_to_max_tokens": True}, [[None]])
