// quantize(net, calibration): the integer network of a float network, post-training: networks of
// dense, conv1d/conv2d (not grouped, not over sequences), max pools and relu (dropout and flatten
// are left out; the last layer with parameters is dense or conv). uint8
// activations (0..127, so every instruction set's kernel is exact: see kernels/integer.hpp), int8
// weights with one scale per output channel, int32 sums, and fixed-point requantization between
// layers; float in and out at the edges.
//
//   auto q = ctnn::quantize(net, calibration);                 // a ctnn::dataset, or rows of inputs
//   auto q = ctnn::quantize(net, calibration, {.percentile = 99.99});
//   auto y = q(x);                                            // tensor<float, input> -> output
//
// The scheme (PyTorch's static quantization with per-channel weights, in integers throughout):
//   activation   a ~ s * (q - z), q in 0..127, z its zero point; [min, max] of the calibration
//                values (or their percentiles), widened to hold 0, gives s = (max - min) / 127
//   weight       W[o][i] ~ sw[o] * Wq[o][i], Wq in -127..127, sw[o] = max_i |W[o][i]| / 127, rounded
//                half to even as PyTorch's quantize_per_channel
//   bias         bq[o] = round(b[o] / (s_in sw[o])) - z_in * sum_i Wq[o][i] (the input's zero point
//                folded into the bias, so the kernel multiplies the uint8 codes as they are)
//   requantize   q_out = clamp(z_out + round(acc * m[o]), lo, 127), m[o] = s_in sw[o] / s_out a float:
//                one IEEE multiply and a round to nearest even, which every instruction set does
//                alike (no add that an FMA could absorb); lo = z_out when a relu follows (the relu
//                is the clamp), else 0
//   last layer   y[o] = s_in sw[o] * acc[o] (float)
//   conv         the same per output position, over the window's codes (padding: the input's zero
//                point, the code of 0); max pools take the max of the codes (quantization keeps
//                the order), a relu after a pool clamps at the zero point
// Every layer's int32 sums are proved not to overflow when it is set (int8_dense::set).
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/core/tensor.hpp>
#include <ctnn/core/window.hpp>
#include <ctnn/dsl/diag.hpp>
#include <ctnn/dsl/layers/activation.hpp>
#include <ctnn/dsl/layers/conv.hpp>
#include <ctnn/dsl/layers/dense.hpp>
#include <ctnn/dsl/layers/dropout.hpp>
#include <ctnn/dsl/layers/flatten.hpp>
#include <ctnn/dsl/layers/pool.hpp>
#include <ctnn/kernels/integer.hpp>
#include <ctnn/kernels/simd.hpp>
#include <ctnn/layers/int8_dense.hpp>
#include <ctnn/runtime/network.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace CTNN_NAMESPACE {

namespace detail::quant {
template <const auto& Layer>
constexpr bool prove() {
  using layer_type = std::remove_cvref_t<decltype(Layer)>;
  constexpr std::int64_t bound = Layer.sum_bound();
  if constexpr (bound > layer_type::sum_limit) // the assertion is the one error: the function still returns
    static_assert(diag::int8_sums_could_overflow<layer_type, diag::worst_case_sum<bound>,
                                                 diag::fix_scale_the_weights_down_or_clip_the_inputs_lower>::ok,
                  "ctnn::proved: these constexpr weights could overflow their int32 sums; the failed condition names "
                  "the layer and its worst-case sum");
  return true;
}
} // namespace detail::quant

/// Proves at compile time that a constexpr int8_dense layer's sums cannot overflow for any input
/// up to its InMax: `static_assert(ctnn::proved<layer>)`, or one error naming the layer type and
/// its worst-case sum (diag::int8_sums_could_overflow<int8_dense<...>, worst_case_sum<N>, ...>).
template <const auto& Layer>
inline constexpr bool proved = detail::quant::prove<Layer>();

/// How quantize() turns calibration values into ranges.
struct quantize_options {
  /// 100: each tensor's [min, max]; below 100, its [100 - p, p] percentiles (clips outliers).
  double percentile = 100;
};

