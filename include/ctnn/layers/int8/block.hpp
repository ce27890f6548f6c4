// int8::block: the int8 stage of a composite block (ctnn::quantize): residual<...> and
// parallel<concat | add, branch<...>...>. Each inner network runs as an int8::chain giving codes
// (the block's input itself for branch<> and for residual's skip path, a 1x1 projection for
// residual<project, ...>), and a merge (layers/narrow_block.hpp) joins their codes in integers:
//
//   v[i]     the sum over the branches b that meet at output i of m[b] (q_b[i] - z_b), in int32
//            (q_b: branch b's codes, z_b their zero point); add: every branch meets at every i;
//            concat: the branches' outputs lie one after the other
//   codes    q[i] = clamp(z + ((v[i] + 2^15) >> 16), lo, 127), m[b] = round(2^16 s_b / s), s and
//            z the block's output codes (calibrated, or observed by a fake_quantize after it);
//            lo = z when a relu follows the block, else 0
//   last     y[i] = v[i] u in float (clamped at 0 if a relu follows), u = s_ref / 2^16 with s_ref
//            the largest s_b and m[b] = round(2^16 s_b / s_ref)
//
// Integers up to one float multiply: every instruction set gives the same codes. The multipliers
// are clamped to 2^23 (a branch 128 times coarser than the output saturates it in one step), less
// with more than two branches, so that no sum overflows int32.
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/core/value_reader.hpp>
#include <ctnn/layers/int8/chain.hpp>
#include <ctnn/layers/int8/codes.hpp>
#include <ctnn/layers/narrow_block.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace CTNN_NAMESPACE::layers::int8 {

template <class Merge, class Views, std::size_t InSize, std::size_t OutSize, bool Clamp, bool Last, class... Chains>
struct block {
  static constexpr bool clamp = Clamp, last = Last, weighted = false;
  static constexpr bool composite = true; ///< quantized from its inner networks (int8::chain::quantize)
  static constexpr std::size_t branches = sizeof...(Chains);
  static constexpr std::size_t in_codes = InSize, out_codes = OutSize;
  /// The inner networks' values, one after the other; then each branch's multiplier and zero
  /// point, the output's zero point and s_ref (the output's scale, or a last block's reference).
  static constexpr std::size_t value_count = (Chains::value_count + ... + 0) + 2 * branches + 2;
  static constexpr int shift = 16;
  /// 2^23, or less with many branches: no merged sum (nor it plus 2^15) overflows int32.
  static constexpr std::int32_t largest_multiplier =
      std::min<std::int32_t>(1 << 23, ((std::int32_t{1} << 30) - (1 << 15)) / (127 * int(branches)) * 2);
  static_assert(Merge::concatenates ? (Chains::out_size + ...) == OutSize : ((Chains::out_size == OutSize) && ...),
                "int8::block: the branches' outputs do not make the block's");

  std::tuple<Chains...> chains;
  std::array<std::int32_t, branches> multiplier{};
  std::array<int, branches> zero{};
  int out_zero = 0;
  double reference_scale = 1;

  void run(const std::uint8_t* in, std::uint8_t* out, float* y) const noexcept {
    constexpr std::size_t width = std::max({std::size_t{64}, Chains::width...});
    alignas(64) std::uint8_t buffers[branches][2][width];
    const std::array<const std::uint8_t*, branches> q = [&]<std::size_t... B>(std::index_sequence<B...>) {
      return std::array<const std::uint8_t*, branches>{
          std::get<B>(chains).run(in, buffers[B][0], buffers[B][1], nullptr)...};
    }
    (std::make_index_sequence<branches>{});
    alignas(64) std::int32_t v[OutSize]; // the merged sums, in loops the compiler vectorizes
    if constexpr (Merge::concatenates) {
      constexpr std::array<std::size_t, branches> widths{Chains::out_size...};
      for (std::size_t b = 0, at = 0; b < branches; at += widths[b], ++b) {
        const std::int32_t m = multiplier[b], z = zero[b];
        const std::uint8_t* p = q[b];
        for (std::size_t i = 0; i < widths[b]; ++i) v[at + i] = m * (std::int32_t{p[i]} - z);
      }
    } else {
      for (std::size_t i = 0; i < OutSize; ++i) v[i] = multiplier[0] * (std::int32_t{q[0][i]} - zero[0]);
      for (std::size_t b = 1; b < branches; ++b) {
        const std::int32_t m = multiplier[b], z = zero[b];
        const std::uint8_t* p = q[b];
        for (std::size_t i = 0; i < OutSize; ++i) v[i] += m * (std::int32_t{p[i]} - z);
      }
    }
    if constexpr (Last) {
      const float unit = static_cast<float>(reference_scale / (1 << shift));
      for (std::size_t i = 0; i < OutSize; ++i) {
        const float f = static_cast<float>(v[i]) * unit;
        y[i] = Clamp ? std::max(f, 0.0f) : f;
      }
    } else {
      const std::int32_t lo = Clamp ? out_zero : 0, half = std::int32_t{1} << (shift - 1);
      for (std::size_t i = 0; i < OutSize; ++i)
        out[i] = static_cast<std::uint8_t>(std::clamp(out_zero + ((v[i] + half) >> shift), lo, std::int32_t{127}));
    }
  }

