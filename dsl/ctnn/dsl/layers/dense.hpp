// dense<Units>: a fully connected layer. Lowers to layers::dense_stage (include/ctnn/layers/dense.hpp).
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/dsl/protocol.hpp>

#include <cstddef>
#include <string>

namespace CTNN_NAMESPACE {
namespace layers {
template <class T, std::size_t In, std::size_t Out, class Act>
struct dense_stage;
namespace int8 {
template <std::size_t In, std::size_t Out, bool Clamp, bool Last>
struct dense;
} // namespace int8
namespace bf16 {
template <std::size_t In, std::size_t Out, bool Clamp, bool Last>
struct dense;
} // namespace bf16
} // namespace layers

/// dense<Units>: y = W x + b.  in [N] -> out [Units]; Units * N + Units parameters. An
/// activation right after it (any, softmax too) is fused into its kernels. On a sequence it is an
/// error that suggests `last` (keep the final step) or per_step<dense<Units>> (every step).
template <std::size_t Units>
struct dense {
  static constexpr std::size_t units = Units;
  static constexpr layer_role role = layer_role::stage;
  static constexpr fusion accepts = fusion::any;
  static constexpr bool absorbs_channel_scale = true; ///< a batch_norm after it folds into it
  enum error : int { none, zero_units, expects_rank_1, receives_a_sequence };
  static constexpr layer_shape infer(const dims& in) noexcept {
    if (Units == 0) return {zero_units, {}};
    if (in.sequence) return {receives_a_sequence, {}};
    if (in.rank != 1) return {expects_rank_1, {}};
    return {none, dims{1, {Units}}};
  }
  static constexpr std::size_t param_count(const dims& in) noexcept { return Units * in.size() + Units; }
  static constexpr std::size_t macs(const dims& in) noexcept { return Units * in.size(); }
  template <int Error, class Index, class Received>
  using diagnosis = std::conditional_t<
      Error == zero_units, diag::layer_has_zero_size<Index, dense, diag::fix_give_the_layer_at_least_one_unit>,
      diag::layer_rejects_input_shape<Index, dense, diag::expects<diag::rank<1>>, diag::receives<Received>,
                                      std::conditional_t<Error == receives_a_sequence,
                                                         diag::fix_insert_last_before_this_layer_or_wrap_it_in_per_step,
                                                         diag::fix_insert_flatten_before_this_layer>>>;
  template <class T, class In, class Out, class Act>
  using stage = layers::dense_stage<T, In::size, Out::size, Act>;
  static constexpr narrow_role narrow = narrow_role::stage;
  template <class In, class Out, bool Clamp, bool Last>
  using int8_stage = layers::int8::dense<In::size, Out::size, Clamp, Last>;
  template <class In, class Out, bool Clamp, bool Last>
  using bf16_stage = layers::bf16::dense<In::size, Out::size, Clamp, Last>;
  static std::string name() { return "dense<" + std::to_string(Units) + ">"; }
};

} // namespace CTNN_NAMESPACE