namespace detail::quant {

enum class op : int { none, dense, relu, skip, conv, max_pool };

template <class L>
struct kind {
  static constexpr op value = op::none;
};
template <std::size_t U>
struct kind<dense<U>> {
  static constexpr op value = op::dense;
};
template <>
struct kind<relu> {
  static constexpr op value = op::relu;
};
template <std::size_t N, std::size_t D>
struct kind<dropout<N, D>> {
  static constexpr op value = op::skip; // the identity at inference
};
template <>
struct kind<flatten> {
  static constexpr op value = op::skip;
};
template <std::size_t F, class K, class... O>
struct kind<conv2d<F, K, O...>> {
  static constexpr op value = conv2d<F, K, O...>::groups == 1 ? op::conv : op::none;
};
template <std::size_t F, std::size_t K, class... O>
struct kind<conv1d<F, K, O...>> {
  static constexpr op value = conv1d<F, K, O...>::groups == 1 ? op::conv : op::none;
};
template <class W, class... O>
struct kind<max_pool2d<W, O...>> {
  static constexpr op value = op::max_pool;
};
template <class W, class... O>
struct kind<max_pool1d<W, O...>> {
  static constexpr op value = op::max_pool;
};

constexpr bool computes(op k) { return k == op::dense || k == op::conv || k == op::max_pool; }

/// The integer plan of a network<...>: its operations (dense, conv, max pool: their layer
/// indices, and whether a relu follows), or the first layer without an integer form.
template <class Model>
struct plan {
  static constexpr std::size_t layers = Model::layer_count;
  template <std::size_t... I>
  static constexpr auto kinds(std::index_sequence<I...>) {
    return std::array<op, layers>{kind<typename Model::template layer<I>>::value...};
  }
  static constexpr auto kinds_ = kinds(std::make_index_sequence<layers>{});
  /// The first layer without an integer form: unknown kinds, layers over sequences, a relu before
  /// any operation, or a network whose last operation is not dense or conv (0: none).
  static constexpr std::size_t first_unsupported = [] {
    std::size_t last = 0;
    for (std::size_t i = 1; i < layers; ++i) {
      if (kinds_[i] == op::none || Model::layer_input(i).sequence) return i;
      if (kinds_[i] == op::relu && last == 0) return i;
      if (computes(kinds_[i])) last = i;
    }
    if (last == 0 || kinds_[last] == op::max_pool) return last == 0 ? layers - 1 : last;
    return std::size_t{0};
  }();
  static constexpr std::size_t count = [] {
    std::size_t n = 0;
    for (std::size_t i = 1; i < layers; ++i) n += computes(kinds_[i]);
    return n;
  }();
  /// Layer index of the k-th operation.
  static constexpr std::size_t index(std::size_t k) {
    for (std::size_t i = 1; i < layers; ++i)
      if (computes(kinds_[i]) && k-- == 0) return i;
    return 0;
  }
  static constexpr op kind_of(std::size_t k) { return kinds_[index(k)]; }
  /// Whether a relu comes after the k-th operation (before the next one).
  static constexpr bool relu_after(std::size_t k) {
    for (std::size_t i = index(k) + 1; i < layers && !computes(kinds_[i]); ++i)
      if (kinds_[i] == op::relu) return true;
    return false;
  }
  static constexpr std::size_t in_size(std::size_t k) { return Model::layer_input(index(k)).size(); }
  static constexpr std::size_t out_size(std::size_t k) { return Model::layer_output(index(k)).size(); }
  template <std::size_t K>
  static constexpr window_geometry geometry() {
    if constexpr (kind_of(K) == op::conv || kind_of(K) == op::max_pool)
      return Model::template layer<index(K)>::geometry(Model::layer_input(index(K)));
    else
      return {};
  }
};

/// An activation's affine quantization: a ~ scale * (q - zero), q in 0..127.
struct affine_range {
  double scale = 1;
  int zero = 0;
  static affine_range of(double lo, double hi) {
    lo = std::min(lo, 0.0);
    hi = std::max(hi, 0.0);
    if (hi - lo < 1e-12) hi = lo + 1e-12;
    affine_range r;
    r.scale = (hi - lo) / 127;
    r.zero = static_cast<int>(std::clamp<long>(std::lround(-lo / r.scale), 0, 127));
    return r;
  }
  /// The codes of N floats into q (N rounded up to 16 codes; the padding is coded from 0):
  /// clamp(round(x * (1 / scale)) + zero, 0, 127), rounded half to even. A multiply by the
  /// reciprocal (a division costs as much as the int8 layer after it) and no add in float, so no
  /// FMA can absorb it on one instruction set and not another: every instruction set gives the
  /// same codes.
  template <std::size_t N>
  void codes(const float* x, std::uint8_t* q) const noexcept {
    using fb = kernels::simd<float>;
    using ib = kernels::simd<std::int32_t>;
    constexpr std::size_t padded = (N + 15) / 16 * 16, whole = N / fb::size * fb::size;
    const float inv = static_cast<float>(1.0 / scale);
    const fb r(inv), lo(-256.0f), hi(256.0f);
    const ib z(zero), bottom(0), top(127);
    alignas(64) std::int32_t c[padded];
    for (std::size_t i = 0; i < whole; i += fb::size) {
      const fb v = xsimd::min(xsimd::max(fb::load_unaligned(x + i) * r, lo), hi);
      xsimd::min(xsimd::max(xsimd::nearbyint_as_int(v) + z, bottom), top).store_aligned(c + i);
    }
    for (std::size_t i = whole; i < padded; ++i) {
      const float v = std::min(std::max((i < N ? x[i] : 0.0f) * inv, -256.0f), 256.0f);
      c[i] = std::clamp(static_cast<std::int32_t>(std::nearbyint(v)) + zero, 0, 127);
    }
    kernels::narrow_to_uint8<padded>(c, q);
  }
};

/// The requantization of one output position: codes[o] = clamp(zero + round(acc[o] * scale[o]),
/// lo, 127) for N (a multiple of 16) values, vectorized.
template <std::size_t N>
CTNN_ALWAYS_INLINE void requantize(const std::int32_t* acc, const float* scale, int zero, int lo,
                                   std::int32_t* codes) noexcept {
  using fb = kernels::simd<float>;
  using ib = kernels::simd<std::int32_t>;
  const ib z(zero), l(lo), h(127);
  for (std::size_t o = 0; o < N; o += fb::size) {
    const fb v = xsimd::to_float(ib::load_aligned(acc + o)) * fb::load_aligned(scale + o);
    xsimd::min(xsimd::max(xsimd::nearbyint_as_int(v) + z, l), h).store_aligned(codes + o);
  }
}

/// requantize for one filter's row of N sums (one scale).
template <std::size_t N>
CTNN_ALWAYS_INLINE void requantize_row(const std::int32_t* acc, float scale, int zero, int lo,
                                       std::int32_t* codes) noexcept {
  using fb = kernels::simd<float>;
  using ib = kernels::simd<std::int32_t>;
  const ib z(zero), l(lo), h(127);
  const fb m(scale);
  for (std::size_t o = 0; o < N; o += fb::size)
    xsimd::min(xsimd::max(xsimd::nearbyint_as_int(xsimd::to_float(ib::load_aligned(acc + o)) * m) + z, l), h)
        .store_aligned(codes + o);
}

/// A dense or conv operation: int8 weights over In codes (a conv's window), Out sums.
template <std::size_t In, std::size_t Out, bool Relu, bool Last>
struct affine {
  using layer_type = int8_dense<In, Out, 127>;
  static constexpr bool relu = Relu, last = Last;
  layer_type layer;
  /// Not last: the requantization multipliers m[o]; last: the float value of one unit of sum o.
  alignas(64) std::array<float, layer_type::out_padded> scale{};
  int out_zero = 0; ///< the zero point of the outputs
  int in_zero = 0;  ///< the zero point of the inputs (a conv's padding)

