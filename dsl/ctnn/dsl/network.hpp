// network<Ls...>: a topology as a type. Shape inference is one constexpr loop over the layers'
// own shape rules; its first failure becomes exactly one diagnostic (the failing layer's own, or
// one of the structural ones in diag.hpp); lowering groups the layers into fused stages by their
// roles (protocol.hpp). Nothing here names a layer kind.
#pragma once

#include <ctnn/core/config.hpp>
#include <ctnn/core/shape.hpp>
#include <ctnn/dsl/descriptors.hpp>
#include <ctnn/dsl/diag.hpp>
#include <ctnn/dsl/protocol.hpp>
#include <ctnn/dsl/type_list.hpp>

#include <array>
#include <cstddef>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

namespace CTNN_NAMESPACE {

namespace detail {

inline constexpr std::size_t npos = std::numeric_limits<std::size_t>::max();

enum class network_problem {
  none,
  empty,
  not_a_layer,
  no_input,
  activation_before_input,
  input_not_first,
  after_the_end,
  layer
};

/// Index of the first argument that is not a LayerDescriptor, or npos. A braced list, not a
/// fold over && (Clang 14 limits folds to 256 operands; networks may be deeper).
template <class... Ls>
constexpr std::size_t first_non_descriptor() noexcept {
  constexpr bool is_layer[] = {LayerDescriptor<Ls>..., true};
  for (std::size_t i = 0; i < sizeof...(Ls); ++i)
    if (!is_layer[i]) return i;
  return npos;
}

/// What the planner reads of each layer.
struct layer_traits {
  layer_role role = layer_role::input;
  fusion accepts = fusion::none;
  bool elementwise = true;
  bool ends = false; ///< no layer may follow (ends_the_network)
};
template <class... Ls>
constexpr std::array<layer_traits, sizeof...(Ls)> traits_of() noexcept {
  if constexpr (first_non_descriptor<Ls...>() == npos)
    return {layer_traits{Ls::role, accepts_of<Ls>(), elementwise_of<Ls>(), ends_the_network_of<Ls>()}...};
  else
    return {};
}

/// Result of shape inference over N layers: every layer's output dims, or the first failure.
template <std::size_t N>
struct network_analysis {
  network_problem problem = network_problem::none;
  std::size_t failing = npos; ///< layer index of the first failure
  int error = 0;              ///< the failing layer's own failure code
  dims received{};            ///< what the failing layer received
  std::array<dims, N> out{};  ///< output dims of each layer
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
    constexpr auto traits = traits_of<Ls...>();
    constexpr layer_shape (*rules[])(const dims&) noexcept = {&Ls::infer...};
    if (traits[0].role != layer_role::input) {
      a.problem = traits[0].role == layer_role::activation ? network_problem::activation_before_input
                                                           : network_problem::no_input;
      a.failing = 0;
      return a;
    }
    dims current{};
    for (std::size_t i = 0; i < n; ++i) {
      if (i > 0 && traits[i].role == layer_role::input) {
        a.problem = network_problem::input_not_first;
        a.failing = i;
        return a;
      }
      if (i > 0 && traits[i - 1].ends) {
        a.problem = network_problem::after_the_end;
        a.failing = i;
        return a;
      }
      const layer_shape r = rules[i](current);
      if (r.error != 0) {
        a.problem = network_problem::layer;
        a.failing = i;
        a.error = r.error;
        a.received = current;
        return a;
      }
      current = r.out;
      if (i > 0) current.parts = 0; // the shapes of inputs<...> are for the layer right after it
      a.out[i] = current;
    }
  }
  return a;
}

/// The shape type layer 0 declares (input<S>: S; inputs<S...>: itself), else Fallback.
template <bool Declared, class First, class Fallback>
constexpr auto declared_input() noexcept {
  if constexpr (Declared && requires { typename First::shape_type; })
    return std::type_identity<typename First::shape_type>{};
  else
    return std::type_identity<Fallback>{};
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
  } else if constexpr (a.problem == network_problem::after_the_end) {
    using end = type_at<i - 1, Ls...>;
    return std::type_identity<diag::nothing_may_follow<
        diag::layer_index<i - 1>, end, diag::following_layer<type_at<i, Ls...>>, typename end::fix_following>>{};
  } else {
    // layer 1 receives the input as declared (inputs<S...> names each input)
    using received =
        typename decltype(declared_input<i == 1, type_at<0, Ls..., void>, CTNN_SHAPE_OF(a.received)>())::type;
    return diagnosis_of<type_at<i, Ls...>, a.error, diag::layer_index<i>, received>();
  }
}

/// The network's outputs: the last layer's parts<In> (heads<...>: one shape per head), else
/// the one output shape.
template <bool Valid, class Last, class In, class Out>
constexpr auto output_parts_of() noexcept {
  if constexpr (Valid && requires { typename Last::template parts<In>; })
    return std::type_identity<typename Last::template parts<In>>{};
  else
    return std::type_identity<type_list<Out>>{};
}

/// One fused stage of the lowered network: layer `layer` with the activation at layer index
/// `activation` fused into its kernels (npos: none).
struct stage_plan {
  std::size_t layer = 0;
  std::size_t activation = npos;
};

