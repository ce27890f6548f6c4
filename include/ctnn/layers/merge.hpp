// The merges of a parallel block as the runtime runs them, one sample at a time: put(b, out, z)
// joins branch b's output into the merged z (branches in order, b = 0 first), and
// gradient(b, dz, outs, g) gives dL/d(branch b's output) from dL/dz and every branch's output.
#pragma once

#include <ctnn/core/config.hpp>

#include <algorithm>
#include <array>
#include <cstddef>

namespace CTNN_NAMESPACE::layers {

/// concat: the merged output is Steps blocks; in each, branch b's Widths[b] values follow the
/// branches before it (Steps = 1 except for the features of each step of a sequence).
template <class T, std::size_t Steps, std::size_t... Widths>
struct concat_merge {
  static constexpr std::size_t branches = sizeof...(Widths);
  static constexpr std::array<std::size_t, branches> widths{Widths...};
  static constexpr std::size_t block = (Widths + ...);
  static constexpr std::size_t size = Steps * block; ///< values of the merged output
  static constexpr std::array<std::size_t, branches> starts = [] {
    std::array<std::size_t, branches> s{};
    for (std::size_t b = 1; b < branches; ++b) s[b] = s[b - 1] + widths[b - 1];
    return s;
  }();
  static void put(std::size_t b, const T* out, T* z) noexcept {
    for (std::size_t t = 0; t < Steps; ++t) std::copy_n(out + t * widths[b], widths[b], z + t * block + starts[b]);
  }
  static void gradient(std::size_t b, const T* dz, const T* const*, T* g) noexcept {
    for (std::size_t t = 0; t < Steps; ++t) std::copy_n(dz + t * block + starts[b], widths[b], g + t * widths[b]);
  }
};

/// add: z = sum of the branches; each branch's gradient is dz.
template <class T, std::size_t Size, std::size_t Branches>
struct add_merge {
  static constexpr std::size_t size = Size;
  static void put(std::size_t b, const T* out, T* z) noexcept {
    if (b == 0)
      std::copy_n(out, Size, z);
    else
      for (std::size_t k = 0; k < Size; ++k) z[k] += out[k];
  }
  static void gradient(std::size_t, const T* dz, const T* const*, T* g) noexcept { std::copy_n(dz, Size, g); }
};

/// multiply: z = the product of the branches; branch b's gradient is dz times the others.
template <class T, std::size_t Size, std::size_t Branches>
struct multiply_merge {
  static constexpr std::size_t size = Size;
  static void put(std::size_t b, const T* out, T* z) noexcept {
    if (b == 0)
      std::copy_n(out, Size, z);
    else
      for (std::size_t k = 0; k < Size; ++k) z[k] *= out[k];
  }
  static void gradient(std::size_t b, const T* dz, const T* const* outs, T* g) noexcept {
    std::copy_n(dz, Size, g);
    for (std::size_t c = 0; c < Branches; ++c)
      if (c != b)
        for (std::size_t k = 0; k < Size; ++k) g[k] *= outs[c][k];
  }
};

} // namespace CTNN_NAMESPACE::layers
