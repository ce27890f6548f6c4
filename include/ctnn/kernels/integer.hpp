// Integer kernels: the int8 affine transform (uint8 inputs times int8 weights, summed in int32),
// integer clipped activations, and the int16 accumulator rows of sparse inputs; each with a scalar
// reference twin.
//
// Written with intrinsics, not xsimd: xsimd 8.1 has no 8-bit dot products (VNNI's vpdpbusd,
// SSSE3's pmaddubsw), which are the whole point of these kernels. The instruction set is the best
// one the compile flags enable (as for the float kernels), so a translation unit built for each
// instruction set by ctnn_add_dispatch gets its own; `integer_isa` names it.
//
// Every kernel is exact integer arithmetic: the sum of products does not depend on the order of
// the additions, so the results are bit-identical on every instruction set as long as nothing
// saturates or overflows. Two preconditions make that so, and the stages that call these kernels
// prove them (at compile time for constexpr weights, at load for weights read from a file):
//   - the int32 sums cannot overflow: |bias| + sum |w| * in_max < 2^31 for every output;
//   - the AVX2/SSSE3/AVX-512BW path without VNNI multiplies with pmaddubsw, whose int16 pair
//     sums saturate above 32767: it is used only when the inputs are at most 127
//     (2 * 127 * 128 = 32512). For wider inputs the kernel widens to int16 first (pmaddwd).
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/kernels/simd.hpp> // <immintrin.h>, with GCC 12's AVX-512 header warnings silenced

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

