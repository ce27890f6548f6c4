// network<Ls...>: a topology as a type. Shape inference is one constexpr loop over the layer
// list; its first failure becomes exactly one diagnostic (diag.hpp); lowering groups the layers
// into fused stages (dense + its activation).
#pragma once

#include <ctnn/core/shape.hpp>
#include <ctnn/dsl/descriptors.hpp>
#include <ctnn/dsl/diag.hpp>
#include <ctnn/dsl/type_list.hpp>

#include <array>
#include <cstddef>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

namespace ctnn {

namespace detail {

inline constexpr std::size_t npos = std::numeric_limits<std::size_t>::max();

enum class network_problem { none, empty, not_a_layer, no_input, activation_before_input, input_not_first, layer };

/// Index of the first argument that is not a LayerDescriptor, or npos. A braced list, not a
/// fold over && (Clang 14 limits folds to 256 operands; networks may be deeper).
template <class... Ls>
constexpr std::size_t first_non_descriptor() noexcept {
  constexpr bool is_layer[] = {LayerDescriptor<Ls>..., true};
  for (std::size_t i = 0; i < sizeof...(Ls); ++i)
    if (!is_layer[i]) return i;
  return npos;
}

/// Each layer's kind (all `input` if some argument is not a layer: never used then).
template <class... Ls>
constexpr std::array<layer_kind, sizeof...(Ls)> kinds_of() noexcept {
  if constexpr (first_non_descriptor<Ls...>() == npos)
    return {Ls::kind...};
  else
    return {};
}

/// Result of shape inference over N layers: every layer's output dims, or the first failure.
template <std::size_t N>
struct network_analysis {
  network_problem problem = network_problem::none;
  std::size_t failing = npos; ///< layer index of the first failure
  shape_error error = shape_error::none;
  dims received{};           ///< what the failing layer received
  std::array<dims, N> out{}; ///< output dims of each layer
};

/// Shape inference: one constexpr loop, no recursion over the layer list.
template <class... Ls>
constexpr auto analyze() noexcept {
  constexpr std::size_t n = sizeof...(Ls);
  network_analysis<n> a{};
  if constexpr (n == 0) {
    a.problem = network_problem::empty;
  } else if constexpr (first_non_descriptor<Ls...>() != npos) {
    a.problem = network_problem::not_a_layer;
    a.failing = first_non_descriptor<Ls...>();
  } else {
    constexpr layer_kind kinds[] = {Ls::kind...};
    constexpr layer_shape (*rules[])(const dims&) noexcept = {&Ls::infer...};
    if (kinds[0] != layer_kind::input) {
      a.problem =
          kinds[0] == layer_kind::activation ? network_problem::activation_before_input : network_problem::no_input;
      a.failing = 0;
      return a;
    }
    dims current{};
    for (std::size_t i = 0; i < n; ++i) {
      if (i > 0 && kinds[i] == layer_kind::input) {
        a.problem = network_problem::input_not_first;
        a.failing = i;
        return a;
      }
      const layer_shape r = rules[i](current);
      if (r.error != shape_error::none) {
        a.problem = network_problem::layer;
        a.failing = i;
        a.error = r.error;
        a.received = current;
        return a;
      }
      a.out[i] = current = r.out;
    }
  }
  return a;
}

/// The first failure as a diag:: type (diag::no_error if there is none). Computed, never
/// instantiated as an error itself, so that the network's single static_assert reports it.
template <class... Ls>
constexpr auto diagnose() noexcept {
  constexpr auto a = analyze<Ls...>();
  constexpr std::size_t i = a.failing;
  if constexpr (a.problem == network_problem::none) {
    return std::type_identity<diag::no_error>{};
  } else if constexpr (a.problem == network_problem::empty) {
    return std::type_identity<diag::network_is_empty<diag::fix_start_the_network_with_input_shape>>{};
  } else if constexpr (a.problem == network_problem::not_a_layer) {
    return std::type_identity<
        diag::not_a_layer<diag::layer_index<i>, type_at<i, Ls...>, diag::fix_use_a_ctnn_layer_like_dense_or_relu>>{};
  } else if constexpr (a.problem == network_problem::no_input) {
    return std::type_identity<diag::network_has_no_input<diag::first_layer<type_at<0, Ls...>>,
                                                         diag::fix_start_the_network_with_input_shape>>{};
  } else if constexpr (a.problem == network_problem::activation_before_input) {
    return std::type_identity<diag::activation_before_input<diag::layer_index<0>, type_at<0, Ls...>,
                                                            diag::fix_put_the_activation_after_input_and_a_layer>>{};
  } else if constexpr (a.problem == network_problem::input_not_first) {
    return std::type_identity<
        diag::input_is_not_first<diag::layer_index<i>, type_at<i, Ls...>, diag::fix_keep_one_input_at_index_0>>{};
  } else if constexpr (a.error == shape_error::expects_rank_1) {
    return std::type_identity<diag::layer_rejects_input_shape<
        diag::layer_index<i>, type_at<i, Ls...>, diag::expects<diag::rank<1>>,
        diag::receives<shape_of<a.received.rank, a.received.extent[0], a.received.extent[1], a.received.extent[2],
                                a.received.extent[3]>>,
        diag::fix_insert_flatten_before_this_layer>>{};
  } else if constexpr (a.error == shape_error::zero_units) {
    return std::type_identity<diag::layer_has_zero_size<diag::layer_index<i>, type_at<i, Ls...>,
                                                        diag::fix_give_the_layer_at_least_one_unit>>{};
  } else {
    static_assert(a.error == shape_error::empty_input_shape);
    return std::type_identity<diag::input_shape_is_empty<diag::layer_index<i>, type_at<i, Ls...>,
                                                         diag::fix_give_every_dimension_a_positive_extent>>{};
  }
}

enum class stage_kind { dense, activation };

/// One fused stage of the lowered network: a dense layer with the activation that follows it
/// (fused into its kernels), or a standalone activation.
struct stage_plan {
  stage_kind kind = stage_kind::dense;
  std::size_t layer = 0;         ///< layer index of the dense layer or the activation
  std::size_t activation = npos; ///< layer index of the activation applied, npos = identity
  std::size_t in = 0;            ///< input size (flattened)
  std::size_t out = 0;           ///< output size
};

/// Groups a valid network's layers into stages. Flatten and input produce no stage.
template <std::size_t S, std::size_t N>
constexpr std::array<stage_plan, S> plan_stages(const std::array<layer_kind, N>& kinds,
                                                const std::array<dims, N>& out) noexcept {
  std::array<stage_plan, S> stages{};
  if constexpr (S == 0) return stages; // also the ill-formed case: plan nothing
  std::size_t s = 0;
  for (std::size_t i = 1; i < N; ++i) {
    const std::size_t in = out[i - 1].size();
    if (kinds[i] == layer_kind::dense) {
      stage_plan p{stage_kind::dense, i, npos, in, out[i].size()};
      if (i + 1 < N && kinds[i + 1] == layer_kind::activation) p.activation = ++i;
      stages[s++] = p;
    } else if (kinds[i] == layer_kind::activation) {
      stages[s++] = stage_plan{stage_kind::activation, i, i, in, in};
    }
  }
  return stages;
}

template <std::size_t N>
constexpr std::size_t count_stages(const std::array<layer_kind, N>& kinds) noexcept {
  std::size_t s = 0;
  for (std::size_t i = 1; i < N; ++i) {
    if (kinds[i] == layer_kind::dense) {
      ++s;
      if (i + 1 < N && kinds[i + 1] == layer_kind::activation) ++i;
    } else if (kinds[i] == layer_kind::activation) {
      ++s;
    }
  }
  return s;
}

} // namespace detail

/// network<input<shape<...>>, layers...>: a topology as a type.
///
/// Layer indices are positions in the argument list, input<> being 0; they are the numbers used
/// in diagnostics, net.layer<I>(), summaries and weight-file fingerprints. If the shapes do not
/// chain, instantiating the network gives one static_assert naming the first failing layer; the
/// members below then take inert values so no second error follows.
template <class... Ls>
struct network {
  static constexpr std::size_t layer_count = sizeof...(Ls);
  static constexpr auto analysis = detail::analyze<Ls...>();

