"""The diagnostic code registry: every code, its severity, summary and message templates.

Codes are never reused or renumbered. SL0xx analysis notes, SL1xx shape mismatches, SL2xx
invalid layer arguments, SL3xx data/input mismatches, SL4xx Keras 2 code Keras 3 rejects,
SL9xx TensorFlow dry-run findings. Every code has a page at docs/rules/<code>.md;
tests/test_docs.py keeps them in step.

Each code is a class registered with :func:`code`; the name it binds is the code itself (a
``str`` equal to ``"SL201"``, usable wherever the string is), and the class attributes are
the code's message templates::

    raise LayerError(INVALID_ARGUMENT, INVALID_ARGUMENT.strides_must_positive(kind=a.kind, strides=s))

A template (:class:`Msg`) is filled with keyword fields only, all of them and no others
(``str.format`` syntax: ``{value!r}``, ``{n:,}``). Messages a finding of any code can carry (a
rule's error re-raised with where it happened) live in :data:`SHARED`; the texts of array
operation errors (shape_math.OpError, reported under the code of their kind) in
core/op_errors.py. tests/test_codes.py checks that report sites use templates, that every
call supplies exactly a template's fields, and that every template is used.
"""

from __future__ import annotations

# CODES, Code, get, ... are used through this module
from shapelens.core.code_registry import CODES, DOCS_BASE_URL, Code, Msg, all_codes, code, get, messages  # noqa: F401


# --- analysis notes -----------------------------------------------------


@code("SL001", "syntax-error", "information",
      "The file does not parse; shapes are shown up to the last statement that does.")
class SYNTAX_ERROR:
    in_file = Msg("syntax error ({message}): shapes are shown for the code that parses")
    in_cell = Msg("syntax error in this cell ({problem}): shapelens skips the cell and analyses the others")


@code("SL002", "unknown-layer", "information",
      "A layer shapelens has no rule for (custom, Lambda, third-party): its output shape is unknown.")
class UNKNOWN_LAYER:
    hub_model = Msg(
        "{what} ({leaf}) is loaded at run time; shapelens does not know its architecture, so its output shape is "
        "unknown")
    no_rule = Msg("{name}: {reason}; its output shape is unknown")
    lambda_not_followed = Msg("Lambda: its function could not be followed ({reason}); its output shape is unknown")


@code("SL003", "analysis-limit", "information",
      "A loop, recursion or file size limit was reached; later values are unknown.")
class ANALYSIS_LIMIT:
    internal_failure = Msg("shapelens could not analyse this file; shapes are unknown")
    file_too_large = Msg("the file has {n_text:,} characters, more than shapelens analyses ({max_text:,})")
    values_not_followed = Msg("Analysis stopped following values here: {what}. Shapes after this point may be unknown.")
    statement_not_followed = Msg(
        "Analysis stopped following this statement: {reason}. Shapes it computes are unknown; the statements after "
        "it are still analysed.")
    not_a_python_notebook = Msg(
        "this notebook's kernel language is {language}, not Python: shapelens does not analyse it")


@code("SL004", "unused-suppression", "warning",
      "A `# shapelens: ignore[...]` or `# noqa: SL...` comment suppresses nothing (reported with "
      "`reportUnusedSuppressions`), or names a code shapelens does not have (always reported).")
class UNUSED_SUPPRESSION:
    unknown_code = Msg("`{code}` in this suppression comment is not a shapelens code; it suppresses nothing")
    unused = Msg("unused suppression: no shapelens finding on this line")
    unused_codes = Msg("unused suppression: no {unused} finding on this line")


# --- shape mismatches ---------------------------------------------------


@code("SL101", "output-size-not-positive", "error",
      "A kernel or pool window (with its strides and dilation) does not fit the input: the output size "
      "would be zero or negative.")
class OUTPUT_SIZE_NOT_POSITIVE:
    window_does_not_fit = Msg(
        "{kind} {what} {window}{dil}{stride_txt} does not fit the {in_txt} with padding='valid': output size would "
        "be {sizes}. Use padding='same', a smaller {what}, or a larger input")
    padding_removes_axis = Msg(
        "{kind} padding ({before}, {after}) on an axis of size {d} leaves {out}; padding cannot remove more than "
        "the axis holds")
    cropping_removes_axis = Msg(
        "{kind} cropping ({before}, {after}) removes {removed} from an axis of size {d}, leaving {left}; crop at "
        "most {most} in total")


@code("SL102", "wrong-input-rank", "error", "A layer receives a tensor with the wrong number of dimensions.")
class WRONG_INPUT_RANK:
    shared_layer_rank = Msg("{kind} was built for {built_ndim}-D inputs ({where}) but gets {n_shape}-D {shape}")
    list_given = Msg("{kind} takes one input tensor, got a list of {n_inputs}")
    argument_is_a_list = Msg("{kind} `{what}` must be one tensor, got a list of {n_value}")
    value_without_batch = Msg("{kind} value must have a batch axis, got {v}")
    key_needs_time = Msg("{kind} key needs a time axis to return scores, got {k}")
    attention_axes_out_range = Msg(
        "{kind} attention_axes={axes} is out of range for the rank-{n_value} value {value}; {hint}")
    query_needs_time = Msg("{kind} query needs a time axis to return scores, got {query}")
    expects_3d_sequence = Msg("{kind} expects a 3-D {name} (batch, steps, features), got {n_t}-D {t}")
    needs_time_axis = Msg("{kind} needs a time axis on query and key to return scores")
    expects_rank = Msg("{kind} expects a {ndim}-D input (batch included), got {rank}-D {shape}")
    expects_min_rank = Msg(
        "{kind} expects an input of at least {min_ndim} dimensions (batch included), got {rank}-D {shape}")
    einsumdense_equation_input = Msg(
        "EinsumDense equation '{equation}' does not fit the input: {what} is out of range; make the input letters "
        "match the input rank (batch included) or use '...'")
    inputs_need_batch = Msg("{kind} inputs need a batch axis, got a scalar {s}")
    concatenate_axis_out = Msg(
        "Concatenate axis={axis} is out of range for input {input_number} {s} (rank {n_s}); use an axis in "
        "[-{n_s}, {last_axis}]")
    concatenate_axis_out_range = Msg("Concatenate axis={axis} is out of range for rank {n_out} inputs {shapes_txt}")
    concatenate_axis_out_range_rank = Msg("Concatenate axis={axis} is out of range for rank {n_s} input {s}")
    dot_axis_out_of_range = Msg("Dot axis {v} is out of range for the {which} input {s} (rank {n_s})")
    dot_needs_inputs = Msg("Dot needs inputs of rank 2 or more (batch included), got {s1} and {s2}")
    axis_out_of_range = Msg(
        "{kind} axis={axis} is out of range for the {n_x}-D input {x}; use an axis in [-{n_x}, {last_axis}] "
        "(channels are usually -1)")
    channels_first_needs_channel = Msg("{kind} with channels_first needs a channel axis, got {n_x}-D input")
    randomcolordegeneration_expects_images = Msg(
        "RandomColorDegeneration expects images of rank 3 (one image) or 4 (a batch), got {n_x}-D {x}")
    needs_image_input = Msg("{kind} needs an image input (height, width, channels), got {n_x}-D {x}")
    centercrop_expects_images = Msg("CenterCrop expects a 4-D batch of images or one 3-D image, got {n_x}-D {x}")
    normalization_axis_out = Msg("Normalization axis {ax} is out of range for the {ndim}-D input {x}")
    expects_3d_input = Msg("{kind} expects a 3-D input (batch, timesteps, features), got {n_x}-D {x}; {fix}")
    per_step_input_is_2d = Msg(
        "{kind} got a 2-D per-step input {x} but needs (batch, timesteps, features); give the wrapper one more axis")
    needs_batch_timesteps = Msg("{kind} needs (batch, timesteps, features), got {x}")
    expects_d_input_batch = Msg("{kind} expects a {ndim}-D input (batch, time, {layout}), got {n_x}-D {x}{detail}")
    timedistributed_needs_input = Msg(
        "TimeDistributed needs an input of at least 3 dimensions (batch, time, ...), got {n_x}-D {x}; apply {kind} "
        "directly instead")


