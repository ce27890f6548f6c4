// sequence_conv_stage: conv1d over a time-major sequence<Steps, C> (channels are the features of
// each step), for temporal convolutional networks (TCN, WaveNet) and RTNeural's Conv1D. A causal
// stride-1 layer also steps in streams, keeping the last (K - 1) d + 1 frames in a ring: a stream
// has no added latency and equals the whole-sequence forward exactly.
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/core/random.hpp>
#include <ctnn/kernels/activation.hpp>
#include <ctnn/kernels/sequence_conv.hpp>
#include <ctnn/kernels/simd.hpp>
#include <ctnn/layers/stage.hpp>

#include <algorithm>
#include <array>
#include <cstddef>

namespace CTNN_NAMESPACE::layers {

/// What the forward pass, backward pass and stream step of a sequence convolution share.
template <class T, class Descriptor, class In, class Act>
struct sequence_conv_core {
  static constexpr auto geometry = Descriptor::geometry(In::dims); ///< c: channels, w: steps
  static constexpr std::size_t C = geometry.c, Steps = geometry.w, K = geometry.kw;
  static constexpr std::size_t S = geometry.sw, D = geometry.dw, PL = geometry.pl, PR = geometry.pr;
  static constexpr std::size_t OutSteps = geometry.ow;
  static constexpr std::size_t F = Descriptor::filters, G = Descriptor::groups;
  static constexpr std::size_t group_channels = C / G, group_filters = F / G;
  static constexpr std::size_t L = kernels::lanes<T>, Fp = kernels::padded<T>(F);
  using V = kernels::simd<T>;
  /// Stored: W as K taps of [C][Fp] (zero where a channel and a filter are in different groups),
  /// then the bias [Fp].
  static constexpr std::size_t weight_size = K * C * Fp;
  static constexpr std::size_t param_size = weight_size + Fp;
  static constexpr std::size_t param_count = F * group_channels * K + F;
  static constexpr std::size_t w_at(std::size_t k, std::size_t c, std::size_t f) noexcept {
    return (k * C + c) * Fp + f;
  }
  static constexpr std::array<T, C> zero_frame{};

  /// One output step: the bias, then each tap's frame (a zero frame outside the input) in
  /// order; z (Fp, aligned) unless null, y: act(z), Fp values with padding 0, aligned.
  template <class FrameOf>
  CTNN_ALWAYS_INLINE static void output_step(const T* p, FrameOf&& frame_of, T* z, T* y) noexcept {
    V acc[Fp / L];
    for (std::size_t r = 0; r < Fp / L; ++r) acc[r] = V::load_aligned(p + weight_size + r * L);
    for (std::size_t k = 0; k < K; ++k) kernels::conv_tap<C, Fp>(p + k * C * Fp, frame_of(k), acc);
    for (std::size_t r = 0; r < Fp / L; ++r) {
      if (z) acc[r].store_aligned(z + r * L);
      Act::simd(acc[r]).store_aligned(y + r * L);
    }
    std::fill(y + F, y + Fp, T(0));
  }
};

/// Streams, for causal stride-1 layers: a ring of the last R = (K - 1) d + 1 input frames, then
/// the ring's next position (a small whole number, exact in T). Zero at the start, as the
/// causal padding.
template <class T, class Core, bool Streams = Core::S == 1 && Core::PR == 0 && Core::PL == (Core::K - 1) * Core::D>
struct sequence_conv_steps {};
template <class T, class Core>
struct sequence_conv_steps<T, Core, true> {
  static constexpr std::size_t ring = (Core::K - 1) * Core::D + 1;
  static constexpr std::size_t state_size = kernels::padded<T>(ring * Core::C + 1); ///< whole registers
  static constexpr std::size_t step_stride = Core::Fp;

