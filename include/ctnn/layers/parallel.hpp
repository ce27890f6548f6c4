// parallel_stage: a parallel block as the runtime runs it: each branch's own stages (lowered like
// a network of their own, over the block's input), the merge (layers/merge.hpp) and the
// activation fused after it. Everything the inner stages keep for backward, and the backward's
// scratch, lives in the block's kept buffer. Like residual_stage, the block declares every stage
// capability (layers/stage.hpp) that an inner stage has and carries it to that stage: buffers
// and their updates, trainable ranges, random masks, batch statistics and inference identity.
// Over a sequence whose branches all give sequences, and whose every inner stage steps, the block
// steps too (streams: each branch's states one after another, the merge applied to each step).
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/core/frame.hpp>
#include <ctnn/core/index.hpp>
#include <ctnn/core/random.hpp>
#include <ctnn/kernels/activation.hpp>
#include <ctnn/kernels/simd.hpp>
#include <ctnn/layers/composite.hpp>
#include <ctnn/layers/merge.hpp>
#include <ctnn/layers/stage.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <span>
#include <tuple>
#include <type_traits>

namespace CTNN_NAMESPACE::layers {

/// What net.layer<I>() returns for a parallel block: branch<B>() is the view of branch B's
/// layers, by their index inside the branch (net.layer<1>().branch<0>().layer<0>().weight(o, i)).
template <class T, class Stage>
struct parallel_view {
  T* params;
  template <std::size_t B>
  auto branch() const noexcept {
    static_assert(B < Stage::branch_count, "parallel.branch<B>(): B is past the block's last branch");
    return branch_view<B>{params + Stage::branch_offsets[B]};
  }
  template <std::size_t B>
  struct branch_view {
    T* params;
    template <std::size_t J>
    auto layer() const noexcept {
      using Inner = typename Stage::template branch_type<B>;
      static_assert(J + 1 < Inner::model::layer_count, "branch.layer<J>(): J is past the branch's last layer");
      constexpr std::size_t s = Inner::stage_of_layer(J + 1);
      static_assert(s != std::size_t(-1),
                    "branch.layer<J>(): the branch's layer J has no parameters (layers such as dense and conv2d have)");
      if constexpr (s == std::size_t(-1))
        return std::span<T>{};
      else
        return capability::view_of<typename Inner::template stage<s>>(params + Inner::offsets[s]);
    }
  };
};

/// How a parallel block over a sequence merges one time step: Kernel (a merge of layers/merge.hpp
/// over one step's values), StepIn input features per step.
template <class Kernel, std::size_t StepIn>
struct per_step {
  using kernel = Kernel;
  static constexpr std::size_t in = StepIn;
};

namespace detail {
/// The stream members of a parallel block (StepMerge: per_step<...>, or void: it does not step):
/// every branch's states one after another, y_t = act(merge(f_0,t(x_t), f_1,t(x_t), ...)).
template <class T, class StepMerge, class Act, class... Branches>
struct parallel_streams {};
template <class T, class Kernel, std::size_t StepIn, class Act, class... Branches>
struct parallel_streams<T, per_step<Kernel, StepIn>, Act, Branches...> {
  static constexpr std::size_t branch_count = sizeof...(Branches);
  template <std::size_t B>
  using branch_type = std::tuple_element_t<B, std::tuple<Branches...>>;
  template <std::size_t B, std::size_t S>
  using inner = typename branch_type<B>::template stage<S>;
  template <class F>
  static constexpr void each_stage(F&& f) {
    ctnn::detail::for_each_index<branch_count>(
        [&](auto b) { ctnn::detail::for_each_index<branch_type<b>::stage_count>([&](auto s) { f(b, s); }); });
  }
  static constexpr std::array<std::size_t, branch_count + 1> param_offsets = [] {
    std::array<std::size_t, branch_count + 1> o{};
    const std::size_t sizes[] = {Branches::param_size...};
    for (std::size_t b = 0; b < branch_count; ++b) o[b + 1] = kernels::round_up(o[b] + sizes[b], alignment / sizeof(T));
    return o;
  }();
  static constexpr std::array<std::size_t, branch_count + 1> first = [] {
    std::array<std::size_t, branch_count + 1> o{};
    const std::size_t counts[] = {Branches::stage_count...};
    for (std::size_t b = 0; b < branch_count; ++b) o[b + 1] = o[b] + counts[b];
    return o;
  }();
  /// Where each inner stage's state starts (stages numbered branch by branch).
  static constexpr std::array<std::size_t, first[branch_count] + 1> state_offsets = [] {
    std::array<std::size_t, first[branch_count] + 1> o{};
    each_stage([&](auto b, auto s) {
      const std::size_t g = first[b] + s;
      if constexpr (capability::steps<inner<b, s>>)
        o[g + 1] = o[g] + inner<b, s>::state_size;
      else
        o[g + 1] = o[g];
    });
    return o;
  }();
  static constexpr std::size_t state_size = state_offsets[first[branch_count]];
  static constexpr std::size_t step_stride = kernels::padded<T>(Kernel::size);
  static constexpr std::size_t widest = [] {
    std::size_t w = std::max(step_stride, kernels::padded<T>(StepIn));
    each_stage([&](auto b, auto s) {
      if constexpr (capability::steps<inner<b, s>>) w = std::max<std::size_t>(w, inner<b, s>::step_stride);
    });
    return w;
  }();