namespace CTNN_NAMESPACE::kernels {

/// The instruction set the integer kernels of this translation unit use, best first:
/// "avx512vnni", "avxvnni", "avx512bw", "avx2", "ssse3", "sse2" or "scalar".
inline constexpr const char* integer_isa =
#if defined(__AVX512VNNI__) && defined(__AVX512BW__)
    "avx512vnni";
#elif defined(__AVXVNNI__) && defined(__AVX2__)
    "avxvnni";
#elif defined(__AVX512BW__)
    "avx512bw";
#elif defined(__AVX2__)
    "avx2";
#elif defined(__SSSE3__)
    "ssse3";
#elif defined(__SSE2__)
    "sse2";
#else
    "scalar";
#endif

/// Where an int8 affine transform's weights live. Two layouts, the same on every instruction set:
///  - interleaved (most layers): groups of four consecutive inputs, and within a group every
///    output's four weights side by side (the order vpdpbusd multiplies a broadcast of four inputs
///    with); outputs padded to 16 (one AVX-512 register of int32 sums);
///  - wide (at least 128 inputs, at most 16 outputs: a chess network's 1024 -> 16, a classifier's
///    last layer): blocks of 64 inputs (In padded to 64), and within a block each output's 64
///    weights in turn. The kernel loads 64 inputs once and multiplies them with each output's 64
///    weights, then adds each sum's lanes: half the loads of the interleaved layout, no
///    multiply-adds for padding outputs, and the weights still read front to back.
/// W[o][i] (PyTorch's [out, in] weight) is at index(i, o). Padding weights are zero, so the inputs'
/// padding (in_padded - In values after the inputs) may hold anything.
template <std::size_t In, std::size_t Out>
struct int8_affine_layout {
  static constexpr std::size_t in = In;
  static constexpr std::size_t out = Out;
  static constexpr bool wide = In >= 128 && Out <= 16;
  static constexpr std::size_t groups = (In + 3) / 4;
  /// Input elements the kernel reads (In rounded up to a group of four, or to 64 if wide).
  static constexpr std::size_t in_padded = wide ? (In + 63) / 64 * 64 : groups * 4;
  /// Output elements the kernel writes (Out rounded up to 16).
  static constexpr std::size_t out_padded = (Out + 15) / 16 * 16;
  static constexpr std::size_t weight_size = wide ? Out * in_padded : groups * out_padded * 4;
  static constexpr std::size_t index(std::size_t i, std::size_t o) noexcept {
    return wide ? (i / 64) * Out * 64 + o * 64 + i % 64 : (i / 4) * out_padded * 4 + o * 4 + i % 4;
  }
};

/// y[o] = b[o] + sum_i x[i] * W[o][i], in the scalar order of the definition: the reference
/// twin. x: in_padded values; y: out_padded values (the padding gets b = 0 plus nothing).
template <std::size_t In, std::size_t Out>
void int8_affine_reference(const std::uint8_t* x, const std::int8_t* w, const std::int32_t* b,
                           std::int32_t* y) noexcept {
  using L = int8_affine_layout<In, Out>;
  for (std::size_t o = 0; o < L::out_padded; ++o) {
    std::int32_t s = 0;
    if (o < Out) {
      s = b[o];
      for (std::size_t i = 0; i < In; ++i) s += std::int32_t{x[i]} * std::int32_t{w[L::index(i, o)]};
    }
    y[o] = s;
  }
}

namespace detail {

inline std::int32_t load_group(const std::uint8_t* x) noexcept {
  std::int32_t v;
  std::memcpy(&v, x, 4);
  return v;
}

/// Sums in several independent chains, each `Regs` registers wide: a multiply-add has a latency
/// of 4 to 5 cycles and two or more issue per cycle, so about `Budget` of them must be in flight
/// and small layers keep at least four groups per chain (adding up many chains costs more than
/// it saves there).
template <std::size_t Regs, std::size_t Budget, std::size_t Groups>
inline constexpr std::size_t int8_chains = std::clamp<std::size_t>(Groups / 4, 1, Regs >= Budget ? 1 : Budget / Regs);

/// f(std::integral_constant<std::size_t, I>{}) for I = 0 .. N - 1, each index a constant: GCC 12
/// keeps arrays of registers indexed so in registers of their own (with loops, even unrolled, it
/// copied sums between registers once per step).
template <std::size_t N, class F>
CTNN_ALWAYS_INLINE void unrolled(F&& f) {
  [&]<std::size_t... I>(std::index_sequence<I...>) CTNN_INLINE_LAMBDA {
    (f(std::integral_constant<std::size_t, I>{}), ...);
  }
  (std::make_index_sequence<N>{});
}

#if defined(__AVX512VNNI__)
/// acc + the dot products of x's uint8 and w's int8 groups of four (vpdpbusd). For GCC 12 as
/// inline assembly with the sum tied to its register: its builtin made it copy every sum to
/// another register once per group in the batched kernel (2 x the instructions).
CTNN_ALWAYS_INLINE __m512i dpbusd_512(__m512i acc, __m512i x, __m512i w) noexcept {
#if defined(__GNUC__) && !defined(__clang__)
  asm("vpdpbusd %2, %1, %0" : "+v"(acc) : "v"(x), "v"(w));
  return acc;
#else
  return _mm512_dpbusd_epi32(acc, x, w);
#endif
}
#endif

// The register kinds the kernels are written over, each with:
//   bytes            the bytes of one register (lanes = bytes / 4 int32 sums)
//   budget           multiply-adds to keep in flight (of 32 registers, or 16)
//   load(w), load_x(x), broadcast(x), set1(v)   a register of weights (aligned), of inputs, of
//                    the four inputs at x in every lane, and of v in every lane
//   dot(acc, x, w)   acc + per int32 lane the dot product of x's uint8 and w's int8 groups of four
//                    (vpdpbusd; else pmaddubsw then pmaddwd, for inputs <= 127)
//   biases(b, from, out)  biases from..from + lanes - 1 of `out` (zero past out): sums start from
//                    them, so no scalar add after the vector stores (the next layer's vector loads
//                    would wait on those stores)
//   sums(acc)        lane o: acc[o]'s lanes added, for lanes registers (the wide layout's end).
//                    quads(a) adds four registers so that each 128-bit lane holds a part of their
//                    four sums: unpacking the 32-bit lanes of a pair and adding gives, per 128-bit
//                    lane, [a0+a2 b0+b2 a1+a3 b1+b3]; unpacking 64-bit lanes of two such, [a b c d].

#if defined(__AVX512BW__)
struct v512 {
  using reg = __m512i;
  static constexpr std::size_t bytes = 64, budget = 12;
  static reg zero() noexcept { return _mm512_setzero_si512(); }
  static reg load(const std::int8_t* w) noexcept { return _mm512_load_si512(w); }
  static reg load_x(const std::uint8_t* x) noexcept { return _mm512_loadu_si512(x); }
  static reg broadcast(const std::uint8_t* x) noexcept { return _mm512_set1_epi32(load_group(x)); }
  CTNN_ALWAYS_INLINE static reg dot(reg acc, reg x, reg w) noexcept {
#if defined(__AVX512VNNI__)
    return dpbusd_512(acc, x, w);
#else
    return _mm512_add_epi32(acc, _mm512_madd_epi16(_mm512_maddubs_epi16(x, w), _mm512_set1_epi16(1)));
#endif
  }
  static reg set1(std::int32_t v) noexcept { return _mm512_set1_epi32(v); }
  static reg add(reg a, reg b) noexcept { return _mm512_add_epi32(a, b); }
  static reg biases(const std::int32_t* b, std::size_t from, std::size_t out) noexcept {
    if (from >= out) return zero();
    const std::size_t n = std::min<std::size_t>(16, out - from);
    return _mm512_maskz_loadu_epi32(static_cast<__mmask16>((1u << n) - 1), b + from);
  }
  static void store(std::int32_t* y, reg v) noexcept { _mm512_store_si512(y, v); }
  CTNN_ALWAYS_INLINE static reg quads(const reg* a) noexcept {
    const reg ab = add(_mm512_unpacklo_epi32(a[0], a[1]), _mm512_unpackhi_epi32(a[0], a[1]));
    const reg cd = add(_mm512_unpacklo_epi32(a[2], a[3]), _mm512_unpackhi_epi32(a[2], a[3]));
    return add(_mm512_unpacklo_epi64(ab, cd), _mm512_unpackhi_epi64(ab, cd));
  }
  CTNN_ALWAYS_INLINE static reg sums(const reg* acc) noexcept {
    // q[k]: outputs 4k..4k+3 in each 128-bit lane L0..L3; add the lanes across registers
    const reg q0 = quads(acc), q1 = quads(acc + 4), q2 = quads(acc + 8), q3 = quads(acc + 12);
    const reg h01 = add(_mm512_shuffle_i64x2(q0, q1, _MM_SHUFFLE(2, 0, 2, 0)),
                        _mm512_shuffle_i64x2(q0, q1, _MM_SHUFFLE(3, 1, 3, 1)));
    const reg h23 = add(_mm512_shuffle_i64x2(q2, q3, _MM_SHUFFLE(2, 0, 2, 0)),
                        _mm512_shuffle_i64x2(q2, q3, _MM_SHUFFLE(3, 1, 3, 1)));
    // h01 = [q0 L0+L1, q0 L2+L3, q1 L0+L1, q1 L2+L3]
    return add(_mm512_shuffle_i64x2(h01, h23, _MM_SHUFFLE(2, 0, 2, 0)),
               _mm512_shuffle_i64x2(h01, h23, _MM_SHUFFLE(3, 1, 3, 1)));
  }
};
#endif

#if defined(__AVX2__)
struct v256 {
  using reg = __m256i;
#if defined(__AVXVNNI__)
  static constexpr std::size_t bytes = 32, budget = 8;
#else // pmaddubsw needs a register for its products and one for the ones pmaddwd multiplies by
  static constexpr std::size_t bytes = 32, budget = 6;
#endif
  static reg zero() noexcept { return _mm256_setzero_si256(); }
  static reg load(const std::int8_t* w) noexcept { return _mm256_load_si256(reinterpret_cast<const reg*>(w)); }
  static reg load_x(const std::uint8_t* x) noexcept { return _mm256_loadu_si256(reinterpret_cast<const reg*>(x)); }
  static reg broadcast(const std::uint8_t* x) noexcept { return _mm256_set1_epi32(load_group(x)); }
  CTNN_ALWAYS_INLINE static reg dot(reg acc, reg x, reg w) noexcept {
#if defined(__AVXVNNI__) && defined(__GNUC__) && !defined(__clang__)
    asm("%{vex%} vpdpbusd %2, %1, %0" : "+x"(acc) : "x"(x), "x"(w)); // as dpbusd_512, VEX-encoded
    return acc;
#elif defined(__AVXVNNI__)
    return _mm256_dpbusd_avx_epi32(acc, x, w);
#else
    return _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(x, w), _mm256_set1_epi16(1)));
#endif
  }
  static reg set1(std::int32_t v) noexcept { return _mm256_set1_epi32(v); }
  static reg add(reg a, reg b) noexcept { return _mm256_add_epi32(a, b); }
  static reg biases(const std::int32_t* b, std::size_t from, std::size_t out) noexcept {
    if (from >= out) return zero();
    const int n = static_cast<int>(std::min<std::size_t>(8, out - from));
    return _mm256_maskload_epi32(b + from,
                                 _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)));
  }
  static void store(std::int32_t* y, reg v) noexcept { _mm256_store_si256(reinterpret_cast<reg*>(y), v); }
  CTNN_ALWAYS_INLINE static reg quads(const reg* a) noexcept {
    const reg ab = add(_mm256_unpacklo_epi32(a[0], a[1]), _mm256_unpackhi_epi32(a[0], a[1]));
    const reg cd = add(_mm256_unpacklo_epi32(a[2], a[3]), _mm256_unpackhi_epi32(a[2], a[3]));
    return add(_mm256_unpacklo_epi64(ab, cd), _mm256_unpackhi_epi64(ab, cd));
  }
  CTNN_ALWAYS_INLINE static reg sums(const reg* acc) noexcept {
    const reg q0 = quads(acc), q1 = quads(acc + 4); // outputs 0..3 and 4..7 in each 128-bit half
    return add(_mm256_permute2x128_si256(q0, q1, 0x20), _mm256_permute2x128_si256(q0, q1, 0x31));
  }
};
#endif

