"""The texts of core/shape_math.OpError: what numpy / TensorFlow say when an array operation
fails. They belong to no single code: the caller reports an OpError under the code of its kind
(data/base._OP_CODES for arrays, the Keras layer codes for keras.ops), with its own context."""

from __future__ import annotations

from shapelens.core.code_registry import Msg, messages


@messages
class OP_ERRORS:
    """Templates of OpError messages (str.format fields, keyword only)."""

    not_followed = Msg("not followed")
    not_an_integer = Msg("{what} must be an integer, got {axis!r}")
    axis_out_of_bounds = Msg("{what} {axis} is out of bounds for an array of dimension {ndim}")
    repeated_axis = Msg("repeated axis in {items}")
    cannot_broadcast = Msg("shapes {shapes} cannot be broadcast together: axis {axis} is {a} in one and {b} in another")
    cannot_broadcast_smaller = Msg("cannot broadcast {shape} to the smaller rank {target}")
    cannot_broadcast_axis = Msg("cannot broadcast {shape} to {target}: axis {axis} is {d}, not 1 or {t}")
    reshape_target_not_integers = Msg("a reshape target must be integers, got {target}")
    reshape_several_inferred = Msg("can only infer one dimension, but {target} asks for several")
    reshape_negative_sizes = Msg("a reshape target cannot have negative sizes: {target}")
    reshape_not_a_multiple = Msg(
        "cannot reshape {shape} ({total:,} values) into {target}: {total:,} is not a multiple of {rest:,}")
    reshape_size_differs = Msg("cannot reshape {shape} ({total:,} values) into {target} ({rest:,} values)")
    cannot_squeeze_axis = Msg("cannot squeeze axis {a} of {shape}: its size is {shape_a}, not 1")
    transpose_axes_mismatch = Msg("axes {axes} do not match an array of dimension {n_shape}")
    moveaxis_lengths_differ = Msg("`source` and `destination` must have the same number of elements")
    concatenate_nothing = Msg("need at least one array to concatenate")
    concatenate_scalars = Msg("zero-dimensional arrays cannot be concatenated")
    concatenate_ranks_differ = Msg(
        "all arrays must have the same number of dimensions, but array 0 is {first_shape} and array {i} is {s}")
    concatenate_axis_differs = Msg(
        "arrays must match on every axis except the concatenation axis {ax}, but on axis {d} array {first} "
        "{first_shape} has {first_size} and array {other} {shapes_other} has {shapes_other_d}")
    stack_nothing = Msg("need at least one array to stack")
    stack_shapes_differ = Msg(
        "all arrays must have the same shape to be stacked, but array 0 is {first} and array {i} is {s}")
    split_scalar = Msg("cannot split a zero-dimensional array")
    split_indices_not_integers = Msg("split indices must be integers")
    sections_not_positive = Msg("the number of sections must be a positive integer, got {sections!r}")
    split_not_equal = Msg("axis {ax} of {shape} has {n} entries, which do not split into {sections} equal parts")
    tile_repetitions_negative = Msg("tile repetitions must be non-negative integers, got {reps!r}")
    repeats_negative = Msg("repeats must be a non-negative integer, got {repeats!r}")
    repeat_counts_mismatch = Msg("{count} repeat counts for an axis of {n} elements")
    pad_width_pairs = Msg("pad_width has {n_pairs} pairs for an array of dimension {n}")
    pad_width_not_understood = Msg("pad_width is not understood")
    pad_widths_not_integers = Msg("pad widths must be integers")
    argmax_several_axes = Msg("argmax/argmin take a single axis")
    inner_dimensions_differ = Msg("{what}: the inner dimensions differ, {a} in {sa} against {b} in {sb}")
    matmul_scalar = Msg("matmul does not take scalars (0-dimensional arrays); use * instead")
    matmul_batch_axes = Msg("matmul: the batch axes of {a} and {b} do not broadcast ({message})")
    tf_matmul_rank = Msg("tf.matmul needs tensors of rank 2 or more, got {small}")
    slice_step_zero = Msg("slice step cannot be zero")
    index_type_not_understood = Msg("an index of type {name} is not understood")
    two_ellipses = Msg("an index can only have a single ellipsis ('...')")
    too_many_indices = Msg("too many indices: the array is {n_shape}-dimensional {shape}, but {consumed} were indexed")
    boolean_index_mismatch = Msg(
        "a boolean index of shape {shape} does not match axis {axis} of {array_shape} (size {d})")
    index_out_of_bounds = Msg("index {it} is out of bounds for axis {axis} with size {n}")
    index_arrays_do_not_broadcast = Msg("the index arrays cannot be broadcast together: {adv_shapes}")
    batch_dims_without_axis = Msg("batch_dims without an axis")
    batch_dims_do_not_fit = Msg("batch_dims {batch_dims} does not fit axis {axis}")
    cannot_sum_axes = Msg("cannot sum {axes} axes of {a} and {b}")
    tensordot_axes_not_understood = Msg("tensordot axes are not understood")
    summed_axes_differ = Msg("summed axes of sizes {a} and {b}")
    equation_not_known = Msg("the equation is not known")
    einsum_operand_count = Msg("{n_terms} operands in the equation, {n_shapes} given")
    einsum_term_unreadable = Msg("cannot read the einsum term {term!r}")
    einsum_term_does_not_fit = Msg("the einsum term {term!r} does not fit {shape}")
    einsum_label_repeats = Msg("label {label} repeats in {term!r} with sizes {a} and {b}")
    einsum_label_differs = Msg("label {label} is {a} in one operand and {b} in another")
    ellipsis_axes_do_not_broadcast = Msg("the ... axes do not broadcast")
    einsum_output_unreadable = Msg("cannot read the einsum output {rhs!r}")
    broadcast_target_not_sizes = Msg("a broadcast target must be a list of sizes")