  static void step(const T* p, T* state, const T* x, T* y) noexcept {
    ctnn::detail::frame<T, widest> first_buf, second_buf;
    T* const buf[2] = {first_buf, second_buf};
    ctnn::detail::frame<T, step_stride> z;
    ctnn::detail::for_each_index<branch_count>([&](auto b) {
      const T* src = x;
      unsigned next = 0;
      ctnn::detail::for_each_index<branch_type<b>::stage_count>([&](auto s) {
        if constexpr (capability::steps<inner<b, s>>) {
          inner<b, s>::step(p + param_offsets[b] + branch_type<b>::offsets[s], state + state_offsets[first[b] + s], src,
                            buf[next]);
          src = buf[next];
          next ^= 1u;
        }
      });
      Kernel::put(b, src, z);
    });
    if constexpr (std::is_same_v<Act, kernels::identity_fn>)
      std::copy_n(z.data(), Kernel::size, y);
    else
      kernels::activation_forward<Act>(z.data(), y, Kernel::size);
    std::fill(y + Kernel::size, y + step_stride, T(0));
  }
};
/// Whether every inner stage of every branch steps or is nothing at inference.
template <class... Branches>
constexpr bool branches_step() noexcept {
  bool ok = true;
  (ctnn::detail::for_each_index<Branches::stage_count>([&](auto s) {
     using S = typename Branches::template stage<s>;
     ok = ok && (capability::steps<S> || capability::inference_identity<S>);
   }),
   ...);
  return ok;
}
} // namespace detail

/// in [InSize] -> out [OutSize]: y = act(merge(f_0(x), f_1(x), ...)), f_b = Branches[b]'s stages
/// (a lowered network whose input is the block's; no stages: f_b(x) = x). Parameters: each
/// branch's (in its layout, at an aligned offset), in branch order.
template <class T, class Merge, class Act, std::size_t InSize, std::size_t OutSize, class StepMerge, class... Branches>
struct parallel_stage
    : detail::parallel_streams<T, std::conditional_t<detail::branches_step<Branches...>(), StepMerge, void>, Act,
                               Branches...> {
  static constexpr std::size_t branch_count = sizeof...(Branches);
  template <std::size_t B>
  using branch_type = std::tuple_element_t<B, std::tuple<Branches...>>;
  template <std::size_t B, std::size_t S>
  using inner = typename branch_type<B>::template stage<S>;
  static constexpr std::size_t L = kernels::lanes<T>;
  static constexpr std::size_t in_size = InSize, out_size = OutSize;
  static constexpr std::size_t in_stride = kernels::padded<T>(InSize), out_stride = kernels::padded<T>(OutSize);

  // ---- layout: branch b's slice, its first stage among all branches', its output stride ----
  static constexpr std::array<std::size_t, branch_count + 1> branch_offsets = [] {
    std::array<std::size_t, branch_count + 1> o{};
    const std::size_t sizes[] = {Branches::param_size...};
    for (std::size_t b = 0; b < branch_count; ++b) o[b + 1] = kernels::round_up(o[b] + sizes[b], alignment / sizeof(T));
    return o;
  }();
  static constexpr std::size_t param_size = branch_offsets[branch_count];
  static constexpr std::array<std::size_t, branch_count + 1> first_stage = [] {
    std::array<std::size_t, branch_count + 1> o{};
    const std::size_t counts[] = {Branches::stage_count...};
    for (std::size_t b = 0; b < branch_count; ++b) o[b + 1] = o[b] + counts[b];
    return o;
  }();
  static constexpr std::size_t stages = first_stage[branch_count];
  static constexpr std::array<std::size_t, branch_count> branch_strides{
      (Branches::stage_count == 0 ? in_stride : Branches::output_stride)...};
  static constexpr std::size_t widest_branch = std::max({in_stride, (Branches::max_stride)...});
  static constexpr std::size_t grad_stride = std::max(widest_branch, in_stride);

  /// f(b, s) for every inner stage, branch by branch (b, s: integral constants).
  template <class F>
  static constexpr void each_stage(F&& f) {
    ctnn::detail::for_each_index<branch_count>(
        [&](auto b) { ctnn::detail::for_each_index<branch_type<b>::stage_count>([&](auto s) { f(b, s); }); });
  }
  template <std::size_t B, std::size_t S>
  static constexpr std::size_t offset_of = branch_offsets[B] + branch_type<B>::offsets[S];

  static constexpr std::size_t param_count = [] {
    std::size_t n = 0;
    each_stage([&](auto b, auto s) { n += inner<b, s>::param_count; });
    return n;
  }();
  static parallel_view<T, parallel_stage> view(T* p) noexcept { return {p}; }

  // ---- capabilities carried from the inner stages (layers/stage.hpp) ----
  static constexpr std::size_t buffer_count = [] {
    std::size_t n = 0;
    each_stage([&](auto b, auto s) { n += capability::buffer_count<inner<b, s>>; });
    return n;
  }();
  template <template <class> class Has>
  static constexpr bool any_stage() noexcept {
    bool any = false;
    each_stage([&](auto b, auto s) { any = any || Has<inner<b, s>>::value; });
    return any;
  }
  static constexpr bool batch_statistics = any_stage<detail::has_batch_statistics>();
  static constexpr bool stochastic = any_stage<detail::is_stochastic>();
  /// The inner stages' stream ids, numbered as they would be outside the block, branch by branch.
  static constexpr std::array<std::size_t, stages + 1> noise_ids = [] {
    std::array<std::size_t, stages + 1> o{};
    each_stage([&](auto b, auto s) {
      const std::size_t g = first_stage[b] + s;
      o[g + 1] = o[g] + capability::noise_streams<inner<b, s>>;
    });
    return o;
  }();
  static constexpr std::size_t noise_streams = std::max<std::size_t>(noise_ids[stages], 1);

  template <class F>
  static constexpr void for_each_trainable_range(F&& f) {
    each_stage([&](auto b, auto s) {
      constexpr std::size_t at = offset_of<b, s>;
      capability::for_each_trainable_range<inner<b, s>>([&](std::size_t x, std::size_t e) { f(at + x, at + e); });
    });
  }
  static void update_buffers(T* p, const T* kept, std::size_t n) noexcept requires(batch_statistics) {
    const auto at = detail::carve(const_cast<T*>(kept), n, widths);
    each_stage([&](auto b, auto s) {
      if constexpr (capability::updates_buffers<inner<b, s>, T>)
        inner<b, s>::update_buffers(p + offset_of<b, s>, at[2 * (first_stage[b] + s)], n);
    });
  }

  // ---- the kept buffer: each inner stage's kept and output, z, dz, a branch's output gradient,
  // two inner gradient buffers and a branch's input gradient; n rows of each ----
  static constexpr std::size_t regions = 2 * stages + 6;
  static constexpr std::size_t Z = 2 * stages, DZ = Z + 1, GB = Z + 2, G0 = Z + 3, G1 = Z + 4, DX = Z + 5;
  static constexpr std::array<std::size_t, regions> widths = [] {
    std::array<std::size_t, regions> w{};
    each_stage([&](auto b, auto s) {
      const std::size_t g = first_stage[b] + s;
      w[2 * g] = kernels::round_up(inner<b, s>::kept_stride, L);
      w[2 * g + 1] = inner<b, s>::out_stride;
    });
    w[Z] = w[DZ] = out_stride;
    w[GB] = *std::max_element(branch_strides.begin(), branch_strides.end());
    w[G0] = w[G1] = grad_stride;
    w[DX] = in_stride;
    return w;
  }();
  static constexpr std::size_t kept_stride = [] {
    std::size_t k = 0;
    for (std::size_t w : widths) k += w;
    return k;
  }();

  /// Stage protocol: forward's two buffers and merged output, and the largest inner stage's frames.
  static constexpr std::size_t frame_bytes = (2 * widest_branch + out_stride) * sizeof(T) + [] {
    std::size_t m = 0;
    ctnn::detail::for_each_index<branch_count>([&](auto b) {
      ctnn::detail::for_each_index<branch_type<b>::stage_count>(
          [&](auto s) { m = std::max(m, capability::frame_bytes<inner<b, s>>); });
    });
    return m;
  }();
  static void forward(const T* p, const T* x, T* y) noexcept {
    ctnn::detail::frame<T, widest_branch> first, second;
    T* const buf[2] = {first, second};
    ctnn::detail::frame<T, out_stride> z;
    ctnn::detail::for_each_index<branch_count>([&](auto b) {
      const T* src = x;
      unsigned next = 0;
      ctnn::detail::for_each_index<branch_type<b>::stage_count>([&](auto s) {
        if constexpr (!capability::inference_identity<inner<b, s>>) { // dropout: nothing at inference
          inner<b, s>::forward(p + offset_of<b, s>, src, buf[next]);
          src = buf[next];
          next ^= 1u;
        }
      });
      Merge::put(b, src, z);
    });
    detail::activate<Act>(z.data(), y, out_size, out_stride);
  }

  static void forward_batch(const T* p, const T* x, std::size_t ldx, T* kept, T* y, std::size_t n) noexcept {
    if (!kept) { // inference: one sample at a time on frame buffers (core/frame.hpp)
      for (std::size_t r = 0; r < n; ++r) forward(p, x + r * ldx, y + r * out_stride);
      return;
    }
    train_forward(p, x, ldx, kept, y, n, noise{0, 0, 0});
  }
  /// Training with random masks: each inner stochastic stage draws from its own stream id.
  static void forward_batch(const T* p, const T* x, std::size_t ldx, T* kept, T* y, std::size_t n,
                            const noise& nz) noexcept requires(stochastic) {
    train_forward(p, x, ldx, kept, y, n, nz);
  }

  static void backward(const T* p, T* g, const T* x, std::size_t ldx, T* kept, const T* y, T* dy, T* dx, std::size_t n,
                       kernels::store_mode mode = kernels::store_mode::add) noexcept {
    const auto at = detail::carve(kept, n, widths);
    const T* z = at[Z];
    T* dz = at[DZ];
    detail::join_gradient<Act>(z, y, dy, dz, n, out_size, out_stride); // each branch's gradient is read from it
    ctnn::detail::for_each_index<branch_count>([&](auto b) {
      using B = branch_type<b>;
      const std::size_t ldg = row_of<b>(ldx); // the rows of dy that branch b's last stage reads
      T* gb = at[GB];
      for (std::size_t r = 0; r < n; ++r) {
        std::array<const T*, branch_count> outs{};
        ctnn::detail::for_each_index<branch_count>(
            [&](auto c) { outs[c] = output_of<c>(at, x, ldx) + r * row_of<c>(ldx); });
        Merge::gradient(b, dz + r * out_stride, outs.data(), gb + r * ldg);
        std::fill(gb + r * ldg + branch_out_size<b>(), gb + (r + 1) * ldg, T(0));
      }
      // the first branch writes the block's dx, the others add theirs into it
      T* in_grad = b == 0 ? dx : (dx ? at[DX] : nullptr);
      if constexpr (B::stage_count == 0) {
        if (in_grad)
          for (std::size_t r = 0; r < n; ++r) {
            std::copy_n(gb + r * ldg, in_size, in_grad + r * ldx);
            std::fill(in_grad + r * ldx + in_size, in_grad + (r + 1) * ldx, T(0));
          }
      } else {
        T* grads[2] = {at[G0], at[G1]};
        T* out_grad = gb;
        ctnn::detail::for_each_index_reversed<B::stage_count>([&](auto s) {
          constexpr std::size_t g0 = first_stage[b];
          const T* in = s == 0 ? x : at[2 * (g0 + (s == 0 ? 0 : s - 1)) + 1];
          const std::size_t ld = s == 0 ? ldx : B::strides[s == 0 ? 0 : s - 1];
          T* ig = s == 0 ? in_grad : grads[s % 2];
          inner<b, s>::backward(p + offset_of<b, s>, g + offset_of<b, s>, in, ld,
                                inner<b, s>::kept_stride ? at[2 * (g0 + s)] : nullptr, at[2 * (g0 + s) + 1], out_grad,
                                ig, n, mode);
          out_grad = ig;
        });
      }
      if (b != 0 && dx)
        for (std::size_t r = 0; r < n; ++r)
          for (std::size_t k = 0; k < in_size; ++k) dx[r * ldx + k] += in_grad[r * ldx + k];
    });
  }

  /// Each branch's values in PyTorch's order (each stage's parameters, then its buffers), branch
  /// after branch: the order of a module that registers its branches in order.
  static void import_params(const T* logical, T* p) noexcept {
    each_stage([&](auto b, auto s) {
      using S = inner<b, s>;
      S::import_params(logical, p + offset_of<b, s>);
      logical += S::param_count + capability::buffer_count<S>;
    });
  }
  static void export_params(const T* p, T* logical) noexcept {
    each_stage([&](auto b, auto s) {
      using S = inner<b, s>;
      S::export_params(p + offset_of<b, s>, logical);
      logical += S::param_count + capability::buffer_count<S>;
    });
  }
  template <class Init>
  static void initialize(T* p, const Init& init, rng& gen) {
    each_stage([&](auto b, auto s) { inner<b, s>::initialize(p + offset_of<b, s>, init, gen); });
  }

private:
  template <std::size_t B>
  static constexpr std::size_t branch_out_size() noexcept {
    return branch_type<B>::model::output_shape::size;
  }
  /// Branch B's output rows in the training forward's kept buffer (the input for branch<>).
  template <std::size_t B>
  static const T* output_of(const std::array<T*, regions>& at, const T* x, std::size_t) noexcept {
    if constexpr (branch_type<B>::stage_count == 0)
      return x;
    else
      return at[2 * (first_stage[B] + branch_type<B>::stage_count - 1) + 1];
  }
  template <std::size_t B>
  static std::size_t row_of(std::size_t ldx) noexcept {
    return branch_type<B>::stage_count == 0 ? ldx : branch_strides[B];
  }
  static void train_forward(const T* p, const T* x, std::size_t ldx, T* kept, T* y, std::size_t n,
                            const noise& nz) noexcept {
    const auto at = detail::carve(kept, n, widths);
    each_stage([&](auto b, auto s) {
      constexpr std::size_t g = first_stage[b] + s;
      const T* src = s == 0 ? x : at[2 * (g == 0 ? 0 : g - 1) + 1];
      const std::size_t ld = s == 0 ? ldx : branch_type<b>::strides[s == 0 ? 0 : s - 1];
      T* k = inner<b, s>::kept_stride ? at[2 * g] : nullptr;
      if constexpr (capability::stochastic<inner<b, s>>)
        inner<b, s>::forward_batch(p + offset_of<b, s>, src, ld, k, at[2 * g + 1], n,
                                   noise{nz.seed, nz.stage + noise_ids[g], nz.row0});
      else
        inner<b, s>::forward_batch(p + offset_of<b, s>, src, ld, k, at[2 * g + 1], n);
    });
    T* z = at[Z];
    for (std::size_t r = 0; r < n; ++r) {
      ctnn::detail::for_each_index<branch_count>(
          [&](auto b) { Merge::put(b, output_of<b>(at, x, ldx) + r * row_of<b>(ldx), z + r * out_stride); });
      std::fill(z + r * out_stride + out_size, z + (r + 1) * out_stride, T(0));
      detail::activate<Act>(z + r * out_stride, y + r * out_stride, out_size, out_stride);
    }
  }
};

} // namespace CTNN_NAMESPACE::layers