#if defined(__SSE2__)
/// 128-bit registers. Widening (SSE2, or inputs above 127) multiplies x and w as int16 with
/// pmaddwd: exact for any uint8 input, but its lanes are not vpdpbusd's (each int32 lane holds
/// a pair of one group), so only the wide kernel, which adds every lane of a sum, takes it.
template <bool Widening>
struct v128 {
  using reg = __m128i;
  static constexpr std::size_t bytes = 16, budget = 8;
  static reg zero() noexcept { return _mm_setzero_si128(); }
  static reg load(const std::int8_t* w) noexcept { return _mm_load_si128(reinterpret_cast<const reg*>(w)); }
  static reg load_x(const std::uint8_t* x) noexcept { return _mm_loadu_si128(reinterpret_cast<const reg*>(x)); }
  static reg broadcast(const std::uint8_t* x) noexcept { return _mm_set1_epi32(load_group(x)); }
  CTNN_ALWAYS_INLINE static reg dot(reg acc, reg x, reg w) noexcept {
    if constexpr (Widening) {
      const reg z = _mm_setzero_si128();
      const reg xl = _mm_unpacklo_epi8(x, z), xh = _mm_unpackhi_epi8(x, z);
      const reg wl = _mm_srai_epi16(_mm_unpacklo_epi8(w, w), 8), wh = _mm_srai_epi16(_mm_unpackhi_epi8(w, w), 8);
      return _mm_add_epi32(acc, _mm_add_epi32(_mm_madd_epi16(xl, wl), _mm_madd_epi16(xh, wh)));
    } else {
#if defined(__SSSE3__)
      return _mm_add_epi32(acc, _mm_madd_epi16(_mm_maddubs_epi16(x, w), _mm_set1_epi16(1)));
#else
      static_assert(Widening, "v128: pmaddubsw needs SSSE3");
#endif
    }
  }
  static reg set1(std::int32_t v) noexcept { return _mm_set1_epi32(v); }
  static reg add(reg a, reg b) noexcept { return _mm_add_epi32(a, b); }
  static reg biases(const std::int32_t* b, std::size_t from, std::size_t out) noexcept {
    const auto bias = [&](std::size_t o) { return o < out ? b[o] : 0; };
    return _mm_setr_epi32(bias(from), bias(from + 1), bias(from + 2), bias(from + 3));
  }
  static void store(std::int32_t* y, reg v) noexcept { _mm_store_si128(reinterpret_cast<reg*>(y), v); }
  CTNN_ALWAYS_INLINE static reg quads(const reg* a) noexcept {
    const reg ab = add(_mm_unpacklo_epi32(a[0], a[1]), _mm_unpackhi_epi32(a[0], a[1]));
    const reg cd = add(_mm_unpacklo_epi32(a[2], a[3]), _mm_unpackhi_epi32(a[2], a[3]));
    return add(_mm_unpacklo_epi64(ab, cd), _mm_unpackhi_epi64(ab, cd));
  }
  CTNN_ALWAYS_INLINE static reg sums(const reg* acc) noexcept { return quads(acc); }
};
#endif

