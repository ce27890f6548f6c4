// dense_stage: a dense layer with its bias and following activation fused, as the runtime runs
// it: single-sample forward, batched forward for training, backward, and parameter layout.
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/core/random.hpp>
#include <ctnn/kernels/dense.hpp>
#include <ctnn/layers/stage.hpp>

#include <algorithm>
#include <cstddef>

namespace CTNN_NAMESPACE {

/// A dense layer's parameters seen in PyTorch's terms, whatever the stored layout:
/// weight(o, i) is W[o][i] of the [out, in] matrix, bias(o) is b[o].
template <class T>
struct dense_view {
  T* params;
  std::size_t in, out, padded_out;
  std::size_t split; ///< first column of the second weight panel (padded_out if there is one panel)

  T& weight(std::size_t o, std::size_t i) const noexcept {
    return o < split ? params[i * split + o] : params[in * split + i * (padded_out - split) + (o - split)];
  }
  T& bias(std::size_t o) const noexcept { return params[in * padded_out + o]; }
};

namespace layers {

/// in [In] -> out [Out]: y = act(W x + b), W [Out, In].
/// Parameters: kernels::dense_layout (transposed, padded). Training keeps z = W x + b and y.
template <class T, std::size_t In, std::size_t Out, class Act>
struct dense_stage {
  using layout = kernels::dense_layout<T, In, Out>;
  using activation = Act;
  static constexpr std::size_t in_size = In;
  static constexpr std::size_t out_size = Out;
  static constexpr std::size_t out_stride = layout::padded_out; ///< row stride of outputs
  static constexpr std::size_t param_size = layout::size;       ///< stored, with padding
  static constexpr std::size_t param_count = layout::param_count;
  static constexpr std::size_t kept_stride = out_stride; ///< training keeps z = W x + b
  /// Output registers per sample. When two cores train one batch, a stage with at least two
  /// splits by output columns (each core always computes and updates the same columns, so its
  /// weights never move between cores); a narrower one, or one ending in softmax, by samples.
  static constexpr std::size_t registers = layout::registers;
  static constexpr bool splits_columns = Act::elementwise && registers >= 2;
  static constexpr kernels::register_range all_columns{0, registers};

  static dense_view<T> view(T* p) noexcept { return {p, In, Out, out_stride, layout::panel_begin(1)}; }

  /// Weights in PyTorch's order (W[o][i], o-major), then biases; fan_in = In, fan_out = Out.
  template <class Init>
  static void initialize(T* p, const Init& init, rng& gen) {
    const auto v = view(p);
    for (std::size_t o = 0; o < Out; ++o)
      for (std::size_t i = 0; i < In; ++i) v.weight(o, i) = static_cast<T>(init.weight(In, Out, gen));
    for (std::size_t o = 0; o < Out; ++o) v.bias(o) = static_cast<T>(init.bias(In, Out, gen));
  }

  // ---- the column split for two cores (layers/stage.hpp) ----

  /// Output registers `core` computes when two cores split this stage: those of its panel.
  static constexpr kernels::register_range owned_columns(unsigned core) noexcept {
    return {layout::panel_begin(core) / kernels::lanes<T>, layout::panel_begin(core + 1) / kernels::lanes<T>};
  }
  /// Calls f(begin, end) for the parameter ranges (within this slice) of the columns `core`
  /// owns: its weight panel and its part of the bias.
  template <class F>
  static void for_each_owned_range(unsigned core, F&& f) {
    static_assert(layout::panels == 2, "only stages with two weight panels split by columns");
    f(layout::panel_offset(core), layout::panel_offset(core + 1));
    f(layout::weight_size + layout::panel_begin(core), layout::weight_size + layout::panel_begin(core + 1));
  }

  /// One sample. y holds out_stride elements.
  static void forward(const T* p, const T* x, T* y) noexcept {
    kernels::dense_forward<Act, In, Out>(p, x, static_cast<T*>(nullptr), y);
  }
  /// n samples; z may be null (inference). With `cols`, only those output registers.
  static void forward_batch(const T* p, const T* x, std::size_t ldx, T* z, T* y, std::size_t n,
                            kernels::register_range cols = all_columns) noexcept {
    kernels::dense_forward_batch<Act, In, Out>(p, x, ldx, z, y, n, cols);
  }
  /// dy: gradient w.r.t. y (n x out_stride, overwritten with dz); g: this stage's gradient slice
  /// (added to, or overwritten); dx (n x ldx) receives the gradient w.r.t. x unless null.
  static void backward(const T* p, T* g, const T* x, std::size_t ldx, const T* z, const T* y, T* dy, T* dx,
                       std::size_t n, kernels::store_mode mode = kernels::store_mode::add) noexcept {
    backward_params(g, x, ldx, z, y, dy, n, all_columns, mode);
    if (dx) kernels::dense_backward_input<In, Out>(p, dy, dx, ldx, n);
  }
  /// backward in two parts, for two cores: the parameter gradients of the output registers in
  /// `cols` (dy becomes dz there), then, once dz is complete, the input gradient of n rows.
  /// With `own_dz` (n x out_stride, this core's), the weight gradient reads dz from a copy of
  /// these columns there: its many passes over dz then stay on lines the other core never
  /// touches (reading the shared rows in place made that kernel ~35% slower on two cores).
  static void backward_params(T* g, const T* x, std::size_t ldx, const T* z, const T* y, T* dy, std::size_t n,
                              kernels::register_range cols, kernels::store_mode mode, T* own_dz = nullptr) noexcept {
    kernels::dense_backward_activation<Act, Out>(z, y, dy, g + layout::weight_size, n, cols, mode);
    const T* dz = dy;
    if (own_dz) {
      constexpr std::size_t L = kernels::lanes<T>;
      for (std::size_t r = 0; r < n; ++r)
        std::copy(dy + r * out_stride + cols.begin * L, dy + r * out_stride + cols.end * L,
                  own_dz + r * out_stride + cols.begin * L);
      dz = own_dz;
    }
    kernels::dense_backward_params<In, Out>(x, ldx, dz, g, n, cols, mode);
  }
  static void backward_input(const T* p, const T*, std::size_t ldx, const T*, T* dz, T* dx, std::size_t n) noexcept {
    kernels::dense_backward_input<In, Out>(p, dz, dx, ldx, n);
  }

  /// PyTorch order: weight [Out][In] row-major, then bias [Out].
  static void import_params(const T* logical, T* p) noexcept {
    const auto v = view(p);
    for (std::size_t o = 0; o < Out; ++o)
      for (std::size_t i = 0; i < In; ++i) v.weight(o, i) = logical[o * In + i];
    for (std::size_t o = 0; o < Out; ++o) v.bias(o) = logical[In * Out + o];
  }
  static void export_params(const T* p, T* logical) noexcept {
    const auto v = view(const_cast<T*>(p));
    for (std::size_t o = 0; o < Out; ++o)
      for (std::size_t i = 0; i < In; ++i) logical[o * In + i] = v.weight(o, i);
    for (std::size_t o = 0; o < Out; ++o) logical[In * Out + o] = v.bias(o);
  }
};

} // namespace layers
} // namespace CTNN_NAMESPACE
