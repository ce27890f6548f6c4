// sequence_conv_stage: a convolution over time of a time-major sequence, for temporal
// convolutional networks (TCN, WaveNet) and RTNeural's Conv1D and Conv2D:
// - conv1d over sequence<Steps, C> (channels are the values of each step);
// - conv2d over sequence<Steps, Features, C> (each step a [Features, C] frame, channels last),
//   over time and features at once.
// A causal stride-1 layer (stride 1 in time) also steps in streams, keeping the last (K - 1) d + 1
// frames in a ring: a stream has no added latency and equals the whole-sequence forward exactly.
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

/// What the forward pass, backward pass and stream step of a sequence convolution share. The
/// window's geometry is the descriptor's over [C, Steps] (conv1d) or [C, Steps, Features]
/// (conv2d); here the time axis and the frame's feature axis are named apart (a conv1d's frame
/// has one feature).
template <class T, class Descriptor, class In, class Act>
struct sequence_conv_core {
  static constexpr auto geometry = Descriptor::geometry(In::dims);
  static constexpr bool two_d = !Descriptor::one_d;
  static constexpr std::size_t C = geometry.c;
  // time: steps, taps, stride, dilation, padding before and after, output steps
  static constexpr std::size_t Steps = two_d ? geometry.h : geometry.w, K = two_d ? geometry.kh : geometry.kw;
  static constexpr std::size_t S = two_d ? geometry.sh : geometry.sw, D = two_d ? geometry.dh : geometry.dw;
  static constexpr std::size_t PL = two_d ? geometry.pt : geometry.pl, PR = two_d ? geometry.pb : geometry.pr;
  static constexpr std::size_t OutSteps = two_d ? geometry.oh : geometry.ow;
  // a frame's features: in, taps, stride, dilation, padding before, out
  static constexpr std::size_t FI = two_d ? geometry.w : 1, KF = two_d ? geometry.kw : 1;
  static constexpr std::size_t SF = two_d ? geometry.sw : 1, DF = two_d ? geometry.dw : 1;
  static constexpr std::size_t PF = two_d ? geometry.pl : 0, FO = two_d ? geometry.ow : 1;
  static constexpr std::size_t F = Descriptor::filters, G = Descriptor::groups;
  static constexpr std::size_t group_channels = C / G, group_filters = F / G;
  static constexpr std::size_t L = kernels::lanes<T>, Fp = kernels::padded<T>(F);
  static constexpr std::size_t in_frame = FI * C, out_frame = FO * F; ///< values per step
  using V = kernels::simd<T>;
  /// Stored: W as K x KF taps of [C][Fp] (zero where a channel and a filter are in different
  /// groups), then the bias [Fp].
  static constexpr std::size_t weight_size = K * KF * C * Fp;
  static constexpr std::size_t param_size = weight_size + Fp;
  static constexpr std::size_t param_count = F * group_channels * K * KF + F;
  static constexpr std::size_t w_at(std::size_t k, std::size_t kf, std::size_t c, std::size_t f) noexcept {
    return ((k * KF + kf) * C + c) * Fp + f;
  }
  static constexpr std::array<T, in_frame> zero_frame{};
  /// The input feature that output feature fo reads through feature tap kf, or FI outside.
  static constexpr std::size_t feature_at(std::size_t fo, std::size_t kf) noexcept {
    const std::ptrdiff_t fi = std::ptrdiff_t(fo * SF + kf * DF) - std::ptrdiff_t(PF);
    return fi < 0 || fi >= std::ptrdiff_t(FI) ? FI : std::size_t(fi);
  }

