// tensor<T, shape<...>>: a fixed-size, aligned, row-major value type for one sample.
#pragma once

#include <ctnn/core/config.hpp>
#include <ctnn/core/shape.hpp>

#include <algorithm>
#include <cstddef>
#include <span>

namespace CTNN_NAMESPACE {

/// A tensor whose extent is part of its type. An aggregate: `tensor<float, shape<3>> x{1, 2, 3};`
/// Elements are stored row-major (last index fastest) and aligned to CTNN_ALIGNMENT.
template <class T, Shape S>
struct tensor {
  using value_type = T;
  using shape_type = S;
  static constexpr std::size_t rank = S::rank;

  alignas(alignment) T values[S::size];

  static constexpr std::size_t size() noexcept { return S::size; }
  constexpr T* data() noexcept { return values; }
  constexpr const T* data() const noexcept { return values; }
  constexpr T* begin() noexcept { return values; }
  constexpr T* end() noexcept { return values + S::size; }
  constexpr const T* begin() const noexcept { return values; }
  constexpr const T* end() const noexcept { return values + S::size; }
  constexpr T& operator[](std::size_t i) noexcept { return values[i]; }
  constexpr const T& operator[](std::size_t i) const noexcept { return values[i]; }

  /// Multi-index access, e.g. `img(c, y, x)` for shape<C, H, W>.
  template <class... I>
  requires(sizeof...(I) == S::rank) constexpr T& operator()(I... i) noexcept { return values[flat_index(i...)]; }
  template <class... I>
  requires(sizeof...(I) == S::rank) constexpr const T& operator()(I... i) const noexcept {
    return values[flat_index(i...)];
  }

  constexpr std::span<T, S::size> span() noexcept { return std::span<T, S::size>{values}; }
  constexpr std::span<const T, S::size> span() const noexcept { return std::span<const T, S::size>{values}; }
  constexpr void fill(T v) noexcept { std::fill(begin(), end(), v); }

  friend constexpr bool operator==(const tensor& a, const tensor& b) noexcept {
    return std::equal(a.begin(), a.end(), b.begin());
  }

private:
  template <class... I>
  static constexpr std::size_t flat_index(I... i) noexcept {
    std::size_t idx = 0, k = 0;
    ((idx = idx * S::dims.extent[k++] + static_cast<std::size_t>(i)), ...);
    return idx;
  }
};

} // namespace CTNN_NAMESPACE
