// Recurrent layers: rnn<Hidden> (tanh; rnn<Hidden, relu>), lstm<Hidden>, gru<Hidden>, each
// sequence<T, F> -> sequence<T, Hidden>, and `last` (sequence<T, F> -> shape<F>, the final
// step). Lower to layers::recurrent_stage and layers::last_stage
// (include/ctnn/layers/recurrent.hpp).
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/dsl/layers/activation.hpp>
#include <ctnn/dsl/protocol.hpp>

#include <cstddef>
#include <string>
#include <type_traits>

namespace CTNN_NAMESPACE {
namespace kernels {
enum class cell_kind;
} // namespace kernels
namespace layers {
template <class T, kernels::cell_kind K, std::size_t Steps, std::size_t F, std::size_t H>
struct recurrent_stage;
template <class T, std::size_t Steps, std::size_t F>
struct last_stage;
} // namespace layers

namespace detail {
/// What the recurrent descriptors share: the shape rule and its diagnostics. Self is the
/// descriptor; Kind its kernels::cell_kind (as an int: the enum is declared, not defined, here);
/// Gates its gate blocks.
template <class Self, int Kind, std::size_t Hidden, std::size_t Gates>
struct recurrent_base {
  static constexpr std::size_t hidden = Hidden;
  static constexpr layer_role role = layer_role::stage;
  enum error : int { none, zero_hidden, expects_a_sequence };
  static constexpr layer_shape infer(const dims& in) noexcept {
    if (Hidden == 0) return {zero_hidden, {}};
    if (!in.sequence) return {expects_a_sequence, {}};
    return {none, dims{2, {in.extent[0], Hidden}, true}};
  }
  /// PyTorch's count: weight_ih, weight_hh and two biases per gate block.
  static constexpr std::size_t param_count(const dims& in) noexcept {
    return Gates * Hidden * (in.extent[1] + Hidden + 2);
  }
  /// Per step, the two affine maps of every gate block.
  static constexpr std::size_t macs(const dims& in) noexcept {
    return in.extent[0] * Gates * Hidden * (in.extent[1] + Hidden);
  }
  template <int Error, class Index, class Received>
  using diagnosis = std::conditional_t<
      Error == zero_hidden, diag::layer_has_zero_size<Index, Self, diag::fix_give_the_layer_at_least_one_unit>,
      diag::layer_rejects_input_shape<Index, Self, diag::expects<diag::a_sequence>, diag::receives<Received>,
                                      diag::fix_declare_the_input_as_sequence_steps_features>>;
  template <class T, class In, class Out, class>
  using stage = layers::recurrent_stage<T, kernels::cell_kind(Kind), In::steps, In::features, Hidden>;
};
} // namespace detail

/// rnn<Hidden, Act>: h_t = Act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh), Act tanh (default) or
/// relu, as PyTorch's nn.RNN(nonlinearity=...).
template <std::size_t Hidden, class Act = tanh>
struct rnn : detail::recurrent_base<rnn<Hidden, Act>, std::is_same_v<Act, relu> ? 1 : 0, Hidden, 1> {
  static_assert(std::is_same_v<Act, tanh> || std::is_same_v<Act, relu>,
                "ctnn::rnn<Hidden, Act>: Act is tanh or relu (PyTorch's nonlinearities)");
  static std::string name() { return "rnn<" + std::to_string(Hidden) + (std::is_same_v<Act, relu> ? ", relu>" : ">"); }
};

/// lstm<Hidden>: PyTorch's nn.LSTM, gates i, f, g, o; c_t = f c_{t-1} + i g, h_t = o tanh(c_t).
template <std::size_t Hidden>
struct lstm : detail::recurrent_base<lstm<Hidden>, 2, Hidden, 4> {
  static std::string name() { return "lstm<" + std::to_string(Hidden) + ">"; }
};

/// gru<Hidden>: PyTorch's nn.GRU, gates r, z, n; n = tanh(W_in x + b_in + r (W_hn h + b_hn)),
/// h_t = (1 - z) n + z h_{t-1}.
template <std::size_t Hidden>
struct gru : detail::recurrent_base<gru<Hidden>, 3, Hidden, 3> {
  static std::string name() { return "gru<" + std::to_string(Hidden) + ">"; }
};

/// last: sequence<T, F> -> shape<F>, the final time step (what PyTorch code writes as
/// output[:, -1]). In a stream (net.step), the current step.
struct last {
  static constexpr layer_role role = layer_role::stage;
  enum error : int { none, expects_a_sequence };
  static constexpr layer_shape infer(const dims& in) noexcept {
    if (!in.sequence) return {expects_a_sequence, {}};
    return {none, dims{1, {in.extent[1]}}};
  }
  template <int, class Index, class Received>
  using diagnosis =
      diag::layer_rejects_input_shape<Index, last, diag::expects<diag::a_sequence>, diag::receives<Received>,
                                      diag::fix_declare_the_input_as_sequence_steps_features>;
  template <class T, class In, class Out, class>
  using stage = layers::last_stage<T, In::steps, In::features>;
  static std::string name() { return "last"; }
};

} // namespace CTNN_NAMESPACE
