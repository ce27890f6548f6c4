// int8_dense<In, Out, InMax>: the quantized dense layer. uint8 inputs (at most InMax), int8
// weights, int32 biases and int32 sums: y = b + W x, exact. Its parameters live in the object
// (in the kernel's layout, kernels/integer.hpp), so a network of them can be a constexpr value.
//
// Overflow is proved, not hoped away: sum_bound() is the largest |b[o]| + sum_i |W[o][i]| * InMax
// over the outputs, the worst case for any input; set() refuses weights whose bound passes 2^31 - 1
// with a bound_error naming the layer (a file reader turns it into a file_error naming the file),
// and for constexpr weights the same bound is a constant: static_assert(layer.cannot_overflow()).
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/core/bound_error.hpp>
#include <ctnn/kernels/integer.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

namespace CTNN_NAMESPACE {

template <std::size_t In, std::size_t Out, unsigned InMax = 127>
struct int8_dense {
  static_assert(In > 0 && Out > 0, "int8_dense: sizes must be positive");
  static_assert(InMax > 0 && InMax <= 255, "int8_dense: the inputs are uint8, InMax in 1..255");
  using layout = kernels::int8_affine_layout<In, Out>;
  using input_type = std::uint8_t;
  using output_type = std::int32_t;
  static constexpr std::size_t in_size = In;
  static constexpr std::size_t out_size = Out;
  static constexpr unsigned in_max = InMax;
  /// Elements of the input and output buffers forward() reads and writes.
  static constexpr std::size_t in_padded = layout::in_padded;
  static constexpr std::size_t out_padded = layout::out_padded;
  /// Logical parameters: In x Out weights and Out biases (PyTorch's count).
  static constexpr std::size_t param_count = In * Out + Out;

  alignas(64) std::array<std::int8_t, layout::weight_size> weights{};
  alignas(64) std::array<std::int32_t, out_padded> biases{};

  /// W[o][i].
  constexpr std::int8_t weight(std::size_t o, std::size_t i) const noexcept { return weights[layout::index(i, o)]; }
  constexpr std::int32_t bias(std::size_t o) const noexcept { return biases[o]; }

  /// The worst-case |sum| of output o over every input in 0..InMax.
  constexpr std::int64_t sum_bound(std::size_t o) const noexcept {
    std::int64_t s = biases[o] < 0 ? -std::int64_t{biases[o]} : std::int64_t{biases[o]};
    for (std::size_t i = 0; i < In; ++i) {
      const std::int64_t w = weight(o, i);
      s += (w < 0 ? -w : w) * InMax;
    }
    return s;
  }
  /// The worst-case |sum| over all outputs; the layer cannot overflow when it is below 2^31.
  constexpr std::int64_t sum_bound() const noexcept {
    std::int64_t m = 0;
    for (std::size_t o = 0; o < Out; ++o) m = std::max(m, sum_bound(o));
    return m;
  }
  static constexpr std::int64_t sum_limit = std::numeric_limits<std::int32_t>::max();
  constexpr bool cannot_overflow() const noexcept { return sum_bound() <= sum_limit; }

  /// Sets the parameters from PyTorch's layout: w [Out][In] row-major, b [Out]. Throws
  /// std::invalid_argument on other sizes, and bound_error (naming `where`) on weights that could
  /// overflow; then the old parameters stay.
  constexpr void set(std::span<const std::int8_t> w, std::span<const std::int32_t> b,
                     std::string_view where = "int8_dense") {
    if (w.size() != In * Out || b.size() != Out)
      throw std::invalid_argument(std::string(where) + ": expected " + std::to_string(In * Out) + " weights and " +
                                  std::to_string(Out) + " biases, found " + std::to_string(w.size()) + " and " +
                                  std::to_string(b.size()));
    int8_dense next{};
    for (std::size_t o = 0; o < Out; ++o) {
      next.biases[o] = b[o];
      for (std::size_t i = 0; i < In; ++i) next.weights[layout::index(i, o)] = w[o * In + i];
    }
    if (!next.cannot_overflow())
      throw bound_error(std::string(where),
                        "weights whose int32 sums cannot overflow for inputs up to " + std::to_string(InMax) +
                            " (|bias| + sum |w| * " + std::to_string(InMax) + " <= 2147483647)",
                        next.sum_bound());
    *this = next;
  }

  /// y = b + W x with this translation unit's best instructions (x: in_padded, y: out_padded).
  void forward(const std::uint8_t* x, std::int32_t* y) const noexcept {
    kernels::int8_affine<In, Out, InMax>(x, weights.data(), biases.data(), y);
  }
  /// forward for Rows samples at once (sample s: x + s * x_stride, y + s * y_stride; y_stride a
  /// multiple of 16, y aligned to 64 bytes), each weight load shared by several of them.
  template <std::size_t Rows>
  void forward_rows(const std::uint8_t* x, std::size_t x_stride, std::int32_t* y, std::size_t y_stride) const noexcept {
    kernels::int8_affine_rows<In, Out, Rows, InMax>(x, x_stride, weights.data(), biases.data(), y, y_stride);
  }
  /// The scalar twin of forward.
  void forward_reference(const std::uint8_t* x, std::int32_t* y) const noexcept {
    kernels::int8_affine_reference<In, Out>(x, weights.data(), biases.data(), y);
  }
};

} // namespace CTNN_NAMESPACE
