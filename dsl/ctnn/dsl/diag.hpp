// Diagnostics: the types whose names ARE the compile errors. Shape inference picks the first
// failing check and names it as one of the types below; report<> then holds a single
// static_assert(Diagnosis::ok, ...), and both GCC and Clang print that condition, i.e. the type
// with its template arguments: the layer index, the layer as written, what it expects, what it
// receives and the fix. Nothing else is instantiated from a failed check, so there is one error.
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/dsl/type_list.hpp>

#include <cstddef>

namespace CTNN_NAMESPACE::diag {

// Vocabulary that appears inside error messages. Keep the names readable: they are the text.
template <std::size_t I>
struct layer_index {};
template <std::size_t R>
struct rank {};
template <class What>
struct expects {};
template <class Shape>
struct receives {};
template <class Layer>
struct first_layer {};
template <class Shape>
struct network_output {};
template <class Shape>
struct target {};
template <class Shape>
struct network_input {};
template <class Shape>
struct dataset_input {};
template <class T>
struct network_scalar {};
template <class T>
struct dataset_scalar {};
template <std::size_t First, std::size_t Last>
struct valid_layer_indices {};
template <class Layer>
struct final_layer {};
template <int E>
struct error_code {};
template <std::size_t N>
struct size {};
struct fix_reshape_to_as_many_elements {};
template <class Block, class Inner>
struct in_block {};
template <std::size_t J>
struct inner_index {};
template <class Shape>
struct inner_output {};
struct fix_start_the_block_with_project {};
struct fix_keep_the_rank_and_shrink_by_a_whole_stride {};
struct fix_reshape_to_channels_height_width {};
struct fix_reshape_to_channels_length {};
struct fix_give_stride_and_dilation_at_least_1 {};
struct fix_use_explicit_padding_with_a_stride {};
struct fix_pad_the_input_or_use_a_smaller_window {};
struct fix_insert_flatten_before_this_layer {};
/// What a recurrent layer or `last` expects: a sequence<Steps, Features>.
struct a_sequence {};
/// What batch_norm expects: features [F] or channel maps [C, L] / [C, H, W], not a sequence.
struct features_or_channel_maps {};
struct fix_use_layer_norm_on_sequences {};
struct fix_use_prelu_with_one_slope_on_sequences {};
struct fix_give_a_factor_of_at_least_1 {};
struct fix_keep_output_padding_below_the_stride_or_dilation {};
template <class Layer>
struct previous_layer {};
struct fix_put_batch_norm_right_after_dense_or_conv {};
struct fix_declare_the_input_as_sequence_steps_features {};
/// What conv2d over time expects: sequence<Steps, Features, Channels>, each step a frame.
struct a_sequence_of_frames {};
struct fix_declare_the_input_as_sequence_steps_features_channels {};
/// A vector layer after a sequence: `last` keeps the final step (one output per sequence), or
/// per_step<Layer> applies it to every step (one output per step).
struct fix_insert_last_before_this_layer_or_wrap_it_in_per_step {};
/// per_step<Layer> on something that is not a sequence: use Layer without per_step.
struct fix_use_the_layer_itself_on_vectors {};
struct fix_give_per_step_a_layer_with_vector_output {};
/// A network whose output is a sequence trained on vector targets: end the sequence with `last`
/// before the layers that make one prediction.
struct fix_insert_last_before_the_layers_that_predict_once_per_sequence {};
struct fix_make_the_network_and_the_dataset_with_one_scalar_type {};
struct fix_add_a_layer_with_parameters_such_as_dense {};
struct fix_drop_the_final_softmax_the_loss_applies_it {};
struct fix_drop_the_final_sigmoid_the_loss_applies_it {};
struct fix_give_the_layer_at_least_one_unit {};
struct fix_give_a_probability_num_over_den_in_0_1 {};
struct fix_give_every_dimension_a_positive_extent {};
struct fix_start_the_network_with_input_shape {};
struct fix_put_the_activation_after_input_and_a_layer {};
struct fix_keep_one_input_at_index_0 {};
struct fix_use_a_ctnn_layer_like_dense_or_relu {};

/// The diagnosis of a well-formed network.
struct no_error {
  static constexpr bool ok = true;
};

template <class Index, class Layer, class Expected, class Received, class Fix>
struct layer_rejects_input_shape {
  static constexpr bool ok = false;
};

template <class Index, class Layer, class Fix>
struct layer_has_zero_stride_or_dilation {
  static constexpr bool ok = false;
};
template <class Index, class Layer, class Fix>
struct same_padding_needs_stride_1 {
  static constexpr bool ok = false;
};
/// The window (kernel or pool window, dilated) does not fit the padded input: no output.
template <class Index, class Layer, class Received, class Fix>
struct window_larger_than_padded_input {
  static constexpr bool ok = false;
};

/// residual<...> whose inner layers end in another shape than they start with.
template <class Index, class Layer, class Received, class InnerOutput, class Fix>
struct residual_changes_the_shape {
  static constexpr bool ok = false;
};

/// parallel<Merge, branch<...>...> whose branch outputs Merge cannot join: Outputs is
/// branch_outputs<branch_output<branch_index<B>, Shape>...>.
template <std::size_t B>
struct branch_index {};
template <class Branch, class Inner>
struct in_branch {};
template <class Branch, class Shape>
struct branch_output {};
template <class... Outputs>
struct branch_outputs {};
template <class Merge>
struct merge {};
struct fix_give_every_branch_the_same_output_shape {};
struct fix_give_every_branch_the_same_rank_and_extents_but_the_first {};
template <class Index, class Block, class Merge, class Received, class Outputs, class Fix>
struct branches_cannot_be_merged {
  static constexpr bool ok = false;
};

/// A layer after one that ends the network (heads<...>): Following is the layer after it.
template <class Layer>
struct following_layer {};
struct fix_put_the_layer_inside_each_head {};
template <class Index, class Layer, class Following, class Fix>
struct nothing_may_follow {
  static constexpr bool ok = false;
};

/// A network with several heads trained or evaluated with another number of losses.
template <std::size_t N>
struct head_count {};
template <std::size_t N>
struct loss_count {};
struct fix_give_loss_heads_one_loss_per_head_in_order {};
template <class Heads, class Losses, class Fix>
struct head_count_differs_from_loss_count {
  static constexpr bool ok = false;
};

/// Several inputs (inputs<...>): from<I> where there are no inputs to read, or no input I; a
/// block right after inputs<...> none of whose branches reads input I.
template <std::size_t I>
struct input_index {};
struct fix_put_from_first_in_a_branch_of_the_block_right_after_inputs {};
struct fix_read_one_of_the_declared_inputs {};
struct fix_read_every_input_with_from_in_some_branch {};
template <class Index, class Layer, class Received, class Fix>
struct from_reads_no_inputs {
  static constexpr bool ok = false;
};
template <class Index, class Layer, class Received, class Fix>
struct no_such_input {
  static constexpr bool ok = false;
};
template <class Index, class Block, class Input, class Received, class Fix>
struct input_read_by_no_branch {
  static constexpr bool ok = false;
};

/// conv2d/conv1d with groups<G> whose input channels or filters are not a multiple of G.
struct fix_make_channels_and_filters_multiples_of_the_groups {};
template <class Index, class Layer, class Received, class Fix>
struct groups_do_not_divide_channels {
  static constexpr bool ok = false;
};

/// A user's layer whose descriptor gives no diagnosis for its failure code E.
template <class Index, class Layer, class Received, class Code>
struct layer_rejects_input {
  static constexpr bool ok = false;
};

template <class Index, class Argument, class Fix>
struct not_a_layer {
  static constexpr bool ok = false;
};

template <class Index, class Layer, class Fix>
struct layer_has_zero_size {
  static constexpr bool ok = false;
};

template <class Index, class Layer, class Fix>
struct input_shape_is_empty {
  static constexpr bool ok = false;
};

template <class First, class Fix>
struct network_has_no_input {
  static constexpr bool ok = false;
};

template <class Index, class Layer, class Fix>
struct activation_before_input {
  static constexpr bool ok = false;
};

template <class Index, class Layer, class Fix>
struct input_is_not_first {
  static constexpr bool ok = false;
};

template <class Fix>
struct network_is_empty {
  static constexpr bool ok = false;
};

template <class Loss, class Output, class Target, class Expected, class Fix>
struct loss_target_mismatch {
  static constexpr bool ok = false;
};
/// A one-hot target where the loss takes class indices (softmax_cross_entropy, nll).
struct fix_give_each_sample_its_class_index_as_a_shape_1_target {};
struct fix_make_the_targets_the_expected_shape {};

template <class Input, class DatasetInput, class Fix>
struct dataset_input_mismatch {
  static constexpr bool ok = false;
};
/// The dataset holds as many values per sample in another shape: declare the network's input as
/// the dataset's shape and reshape it (e.g. input<shape<64>>, reshape<1, 8, 8>).
template <class Input, class Reshape>
struct fix_declare_the_input_as_the_dataset_shape_then_reshape {};
struct fix_make_the_dataset_with_the_network_input_shape {};

template <class Network, class Dataset, class Fix>
struct dataset_scalar_mismatch {
  static constexpr bool ok = false;
};

template <class Index, class Valid>
struct layer_index_out_of_range {
  static constexpr bool ok = false;
};

template <class Index, class Layer, class Fix>
struct dropout_probability_out_of_range {
  static constexpr bool ok = false;
};

template <class Index, class Layer, class Expected, class Received, class Fix>
struct batch_norm_unsupported_rank {
  static constexpr bool ok = false;
};
/// conv_transpose2d: output_padding not smaller than its stride or dilation (PyTorch's rule).
template <class Index, class Layer, class Fix>
struct output_padding_too_large {
  static constexpr bool ok = false;
};
/// fold_batch_norm: a batch_norm whose previous layer cannot take its scale and shift.
template <class Index, class Layer, class Previous, class Fix>
struct batch_norm_cannot_fold {
  static constexpr bool ok = false;
};

// Embedded weights (ctnn/interop/embedded.hpp) generated for another topology: the first layer where
// the network being made and the weights' topology differ (no_layer past either one's end).
template <class Layer>
struct network_layer {};
template <class Layer>
struct weights_layer {};
struct no_layer {};
template <class Index, class NetworkLayer, class WeightsLayer>
struct embedded_weights_for_another_topology {
  static constexpr bool ok = false;
};

template <class Index, class Layer>
struct layer_has_no_parameters {
  static constexpr bool ok = false;
};

template <class Input, class Fix>
struct network_has_no_parameters {
  static constexpr bool ok = false;
};

/// net.step(...) on a network whose input is not a sequence<Steps, Features>: nothing to step.
template <class Input, class Fix>
struct network_has_no_time_steps {
  static constexpr bool ok = false;
};

/// net.step(...) through a stage that cannot run one time step at a time, before the one that ends
/// the sequence (a conv1d over time that is not causal at stride 1, a user's stage without the
/// stream members): Stage is the lowered stage (its descriptor is in its name), Index its stage
/// index.
template <std::size_t I>
struct stage_index {};
template <class Index, class Stage, class Fix>
struct stage_cannot_step {
  static constexpr bool ok = false;
};
/// Only stages that keep their own state step: recurrent layers, causal stride-1 conv1d over time,
/// per_step<...> and elementwise activations, blocks of them (and layers/stage.hpp's members).
struct fix_make_the_layers_before_last_recurrent_causal_or_per_step {};

template <class Loss, class Index, class Final, class Fix>
struct loss_applies_the_final_activation {
  static constexpr bool ok = false;
};

// Which member of the stage protocol (ctnn/layers/stage.hpp) a layer's stage lacks: the first
// one, in the order of the Stage concept.
struct in_size_out_size_and_out_stride {};
struct param_size_and_param_count {};
struct kept_stride {};
struct forward_one_sample {};
struct forward_batch {};
struct backward {};
struct import_params_and_export_params {};
struct initialize {};
template <class Layer, class Stage, class Member>
struct stage_lacks_member {
  static constexpr bool ok = false;
};
template <class Diagnosis>
struct stage_report {
  using type = Diagnosis;
  static_assert(Diagnosis::ok, "ctnn: a layer's stage does not follow the stage protocol (ctnn/layers/stage.hpp); "
                               "the failed condition names the layer, its stage and the first missing member");
};

/// The one static_assert of a trainer<...> whose network cannot be trained with its loss.
template <class Diagnosis>
struct trainer_report {
  using type = Diagnosis;
  static_assert(Diagnosis::ok, "ctnn: trainer: this network cannot be trained with this loss. The failed condition "
                               "names the problem and how to fix it.");
};

// Two networks used together (gan_trainer, chain): the shapes that must agree.
template <class Shape>
struct generator_output {};
template <class Shape>
struct discriminator_input {};
template <class Shape>
struct discriminator_output {};
template <class Shape>
struct encoder_output {};
template <class Shape>
struct decoder_input {};
struct fix_end_the_generator_with_the_discriminators_input_shape {};
struct fix_end_the_discriminator_with_dense_1 {};
struct fix_start_the_decoder_with_the_encoders_output_shape {};
template <class GeneratorOutput, class DiscriminatorInput, class Fix>
struct generator_output_is_not_discriminator_input {
  static constexpr bool ok = false;
};
template <class DiscriminatorOutput, class Fix>
struct discriminator_output_is_not_one_logit {
  static constexpr bool ok = false;
};
template <class EncoderOutput, class DecoderInput, class Fix>
struct decoder_input_is_not_encoder_output {
  static constexpr bool ok = false;
};
/// ctnn::quantize on a network with a layer that has no integer form yet (dense, conv1d/conv2d
/// without groups, max pools, relu, and residual<...> and parallel<concat | add, ...> blocks of
/// such layers have; dropout and flatten are left out of the integer network; the last layer
/// with parameters must be dense or conv). A layer inside a block is named by its place there
/// (in_block<layer_index<I>, inner_index<J>>, with in_branch<branch_index<B>, ...> in parallel).
template <class Index, class Layer, class Fix>
struct layer_has_no_integer_form {
  static constexpr bool ok = false;
};
struct fix_quantize_networks_of_dense_conv_max_pool_and_relu {};
/// quantize_sparse takes input<shape<F>>, dense<64 n>, hardtanh_range<0, 1>, then pairs of dense
/// and hardtanh_range<0, 1>, then a last dense.
struct fix_quantize_sparse_dense_64n_then_dense_and_hardtanh_range_0_1_pairs_then_dense {};
/// to_bf16 takes networks of dense layers and relu (dropout and flatten are left out).
struct fix_bf16_networks_of_dense_and_relu {};

/// Integer weights whose sums could overflow int32 for some input: the layer, its worst-case sum
/// (|bias| + sum |w| * the largest input, over its outputs) and the limit.
template <class Layer, class WorstCase, class Fix>
struct int8_sums_could_overflow {
  static constexpr bool ok = false;
};
template <long long Value>
struct worst_case_sum {};
struct fix_scale_the_weights_down_or_clip_the_inputs_lower {};
/// An int8 network embedded as constexpr values (make_embedded) whose values could overflow the
/// int32 sums of a stage: the stage's layer (its index in network<...>) and its worst-case sum.
template <class Index, class Layer, class WorstCase, class Fix>
struct embedded_int8_sums_could_overflow {
  static constexpr bool ok = false;
};
struct fix_regenerate_the_header_from_a_quantized_network {};

/// The one static_assert of a gan_trainer<...> or chain<...> whose networks do not fit together.
template <class Diagnosis>
struct pairing_report {
  using type = Diagnosis;
  static_assert(Diagnosis::ok, "ctnn: these two networks do not fit together; the failed condition names the "
                               "shapes that differ and the fix");
};

/// The one static_assert of a network<...>: its failing condition, printed by the compiler,
/// is the diagnosis type with all its facts.
template <class Diagnosis>
struct report {
  using type = Diagnosis; // before the assertion: Clang drops members declared after a failed one
  static_assert(Diagnosis::ok, "ctnn: this network<...> does not type-check. The failed condition names the first "
                               "problem: the layer index (input<> is 0), the layer, what it expects, what it "
                               "receives and how to fix it.");
};

} // namespace CTNN_NAMESPACE::diag
