// Lowering: a valid network's stage plan becomes back-end stage types, each named by its layer's
// descriptor (LayerDescriptor::stage) and checked against the stage protocol (layers/stage.hpp),
// with the offset of each stage's slice in the flat parameter array computed at compile time.
// Nothing here names a layer kind.
#pragma once

#include <ctnn/core/config.hpp>
#include <ctnn/dsl/diag.hpp>
#include <ctnn/dsl/network.hpp>
#include <ctnn/kernels/activation.hpp>
#include <ctnn/layers/stage.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <type_traits>

namespace CTNN_NAMESPACE::detail {

/// diag::no_error, or the first member of the Stage protocol that stage S of layer L lacks.
template <class L, class S, class T>
constexpr auto check_stage() noexcept {
  using diag::stage_lacks_member;
  if constexpr (!requires { S::in_size + S::out_size + S::out_stride; })
    return std::type_identity<stage_lacks_member<L, S, diag::in_size_out_size_and_out_stride>>{};
  else if constexpr (!requires { S::param_size + S::param_count; })
    return std::type_identity<stage_lacks_member<L, S, diag::param_size_and_param_count>>{};
  else if constexpr (!requires { S::kept_stride; })
    return std::type_identity<stage_lacks_member<L, S, diag::kept_stride>>{};
  else if constexpr (!requires(const T* c, T* p) { S::forward(c, c, p); })
    return std::type_identity<stage_lacks_member<L, S, diag::forward_one_sample>>{};
  else if constexpr (!requires(const T* c, T* p, std::size_t n) { S::forward_batch(c, c, n, p, p, n); })
    return std::type_identity<stage_lacks_member<L, S, diag::forward_batch>>{};
  else if constexpr (!requires(const T* c, T* p, std::size_t n, kernels::store_mode m) {
                       S::backward(c, p, c, n, p, c, p, p, n, m);
                     })
    return std::type_identity<stage_lacks_member<L, S, diag::backward>>{};
  else if constexpr (!requires(const T* c, T* p) {
                       S::import_params(c, p);
                       S::export_params(c, p);
                     })
    return std::type_identity<stage_lacks_member<L, S, diag::import_params_and_export_params>>{};
  else if constexpr (!requires(T * p, const probe_init& i, rng& g) { S::initialize(p, i, g); })
    return std::type_identity<stage_lacks_member<L, S, diag::initialize>>{};
  else
    return std::type_identity<diag::no_error>{};
}

/// A stage that keeps nothing and does nothing: what an ill-formed stage is replaced by, so that
/// its one diagnostic is not followed by others.
template <class T>
struct inert_stage {
  static constexpr std::size_t in_size = 1, out_size = 1, out_stride = 1, param_size = 0, param_count = 0,
                               kept_stride = 0;
  static void forward(const T*, const T*, T*) noexcept {}
  static void forward_batch(const T*, const T*, std::size_t, T*, T*, std::size_t) noexcept {}
  static void backward(const T*, T*, const T*, std::size_t, T*, const T*, T*, T*, std::size_t,
                       kernels::store_mode = kernels::store_mode::add) noexcept {}
  static void import_params(const T*, T*) noexcept {}
  static void export_params(const T*, T*) noexcept {}
  template <class Init>
  static void initialize(T*, const Init&, rng&) noexcept {}
};

/// The kernel of the activation at layer index A fused into a stage (identity for none).
template <std::size_t A, class... Ls>
struct fused_kernel {
  using type = typename type_at<A, Ls...>::kernel;
};
template <class... Ls>
struct fused_kernel<npos, Ls...> {
  using type = kernels::identity_fn;
};

template <class M, class T>
struct lowered;

/// network<Ls...> lowered for scalar type T.
template <class... Ls, class T>
struct lowered<network<Ls...>, T> {
  using model = network<Ls...>;
  static constexpr std::size_t stage_count = model::stage_count;
  static constexpr std::size_t input_size = model::input_shape::size;