  /// Quantizes the inner networks (int8::chain::quantize, views through Views) over `values`
  /// (rows of the block's inputs in double, coded by `in`; left holding the block's outputs),
  /// then the merge: the output codes are out_range() of them. Returns the outputs' codes.
  template <class View, class Calibrate, class OutRange>
  affine_range quantize(const View& view, std::vector<double>& values, std::size_t rows, affine_range in,
                        Calibrate&& calibrate, OutRange&& out_range, const std::string& where) {
    std::array<affine_range, branches> ranges;
    std::array<std::vector<double>, branches> outs;
    [&]<std::size_t... B>(std::index_sequence<B...>) {
      ((outs[B] = values, ranges[B] = std::get<B>(chains).quantize(
                              [&](auto i) { return Views::template layer<B, decltype(i)::value>(view); }, outs[B], rows,
                              in, calibrate, where + ", " + Views::name(B) + ", ")),
       ...);
    }
    (std::make_index_sequence<branches>{});
    values.assign(rows * OutSize, 0.0);
    for (std::size_t r = 0; r < rows; ++r) {
      double* o = &values[r * OutSize];
      for (std::size_t b = 0, at = 0; b < branches; ++b) {
        const std::size_t w = outs[b].size() / rows;
        for (std::size_t i = 0; i < w; ++i) o[Merge::concatenates ? at + i : i] += outs[b][r * w + i];
        at += w;
      }
      if constexpr (Clamp)
        for (std::size_t i = 0; i < OutSize; ++i) o[i] = std::max(o[i], 0.0);
    }
    affine_range out = in;
    if constexpr (Last) {
      reference_scale = 0;
      for (const affine_range& r : ranges) reference_scale = std::max(reference_scale, r.scale);
    } else {
      out = out_range();
      reference_scale = out.scale;
      out_zero = out.zero;
    }
    for (std::size_t b = 0; b < branches; ++b) {
      zero[b] = ranges[b].zero;
      multiplier[b] = static_cast<std::int32_t>(
          std::clamp<double>(std::nearbyint(ranges[b].scale / reference_scale * (1 << shift)), 0, largest_multiplier));
    }
    return out;
  }

  /// int8::chain::for_each_weighted through the inner networks.
  template <class View, class F>
  static void for_each_weighted(const View& view, F&& f) {
    [&]<std::size_t... B>(std::index_sequence<B...>) {
      (Chains::for_each_weighted([&](auto i) { return Views::template layer<B, decltype(i)::value>(view); }, f), ...);
    }
    (std::make_index_sequence<branches>{});
  }

  void export_values(std::vector<double>& v) const {
    std::apply([&](const auto&... c) { (c.export_values(v), ...); }, chains);
    for (std::size_t b = 0; b < branches; ++b) v.push_back(multiplier[b]);
    for (std::size_t b = 0; b < branches; ++b) v.push_back(zero[b]);
    v.push_back(out_zero);
    v.push_back(reference_scale);
  }
  void import_values(value_reader& r, const std::string& where) {
    [&]<std::size_t... B>(std::index_sequence<B...>) {
      (std::get<B>(chains).import_values(r, where + ", " + Views::name(B) + ", "), ...);
    }
    (std::make_index_sequence<branches>{});
    for (auto& m : multiplier) m = static_cast<std::int32_t>(r.integer(0, largest_multiplier, "a merge's multiplier"));
    for (auto& z : zero) z = static_cast<int>(r.integer(0, 127, "a zero point"));
    out_zero = static_cast<int>(r.integer(0, 127, "a zero point"));
    reference_scale = r.positive("a scale");
  }
  /// The largest worst-case int32 sum of a stage of the inner networks (the merge's are bounded
  /// by largest_multiplier).
  static constexpr std::int64_t worst_case_sum(const double* v) noexcept {
    std::int64_t worst = 0;
    ((worst = std::max(worst, Chains::worst_case_sum(v)), v += Chains::value_count), ...);
    return worst;
  }
};

} // namespace CTNN_NAMESPACE::layers::int8
