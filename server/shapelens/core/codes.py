"""The diagnostic code registry. Codes are never reused or renumbered.

SL0xx analysis notes, SL1xx shape mismatches, SL2xx invalid layer arguments,
SL3xx data/input mismatches, SL9xx TensorFlow dry-run findings.
Every code has a page at docs/rules/<code>.md; tests/test_docs.py keeps them in step.
"""

from __future__ import annotations

from dataclasses import dataclass

DOCS_BASE_URL = "https://github.com/shapelens/shapelens/blob/main/docs/rules/"


@dataclass(frozen=True)
class Code:
    code: str
    name: str
    severity: str  # "error" | "warning" | "information" | "hint"
    summary: str

    @property
    def url(self) -> str:
        return f"{DOCS_BASE_URL}{self.code}.md"


_ALL = [
    # --- analysis notes -----------------------------------------------------
    Code("SL001", "syntax-error", "information",
         "The file does not parse; shapes are shown up to the last statement that does."),
    Code("SL002", "unknown-layer", "information",
         "A layer shapelens has no rule for (custom, Lambda, third-party): its output shape is unknown."),
    Code("SL003", "analysis-limit", "information",
         "A loop, recursion or file size limit was reached; later values are unknown."),
    Code("SL004", "unused-suppression", "warning",
         "A `# shapelens: ignore[...]` or `# noqa: SL...` comment suppresses nothing (reported with "
         "`reportUnusedSuppressions`), or names a code shapelens does not have (always reported)."),
    # --- shape mismatches ---------------------------------------------------
    Code("SL101", "output-size-not-positive", "error",
         "A kernel or pool window (with its strides and dilation) does not fit the input: "
         "the output size would be zero or negative."),
    Code("SL102", "wrong-input-rank", "error",
         "A layer receives a tensor with the wrong number of dimensions."),
    Code("SL103", "incompatible-input-dimension", "error",
         "An axis of the input does not match what the layer was built for "
         "(a shared layer called on a different shape, a layer built for other channels)."),
    Code("SL104", "incompatible-merge-shapes", "error",
         "The tensors given to a merge layer (Add, Concatenate, Dot, ...) do not have compatible shapes."),
    Code("SL105", "reshape-size-mismatch", "error",
         "Reshape asks for a shape with a different number of values than the input has."),
    Code("SL106", "undefined-dimension", "error",
         "A layer needs a fully defined dimension (to create its weights) but the input has None there."),
    Code("SL120", "input-shape-ignored", "warning",
         "`input_shape=` on a layer that is not the first layer of a Sequential model is ignored by Keras."),
    Code("SL121", "input-shape-overridden", "warning",
         "A layer declared with `input_shape=` is called on a tensor of a different shape; "
         "Keras 3 silently builds it for the tensor it receives."),
    Code("SL122", "subclass-build-does-not-run-call", "warning",
         "`model.build(shape)` on a subclassed Model without its own build() does not run call() in "
         "Keras 3, so its layers stay unbuilt."),
    Code("SL123", "fails-at-run-time", "warning",
         "The model builds, but TensorFlow will fail when it runs (e.g. a negative padding, "
         "an interpolation the op does not support)."),
    Code("SL107", "tensorflow-function-on-keras-tensor", "error",
         "A TensorFlow function (tf.*) is applied to a symbolic Keras tensor; Keras 3 raises. "
         "Use the keras.ops equivalent or wrap it in a layer."),
    # --- invalid layer arguments -----------------------------------------------
    Code("SL201", "invalid-argument", "error",
         "A layer argument has a value Keras rejects (wrong length, negative, unknown option)."),
    Code("SL202", "groups-not-divisible", "error",
         "Input channels or filters are not divisible by `groups`."),
    Code("SL203", "output-padding-too-large", "error",
         "`output_padding` of a transposed convolution must be smaller than its strides."),
    Code("SL204", "strides-with-dilation", "error",
         "Strides greater than 1 cannot be combined with a dilation rate greater than 1."),
    Code("SL205", "invalid-permute", "error",
         "Permute `dims` must be a permutation of 1..n for an input with n non-batch axes."),
    Code("SL206", "invalid-padding-mode", "error",
         "The padding mode is not accepted by this layer (e.g. 'causal' outside 1-D convolutions)."),
    # --- data and inputs (fit / predict / model(x), numpy, tf.*) --------------------
    Code("SL301", "data-does-not-fit-model-input", "error",
         "Data given to a model (fit, predict, evaluate, model(x)) does not match the model's input "
         "shape where Keras checks it, or makes a layer inside the model fail."),
    Code("SL302", "missing-batch-axis", "error",
         "A single sample is given to a model without its batch axis: Keras takes its first axis as "
         "the batch and fails (often deep inside the first layer)."),
    Code("SL303", "targets-do-not-match-output", "error",
         "The targets given to fit/evaluate cannot be compared with the model's output under the "
         "compiled loss (wrong rank, wrong width, a feature map where a vector is expected)."),
    Code("SL304", "integer-labels-for-categorical-loss", "error",
         "categorical_crossentropy needs one-hot targets, but the targets are integer class labels."),
    Code("SL305", "one-hot-labels-for-sparse-loss", "error",
         "sparse_categorical_crossentropy needs integer class labels, but the targets are one-hot."),
    Code("SL306", "sample-count-mismatch", "error",
         "Arrays that must have one row per sample (x and y, several inputs) have different lengths."),
    Code("SL307", "targets-broadcast-against-output", "warning",
         "An elementwise loss (mse, mae, ...) broadcasts targets and output of different shapes: it "
         "trains, but on a loss that is probably not the one meant."),
    Code("SL308", "retrace-with-another-rank", "error",
         "fit/evaluate/predict is called again on the same model with inputs of another rank; "
         "TensorFlow retraces with an unknown rank and Keras raises."),
    Code("SL309", "label-out-of-range", "error",
         "Integer class labels go beyond the number of output units (or num_classes)."),
    Code("SL310", "ragged-array", "error",
         "np.array / tf.constant of sequences whose lengths differ: numpy and TensorFlow raise."),
    Code("SL311", "impossible-reshape", "error",
         "An array or tensor is reshaped to a shape with a different number of values."),
    Code("SL312", "arrays-do-not-broadcast", "error",
         "Arithmetic between arrays whose shapes cannot be broadcast together."),
    Code("SL313", "axis-out-of-range", "error",
         "An axis argument (expand_dims, squeeze, sum, argmax, transpose, ...) does not exist for "
         "the array, or squeeze names an axis whose size is not 1."),
    Code("SL314", "arrays-cannot-be-joined", "error",
         "concatenate/stack/split of arrays whose shapes do not allow it."),
    Code("SL315", "matmul-inner-dimensions", "error",
         "A matrix product (@, np.matmul, np.dot, tf.matmul) of shapes whose inner dimensions differ."),
    Code("SL316", "index-out-of-range", "error",
         "Indexing with more indices than axes, an index past the end of an axis, or a float array "
         "used as indices."),
    Code("SL317", "tf-nn-shape-error", "error",
         "tf.nn convolution or pooling on shapes TensorFlow rejects (wrong rank, channels that the "
         "filters do not divide, a max-pool window larger than its input)."),
    Code("SL318", "tf-conv-silently-grouped", "warning",
         "tf.nn.conv*d with filters whose input-channel axis divides but differs from the input's "
         "channels: TensorFlow silently runs a grouped convolution."),
    Code("SL319", "data-size-differs-from-declared-input", "warning",
         "A Sequential model declared for one input size is given data of another size; Keras 3 "
         "runs its layers on it without checking."),
    Code("SL320", "wrong-number-of-inputs", "error",
         "A model with several inputs is given a different number of arrays."),
    # --- TensorFlow dry run (shapelens.worker; diagnostics with source "shapelens (tensorflow)") ---
    Code("SL901", "tensorflow-raises", "error",
         "Rebuilt with real Keras by the dry run, a layer (or model) raises; the message is Keras's own."),
    Code("SL902", "tensorflow-disagrees", "warning",
         "TensorFlow and shapelens give different answers for a layer (output shape, parameter count, "
         "or whether it raises): a shapelens bug, reported with both answers."),
    # --- Keras 2 code that Keras 3 rejects ----------------------------------------
    Code("SL401", "removed-in-keras-3", "error",
         "An import of a Keras 2 module or name that Keras 3 no longer has "
         "(`keras.layers.core`, `keras.utils.np_utils`, ...): the program stops at the import."),
    Code("SL402", "removed-model-method", "error",
         "A Model method Keras 3 removed (`fit_generator`, `predict_classes`, ...)."),
]