/// The interleaved layout with registers V (lanes = outputs): a group of four inputs broadcast,
/// one multiply-add per register of outputs, in int8_chains chains.
template <class V, std::size_t In, std::size_t Out>
CTNN_ALWAYS_INLINE void int8_affine_interleaved(const std::uint8_t* x, const std::int8_t* w, const std::int32_t* b,
                                                std::int32_t* y) noexcept {
  using L = int8_affine_layout<In, Out>;
  using reg = typename V::reg;
  constexpr std::size_t lanes = V::bytes / 4, regs = L::out_padded / lanes;
  constexpr std::size_t chains = int8_chains<regs, V::budget, L::groups>;
  reg acc[chains][regs];
  unrolled<chains * regs>([&](auto i) CTNN_INLINE_LAMBDA {
    acc[i / regs][i % regs] = i < regs ? V::biases(b, lanes * (i % regs), Out) : V::zero();
  });
  const auto step = [&](reg* a, std::size_t g) CTNN_INLINE_LAMBDA {
    const reg x4 = V::broadcast(x + 4 * g);
    const std::int8_t* wg = w + g * L::out_padded * 4;
    unrolled<regs>([&](auto r) CTNN_INLINE_LAMBDA { a[r] = V::dot(a[r], x4, V::load(wg + V::bytes * r)); });
  };
  constexpr std::size_t whole = L::groups / chains * chains;
  for (std::size_t g = 0; g < whole; g += chains)
    unrolled<chains>([&](auto c) CTNN_INLINE_LAMBDA { step(acc[c], g + c); });
  unrolled<L::groups - whole>([&](auto c) CTNN_INLINE_LAMBDA { step(acc[c], whole + c); });
  unrolled<regs>([&](auto r) CTNN_INLINE_LAMBDA {
    unrolled<chains - 1>([&](auto c) CTNN_INLINE_LAMBDA { acc[0][r] = V::add(acc[0][r], acc[c + 1][r]); });
    V::store(y + lanes * r, acc[0][r]);
  });
}

/// The wide layout (int8_affine_layout::wide) with registers V: the outputs in blocks of one
/// register of sums (lanes of them); a block loads each V::bytes inputs once and multiplies them
/// with each of its outputs' weights, in one register per output. Few outputs keep too few
/// multiply-adds in flight, so then several chains take turns over the inputs.
template <class V, std::size_t In, std::size_t Out>
CTNN_ALWAYS_INLINE void int8_affine_wide(const std::uint8_t* x, const std::int8_t* w, const std::int32_t* b,
                                         std::int32_t* y) noexcept {
  using L = int8_affine_layout<In, Out>;
  using reg = typename V::reg;
  constexpr std::size_t lanes = V::bytes / 4, blocks = L::out_padded / lanes, loads = L::in_padded / V::bytes;
  unrolled<blocks>([&](auto block) CTNN_INLINE_LAMBDA {
    constexpr std::size_t first = block * lanes;
    constexpr std::size_t n = first < Out ? std::min(lanes, Out - first) : 0; // outputs of this block
    constexpr std::size_t chains =
        std::clamp<std::size_t>(n == 0 ? 1 : V::budget / n, 1, std::min<std::size_t>(loads, 8));
    reg acc[chains][lanes];
    unrolled<chains * lanes>([&](auto i) CTNN_INLINE_LAMBDA { acc[i / lanes][i % lanes] = V::zero(); });
    const auto step = [&](reg* a, std::size_t j) CTNN_INLINE_LAMBDA {
      const reg xj = V::load_x(x + V::bytes * j);
      unrolled<n>([&](auto o) CTNN_INLINE_LAMBDA {
        constexpr std::size_t at = (first + o) * 64; // of output first + o in a block of 64 inputs
        a[o] = V::dot(a[o], xj, V::load(w + (V::bytes * j / 64) * (Out * 64) + at + V::bytes * j % 64));
      });
    };
    constexpr std::size_t whole = loads / chains * chains;
    for (std::size_t j = 0; j < whole; j += chains)
      unrolled<chains>([&](auto c) CTNN_INLINE_LAMBDA { step(acc[c], j + c); });
    unrolled<loads - whole>([&](auto c) CTNN_INLINE_LAMBDA { step(acc[c], whole + c); });
    unrolled<n>([&](auto o) CTNN_INLINE_LAMBDA {
      unrolled<chains - 1>([&](auto c) CTNN_INLINE_LAMBDA { acc[0][o] = V::add(acc[0][o], acc[c + 1][o]); });
    });
    V::store(y + first, V::add(V::sums(acc[0]), V::biases(b, first, Out)));
  });
}

/// int8_affine with registers V, in the layer's layout.
template <class V, std::size_t In, std::size_t Out>
CTNN_ALWAYS_INLINE void int8_affine_with(const std::uint8_t* x, const std::int8_t* w, const std::int32_t* b,
                                         std::int32_t* y) noexcept {
  if constexpr (int8_affine_layout<In, Out>::wide)
    int8_affine_wide<V, In, Out>(x, w, b, y);
  else
    int8_affine_interleaved<V, In, Out>(x, w, b, y);
}

