// recurrent_stage (rnn, lstm, gru over a whole sequence, and one step at a time for streams)
// and last_stage (a sequence's final step). Backward is backpropagation through time over the
// whole sequence of each sample.
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/core/random.hpp>
#include <ctnn/kernels/recurrent.hpp>
#include <ctnn/layers/stage.hpp>

#include <algorithm>
#include <cstddef>

namespace CTNN_NAMESPACE::layers {

/// in sequence<Steps, F> -> out sequence<Steps, H>: h_t = cell(x_t, h_{t-1}) from h_{-1} = 0
/// (and c_{-1} = 0), PyTorch's nn.RNN / nn.LSTM / nn.GRU with batch_first inputs, one layer.
/// Parameters: kernels::recurrent_layout (two dense maps). Training keeps, per step, the activated gates and the
/// cell's extra values (LSTM: c_t; GRU: W_hn h + b_hn).
///
/// Streams (layers/stage.hpp): state_size values of state (h, and c for the LSTM), step,
/// step_streams.
template <class T, kernels::cell_kind K, std::size_t Steps, std::size_t F, std::size_t H>
struct recurrent_stage {
  using layout = kernels::recurrent_layout<T, K, F, H>;
  using input_map = typename layout::input_map;
  using hidden_map = typename layout::hidden_map;
  static constexpr std::size_t hp = layout::hp, width = layout::width;
  static constexpr std::size_t in_size = Steps * F;
  static constexpr std::size_t out_size = Steps * H;
  static constexpr std::size_t out_stride = kernels::padded<T>(out_size);
  static constexpr std::size_t param_size = layout::size;
  static constexpr std::size_t param_count = layout::param_count;
  static constexpr std::size_t step_kept = width + hp; ///< gates, extra
  static constexpr std::size_t kept_stride = Steps * step_kept;
  static constexpr bool has_cell = K == kernels::cell_kind::lstm;
  /// One stream's state: h (Hp), then c (Hp) for the LSTM.
  static constexpr std::size_t state_size = (has_cell ? 2 : 1) * hp;
  /// What step writes: one step's h, padded.
  static constexpr std::size_t step_stride = hp;

  static void forward(const T* p, const T* x, T* y) noexcept { run(p, x, nullptr, y); }
  static void forward_batch(const T* p, const T* x, std::size_t ldx, T* kept, T* y, std::size_t n) noexcept {
    for (std::size_t s = 0; s < n; ++s)
      run(p, x + s * ldx, kept ? kept + s * kept_stride : nullptr, y + s * out_stride);
  }

  /// One time step of n streams: state_s at states + s * ld_state, x_s at x + s * ldx, h_s (Hp
  /// values, padding 0) at h + s * ldh. Blocks of `block` streams run through the dense layer's
  /// batched kernel (each weight load serves the whole block), the rest one by one.
  static constexpr std::size_t block = 8;
  /// One time step of one stream: x (F values) -> h (Hp values, padding 0); the state advances.
  static void step(const T* p, T* state, const T* x, T* h) noexcept {
    alignas(alignment) T gates[width], extra[hp];
    advance(p, state, x, h, gates, extra);
  }

  static void step_streams(const T* p, T* states, std::size_t ld_state, const T* x, std::size_t ldx, T* h,
                           std::size_t ldh, std::size_t n) noexcept {
    std::size_t s = 0;
    for (; s + block <= n; s += block) streams(p, states + s * ld_state, ld_state, x + s * ldx, ldx, h + s * ldh, ldh);
    for (; s < n; ++s) {
      step(p, states + s * ld_state, x + s * ldx, h + s * ldh);
    }
  }