@code("SL103", "incompatible-input-dimension", "error",
      "An axis of the input does not match what the layer was built for (a shared layer called on a "
      "different shape, a layer built for other channels).")
class INCOMPATIBLE_INPUT_DIMENSION:
    shared_layer_size = Msg(
        "{kind} was built for inputs whose {name} is {size} ({where}), but gets {shape} here (size {got}); a "
        "shared layer needs the same size there")
    einsumdense_axis_mismatch = Msg(
        "EinsumDense axis '{dim}' is {in_d} in the input {input_shape} but {out_d} in output_shape; put {detail} "
        "there")
    randomcolordegeneration_needs_rgb = Msg(
        "RandomColorDegeneration needs RGB images (3 channels), got {c} channels in {x}")


@code("SL104", "incompatible-merge-shapes", "error",
      "The tensors given to a merge layer (Add, Concatenate, Dot, ...) do not have compatible shapes.")
class INCOMPATIBLE_MERGE_SHAPES:
    single_tensor = Msg("{kind} must be called on a list of tensors, got a single tensor of shape {inputs}")
    attention_input_count = Msg("{kind} takes a list [query, value] or [query, value, key], got {n_xs} tensor{plural}")
    value_key_mismatch = Msg(
        "{kind} value {value} and key {key} must match on every axis except the batch and the last: {detail}")
    query_value_last_axis = Msg(
        "{kind} query and value must have the same last axis, got {query_size} vs {value_size}; project one of "
        "them (e.g. Dense({query_size}) on the value)")
    empty_list = Msg("{kind} was called on an empty list; pass the tensors to merge, e.g. {kind}()([a, b])")
    axis_mismatch = Msg(
        "{kind} cannot merge {full_a} and {full_b}: axis {axis} is {i} in one and {j} in the other. Sizes must be "
        "equal or 1 (broadcast); {merge_fix}")
    batch_mismatch = Msg("{kind} cannot merge tensors with different batch sizes ({sizes}): {shapes_txt}")
    subtract_input_count = Msg("Subtract takes exactly 2 inputs, got {n_xs}: {shapes_txt}")
    concatenate_ranks_differ = Msg(
        "Concatenate inputs must have the same rank, got ranks {ranks}: {shapes_txt}. Reshape or expand one of "
        "them first")
    concatenate_axis_mismatch = Msg(
        "Concatenate on axis {axis} needs every other axis to match, but axis {ax} is {sizes}: {shapes_txt}")
    dot_input_count = Msg("Dot takes exactly 2 inputs, got {n_xs}: {shapes_txt}")
    dot_axes_sizes_differ = Msg(
        "Dot axes {axis_x} and {axis_y} must have the same size, got {d1} vs {d2}{hint}: {s1} · {s2}")
    normalization_mean_variance = Msg(
        "Normalization mean/variance of shape {mean_shape} do not fit axis {d} of size {x_d} in the input {x}")


@code("SL105", "reshape-size-mismatch", "error",
      "Reshape asks for a shape with a different number of values than the input has.")
class RESHAPE_SIZE_MISMATCH:
    several_inferred = Msg("can only infer one unknown dimension, target {target} has several -1")
    not_divisible = Msg("cannot reshape {source} ({total} values) into {target}: {total} is not divisible by {rest}")
    sizes_differ = Msg("cannot reshape {source} ({total} values) into {target} ({want} values)")


@code("SL106", "undefined-dimension", "error",
      "A layer needs a fully defined dimension (to create its weights) but the input has None there.")
class UNDEFINED_DIMENSION:
    additiveattention_needs_query = Msg(
        "AdditiveAttention needs the query's last axis defined to create `scale`, but the query is {q}; give it a "
        "size or set use_scale=False")
    needs_last_axis = Msg(
        "{kind} needs the last axis of {tensor} defined to create its {name} weights (shape {w}), but {tensor} is "
        "{input_shape}")
    projection_needs_defined = Msg(
        "{kind} needs {src} defined to create its output projection; query is {query}{detail}")
    weights_need_defined = Msg(
        "{kind} needs a defined {what} to create its weights, but the input {shape} has None there{detail}")
    prelu_needs_every = Msg(
        "PReLU needs every non-batch axis defined to create alpha; axis {axis} of the input is None (set "
        "shared_axes to share alpha along it)")
    einsumdense_would_shape = Msg(
        "EinsumDense {name} would have shape {shape}, which needs defined sizes; the input is {input_shape} -- "
        "give the None axes a size (in the input or in output_shape)")
    needs_axis_defined = Msg("{kind} needs axis {ax} defined to create {what}, but the input {x} has None there")
    groupnormalization_needs_axis = Msg(
        "GroupNormalization needs axis {axis} (the channels) defined, but the input {x} has None there")
    normalization_keeps_axis = Msg(
        "Normalization keeps axis {d}, which must be defined, but the input {x} has None there")
    stateful_true_needs = Msg(
        "{kind}(stateful=True) needs a fixed batch size, but the input {x} has batch None; use "
        "Input(batch_shape=(batch, ...)) or drop stateful=True")
    needs_every_spatial = Msg(
        "{kind} needs every spatial axis defined, but the input {x} has None there; give Input fixed sizes (only "
        "batch and time may be None)")
    needs_defined_channel = Msg(
        "{kind} needs a defined channel axis to create its weights, but the input {x} has None there")


