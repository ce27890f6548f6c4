// dropout<Num, Den>: inverted dropout with probability p = Num / Den, as PyTorch's nn.Dropout(p).
// Lowers to layers::dropout_stage (include/ctnn/layers/dropout.hpp).
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/dsl/protocol.hpp>

#include <cstddef>
#include <string>

namespace CTNN_NAMESPACE {
namespace layers {
template <class T, std::size_t N, std::size_t Num, std::size_t Den>
struct dropout_stage;
} // namespace layers

/// dropout<Num, Den>: in training each element is zeroed with probability p = Num / Den and the
/// others are scaled by 1 / (1 - p) (PyTorch's inverted dropout); at inference it is the
/// identity and costs nothing (net(x), predict and streams skip it). dropout<1, 5> is p = 0.2.
/// The masks come from the trainer's seed and step count: a seed reproduces a run, on one core
/// or two. Any shape; p must be in [0, 1).
template <std::size_t Num, std::size_t Den>
struct dropout {
  static constexpr double p = Den == 0 ? 1.0 : double(Num) / double(Den);
  static constexpr layer_role role = layer_role::stage;
  enum error : int { none, probability_out_of_range };
  static constexpr layer_shape infer(const dims& in) noexcept {
    if (Den == 0 || Num >= Den) return {probability_out_of_range, {}};
    return {none, in};
  }
  template <int, class Index, class>
  using diagnosis =
      diag::dropout_probability_out_of_range<Index, dropout, diag::fix_give_a_probability_num_over_den_in_0_1>;
  template <class T, class In, class Out, class>
  using stage = layers::dropout_stage<T, In::size, Num, Den>;
  static constexpr narrow_role narrow = narrow_role::identity; ///< nothing at inference
  static std::string name() { return "dropout<" + std::to_string(Num) + ", " + std::to_string(Den) + ">"; }
};

} // namespace CTNN_NAMESPACE