  static void backward(const T* p, T* g, const T* x, std::size_t ldx, const T* kept, const T* y, T* dy, T* dx,
                       std::size_t n, kernels::store_mode mode = kernels::store_mode::add) noexcept {
    if (mode == kernels::store_mode::overwrite) std::fill(g, g + param_size, T(0));
    alignas(alignment) T dh[hp], dc[hp], dh_next[hp], dh_prev[hp], dai[width], dah[width], h_prev[hp];
    alignas(alignment) const T zero[hp] = {};
    for (std::size_t s = 0; s < n; ++s) {
      const T* xs = x + s * ldx;
      const T* ks = kept + s * kept_stride;
      const T* ys = y + s * out_stride;
      T* dxs = dx ? dx + s * ldx : nullptr;
      std::fill_n(dh_next, hp, T(0));
      std::fill_n(dc, hp, T(0));
      std::fill_n(h_prev, hp, T(0)); // padding lanes stay 0
      for (std::size_t t = Steps; t-- > 0;) {
        const T* dyt = dy + s * out_stride + t * H;
        for (std::size_t j = 0; j < hp; ++j) dh[j] = (j < H ? dyt[j] : T(0)) + dh_next[j];
        if (t > 0)
          std::copy_n(ys + (t - 1) * H, H, h_prev); // y rows are compact: an aligned copy
        else
          std::fill_n(h_prev, H, T(0));
        const T* c_prev = t > 0 ? ks + (t - 1) * step_kept + width : zero;
        kernels::cell_backward<K, H>(ks + t * step_kept, ks + t * step_kept + width, h_prev, c_prev, dh, dc, dai, dah,
                                     dh_prev);
        kernels::map_gradient<input_map>(xs + t * F, dai, g + layout::ih);
        kernels::map_gradient<hidden_map>(h_prev, dah, g + layout::hh);
        if (dxs) kernels::map_input_gradient<input_map>(p + layout::ih, dai, dxs + t * F);
        kernels::map_input_gradient<hidden_map>(p + layout::hh, dah, dh_next);
        for (std::size_t j = 0; j < H; ++j) dh_next[j] += dh_prev[j];
      }
      if (dxs) std::fill(dxs + in_size, dxs + ldx, T(0));
    }
  }

  /// PyTorch order: weight_ih_l0 [G H][F], weight_hh_l0 [G H][H], bias_ih_l0 [G H], bias_hh_l0 [G H].
  static void import_params(const T* logical, T* p) noexcept { convert<true>(const_cast<T*>(logical), p); }
  static void export_params(const T* p, T* logical) noexcept { convert<false>(logical, const_cast<T*>(p)); }
  /// Every parameter from init with fan_in = fan_out = H: PyTorch's U(-1/sqrt(H), 1/sqrt(H))
  /// with init::pytorch_default. In PyTorch's order.
  template <class Init>
  static void initialize(T* p, const Init& init, rng& gen) {
    std::fill(p, p + param_size, T(0));
    constexpr std::size_t rows = layout::gates * H;
    for (std::size_t r = 0; r < rows; ++r)
      for (std::size_t k = 0; k < F; ++k) p[layout::w_ih(r, k)] = T(init.weight(H, H, gen));
    for (std::size_t r = 0; r < rows; ++r)
      for (std::size_t k = 0; k < H; ++k) p[layout::w_hh(r, k)] = T(init.weight(H, H, gen));
    for (std::size_t r = 0; r < rows; ++r) p[layout::b_ih(r)] = T(init.bias(H, H, gen));
    for (std::size_t r = 0; r < rows; ++r) p[layout::b_hh(r)] = T(init.bias(H, H, gen));
  }

private:
  /// ai = W_ih x + b_ih, ah = W_hh h + b_hh: the dense layer's kernels.
  CTNN_ALWAYS_INLINE static void affine(const T* p, const T* x, const T* h, T* ai, T* ah) noexcept {
    kernels::dense_forward<kernels::identity_fn, F, width>(p + layout::ih, x, static_cast<T*>(nullptr), ai);
    kernels::dense_forward<kernels::identity_fn, H, width>(p + layout::hh, h, static_cast<T*>(nullptr), ah);
  }

  /// One time step of one stream: x (F values) -> h (Hp), the state advanced; the cell's gates
  /// and extra values land where backward wants them (or in scratch).
  CTNN_ALWAYS_INLINE static void advance(const T* p, T* state, const T* x, T* h, T* gates, T* extra) noexcept {
    alignas(alignment) T ai[width], ah[width];
    affine(p, x, state, ai, ah);
    T* c = has_cell ? state + hp : nullptr;
    kernels::cell_forward<K, H>(ai, ah, state, c, h, c, gates, extra);
    std::copy_n(h, hp, state);
  }

