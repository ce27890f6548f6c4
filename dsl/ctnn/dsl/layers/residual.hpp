// residual<layers...>: y = x + f(x), f being the inner layers, checked by the same shape pass as
// a network (a failure inside names the block's index and the inner index); residual<project,
// layers...> adds a projection on the skip path when f changes the shape: a 1x1 convolution
// (with the stride that matches f's output size) for [C, H, W] or [C, L], a dense layer for
// vectors. An elementwise activation after the block is applied to the sum (ResNet's
// relu(x + f(x))). Lowers to layers::residual_stage, which runs f's own stages; its int8 form
// (ctnn::quantize) is layers::int8::block, which runs f's int8 stages.
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/dsl/layers/conv.hpp>
#include <ctnn/dsl/layers/dense.hpp>
#include <ctnn/dsl/layers/input.hpp>
#include <ctnn/dsl/layers/window.hpp>
#include <ctnn/dsl/protocol.hpp>
#include <ctnn/dsl/type_list.hpp>

#include <cstddef>
#include <string>
#include <type_traits>

namespace CTNN_NAMESPACE {
template <class... Ls>
struct network;
namespace detail {
template <class M, class T>
struct lowered;
}
namespace kernels {
struct identity_fn;
}
namespace layers {
template <class T, class Inner, class Projection, class Act, std::size_t InSize, std::size_t OutSize,
          std::size_t StepSize>
struct residual_stage;
template <class T, std::size_t In, std::size_t Out, class Act>
struct dense_stage;
namespace narrow {
struct add;
struct residual_views;
} // namespace narrow
} // namespace layers

/// The first argument of residual<project, layers...>: a projection on the skip path.
struct project {
  static std::string name() { return "project"; }
};

namespace detail {
/// Where the inner shape pass of a block stopped: the inner index, its failure code and what it
/// received (failing == npos_inner: no failure; out: the block's inner output).
struct block_walk {
  std::size_t failing = std::size_t(-1);
  int error = 0;
  dims received{}, out{};
  std::size_t params = 0, buffers = 0, macs = 0;
};
template <class... Inner>
constexpr block_walk walk_block(const dims& in) noexcept {
  constexpr layer_shape (*rules[])(const dims&) noexcept = {&Inner::infer...};
  constexpr layer_role roles[] = {Inner::role...};
  constexpr std::size_t (*counts[])(const dims&) noexcept = {&param_count_of<Inner>...};
  constexpr std::size_t (*mac_counts[])(const dims&) noexcept = {&macs_of<Inner>...};
  constexpr std::size_t (*buffer_counts[])(const dims&) noexcept = {&buffer_count_of<Inner>...};
  block_walk w{};
  dims cur = in;
  for (std::size_t j = 0; j < sizeof...(Inner); ++j) {
    if (roles[j] == layer_role::input) return {j, -1, cur, {}, 0};
    const layer_shape r = rules[j](cur);
    if (r.error != 0) return {j, r.error, cur, {}, 0};
    w.params += counts[j](cur);
    w.buffers += buffer_counts[j](cur);
    w.macs += mac_counts[j](cur);
    cur = r.out;
    cur.parts = 0; // the inputs' shapes are for the first layer only
  }
  w.out = cur;
  return w;
}

/// The skip path's 1x1 projection from in to out, if one exists: [stride per axis, ok].
constexpr std::array<std::size_t, 3> projection_stride(const dims& in, const dims& out) noexcept {
  if (in.rank != out.rank || in.rank == 0 || in.rank > 3) return {0, 0, 0};
  if (in.rank == 1) return {1, 1, 1};
  std::size_t s[2] = {1, 1};
  for (std::size_t a = 1; a < in.rank; ++a) {
    const std::size_t i = in.extent[a], o = out.extent[a];
    if (o == 0 || o > i) return {0, 0, 0};
    const std::size_t st = o == 1 ? i : (i - 1) / (o - 1);
    if (st == 0 || (i - 1) / st + 1 != o) return {0, 0, 0};
    s[a - 1] = st;
  }
  return {s[0], s[1], 1};
}

/// The layers of an inner network, without its input: type_list<Ls...>.
template <class Net>
struct inner_layers;
template <class In, class... Ls>
struct inner_layers<network<In, Ls...>> {
  using type = type_list<Ls...>;
};

template <bool Projected, class... Inner>
struct residual_base {
  static_assert(sizeof...(Inner) > 0, "residual<...>: give the block at least one layer");
  static_assert((LayerDescriptor<Inner> && ...), "residual<...>: every argument after project must be a layer");
  static_assert(!(std::is_same_v<Inner, project> || ...), "residual<...>: project comes first, once");
  static constexpr bool projected = Projected;
  static constexpr layer_role role = layer_role::stage;
  static constexpr fusion accepts = fusion::elementwise;
  /// Failure codes: an inner failure j, code e is 1000 (j + 1) + e; 1 and 2 are the block's own.
  enum error : int { none, changes_shape, no_projection };
  static constexpr layer_shape infer(const dims& in) noexcept {
    const block_walk w = walk_block<Inner...>(in);
    if (w.failing != std::size_t(-1)) return {int(1000 * (w.failing + 1)) + (w.error < 0 ? 999 : w.error), {}};
    if (!Projected && !(w.out == in)) return {changes_shape, {}};
    if (Projected && projection_stride(in, w.out)[2] == 0) return {no_projection, {}};
    return {0, w.out};
  }
  static constexpr std::size_t param_count(const dims& in) noexcept {
    const block_walk w = walk_block<Inner...>(in);
    if (!Projected) return w.params;
    return w.params + (w.out.rank == 1 ? in.size() * w.out.size() + w.out.size()
                                       : in.extent[0] * w.out.extent[0] + w.out.extent[0]);
  }
  /// The inner layers' buffers (batch_norm's running statistics), after their parameters.
  static constexpr std::size_t buffer_count(const dims& in) noexcept { return walk_block<Inner...>(in).buffers; }
  /// The inner layers' and, projected, the 1x1 projection's (one per output value and input channel).
  static constexpr std::size_t macs(const dims& in) noexcept {
    const block_walk w = walk_block<Inner...>(in);
    if (!Projected) return w.macs;
    return w.macs + (w.out.rank == 1 ? in.size() * w.out.size() : w.out.size() * in.extent[0]);
  }
  template <class Self, int E, class Index, class R>
  static constexpr auto diagnose() noexcept {
    constexpr block_walk w = walk_block<Inner...>(R::dims);
    if constexpr (E >= 1000) {
      constexpr std::size_t j = std::size_t(E / 1000 - 1);
      using inner_index = diag::in_block<Index, diag::inner_index<j>>;
      if constexpr (E % 1000 == 999)
        return std::type_identity<
            diag::input_is_not_first<inner_index, type_at<j, Inner...>, diag::fix_keep_one_input_at_index_0>>{};
      else
        return diagnosis_of<type_at<j, Inner...>, E % 1000, inner_index, CTNN_SHAPE_OF(w.received)>();
    } else {
      return std::type_identity<diag::residual_changes_the_shape<
          Index, Self, diag::receives<R>, diag::inner_output<CTNN_SHAPE_OF(w.out)>,
          std::conditional_t<E == changes_shape, diag::fix_start_the_block_with_project,
                             diag::fix_keep_the_rank_and_shrink_by_a_whole_stride>>>{};
    }
  }