  // Type computations (public: the aliases below use them from other contexts).
  /// The stage layer stages[S].layer names, before it is checked against the protocol.
  template <std::size_t S>
  static constexpr auto candidate_type() noexcept {
    constexpr stage_plan p = model::stages[S];
    constexpr dims out = model::layer_output(p.layer);
    using layer = type_at<p.layer, Ls...>;
    using fused = typename fused_kernel<p.activation, Ls...>::type;
    // layer 1 receives the input as declared (inputs<S...> keeps where each input starts)
    using in_shape = typename model::template input_of<p.layer>;
    return std::type_identity<typename layer::template stage<T, in_shape, CTNN_SHAPE_OF(out), fused>>{};
  }
  /// diag::no_error, or what stage S lacks of the protocol.
  template <std::size_t S>
  using stage_check = typename decltype(check_stage<type_at<model::stages[S].layer, Ls...>,
                                                    typename decltype(candidate_type<S>())::type, T>())::type;
  template <std::size_t S>
  static constexpr auto stage_type() noexcept {
    if constexpr (stage_check<S>::ok)
      return candidate_type<S>();
    else
      return std::type_identity<inert_stage<T>>{};
  }
  /// Whether every stage follows the protocol, and the first that does not (stage_count if all do).
  static constexpr std::size_t first_bad_stage = []<std::size_t... S>(std::index_sequence<S...>) {
    constexpr bool ok[] = {stage_check<S>::ok..., true};
    std::size_t s = 0;
    while (s < sizeof...(S) && ok[s]) ++s;
    return s;
  }
  (std::make_index_sequence<stage_count>{});
  static constexpr bool stages_ok = first_bad_stage == stage_count;
  template <std::size_t S>
  static constexpr auto first_diagnosis() noexcept {
    if constexpr (S == stage_count)
      return std::type_identity<diag::no_error>{};
    else
      return std::type_identity<stage_check<S>>{};
  }
  /// Instantiated by net<> before anything reads a stage: the one diagnostic of a stage that does
  /// not follow the protocol (in its own class, as the network's, so that nothing else fails).
  using checked = typename diag::stage_report<typename decltype(first_diagnosis<first_bad_stage>())::type>::type;

public:
  /// The back-end type of stage S.
  template <std::size_t S>
  using stage = typename decltype(stage_type<S>())::type;

  /// offsets[S]: start of stage S's slice in the flat parameter array, aligned to
  /// CTNN_ALIGNMENT whatever the sizes before it (a stage of 4 parameters is followed by a gap;
  /// gaps hold zeros, get zero gradients and stay zero); offsets[stage_count] is the total
  /// stored size.
  static constexpr std::array<std::size_t, stage_count + 1> offsets = [] {
    std::array<std::size_t, stage_count + 1> o{};
    constexpr std::size_t per_line = alignment / sizeof(T);
    [&]<std::size_t... S>(std::index_sequence<S...>) {
      const std::size_t sizes[] = {std::size_t{0}, stage<S>::param_size...};
      for (std::size_t s = 0; s < stage_count; ++s)
        o[s + 1] = (o[s] + sizes[s + 1] + per_line - 1) / per_line * per_line;
    }
    (std::make_index_sequence<stage_count>{});
    return o;
  }();
  static constexpr std::size_t param_size = offsets[stage_count];

  /// Row stride of each stage's output (padded to whole registers).
  static constexpr std::array<std::size_t, stage_count> strides = [] {
    return []<std::size_t... S>(std::index_sequence<S...>) {
      return std::array<std::size_t, stage_count>{stage<S>::out_stride...};
    }
    (std::make_index_sequence<stage_count>{});
  }();
  static constexpr std::size_t max_stride =
      stage_count == 0 ? input_size : *std::max_element(strides.begin(), strides.end());
  static constexpr std::size_t output_stride = stage_count == 0 ? input_size : strides[stage_count - 1];

  /// The stage that holds the parameters or buffers of layer index I, or npos.
  static constexpr std::size_t stage_of_layer(std::size_t layer) noexcept {
    constexpr auto counts = []<std::size_t... S>(std::index_sequence<S...>) {
      return std::array<std::size_t, stage_count + 1>{(stage<S>::param_count + capability::buffer_count<stage<S>>)...,
                                                      0};
    }
    (std::make_index_sequence<stage_count>{});
    for (std::size_t s = 0; s < stage_count; ++s)
      if (model::stages[s].layer == layer && counts[s] > 0) return s;
    return npos;
  }
};

} // namespace CTNN_NAMESPACE::detail