@code("SL120", "input-shape-ignored", "warning",
      "`input_shape=` on a layer that is not the first layer of a Sequential model is ignored by Keras.")
class INPUT_SHAPE_IGNORED:
    not_first_layer = Msg(
        "input_shape= on {kind} is ignored: it is not the first layer of the Sequential model. Remove it (the "
        "shape comes from the previous layer)")


@code("SL121", "input-shape-overridden", "warning",
      "A layer declared with `input_shape=` is called on a tensor of a different shape; Keras 3 silently "
      "builds it for the tensor it receives.")
class INPUT_SHAPE_OVERRIDDEN:
    called_on_other_shape = Msg(
        "{kind} declares input_shape={declared} but is called on {got}; Keras 3 ignores input_shape here and "
        "builds for {got}. Fix the data or the declared shape")


@code("SL122", "subclass-build-does-not-run-call", "warning",
      "`model.build(shape)` on a subclassed Model without its own build() does not run call() in Keras "
      "3, so its layers stay unbuilt.")
class SUBCLASS_BUILD_DOES_NOT_RUN_CALL:
    build_does_not_run_call = Msg(
        "Keras 3's build() does not run {name}.call(): its layers stay unbuilt and summary() shows no shapes. Call "
        "the model on a tensor instead, e.g. model(keras.Input(shape={input_shape}))")


@code("SL123", "fails-at-run-time", "warning",
      "The model builds, but TensorFlow will fail when it runs (e.g. a negative padding, an "
      "interpolation the op does not support).")
class FAILS_AT_RUN_TIME:
    query_key_features_differ = Msg(
        "{kind}: query features ({dq}) and key features ({dk}) differ; Keras builds this but it fails when the "
        "model runs. Project one of them (e.g. Dense({dk}) on the query)")
    value_key_steps_differ = Msg(
        "{kind}: value has {value_steps} steps but key has {key_steps}; they must match (Keras builds this but it "
        "fails when the model runs)")
    adaptive_pool_rank = Msg(
        "{kind} builds on a {n_x}-D input but fails when run: it needs a {needed_rank}-D input (batch included)")
    adaptive_pool_output_zero = Msg("{kind} with output_size 0 builds but fails when run")
    resizing_expects_images = Msg(
        "Resizing expects a 4-D batch of images (or one 3-D image), got {n_x}-D {x}; Keras builds it as {out} but "
        "the resize fails when the model runs")
    negative_padding = Msg(
        "{kind} accepts a negative padding when the model is built, but TensorFlow's pad refuses it when run; use "
        "Cropping instead")
    upsampling2d_interpolation = Msg(
        "UpSampling2D interpolation={interpolation!r} fails when the model runs; use one of {options}")


@code("SL107", "tensorflow-function-on-keras-tensor", "error",
      "A TensorFlow function (tf.*) is applied to a symbolic Keras tensor; Keras 3 raises. Use the "
      "keras.ops equivalent or wrap it in a layer.")
class TENSORFLOW_FUNCTION_ON_KERAS_TENSOR:
    tf_function_on_keras_tensor = Msg(
        "{short}() cannot take {what}: Keras 3 raises for TensorFlow functions on symbolic tensors. Use "
        "{ops_equivalent} or a layer instead")


# --- invalid layer arguments -----------------------------------------------


@code("SL201", "invalid-argument", "error",
      "A layer argument has a value Keras rejects (wrong length, negative, unknown option).")
