// heads<branch<layers...>...>: several outputs on one trunk (a policy and a value, a class and a
// box). Each head is a branch over the trunk's output, checked like a network (a failure inside
// names the head and the inner index); heads<...> ends the network, and net(x) returns one tensor
// per head: `auto [policy, value] = net(x);`. The trainer takes one loss per head
// (loss::heads<...>, train/loss.hpp) and reports each head's loss and metric.
//
// In the runtime the heads are a parallel block whose merge lays the heads' outputs one after
// the other in one row (head 0's values, then head 1's, ...): batched passes, gradients,
// weight files and the PyTorch order (head after head) are the parallel block's.
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/dsl/diag.hpp>
#include <ctnn/dsl/layers/parallel.hpp>
#include <ctnn/dsl/type_list.hpp>

#include <cstddef>
#include <string>

namespace CTNN_NAMESPACE {

namespace detail {
/// The merge of heads<...>: the heads' outputs, whatever their shapes, one after the other.
struct head_outputs {
  static std::string name() { return "heads"; }
  static constexpr bool join(const dims* outs, std::size_t n, dims& out) noexcept {
    std::size_t total = 0;
    for (std::size_t b = 0; b < n; ++b) total += outs[b].size();
    out = dims{1, {total}};
    return true;
  }
  using fix = diag::fix_put_the_layer_inside_each_head;
  template <class T, class In, std::size_t... Out>
  using kernel = layers::concat_merge<T, 1, Out...>;
};
} // namespace detail

/// heads<branch<layers...>...>: see the top of this file. The last layer of a network.
template <class... Branches>
struct heads : detail::parallel_base<detail::head_outputs, Branches...> {
  static_assert(sizeof...(Branches) >= 2, "heads<branch<...>...>: give the network at least two heads");
  static_assert((detail::branch_traits<Branches>::is_branch && ...),
                "heads<branch<...>...>: every argument is a branch<layers...> (one per head)");
  /// Network protocol (network.hpp): no layer may follow; the fix a following layer's error names.
  static constexpr bool ends_the_network = true;
  using fix_following = diag::fix_put_the_layer_inside_each_head;
  /// What summary<Model>() calls each branch.
  static constexpr const char* inner_label = "head";
  /// The network's outputs, one shape per head, for the trunk's output shape In.
  template <class In>
  using parts = detail::type_list<CTNN_SHAPE_OF(detail::branch_traits<Branches>::walk(In::dims).out)...>;

  template <int E, class Index, class R>
  using diagnosis = typename decltype(heads::template diagnose<heads, E, Index, R>())::type;
  template <class... Nets>
  using with_inner = heads<typename detail::apply_list<branch, typename detail::inner_layers<Nets>::type>::type...>;
  static std::string block_name() { return "heads"; }
  static std::string name() {
    std::string s;
    ((s += (s.empty() ? "" : ", ") + Branches::name()), ...);
    return "heads<" + s + ">";
  }
};

} // namespace CTNN_NAMESPACE
