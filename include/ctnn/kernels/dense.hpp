// Dense (fully connected) kernels: fused forward (bias + activation in registers), batched
// register-blocked forward, and the three backward kernels; each with a scalar reference twin.
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/kernels/activation.hpp>
#include <ctnn/kernels/simd.hpp>

#include <algorithm>
#include <cstddef>
#include <type_traits>
#include <utility>

namespace CTNN_NAMESPACE::kernels {

/// Where a dense layer's parameters live inside its slice of the flat parameter array.
/// The weight is stored transposed, in column panels, the layout the kernels stream:
///   panel p holds output columns [panel_begin(p), panel_begin(p + 1)) for every input i, as
///   In rows of panel_width(p) contiguous elements starting at panel_offset(p):
///   W[o][i] (PyTorch's [out, in] weight) is at index(i, o)
///   bias[o]                            (at offset weight_size)
/// Rows are padded to whole registers; padding entries are zero and stay zero under every
/// optimizer (their gradients are zero). A layer whose outputs span two registers or more has
/// two panels (halves), one otherwise: two cores training the layer each own one panel, a
/// contiguous block (interleaved halves of every row made the cores' caches fight over
/// neighbouring lines: a split step took 1.2x one thread's time instead of 0.5x).
template <class T, std::size_t In, std::size_t Out, class Arch = default_arch>
struct dense_layout {
  static constexpr std::size_t in = In;
  static constexpr std::size_t out = Out;
  static constexpr std::size_t padded_out = padded<T, Arch>(Out);
  static constexpr std::size_t registers = padded_out / lanes<T, Arch>;
  static constexpr std::size_t panels = registers >= 2 ? 2 : 1;
  static constexpr std::size_t weight_size = In * padded_out;
  static constexpr std::size_t size = weight_size + padded_out;
  /// Parameters as PyTorch counts them (no padding).
  static constexpr std::size_t param_count = In * Out + Out;