class INVALID_ARGUMENT:
    batch_input_shape_not_accepted = Msg(
        "Keras 3 does not accept batch_input_shape= on {kind}; start the model with "
        "keras.Input(batch_shape={batch_shape}) instead")
    input_shape_not_tuple = Msg("Input shape must be a tuple: use shape=({shape},) instead of shape={shape}")
    model_unexpected_keyword = Msg("Model does not take the keyword argument `{keyword}`{hint}")
    float_size = Msg(
        "`{name}` of {kind} is a float ({value}); Keras 3 wants a Python int and raises ValueError. Use an int: "
        "{shown} (// divides to an int)")
    numpy_integer_size = Msg(
        "`{name}` of {kind} is a NumPy integer ({value}); Keras wants {what} and raises ValueError. Convert it: "
        "int(...)")
    embedding_weights_shape = Msg(
        "Embedding({n}, {d}) has a table of shape ({n}, {d}), but weights= gives an array of shape {shape}; Keras "
        "sets it in the constructor and raises ValueError. Use Embedding({rows}, {columns}, ...) to match the array")
    embedding_weights_not_2d = Msg(
        "Embedding({n}, {d}) has a table of shape ({n}, {d}), but weights= gives an array of shape {shape}; Keras "
        "sets it in the constructor and raises ValueError")
    application_classes_not_1000 = Msg(
        "{name}: with weights='imagenet' and include_top=True, classes must be 1000 (got {classes}); pass "
        "include_top=False and add your own classifier, or weights=None")
    application_input_shape_needs_3_values = Msg(
        "{name}: input_shape must have 3 values (rows, columns, channels), got {n_input_shape}")
    application_channels_not_3 = Msg("{name}: with weights='imagenet' the input must have 3 channels, got {c}")
    application_input_size_fixed = Msg(
        "{name}: with include_top=True and weights='imagenet' the input must be ({size}, {size}, 3), got ({h}, "
        "{w}, {c}); pass include_top=False to use another size")
    application_input_too_small = Msg("{name}: the input must be at least {low}x{low}, got {h}x{w}")
    score_mode = Msg("{kind} score_mode must be 'dot' or 'concat', got {mode!r}")
    not_a_positive_integer_extra = Msg("`{name}` of {kind} must be a positive integer{extra}, got {value!r}")
    needs_value_tensor = Msg(
        "{kind} needs a value tensor: call it as layer(query, value) (self-attention: layer(x, x))")
    sliding_window_must_none = Msg("`sliding_window` of {kind} must be None or a positive integer, got {sw!r}")
    cannot_use_dropout = Msg("{kind} cannot use dropout={dropout} with flash_attention=True; set one of them off")
    output_shape_must_int = Msg("`output_shape` of {kind} must be an int or a tuple, got {out_shape!r}")
    attention_axes_must_int = Msg("`attention_axes` of {kind} must be an int, list or tuple, got {axes!r}")
    attention_axes_must_integers = Msg("`attention_axes` of {kind} must be integers, got {axes}")
    num_key_value_heads_zero = Msg("`num_key_value_heads` of {kind} cannot be 0")
    too_many_positional = Msg("{kind} takes at most {n_names} positional arguments, got {n_positional}")
    two_values_for_argument = Msg("{kind} got two values for `{name}`")
    missing_required_argument = Msg("{kind} is missing the required argument `{name}`")
    not_an_integer = Msg("`{name}` of {kind} must be an integer, got {value}")
    not_a_positive_integer = Msg("`{name}` of {kind} must be a positive integer, got {value}")
    not_a_number = Msg("`{name}` of {kind} must be a number, got {value!r}")
    not_integer_or_tuple = Msg("`{name}` of {kind} must be an integer or a tuple of {n} integers, got {value!r}")
    data_format_must_channels_last = Msg(
        "data_format of {kind} must be 'channels_last' or 'channels_first', got {value!r}")
    unexpected_keyword = Msg("{kind} does not take the keyword argument `{key}`{hint}")
    kernel_size_zero = Msg("kernel_size of {kind} cannot contain 0, got {kernel}")
    kernel_size_negative = Msg("kernel_size of {kind} must be positive, got {kernel}")
    strides_not_positive = Msg("strides of {kind} must be positive, got {strides}")
    dilation_rate_not_positive = Msg("dilation_rate of {kind} must be positive, got {dilation}")
    groups_not_positive = Msg("groups of {kind} must be a positive integer, got {groups}")
    not_positive = Msg("{name} of {kind} must be positive, got {vals}")
    positive_integer_got_none = Msg("`{name}` of {kind} must be a positive integer, got None")
    output_padding_cannot_negative = Msg("output_padding of {kind} cannot be negative, got {out_pad}")
    rate_must_between = Msg("`rate` of {kind} must be between 0 and 1, got {rate}")
    shared_axes_prelu_must = Msg("shared_axes of PReLU must be integers, got {shared!r}")
    prelu_shared_axes_names = Msg(
        "PReLU shared_axes={shared!r} names axis {ax}, but the input {x} has only axes 1..{n_param_shape} besides "
        "the batch")
    not_a_positive_integer_hint = Msg("`{name}` of {kind} must be a positive integer, got {value!r}{hint}")
    lora_rank_must_integer = Msg("`lora_rank` of {kind} must be an integer, got {rank}")
    lora_rank_must_positive = Msg("`lora_rank` of {kind} must be positive, got {rank}")
    cannot_use_lora = Msg("{kind} cannot use LoRA (lora_rank={rank}) together with `{constraint_arg}`; remove one")
    einsumdense_equation_form = Msg(
        "EinsumDense equation '{equation}' is not of the form 'ab,bc->ac', '...b,bc->...c' or 'ab...,bc->ac...'")
    einsumdense_output_axis = Msg(
        "EinsumDense output axis '{dim}' of '{equation}' appears in neither the input '{input_spec}' nor the "
        "kernel '{weight_spec}'")
    einsumdense_kernel_axis = Msg(
        "EinsumDense kernel axis '{dim}' of '{equation}' appears in neither the input '{input_spec}' nor the "
        "output '{output_spec}'")
    einsumdense_bias_axis = Msg("EinsumDense bias axis '{char}' is not in the output '{output_spec}' of '{equation}'")
    einsumdense_bias_axes_names = Msg("EinsumDense bias_axes='' names no axis; use None for no bias")
    einsumdense_shape_not_integer = Msg("EinsumDense {name} shape {shape} has a non-integer size {d!r}")
    einsumdense_shape_negative = Msg("EinsumDense {name} shape {shape} has a negative size")
    output_shape_einsumdense_must = Msg("`output_shape` of EinsumDense must be an integer or a tuple, got {raw_out!r}")
    dot_missing_required = Msg("Dot is missing the required argument `axes`, e.g. Dot(axes=-1)")
    dot_axes_must = Msg("Dot axes must be one int or a pair (axis in x, axis in y), got {n_axes} values {axes}")
    dot_axes_must_integers = Msg("Dot axes must be integers, got {axes}")
    dot_axes_must_int = Msg("Dot axes must be an int or a pair of ints, got {axes!r}")
    axis_must_int = Msg("`axis` of {kind} must be an int or a list of ints, got {axis!r}")
    axis_batchnormalization_must = Msg("`axis` of BatchNormalization must be one int, got {raw!r}")
    renorm_clipping_batchnormalization_takes = Msg(
        "renorm_clipping of BatchNormalization takes rmax, rmin, dmax; got {bad}")
    renorm_clipping_rmax_smaller = Msg("renorm_clipping rmax={rmax} is smaller than rmin={rmin}")
    renorm_clipping_dmax_must = Msg("renorm_clipping dmax={dmax} must be non-negative")
    groups_groupnormalization_must = Msg(
        "`groups` of GroupNormalization must be a positive integer (or -1 for instance norm), got {groups!r}")
    axis_groupnormalization_must = Msg("`axis` of GroupNormalization must be one int, got {axis!r}")
    pool_size_must_positive = Msg("pool_size of {kind} must be positive, got {pool}")
    strides_must_positive_leave = Msg(
        "strides of {kind} must be positive, got {strides}; leave strides unset to use pool_size")
    output_size_cannot_negative = Msg("output_size of {kind} cannot be negative, got {size}")
    not_number_or_pair_in_range = Msg(
        "`{name}` of {kind} must be a number or a pair of numbers in {range_txt}, got {f!r}")
    not_number_or_pair = Msg("`{name}` of {kind} must be a number or a pair of numbers, got {f!r}")
    not_in_range = Msg("`{name}` of {kind} must be in {range_txt}, got {v!r}")
    value_range_must_pair = Msg("`value_range` of {kind} must be a pair (low, high), e.g. (0, 255); got {vr!r}")
    not_one_of = Msg("`{name}` of {kind} must be one of {opts}; got {value!r}")
    does_not_take_factor = Msg("{kind} does not take a `factor` argument")
    number_out_of_range = Msg("`{name}` of {kind} must be a number in [{lo}, {hi}], got {v!r}")
    kernel_size_must_number = Msg("`kernel_size` of {kind} must be a number or a pair, got {k!r}")
    kernel_size_must_odd = Msg("`kernel_size` of {kind} must be an odd number, got {k!r}")
    kernel_size_even = Msg("`kernel_size` of {kind} must be odd, got {k!r}; e.g. 3 or 5")
    factor_must_lie = Msg("`factor` of {kind} must lie in [0, 1], got {f!r}")
    rescaling_missing_required = Msg("Rescaling is missing the required argument `scale`, e.g. Rescaling(1 / 255)")
    not_integer_pixels = Msg("`{name}` of {kind} must be an integer number of pixels, got {v!r}")
    negative = Msg("`{name}` of {kind} cannot be negative, got {v}")
    output_mode_categoryencoding_must = Msg(
        "output_mode of CategoryEncoding must be 'multi_hot', 'one_hot' or 'count', got {mode!r}")
    categoryencoding_needs_num_tokens = Msg(
        "CategoryEncoding needs num_tokens (use IntegerLookup if the vocabulary size is not known)")
    num_tokens_categoryencoding_must = Msg("num_tokens of CategoryEncoding must be an integer, got {n}")
    num_tokens_categoryencoding_below_one = Msg("num_tokens of CategoryEncoding must be >= 1, got {n}")
    axis_normalization_must = Msg("`axis` of Normalization must be an int, a list of ints or None, got {axis!r}")
    normalization_needs_both = Msg("Normalization needs both `mean` and `variance`, or neither (then call adapt())")
    normalization_mean_variance = Msg(
        "Normalization mean {mean_shape} and variance {var_shape} must have the same shape")
    normalization_mean_rank = Msg("Normalization mean has rank {n_mean_shape}, more than the {n_axes} kept axes {axes}")
    output_mode_must_one = Msg("output_mode of {kind} must be one of {options}, got {mode!r}")
    sparse_true_needs = Msg("sparse=True needs output_mode 'one_hot', 'multi_hot' or 'count' on {kind}")
    num_bins_discretization_must = Msg("num_bins of Discretization must be >= 0, got {num_bins}")
    discretization_takes_num_bins = Msg("Discretization takes num_bins or bin_boundaries, not both")
    discretization_needs_num_bins = Msg("Discretization needs num_bins or bin_boundaries")
    num_bins_hashing_must = Msg("num_bins of Hashing must be a positive integer, got {num_bins!r}")
    max_tokens_must_greater = Msg("max_tokens of {kind} must be greater than 1, got {max_tokens}")
    pad_to_max_tokens_true_needs = Msg("pad_to_max_tokens=True on {kind} needs max_tokens")
    num_oov_indices_negative = Msg("num_oov_indices of {kind} must be >= 0, got {oov}")
    invert_true_needs = Msg("invert=True on {kind} needs output_mode='int', got {mode!r}")
    output_sequence_length_textvectorization_must = Msg(
        "output_sequence_length of TextVectorization must be None or an integer, got {osl!r}")
    output_sequence_length_textvectorization_output_mode = Msg(
        "output_sequence_length of TextVectorization is only for output_mode='int'")
    ragged_true_textvectorization = Msg("ragged=True on TextVectorization needs output_mode='int'")
    max_tokens_textvectorization_must = Msg("max_tokens of TextVectorization must be greater than 1, got {max_tokens}")
    pad_to_max_tokens_true_textvectorization = Msg("pad_to_max_tokens=True on TextVectorization needs max_tokens")
    not_an_integer_hint = Msg("`{name}` of {kind} must be an integer, got {value}{hint}")
    not_what_is_needed = Msg("`{name}` of {kind} must be {need}, got {value}")
    use_cudnn_must_auto = Msg("`use_cudnn` of {kind} must be 'auto', True or False, got {value!r}")
    missing_layer_wrap = Msg("{kind} is missing the layer to wrap (`{name}`)")
    not_a_keras_layer = Msg("`{name}` of {kind} must be a Keras layer instance, got {value!r}")
    takes_several_inputs = Msg("{kind} takes several inputs and cannot be wrapped here")
    bidirectional_merge_mode_not = Msg(
        "Bidirectional merge_mode={merge!r} is not one of 'concat', 'sum', 'mul', 'ave', None")
    bidirectional_wraps_recurrent = Msg(
        "Bidirectional wraps a recurrent layer (LSTM, GRU, SimpleRNN, ConvLSTM*D), got {kind}; for a per-step "
        "layer use TimeDistributed or apply it directly")
    bidirectional_backward_layer_must = Msg("Bidirectional backward_layer must be a recurrent layer, got {kind}")
    bidirectional_wrapped_goes_backwards = Msg(
        "Bidirectional makes the backward copy itself: remove go_backwards=True from the wrapped {kind}")
    bidirectional_same_direction = Msg(
        "Bidirectional needs one direction each: layer has go_backwards={forward} and backward_layer has "
        "go_backwards={backward}; set go_backwards=True on backward_layer only")
    bidirectional_layer_backward_layer = Msg(
        "Bidirectional layer and backward_layer must agree on {flag}: {flag}={fv} forward, {bv} backward")
    bidirectional_stateful_return_state = Msg(
        "Keras 3 cannot call Bidirectional on a stateful layer with return_state=True (it fails computing the "
        "output mask); drop stateful=True or return_state=True")
    timedistributed_cannot_wrap = Msg(
        "TimeDistributed cannot wrap {kind} with several outputs ({n_shape}); set return_state=False")
    not_integer_or_pair = Msg("{what} of {kind} must be an integer or a pair of integers, got {value!r}")
    negative_value = Msg("{what} of {kind} cannot be negative, got {value!r}")
    not_int_or_one_per_spatial_axis = Msg(
        "`{name}` of {kind} must be an int or {n} entries (one per spatial axis), got {value!r}")
    size_must_positive = Msg("size of {kind} must be positive, got {size}")
    target_shape_reshape_must = Msg("target_shape of Reshape must be a tuple, got {target!r}; write ({target!r},)")
    target_shape_reshape_can = Msg("target_shape {target} of Reshape can only use -1 for the inferred axis")
    target_shape_reshape_several = Msg("target_shape {target} of Reshape has several -1; only one axis can be inferred")
    n_repeatvector_must = Msg("n of RepeatVector must be a positive integer, got {n!r}")
    cropping_cannot_negative = Msg("cropping of {kind} cannot be negative, got {value}")
    size_upsampling1d_must = Msg("size of UpSampling1D must be a positive integer, got {size!r}")


