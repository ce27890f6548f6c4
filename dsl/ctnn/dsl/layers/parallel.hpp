// parallel<Merge, branch<layers...>...>: branches side by side over the block's input, joined by a
// merge: concat (the features of vectors, the channels of maps [C, L] / [C, H, W], the features
// of each step of a sequence), add, or multiply (gating). Each branch is checked by the same shape
// pass as a network (a failure inside names the block, the branch and the inner index);
// branch<> is the block's input itself (DenseNet's concat of x and f(x)). An elementwise
// activation after the block is applied to the merged output. Lowers to layers::parallel_stage,
// which runs each branch's own stages; with concat or add, its int8 form (ctnn::quantize) is
// layers::int8::block, which runs each branch's int8 stages.
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/dsl/diag.hpp>
#include <ctnn/dsl/layers/input.hpp>
#include <ctnn/dsl/layers/residual.hpp>
#include <ctnn/dsl/protocol.hpp>
#include <ctnn/dsl/type_list.hpp>

#include <array>
#include <cstddef>
#include <string>
#include <type_traits>
#include <utility>

namespace CTNN_NAMESPACE {
template <class... Ls>
struct network;
namespace detail {
template <class M, class T>
struct lowered;
}
namespace layers {
template <class T, class Merge, class Act, std::size_t InSize, std::size_t OutSize, class StepMerge, class... Branches>
struct parallel_stage;
template <class Kernel, std::size_t StepIn>
struct per_step;
template <class T, std::size_t Steps, std::size_t... Widths>
struct concat_merge;
template <class T, std::size_t Size, std::size_t Branches>
struct add_merge;
template <class T, std::size_t Size, std::size_t Branches>
struct multiply_merge;
namespace narrow {
struct add;
struct concat;
struct parallel_views;
} // namespace narrow
} // namespace layers

/// One path of a parallel block: its layers, applied to the block's input (none: the input).
template <class... Ls>
struct branch {
  static_assert((LayerDescriptor<Ls> && ...), "branch<...>: every argument must be a layer");
  static std::string name() {
    std::string s;
    ((s += (s.empty() ? "" : ", ") + Ls::name()), ...);
    return "branch<" + s + ">";
  }
};

/// The merges of parallel<...>. join(outs, n, out) gives the merged shape, or false.
struct concat {
  static std::string name() { return "concat"; }
  /// Equal rank and kind; vectors join their features, sequences the features of each step
  /// (equal steps; frames are joined as flat steps), maps their channels (equal spatial extents).
  static constexpr bool join(const dims* outs, std::size_t n, dims& out) noexcept {
    out = outs[0];
    const std::size_t axis = outs[0].sequence ? 1 : 0;
    for (std::size_t b = 1; b < n; ++b) {
      if (outs[b].rank != out.rank || outs[b].sequence != out.sequence) return false;
      for (std::size_t a = 0; a < out.rank; ++a)
        if (a != axis && outs[b].extent[a] != out.extent[a]) return false;
      out.extent[axis] += outs[b].extent[axis];
    }
    if (n > 1) out.channels = 0; // steps of frames joined end to end are plain steps
    return true;
  }
  using fix = diag::fix_give_every_branch_the_same_rank_and_extents_but_the_first;
  using narrow_merge = layers::narrow::concat; ///< the merge of the narrow forms
  /// Branch b's output is `widths[b]` values in each of `steps` blocks of the merged output.
  template <class T, class In, std::size_t... Out>
  using kernel = layers::concat_merge<T, (In::dims.sequence ? In::dims.extent[0] : 1),
                                      (In::dims.sequence ? Out / In::dims.extent[0] : Out)...>;
};
namespace detail {
/// add and multiply: every branch gives the same shape.
struct same_shape_merge {
  static constexpr bool join(const dims* outs, std::size_t n, dims& out) noexcept {
    out = outs[0];
    for (std::size_t b = 1; b < n; ++b)
      if (!(outs[b] == out)) return false;
    return true;
  }
  using fix = diag::fix_give_every_branch_the_same_output_shape;
};
template <std::size_t First, std::size_t...>
inline constexpr std::size_t first_of = First;
} // namespace detail
/// The elementwise sum of the branches.
struct add : detail::same_shape_merge {
  static std::string name() { return "add"; }
  using narrow_merge = layers::narrow::add; ///< the merge of the narrow forms
  template <class T, class In, std::size_t... Out>
  using kernel = layers::add_merge<T, detail::first_of<Out...>, sizeof...(Out)>;
};
/// The elementwise product of the branches (gating: a sigmoid branch times a linear one).
struct multiply : detail::same_shape_merge {
  static std::string name() { return "multiply"; }
  template <class T, class In, std::size_t... Out>
  using kernel = layers::multiply_merge<T, detail::first_of<Out...>, sizeof...(Out)>;
};

namespace detail {
template <class B>
struct branch_traits {
  static constexpr bool is_branch = false;
};
template <class... Ls>
struct branch_traits<branch<Ls...>> {
  static constexpr bool is_branch = true;
  /// The input of inputs<...> the branch reads (its first layer is from<I>), or npos.
  static constexpr std::size_t reads_input = [] {
    if constexpr (sizeof...(Ls) > 0 && requires { type_at<0, Ls...>::reads_input; })
      return std::size_t(type_at<0, Ls...>::reads_input);
    else
      return std::size_t(-1);
  }();
  static constexpr block_walk walk(const dims& in) noexcept {
    if constexpr (sizeof...(Ls) == 0)
      return block_walk{std::size_t(-1), 0, in, in, 0, 0, 0};
    else
      return walk_block<Ls...>(in);
  }
  template <std::size_t J>
  using layer = type_at<J, Ls...>;
  /// The branch as a network over In (inputs<...> is its own layer 0).
  template <class In>
  using network_over = network < std::conditional_t < requires {
    In::role;
  }
  , In, input < In >>, Ls... > ;
};
/// The narrow forms' merge of a merge (concat, add), or no type (In: so that a merge without one
/// is a substitution failure where the block's narrow stage is asked for).
template <class Merge, class In>
struct narrow_merge_of {};
template <class Merge, class In>
requires requires { typename Merge::narrow_merge; }
struct narrow_merge_of<Merge, In> {
  using type = typename Merge::narrow_merge;
};
/// Merge names a merge of parallel<...>.
template <class M>
concept merge_kind = requires(const dims* d, std::size_t n, dims& out) {
  { M::join(d, n, out) } -> std::convertible_to<bool>;
};

/// What parallel<...> and heads<...> share: branches over one input, joined by Merge.
template <class Merge, class... Branches>
struct parallel_base {
  static constexpr std::size_t branch_count = sizeof...(Branches);
  static constexpr layer_role role = layer_role::stage;
  static constexpr fusion accepts = fusion::elementwise;
  /// Failure codes: branch b's inner failure j, code e is 100000 b + 1000 (j + 1) + e; 1: merge;
  /// unread_input + i: right after inputs<...>, no branch reads input i.
  enum error : int { none, cannot_merge, unread_input = 10 };
  /// Right after inputs<...>: the first input no branch reads (from<I>), or npos.
  static constexpr std::size_t first_unread_input(const dims& in) noexcept {
    constexpr std::size_t reads[] = {branch_traits<Branches>::reads_input...};
    for (std::size_t i = 0; i < in.parts; ++i) {
      bool read = false;
      for (std::size_t r : reads) read = read || r == i;
      if (!read) return i;
    }
    return std::size_t(-1);
  }
  static constexpr std::array<block_walk, branch_count> walks(const dims& in) noexcept {
    return {branch_traits<Branches>::walk(in)...};
  }
  static constexpr layer_shape infer(const dims& in) noexcept {
    const auto w = walks(in);
    std::array<dims, branch_count> outs{};
    for (std::size_t b = 0; b < branch_count; ++b) {
      if (w[b].failing != std::size_t(-1))
        return {int(100000 * b + 1000 * (w[b].failing + 1)) + (w[b].error < 0 ? 999 : w[b].error), {}};
      outs[b] = w[b].out;
    }
    if (const std::size_t i = first_unread_input(in); i != std::size_t(-1)) return {int(unread_input + i), {}};
    dims out{};
    if (!Merge::join(outs.data(), branch_count, out)) return {cannot_merge, {}};
    return {0, out};
  }
  static constexpr std::size_t param_count(const dims& in) noexcept {
    std::size_t n = 0;
    for (const block_walk& w : walks(in)) n += w.params;
    return n;
  }
  static constexpr std::size_t buffer_count(const dims& in) noexcept {
    std::size_t n = 0;
    for (const block_walk& w : walks(in)) n += w.buffers;
    return n;
  }
  static constexpr std::size_t macs(const dims& in) noexcept {
    std::size_t n = 0;
    for (const block_walk& w : walks(in)) n += w.macs;
    return n;
  }
  template <class R, std::size_t... B>
  static auto outputs_of(std::index_sequence<B...>) {
    constexpr auto w = walks(R::dims);
    return diag::branch_outputs<diag::branch_output<diag::branch_index<B>, CTNN_SHAPE_OF(w[B].out)>...>{};
  }
  template <class Self, int E, class Index, class R>
  static constexpr auto diagnose() noexcept {
    if constexpr (E >= 1000) {
      constexpr std::size_t b = std::size_t(E / 100000), j = std::size_t(E % 100000 / 1000 - 1);
      constexpr int code = E % 1000;
      using B = type_at<b, Branches...>;
      using where = diag::in_block<Index, diag::in_branch<diag::branch_index<b>, diag::inner_index<j>>>;
      using L = typename branch_traits<B>::template layer<j>;
      constexpr block_walk w = walks(R::dims)[b];
      if constexpr (code == 999)
        return std::type_identity<diag::input_is_not_first<where, L, diag::fix_keep_one_input_at_index_0>>{};
      else
        return diagnosis_of<L, code, where, CTNN_SHAPE_OF(w.received)>();
    } else if constexpr (E >= unread_input) {
      return std::type_identity<
          diag::input_read_by_no_branch<Index, Self, diag::input_index<E - unread_input>, diag::receives<R>,
                                        diag::fix_read_every_input_with_from_in_some_branch>>{};
    } else {
      using outputs = decltype(outputs_of<R>(std::make_index_sequence<branch_count>{}));
      return std::type_identity<diag::branches_cannot_be_merged<Index, Self, diag::merge<Merge>, diag::receives<R>,
                                                                outputs, typename Merge::fix>>{};
    }
  }