#if defined(__SSE2__)
/// SSE2's exact path for any uint8 input: widen to int16 and multiply pairs with pmaddwd. In the
/// interleaved layout a group of four inputs against 4 outputs x 4 weights gives, per output, two
/// partial pair sums; they are kept apart until the end, then each output's two are added.
template <std::size_t In, std::size_t Out>
void int8_affine_widening(const std::uint8_t* x, const std::int8_t* w, const std::int32_t* b,
                          std::int32_t* y) noexcept {
  using L = int8_affine_layout<In, Out>;
  if constexpr (L::wide) {
    int8_affine_wide<v128<true>, In, Out>(x, w, b, y);
  } else {
    constexpr std::size_t quads = L::out_padded / 4; // 4 outputs (16 weights) per 128-bit load
    __m128i lo[quads], hi[quads];
    for (std::size_t q = 0; q < quads; ++q) lo[q] = hi[q] = _mm_setzero_si128();
    const __m128i zero = _mm_setzero_si128();
    for (std::size_t g = 0; g < L::groups; ++g) {
      const __m128i x16 = _mm_unpacklo_epi8(_mm_set1_epi32(load_group(x + 4 * g)), zero); // x0..x3 x0..x3
      const std::int8_t* wg = w + g * L::out_padded * 4;
      for (std::size_t q = 0; q < quads; ++q) {
        const __m128i w8 = _mm_load_si128(reinterpret_cast<const __m128i*>(wg + 16 * q));
        const __m128i wlo = _mm_srai_epi16(_mm_unpacklo_epi8(w8, w8), 8); // outputs 4q, 4q+1
        const __m128i whi = _mm_srai_epi16(_mm_unpackhi_epi8(w8, w8), 8); // outputs 4q+2, 4q+3
        lo[q] = _mm_add_epi32(lo[q], _mm_madd_epi16(x16, wlo));
        hi[q] = _mm_add_epi32(hi[q], _mm_madd_epi16(x16, whi));
      }
    }
    for (std::size_t q = 0; q < quads; ++q) {
      // lo = [a0 a1 b0 b1] (output 4q: a0 + a1, 4q+1: b0 + b1), hi likewise for 4q+2, 4q+3
      const __m128 l = _mm_castsi128_ps(lo[q]), h = _mm_castsi128_ps(hi[q]);
      const __m128i even = _mm_castps_si128(_mm_shuffle_ps(l, h, _MM_SHUFFLE(2, 0, 2, 0)));
      const __m128i odd = _mm_castps_si128(_mm_shuffle_ps(l, h, _MM_SHUFFLE(3, 1, 3, 1)));
      _mm_store_si128(reinterpret_cast<__m128i*>(y + 4 * q), _mm_add_epi32(even, odd));
    }
    for (std::size_t o = 0; o < Out; ++o) y[o] += b[o];
  }
}
#endif

} // namespace detail

/// y[o] = b[o] + sum_i x[i] * W[o][i] with this translation unit's best instructions; equal to
/// int8_affine_reference bit for bit when the inputs are at most InMax and the sums fit in int32.
/// x: in_padded values; w: weight_size values, aligned to 64 bytes; y: out_padded values, aligned
/// to 64 bytes (the padding gets the sum of zero weights, 0).
template <std::size_t In, std::size_t Out, unsigned InMax = 255>
CTNN_ALWAYS_INLINE void int8_affine(const std::uint8_t* x, const std::int8_t* w, const std::int32_t* b,
                                    std::int32_t* y) noexcept {
  static_assert(InMax <= 255, "int8_affine: the inputs are uint8");
  [[maybe_unused]] constexpr bool narrow = InMax <= 127; // pmaddubsw cannot saturate
#if defined(__AVX512VNNI__) && defined(__AVX512BW__)
  detail::int8_affine_with<detail::v512, In, Out>(x, w, b, y);
#elif defined(__AVXVNNI__) && defined(__AVX2__)
  detail::int8_affine_with<detail::v256, In, Out>(x, w, b, y);
#elif defined(__AVX512BW__)
  if constexpr (narrow)
    detail::int8_affine_with<detail::v512, In, Out>(x, w, b, y);
  else
    detail::int8_affine_widening<In, Out>(x, w, b, y);
#elif defined(__AVX2__)
  if constexpr (narrow)
    detail::int8_affine_with<detail::v256, In, Out>(x, w, b, y);
  else
    detail::int8_affine_widening<In, Out>(x, w, b, y);
#elif defined(__SSSE3__)
  if constexpr (narrow)
    detail::int8_affine_with<detail::v128<false>, In, Out>(x, w, b, y);
  else
    detail::int8_affine_widening<In, Out>(x, w, b, y);
#elif defined(__SSE2__)
  detail::int8_affine_widening<In, Out>(x, w, b, y);
#else
  int8_affine_reference<In, Out>(x, w, b, y);
#endif
}

namespace detail {

/// Rows samples sharing each weight load, in the interleaved layout: a pass keeps up to OutRegs
/// registers of outputs for up to V::budget / that many samples: that many sums in registers,
/// each its own chain, and every weight vector loaded feeds one multiply-add per sample of the
/// pass. (512-bit: 12 sums; 16 measured slower, GCC 12 spills one of them inside the loop.)
template <class V, std::size_t OutRegs, std::size_t In, std::size_t Out, std::size_t Rows>
void int8_affine_batched(const std::uint8_t* x, std::size_t xs, const std::int8_t* w, const std::int32_t* b,
                         std::int32_t* y, std::size_t ys) noexcept {
  using L = int8_affine_layout<In, Out>;
  using reg = typename V::reg;
  constexpr std::size_t lanes = V::bytes / 4, regs = L::out_padded / lanes, rb = std::min(regs, OutRegs);
  constexpr std::size_t sb = std::min<std::size_t>(Rows, V::budget / rb);
  const auto pass = [&]<std::size_t NR, std::size_t NS>(std::size_t r0, std::size_t s0) CTNN_INLINE_LAMBDA {
    reg acc[NS * NR]; // sample I / NR, outputs lanes * (r0 + I % NR) ...
    unrolled<NS * NR>([&](auto i) CTNN_INLINE_LAMBDA { acc[i] = V::biases(b, lanes * (r0 + i % NR), Out); });
    const std::uint8_t* xr = x + s0 * xs;
    for (std::size_t g = 0; g < L::groups; ++g) {
      const std::int8_t* wg = w + g * L::out_padded * 4 + V::bytes * r0;
      reg wr[NR], x4[NS];
      unrolled<NR>([&](auto r) CTNN_INLINE_LAMBDA { wr[r] = V::load(wg + V::bytes * r); });
      unrolled<NS>([&](auto s) CTNN_INLINE_LAMBDA { x4[s] = V::broadcast(xr + s * xs + 4 * g); });
      unrolled<NS * NR>([&](auto i) CTNN_INLINE_LAMBDA { acc[i] = V::dot(acc[i], x4[i / NR], wr[i % NR]); });
    }
    unrolled<NS * NR>([&](auto i)
                          CTNN_INLINE_LAMBDA { V::store(y + (s0 + i / NR) * ys + lanes * (r0 + i % NR), acc[i]); });
  };
  const auto samples = [&]<std::size_t NR>(std::size_t r0) {
    for (std::size_t s0 = 0; s0 + sb <= Rows; s0 += sb) pass.template operator()<NR, sb>(r0, s0);
    if constexpr (Rows % sb != 0) pass.template operator()<NR, Rows % sb>(r0, Rows / sb * sb);
  };
  for (std::size_t r0 = 0; r0 + rb <= regs; r0 += rb) samples.template operator()<rb>(r0);
  if constexpr (regs % rb != 0) samples.template operator()<regs % rb>(regs / rb * rb);
}

} // namespace detail

