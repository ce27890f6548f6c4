// Recurrent cells with PyTorch's formulas and gate orders (RNN; LSTM i, f, g, o; GRU r, z, n
// with b_hn inside the reset product), one time step at a time: the input and hidden affine
// maps, the cell's combination of them, and its backward step for backpropagation through time.
//
// Each gate block is padded to whole registers (Hp = padded(H)); padding lanes hold zero
// weights and biases, so every padded lane of h, c and the gradients stays 0.
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/kernels/activation.hpp>
#include <ctnn/kernels/dense.hpp>
#include <ctnn/kernels/simd.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>

namespace CTNN_NAMESPACE::kernels {

enum class cell_kind { rnn_tanh, rnn_relu, lstm, gru };

template <cell_kind K>
inline constexpr std::size_t gate_count = K == cell_kind::lstm  ? 4
                                          : K == cell_kind::gru ? 3
                                                                : 1;

/// Parameters of a recurrent layer of F inputs and H hidden units, as stored: two dense layers
/// (kernels/dense.hpp's layout, so that its register-blocked kernels run the affine maps, also
/// across streams), x -> W_ih x + b_ih and h -> W_hh h + b_hh, each of G Hp outputs (G gate
/// blocks of Hp = padded(H), in PyTorch's gate order).
template <class T, cell_kind K, std::size_t F, std::size_t H>
struct recurrent_layout {
  static constexpr std::size_t gates = gate_count<K>, hp = padded<T>(H), width = gates * hp;
  using input_map = dense_layout<T, F, width>;  ///< W_ih, b_ih
  using hidden_map = dense_layout<T, H, width>; ///< W_hh, b_hh
  static constexpr std::size_t ih = 0, hh = input_map::size;
  static constexpr std::size_t size = hh + hidden_map::size;
  static constexpr std::size_t param_count = gates * H * (F + H + 2);
  /// Where PyTorch's row r (= gate * H + j) of a [G H, ...] weight or bias lands: output column.
  static constexpr std::size_t column(std::size_t r) noexcept { return r / H * hp + r % H; }
  static constexpr std::size_t w_ih(std::size_t r, std::size_t k) noexcept {
    return ih + input_map::index(k, column(r));
  }
  static constexpr std::size_t w_hh(std::size_t r, std::size_t k) noexcept {
    return hh + hidden_map::index(k, column(r));
  }
  static constexpr std::size_t b_ih(std::size_t r) noexcept { return ih + input_map::weight_size + column(r); }
  static constexpr std::size_t b_hh(std::size_t r) noexcept { return hh + hidden_map::weight_size + column(r); }
};

/// The gradient of one dense map (Layout) for one input x and output gradient d (aligned): the
/// weights' g[k][j] += x[k] d[j], panel by panel, and the bias's += d.
template <class Layout, class T, class Arch = default_arch>
void map_gradient(const T* x, const T* d, T* g) noexcept {
  using V = simd<T, Arch>;
  constexpr std::size_t L = V::size;
  for (std::size_t p = 0; p < Layout::panels; ++p) {
    const std::size_t w = Layout::panel_width(p), c0 = Layout::panel_begin(p);
    T* panel = g + Layout::panel_offset(p);
    for (std::size_t k = 0; k < Layout::in; ++k) {
      const V xk(x[k]);
      T* row = panel + k * w;
      for (std::size_t j = 0; j < w; j += L)
        kernels::fma(xk, V::load_aligned(d + c0 + j), V::load_aligned(row + j)).store_aligned(row + j);
    }
  }
  T* db = g + Layout::weight_size;
  for (std::size_t j = 0; j < Layout::padded_out; j += L)
    (V::load_aligned(db + j) + V::load_aligned(d + j)).store_aligned(db + j);
}

/// The input gradient of one dense map for one input: dx[k] = sum_j W[k][j] d[j], k < In.
template <class Layout, class T, class Arch = default_arch>
void map_input_gradient(const T* params, const T* d, T* dx) noexcept {
  using V = simd<T, Arch>;
  constexpr std::size_t L = V::size;
  for (std::size_t k = 0; k < Layout::in; ++k) {
    V acc(T(0));
    for (std::size_t p = 0; p < Layout::panels; ++p) {
      const std::size_t w = Layout::panel_width(p), c0 = Layout::panel_begin(p);
      const T* row = params + Layout::panel_offset(p) + k * w;
      for (std::size_t j = 0; j < w; j += L)
        acc = kernels::fma(V::load_aligned(row + j), V::load_aligned(d + c0 + j), acc);
    }
    dx[k] = xsimd::hadd(acc);
  }
}

namespace detail {
template <class T>
T sigmoid(T x) noexcept {
  return sigmoid_fn::scalar(x);
}
template <class T>
T tanh(T x) noexcept {
  return tanh_fn::scalar(x);
}
} // namespace detail

/// One step forward, vectorized over the hidden units. ai = W_ih x + b_ih and ah = W_hh h_prev +
/// b_hh (G Hp each); writes h (Hp), for the LSTM c (from c_prev; c may be c_prev), and keeps
/// what backward needs: the activated gates (G Hp) and `extra` (Hp: the LSTM's c, the GRU's
/// W_hn h + b_hn; unused by the RNN). Every pointer aligned.
template <cell_kind K, std::size_t H, class T, class Arch = default_arch>
CTNN_ALWAYS_INLINE void cell_forward(const T* ai, const T* ah, const T* h_prev, const T* c_prev, T* h, T* c, T* gates,
                                     T* extra) noexcept {
  using V = simd<T, Arch>;
  constexpr std::size_t hp = padded<T, Arch>(H), L = V::size;
  const auto at = [](const T* p, std::size_t j) { return V::load_aligned(p + j); };
  for (std::size_t j = 0; j < hp; j += L) { // all arrays aligned, whole registers (padding stays 0)
    if constexpr (K == cell_kind::rnn_tanh || K == cell_kind::rnn_relu) {
      const V a = at(ai, j) + at(ah, j);
      const V y = K == cell_kind::rnn_tanh ? tanh_fn::simd(a) : relu_fn::simd(a);
      y.store_aligned(h + j);
      y.store_aligned(gates + j);
    } else if constexpr (K == cell_kind::lstm) {
      const V i = sigmoid_fn::simd(at(ai, j) + at(ah, j));
      const V f = sigmoid_fn::simd(at(ai, hp + j) + at(ah, hp + j));
      const V g = tanh_fn::simd(at(ai, 2 * hp + j) + at(ah, 2 * hp + j));
      const V o = sigmoid_fn::simd(at(ai, 3 * hp + j) + at(ah, 3 * hp + j));
      const V cn = kernels::fma(f, at(c_prev, j), i * g);
      cn.store_aligned(c + j);
      (o * tanh_fn::simd(cn)).store_aligned(h + j);
      i.store_aligned(gates + j), f.store_aligned(gates + hp + j), g.store_aligned(gates + 2 * hp + j);
      o.store_aligned(gates + 3 * hp + j);
      cn.store_aligned(extra + j);
    } else { // gru
      const V r = sigmoid_fn::simd(at(ai, j) + at(ah, j));
      const V z = sigmoid_fn::simd(at(ai, hp + j) + at(ah, hp + j));
      const V hn = at(ah, 2 * hp + j);
      const V n = tanh_fn::simd(kernels::fma(r, hn, at(ai, 2 * hp + j))); // b_hn inside the reset product
      kernels::fma(z, at(h_prev, j) - n, n).store_aligned(h + j);         // (1 - z) n + z h
      r.store_aligned(gates + j), z.store_aligned(gates + hp + j), n.store_aligned(gates + 2 * hp + j);
      hn.store_aligned(extra + j);
    }
  }
}

/// One step backward, vectorized over the hidden units, from dh (dL/dh of this step, all paths)
/// and, for the LSTM, dc (dL/dc from the next step; replaced by dL/dc_prev). Writes dai and dah
/// (dL/d of the two affine outputs, G Hp each) and dh_prev, the part of dL/dh_prev that does
/// not go through W_hh. Every pointer aligned; padding lanes of dh and dc are 0 and stay so.
template <cell_kind K, std::size_t H, class T, class Arch = default_arch>
void cell_backward(const T* gates, const T* extra, const T* h_prev, const T* c_prev, const T* dh, T* dc, T* dai, T* dah,
                   T* dh_prev) noexcept {
  using V = simd<T, Arch>;
  constexpr std::size_t hp = padded<T, Arch>(H), L = V::size;
  const auto at = [](const T* p, std::size_t j) { return V::load_aligned(p + j); };
  const V one(T(1));
  for (std::size_t j = 0; j < hp; j += L) {
    const V d = at(dh, j);
    if constexpr (K == cell_kind::rnn_tanh || K == cell_kind::rnn_relu) {
      const V y = at(gates, j);
      const V da = d * (K == cell_kind::rnn_tanh ? one - y * y : relu_fn::simd_derivative(y, y));
      da.store_aligned(dai + j);
      da.store_aligned(dah + j);
      V(T(0)).store_aligned(dh_prev + j);
    } else if constexpr (K == cell_kind::lstm) {
      const V i = at(gates, j), f = at(gates, hp + j), g = at(gates, 2 * hp + j), o = at(gates, 3 * hp + j);
      const V tc = tanh_fn::simd(at(extra, j));
      const V dct = kernels::fma(d * o, one - tc * tc, at(dc, j));
      const V d_i = dct * g * i * (one - i), d_f = dct * at(c_prev, j) * f * (one - f);
      const V d_g = dct * i * (one - g * g), d_o = d * tc * o * (one - o);
      d_i.store_aligned(dai + j), d_i.store_aligned(dah + j);
      d_f.store_aligned(dai + hp + j), d_f.store_aligned(dah + hp + j);
      d_g.store_aligned(dai + 2 * hp + j), d_g.store_aligned(dah + 2 * hp + j);
      d_o.store_aligned(dai + 3 * hp + j), d_o.store_aligned(dah + 3 * hp + j);
      (dct * f).store_aligned(dc + j);
      V(T(0)).store_aligned(dh_prev + j);
    } else { // gru
      const V r = at(gates, j), z = at(gates, hp + j), n = at(gates, 2 * hp + j);
      const V dn = d * (one - z) * (one - n * n); // through tanh
      const V dz = d * (at(h_prev, j) - n) * z * (one - z);
      const V dr = dn * at(extra, j) * r * (one - r);
      dr.store_aligned(dai + j), dr.store_aligned(dah + j);
      dz.store_aligned(dai + hp + j), dz.store_aligned(dah + hp + j);
      dn.store_aligned(dai + 2 * hp + j);
      (dn * r).store_aligned(dah + 2 * hp + j);
      (d * z).store_aligned(dh_prev + j);
    }
  }
}

} // namespace CTNN_NAMESPACE::kernels