  /// First output column of panel p (p <= panels; panel_begin(panels) == padded_out).
  static constexpr std::size_t panel_begin(std::size_t p) noexcept {
    return p == 0 ? 0 : p >= panels ? padded_out : registers / 2 * lanes<T, Arch>;
  }
  static constexpr std::size_t panel_width(std::size_t p) noexcept { return panel_begin(p + 1) - panel_begin(p); }
  static constexpr std::size_t panel_offset(std::size_t p) noexcept { return In * panel_begin(p); }
  /// The panel holding output column o.
  static constexpr std::size_t panel_of(std::size_t o) noexcept { return panels == 2 && o >= panel_begin(1) ? 1 : 0; }
  static constexpr std::size_t index(std::size_t i, std::size_t o) noexcept {
    const std::size_t p = panel_of(o);
    return panel_offset(p) + i * panel_width(p) + (o - panel_begin(p));
  }
};

namespace detail {

/// Independent accumulator chains that keep the FMA units busy: two pipes with a latency of
/// four cycles need eight multiply-adds in flight.
inline constexpr std::size_t fma_chains = 8;

/// acc[0] += acc[1] + ... + acc[K-1], pairwise (log2 K dependent adds). Step is a template
/// parameter so that every loop has a constant trip count and is unrolled: with a runtime
/// doubling step GCC 12 kept the accumulators in memory and reduced them in a loop.
template <std::size_t Step, std::size_t K, std::size_t NB, class V>
CTNN_ALWAYS_INLINE void pairwise_sum(V (&acc)[K][NB]) noexcept {
  if constexpr (Step < K) {
    for (std::size_t c = 0; c + Step < K; c += 2 * Step)
      for (std::size_t k = 0; k < NB; ++k) acc[c][k] += acc[c + Step][k];
    pairwise_sum<2 * Step>(acc);
  }
}

/// Registers [V0, V0 + NB) of one sample's outputs: acc = b + sum_i x[i] W[:, i], then the
/// activation. The registers may lie in both weight panels: each one's row start and stride are
/// compile-time constants, so that one pass over x serves the whole block.
/// With few columns (small layers) one accumulator per column would make a chain of In
/// dependent FMAs, bound by latency; the input loop is then split over K interleaved partial
/// sums (K * NB ~ fma_chains) that are added at the end.
template <class Act, class Layout, std::size_t V0, std::size_t NB, class T, class Arch>
CTNN_ALWAYS_INLINE void dense_forward_columns(const T* params, const T* x, T* z, T* y) noexcept {
  using V = simd<T, Arch>;
  constexpr std::size_t L = V::size, In = Layout::in;
  // where register V0 + k starts in the weight, and the row stride of its panel
  constexpr auto start = [](std::size_t k) { return Layout::index(0, (V0 + k) * L); };
  constexpr auto stride = [](std::size_t k) { return Layout::panel_width(Layout::panel_of((V0 + k) * L)); };
  // a power of two, at most fma_chains / NB, and each partial sum at least two inputs long
  constexpr std::size_t K = [] {
    std::size_t k = 1;
    while (2 * k * NB <= fma_chains && 4 * k <= In) k *= 2;
    return k;
  }();
  constexpr std::size_t blocked = In / K * K;
  const T* b = params + Layout::weight_size + V0 * L;
  V acc[K][NB];
  for (std::size_t k = 0; k < NB; ++k) {
    acc[0][k] = V::load_aligned(b + k * L);
    for (std::size_t c = 1; c < K; ++c) acc[c][k] = V(T(0));
  }
  for (std::size_t i = 0; i < blocked; i += K)
    for (std::size_t c = 0; c < K; ++c) {
      const V xi(x[i + c]);
      for (std::size_t k = 0; k < NB; ++k)
        acc[c][k] = kernels::fma(xi, V::load_aligned(params + start(k) + (i + c) * stride(k)), acc[c][k]);
    }
  if constexpr (blocked < In)
    for (std::size_t i = blocked; i < In; ++i) {
      const V xi(x[i]);
      for (std::size_t k = 0; k < NB; ++k)
        acc[0][k] = kernels::fma(xi, V::load_aligned(params + start(k) + i * stride(k)), acc[0][k]);
    }
  pairwise_sum<1>(acc);
  for (std::size_t k = 0; k < NB; ++k) {
    const std::size_t at = (V0 + k) * L;
    if (z) acc[0][k].store_aligned(z + at);
    if constexpr (Act::elementwise)
      Act::simd(acc[0][k]).store_aligned(y + at);
    else
      acc[0][k].store_aligned(y + at);
  }
}

/// Calls f(std::integral_constant<std::size_t, p>{}) for each weight panel p of Layout.
template <class Layout, class F>
CTNN_ALWAYS_INLINE void for_each_panel(F&& f) {
  f(std::integral_constant<std::size_t, 0>{});
  if constexpr (Layout::panels == 2) f(std::integral_constant<std::size_t, 1>{});
}

/// MR samples x NB register-wide columns: the register-blocked micro-kernel of the batched path.
/// wt points at the first column in its panel (rows of W elements); b, z and y at the same
/// columns of the bias and the output rows (stride P).
template <class Act, std::size_t In, std::size_t W, std::size_t P, std::size_t MR, std::size_t NB, class T, class Arch>
CTNN_ALWAYS_INLINE void dense_forward_tile(const T* wt, const T* b, const T* x, std::size_t ldx, T* z, T* y) noexcept {
  using V = simd<T, Arch>;
  constexpr std::size_t L = V::size;
  V acc[MR][NB];
  for (std::size_t k = 0; k < NB; ++k) {
    const V bk = V::load_aligned(b + k * L);
    for (std::size_t r = 0; r < MR; ++r) acc[r][k] = bk;
  }
  for (std::size_t i = 0; i < In; ++i) {
    V w[NB];
    for (std::size_t k = 0; k < NB; ++k) w[k] = V::load_aligned(wt + i * W + k * L);
    for (std::size_t r = 0; r < MR; ++r) {
      const V xr(x[r * ldx + i]);
      for (std::size_t k = 0; k < NB; ++k) acc[r][k] = kernels::fma(xr, w[k], acc[r][k]);
    }
  }
  for (std::size_t r = 0; r < MR; ++r)
    for (std::size_t k = 0; k < NB; ++k) {
      const std::size_t at = r * P + k * L;
      if (z) acc[r][k].store_aligned(z + at);
      if constexpr (Act::elementwise)
        Act::simd(acc[r][k]).store_aligned(y + at);
      else
        acc[r][k].store_aligned(y + at);
    }
}

/// Register tile of the batched kernels: `rows` samples (or inputs) x `cols` registers of
/// outputs; rows * cols accumulators, leaving registers for the weight loads and a broadcast.
template <class Arch>
struct tile_shape {
  static constexpr std::size_t rows = vector_registers<Arch> == 32 ? 8 : 4;
  static constexpr std::size_t cols = 2;
};

/// Calls f(std::integral_constant<std::size_t, m>{}) for a runtime m in [1, MR) (nothing for 0),
/// so that a tail of m < MR rows still runs as one tile and streams the weights once.
template <std::size_t MR, class F>
CTNN_ALWAYS_INLINE void with_rows(std::size_t m, F&& f) {
  if constexpr (MR > 1) {
    if (m == MR - 1)
      f(std::integral_constant<std::size_t, MR - 1>{});
    else
      with_rows<MR - 1>(m, f);
  }
}

/// Calls tile(width, wt, col) over the output registers [v0, v1) of Layout, in tiles of
/// tile_shape::cols registers (a last one narrower), never straddling a panel: wt points at the
/// tile's first column in its panel, col is that column's index in the output rows.
template <class Layout, class Arch, class T, class Tile>
CTNN_ALWAYS_INLINE void for_each_column_tile(T* params, std::size_t v0, std::size_t v1, Tile&& tile) {
  constexpr std::size_t L = lanes<std::remove_const_t<T>, Arch>, NB = tile_shape<Arch>::cols;
  static_assert(NB == 2, "the column tail below assumes tiles two registers wide");
  for_each_panel<Layout>([&](auto p) {
    constexpr std::size_t pb = Layout::panel_begin(p) / L, pe = Layout::panel_begin(p + 1) / L;
    constexpr std::size_t W = Layout::panel_width(p);
    T* panel = params + Layout::panel_offset(p);
    std::size_t v = std::max(v0, pb);
    const std::size_t end = std::min(v1, pe);
    for (; v + NB <= end; v += NB)
      tile(std::integral_constant<std::size_t, NB>{}, std::integral_constant<std::size_t, W>{}, panel + (v - pb) * L,
           v * L);
    if (v < end)
      tile(std::integral_constant<std::size_t, 1>{}, std::integral_constant<std::size_t, W>{}, panel + (v - pb) * L,
           v * L);
  });
}

} // namespace detail

/// One sample: y = act(W x + b).  in [In] -> out [Out] (y, z hold padded_out elements).
/// z, if not null, receives the pre-activation (training keeps it for backward).
/// Accumulators for up to 8 registers of outputs stay in registers for the whole input loop.
/// Cost: In * padded_out multiply-adds.
template <class Act, std::size_t In, std::size_t Out, class T, class Arch = default_arch>
CTNN_ALWAYS_INLINE void dense_forward(const T* params, const T* x, T* z, T* y) noexcept {
  using layout = dense_layout<T, In, Out, Arch>;
  constexpr std::size_t NV = layout::registers, NB = 8;
  [&]<std::size_t... B>(std::index_sequence<B...>) {
    (detail::dense_forward_columns<Act, layout, B * NB, NB, T, Arch>(params, x, z, y), ...);
  }
  (std::make_index_sequence<NV / NB>{});
  if constexpr (NV % NB != 0)
    detail::dense_forward_columns<Act, layout, NV / NB * NB, NV % NB, T, Arch>(params, x, z, y);
  if constexpr (!Act::elementwise) Act::scalar_row(y, y, Out);
}

/// n samples: Y = act(X W^T + b).  X rows have stride ldx >= In; Z and Y rows have stride
/// padded_out. Register-blocked: tiles of tile_shape (8 samples x 2 registers with AVX-512).
/// With `cols`, only those output registers are computed (elementwise activations only).
template <class Act, std::size_t In, std::size_t Out, class T, class Arch = default_arch>
void dense_forward_batch(const T* params, const T* x, std::size_t ldx, T* z, T* y, std::size_t n,
                         register_range cols = {0, padded<T, Arch>(Out) / lanes<T, Arch>}) noexcept {
  using layout = dense_layout<T, In, Out, Arch>;
  constexpr std::size_t P = layout::padded_out, MR = detail::tile_shape<Arch>::rows;
  const T* b = params + layout::weight_size;
  auto rows = [&]<std::size_t M>(std::size_t r) {
    detail::for_each_column_tile<layout, Arch>(
        params, cols.begin, cols.end, [&](auto nb, auto w, const T* wt, std::size_t col) {
          detail::dense_forward_tile<Act, In, w, P, M, nb, T, Arch>(wt, b + col, x + r * ldx, ldx,
                                                                    z ? z + r * P + col : nullptr, y + r * P + col);
        });
  };
  std::size_t r = 0;
  for (; r + MR <= n; r += MR) rows.template operator()<MR>(r);
  detail::with_rows<MR>(n - r, [&](auto m) { rows.template operator()<m>(r); }); // the last < MR rows
  if constexpr (!Act::elementwise)
    for (std::size_t s = 0; s < n; ++s) Act::scalar_row(y + s * P, y + s * P, Out);
}

/// Backward through the activation, fused with the bias gradient:
/// dy <- dz = dy * act'(z, y) in place, and db += sum over samples of dz (db = with
/// store_mode::overwrite), for the registers in `cols` (elementwise activations only).
template <class Act, std::size_t Out, class T, class Arch = default_arch>
void dense_backward_activation(const T* z, const T* y, T* dy, T* db, std::size_t n,
                               register_range cols = {0, padded<T, Arch>(Out) / lanes<T, Arch>},
                               store_mode mode = store_mode::add) noexcept {
  using V = simd<T, Arch>;
  constexpr std::size_t P = padded<T, Arch>(Out), L = V::size;
  if constexpr (!Act::elementwise)
    for (std::size_t r = 0; r < n; ++r) Act::scalar_backward_row(y + r * P, dy + r * P, dy + r * P, Out);
  for (std::size_t col = cols.begin * L; col < cols.end * L; col += L) {
    V acc = mode == store_mode::add ? V::load_aligned(db + col) : V(T(0));
    for (std::size_t r = 0; r < n; ++r) {
      const std::size_t at = r * P + col;
      V d = V::load_aligned(dy + at);
      if constexpr (Act::elementwise && !std::is_same_v<Act, identity_fn>) {
        d *= Act::simd_derivative(V::load_aligned(z + at), V::load_aligned(y + at));
        d.store_aligned(dy + at);
      }
      acc += d;
    }
    acc.store_aligned(db + col);
  }
}

/// Weight gradient: dW[o][i] += sum_r x[r][i] dz[r][o] (= with store_mode::overwrite), for the
/// output registers in `cols`, into dwt in the weight's stored layout. Tiles of tile_shape
/// inputs x registers.
template <std::size_t In, std::size_t Out, class T, class Arch = default_arch>
void dense_backward_params(const T* x, std::size_t ldx, const T* dz, T* dwt, std::size_t n,
                           register_range cols = {0, padded<T, Arch>(Out) / lanes<T, Arch>},
                           store_mode mode = store_mode::add) noexcept {
  using V = simd<T, Arch>;
  using layout = dense_layout<T, In, Out, Arch>;
  constexpr std::size_t P = layout::padded_out, L = V::size;
  auto tile = [&]<std::size_t IB, std::size_t NB, std::size_t W>(std::size_t i0, T* dw, std::size_t col) {
    V acc[IB][NB];
    for (std::size_t ii = 0; ii < IB; ++ii)
      for (std::size_t k = 0; k < NB; ++k)
        acc[ii][k] = mode == store_mode::add ? V::load_aligned(dw + (i0 + ii) * W + k * L) : V(T(0));
    for (std::size_t r = 0; r < n; ++r) {
      V d[NB];
      for (std::size_t k = 0; k < NB; ++k) d[k] = V::load_aligned(dz + r * P + col + k * L);
      for (std::size_t ii = 0; ii < IB; ++ii) {
        const V xv(x[r * ldx + i0 + ii]);
        for (std::size_t k = 0; k < NB; ++k) acc[ii][k] = kernels::fma(xv, d[k], acc[ii][k]);
      }
    }
    for (std::size_t ii = 0; ii < IB; ++ii)
      for (std::size_t k = 0; k < NB; ++k) acc[ii][k].store_aligned(dw + (i0 + ii) * W + k * L);
  };
  auto columns = [&]<std::size_t IB>(std::size_t i0) {
    detail::for_each_column_tile<layout, Arch>(dwt, cols.begin, cols.end, [&](auto nb, auto w, T* dw, std::size_t col) {
      tile.template operator()<IB, nb, w>(i0, dw, col);
    });
  };
  constexpr std::size_t IB = detail::tile_shape<Arch>::rows;
  constexpr std::size_t blocked = In / IB * IB;
  for (std::size_t i = 0; i < blocked; i += IB) columns.template operator()<IB>(i);
  if constexpr (blocked < In)
    detail::with_rows<IB>(In - blocked, [&](auto m) { columns.template operator()<m>(blocked); });
}

/// Input gradient: dx[r][i] = sum_o dz[r][o] W[o][i] for i < In; padding lanes of dx
/// (In <= i < ldx) are set to zero so the previous stage sees clean rows.
template <std::size_t In, std::size_t Out, class T, class Arch = default_arch>
void dense_backward_input(const T* params, const T* dz, T* dx, std::size_t ldx, std::size_t n) noexcept {
  using V = simd<T, Arch>;
  using layout = dense_layout<T, In, Out, Arch>;
  constexpr std::size_t P = layout::padded_out, L = V::size;
  constexpr std::size_t IB = 4;
  // acc[ii] += sum over the columns of every panel of dz[col] W[col][i + ii]
  auto dot = [&]<std::size_t M>(const T* d, std::size_t i, V(&acc)[M]) {
    detail::for_each_panel<layout>([&](auto p) {
      constexpr std::size_t W = layout::panel_width(p), first = layout::panel_begin(p);
      const T* wt = params + layout::panel_offset(p);
      for (std::size_t c = 0; c < W; c += L) {
        const V dv = V::load_aligned(d + first + c);
        for (std::size_t ii = 0; ii < M; ++ii)
          acc[ii] = kernels::fma(dv, V::load_aligned(wt + (i + ii) * W + c), acc[ii]);
      }
    });
  };
  for (std::size_t r = 0; r < n; ++r) {
    const T* d = dz + r * P;
    T* out = dx + r * ldx;
    std::size_t i = 0;
    for (; i + IB <= In; i += IB) {
      V acc[IB];
      for (auto& a : acc) a = V(T(0));
      dot.template operator()<IB>(d, i, acc);
      for (std::size_t ii = 0; ii < IB; ++ii) out[i + ii] = xsimd::hadd(acc[ii]);
    }
    for (; i < In; ++i) {
      V acc[1] = {V(T(0))};
      dot.template operator()<1>(d, i, acc);
      out[i] = xsimd::hadd(acc[0]);
    }
    std::fill(out + In, out + ldx, T(0));
  }
}

/// Scalar reference twins: the same contracts and layouts in plain loops, for tests.
namespace reference {

template <class Act, std::size_t In, std::size_t Out, class T, class Arch = default_arch>
void dense_forward_batch(const T* params, const T* x, std::size_t ldx, T* z, T* y, std::size_t n) noexcept {
  using layout = dense_layout<T, In, Out, Arch>;
  constexpr std::size_t P = layout::padded_out;
  const T* b = params + layout::weight_size;
  for (std::size_t r = 0; r < n; ++r) {
    for (std::size_t o = 0; o < P; ++o) {
      T acc = b[o];
      for (std::size_t i = 0; i < In; ++i) acc += x[r * ldx + i] * params[layout::index(i, o)];
      if (z) z[r * P + o] = acc;
      if constexpr (Act::elementwise)
        y[r * P + o] = Act::scalar(acc);
      else
        y[r * P + o] = acc;
    }
    if constexpr (!Act::elementwise) Act::scalar_row(y + r * P, y + r * P, Out);
  }
}

template <class Act, std::size_t In, std::size_t Out, class T, class Arch = default_arch>
CTNN_ALWAYS_INLINE void dense_forward(const T* params, const T* x, T* z, T* y) noexcept {
  dense_forward_batch<Act, In, Out, T, Arch>(params, x, In, z, y, 1);
}

template <class Act, std::size_t Out, class T, class Arch = default_arch>
void dense_backward_activation(const T* z, const T* y, T* dy, T* db, std::size_t n) noexcept {
  constexpr std::size_t P = padded<T, Arch>(Out);
  for (std::size_t r = 0; r < n; ++r) {
    if constexpr (Act::elementwise)
      for (std::size_t o = 0; o < P; ++o) dy[r * P + o] *= Act::scalar_derivative(z[r * P + o], y[r * P + o]);
    else
      Act::scalar_backward_row(y + r * P, dy + r * P, dy + r * P, Out);
    for (std::size_t o = 0; o < P; ++o) db[o] += dy[r * P + o];
  }
}

template <std::size_t In, std::size_t Out, class T, class Arch = default_arch>
void dense_backward_params(const T* x, std::size_t ldx, const T* dz, T* dwt, std::size_t n) noexcept {
  using layout = dense_layout<T, In, Out, Arch>;
  constexpr std::size_t P = layout::padded_out;
  for (std::size_t r = 0; r < n; ++r)
    for (std::size_t i = 0; i < In; ++i)
      for (std::size_t o = 0; o < P; ++o) dwt[layout::index(i, o)] += x[r * ldx + i] * dz[r * P + o];
}

template <std::size_t In, std::size_t Out, class T, class Arch = default_arch>
void dense_backward_input(const T* params, const T* dz, T* dx, std::size_t ldx, std::size_t n) noexcept {
  using layout = dense_layout<T, In, Out, Arch>;
  constexpr std::size_t P = layout::padded_out;
  for (std::size_t r = 0; r < n; ++r) {
    for (std::size_t i = 0; i < In; ++i) {
      T acc = 0;
      for (std::size_t o = 0; o < P; ++o) acc += dz[r * P + o] * params[layout::index(i, o)];
      dx[r * ldx + i] = acc;
    }
    for (std::size_t i = In; i < ldx; ++i) dx[r * ldx + i] = 0;
  }
}

} // namespace reference
} // namespace CTNN_NAMESPACE::kernels