  /// The lowered branches for input shape In and scalar type T.
  template <class T, class In>
  using merge_kernel =
      typename Merge::template kernel<T, In, CTNN_SHAPE_OF(branch_traits<Branches>::walk(In::dims).out)::size...>;
  /// Composite protocol (protocol.hpp): each branch as a network over the block's input shape
  /// In; their values, branch after branch, are the block's.
  template <class In>
  using inner_networks = type_list<typename branch_traits<Branches>::template network_over<In>...>;

  /// Over a sequence whose branches all give sequences of its steps: the merge of one time step
  /// (layers::per_step), so that streams pass through the block; else void.
  template <class T, class In>
  static constexpr auto step_merge_of() noexcept {
    if constexpr (!In::dims.sequence) {
      return std::type_identity<void>{};
    } else {
      constexpr bool per_step = [] {
        for (const block_walk& b : walks(In::dims))
          if (!b.out.sequence || b.out.extent[0] != In::dims.extent[0]) return false;
        return true;
      }();
      if constexpr (!per_step)
        return std::type_identity<void>{};
      else
        return []<std::size_t... B>(std::index_sequence<B...>) {
          return std::type_identity<layers::per_step<
              typename Merge::template kernel<T, shape<In::dims.extent[1]>, walks(In::dims)[B].out.extent[1]...>,
              In::dims.extent[1]>>{};
        }
      (std::make_index_sequence<branch_count>{});
    }
  }
  template <class T, class In, class Out, class Act>
  using stage = layers::parallel_stage<T, merge_kernel<T, In>, Act, In::size, Out::size,
                                       typename decltype(step_merge_of<T, In>())::type,
                                       lowered<typename branch_traits<Branches>::template network_over<In>, T>...>;