  /// One output step: for each output feature, the bias, then each tap's frame (a zero frame
  /// outside the input) in order, feature taps inside time taps; z (FO rows of Fp, aligned)
  /// unless null, y: act(z), FO rows of Fp values with padding 0, aligned.
  template <class FrameOf>
  CTNN_ALWAYS_INLINE static void output_step(const T* p, FrameOf&& frame_of, T* z, T* y) noexcept {
    for (std::size_t fo = 0; fo < FO; ++fo) {
      V acc[Fp / L];
      for (std::size_t r = 0; r < Fp / L; ++r) acc[r] = V::load_aligned(p + weight_size + r * L);
      for (std::size_t k = 0; k < K; ++k) {
        const T* frame = frame_of(k);
        for (std::size_t kf = 0; kf < KF; ++kf)
          if (const std::size_t fi = feature_at(fo, kf); fi < FI)
            kernels::conv_tap<C, Fp>(p + w_at(k, kf, 0, 0), frame + fi * C, acc);
      }
      for (std::size_t r = 0; r < Fp / L; ++r) {
        if (z) acc[r].store_aligned(z + fo * Fp + r * L);
        Act::simd(acc[r]).store_aligned(y + fo * Fp + r * L);
      }
      std::fill(y + fo * Fp + F, y + (fo + 1) * Fp, T(0));
    }
  }
  /// FO rows of Fp (from output_step) as one step's FO x F values.
  static void compact(const T* rows, T* step) noexcept {
    for (std::size_t fo = 0; fo < FO; ++fo) std::copy_n(rows + fo * Fp, F, step + fo * F);
  }
};

/// Streams, for causal layers with stride 1 in time: a ring of the last R = (K - 1) d + 1 input
/// frames, then the ring's next position (a small whole number, exact in T). Zero at the start,
/// as the causal padding.
template <class T, class Core, bool Streams = Core::S == 1 && Core::PR == 0 && Core::PL == (Core::K - 1) * Core::D>
struct sequence_conv_steps {};
template <class T, class Core>
struct sequence_conv_steps<T, Core, true> {
  static constexpr std::size_t ring = (Core::K - 1) * Core::D + 1;
  static constexpr std::size_t state_size = kernels::padded<T>(ring * Core::in_frame + 1); ///< whole registers
  static constexpr std::size_t step_stride = Core::FO == 1 ? Core::Fp : kernels::padded<T>(Core::out_frame);

  static void step(const T* p, T* state, const T* x, T* y) noexcept {
    const std::size_t pos = static_cast<std::size_t>(state[ring * Core::in_frame]);
    std::copy_n(x, Core::in_frame, state + pos * Core::in_frame);
    const auto frame_of = [&](std::size_t k) {
      const std::size_t back = (Core::K - 1 - k) * Core::D; // tap k reads the frame `back` steps ago
      return state + (pos + ring - back) % ring * Core::in_frame;
    };
    if constexpr (Core::FO == 1) {
      Core::output_step(p, frame_of, static_cast<T*>(nullptr), y);
    } else {
      alignas(alignment) T rows[Core::FO * Core::Fp];
      Core::output_step(p, frame_of, static_cast<T*>(nullptr), rows);
      Core::compact(rows, y);
      std::fill(y + Core::out_frame, y + step_stride, T(0));
    }
    state[ring * Core::in_frame] = static_cast<T>((pos + 1) % ring);
  }
};