  static void streams(const T* p, T* states, std::size_t ld_state, const T* x, std::size_t ldx, T* h,
                      std::size_t ldh) noexcept {
    alignas(alignment) T ai[block * width], ah[block * width], hprev[block * hp], gates[width], extra[hp];
    for (std::size_t s = 0; s < block; ++s) std::copy_n(states + s * ld_state, hp, hprev + s * hp);
    kernels::dense_forward_batch<kernels::identity_fn, F, width>(p + layout::ih, x, ldx, static_cast<T*>(nullptr), ai,
                                                                 block);
    kernels::dense_forward_batch<kernels::identity_fn, H, width>(p + layout::hh, hprev, hp, static_cast<T*>(nullptr),
                                                                 ah, block);
    for (std::size_t s = 0; s < block; ++s) {
      T* state = states + s * ld_state;
      T* c = has_cell ? state + hp : nullptr;
      T* hs = h + s * ldh;
      kernels::cell_forward<K, H>(ai + s * width, ah + s * width, hprev + s * hp, c, hs, c, gates, extra);
      std::copy_n(hs, hp, state);
    }
  }

  /// Copies between PyTorch's order (logical) and the stored layout (p), either way.
  template <bool Import>
  static void convert(T* logical, T* p) noexcept {
    constexpr std::size_t rows = layout::gates * H;
    std::size_t at = 0;
    const auto move = [&](std::size_t stored) {
      if constexpr (Import)
        p[stored] = logical[at++];
      else
        logical[at++] = p[stored];
    };
    for (std::size_t r = 0; r < rows; ++r)
      for (std::size_t k = 0; k < F; ++k) move(layout::w_ih(r, k));
    for (std::size_t r = 0; r < rows; ++r)
      for (std::size_t k = 0; k < H; ++k) move(layout::w_hh(r, k));
    for (std::size_t r = 0; r < rows; ++r) move(layout::b_ih(r));
    for (std::size_t r = 0; r < rows; ++r) move(layout::b_hh(r));
  }

  /// One sample; keeps gates and extra per step unless kept is null.
  static void run(const T* p, const T* x, T* kept, T* y) noexcept {
    alignas(alignment) T state[state_size] = {};
    alignas(alignment) T h[hp], gates[width], extra[hp];
    for (std::size_t t = 0; t < Steps; ++t) {
      T* g = kept ? kept + t * step_kept : gates;
      advance(p, state, x + t * F, h, g, kept ? g + width : extra);
      std::copy_n(h, H, y + t * H);
    }
    std::fill(y + out_size, y + out_stride, T(0));
  }
};

/// in sequence<Steps, F> -> out shape<F>: the final step. No parameters. In a stream, the
/// current step (`ends_sequence`).
template <class T, std::size_t Steps, std::size_t F>
struct last_stage : detail::no_parameters<T>, detail::batch_by_samples<last_stage<T, Steps, F>, T> {
  static constexpr std::size_t in_size = Steps * F;
  static constexpr std::size_t out_size = F;
  static constexpr std::size_t out_stride = kernels::padded<T>(F);
  static constexpr bool ends_sequence = true;

  static void forward(const T*, const T* x, T* y) noexcept {
    std::copy_n(x + (Steps - 1) * F, F, y);
    std::fill(y + F, y + out_stride, T(0));
  }
  static void backward(const T*, T*, const T*, std::size_t ldx, const T*, const T*, T* dy, T* dx, std::size_t n,
                       kernels::store_mode = kernels::store_mode::add) noexcept {
    if (!dx) return;
    for (std::size_t s = 0; s < n; ++s) {
      std::fill(dx + s * ldx, dx + (s + 1) * ldx, T(0));
      std::copy_n(dy + s * out_stride, F, dx + s * ldx + (Steps - 1) * F);
    }
  }
};

} // namespace CTNN_NAMESPACE::layers