  /// The narrow forms (int8: ctnn::quantize; bf16: ctnn::to_bf16) of concat and add, when every
  /// branch's layers have one: each branch's stages, merged (Form::block: layers/int8/,
  /// layers/bf16/block.hpp).
  static constexpr narrow_role narrow = narrow_role::stage;
  template <class Form, class In, class Out, bool Clamp, bool Last>
  using narrow_block = typename detail::narrow::block_of<
      Form, typename narrow_merge_of<Merge, In>::type, layers::narrow::parallel_views, In::size, Out::size, Clamp, Last,
      typename detail::narrow::inner_chain<typename branch_traits<Branches>::template network_over<In>,
                                           Form>::type...>::type;
  template <class In, class Out, bool Clamp, bool Last>
  using int8_stage = narrow_block<detail::narrow::int8_form, In, Out, Clamp, Last>;
  template <class In, class Out, bool Clamp, bool Last>
  using bf16_stage = narrow_block<detail::narrow::bf16_form, In, Out, Clamp, Last>;
};
} // namespace detail

/// parallel<Merge, branch<layers...>...>: see the top of this file.
template <class Merge, class... Branches>
struct parallel : detail::parallel_base<Merge, Branches...> {
  static_assert(detail::merge_kind<Merge>,
                "parallel<Merge, branch<...>...>: the first argument is concat, add or multiply");
  static_assert(sizeof...(Branches) >= 2, "parallel<Merge, branch<...>...>: give the block at least two branches");
  static_assert((detail::branch_traits<Branches>::is_branch && ...),
                "parallel<Merge, branch<...>...>: every argument after the merge is a branch<layers...>");
  template <int E, class Index, class R>
  using diagnosis = typename decltype(parallel::template diagnose<parallel, E, Index, R>())::type;
  /// The same block over other inner networks, one per branch (type rewrites such as
  /// fold_batch_norm).
  template <class... Nets>
  using with_inner =
      parallel<Merge, typename detail::apply_list<branch, typename detail::inner_layers<Nets>::type>::type...>;
  static std::string block_name() { return "parallel<" + Merge::name() + ">"; }
  static std::string name() {
    std::string s = "parallel<" + Merge::name();
    ((s += ", " + Branches::name()), ...);
    return s + ">";
  }
};

} // namespace CTNN_NAMESPACE