/// int8_affine for Rows samples at once, each weight load shared by several samples: sample s
/// reads x + s * x_stride and writes y + s * y_stride (y_stride a multiple of 16, y aligned to 64
/// bytes). Equal to Rows calls of int8_affine, bit for bit.
template <std::size_t In, std::size_t Out, std::size_t Rows, unsigned InMax = 255>
CTNN_ALWAYS_INLINE void int8_affine_rows(const std::uint8_t* x, std::size_t x_stride, const std::int8_t* w,
                                         const std::int32_t* b, std::int32_t* y, std::size_t y_stride) noexcept {
  [[maybe_unused]] constexpr bool narrow = InMax <= 127;
  [[maybe_unused]] const auto one_by_one = [&] {
    for (std::size_t s = 0; s < Rows; ++s) int8_affine<In, Out, InMax>(x + s * x_stride, w, b, y + s * y_stride);
  };
  if constexpr (int8_affine_layout<In, Out>::wide) {
    one_by_one(); // one sample's sums fill the registers, and its weights stay in the L1 cache
  } else {
#if defined(__AVX512VNNI__) && defined(__AVX512BW__)
    detail::int8_affine_batched<detail::v512, 3, In, Out, Rows>(x, x_stride, w, b, y, y_stride);
#elif defined(__AVXVNNI__) && defined(__AVX2__)
    detail::int8_affine_batched<detail::v256, 2, In, Out, Rows>(x, x_stride, w, b, y, y_stride);
#elif defined(__AVX512BW__)
    if constexpr (narrow)
      detail::int8_affine_batched<detail::v512, 3, In, Out, Rows>(x, x_stride, w, b, y, y_stride);
    else
      one_by_one();
#elif defined(__AVX2__)
    if constexpr (narrow)
      detail::int8_affine_batched<detail::v256, 2, In, Out, Rows>(x, x_stride, w, b, y, y_stride);
    else
      one_by_one();
#else
    one_by_one();
#endif
  }
}

/// Where an int8 convolution's window codes (im2col) live for int8_conv: window elements in groups
/// of four, and within a group every output position's four codes side by side (positions padded
/// to 16): X[k][p] is at index(k, p). The positions are the vector lanes: one vpdpbusd multiplies
/// 16 positions' four codes by four weights of one filter, broadcast.
template <std::size_t Window, std::size_t Positions>
struct int8_conv_layout {
  static constexpr std::size_t groups = (Window + 3) / 4;
  static constexpr std::size_t window_padded = groups * 4;
  static constexpr std::size_t positions_padded = (Positions + 15) / 16 * 16;
  static constexpr std::size_t size = groups * positions_padded * 4;
  static constexpr std::size_t index(std::size_t k, std::size_t p) noexcept {
    return (k / 4) * positions_padded * 4 + p * 4 + k % 4;
  }
};

/// packed = rows interleaved as int8_conv_layout wants: `rows` holds window_padded rows of
/// positions_padded codes each (X[k][p] at rows[k * positions_padded + p]).
template <std::size_t Window, std::size_t Positions>
CTNN_ALWAYS_INLINE void int8_conv_interleave(const std::uint8_t* rows, std::uint8_t* packed) noexcept {
  using L = int8_conv_layout<Window, Positions>;
  constexpr std::size_t pp = L::positions_padded;
  for (std::size_t g = 0; g < L::groups; ++g) {
    const std::uint8_t* r = rows + g * 4 * pp;
    std::uint8_t* out = packed + g * pp * 4;
    for (std::size_t p = 0; p < pp; p += 16) {
#if defined(__SSE2__)
      const auto row = [&](std::size_t k) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(r + k * pp + p)); };
      const __m128i ab_lo = _mm_unpacklo_epi8(row(0), row(1)), ab_hi = _mm_unpackhi_epi8(row(0), row(1));
      const __m128i cd_lo = _mm_unpacklo_epi8(row(2), row(3)), cd_hi = _mm_unpackhi_epi8(row(2), row(3));
      auto* o = reinterpret_cast<__m128i*>(out + p * 4);
      _mm_storeu_si128(o + 0, _mm_unpacklo_epi16(ab_lo, cd_lo));
      _mm_storeu_si128(o + 1, _mm_unpackhi_epi16(ab_lo, cd_lo));
      _mm_storeu_si128(o + 2, _mm_unpacklo_epi16(ab_hi, cd_hi));
      _mm_storeu_si128(o + 3, _mm_unpackhi_epi16(ab_hi, cd_hi));
#else
      for (std::size_t q = p; q < p + 16; ++q)
        for (std::size_t k = 0; k < 4; ++k) out[q * 4 + k] = r[k * pp + q];
#endif
    }
  }
}

/// y[f][p] = b[f] + sum_k W[f][k] X[k][p]: F filters over Positions windows of Window codes, the
/// reference twin. x: int8_conv_layout; w: F rows of window_padded weights (padding 0); y: F rows of
/// positions_padded sums.
template <std::size_t Window, std::size_t F, std::size_t Positions>
void int8_conv_reference(const std::uint8_t* x, const std::int8_t* w, const std::int32_t* b, std::int32_t* y) noexcept {
  using L = int8_conv_layout<Window, Positions>;
  for (std::size_t f = 0; f < F; ++f)
    for (std::size_t p = 0; p < L::positions_padded; ++p) {
      std::int32_t s = b[f];
      for (std::size_t k = 0; k < Window; ++k)
        s += std::int32_t{x[L::index(k, p)]} * std::int32_t{w[f * L::window_padded + k]};
      y[f * L::positions_padded + p] = s;
    }
}