  /// Composite protocol (protocol.hpp): the inner layers as a network over the block's input
  /// shape In; their values come first in the block's (the projection's follow).
  template <class In>
  using inner_networks = type_list<network<input<In>, Inner...>>;
  /// The lowered inner layers for input shape In and scalar type T.
  template <class T, class In>
  using inner = lowered<network<input<In>, Inner...>, T>;
  /// The skip path's stage (void: identity).
  template <class T, class In, class Out>
  static constexpr auto projection_type() noexcept {
    if constexpr (!Projected) {
      return std::type_identity<void>{};
    } else if constexpr (In::rank == 1) {
      return std::type_identity<layers::dense_stage<T, In::size, Out::size, kernels::identity_fn>>{};
    } else {
      constexpr auto s = projection_stride(In::dims, Out::dims);
      using conv = std::conditional_t<In::rank == 3, conv2d<Out::dims.extent[0], kernel<1>, ctnn::stride<s[0], s[1]>>,
                                      conv1d<Out::dims.extent[0], 1, ctnn::stride<s[0]>>>;
      return std::type_identity<typename conv::template stage<T, In, Out, kernels::identity_fn>>{};
    }
  }
  template <class T, class In, class Out, class Act>
  using stage = layers::residual_stage<T, inner<T, In>, typename decltype(projection_type<T, In, Out>())::type, Act,
                                       In::size, Out::size, (In::dims.sequence ? In::dims.extent[1] : 0)>;

