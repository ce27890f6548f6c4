// The xsimd vocabulary every kernel shares: the batch type, lane counts and padding rules.
#pragma once

#include <ctnn/core/config.hpp>

// GCC 12's AVX-512 headers trip its own -Wuninitialized on _mm512_undefined_* (GCC bug 105593,
// fixed in GCC 13). The warning is located inside those headers, so silencing it around their
// first inclusion keeps our -Werror builds clean without hiding warnings in ctnn's own code.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#include <xsimd/xsimd.hpp>
#pragma GCC diagnostic pop
#else
#include <xsimd/xsimd.hpp>
#endif

#include <cstddef>
#include <type_traits>

namespace CTNN_NAMESPACE::kernels {

/// The instruction set kernels are compiled for: the best one the compile flags enable
/// (e.g. avx512bw with -march=native on a Skylake-X, sse2 with no flags).
using default_arch = xsimd::default_arch;

template <class T, class Arch = default_arch>
using simd = xsimd::batch<T, Arch>;

/// Number of T in one register of Arch.
template <class T, class Arch = default_arch>
inline constexpr std::size_t lanes = simd<T, Arch>::size;

constexpr std::size_t round_up(std::size_t n, std::size_t m) noexcept { return (n + m - 1) / m * m; }

/// Vector registers the instruction set offers: 32 with AVX-512, 16 below. Tile sizes of the
/// batched micro-kernels follow from it.
template <class Arch = default_arch>
inline constexpr std::size_t vector_registers = std::is_base_of_v<xsimd::avx512f, Arch> ? 32 : 16;

/// Row length of a layer output as stored: padded to whole registers so that kernels never
/// need a scalar tail. Padding lanes hold zeros in parameters and gradients and are never read
/// as a layer input.
template <class T, class Arch = default_arch>
constexpr std::size_t padded(std::size_t n) noexcept {
  return round_up(n, lanes<T, Arch>);
}

/// Whether the instruction set has fused multiply-add (x86-64-v3 and up): without it, fma
/// below is a multiply and an add, rounded twice.
#if defined(__FMA__) || defined(__AVX512F__) || defined(__ARM_FEATURE_FMA)
inline constexpr bool has_fma = true;
#else
inline constexpr bool has_fma = false;
#endif

/// a * b + c, rounded once where the instruction set has FMA. Kernels call this rather than xsimd::fma: xsimd 8.1
/// implements AVX-512 fma as its generic a * b + c (its avx512f architecture does not derive from fma3), which GCC
/// happens to contract into one instruction and Clang 14 does not, so that Clang builds ran a multiply and an add, with
/// two roundings, wherever a kernel asked for an FMA.
template <class T, class A>
CTNN_ALWAYS_INLINE xsimd::batch<T, A> fma(const xsimd::batch<T, A>& a, const xsimd::batch<T, A>& b,
                                          const xsimd::batch<T, A>& c) noexcept {
#if defined(__AVX512F__)
  if constexpr (std::is_base_of_v<xsimd::avx512f, A> && std::is_same_v<T, float>)
    return _mm512_fmadd_ps(a, b, c);
  else if constexpr (std::is_base_of_v<xsimd::avx512f, A> && std::is_same_v<T, double>)
    return _mm512_fmadd_pd(a, b, c);
  else
#endif
    return xsimd::fma(a, b, c);
}

/// The largest lane of v (xsimd 8.1 has hadd but no horizontal max). Not for hot loops: keep
/// a register of maxima there and reduce it once.
template <class T, class A>
T reduce_max(const xsimd::batch<T, A>& v) noexcept {
  alignas(A::alignment()) T lanes_of_v[xsimd::batch<T, A>::size];
  v.store_aligned(lanes_of_v);
  T m = lanes_of_v[0];
  for (T x : lanes_of_v) m = x > m ? x : m;
  return m;
}

/// Output registers of a layer: a column range [begin, end) in units of one register, for
/// kernels that compute only part of a layer's outputs (two cores training one layer).
struct register_range {
  std::size_t begin, end;
};

/// Whether a gradient kernel adds into its output or overwrites it (which saves zeroing the
/// buffer and reading the zeros back: a trainer's step starts from no gradient).
enum class store_mode { add, overwrite };

} // namespace CTNN_NAMESPACE::kernels