/// The stages of a valid network (at most one per layer): input and views make none; an
/// activation joins the stage right before it if that stage accepts it and has none yet.
template <std::size_t N>
struct network_plan {
  std::size_t count = 0;
  std::array<stage_plan, N> stages{};
};
template <std::size_t N>
constexpr network_plan<N> plan_stages(const std::array<layer_traits, N>& t, bool valid) noexcept {
  network_plan<N> p{};
  if (!valid) return p; // plan nothing for an ill-formed network: its diagnostic is the only error
  for (std::size_t i = 1; i < N; ++i) {
    if (t[i].role == layer_role::view) continue;
    if (t[i].role == layer_role::activation && p.count > 0) {
      stage_plan& last = p.stages[p.count - 1];
      const fusion f = t[last.layer].accepts;
      if (last.layer == i - 1 && last.activation == npos &&
          (f == fusion::any || (f == fusion::elementwise && t[i].elementwise))) {
        last.activation = i;
        continue;
      }
    }
    p.stages[p.count++] = stage_plan{i, npos};
  }
  return p;
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

  /// Output dims of layer I (valid networks only).
  static constexpr dims layer_output(std::size_t i) noexcept { return analysis.out[i]; }
  /// Input dims of layer I >= 1 (the output of layer I - 1).
  static constexpr dims layer_input(std::size_t i) noexcept { return analysis.out[i - 1]; }
  /// The shape type layer I >= 1 receives: for layer 1 the input as declared (inputs<S...> knows
  /// where each input starts), else the shape of layer I - 1's output.
  template <std::size_t I>
  using input_of =
      std::conditional_t<I == 1,
                         typename decltype(detail::declared_input<true, detail::type_at<0, Ls..., void>,
                                                                  CTNN_SHAPE_OF(analysis.out[I - 1])>())::type,
                         CTNN_SHAPE_OF(analysis.out[I - 1])>;

private:
  /// The declared input shape is kept when a later layer fails, so that the program's uses of the
  /// network (net(x) with a tensor of that shape, a dataset of it) add no error to the diagnosis.
  static constexpr bool input_declared = valid || ((analysis.problem == detail::network_problem::layer ||
                                                    analysis.problem == detail::network_problem::input_not_first) &&
                                                   analysis.failing != detail::npos && analysis.failing > 0);
  static constexpr dims first = input_declared ? analysis.out[0] : dims{1, {1}};
  static constexpr dims last = valid ? analysis.out[layer_count - 1] : dims{1, {1}};
  static constexpr dims before_last = valid && layer_count > 1 ? analysis.out[layer_count - 2] : dims{1, {1}};
  static constexpr auto plan = detail::plan_stages(detail::traits_of<Ls...>(), valid);

public:
  /// The shape of one input sample (as declared, even if a later layer fails) and of one output
  /// (shape<1> for an ill-formed network), so that its one diagnostic is not followed by others.
  using input_shape = typename decltype(detail::declared_input<input_declared, detail::type_at<0, Ls..., void>,
                                                               CTNN_SHAPE_OF(first)>())::type;
  using output_shape = CTNN_SHAPE_OF(last);
  /// One shape per output: detail::type_list<output_shape>, or, for a network ending in
  /// heads<...>, each head's (output_shape is then all of them, one after the other, flat).
  using output_parts = typename decltype(detail::output_parts_of<valid, detail::type_at<layer_count, void, Ls...>,
                                                                 CTNN_SHAPE_OF(before_last), output_shape>())::type;

  static constexpr std::size_t stage_count = plan.count;
  /// stages[0, stage_count): which layer each stage runs and which activation it fuses.
  static constexpr auto stages = plan.stages;

  /// Each layer as written, e.g. {"input<shape<32>>", "dense<64>", "relu"}.
  static std::vector<std::string> layer_names() { return {Ls::name()...}; }

private:
  using count_fn = std::size_t (*)(const dims&) noexcept;
  /// What counts[i] (a descriptor's count, e.g. detail::param_count_of<L>) says of layer i.
  static constexpr std::size_t count_of(const count_fn (&counts)[layer_count], std::size_t i) noexcept {
    if (!valid || i == 0 || i >= layer_count) return 0;
    return counts[i](analysis.out[i - 1]);
  }
  /// The sum over every layer.
  static constexpr std::size_t total(std::size_t (*per_layer)(std::size_t) noexcept) noexcept {
    std::size_t n = 0;
    for (std::size_t i = 1; i < layer_count; ++i) n += per_layer(i);
    return n;
  }

public:
  /// Parameters of layer i (PyTorch's count; 0 for input<> and layers without weights).
  static constexpr std::size_t layer_params(std::size_t i) noexcept {
    constexpr count_fn counts[] = {&detail::param_count_of<Ls>...};
    return count_of(counts, i);
  }
  /// Buffers of layer i: values training updates without gradients (batch_norm's running
  /// statistics), stored after the layer's parameters in weight files and export_parameters.
  static constexpr std::size_t layer_buffers(std::size_t i) noexcept {
    constexpr count_fn counts[] = {&detail::buffer_count_of<Ls>...};
    return count_of(counts, i);
  }
  /// Multiply-adds of layer i for one sample (0 for layers without weights).
  static constexpr std::size_t layer_macs(std::size_t i) noexcept {
    constexpr count_fn counts[] = {&detail::macs_of<Ls>...};
    return count_of(counts, i);
  }
  /// Number of trainable parameters, counted as PyTorch counts them.
  static constexpr std::size_t param_count = total(&layer_params);
  /// Buffers of every layer.
  static constexpr std::size_t buffer_count = total(&layer_buffers);
  /// Multiply-adds of one sample's forward pass: static_assert(model::macs <= budget) works.
  static constexpr std::size_t macs = total(&layer_macs);
  /// Values every layer after the input produces for one sample (times sizeof(T): the activation
  /// bytes a training step keeps per sample, before fusion).
  static constexpr std::size_t activation_count = [] {
    std::size_t n = 0;
    if constexpr (valid)
      for (std::size_t i = 1; i < layer_count; ++i) n += analysis.out[i].size();
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

} // namespace CTNN_NAMESPACE
