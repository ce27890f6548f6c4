// Stockfish's network in float, for comparison with ctnn's integer layers (bench/nnue_isa.cpp):
// the accumulator's rows and biases as floats (the int16 values, exact), its updates as float
// adds; the layer stacks as ctnn float networks with the integer network's weights; the integer
// shifts and clamps as float scalings and clamps (no floor). The same arithmetic as the integer
// network up to the roundings the integers make, so its values approximate the integer ones.
// Included once per instruction set, inside that unit's renamed namespaces.
#pragma once

#include "../examples/chess_nnue/network.hpp"

#include <ctnn/core/aligned_buffer.hpp>
#include <ctnn/ctnn.hpp>

#include <xsimd/xsimd.hpp>

#include <algorithm>
#include <memory>
#include <span>
#include <vector>

namespace chess_nnue {

struct float_network {
  static constexpr std::size_t dims = half_dims, features = chess::half_ka_v2_hm::features;
  struct side_state {
    alignas(64) std::array<float, dims> values;
    std::array<float, buckets> psqt;
  };
  struct state {
    side_state side[2];
  };
  using fc_0_type = ctnn::network<ctnn::input<ctnn::shape<dims>>, ctnn::dense<16>>;
  using fc_1_type = ctnn::network<ctnn::input<ctnn::shape<30>>, ctnn::dense<32>>;
  using fc_2_type = ctnn::network<ctnn::input<ctnn::shape<32>>, ctnn::dense<1>>;
  struct stack_type {
    ctnn::net<fc_0_type> fc_0;
    ctnn::net<fc_1_type> fc_1;
    ctnn::net<fc_2_type> fc_2;
  };

  ctnn::aligned_buffer<float> biases{dims}, rows{features * dims}, psqt_rows{features * buckets};
  std::vector<stack_type> stack;

  explicit float_network(const network& n) {
    for (std::size_t j = 0; j < dims; ++j) biases[j] = n.transformer.biases()[j];
    for (std::uint32_t f = 0; f < features; ++f) {
      std::copy_n(n.transformer.row(f), dims, rows.data() + std::size_t{f} * dims);
      std::copy_n(n.transformer.side_row(f), buckets, psqt_rows.data() + std::size_t{f} * buckets);
    }
    for (const auto& s : n.stack) {
      stack_type t;
      t.fc_0.import_parameters(parameters(s.fc_0));
      t.fc_1.import_parameters(parameters(s.fc_1));
      t.fc_2.import_parameters(parameters(s.fc_2));
      stack.push_back(std::move(t));
    }
  }

  /// An int8 layer's weights [out][in] then biases, as floats (PyTorch's order).
  template <class L>
  static std::vector<float> parameters(const L& l) {
    std::vector<float> p;
    for (std::size_t o = 0; o < L::out_size; ++o)
      for (std::size_t i = 0; i < L::in_size; ++i) p.push_back(l.weight(o, i));
    for (std::size_t o = 0; o < L::out_size; ++o) p.push_back(static_cast<float>(l.bias(o)));
    return p;
  }

  void refresh(side_state& s, std::span<const std::uint32_t> active) const noexcept {
    accumulate(biases.data(), s.values.data(), {}, active);
    s.psqt.fill(0);
    for (const auto f : active)
      for (std::size_t k = 0; k < buckets; ++k) s.psqt[k] += psqt_rows[f * buckets + k];
  }
  void update(const side_state& from, side_state& to, std::span<const std::uint32_t> removed,
              std::span<const std::uint32_t> added) const noexcept {
    accumulate(from.values.data(), to.values.data(), removed, added);
    to.psqt = from.psqt;
    for (const auto f : removed)
      for (std::size_t k = 0; k < buckets; ++k) to.psqt[k] -= psqt_rows[f * buckets + k];
    for (const auto f : added)
      for (std::size_t k = 0; k < buckets; ++k) to.psqt[k] += psqt_rows[f * buckets + k];
  }

  /// Bucket `bucket`'s positional value for the side to move, in the integer network's units.
  float evaluate(const state& a, chess::color stm, std::size_t bucket) const noexcept {
    using batch = xsimd::batch<float>;
    ctnn::tensor<float, ctnn::shape<dims>> transformed;
    const side_state* sides[2] = {&a.side[stm], &a.side[1 - stm]};
    const batch zero(0.0f), top(127.0f), unit(1.0f / 128);
    for (int p = 0; p < 2; ++p) {
      const float* v = sides[p]->values.data();
      for (std::size_t j = 0; j < dims / 2; j += batch::size) {
        const batch l = xsimd::min(xsimd::max(batch::load_aligned(v + j), zero), top);
        const batch r = xsimd::min(xsimd::max(batch::load_aligned(v + dims / 2 + j), zero), top);
        (l * r * unit).store_unaligned(transformed.data() + p * dims / 2 + j);
      }
    }
    const auto& s = stack[bucket];
    const auto h0 = s.fc_0(transformed);
    ctnn::tensor<float, ctnn::shape<30>> a0;
    constexpr float shift = 1.0f / (1 << weight_scale_bits), sqr_shift = 1.0f / float(1 << (2 * weight_scale_bits + 7));
    for (std::size_t i = 0; i < 15; ++i) {
      a0[i] = std::min(127.0f, h0[i] * h0[i] * sqr_shift);
      a0[15 + i] = std::clamp(h0[i] * shift, 0.0f, 127.0f);
    }
    auto h1 = s.fc_1(a0);
    for (auto& v : h1) v = std::clamp(v * shift, 0.0f, 127.0f);
    const auto out = s.fc_2(h1);
    return out[0] + h0[15] * (600.0f * output_scale) / (127.0f * (1 << weight_scale_bits));
  }

private:
  static constexpr std::size_t lanes = xsimd::batch<float>::size, tile = 8 * lanes;
  void accumulate(const float* from, float* to, std::span<const std::uint32_t> removed,
                  std::span<const std::uint32_t> added) const noexcept {
    using batch = xsimd::batch<float>;
    for (std::size_t t = 0; t < dims; t += tile) {
      batch acc[8];
      for (std::size_t r = 0; r < 8; ++r) acc[r] = batch::load_aligned(from + t + r * lanes);
      for (const auto f : removed)
        for (std::size_t r = 0; r < 8; ++r) acc[r] -= batch::load_aligned(rows.data() + f * dims + t + r * lanes);
      for (const auto f : added)
        for (std::size_t r = 0; r < 8; ++r) acc[r] += batch::load_aligned(rows.data() + f * dims + t + r * lanes);
      for (std::size_t r = 0; r < 8; ++r) acc[r].store_aligned(to + t + r * lanes);
    }
  }
};

} // namespace chess_nnue
