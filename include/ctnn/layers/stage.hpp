// The stage protocol of the back end: what a lowered layer provides so that the runtime (net<>),
// the trainer and the weight files can drive it without knowing its kind. ctnn's stages
// (dense, activation, conv, pool, residual, ...) and users' own follow it alike.
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/core/random.hpp>
#include <ctnn/kernels/simd.hpp>

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>

namespace CTNN_NAMESPACE {

namespace detail {
/// An initializer with the interface of ctnn::init's, for checking stages against the concept.
struct probe_init {
  double weight(std::size_t, std::size_t, rng&) const noexcept { return 0; }
  double bias(std::size_t, std::size_t, rng&) const noexcept { return 0; }
};
} // namespace detail

/// Stage<S, T>: a back-end stage for scalar type T. Static members only: a stage holds no data;
/// its parameters are the slice `p` (param_size elements, aligned to CTNN_ALIGNMENT) of the
/// network's flat array, and its gradients the same slice `g` of the gradient array.
///
///   in_size, out_size       elements of one input and one output sample
///   out_stride              row stride of outputs (out_size padded; padding is written as 0)
///   param_size, param_count stored parameters (with padding) and logical ones (PyTorch's count)
///   kept_stride             elements per sample that forward_batch keeps for backward (0: none)
///   forward(p, x, y)        one sample; x: in_size elements (any alignment), y: out_stride
///                           elements, aligned; noexcept, no allocation
///   forward_batch(p, x, ldx, kept, y, n)
///                           n samples, rows of x with stride ldx, y with stride out_stride;
///                           kept (n x kept_stride) is null in inference
///   backward(p, g, x, ldx, kept, y, dy, dx, n, mode)
///                           after forward_batch: dy (n x out_stride) is dL/dy and may be
///                           overwritten; adds (store_mode::add) or writes (overwrite) dL/dp
///                           into g; writes dL/dx into dx (n x ldx, padding 0) unless dx is null.
///                           kept is the stage's own from forward_batch to backward: backward may
///                           also use it as scratch
///   import_params(logical, p), export_params(p, logical)
///                           parameters in PyTorch's order and layout (param_count values)
///   initialize(p, init, gen) draws every parameter from init.weight(fan_in, fan_out, gen) and
///                           init.bias(...) in PyTorch's order; padding stays 0
///
/// Optional, for the memory of one sample's forward:
///   frame_bytes             the bytes of the frames (core/frame.hpp) forward(p, x, y) holds while
///                           it runs, nested stages' included (default 0); net::peak_activation_bytes
///                           adds them to the network's own two buffers
/// Optional, for layers that act in training only (dropout):
///   inference_identity = true   the stage is the identity at inference: net(x), predict and
///                               streams skip it (it must keep in_size == out_size)
///   stochastic = true           its training forward is forward_batch(p, x, ldx, kept, y, n, noise)
///                               (see ctnn::noise); forward_batch without noise is its inference
///   noise_streams               the stream ids its masks draw from (default 1; a block: the
///                               sum of its inner stages'), numbered in order by the runtime
/// Optional, for layers with buffers (values training updates without gradients, e.g.
/// batch_norm's running statistics; PyTorch's buffers):
///   buffer_count            logical buffer values; import_params / export_params then read and
///                           write param_count + buffer_count values (state_dict order: the
///                           parameters, then the buffers), and weight files keep them
///   trainable_size          the stored elements at the start of the slice that optimizers,
///                           penalties and clipping update; the buffers lie after them
///   batch_statistics = true its training forward (kept not null) uses statistics of the n rows
///                           it is given, so it sees the whole batch (on two cores one core runs
///                           it); forward and forward_batch without kept use its buffers
///   update_buffers(p, kept, n)
///                           after a training step, folds what forward_batch kept into the
///                           buffers in p (the trainer calls it through net::update_buffers)
///   for_each_trainable_range(f)
///                           instead of trainable_size, when the trainable parameters are not
///                           one prefix of the slice (a block holding batch_norm): f(begin, end)
///                           for each range, in order
/// Optional: view(p) (what net.layer<I>() returns), and a column split for two cores
/// (splits_columns = true with owned_columns, for_each_owned_range, backward_params and
/// backward_input, see layers/dense.hpp). A stage without it is split by rows (samples), which
/// is always correct.
///
/// Optional, for streams (net.step: a sequence network one time step per call):
///   state_size, step_stride  a stream's state values (whole registers: kernels::padded, so that
///                           the next stage's state stays aligned), and the width (padded) of one
///                           step's output
///   step(p, state, x, y)    one time step of one stream; noexcept
///   step_streams(p, states, ld_state, x, ldx, y, ldy, n)
///                           optional: one time step of n streams (state s at states + s *
///                           ld_state, its input row at x + s * ldx, its output row at y + s * ldy),
///                           for a stage that does better than stepping them one by one (the
///                           default, capability::step_streams); noexcept
///   ends_sequence = true    the stage turns a sequence into its current step (`last`): in a
///                           stream it passes the step through, and the stages after it run
///                           their forward on the step's vector
/// Every stage before the one that ends the sequence must step; see layers/recurrent.hpp.
///
/// Composite blocks (layers/residual.hpp) run inner stages of this protocol and declare every
/// optional member any of them has, so each capability below passes through blocks and nested
/// blocks; namespace capability holds what the runtime asks and the defaults.
/// The randomness of one training forward of a stochastic stage: a counter-based stream, so
/// that element k of sample row r gets the same draw whichever core computes it.
struct noise {
  std::uint64_t seed; ///< the workspace's noise seed (set by the trainer for each step)
  std::size_t stage;  ///< the stage's stream id (capability::noise_streams; stages draw independently)
  std::size_t row0;   ///< the index in the batch of the first row given
  /// The key of the batch's row r (given rows start at row0), once per row ...
  std::uint64_t row_key(std::size_t r) const noexcept {
    return mix(mix(seed ^ (std::uint64_t(stage) << 48)) ^ std::uint64_t(row0 + r));
  }
  /// ... and a uniform 64-bit value for its element k (splitmix64 of seed, stage, row, element).
  static std::uint64_t bits(std::uint64_t row_key, std::size_t k) noexcept { return mix(row_key ^ std::uint64_t(k)); }

private:
  static std::uint64_t mix(std::uint64_t z) noexcept { return splitmix64(z); }
};

template <class S, class T>
concept Stage = requires(const T* cp, T* p, std::size_t n, kernels::store_mode mode, const detail::probe_init& init,
                         rng& gen) {
  { S::in_size } -> std::convertible_to<std::size_t>;
  { S::out_size } -> std::convertible_to<std::size_t>;
  { S::out_stride } -> std::convertible_to<std::size_t>;
  { S::param_size } -> std::convertible_to<std::size_t>;
  { S::param_count } -> std::convertible_to<std::size_t>;
  { S::kept_stride } -> std::convertible_to<std::size_t>;
  S::forward(cp, cp, p);
  S::forward_batch(cp, cp, n, p, p, n);
  S::backward(cp, p, cp, n, p, cp, p, p, n, mode);
  S::import_params(cp, p);
  S::export_params(cp, p);
  S::initialize(p, init, gen);
};

/// Stage capabilities: what the runtime, the trainer and composite blocks ask of a stage, each
/// with its default in this one place (a stage declares a capability by the members named in the
/// protocol above; a composite block declares each one its inner stages have, so that every
/// capability passes through any nesting of blocks).
namespace capability {
/// Logical buffer values (0 unless the stage declares buffer_count).
template <class S>
inline constexpr std::size_t buffer_count = [] {
  if constexpr (requires { S::buffer_count; })
    return std::size_t(S::buffer_count);
  else
    return std::size_t(0);
}();
/// The stored elements at the start of the slice that optimizers update (the whole slice
/// unless the stage declares trainable_size).
template <class S>
inline constexpr std::size_t trainable_size = [] {
  if constexpr (requires { S::trainable_size; })
    return std::size_t(S::trainable_size);
  else
    return std::size_t(S::param_size);
}();
/// Calls f(begin, end) for each range of the stage's slice that optimizers, penalties and
/// clipping update, in increasing order: S::for_each_trainable_range(f) if the stage declares it
/// (a block whose inner stages hold buffers), else [0, trainable_size) if it is not empty.
template <class S, class F>
constexpr void for_each_trainable_range(F&& f) {
  if constexpr (requires { S::for_each_trainable_range(f); })
    S::for_each_trainable_range(f);
  else if constexpr (trainable_size<S> > 0)
    f(std::size_t(0), trainable_size<S>);
}
/// Its training forward uses statistics of every row it is given (batch_norm): on two cores one
/// core runs it over the whole batch.
template <class S>
inline constexpr bool batch_statistics = [] {
  if constexpr (requires { S::batch_statistics; })
    return bool(S::batch_statistics);
  else
    return false;
}();
/// It folds what its training forward kept into its buffers after a step: update_buffers(p, kept, n).
template <class S, class T>
inline constexpr bool updates_buffers = requires(T* p, const T* kept, std::size_t n) {
  S::update_buffers(p, kept, n);
};
/// Its training forward takes random masks: forward_batch(p, x, ldx, kept, y, n, noise).
template <class S>
inline constexpr bool stochastic = [] {
  if constexpr (requires { S::stochastic; })
    return bool(S::stochastic);
  else
    return false;
}();
/// The stream ids (noise::stage) its masks use: 1 for a stage, the sum of its inner stages' for
/// a block (S::noise_streams). The runtime numbers them in order, so that a block's inner stages
/// draw the masks the same stages would draw outside it.
template <class S>
inline constexpr std::size_t noise_streams = [] {
  if constexpr (requires { S::noise_streams; })
    return std::size_t(S::noise_streams);
  else
    return std::size_t(1);
}();
/// The bytes of the frames its single-sample forward holds (0 unless the stage declares them).
template <class S>
inline constexpr std::size_t frame_bytes = [] {
  if constexpr (requires { S::frame_bytes; })
    return std::size_t(S::frame_bytes);
  else
    return std::size_t(0);
}();
/// It is the identity at inference (dropout): the inference paths skip it.
template <class S>
inline constexpr bool inference_identity = [] {
  if constexpr (requires { S::inference_identity; })
    return bool(S::inference_identity);
  else
    return false;
}();
/// It runs one time step of a stream (state_size, step_stride, step, step_streams).
template <class S>
inline constexpr bool steps = requires {
  S::state_size;
};
/// One time step of n streams: S::step_streams if the stage declares it (recurrent layers run the
/// streams through a batched kernel), else S::step stream after stream.
template <class S, class T>
void step_streams(const T* p, T* states, std::size_t ld_state, const T* x, std::size_t ldx, T* y, std::size_t ldy,
                  std::size_t n) noexcept {
  if constexpr (requires { S::step_streams(p, states, ld_state, x, ldx, y, ldy, n); })
    S::step_streams(p, states, ld_state, x, ldx, y, ldy, n);
  else
    for (std::size_t s = 0; s < n; ++s) S::step(p, states + s * ld_state, x + s * ldx, y + s * ldy);
}
/// It turns a sequence into its current step (`last`).
template <class S>
inline constexpr bool ends_sequence = [] {
  if constexpr (requires { S::ends_sequence; })
    return bool(S::ends_sequence);
  else
    return false;
}();
/// Two cores split it by output columns (else by rows, which is always correct).
template <class S>
inline constexpr bool splits_columns = [] {
  if constexpr (requires { S::splits_columns; })
    return bool(S::splits_columns);
  else
    return false;
}();
/// What net.layer<I>() returns for the stage's slice p: S::view(p) (dense_view, batch_norm_view,
/// a block's view of its inner layers, ...), else the slice as stored (std::span of param_size).
template <class S, class T>
auto view_of(T* p) noexcept {
  if constexpr (requires { S::view(p); })
    return S::view(p);
  else
    return std::span<T>(p, S::param_size);
}
} // namespace capability

namespace layers::detail {
/// Parameterless stages (pool, last, ...): what they share of the protocol.
template <class T>
struct no_parameters {
  static constexpr std::size_t param_size = 0, param_count = 0, kept_stride = 0;
  static void import_params(const T*, T*) noexcept {}
  static void export_params(const T*, T*) noexcept {}
  template <class Init>
  static void initialize(T*, const Init&, rng&) noexcept {}
};

/// forward_batch for stages whose batch is one sample after another (Derived::forward).
template <class Derived, class T>
struct batch_by_samples {
  static void forward_batch(const T* p, const T* x, std::size_t ldx, T*, T* y, std::size_t n) noexcept {
    for (std::size_t s = 0; s < n; ++s) Derived::forward(p, x + s * ldx, y + s * Derived::out_stride);
  }
};
} // namespace layers::detail

} // namespace CTNN_NAMESPACE