  void outputs(const std::int32_t* acc, std::uint8_t* out, float* y, std::size_t at,
               std::size_t stride) const noexcept {
    if constexpr (Last) {
      for (std::size_t o = 0; o < Out; ++o) y[o * stride + at] = scale[o] * static_cast<float>(acc[o]);
    } else {
      alignas(64) std::int32_t codes[layer_type::out_padded];
      requantize<layer_type::out_padded>(acc, scale.data(), out_zero, Relu ? out_zero : 0, codes);
      if (stride == 1)
        kernels::narrow_to_uint8<layer_type::out_padded>(codes, out);
      else
        for (std::size_t o = 0; o < Out; ++o) out[o * stride + at] = static_cast<std::uint8_t>(codes[o]);
    }
  }
};

template <std::size_t In, std::size_t Out, bool Relu, bool Last>
struct dense_op : affine<In, Out, Relu, Last> {
  static constexpr std::size_t in_codes = In, out_codes = Out;
  void run(const std::uint8_t* in, std::uint8_t* out, float* y) const noexcept {
    alignas(64) std::int32_t acc[dense_op::layer_type::out_padded];
    this->layer.forward(in, acc);
    this->outputs(acc, out, y, 0, 1);
  }
  /// Rows samples at once (codes every `codes` bytes, outputs every `outputs` floats), each weight
  /// load shared by several of them.
  template <std::size_t Rows>
  void run_rows(const std::uint8_t* in, std::uint8_t* out, float* y, std::size_t codes,
                std::size_t outputs) const noexcept {
    constexpr std::size_t stride = dense_op::layer_type::out_padded;
    alignas(64) std::int32_t acc[Rows * stride];
    this->layer.template forward_rows<Rows>(in, codes, acc, stride);
    for (std::size_t s = 0; s < Rows; ++s) this->outputs(acc + s * stride, out + s * codes, y + s * outputs, 0, 1);
  }
};

/// A convolution: its windows' codes gathered (im2col) and multiplied with the positions as the
/// vector lanes (kernels::int8_conv). `layer` holds the weights as a dense layer's over the window
/// (it proves the bound); `rows` the same weights as the kernel reads them.
template <window_geometry G, std::size_t F, bool Relu, bool Last>
struct conv_op : affine<G.c * G.kh * G.kw, F, Relu, Last> {
  static constexpr std::size_t window = G.c * G.kh * G.kw, positions = G.oh * G.ow;
  static constexpr std::size_t in_codes = G.c * G.h * G.w, out_codes = F * positions;
  using layout = kernels::int8_conv_layout<window, positions>;
  alignas(64) std::array<std::int8_t, F * layout::window_padded> rows{};

  /// The first output column whose window column j lies inside the input, and one past the last.
  static constexpr std::size_t column_start(std::size_t j) noexcept {
    const std::size_t off = j * G.dw;
    return off >= G.pl ? 0 : (G.pl - off + G.sw - 1) / G.sw;
  }
  static constexpr std::size_t column_end(std::size_t j) noexcept {
    const std::size_t off = j * G.dw; // input column ox sw + off - pl < w  <=>  ox sw < w + pl - off
    if (G.w + G.pl <= off) return 0;
    return std::min(G.ow, (G.w + G.pl - off + G.sw - 1) / G.sw);
  }