/// conv1d: in sequence<Steps, C> -> out sequence<Steps', F>: y_t = act(b + sum_k W_k x_{t S - pl +
/// k d}), PyTorch's Conv1d on x.transpose(1, 2) (weight [F, C / G, K]).
/// conv2d: in sequence<Steps, FI, C> -> out sequence<Steps', FO, F>, PyTorch's Conv2d on
/// x.permute(0, 3, 1, 2) (weight [F, C / G, KT, KF]), time as the height.
/// Zero outside the input. Training keeps z per output step and feature.
template <class T, class Descriptor, class In, class Out, class Act>
struct sequence_conv_stage : sequence_conv_core<T, Descriptor, In, Act>,
                             sequence_conv_steps<T, sequence_conv_core<T, Descriptor, In, Act>> {
  using core = sequence_conv_core<T, Descriptor, In, Act>;
  using core::C, core::F, core::Fp, core::K, core::KF, core::S, core::D, core::PL, core::Steps, core::OutSteps;
  using core::FO, core::in_frame, core::out_frame, core::w_at, core::weight_size, core::group_channels;
  static constexpr std::size_t in_size = Steps * in_frame;
  static constexpr std::size_t out_size = OutSteps * out_frame;
  static constexpr std::size_t out_stride = kernels::padded<T>(out_size);
  static constexpr std::size_t param_size = core::param_size;
  static constexpr std::size_t param_count = core::param_count;
  static constexpr std::size_t kept_stride = OutSteps * FO * Fp; ///< z, one padded row per output cell

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
      for (std::size_t to = 0; to < OutSteps; ++to)
        for (std::size_t fo = 0; fo < FO; ++fo) {
          const std::size_t cell = to * FO + fo;
          kernels::activation_backward<Act>(kept + s * kept_stride + cell * Fp, y + s * out_stride + cell * F,
                                            dy + s * out_stride + cell * F, dz, F);
          for (std::size_t f = 0; f < F; ++f) g[weight_size + f] += dz[f];
          for (std::size_t k = 0; k < K; ++k) {
            const std::ptrdiff_t ti = std::ptrdiff_t(to * S + k * D) - std::ptrdiff_t(PL);
            if (ti < 0 || ti >= std::ptrdiff_t(Steps)) continue;
            for (std::size_t kf = 0; kf < KF; ++kf) {
              const std::size_t fi = core::feature_at(fo, kf);
              if (fi == core::FI) continue;
              const std::size_t at = std::size_t(ti) * in_frame + fi * C;
              for (std::size_t c = 0; c < C; ++c) {
                const std::size_t f0 = c / group_channels * core::group_filters, f1 = f0 + core::group_filters;
                T sum = 0;
                for (std::size_t f = f0; f < f1; ++f) {
                  g[w_at(k, kf, c, f)] += xs[at + c] * dz[f];
                  sum += p[w_at(k, kf, c, f)] * dz[f];
                }
                if (dxs) dxs[at + c] += sum;
              }
            }
          }
        }
    }
  }

  /// PyTorch order: weight [F][C / G][K] (conv2d: [F][C / G][KT][KF]), then bias [F].
  static void import_params(const T* logical, T* p) noexcept {
    std::fill(p, p + param_size, T(0));
    for_each_weight([&](std::size_t at, std::size_t stored) { p[stored] = logical[at]; });
    for (std::size_t f = 0; f < F; ++f) p[weight_size + f] = logical[F * group_channels * K * KF + f];
  }
  static void export_params(const T* p, T* logical) noexcept {
    for_each_weight([&](std::size_t at, std::size_t stored) { logical[at] = p[stored]; });
    for (std::size_t f = 0; f < F; ++f) logical[F * group_channels * K * KF + f] = p[weight_size + f];
  }
  /// In PyTorch's order, fan_in = C / G * K * KF and fan_out = F / G * K * KF (as Conv1d's and
  /// Conv2d's).
  template <class Init>
  static void initialize(T* p, const Init& init, rng& gen) {
    std::fill(p, p + param_size, T(0));
    const std::size_t fan_in = group_channels * K * KF, fan_out = core::group_filters * K * KF;
    for_each_weight([&](std::size_t, std::size_t stored) { p[stored] = T(init.weight(fan_in, fan_out, gen)); });
    for (std::size_t f = 0; f < F; ++f) p[weight_size + f] = T(init.bias(fan_in, fan_out, gen));
  }

private:
  /// f(logical index, stored index) for every weight, in PyTorch's order.
  template <class Fn>
  static void for_each_weight(Fn&& fn) {
    for (std::size_t f = 0; f < F; ++f)
      for (std::size_t cg = 0; cg < group_channels; ++cg)
        for (std::size_t k = 0; k < K; ++k)
          for (std::size_t kf = 0; kf < KF; ++kf) {
            const std::size_t c = f / core::group_filters * group_channels + cg;
            fn(((f * group_channels + cg) * K + k) * KF + kf, w_at(k, kf, c, f));
          }
  }

  static void run(const T* p, const T* x, T* z, T* y) noexcept {
    alignas(alignment) T rows[FO * Fp];
    for (std::size_t to = 0; to < OutSteps; ++to) {
      core::output_step(
          p,
          [&](std::size_t k) {
            const std::ptrdiff_t ti = std::ptrdiff_t(to * S + k * D) - std::ptrdiff_t(PL);
            return ti < 0 || ti >= std::ptrdiff_t(Steps) ? core::zero_frame.data() : x + std::size_t(ti) * in_frame;
          },
          z ? z + to * FO * Fp : nullptr, rows);
      core::compact(rows, y + to * out_frame);
    }
    std::fill(y + out_size, y + out_stride, T(0));
  }
};

} // namespace CTNN_NAMESPACE::layers