CODES: dict[str, Code] = {c.code: c for c in _ALL}


# --- the codes by name (use these, never the "SLxxx" strings: tests/test_codes.py) ----
SYNTAX_ERROR = "SL001"
UNKNOWN_LAYER = "SL002"
ANALYSIS_LIMIT = "SL003"
UNUSED_SUPPRESSION = "SL004"
OUTPUT_SIZE_NOT_POSITIVE = "SL101"
WRONG_INPUT_RANK = "SL102"
INCOMPATIBLE_INPUT_DIMENSION = "SL103"
INCOMPATIBLE_MERGE_SHAPES = "SL104"
RESHAPE_SIZE_MISMATCH = "SL105"
UNDEFINED_DIMENSION = "SL106"
INPUT_SHAPE_IGNORED = "SL120"
INPUT_SHAPE_OVERRIDDEN = "SL121"
SUBCLASS_BUILD_DOES_NOT_RUN_CALL = "SL122"
FAILS_AT_RUN_TIME = "SL123"
TENSORFLOW_FUNCTION_ON_KERAS_TENSOR = "SL107"
INVALID_ARGUMENT = "SL201"
GROUPS_NOT_DIVISIBLE = "SL202"
OUTPUT_PADDING_TOO_LARGE = "SL203"
STRIDES_WITH_DILATION = "SL204"
INVALID_PERMUTE = "SL205"
INVALID_PADDING_MODE = "SL206"
DATA_DOES_NOT_FIT_MODEL_INPUT = "SL301"
MISSING_BATCH_AXIS = "SL302"
TARGETS_DO_NOT_MATCH_OUTPUT = "SL303"
INTEGER_LABELS_FOR_CATEGORICAL_LOSS = "SL304"
ONE_HOT_LABELS_FOR_SPARSE_LOSS = "SL305"
SAMPLE_COUNT_MISMATCH = "SL306"
TARGETS_BROADCAST_AGAINST_OUTPUT = "SL307"
RETRACE_WITH_ANOTHER_RANK = "SL308"
LABEL_OUT_OF_RANGE = "SL309"
RAGGED_ARRAY = "SL310"
IMPOSSIBLE_RESHAPE = "SL311"
ARRAYS_DO_NOT_BROADCAST = "SL312"
AXIS_OUT_OF_RANGE = "SL313"
ARRAYS_CANNOT_BE_JOINED = "SL314"
MATMUL_INNER_DIMENSIONS = "SL315"
INDEX_OUT_OF_RANGE = "SL316"
TF_NN_SHAPE_ERROR = "SL317"
TF_CONV_SILENTLY_GROUPED = "SL318"
DATA_SIZE_DIFFERS_FROM_DECLARED_INPUT = "SL319"
WRONG_NUMBER_OF_INPUTS = "SL320"
TENSORFLOW_RAISES = "SL901"
TENSORFLOW_DISAGREES = "SL902"
REMOVED_IN_KERAS_3 = "SL401"
REMOVED_MODEL_METHOD = "SL402"


def get(code: str) -> Code:
    return CODES[code]