  /// n codes in whole 16-byte vectors (reads and writes up to 15 bytes past n: the buffers have
  /// the slack, and what lands past n is written over after).
  static void copy_codes(std::uint8_t* d, const std::uint8_t* src, std::size_t n) noexcept {
    for (std::size_t k = 0; k < n; k += 16) {
#if defined(__SSE2__)
      _mm_storeu_si128(reinterpret_cast<__m128i*>(d + k), _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + k)));
#else
      for (std::size_t q = k; q < std::min(n, k + 16); ++q) d[q] = src[q];
#endif
    }
  }

  void set_rows() noexcept {
    for (std::size_t f = 0; f < F; ++f)
      for (std::size_t k = 0; k < window; ++k) rows[f * layout::window_padded + k] = this->layer.weight(f, k);
  }

  void run(const std::uint8_t* in, std::uint8_t* out, float* y) const noexcept {
    constexpr std::size_t pp = layout::positions_padded;
    alignas(64) std::uint8_t plain[layout::window_padded * pp + 16]; // + copy_codes' slack
    alignas(64) std::uint8_t packed[layout::size];
    alignas(64) std::int32_t acc[F * pp];
    const auto pad = static_cast<std::uint8_t>(this->in_zero); // the code of 0
    for (std::size_t k = 0; k < layout::window_padded; ++k) {
      std::uint8_t* row = plain + k * pp;
      if (k >= window) {
        std::fill_n(row, pp, std::uint8_t{0});
        continue;
      }
      const std::size_t c = k / (G.kh * G.kw), i = k / G.kw % G.kh, j = k % G.kw;
      for (std::size_t oy = 0; oy < G.oh; ++oy) {
        const std::ptrdiff_t yy = std::ptrdiff_t(oy * G.sh + i * G.dh) - std::ptrdiff_t(G.pt);
        std::uint8_t* o = row + oy * G.ow;
        if (yy < 0 || yy >= std::ptrdiff_t(G.h)) {
          std::fill_n(o, G.ow, pad);
          continue;
        }
        // the columns ox whose input column ox sw + j dw - pl lies inside: [lo, hi)
        const std::size_t lo = std::min(G.ow, column_start(j)), hi = std::max(lo, column_end(j));
        const std::uint8_t* src = in + (c * G.h + std::size_t(yy)) * G.w + lo * G.sw + j * G.dw - G.pl;
        std::fill_n(o, lo, pad);
        if constexpr (G.sw == 1) {
          copy_codes(o + lo, src, hi - lo); // whole vectors: may write past hi, filled next
        } else {
          for (std::size_t ox = lo; ox < hi; ++ox) o[ox] = src[(ox - lo) * G.sw];
        }
        std::fill(o + hi, o + G.ow, pad);
      }
      std::fill(row + positions, row + pp, pad);
    }
    kernels::int8_conv_interleave<window, positions>(plain, packed);
    kernels::int8_conv<window, F, positions>(packed, rows.data(), this->layer.biases.data(), acc);
    for (std::size_t f = 0; f < F; ++f) {
      const std::int32_t* a = acc + f * pp;
      if constexpr (Last) {
        for (std::size_t p = 0; p < positions; ++p) y[f * positions + p] = this->scale[f] * static_cast<float>(a[p]);
      } else {
        alignas(64) std::int32_t codes[pp];
        requantize_row<pp>(a, this->scale[f], this->out_zero, Relu ? this->out_zero : 0, codes);
        kernels::narrow_to_uint8<pp>(codes, out + f * positions); // rows overlap: f + 1 overwrites the tail
      }
    }
  }
};