  static void step(const T* p, T* state, const T* x, T* y) noexcept {
    const std::size_t pos = static_cast<std::size_t>(state[ring * Core::C]);
    std::copy_n(x, Core::C, state + pos * Core::C);
    Core::output_step(
        p,
        [&](std::size_t k) {
          const std::size_t back = (Core::K - 1 - k) * Core::D; // tap k reads the frame `back` steps ago
          return state + (pos + ring - back) % ring * Core::C;
        },
        static_cast<T*>(nullptr), y);
    state[ring * Core::C] = static_cast<T>((pos + 1) % ring);
  }
};

/// in sequence<Steps, C> -> out sequence<Steps', F>: y_t = act(b + sum_k W_k x_{t S - pl + k d}),
/// PyTorch's Conv1d on x.transpose(1, 2) (weight [F, C / G, K]), zero outside the input.
/// Training keeps z per output step.
template <class T, class Descriptor, class In, class Out, class Act>
struct sequence_conv_stage : sequence_conv_core<T, Descriptor, In, Act>,
                             sequence_conv_steps<T, sequence_conv_core<T, Descriptor, In, Act>> {
  using core = sequence_conv_core<T, Descriptor, In, Act>;
  using core::C, core::F, core::Fp, core::K, core::S, core::D, core::PL, core::Steps, core::OutSteps;
  using core::w_at, core::weight_size, core::group_channels;
  static constexpr std::size_t in_size = Steps * C;
  static constexpr std::size_t out_size = OutSteps * F;
  static constexpr std::size_t out_stride = kernels::padded<T>(out_size);
  static constexpr std::size_t param_size = core::param_size;
  static constexpr std::size_t param_count = core::param_count;
  static constexpr std::size_t kept_stride = OutSteps * Fp; ///< z, one padded row per output step

  static void forward(const T* p, const T* x, T* y) noexcept { run(p, x, nullptr, y); }
  static void forward_batch(const T* p, const T* x, std::size_t ldx, T* kept, T* y, std::size_t n) noexcept {
    for (std::size_t s = 0; s < n; ++s)
      run(p, x + s * ldx, kept ? kept + s * kept_stride : nullptr, y + s * out_stride);
  }

  static void backward(const T* p, T* g, const T* x, std::size_t ldx, const T* kept, const T* y, T* dy, T* dx,
                       std::size_t n, kernels::store_mode mode = kernels::store_mode::add) noexcept {
    if (mode == kernels::store_mode::overwrite) std::fill(g, g + param_size, T(0));
    alignas(alignment) T dz[Fp];
    for (std::size_t s = 0; s < n; ++s) {
      const T* xs = x + s * ldx;
      T* dxs = dx ? dx + s * ldx : nullptr;
      if (dxs) std::fill(dxs, dxs + ldx, T(0));
      for (std::size_t to = 0; to < OutSteps; ++to) {
        kernels::activation_backward<Act>(kept + s * kept_stride + to * Fp, y + s * out_stride + to * F,
                                          dy + s * out_stride + to * F, dz, F);
        for (std::size_t f = 0; f < F; ++f) g[weight_size + f] += dz[f];
        for (std::size_t k = 0; k < K; ++k) {
          const std::ptrdiff_t ti = std::ptrdiff_t(to * S + k * D) - std::ptrdiff_t(PL);
          if (ti < 0 || ti >= std::ptrdiff_t(Steps)) continue;
          const T* frame = xs + std::size_t(ti) * C;
          for (std::size_t c = 0; c < C; ++c) {
            const std::size_t f0 = c / group_channels * core::group_filters, f1 = f0 + core::group_filters;
            T sum = 0;
            for (std::size_t f = f0; f < f1; ++f) {
              g[w_at(k, c, f)] += frame[c] * dz[f];
              sum += p[w_at(k, c, f)] * dz[f];
            }
            if (dxs) dxs[std::size_t(ti) * C + c] += sum;
          }
        }
      }
    }
  }

  /// PyTorch order: weight [F][C / G][K], then bias [F].
  static void import_params(const T* logical, T* p) noexcept {
    std::fill(p, p + param_size, T(0));
    for_each_weight([&](std::size_t at, std::size_t stored) { p[stored] = logical[at]; });
    for (std::size_t f = 0; f < F; ++f) p[weight_size + f] = logical[F * group_channels * K + f];
  }
  static void export_params(const T* p, T* logical) noexcept {
    for_each_weight([&](std::size_t at, std::size_t stored) { logical[at] = p[stored]; });
    for (std::size_t f = 0; f < F; ++f) logical[F * group_channels * K + f] = p[weight_size + f];
  }
  /// In PyTorch's order, fan_in = C / G * K and fan_out = F / G * K (as Conv1d's).
  template <class Init>
  static void initialize(T* p, const Init& init, rng& gen) {
    std::fill(p, p + param_size, T(0));
    const std::size_t fan_in = group_channels * K, fan_out = core::group_filters * K;
    for_each_weight([&](std::size_t, std::size_t stored) { p[stored] = T(init.weight(fan_in, fan_out, gen)); });
    for (std::size_t f = 0; f < F; ++f) p[weight_size + f] = T(init.bias(fan_in, fan_out, gen));
  }

private:
  /// f(logical index, stored index) for every weight, in PyTorch's order.
  template <class Fn>
  static void for_each_weight(Fn&& fn) {
    for (std::size_t f = 0; f < F; ++f)
      for (std::size_t cg = 0; cg < group_channels; ++cg)
        for (std::size_t k = 0; k < K; ++k) {
          const std::size_t c = f / core::group_filters * group_channels + cg;
          fn((f * group_channels + cg) * K + k, w_at(k, c, f));
        }
  }

  static void run(const T* p, const T* x, T* z, T* y) noexcept {
    alignas(alignment) T row[Fp];
    for (std::size_t to = 0; to < OutSteps; ++to) {
      core::output_step(
          p,
          [&](std::size_t k) {
            const std::ptrdiff_t ti = std::ptrdiff_t(to * S + k * D) - std::ptrdiff_t(PL);
            return ti < 0 || ti >= std::ptrdiff_t(Steps) ? core::zero_frame.data() : x + std::size_t(ti) * C;
          },
          z ? z + to * Fp : nullptr, row);
      std::copy_n(row, F, y + to * F);
    }
    std::fill(y + out_size, y + out_stride, T(0));
  }
};

} // namespace CTNN_NAMESPACE::layers
