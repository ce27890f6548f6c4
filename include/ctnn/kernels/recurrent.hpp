// Recurrent cells with PyTorch's formulas and gate orders (RNN; LSTM i, f, g, o; GRU r, z, n
// with b_hn inside the reset product), one time step at a time: the input and hidden affine
// maps, the cell's combination of them, and its backward step for backpropagation through time.
//
// Each gate block is padded to whole registers (Hp = padded(H)); padding lanes hold zero
// weights and biases, so every padded lane of h, c and the gradients stays 0.
#pragma once

#include <ctnn/kernels/activation.hpp>
#include <ctnn/kernels/simd.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>

namespace ctnn::kernels {

enum class cell_kind { rnn_tanh, rnn_relu, lstm, gru };

template <cell_kind K>
inline constexpr std::size_t gate_count = K == cell_kind::lstm ? 4 : K == cell_kind::gru ? 3 : 1;

/// Parameters of a recurrent layer of F inputs and H hidden units, as stored: W_ih^T [F][G Hp],
/// W_hh^T [H][G Hp], b_ih [G Hp], b_hh [G Hp] (G gate blocks of Hp each, in PyTorch's order).
template <class T, cell_kind K, std::size_t F, std::size_t H>
struct recurrent_layout {
  static constexpr std::size_t gates = gate_count<K>, hp = padded<T>(H), width = gates * hp;
  static constexpr std::size_t w_ih = 0, w_hh = F * width, b_ih = w_hh + H * width, b_hh = b_ih + width;
  static constexpr std::size_t size = b_hh + width;
  static constexpr std::size_t param_count = gates * H * (F + H + 2);
  /// Where PyTorch's row r (= gate * H + j) of a [G H, ...] weight or bias lands in a block row.
  static constexpr std::size_t column(std::size_t r) noexcept { return r / H * hp + r % H; }
};

/// a[0, W) = b + W^T x: x has In values, w is [In][W] (the transposed weight).
template <std::size_t In, std::size_t W, class T>
void affine(const T* w, const T* b, const T* x, T* a) noexcept {
  std::copy_n(b, W, a);
  for (std::size_t k = 0; k < In; ++k) {
    const T xk = x[k];
    const T* row = w + k * W;
    for (std::size_t j = 0; j < W; ++j) a[j] += xk * row[j];
  }
}

/// affine for NS inputs at once (x_s at x + s * ldx, a_s at a + s * W): each weight row is
/// loaded once for all of them, and their NS chains of multiply-adds run side by side (one
/// input alone is a chain of In dependent multiply-adds per register).
template <std::size_t In, std::size_t W, std::size_t NS, class T, class Arch = default_arch>
void affine_streams(const T* w, const T* b, const T* x, std::size_t ldx, T* a) noexcept {
  using V = simd<T, Arch>;
  constexpr std::size_t L = V::size, R = W / L;
  static_assert(W % L == 0, "affine_streams: whole registers");
  V acc[NS][R];
  for (std::size_t s = 0; s < NS; ++s)
    for (std::size_t r = 0; r < R; ++r) acc[s][r] = V::load_aligned(b + r * L);
  for (std::size_t k = 0; k < In; ++k)
    for (std::size_t r = 0; r < R; ++r) {
      const V wr = V::load_aligned(w + k * W + r * L);
      for (std::size_t s = 0; s < NS; ++s) acc[s][r] = kernels::fma(V(x[s * ldx + k]), wr, acc[s][r]);
    }
  for (std::size_t s = 0; s < NS; ++s)
    for (std::size_t r = 0; r < R; ++r) acc[s][r].store_aligned(a + s * W + r * L);
}

/// g[k][j] += x[k] d[j] for k < In, j < W (the weight gradient of affine), and db += d.
template <std::size_t In, std::size_t W, class T>
void affine_gradient(const T* x, const T* d, T* g, T* db) noexcept {
  for (std::size_t k = 0; k < In; ++k) {
    const T xk = x[k];
    T* row = g + k * W;
    for (std::size_t j = 0; j < W; ++j) row[j] += xk * d[j];
  }
  for (std::size_t j = 0; j < W; ++j) db[j] += d[j];
}

/// dx[k] (+)= sum_j w[k][j] d[j]: the input gradient of affine.
template <std::size_t In, std::size_t W, bool Add, class T>
void affine_input_gradient(const T* w, const T* d, T* dx) noexcept {
  for (std::size_t k = 0; k < In; ++k) {
    const T* row = w + k * W;
    T s = 0;
    for (std::size_t j = 0; j < W; ++j) s += row[j] * d[j];
    dx[k] = Add ? dx[k] + s : s;
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
void cell_forward(const T* ai, const T* ah, const T* h_prev, const T* c_prev, T* h, T* c, T* gates, T* extra) noexcept {
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
      kernels::fma(z, at(h_prev, j) - n, n).store_aligned(h + j);          // (1 - z) n + z h
      r.store_aligned(gates + j), z.store_aligned(gates + hp + j), n.store_aligned(gates + 2 * hp + j);
      hn.store_aligned(extra + j);
    }
  }
}

/// One step backward, from dh (dL/dh of this step, all paths) and, for the LSTM, dc (dL/dc from
/// the next step; replaced by dL/dc_prev). Writes dai and dah (dL/d of the two affine outputs,
/// G Hp each) and dh_prev, the part of dL/dh_prev that does not go through W_hh.
template <cell_kind K, std::size_t H, class T>
void cell_backward(const T* gates, const T* extra, const T* h_prev, const T* c_prev, const T* dh, T* dc, T* dai,
                   T* dah, T* dh_prev) noexcept {
  constexpr std::size_t hp = padded<T>(H), width = gate_count<K> * hp;
  std::fill_n(dai, width, T(0));
  std::fill_n(dah, width, T(0));
  std::fill_n(dh_prev, hp, T(0));
  for (std::size_t j = 0; j < H; ++j) {
    if constexpr (K == cell_kind::rnn_tanh || K == cell_kind::rnn_relu) {
      const T y = gates[j];
      dai[j] = dah[j] = dh[j] * (K == cell_kind::rnn_tanh ? T(1) - y * y : (y > T(0) ? T(1) : T(0)));
    } else if constexpr (K == cell_kind::lstm) {
      const T i = gates[j], f = gates[hp + j], g = gates[2 * hp + j], o = gates[3 * hp + j];
      const T tc = detail::tanh(extra[j]);
      const T dct = dc[j] + dh[j] * o * (T(1) - tc * tc);
      const T d_i = dct * g * i * (T(1) - i), d_f = dct * c_prev[j] * f * (T(1) - f);
      const T d_g = dct * i * (T(1) - g * g), d_o = dh[j] * tc * o * (T(1) - o);
      dai[j] = dah[j] = d_i;
      dai[hp + j] = dah[hp + j] = d_f;
      dai[2 * hp + j] = dah[2 * hp + j] = d_g;
      dai[3 * hp + j] = dah[3 * hp + j] = d_o;
      dc[j] = dct * f;
    } else { // gru
      const T r = gates[j], z = gates[hp + j], n = gates[2 * hp + j];
      const T dn = dh[j] * (T(1) - z) * (T(1) - n * n); // through tanh
      const T dz = dh[j] * (h_prev[j] - n) * z * (T(1) - z);
      const T dr = dn * extra[j] * r * (T(1) - r);
      dai[j] = dah[j] = dr;
      dai[hp + j] = dah[hp + j] = dz;
      dai[2 * hp + j] = dn;
      dah[2 * hp + j] = dn * r;
      dh_prev[j] = dh[j] * z;
    }
  }
}

} // namespace ctnn::kernels