template <window_geometry G, bool Relu>
struct max_pool_op {
  static constexpr bool relu = Relu, last = false;
  static constexpr std::size_t in_codes = G.c * G.h * G.w, out_codes = G.c * G.oh * G.ow;
  int zero = 0; ///< the zero point of the codes (a relu after the pool clamps there)
  void run(const std::uint8_t* in, std::uint8_t* out, float*) const noexcept {
    // per output row: the max over the window's rows (contiguous, vectorized), then over its columns
    const auto floor = static_cast<std::uint8_t>(Relu ? zero : 0);
    constexpr std::size_t span = (G.ow - 1) * G.sw + (G.kw - 1) * G.dw + 1; // padded columns a row reads
    for (std::size_t c = 0; c < G.c; ++c) {
      const std::uint8_t* plane = in + c * G.h * G.w;
      for (std::size_t oy = 0; oy < G.oh; ++oy) {
        constexpr std::size_t vectors = (G.ow + 15) / 16; // of the 2 x 2 path below
        constexpr std::size_t columns = (G.w + 15) / 16 * 16;
        alignas(16) std::uint8_t t[std::max({span + G.pl + G.pr + 1, 32 * vectors, G.pl + columns})];
        std::fill_n(t, std::size(t), floor); // padding never wins: it is the floor
        for (std::size_t i = 0; i < G.kh; ++i) {
          const std::ptrdiff_t yy = std::ptrdiff_t(oy * G.sh + i * G.dh) - std::ptrdiff_t(G.pt);
          if (yy < 0 || yy >= std::ptrdiff_t(G.h)) continue;
          const std::uint8_t* row = plane + std::size_t(yy) * G.w;
          // whole vectors (reading past the row: the codes buffer has the slack; what lands past
          // the row is set back to the floor below). Byte by byte, the 16-byte loads of the
          // column pass waited on the stores (no store forwarding): 40% of a CNN's time.
          for (std::size_t x = 0; x < columns; x += 16) {
#if defined(__SSE2__)
            auto* d = reinterpret_cast<__m128i*>(t + G.pl + x);
            _mm_storeu_si128(
                d, _mm_max_epu8(_mm_loadu_si128(d), _mm_loadu_si128(reinterpret_cast<const __m128i*>(row + x))));
#else
            for (std::size_t k = x; k < x + 16; ++k) t[G.pl + k] = t[G.pl + k] > row[k] ? t[G.pl + k] : row[k];
#endif
          }
        }
        if constexpr (span > G.pl + G.w) // windows over the right padding: set it back to the floor
          std::fill(t + G.pl + G.w, t + std::size(t), floor);
        std::uint8_t* o = out + (c * G.oh + oy) * G.ow;
        std::size_t ox = 0;
#if defined(__SSE2__)
        if constexpr (G.kw == 2 && G.sw == 2 && G.dw == 1) { // the common 2 x 2 pool: 16 outputs at a time
          const __m128i low = _mm_set1_epi16(0x00FF);
          // whole vectors, the last one past the row: what lands on the next row (or the buffer's
          // slack) is written over after
          for (; ox < G.ow; ox += 16) {
            const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(t + 2 * ox));
            const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(t + 2 * ox + 16));
            const __m128i ma = _mm_max_epi16(_mm_and_si128(a, low), _mm_srli_epi16(a, 8));
            const __m128i mb = _mm_max_epi16(_mm_and_si128(b, low), _mm_srli_epi16(b, 8));
            _mm_storeu_si128(reinterpret_cast<__m128i*>(o + ox), _mm_packus_epi16(ma, mb));
          }
        }
#endif
        for (; ox < G.ow; ++ox) {
          std::uint8_t m = t[ox * G.sw];
          for (std::size_t j = 1; j < G.kw; ++j) {
            const std::uint8_t v = t[ox * G.sw + j * G.dw];
            m = m > v ? m : v;
          }
          o[ox] = m;
        }
      }
    }
  }
};

template <class Plan, std::size_t K>
constexpr auto op_type() {
  constexpr bool relu = Plan::relu_after(K), last = K + 1 == Plan::count;
  if constexpr (Plan::kind_of(K) == op::dense)
    return std::type_identity<dense_op<Plan::in_size(K), Plan::out_size(K), relu, last>>{};
  else if constexpr (Plan::kind_of(K) == op::conv)
    return std::type_identity<
        conv_op<Plan::template geometry<K>(),
                Plan::out_size(K) / (Plan::template geometry<K>().oh * Plan::template geometry<K>().ow), relu, last>>{};
  else
    return std::type_identity<max_pool_op<Plan::template geometry<K>(), relu>>{};
}

template <class Plan, class = std::make_index_sequence<Plan::count>>
struct ops;
template <class Plan, std::size_t... K>
struct ops<Plan, std::index_sequence<K...>> {
  using type = std::tuple<typename decltype(op_type<Plan, K>())::type...>;
};

/// Values an operation keeps in a weight file.
template <class S>
constexpr std::size_t value_count_of() {
  if constexpr (requires { typename S::layer_type; })
    return S::layer_type::in_size * S::layer_type::out_size + 2 * S::layer_type::out_size + 2;
  else
    return 1;
}

inline std::pair<double, double> range_of(std::vector<double>& v, double percentile) {
  if (v.empty()) return {0, 0};
  if (percentile >= 100) {
    const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
    return {*lo, *hi};
  }
  const auto at = [&](double p) {
    const auto k = static_cast<std::size_t>(std::llround(p / 100 * static_cast<double>(v.size() - 1)));
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
    return v[k];
  };
  return {at(100 - percentile), at(percentile)};
}

} // namespace detail::quant

/// The integer network of a float network of topology Model. Made by ctnn::quantize.
template <class Model>
class quantized {
  using plan = detail::quant::plan<Model>;

public:
  using input_shape = typename Model::input_shape;
  using output_shape = typename Model::output_shape;
  using ops_type = typename detail::quant::ops<plan>::type;
  static constexpr std::size_t input_size = input_shape::size;
  static constexpr std::size_t output_size = output_shape::size;
  static constexpr std::size_t stage_count = plan::count;

  /// One sample: float in, float out.
  tensor<float, output_shape> operator()(const tensor<float, input_shape>& x) const noexcept {
    tensor<float, output_shape> y;
    (*this)(x.data(), y.data());
    return y;
  }
  void operator()(const float* x, float* y) const noexcept {
    alignas(64) std::uint8_t a[max_width], b[max_width];
    input_.template codes<input_size>(x, a);
    run<0>(a, b, y);
  }