  /// diag::no_error, or the diag:: type naming the first failing layer.
  using diagnosis = typename decltype(detail::diagnose<Ls...>())::type;
  static constexpr bool valid = diagnosis::ok;

  template <std::size_t I>
  using layer = detail::type_at<I, Ls...>;

  static constexpr std::array<layer_kind, layer_count> kinds = detail::kinds_of<Ls...>();
  /// Output dims of layer I (valid networks only).
  static constexpr dims layer_output(std::size_t i) noexcept { return analysis.out[i]; }

private:
  static constexpr dims first = valid ? analysis.out[0] : dims{1, {1}};
  static constexpr dims last = valid ? analysis.out[layer_count - 1] : dims{1, {1}};

public:
  /// The shape of one input sample and of one output (shape<1> for an ill-formed network, so
  /// that its one diagnostic is not followed by others).
  using input_shape = shape_of<first.rank, first.extent[0], first.extent[1], first.extent[2], first.extent[3]>;
  using output_shape = shape_of<last.rank, last.extent[0], last.extent[1], last.extent[2], last.extent[3]>;

  static constexpr std::size_t stage_count = valid ? detail::count_stages(kinds) : 0;
  static constexpr auto stages = detail::plan_stages<stage_count>(kinds, analysis.out);

  /// Each layer as written, e.g. {"input<shape<32>>", "dense<64>", "relu"}.
  static std::vector<std::string> layer_names() { return {Ls::name()...}; }

  /// Number of trainable parameters, counted as PyTorch counts them.
  static constexpr std::size_t param_count = [] {
    std::size_t n = 0;
    for (const auto& s : stages)
      if (s.kind == detail::stage_kind::dense) n += s.in * s.out + s.out;
    return n;
  }();

  /// Instantiating the network instantiates its report, whose static_assert prints the diagnosis.
  /// The assertion lives in diag::report, not here: Clang marks a class whose own static_assert
  /// failed as invalid, and every later use of its members would add errors.
  using checked = typename diag::report<diagnosis>::type;
};

namespace detail {
template <class T>
struct is_network : std::false_type {};
template <class... Ls>
struct is_network<network<Ls...>> : std::true_type {};
} // namespace detail

/// Model: a ctnn::network<...> type.
template <class T>
concept Model = detail::is_network<T>::value;

} // namespace ctnn