@code("SL202", "groups-not-divisible", "error", "Input channels or filters are not divisible by `groups`.")
class GROUPS_NOT_DIVISIBLE:
    num_query_heads_not_divisible = Msg("{kind} num_query_heads={hq} is not divisible by num_key_value_heads={hkv}")
    filters_not_divisible = Msg("{kind} filters={filters} is not divisible by groups={groups}")
    input_channels_not_divisible = Msg(
        "{kind} input has {cin} channels, which groups={groups} cannot split evenly (input {x})")
    groupnormalization_groups_above_channels = Msg(
        "GroupNormalization groups={g} is more than the {dim} channels of {x}; use a divisor of {dim}")
    groupnormalization_groups_not_divisor = Msg(
        "GroupNormalization groups={g} does not divide the {dim} channels of {x}; use one of {divisors}")


@code("SL203", "output-padding-too-large", "error",
      "`output_padding` of a transposed convolution must be smaller than its strides.")
class OUTPUT_PADDING_TOO_LARGE:
    not_smaller_than_strides = Msg(
        "{kind} output_padding {out_pad} must be smaller than strides {strides} (axis {i}: {out_pad_i} >= "
        "{strides_i}); {fix}")


@code("SL204", "strides-with-dilation", "error",
      "Strides greater than 1 cannot be combined with a dilation rate greater than 1.")
