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

/// One step forward. ai = W_ih x + b_ih and ah = W_hh h_prev + b_hh (G Hp each); writes h (Hp),
/// for the LSTM c (from c_prev), and keeps what backward needs: the activated gates (G Hp) and
/// `extra` (Hp: the LSTM's c, the GRU's W_hn h + b_hn; unused by the RNN).
template <cell_kind K, std::size_t H, class T>
void cell_forward(const T* ai, const T* ah, const T* h_prev, const T* c_prev, T* h, T* c, T* gates, T* extra) noexcept {
  constexpr std::size_t hp = padded<T>(H);
  if constexpr (K == cell_kind::rnn_tanh || K == cell_kind::rnn_relu) {
    for (std::size_t j = 0; j < hp; ++j) {
      const T a = ai[j] + ah[j];
      h[j] = K == cell_kind::rnn_tanh ? detail::tanh(a) : (a < T(0) ? T(0) : a); // relu keeps NaN
      gates[j] = h[j];
    }
  } else if constexpr (K == cell_kind::lstm) {
    for (std::size_t j = 0; j < hp; ++j) {
      const T i = detail::sigmoid(ai[j] + ah[j]);
      const T f = detail::sigmoid(ai[hp + j] + ah[hp + j]);
      const T g = detail::tanh(ai[2 * hp + j] + ah[2 * hp + j]);
      const T o = detail::sigmoid(ai[3 * hp + j] + ah[3 * hp + j]);
      c[j] = f * c_prev[j] + i * g;
      h[j] = o * detail::tanh(c[j]);
      gates[j] = i, gates[hp + j] = f, gates[2 * hp + j] = g, gates[3 * hp + j] = o;
      extra[j] = c[j];
    }
  } else { // gru
    for (std::size_t j = 0; j < hp; ++j) {
      const T r = detail::sigmoid(ai[j] + ah[j]);
      const T z = detail::sigmoid(ai[hp + j] + ah[hp + j]);
      const T n = detail::tanh(ai[2 * hp + j] + r * ah[2 * hp + j]); // b_hn inside the reset product
      h[j] = (T(1) - z) * n + z * h_prev[j];
      gates[j] = r, gates[hp + j] = z, gates[2 * hp + j] = n;
      extra[j] = ah[2 * hp + j];
    }
  }
  for (std::size_t j = H; j < hp; ++j) h[j] = T(0);
  if constexpr (K == cell_kind::lstm)
    for (std::size_t j = H; j < hp; ++j) c[j] = T(0);
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