  /// n samples (rows of input_size and output_size values), `tile` at a time: a dense layer
  /// shares each weight load among the samples of a tile (kernels::int8_affine_rows); the other
  /// operations take them one by one. Equal to n single calls, bit for bit.
  void predict(const float* x, float* y, std::size_t n) const noexcept {
    alignas(64) std::uint8_t a[tile * max_width], b[tile * max_width];
    const std::size_t tiles = n / tile;
    for (std::size_t t = 0; t < tiles; ++t) {
      const float* xt = x + t * tile * input_size;
      for (std::size_t s = 0; s < tile; ++s) input_.template codes<input_size>(xt + s * input_size, a + s * max_width);
      run_rows<0>(a, b, y + t * tile * output_size);
    }
    x += tiles * tile * input_size;
    y += tiles * tile * output_size;
    for (std::size_t r = n % tile; r > 0; --r, x += input_size, y += output_size) (*this)(x, y);
  }
  /// The samples predict runs at once.
  static constexpr std::size_t tile = 8;

  // ---- weight files: ctnn::save(q, path) and ctnn::load(q, path) (ctnn/io/weights.hpp) ----
  // The values, in order, as doubles (every int8, int32 and float value is exact in a double):
  // the input's scale and zero point; per operation, an affine one's weights [out][in], biases,
  // scales, output and input zero points, a max pool's zero point.

  using value_type = double;
  /// Line 0: the integer types and the scheme; then the float network's layers.
  static std::vector<std::string> fingerprint() {
    auto lines = net<Model, float>::fingerprint();
    lines[0] = "int8: uint8 codes 0..127 with zero points, int8 weights per output channel, int32 sums, float "
               "requantization";
    return lines;
  }
  static constexpr std::size_t value_count = [] {
    std::size_t n = 2;
    [&]<std::size_t... K>(std::index_sequence<K...>) {
      ((n += detail::quant::value_count_of<std::tuple_element_t<K, ops_type>>()), ...);
    }
    (std::make_index_sequence<stage_count>{});
    return n;
  }();
  static constexpr std::size_t param_count = value_count;

  std::vector<double> export_parameters() const {
    std::vector<double> v{input_.scale, double(input_.zero)};
    [&]<std::size_t... K>(std::index_sequence<K...>) {
      (
          [&] {
            const auto& s = std::get<K>(ops_);
            using S = std::remove_cvref_t<decltype(s)>;
            if constexpr (requires { s.layer; }) {
              constexpr std::size_t in = S::layer_type::in_size, out = S::layer_type::out_size;
              for (std::size_t o = 0; o < out; ++o)
                for (std::size_t i = 0; i < in; ++i) v.push_back(s.layer.weight(o, i));
              for (std::size_t o = 0; o < out; ++o) v.push_back(s.layer.bias(o));
              for (std::size_t o = 0; o < out; ++o) v.push_back(s.scale[o]);
              v.push_back(s.out_zero);
              v.push_back(s.in_zero);
            } else {
              v.push_back(s.zero);
            }
          }(),
          ...);
    }
    (std::make_index_sequence<stage_count>{});
    return v;
  }

  /// Sets every value from export_parameters' order. Checks each one (integers in their type's
  /// range, scales positive and finite, zero points in 0..127, sums proved not to overflow) and
  /// throws std::invalid_argument naming the first that is not; the network is then unchanged.
  void import_parameters(std::span<const double> v) {
    if (v.size() != value_count)
      throw std::invalid_argument("quantized network: expected " + std::to_string(value_count) + " values, found " +
                                  std::to_string(v.size()));
    auto next = std::make_unique<quantized>(*this);
    std::size_t at = 0;
    const auto integer = [&](double lo, double hi, const char* what) {
      const double x = v[at];
      if (!(x >= lo && x <= hi && x == std::floor(x)))
        throw std::invalid_argument("quantized network, value " + std::to_string(at) + ": expected " + what +
                                    " (an integer in " + std::to_string(static_cast<long long>(lo)) + ".." +
                                    std::to_string(static_cast<long long>(hi)) + "), found " + std::to_string(x));
      ++at;
      return x;
    };
    const auto positive = [&](const char* what) {
      const double x = v[at];
      if (!(x > 0 && std::isfinite(x) && x <= 3.4e38))
        throw std::invalid_argument("quantized network, value " + std::to_string(at) + ": expected " + what +
                                    " (positive and finite), found " + std::to_string(x));
      ++at;
      return x;
    };
    next->input_.scale = positive("the input's scale");
    next->input_.zero = static_cast<int>(integer(0, 127, "the input's zero point"));
    [&]<std::size_t... K>(std::index_sequence<K...>) {
      (
          [&] {
            auto& s = std::get<K>(next->ops_);
            using S = std::remove_cvref_t<decltype(s)>;
            if constexpr (requires { s.layer; }) {
              constexpr std::size_t in = S::layer_type::in_size, out = S::layer_type::out_size;
              std::vector<std::int8_t> w(in * out);
              std::vector<std::int32_t> b(out);
              for (auto& x : w) x = static_cast<std::int8_t>(integer(-128, 127, "an int8 weight"));
              for (auto& x : b) x = static_cast<std::int32_t>(integer(-2147483648.0, 2147483647.0, "an int32 bias"));
              for (std::size_t o = 0; o < out; ++o) s.scale[o] = static_cast<float>(positive("a scale"));
              s.out_zero = static_cast<int>(integer(0, 127, "a zero point"));
              s.in_zero = static_cast<int>(integer(0, 127, "a zero point"));
              try {
                s.layer.set(w, b, "quantized network, layer " + std::to_string(plan::index(K)));
              } catch (const bound_error& e) {
                throw std::invalid_argument(e.what());
              }
              if constexpr (requires { s.set_rows(); }) s.set_rows();
            } else {
              s.zero = static_cast<int>(integer(0, 127, "a zero point"));
            }
          }(),
          ...);
    }
    (std::make_index_sequence<stage_count>{});
    *this = *next;
  }