class STRIDES_WITH_DILATION:
    both_above_one = Msg("{kind} cannot combine strides={strides} with dilation_rate={dilation}; set one of them to 1")


@code("SL205", "invalid-permute", "error",
      "Permute `dims` must be a permutation of 1..n for an input with n non-batch axes.")
class INVALID_PERMUTE:
    dims_not_a_tuple = Msg("dims of Permute must be a tuple of axis numbers, got {dims!r}")
    not_a_permutation = Msg("Permute dims {dims} must reorder {want} (axis 0, the batch, is not included)")


@code("SL206", "invalid-padding-mode", "error",
      "The padding mode is not accepted by this layer (e.g. 'causal' outside 1-D convolutions).")
class INVALID_PADDING_MODE:
    not_one_of_options = Msg("{kind} does not accept padding={value!r}; use one of {options}")
    not_accepted = Msg("{kind} does not accept padding={value!r}: {hint}")


# --- data and inputs (fit / predict / model(x), numpy, tf.*) --------------------


@code("SL301", "data-does-not-fit-model-input", "error",
      "Data given to a model (fit, predict, evaluate, model(x)) does not match the model's input shape "
      "where Keras checks it, or makes a layer inside the model fail.")
class DATA_DOES_NOT_FIT_MODEL_INPUT:
    images_must_be_3d_or_4d = Msg(
        "{short}(): images must be 3-D (height, width, channels) or 4-D (batch, height, width, channels), got "
        "{shape}{detail} (TensorFlow raises ValueError)")
    data_does_not_fit = Msg("{short}(): {data}; {expects}{why}{hint}")
    with_label = Msg("{short}(): {label}{message}")
    layer_fails_when_run = Msg(
        "{short}(): {kind} (line {line}) builds but fails when the model runs: {message}; TensorFlow raises here")


@code("SL302", "missing-batch-axis", "error",
      "A single sample is given to a model without its batch axis: Keras takes its first axis as the "
      "batch and fails (often deep inside the first layer).")
class MISSING_BATCH_AXIS:
    missing_batch_axis = Msg(
        "{short}(): missing batch axis: the dataset is not batched, so each element {shape} reaches the model as a "
        "batch of its own ({expects}); Keras takes the element's first axis as the batch{why}. Batch it: "
        "{name}.batch(32)")
    missing_batch_axis_single = Msg(
        "{short}(): missing batch axis: {name}, {shape}{where}, is a single sample, but {expects}, batch axis "
        "first. Keras takes the sample's first axis as the batch{why}. Add a batch axis: {name}[None, ...] (or "
        "np.expand_dims({name}, 0))")


@code("SL303", "targets-do-not-match-output", "error",
      "The targets given to fit/evaluate cannot be compared with the model's output under the compiled "
      "loss (wrong rank, wrong width, a feature map where a vector is expected).")
class TARGETS_DO_NOT_MATCH_OUTPUT:
    loss_subtracts_them = Msg(
        "{short}(): {label}{ydesc}; {odesc}. The {display} loss subtracts them and {detail}; TensorFlow raises")
    needs_targets_exactly = Msg(
        "{short}(): {label}{ydesc}; {odesc}. {display} needs targets of exactly the output's shape; Keras raises "
        "ValueError{detail}")
    needs_integer_labels = Msg(
        "{short}(): {label}{ydesc}; {odesc}. {display} needs integer labels with one axis less than the output "
        "({label_shape}); Keras raises ValueError{flatten_hint}")
    needs_labels_match = Msg(
        "{short}(): {label}{ydesc}; {odesc}. {display} needs the labels to match the output up to its last axis; "
        "Keras raises ValueError")


@code("SL304", "integer-labels-for-categorical-loss", "error",
      "categorical_crossentropy needs one-hot targets, but the targets are integer class labels.")
class INTEGER_LABELS_FOR_CATEGORICAL_LOSS:
    integer_class_labels = Msg(
        "{short}(): {label}{ydesc}: integer class labels, but {display} needs one-hot targets of the output's "
        "width {width} ({odesc}); Keras raises ValueError. Use loss='sparse_categorical_crossentropy', or one-hot "
        "encode the labels: keras.utils.to_categorical({name}, {width})")


@code("SL305", "one-hot-labels-for-sparse-loss", "error",
      "sparse_categorical_crossentropy needs integer class labels, but the targets are one-hot.")
class ONE_HOT_LABELS_FOR_SPARSE_LOSS:
    one_hot_targets = Msg(
        "{short}(): {label}{ydesc}: one-hot targets, but {display} needs integer class labels of shape "
        "{label_shape} ({odesc}); Keras raises ValueError. Use loss='categorical_crossentropy', or pass the class "
        "indices: np.argmax({name}, axis=-1)")


@code("SL306", "sample-count-mismatch", "error",
      "Arrays that must have one row per sample (x and y, several inputs) have different lengths.")