namespace detail {

/// int8_conv with registers V: passes over FB filters and NB blocks of V's lanes many positions
/// (FB x NB sums in registers); each broadcast weight feeds NB multiply-adds and each block of
/// codes loaded feeds FB (with one block, the broadcasts and the codes' loads outnumber the
/// multiply-adds).
template <class V, std::size_t FB, std::size_t NB, std::size_t Window, std::size_t F, std::size_t Positions>
CTNN_ALWAYS_INLINE void int8_conv_with(const std::uint8_t* x, const std::int8_t* w, const std::int32_t* b,
                                       std::int32_t* y) noexcept {
  using L = int8_conv_layout<Window, Positions>;
  using reg = typename V::reg;
  constexpr std::size_t pp = L::positions_padded, lanes = V::bytes / 4;
  const auto weights4 = [&](std::size_t f, std::size_t g) {
    return load_group(reinterpret_cast<const std::uint8_t*>(w) + f * L::window_padded + 4 * g);
  };
  for (std::size_t f0 = 0; f0 < F; f0 += FB) {
    const std::size_t nf = std::min(FB, F - f0);
    const auto pass = [&]<std::size_t NBk>(std::size_t p) CTNN_INLINE_LAMBDA {
      reg acc[FB * NBk]; // filter I / NBk, positions p + lanes (I % NBk) ...
      unrolled<FB * NBk>([&](auto i) CTNN_INLINE_LAMBDA { acc[i] = V::zero(); });
      for (std::size_t g = 0; g < L::groups; ++g) {
        reg xv[NBk];
        unrolled<NBk>([&](auto k) CTNN_INLINE_LAMBDA { xv[k] = V::load_x(x + (g * pp + p + lanes * k) * 4); });
        unrolled<FB>([&](auto j) CTNN_INLINE_LAMBDA {
          if (j < nf) {
            const reg wv = V::set1(weights4(f0 + j, g));
            unrolled<NBk>([&](auto k) CTNN_INLINE_LAMBDA { acc[j * NBk + k] = V::dot(acc[j * NBk + k], xv[k], wv); });
          }
        });
      }
      unrolled<FB * NBk>([&](auto i) CTNN_INLINE_LAMBDA {
        if (i / NBk < nf)
          V::store(y + (f0 + i / NBk) * pp + p + lanes * (i % NBk), V::add(acc[i], V::set1(b[f0 + i / NBk])));
      });
    };
    constexpr std::size_t blocks = pp / lanes, whole = blocks / NB * NB;
    for (std::size_t p = 0; p < whole * lanes; p += NB * lanes) pass.template operator()<NB>(p);
    for (std::size_t p = whole * lanes; p < pp; p += lanes) pass.template operator()<1>(p);
  }
}

} // namespace detail

/// int8_conv_reference with this translation unit's best instructions (the same preconditions
/// as int8_affine: inputs at most 127 on the pmaddubsw paths, sums within int32). All buffers
/// aligned to 64 bytes.
template <std::size_t Window, std::size_t F, std::size_t Positions>
void int8_conv(const std::uint8_t* x, const std::int8_t* w, const std::int32_t* b, std::int32_t* y) noexcept {
#if defined(__AVX512BW__)
  detail::int8_conv_with<detail::v512, 8, 2, Window, F, Positions>(x, w, b, y); // 16 of 32 registers
#elif defined(__AVX2__)
  detail::int8_conv_with<detail::v256, 4, 2, Window, F, Positions>(x, w, b, y); // 8 of 16 registers
#elif defined(__SSSE3__)
  detail::int8_conv_with<detail::v128<false>, 4, 2, Window, F, Positions>(x, w, b, y);
#elif defined(__SSE2__)
  // widening: two positions' four codes as int16 against the filter's four weights, twice
  using L = int8_conv_layout<Window, Positions>;
  constexpr std::size_t pp = L::positions_padded, fb = 8;
  const __m128i z = _mm_setzero_si128();
  for (std::size_t f0 = 0; f0 < F; f0 += fb) {
    const std::size_t nf = std::min(fb, F - f0);
    for (std::size_t p = 0; p < pp; p += 4) {
      __m128i lo[fb], hi[fb];
      CTNN_UNROLL for (std::size_t j = 0; j < fb; ++j) lo[j] = hi[j] = z;
      for (std::size_t g = 0; g < L::groups; ++g) {
        const __m128i xv = _mm_load_si128(reinterpret_cast<const __m128i*>(x + (g * pp + p) * 4));
        const __m128i x01 = _mm_unpacklo_epi8(xv, z), x23 = _mm_unpackhi_epi8(xv, z);
        CTNN_UNROLL for (std::size_t j = 0; j < fb; ++j) {
          if (j < nf) {
            const __m128i w8 = _mm_set1_epi32(
                detail::load_group(reinterpret_cast<const std::uint8_t*>(w) + (f0 + j) * L::window_padded + 4 * g));
            const __m128i w16 = _mm_srai_epi16(_mm_unpacklo_epi8(w8, w8), 8);
            lo[j] = _mm_add_epi32(lo[j], _mm_madd_epi16(x01, w16));
            hi[j] = _mm_add_epi32(hi[j], _mm_madd_epi16(x23, w16));
          }
        }
      }
      for (std::size_t j = 0; j < nf; ++j) {
        const __m128 l = _mm_castsi128_ps(lo[j]), h = _mm_castsi128_ps(hi[j]);
        const __m128i even = _mm_castps_si128(_mm_shuffle_ps(l, h, _MM_SHUFFLE(2, 0, 2, 0)));
        const __m128i odd = _mm_castps_si128(_mm_shuffle_ps(l, h, _MM_SHUFFLE(3, 1, 3, 1)));
        _mm_store_si128(reinterpret_cast<__m128i*>(y + (f0 + j) * pp + p),
                        _mm_add_epi32(_mm_add_epi32(even, odd), _mm_set1_epi32(b[f0 + j])));
      }
    }
  }
#else
  int8_conv_reference<Window, F, Positions>(x, w, b, y);
#endif
}