  /// The input's quantization, and each operation (an affine one's int8_dense layer, scales and
  /// zero points; a max pool's zero point).
  const detail::quant::affine_range& input_range() const noexcept { return input_; }
  detail::quant::affine_range& input_range() noexcept { return input_; }
  template <std::size_t K>
  const auto& stage() const noexcept {
    return std::get<K>(ops_);
  }
  template <std::size_t K>
  auto& stage() noexcept {
    return std::get<K>(ops_);
  }

private:
  template <std::size_t K = 0>
  static constexpr std::size_t widest() {
    if constexpr (K == stage_count)
      return input_size;
    else {
      using S = std::tuple_element_t<K, ops_type>;
      return std::max({widest<K + 1>(), S::in_codes + 64, S::out_codes + 64});
    }
  }
  static constexpr std::size_t max_width = (std::max(widest(), input_size + 16) + 63) / 64 * 64;

  template <std::size_t K>
  void run(std::uint8_t* in, std::uint8_t* out, float* y) const noexcept {
    const auto& s = std::get<K>(ops_);
    s.run(in, out, y);
    if constexpr (K + 1 < stage_count) run<K + 1>(out, in, y);
  }

  template <std::size_t K>
  void run_rows(std::uint8_t* in, std::uint8_t* out, float* y) const noexcept {
    const auto& s = std::get<K>(ops_);
    if constexpr (requires { s.template run_rows<tile>(in, out, y, max_width, output_size); })
      s.template run_rows<tile>(in, out, y, max_width, output_size);
    else
      for (std::size_t r = 0; r < tile; ++r) s.run(in + r * max_width, out + r * max_width, y + r * output_size);
    if constexpr (K + 1 < stage_count) run_rows<K + 1>(out, in, y);
  }

  detail::quant::affine_range input_;
  ops_type ops_;
};