class SAMPLE_COUNT_MISMATCH:
    fit_arrays = Msg(
        '{short}(): {what} must have the same number of samples ({desc}). Keras raises ValueError ("Data '
        'cardinality is ambiguous": \'{xrole}\' sizes: {xs_sizes}{y_sizes})')
    train_test_split = Msg(
        "train_test_split(): the arrays have different numbers of samples: {zip} (scikit-learn raises ValueError: "
        "Found input variables with inconsistent numbers of samples)")
    from_tensor_slices = Msg(
        "tf.data.Dataset.from_tensor_slices(): the arrays have different numbers of samples ({sizes}); TensorFlow "
        'raises ValueError ("Dimensions {b} and {a} are not compatible")')


@code("SL307", "targets-broadcast-against-output", "warning",
      "An elementwise loss (mse, mae, ...) broadcasts targets and output of different shapes: it trains, "
      "but on a loss that is probably not the one meant.")
class TARGETS_BROADCAST_AGAINST_OUTPUT:
    loss_broadcasts_them = Msg(
        "{short}(): {label}{ydesc}; {odesc}. The {display} loss broadcasts them ({detail}), so it trains on a loss "
        "that is probably not what you mean")


@code("SL308", "retrace-with-another-rank", "error",
      "fit/evaluate/predict is called again on the same model with inputs of another rank; TensorFlow "
      "retraces with an unknown rank and Keras raises.")
class RETRACE_WITH_ANOTHER_RANK:
    other_rank = Msg(
        "{short}(): {method}() already ran on line {line} with {which} of rank {old_ranks} {old_shapes}; Keras "
        "traced its {kind} function for that rank. Called again with rank {new_ranks} {new_shapes}, TensorFlow "
        'retraces with an input of unknown rank and Keras raises ValueError ("Cannot take the length of shape with '
        'unknown rank"). Give every call the same rank (reshape the data once, before the first call)')


@code("SL309", "label-out-of-range", "error",
      "Integer class labels go beyond the number of output units (or num_classes).")
class LABEL_OUT_OF_RANGE:
    to_categorical_num_classes = Msg(
        "to_categorical(num_classes={k}): the labels {shape} from {origin} take {classes} values (0..{top_label}); "
        "Keras raises IndexError for a label ≥ num_classes. Use num_classes={classes}")
    labels_beyond_units = Msg(
        "{short}(): {label}{ydesc} holds class labels up to {top_label}, but the output has {width} units "
        '({odesc}); TensorFlow raises InvalidArgumentError ("Received a label value of {top_label} which is '
        'outside the valid range of [0, {width})"). The last layer needs {top} units')


@code("SL310", "ragged-array", "error",
      "np.array / tf.constant of sequences whose lengths differ: numpy and TensorFlow raise.")
class RAGGED_ARRAY:
    sequences_differ = Msg("{short}() of {n_shapes} sequences whose shapes differ ({level} are {shown}): {tail}")


@code("SL311", "impossible-reshape", "error",
      "An array or tensor is reshaped to a shape with a different number of values.")
class IMPOSSIBLE_RESHAPE:
    tf_constant_size = Msg(
        "tf.constant(): {n:,} values cannot fill shape {shape} ({m:,} values); TensorFlow raises TypeError")
    op_error_on_data = Msg("{subject}: {what}{where} is {shape}; {message}. {raiser}")


@code("SL312", "arrays-do-not-broadcast", "error",
      "Arithmetic between arrays whose shapes cannot be broadcast together.")
class ARRAYS_DO_NOT_BROADCAST:
    cannot_broadcast_together = Msg("{text}: {left} and {right} cannot be broadcast together ({reason}); {raiser}")


@code("SL313", "axis-out-of-range", "error",
      "An axis argument (expand_dims, squeeze, sum, argmax, transpose, ...) does not exist for the "
      "array, or squeeze names an axis whose size is not 1.")
class AXIS_OUT_OF_RANGE:
    axis_out_range = Msg(
        "{short}(): axis {axis} is out of range for {shape} — the new axis must be in [{lowest}, {n_shape}] "
        "({raiser})")
    op_error = Msg("{short}(): {message} ({raiser})")


@code("SL314", "arrays-cannot-be-joined", "error", "concatenate/stack/split of arrays whose shapes do not allow it.")
class ARRAYS_CANNOT_BE_JOINED:
    op_error_of = Msg("{short}() of {shown}: {message} ({raiser})")
    tf_split_sizes = Msg(
        "tf.split(): sizes {sections} add up to {sum}, but axis {axis} of {shape} has {n} entries (TensorFlow "
        "raises InvalidArgumentError)")
    op_error = Msg("{short}(): {message} ({raiser})")


@code("SL315", "matmul-inner-dimensions", "error",
      "A matrix product (@, np.matmul, np.dot, tf.matmul) of shapes whose inner dimensions differ.")
class MATMUL_INNER_DIMENSIONS:
    inner_dimensions_differ = Msg("{short}: {left} times {right}: {reason}; {raiser}")


@code("SL316", "index-out-of-range", "error",
      "Indexing with more indices than axes, an index past the end of an axis, or a float array used as "
      "indices.")
class INDEX_OUT_OF_RANGE:
    index_holds_floats = Msg(
        '{text}: the index {shape} from {origin} holds floats; numpy raises IndexError ("arrays used as indices '
        'must be of integer (or boolean) type"). Convert it first: .astype(int)')
    op_error = Msg("{text}: {origin}{message} ({raiser})")


@code("SL317", "tf-nn-shape-error", "error",
      "tf.nn convolution or pooling on shapes TensorFlow rejects (wrong rank, channels that the filters "
      "do not divide, a max-pool window larger than its input).")
class TF_NN_SHAPE_ERROR:
    input_rank = Msg("{name}(): the input must be {ndim}-D (batch, {detail_times_n}channels), got {xs}{detail}{suffix}")
    filters_rank = Msg(
        "{name}(): the filters must be {ndim}-D ({detail_times_n}in_channels, out_channels), got {ws}; TensorFlow "
        "raises")
    channels_differ = Msg(
        "{name}(): the input has {cin} channels but the filters {ws} expect {fin} input channels (TensorFlow "
        "raises InvalidArgumentError: input depth must be evenly divisible by filter depth). Make filters[..., in, "
        "out] match the input: in = {cin}")
    input_channels_but_filters = Msg(
        "{name}(): the input has {cin} channels but the filters {ws} take {fin}, so TensorFlow runs a grouped "
        "convolution with {groups} groups, and {fout} output channels do not split into {groups} groups "
        "(InvalidArgumentError: output depth must be evenly divisible by number of groups). The real cause: the "
        "filters' input-channel axis should be {cin}")
    pool_window_too_large = Msg(
        "{short}(): a {map} window does not fit {xs} with padding='VALID' (TensorFlow raises AbortedError)")