/// y[i] = clamp(x[i] >> Shift, 0, Max) for N values: the clipped ReLU of int32 sums scaled by
/// 2^Shift. N is a constant so that the compiler vectorizes it (the next layer then loads its
/// inputs from whole vector stores, not from N byte stores it cannot forward from).
template <std::size_t N, unsigned Shift, unsigned Max = 127>
CTNN_ALWAYS_INLINE void clipped_relu(const std::int32_t* x, std::uint8_t* y) noexcept {
  for (std::size_t i = 0; i < N; ++i)
    y[i] = static_cast<std::uint8_t>(std::clamp<std::int32_t>(x[i] >> Shift, 0, std::int32_t{Max}));
}

/// y[i] = min(Max, (x[i]^2 >> 2 Shift) / 2^7) for N values: the squared clipped ReLU (x in units of
/// 2^Shift, squared, back to the scale of one unit = 128). Computed in int32: inputs are first
/// clamped to +-c, the smallest magnitude whose result is already Max + 1, so no square overflows
/// and the result equals the 64-bit definition (the test checks the edges).
template <std::size_t N, unsigned Shift, unsigned Max = 127>
CTNN_ALWAYS_INLINE void sqr_clipped_relu(const std::int32_t* x, std::uint8_t* y) noexcept {
  constexpr std::int32_t c = [] {
    std::int64_t v = 0;
    while (((v * v) >> (2 * Shift + 7)) <= Max) ++v;
    return static_cast<std::int32_t>(v);
  }();
  static_assert(std::int64_t{c} * c <= 2147483647, "sqr_clipped_relu: the clamped square must fit in int32");
  for (std::size_t i = 0; i < N; ++i) {
    const std::int32_t a = std::clamp<std::int32_t>(x[i], -c, c);
    y[i] = static_cast<std::uint8_t>(std::min<std::int32_t>(Max, (a * a) >> (2 * Shift + 7)));
  }
}

/// y[i] = x[i] for N int32 values in 0..127 (N a multiple of 16), with vector stores: the next
/// layer loads its inputs four bytes at a time, which a processor cannot forward from single-byte
/// stores (a stall of a dozen cycles per load).
template <std::size_t N>
CTNN_ALWAYS_INLINE void narrow_to_uint8(const std::int32_t* x, std::uint8_t* y) noexcept {
  static_assert(N % 16 == 0, "narrow_to_uint8: N must be a multiple of 16");
  for (std::size_t i = 0; i < N; i += 16) {
#if defined(__AVX512F__)
    _mm_storeu_si128(reinterpret_cast<__m128i*>(y + i), _mm512_cvtepi32_epi8(_mm512_loadu_si512(x + i)));
#elif defined(__AVX2__)
    const __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + i));
    const __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + i + 8));
    const __m256i p = _mm256_permute4x64_epi64(_mm256_packs_epi32(a, b), 0xD8); // a0..7 b0..7 as int16
    _mm_storeu_si128(reinterpret_cast<__m128i*>(y + i),
                     _mm_packus_epi16(_mm256_castsi256_si128(p), _mm256_extracti128_si256(p, 1)));
#elif defined(__SSE2__)
    const auto at = [&](std::size_t k) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(x + i + k)); };
    _mm_storeu_si128(reinterpret_cast<__m128i*>(y + i),
                     _mm_packus_epi16(_mm_packs_epi32(at(0), at(4)), _mm_packs_epi32(at(8), at(12))));
#else
    for (std::size_t k = 0; k < 16; ++k) y[i + k] = static_cast<std::uint8_t>(x[i + k]);
#endif
  }
}

/// y[i] = clamp(a[i], 0, Max) * clamp(b[i], 0, Max) >> Shift: the pairwise clipped product of two
/// halves of an int16 accumulator (Max * Max must fit in int16; the result in uint8).
template <std::size_t N, int Max = 127, unsigned Shift = 7>
CTNN_ALWAYS_INLINE void pairwise_clipped_product(const std::int16_t* a, const std::int16_t* b,
                                                 std::uint8_t* y) noexcept {
  static_assert(Max * Max <= 32767 && (Max * Max >> Shift) <= 255, "pairwise_clipped_product: the product must fit");
  for (std::size_t i = 0; i < N; ++i) {
    const int p = std::clamp<int>(a[i], 0, Max) * std::clamp<int>(b[i], 0, Max);
    y[i] = static_cast<std::uint8_t>(p >> Shift);
  }
}

/// acc[j] += sign * row[j] for N int16 values, wrapping modulo 2^16 as the int16 adds of every
/// instruction set do (an accumulator within its proved bound never wraps; wrapping keeps an
/// incremental update equal to a refresh bit for bit even where it would).
template <std::size_t N, class Acc, class Row>
CTNN_ALWAYS_INLINE void add_row(Acc* __restrict acc, const Row* __restrict row) noexcept {
  using U = std::make_unsigned_t<Acc>;
  for (std::size_t j = 0; j < N; ++j)
    acc[j] = static_cast<Acc>(static_cast<U>(static_cast<U>(acc[j]) + static_cast<U>(row[j])));
}
template <std::size_t N, class Acc, class Row>
CTNN_ALWAYS_INLINE void subtract_row(Acc* __restrict acc, const Row* __restrict row) noexcept {
  using U = std::make_unsigned_t<Acc>;
  for (std::size_t j = 0; j < N; ++j)
    acc[j] = static_cast<Acc>(static_cast<U>(static_cast<U>(acc[j]) - static_cast<U>(row[j])));
}

} // namespace CTNN_NAMESPACE::kernels