/// The integer network of `n` (rows: `count` calibration inputs, one after the other).
template <class Model>
quantized<Model> quantize_rows(const net<Model, float>& n, std::span<const float> rows, std::size_t count,
                               quantize_options options = {}) {
  using plan = detail::quant::plan<Model>;
  if constexpr (plan::first_unsupported != 0) {
    constexpr std::size_t bad = plan::first_unsupported;
    static_assert(diag::layer_has_no_integer_form<diag::layer_index<bad>, typename Model::template layer<bad>,
                                                  diag::fix_quantize_networks_of_dense_conv_max_pool_and_relu>::ok,
                  "ctnn::quantize: this layer has no integer form yet; the failed condition names it");
    return {};
  } else {
    constexpr std::size_t in_size = Model::input_shape::size;
    if (count == 0 || rows.size() != count * in_size)
      throw std::invalid_argument("quantize: expected calibration rows of " + std::to_string(in_size) +
                                  " values, found " + std::to_string(rows.size()) + " values for " +
                                  std::to_string(count) + " rows");
    quantized<Model> q;
    auto& net_ = const_cast<net<Model, float>&>(n);    // layer<I>() views are only read here
    std::vector<double> act(rows.begin(), rows.end()); // each row's values before the operation
    const auto range = [&](std::vector<double> values) {
      const auto [lo, hi] = detail::quant::range_of(values, options.percentile);
      return detail::quant::affine_range::of(lo, hi);
    };
    q.input_range() = range(act);
    detail::quant::affine_range in_range = q.input_range();
    [&]<std::size_t... K>(std::index_sequence<K...>) {
      (
          [&] {
            auto& s = q.template stage<K>();
            using S = std::remove_cvref_t<decltype(s)>;
            constexpr std::size_t in_w = plan::in_size(K), out_w = plan::out_size(K);
            std::vector<double> next(count * out_w);
            if constexpr (plan::kind_of(K) == detail::quant::op::max_pool) {
              constexpr window_geometry g = plan::template geometry<K>();
              for (std::size_t r = 0; r < count; ++r)
                for (std::size_t c = 0; c < g.c; ++c)
                  for (std::size_t oy = 0; oy < g.oh; ++oy)
                    for (std::size_t ox = 0; ox < g.ow; ++ox) {
                      double m = -1e300;
                      for (std::size_t i = 0; i < g.kh; ++i)
                        for (std::size_t j = 0; j < g.kw; ++j) {
                          const std::ptrdiff_t yy = std::ptrdiff_t(oy * g.sh + i * g.dh) - std::ptrdiff_t(g.pt);
                          const std::ptrdiff_t xx = std::ptrdiff_t(ox * g.sw + j * g.dw) - std::ptrdiff_t(g.pl);
                          if (yy >= 0 && yy < std::ptrdiff_t(g.h) && xx >= 0 && xx < std::ptrdiff_t(g.w))
                            m = std::max(m, act[r * in_w + (c * g.h + std::size_t(yy)) * g.w + std::size_t(xx)]);
                        }
                      next[r * out_w + (c * g.oh + oy) * g.ow + ox] = S::relu ? std::max(m, 0.0) : m;
                    }
              s.zero = in_range.zero; // a max keeps the scale and zero point
            } else {
              const auto view = net_.template layer<plan::index(K)>();
              constexpr std::size_t window = S::layer_type::in_size, filters = S::layer_type::out_size;
              constexpr std::size_t positions = out_w / filters;
              // the float operation in double over the calibration rows
              std::vector<double> patch(window);
              for (std::size_t r = 0; r < count; ++r)
                for (std::size_t p = 0; p < positions; ++p) {
                  if constexpr (plan::kind_of(K) == detail::quant::op::conv) {
                    constexpr window_geometry g = plan::template geometry<K>();
                    const std::size_t oy = p / g.ow, ox = p % g.ow;
                    std::size_t k = 0;
                    for (std::size_t c = 0; c < g.c; ++c)
                      for (std::size_t i = 0; i < g.kh; ++i)
                        for (std::size_t j = 0; j < g.kw; ++j, ++k) {
                          const std::ptrdiff_t yy = std::ptrdiff_t(oy * g.sh + i * g.dh) - std::ptrdiff_t(g.pt);
                          const std::ptrdiff_t xx = std::ptrdiff_t(ox * g.sw + j * g.dw) - std::ptrdiff_t(g.pl);
                          patch[k] = yy < 0 || yy >= std::ptrdiff_t(g.h) || xx < 0 || xx >= std::ptrdiff_t(g.w)
                                         ? 0.0
                                         : act[r * in_w + (c * g.h + std::size_t(yy)) * g.w + std::size_t(xx)];
                        }
                  } else {
                    std::copy_n(act.begin() + static_cast<std::ptrdiff_t>(r * in_w), window, patch.begin());
                  }
                  for (std::size_t o = 0; o < filters; ++o) {
                    double sum = view.bias(o);
                    for (std::size_t i = 0; i < window; ++i) sum += double(view.weight(o, i)) * patch[i];
                    next[r * out_w + o * positions + p] = S::relu ? std::max(sum, 0.0) : sum;
                  }
                }
              // weights: int8 per output channel; the bias with the input's zero point folded in
              std::vector<std::int8_t> wq(window * filters);
              std::vector<std::int32_t> bq(filters);
              std::vector<double> sw(filters);
              for (std::size_t o = 0; o < filters; ++o) {
                double m = 0;
                for (std::size_t i = 0; i < window; ++i) m = std::max(m, std::abs(double(view.weight(o, i))));
                sw[o] = m > 0 ? m / 127 : 1;
                std::int64_t wsum = 0;
                for (std::size_t i = 0; i < window; ++i) {
                  const auto w = static_cast<std::int8_t>(
                      std::clamp<double>(std::nearbyint(double(view.weight(o, i)) / sw[o]), -127, 127));
                  wq[o * window + i] = w;
                  wsum += w;
                }
                bq[o] = static_cast<std::int32_t>(std::llround(double(view.bias(o)) / (in_range.scale * sw[o])) -
                                                  in_range.zero * wsum);
              }
              s.layer.set(wq, bq, "quantize: layer " + std::to_string(plan::index(K)));
              if constexpr (plan::kind_of(K) == detail::quant::op::conv) s.set_rows();
              s.in_zero = in_range.zero;
              if constexpr (S::last) {
                for (std::size_t o = 0; o < filters; ++o) s.scale[o] = static_cast<float>(in_range.scale * sw[o]);
              } else {
                const auto out_range = range(next);
                s.out_zero = out_range.zero;
                for (std::size_t o = 0; o < filters; ++o)
                  s.scale[o] = static_cast<float>(in_range.scale * sw[o] / out_range.scale);
                in_range = out_range;
              }
            }
            act = std::move(next);
          }(),
          ...);
    }
    (std::make_index_sequence<plan::count>{});
    return q;
  }
}

/// The integer network of `n`, its activation ranges from `calibration`: a ctnn::dataset (its
/// inputs) or anything with inputs() giving rows of input values.
template <class Model, class Calibration>
quantized<Model> quantize(const net<Model, float>& n, const Calibration& calibration, quantize_options options = {}) {
  const auto rows = calibration.inputs();
  constexpr std::size_t in_size = Model::input_shape::size;
  return quantize_rows(n, std::span<const float>(rows.data(), rows.size()), rows.size() / in_size, options);
}

} // namespace CTNN_NAMESPACE