@code("SL318", "tf-conv-silently-grouped", "warning",
      "tf.nn.conv*d with filters whose input-channel axis divides but differs from the input's channels: "
      "TensorFlow silently runs a grouped convolution.")
class TF_CONV_SILENTLY_GROUPED:
    grouped_convolution = Msg(
        "{name}(): the input has {cin} channels but the filters {ws} take {fin}; TensorFlow silently runs a "
        "grouped convolution ({groups} groups of {fin} channels). If that is not intended, make the filters "
        "{detail}")


@code("SL319", "data-size-differs-from-declared-input", "warning",
      "A Sequential model declared for one input size is given data of another size; Keras 3 runs its "
      "layers on it without checking.")
class DATA_SIZE_DIFFERS_FROM_DECLARED_INPUT:
    declared_size_differs = Msg(
        "{short}(): {name} is {shape} from {origin}, but the model was declared for {spec}; Keras 3 runs the "
        "layers on it anyway (a Sequential model does not check its declared input)")


@code("SL320", "wrong-number-of-inputs", "error", "A model with several inputs is given a different number of arrays.")
class WRONG_NUMBER_OF_INPUTS:
    fit_inputs = Msg(
        "{short}(): {label}the model has {n_specs} inputs ({specs}) but gets {n_feeds} array{plural} ({feeds}); "
        "Keras raises ValueError. Pass a list with one array per input, in the order of the model's inputs")
    call_inputs = Msg(
        "{short}(...): the model has {n_specs} inputs ({specs}) but gets {n_xs} array{plural} ({xs}); Keras raises "
        "ValueError. Pass a list with one array per input")


# --- TensorFlow dry run (shapelens.worker; diagnostics with source "shapelens (tensorflow)") ---


@code("SL901", "tensorflow-raises", "error",
      "Rebuilt with real Keras by the dry run, a layer (or model) raises; the message is Keras's own.")
class TENSORFLOW_RAISES:
    on_call = Msg("TensorFlow {version} raises {error}")
    on_constructor = Msg("TensorFlow {version} raises {error_type} constructing {kind}: {error_message}")
    on_model_build = Msg("TensorFlow {version} raises {error_type} building this model: {error_message}")


@code("SL902", "tensorflow-disagrees", "warning",
      "TensorFlow and shapelens give different answers for a layer (output shape, parameter count, or "
      "whether it raises): a shapelens bug, reported with both answers.")
class TENSORFLOW_DISAGREES:
    raises_where_shapelens_builds = Msg(
        "TensorFlow {version} raises on this {kind} call, but shapelens expected {expected}. shapelens got this "
        "wrong; please report it with the snippet.")
    builds_where_shapelens_raises = Msg(
        "shapelens reports an error on this {kind} call, but TensorFlow {version} builds it (output {output}). "
        "shapelens got this wrong; please report it with the snippet.")
    output_differs = Msg(
        "TensorFlow {version} and shapelens disagree on the output of this {kind}: TensorFlow {tensorflow_output}, "
        "shapelens {shapelens_output}. shapelens got this wrong; please report it with the snippet.")
    rejects_arguments = Msg(
        "TensorFlow {version} rejects the arguments of this {kind}, but shapelens accepted them. shapelens got "
        "this wrong; please report it with the snippet.")
    constructs_where_shapelens_raises = Msg(
        "shapelens reports that this {kind} raises when constructed, but TensorFlow {version} constructs it. "
        "shapelens got this wrong; please report it with the snippet.")
    layer_params_differ = Msg(
        "TensorFlow {version} counts {tensorflow_params} parameters in this {kind}, shapelens {shapelens_params}. "
        "shapelens got this wrong; please report it with the snippet.")
    model_fails_to_build = Msg(
        "TensorFlow {version} cannot build this model, but shapelens found nothing wrong. shapelens got this "
        "wrong; please report it with the snippet.")
    model_params_differ = Msg(
        "TensorFlow {version} counts {tensorflow_params} parameters in this model, shapelens {shapelens_params}. "
        "shapelens got this wrong; please report it with the snippet.")


# --- Keras 2 code that Keras 3 rejects ----------------------------------------


@code("SL401", "removed-in-keras-3", "error",
      "An import of a Keras 2 module or name that Keras 3 no longer has (`keras.layers.core`, "
      "`keras.utils.np_utils`, ...): the program stops at the import.")
class REMOVED_IN_KERAS_3:
    migrating = Msg("migrating to Keras 3: {problem}")
    module_removed = Msg("`{module}` does not exist in Keras 3 (it was a Keras 2 module): {fix}")
    name_removed = Msg("`{module}` has no `{name}` in Keras 3{elsewhere}")


@code("SL402", "removed-model-method", "error",
      "A Model method Keras 3 removed (`fit_generator`, `predict_classes`, ...).")
class REMOVED_MODEL_METHOD:
    removed = Msg("Keras 3 removed Model.{name}(): use {use}")
    removed_before_keras_3 = Msg(
        "Model.{name}() was removed in TensorFlow 2.6 (tf-keras and Keras 3 do not have it): use {use}")
    migrating_removed_method = Msg("migrating to Keras 3: Keras 3 removed Model.{name}(): use {use}")


# --- messages of no single code ---------------------------------------------


@messages
class SHARED:
    """Templates a finding of any code can carry: a rule error re-raised with where it happened,
    a check whose code depends on the argument (x or y)."""

    cannot_broadcast_together = Msg("{subject}: {left} and {right} cannot be broadcast together ({reason}); {raiser}")
    op_error_at = Msg("{what}: {message} ({raiser})")
    with_label = Msg("{label}: {message}")
    string_array = Msg(
        '{short}(): {name} is a NumPy array of {kind}; Keras 3 cannot convert it and raises ValueError ("Invalid '
        'dtype"). Convert the data to numbers first, or pass strings as a tensor (tf.constant) to a model with a '
        "string input")
    in_einsum_projection = Msg("{kind} cannot build its {name} projection for {tensor} {input_shape}: {message}")
    in_timedistributed_step = Msg("inside TimeDistributed each step has shape {step}: {message}")
    in_reshape = Msg("Reshape: {message}; the target must hold exactly {prod} values{hint}")