  /// The skip path as a network over In: the input itself, or its projection (the int8 form).
  template <class In, class Out>
  static constexpr auto skip_network() noexcept {
    if constexpr (!Projected) {
      return std::type_identity<network<input<In>>>{};
    } else if constexpr (In::rank == 1) {
      return std::type_identity<network<input<In>, dense<Out::size>>>{};
    } else {
      constexpr auto s = projection_stride(In::dims, Out::dims);
      using conv = std::conditional_t<In::rank == 3, conv2d<Out::dims.extent[0], kernel<1>, ctnn::stride<s[0], s[1]>>,
                                      conv1d<Out::dims.extent[0], 1, ctnn::stride<s[0]>>>;
      return std::type_identity<network<input<In>, conv>>{};
    }
  }
  /// The narrow forms (int8: ctnn::quantize; bf16: ctnn::to_bf16), when every inner layer has
  /// one: the skip path and the inner layers as two branches, added (Form::block: layers/int8/,
  /// layers/bf16/block.hpp).
  static constexpr narrow_role narrow = narrow_role::stage;
  template <class Form, class In, class Out, bool Clamp, bool Last>
  using narrow_block = typename detail::narrow::block_of<
      Form, layers::narrow::add, layers::narrow::residual_views, In::size, Out::size, Clamp, Last,
      typename detail::narrow::inner_chain<typename decltype(skip_network<In, Out>())::type, Form>::type,
      typename detail::narrow::inner_chain<network<input<In>, Inner...>, Form>::type>::type;
  template <class In, class Out, bool Clamp, bool Last>
  using int8_stage = narrow_block<detail::narrow::int8_form, In, Out, Clamp, Last>;
  template <class In, class Out, bool Clamp, bool Last>
  using bf16_stage = narrow_block<detail::narrow::bf16_form, In, Out, Clamp, Last>;
};
} // namespace detail

/// residual<layers...> or residual<project, layers...>: see the top of this file.
template <class... Ls>
struct residual : detail::residual_base<false, Ls...> {
  /// The same block over other inner layers (type rewrites such as fold_batch_norm).
  template <class... Xs>
  using with_layers = residual<Xs...>;
  template <class Net>
  using with_inner = typename detail::apply_list<with_layers, typename detail::inner_layers<Net>::type>::type;
  template <int E, class Index, class R>
  using diagnosis = typename decltype(residual::template diagnose<residual, E, Index, R>())::type;
  static std::string name() { return "residual<" + join() + ">"; }
  static std::string block_name() { return "residual"; }
  static std::string join() {
    std::string s;
    ((s += (s.empty() ? "" : ", ") + Ls::name()), ...);
    return s;
  }
};
template <class... Ls>
struct residual<project, Ls...> : detail::residual_base<true, Ls...> {
  template <class... Xs>
  using with_layers = residual<project, Xs...>;
  template <class Net>
  using with_inner = typename detail::apply_list<with_layers, typename detail::inner_layers<Net>::type>::type;
  template <int E, class Index, class R>
  using diagnosis = typename decltype(residual::template diagnose<residual, E, Index, R>())::type;
  static std::string block_name() { return "residual<project>"; }
  static std::string name() {
    std::string s = "residual<project";
    ((s += ", " + Ls::name()), ...);
    return s + ">";
  }
};

} // namespace CTNN_NAMESPACE
