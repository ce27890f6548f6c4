// bf16::block: the bf16 stage of a composite block (ctnn::to_bf16): residual<...> and
// parallel<concat | add, branch<...>...>. Each inner network runs as a bf16::chain on its own copy
// of the block's input codes (the input itself for branch<> and residual's skip path, its
// projection for residual<project, ...>), and the merge (layers/narrow_block.hpp) joins their
// bf16 outputs in float: the sum in branch order (add) or side by side (concat), clamped at 0 if a
// relu follows, then rounded to the next stage's codes (or float, last).
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/kernels/bf16.hpp>
#include <ctnn/layers/bf16/chain.hpp>
#include <ctnn/layers/bf16/dense.hpp>
#include <ctnn/layers/narrow_block.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <tuple>
#include <utility>

namespace CTNN_NAMESPACE::layers::bf16 {

template <class Merge, class Views, std::size_t InSize, std::size_t OutSize, bool Clamp, bool Last, class... Chains>
struct block {
  static constexpr bool clamp = Clamp, last = Last;
  static constexpr std::size_t branches = sizeof...(Chains);
  static constexpr std::size_t in_size = InSize, out_size = OutSize;
  static constexpr std::size_t width = std::max(InSize, OutSize) + 2;
  static_assert(Merge::concatenates ? (Chains::out_size + ...) == OutSize : ((Chains::out_size == OutSize) && ...),
                "bf16::block: the branches' outputs do not make the block's");
  std::tuple<Chains...> chains;

  /// Each inner network from the block's float view (net.layer<I>() of the block).
  template <class View>
  void set(const View& view) {
    [&]<std::size_t... B>(std::index_sequence<B...>) {
      (std::get<B>(chains).set([&](auto i) { return Views::template layer<B, decltype(i)::value>(view); }), ...);
    }
    (std::make_index_sequence<branches>{});
  }

  void run(std::uint16_t* codes, float* y) const noexcept {
    constexpr std::size_t w = (std::max({std::size_t{32}, Chains::width...}) + 31) / 32 * 32;
    alignas(64) std::uint16_t buffers[branches][w];
    alignas(64) float sums[OutSize + 16];
    [&]<std::size_t... B>(std::index_sequence<B...>) {
      (
          [&] {
            std::copy_n(codes, InSize, buffers[B]);
            std::fill(buffers[B] + InSize, buffers[B] + w, std::uint16_t{0});
            std::get<B>(chains).run(buffers[B], nullptr);
          }(),
          ...);
    }
    (std::make_index_sequence<branches>{});
    if constexpr (Merge::concatenates) {
      constexpr std::array<std::size_t, branches> widths{Chains::out_size...};
      for (std::size_t b = 0, at = 0; b < branches; at += widths[b], ++b)
        for (std::size_t i = 0; i < widths[b]; ++i) sums[at + i] = kernels::bf16_to_float(buffers[b][i]);
    } else {
      for (std::size_t i = 0; i < OutSize; ++i) {
        float s = kernels::bf16_to_float(buffers[0][i]);
        for (std::size_t b = 1; b < branches; ++b) s += kernels::bf16_to_float(buffers[b][i]);
        sums[i] = s;
      }
    }
    outputs<OutSize, Clamp, Last>(sums, codes, y);
  }
};

} // namespace CTNN_NAMESPACE::layers::bf16
