// net<Model, T>: a network object. Parameters live in one aligned array; each stage runs on its
// slice. Inference uses stack buffers sized at compile time; training uses a workspace
// allocated once. Nothing here allocates, throws or dispatches virtually on the hot path.
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/core/aligned_buffer.hpp>
#include <ctnn/core/random.hpp>
#include <ctnn/core/tensor.hpp>
#include <ctnn/dsl/type_list.hpp>
#include <ctnn/runtime/lower.hpp>

#include <algorithm>
#include <array>
#include <cassert>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace CTNN_NAMESPACE {

namespace detail {
/// What net.layer<I>() returns for a layer it rejects: after its one diagnostic, the usual calls
/// on it (weight, bias) compile, so that no second error follows.
template <class T>
struct no_view {
  T& weight(auto...) const noexcept { return sink(); }
  T& bias(auto...) const noexcept { return sink(); }
  static T& sink() noexcept {
    static T t{};
    return t;
  }
};
} // namespace detail

/// Buffers for batched forward/backward of up to `capacity()` samples. Allocated once by
/// net::make_workspace; reused by every step, so training steps never allocate.
template <class T>
class workspace {
public:
  workspace() = default;
  std::size_t capacity() const noexcept { return capacity_; }
  /// Input rows (capacity x input size), for callers that gather a batch here.
  T* input() noexcept { return buffer_.data() + input_; }
  /// Gradient of the loss w.r.t. the network output (capacity x output stride): losses write it.
  T* output_gradient() noexcept { return buffer_.data() + grad_[0]; }
  /// The seed of the next training forward's random masks (dropout): the trainer sets it before
  /// each step from its seed and step count; the same seed gives the same masks on one core or two.
  void set_noise_seed(std::uint64_t seed) noexcept { noise_ = seed; }
  std::uint64_t noise_seed() const noexcept { return noise_; }

private:
  template <class, class>
  friend class net;
  aligned_buffer<T> buffer_;
  std::size_t capacity_ = 0, input_ = 0;
  std::vector<std::size_t> z_, y_;
  std::array<std::size_t, 2> grad_{};
  std::array<std::size_t, 2> own_dz_{}; ///< per-core scratch of a split step (net::backward_shared)
  std::uint64_t noise_ = 0;
  bool inference_only_ = false; ///< from make_inference_workspace: no room for training
  aligned_buffer<T> discarded_; ///< parameter gradients net::backward_input computes and drops

public:
  /// Whether it came from make_inference_workspace (forward_batch and predict only).
  bool inference_only() const noexcept { return inference_only_; }
  /// Bytes its buffers hold.
  std::size_t bytes() const noexcept { return (buffer_.size() + discarded_.size()) * sizeof(T); }
};

/// A network of topology Model (a ctnn::network<...>) with parameters of type T.
///
/// `net(x)` runs one sample through fused kernels on stack buffers: noexcept, no allocation.
/// Copies are deep. Build one with make<Model>(init, seed).
template <class Model, class T = float>
class net {
  // Instantiate the model (and its one diagnostic, if any) before anything reads its members:
  // Clang treats constants whose evaluation first triggered the failed check as non-constant.
  using checked_model = typename Model::checked;
  using lowered = detail::lowered<Model, T>;
  using checked_stages = typename lowered::checked; // the one diagnostic of a stage off the protocol
  template <std::size_t S>
  using stage = typename lowered::template stage<S>;

public:
  using model = Model;
  using value_type = T;
  using input_shape = typename Model::input_shape;
  using output_shape = typename Model::output_shape;
  using input_type = tensor<T, input_shape>;
  using output_type = tensor<T, output_shape>;

  static constexpr std::size_t input_size = input_shape::size;
  static constexpr std::size_t output_size = output_shape::size;
  static constexpr std::size_t stage_count = lowered::stage_count;
  /// Trainable parameters as PyTorch counts them.
  static constexpr std::size_t param_count = Model::param_count;
  static_assert(
      !Model::valid || !lowered::stages_ok ||
          param_count ==
              [] {
                std::size_t n = 0;
                detail::for_each_index<lowered::stage_count>([&](auto s) { n += stage<s>::param_count; });
                return n;
              }(),
      "ctnn: a layer's descriptor counts other parameters (param_count) than its stage holds");
  /// Values export_parameters returns and weight files hold: the param_count parameters and the
  /// buffers (batch_norm's running statistics), each layer's parameters then its buffers.
  static constexpr std::size_t value_count = param_count + Model::buffer_count;
  static_assert(
      !Model::valid || !lowered::stages_ok ||
          Model::buffer_count ==
              [] {
                std::size_t n = 0;
                detail::for_each_index<lowered::stage_count>([&](auto s) { n += capability::buffer_count<stage<s>>; });
                return n;
              }(),
      "ctnn: a layer's descriptor counts other buffers (buffer_count) than its stage holds");
  /// Stored parameter array length (with padding to whole registers).
  static constexpr std::size_t param_size = lowered::param_size;
  /// Row stride of batched outputs (output_size padded to whole registers).
  static constexpr std::size_t output_stride = lowered::output_stride;

  /// All parameters zero. Use make<Model>(init, seed) for an initialized network.
  net() : params_(param_size) {}
  /// With the parameters `logical` in PyTorch's order and layout (state_dict order, as
  /// export_parameters returns them: value_count values): ctnn::net<model> n(values). Throws
  /// std::invalid_argument if the count differs.
  explicit net(std::span<const T> logical) : net() { import_parameters(logical); }

  /// One sample. noexcept, allocation-free; activations live in two stack buffers.
  output_type operator()(const input_type& x) const noexcept {
    output_type y;
    (*this)(x.data(), y.data());
    return y;
  }
  /// One sample from a caller's buffer of input_size values (an array, a vector, a frame of
  /// audio), into a new tensor. Viewing such a buffer as a tensor would be undefined behaviour.
  output_type operator()(std::span<const T, input_size> x) const noexcept {
    output_type y;
    (*this)(x.data(), y.data());
    return y;
  }
  /// One sample from a buffer whose size is known only at run time (a std::vector, a span of
  /// dynamic extent). Throws std::invalid_argument if it does not hold input_size values.
  template <class Values>
  requires(std::convertible_to<const Values&, std::span<const T>> &&
           !std::convertible_to<const Values&, std::span<const T, input_size>> &&
           !std::same_as<std::remove_cvref_t<Values>, input_type>) output_type
  operator()(const Values& values) const {
    const std::span<const T> x(values);
    if (x.size() != input_size)
      throw std::invalid_argument("ctnn::net: an input of " + std::to_string(x.size()) + " values; the network takes " +
                                  std::to_string(input_size) + " (" + to_string(input_shape::dims) + ")");
    output_type y;
    (*this)(x.data(), y.data());
    return y;
  }
  /// One sample: x points to input_size values, y to room for output_size. They may overlap only
  /// if they are the same buffer.
  void operator()(const T* x, T* y) const noexcept {
    if constexpr (stage_count == 0) {
      if (x != y) std::copy_n(x, output_size, y);
    } else {
      alignas(alignment) T buf[2][lowered::max_stride];
      const T* src = x;
      unsigned next = 0;
      detail::for_each_index<stage_count>([&](auto s) {
        if constexpr (!identity_at_inference<s>) {
          T* dst = buf[next];
          next ^= 1u;
          stage<s>::forward(params_.data() + lowered::offsets[s], src, dst);
          src = dst;
        }
      });
      std::copy_n(src, output_size, y);
    }
  }

  // ---- streams: sequence networks one time step at a time ----
  //
  // A network on sequence<Steps, F> inputs also runs one step per call (the protocol's stream
  // members, layers/stage.hpp): the stages that step carry their state in a stream_state, the
  // stage that ends the sequence passes the current step through, and the stages after it run
  // their forward on that step's vector as in net(x). The same parameters serve any number of
  // streams, each with its own state.

public:
  /// Stages the inference paths skip (layers/stage.hpp: inference_identity, e.g. dropout), and
  /// stages whose training forward takes random masks (stochastic).
  template <std::size_t S>
  static constexpr bool identity_at_inference = capability::inference_identity<stage<S>>;
  template <std::size_t S>
  static constexpr bool stochastic = capability::stochastic<stage<S>>;

private:
  /// diag::no_error for a sequence network, else what step(...) reports.
  using no_time_steps =
      std::conditional_t<input_shape::dims.sequence || !Model::valid, diag::no_error,
                         diag::network_has_no_time_steps<diag::network_input<input_shape>,
                                                         diag::fix_declare_the_input_as_sequence_steps_features>>;
  template <std::size_t S>
  static constexpr bool steps = capability::steps<stage<S>>;
  template <std::size_t S>
  static constexpr bool ends_sequence = capability::ends_sequence<stage<S>>;
  /// The first stream id of each stage's masks (capability::noise_streams, numbered in order).
  static constexpr std::array<std::size_t, stage_count + 1> noise_ids = [] {
    std::array<std::size_t, stage_count + 1> o{};
    detail::for_each_index<stage_count>([&](auto s) { o[s + 1] = o[s] + capability::noise_streams<stage<s>>; });
    return o;
  }();
  /// Index of the stage that ends the sequence, or stage_count if none.
  static constexpr std::size_t sequence_end = [] {
    std::size_t e = stage_count;
    detail::for_each_index<stage_count>([&](auto s) {
      if (ends_sequence<s> && e == stage_count) e = s;
    });
    return e;
  }();
  /// Where each stage's state starts in a stream_state, and the total.
  static constexpr std::array<std::size_t, stage_count + 1> state_offsets = [] {
    std::array<std::size_t, stage_count + 1> o{};
    detail::for_each_index<stage_count>([&](auto s) {
      if constexpr (steps<s>)
        o[s + 1] = o[s] + stage<s>::state_size;
      else
        o[s + 1] = o[s];
    });
    return o;
  }();
  /// The widest row one step writes (a stepping stage's step_stride, or after the sequence's
  /// end a stage's out_stride): the step buffers are sized by it, not by whole sequences.
  static constexpr std::size_t step_stride = [] {
    std::size_t w = 1;
    detail::for_each_index<stage_count>([&](auto s) {
      if constexpr (steps<s>)
        w = std::max<std::size_t>(w, stage<s>::step_stride);
      else if constexpr (s > sequence_end)
        w = std::max<std::size_t>(w, stage<s>::out_stride);
    });
    return w;
  }();
  static constexpr std::size_t step_features = input_shape::dims.sequence ? input_shape::dims.extent[1] : 1;
  static constexpr std::size_t step_output_size = [] {
    if constexpr (sequence_end < stage_count || !input_shape::dims.sequence)
      return output_size;
    else
      return output_size / input_shape::dims.extent[0]; // one step of the output sequence
  }();

public:
  /// The state of one stream: every stepping layer's state (an LSTM's h and c, ...), zero at the
  /// start. Copyable, sized at compile time; one per instrument, voice or agent.
  struct stream_state {
    alignas(alignment) std::array<T, std::max<std::size_t>(state_offsets[stage_count], 1)> values{};
    void reset() noexcept { values.fill(T(0)); }
  };
  /// One time step's features, and what one step produces (the output after the sequence's
  /// end, or one step of the output sequence).
  using step_input_type = tensor<T, shape<step_features>>;
  using step_output_type = tensor<T, shape<step_output_size>>;

  stream_state make_state() const noexcept { return {}; }

  /// step(...) on a network whose input is not a sequence: its one diagnostic, whatever the
  /// arguments (diag::network_has_no_time_steps).
  template <class State, class X>
  requires(!input_shape::dims.sequence) step_output_type step(State&, const X&)
  const noexcept {
    static_assert(no_time_steps::ok, "net::step: the network's input is not a sequence<Steps, Features>; the failed "
                                     "condition names its input and the fix");
    return {};
  }

  /// Advances one stream by one time step: the same outputs, step by step, as net(x) gives for
  /// the whole sequence (at its last step after `last`). noexcept, allocation-free.
  step_output_type step(stream_state& state, const step_input_type& x) const noexcept {
    step_output_type y;
    advance<1>(state.values.data(), 0, x.data(), y.data(), 1);
    return y;
  }

  /// Advances n streams by one time step each: x holds n steps' features (n x F, row-major), y
  /// receives n outputs (n x step_output_size). Stepping stages run the streams in blocks that
  /// share each weight load (a matrix product across streams): each stream's outputs are those
  /// of n calls of step(state, x) up to float rounding (the product sums in another order:
  /// differences of a few units in the last place, e.g. 4.5e-8 in float; checked within the
  /// PyTorch fixtures' tolerance in tests/oracle/recurrent.cpp). noexcept, allocation-free.
  void step(std::span<stream_state> states, const T* x, T* y) const noexcept {
    constexpr std::size_t chunk = 64, ld_state = sizeof(stream_state) / sizeof(T);
    static_assert(sizeof(stream_state) % sizeof(T) == 0);
    for (std::size_t s0 = 0; s0 < states.size(); s0 += chunk)
      advance<chunk>(states[s0].values.data(), ld_state, x + s0 * step_features, y + s0 * step_output_size,
                     std::min(chunk, states.size() - s0));
  }

  /// N streams, one step each, with their inputs and outputs as tensors: noexcept and
  /// allocation-free (the buffers are on the stack).
  template <std::size_t N>
  std::array<step_output_type, N> step(std::array<stream_state, N>& states,
                                       const std::array<step_input_type, N>& xs) const noexcept {
    std::array<T, N * step_features> x;
    std::array<T, N * step_output_size> y;
    std::array<step_output_type, N> out;
    step_tensors(states, xs, x.data(), y.data(), out.data());
    return out;
  }
  /// The same for any number of streams: ys = net.step(states, xs). Allocates the result (use
  /// the pointer form in a real-time loop).
  std::vector<step_output_type> step(std::span<stream_state> states, std::span<const step_input_type> xs) const {
    if (xs.size() != states.size())
      throw std::invalid_argument("ctnn::net::step: " + std::to_string(xs.size()) + " inputs for " +
                                  std::to_string(states.size()) + " streams");
    std::vector<T> x(xs.size() * step_features), y(xs.size() * step_output_size);
    std::vector<step_output_type> out(xs.size());
    step_tensors(states, xs, x.data(), y.data(), out.data());
    return out;
  }

private:
  /// One time step of n <= Chunk streams (state s at first_state + s * ld_state), inputs and
  /// outputs compact rows.
  template <std::size_t Chunk>
  void advance(T* first_state, std::size_t ld_state, const T* x, T* y, std::size_t streams) const noexcept {
    static_assert(no_time_steps::ok, "net::step: the network's input is not a sequence<Steps, Features>; the failed "
                                     "condition names its input and the fix");
    const std::size_t n = Chunk == 1 ? 1 : streams; // one stream: every loop below folds away
    alignas(alignment) T buf[2][Chunk * step_stride];
    const T* src = x;
    std::size_t ld = step_features;
    unsigned next = 0;
    detail::for_each_index<stage_count>([&](auto s) {
      if constexpr (!identity_at_inference<s>) { // dropout and its kind: nothing at inference
        const T* p = params_.data() + lowered::offsets[s];
        T* dst = buf[next];
        if constexpr (s < sequence_end) {
          static_assert(steps<s>,
                        "ctnn::net::step: a stage before the one that ends the sequence cannot run one time "
                        "step at a time (it declares no state_size, step and step_streams; layers/stage.hpp)");
          if constexpr (Chunk == 1)
            stage<s>::step(p, first_state + state_offsets[s], src, dst);
          else
            stage<s>::step_streams(p, first_state + state_offsets[s], ld_state, src, ld, dst, step_stride, n);
        } else if constexpr (s > sequence_end) {
          for (std::size_t r = 0; r < n; ++r) stage<s>::forward(p, src + r * ld, dst + r * step_stride);
        } else {
          return; // the end of the sequence passes the current step through
        }
        next ^= 1u; // the next stage writes the other buffer, never its own input
        src = dst;
        ld = step_stride;
      }
    });
    for (std::size_t r = 0; r < n; ++r) std::copy_n(src + r * ld, step_output_size, y + r * step_output_size);
  }
  /// step(states, x, y) for tensors: gathers the inputs into x, scatters y into out.
  template <class States, class Inputs>
  void step_tensors(States& states, const Inputs& xs, T* x, T* y, step_output_type* out) const noexcept {
    for (std::size_t s = 0; s < xs.size(); ++s) std::copy_n(xs[s].data(), step_features, x + s * step_features);
    step(std::span<stream_state>(states), x, y);
    for (std::size_t s = 0; s < xs.size(); ++s) std::copy_n(y + s * step_output_size, step_output_size, out[s].data());
  }

public:
  /// A workspace for batches of up to `capacity` samples (allocates; call once).
  workspace<T> make_workspace(std::size_t capacity) const {
    workspace<T> ws;
    ws.capacity_ = capacity;
    ws.z_.assign(stage_count, 0);
    ws.y_.assign(stage_count, 0);
    std::size_t at = 0;
    auto take = [&](std::size_t n) {
      const std::size_t o = at;
      at += kernels::round_up(n, alignment / sizeof(T));
      return o;
    };
    ws.input_ = take(capacity * input_size);
    detail::for_each_index<stage_count>([&](auto s) {
      if constexpr (stage<s>::kept_stride > 0) ws.z_[s] = take(capacity * stage<s>::kept_stride);
      ws.y_[s] = take(capacity * stage<s>::out_stride);
    });
    ws.grad_[0] = take(capacity * lowered::max_stride);
    ws.grad_[1] = take(capacity * lowered::max_stride);
    // a gap keeps each core's scratch off the lines (and prefetches) of the other's
    constexpr std::size_t gap = 1024 / sizeof(T);
    ws.own_dz_[0] = take(capacity * lowered::max_stride + gap) + gap;
    ws.own_dz_[1] = take(capacity * lowered::max_stride + gap) + gap;
    ws.buffer_ = aligned_buffer<T>(at);
    return ws;
  }

  /// A workspace for batched inference only (forward_batch, predict) of up to `capacity`
  /// samples: the input rows and two output buffers the stages write in turn, none of what
  /// training keeps (allocates; call once). What evaluation and prediction use: for a CNN on
  /// 28x28 images this is a small fraction of make_workspace's (tests/unit/memory.cpp).
  workspace<T> make_inference_workspace(std::size_t capacity) const {
    workspace<T> ws;
    ws.capacity_ = capacity;
    ws.inference_only_ = true;
    ws.z_.assign(stage_count, 0);
    ws.y_.assign(stage_count, 0);
    const std::size_t rows = kernels::round_up(capacity * lowered::max_stride, alignment / sizeof(T));
    ws.input_ = 0;
    const std::size_t first = kernels::round_up(capacity * input_size, alignment / sizeof(T));
    unsigned next = 0; // in turn among the stages that run (run_batch skips inference identities)
    detail::for_each_index<stage_count>([&](auto s) {
      if constexpr (!(identity_at_inference<s> && s + 1 < stage_count)) {
        ws.y_[s] = first + next * rows;
        next ^= 1u;
      }
    });
    ws.buffer_ = aligned_buffer<T>(first + 2 * rows);
    return ws;
  }

  /// Batched forward keeping what backward needs. x: n rows of input_size (n <= capacity).
  /// Returns the outputs: n rows with stride output_stride.
  const T* forward_train(workspace<T>& ws, const T* x, std::size_t n) const noexcept {
    assert(!ws.inference_only() && "ctnn::net::forward_train: an inference workspace has no room for training");
    return run_batch(ws, x, n, true);
  }

  /// Batched inference: like forward_train but writes no pre-activations (backward is not
  /// possible afterwards). Returns n rows with stride output_stride.
  const T* forward_batch(workspace<T>& ws, const T* x, std::size_t n) const noexcept {
    return run_batch(ws, x, n, false);
  }

  /// Batched inference: y receives n rows of output_size (compact). Uses ws's buffers and, unlike
  /// forward_train, writes no pre-activations.
  void predict(workspace<T>& ws, const T* x, T* y, std::size_t n) const noexcept {
    const T* out = run_batch(ws, x, n, false);
    for (std::size_t r = 0; r < n; ++r) std::copy_n(out + r * output_stride, output_size, y + r * output_size);
  }

  /// Backward after forward_train(ws, x, n): reads dL/dy from ws.output_gradient() (which it
  /// overwrites) and ADDS dL/dparameters into grads: param_size elements in the stored layout,
  /// aligned to CTNN_ALIGNMENT (an aligned_buffer<T>, as the trainer uses). With
  /// store_mode::overwrite it writes them instead (elements between layers' slices, if any,
  /// are left alone).
  void backward(workspace<T>& ws, const T* x, std::size_t n, T* grads,
                kernels::store_mode mode = kernels::store_mode::add) const noexcept {
    detail::for_each_index_reversed<stage_count>([&](auto s) {
      const auto b = backward_buffers<s>(ws, x);
      stage<s>::backward(params_.data() + lowered::offsets[s], grads + lowered::offsets[s], b.in, b.ld, b.z, b.y, b.dy,
                         b.dx, n, mode);
    });
  }

  /// Backward to the input after forward_train(ws, x, n), leaving every parameter gradient
  /// alone: reads dL/dy from ws.output_gradient() (which it overwrites) and writes dL/dx into
  /// dx (n rows of input_size). What a GAN's generator learns through: the discriminator's input
  /// gradient, its weights fixed. The stages' parameter gradients go to scratch in ws, allocated
  /// by the first call (none after it).
  void backward_input(workspace<T>& ws, const T* x, std::size_t n, T* dx) const {
    static_assert(stage_count > 0, "ctnn::net::backward_input: the network has no stages");
    // The first stage reads its input and writes dx with one row stride, padded as between
    // stages: x is copied into padded rows, and dx copied out of them.
    constexpr std::size_t ld = kernels::padded<T>(input_size);
    const std::size_t rows = ws.capacity_ * ld;
    if (ws.discarded_.size() < param_size + 2 * rows) ws.discarded_ = aligned_buffer<T>(param_size + 2 * rows);
    T* grads = ws.discarded_.data();
    T* xp = grads + param_size;
    T* dxp = xp + rows;
    for (std::size_t r = 0; r < n; ++r) std::copy_n(x + r * input_size, input_size, xp + r * ld);
    detail::for_each_index_reversed<stage_count>([&](auto s) {
      auto b = backward_buffers<s>(ws, x);
      if constexpr (s == 0) {
        b.in = xp;
        b.ld = ld;
        b.dx = dxp;
      }
      stage<s>::backward(params_.data() + lowered::offsets[s], grads + lowered::offsets[s], b.in, b.ld, b.z, b.y, b.dy,
                         b.dx, n, kernels::store_mode::overwrite);
    });
    for (std::size_t r = 0; r < n; ++r) std::copy_n(dxp + r * ld, input_size, dx + r * input_size);
  }

  // ---- one batch on two cores (trainer::set_threads(2)) ----
  //
  // Both cores call forward_train_shared and then backward_shared on the same workspace, with
  // core = 0 and 1 and a `sync` that returns once both cores have called it. A stage whose
  // outputs span two registers or more splits by output columns: each core computes, for all
  // rows, the same half of the columns in every step, and updates the same half of the
  // weights, so weights, gradients and optimizer state stay in that core's cache and the
  // results equal one core's exactly. Other stages split by rows (samples); their gradients
  // are summed from the two cores' buffers (reassociation only). Which way a stage splits is the
  // stage's own declaration (layers/stage.hpp).

  /// forward_train over two cores; returns the outputs (all n rows, once both have returned).
  template <class Sync>
  const T* forward_train_shared(workspace<T>& ws, const T* x, std::size_t n, unsigned core,
                                Sync&& sync) const noexcept {
    const std::size_t r0 = core == 0 ? 0 : n / 2, r1 = core == 0 ? n / 2 : n;
    const T* src = x;
    std::size_t ld = input_size;
    T* base = ws.buffer_.data();
    detail::for_each_index<stage_count>([&](auto s) {
      constexpr std::size_t P = stage<s>::out_stride, K = stage<s>::kept_stride;
      T* z = K > 0 ? base + ws.z_[s] : nullptr;
      T* y = base + ws.y_[s];
      const T* p = params_.data() + lowered::offsets[s];
      if constexpr (capability::splits_columns<stage<s>>) {
        stage<s>::forward_batch(p, src, ld, z, y, n, stage<s>::owned_columns(core));
      } else if constexpr (capability::batch_statistics<stage<s>>) { // needs every row: core 0 runs it
        if (core == 0) {
          if constexpr (stochastic<s>)
            stage<s>::forward_batch(p, src, ld, z, y, n, noise{ws.noise_, noise_ids[s], 0});
          else
            stage<s>::forward_batch(p, src, ld, z, y, n);
        }
      } else if constexpr (stochastic<s>) { // the masks of rows r0.. are those one core would draw
        stage<s>::forward_batch(p, src + r0 * ld, ld, z ? z + r0 * K : nullptr, y + r0 * P, r1 - r0,
                                noise{ws.noise_, noise_ids[s], r0});
      } else {
        stage<s>::forward_batch(p, src + r0 * ld, ld, z ? z + r0 * K : nullptr, y + r0 * P, r1 - r0);
      }
      sync();
      src = y;
      ld = P;
    });
    return src;
  }

  /// backward over two cores, after forward_train_shared and once both cores' rows of
  /// ws.output_gradient() are written. Writes (store_mode::overwrite) `grads` (columns-split
  /// stages, and core 0's rows of the rows-split ones) or `row_grads` (core 1's rows of
  /// rows-split stages), in the ranges for_each_update_range names.
  template <class Sync>
  void backward_shared(workspace<T>& ws, const T* x, std::size_t n, unsigned core, T* grads, T* row_grads,
                       Sync&& sync) const noexcept {
    const std::size_t r0 = core == 0 ? 0 : n / 2, r1 = core == 0 ? n / 2 : n;
    detail::for_each_index_reversed<stage_count>([&](auto s) {
      constexpr std::size_t P = stage<s>::out_stride, K = stage<s>::kept_stride;
      const auto b = backward_buffers<s>(ws, x);
      const std::size_t ld = b.ld;
      const T* p = params_.data() + lowered::offsets[s];
      if constexpr (capability::splits_columns<stage<s>>) {
        stage<s>::backward_params(grads + lowered::offsets[s], b.in, ld, b.z, b.y, b.dy, n,
                                  stage<s>::owned_columns(core), kernels::store_mode::overwrite,
                                  ws.buffer_.data() + ws.own_dz_[core]);
        if (!b.dx) return;
        sync(); // dz of the other core's columns
        stage<s>::backward_input(p, b.in + r0 * ld, ld, b.y + r0 * P, b.dy + r0 * P, b.dx + r0 * ld, r1 - r0);
      } else if constexpr (capability::batch_statistics<stage<s>>) { // core 0 has every row's gradients
        if (core == 0)
          stage<s>::backward(p, grads + lowered::offsets[s], b.in, ld, b.z, b.y, b.dy, b.dx, n,
                             kernels::store_mode::overwrite);
        else
          std::fill_n(row_grads + lowered::offsets[s], stage<s>::param_size, T(0));
        if (!b.dx) return;
      } else {
        T* g = (core == 0 ? grads : row_grads) + lowered::offsets[s];
        stage<s>::backward(p, g, b.in + r0 * ld, ld, b.z ? b.z + r0 * K : nullptr, b.y + r0 * P, b.dy + r0 * P,
                           b.dx ? b.dx + r0 * ld : nullptr, r1 - r0, kernels::store_mode::overwrite);
        if (!b.dx) return;
      }
      sync(); // the stage before reads both cores' rows of dx
    });
  }

  /// Calls f(begin, end, summed) for each range of parameters that `core` updates after
  /// backward_shared; `summed`: the gradient is grads + row_grads (a rows-split stage, whose
  /// range the two cores halve). Ranges start on register boundaries.
  template <class F>
  static void for_each_update_range(unsigned core, F&& f) {
    detail::for_each_index<stage_count>([&](auto s) {
      constexpr std::size_t off = lowered::offsets[s];
      if constexpr (capability::splits_columns<stage<s>>) {
        stage<s>::for_each_owned_range(core, [&](std::size_t b, std::size_t e) { f(off + b, off + e, false); });
      } else {
        capability::for_each_trainable_range<stage<s>>([&](std::size_t b, std::size_t e) {
          const std::size_t mid = b + kernels::round_up((e - b) / 2, lanes);
          if (core == 0)
            f(off + b, off + std::min(mid, e), true);
          else if (mid < e)
            f(off + mid, off + e, true);
        });
      }
    });
  }

  /// The stage that runs layer `layer` (its position in network<...>), or detail::npos for
  /// layers without one (input<>, views, activations fused into the stage before them).
  static constexpr std::size_t stage_of_layer(std::size_t layer) noexcept { return lowered::stage_of_layer(layer); }
  /// Calls f(stage, begin, end) for each range of trainable parameters, stage by stage: where
  /// they lie in the stored parameters, what optimizers and penalties update (buffers excluded:
  /// a stage holding buffers, or a block holding such stages, may have several ranges).
  template <class F>
  static void for_each_trainable_stage(F&& f) {
    detail::for_each_index<stage_count>([&](auto s) {
      constexpr std::size_t off = lowered::offsets[s];
      capability::for_each_trainable_range<stage<s>>(
          [&](std::size_t b, std::size_t e) { f(std::size_t(s), off + b, off + e); });
    });
  }

  /// After a training step (forward_train, backward, the update): stages that keep statistics of
  /// the batch (batch_norm) fold them into their buffers (running mean and variance). The
  /// trainer calls it after each step it applies; call it yourself in a loop of your own.
  void update_buffers(const workspace<T>& ws, std::size_t n) noexcept {
    detail::for_each_index<stage_count>([&](auto s) {
      if constexpr (capability::updates_buffers<stage<s>, T>)
        stage<s>::update_buffers(params_.data() + lowered::offsets[s], ws.buffer_.data() + ws.z_[s], n);
    });
  }

  /// The flat parameter array (stored layout, param_size elements).
  std::span<T> parameters() noexcept { return params_.span(); }
  std::span<const T> parameters() const noexcept { return params_.span(); }

  /// The parameters of layer I (I is its position in network<...>), as its stage's view: for a
  /// dense layer a dense_view (weight(o, i), bias(o) in PyTorch's terms).
  template <std::size_t I>
  auto layer() noexcept {
    if constexpr (I >= Model::layer_count) {
      static_assert(diag::layer_index_out_of_range<diag::layer_index<I>,
                                                   diag::valid_layer_indices<0, Model::layer_count - 1>>::ok,
                    "net::layer<I>(): I is past the last layer; the failed condition names the valid indices "
                    "(input<> is 0)");
      return detail::no_view<T>{};
    } else {
      constexpr std::size_t s = lowered::stage_of_layer(I);
      if constexpr (s == detail::npos) {
        static_assert(diag::layer_has_no_parameters<diag::layer_index<I>, typename Model::template layer<I>>::ok,
                      "net::layer<I>(): layer I has no parameters (layers such as dense and conv2d have)");
        return detail::no_view<T>{};
      } else {
        return capability::view_of<stage<s>>(params_.data() + lowered::offsets[s]);
      }
    }
  }

  /// Parameters in PyTorch's order and layout, layer by layer (dense: weight [out][in], then bias).
  /// With buffers (batch_norm), each layer's buffers follow its parameters: value_count values.
  std::vector<T> export_parameters() const {
    std::vector<T> logical(value_count);
    to_logical(params_.data(), logical.data());
    return logical;
  }
  /// Any array laid out as the stored parameters (param_size elements: gradients, an optimizer's
  /// state slot) in PyTorch's order and layout (param_count elements), and back (padding is left
  /// as it is). Checkpoints store optimizer state this way, portable across instruction sets.
  static void to_logical(const T* stored, T* logical) noexcept {
    std::size_t at = 0;
    detail::for_each_index<stage_count>([&](auto s) {
      stage<s>::export_params(stored + lowered::offsets[s], logical + at);
      at += stage<s>::param_count + capability::buffer_count<stage<s>>;
    });
  }
  static void from_logical(const T* logical, T* stored) noexcept {
    std::size_t at = 0;
    detail::for_each_index<stage_count>([&](auto s) {
      stage<s>::import_params(logical + at, stored + lowered::offsets[s]);
      at += stage<s>::param_count + capability::buffer_count<stage<s>>;
    });
  }

  /// Sets all parameters from PyTorch's order and layout (see export_parameters).
  /// Throws std::invalid_argument, leaving the network unchanged, if the count differs.
  void import_parameters(std::span<const T> logical) {
    if (logical.size() != value_count)
      throw std::invalid_argument("ctnn::net::import_parameters: expected " + std::to_string(value_count) +
                                  (value_count == param_count ? " parameters" : " values (parameters and buffers)") +
                                  ", got " + std::to_string(logical.size()));
    from_logical(logical.data(), params_.data());
  }

  /// Draws every layer's parameters from `init` (see ctnn::init), layer by layer in PyTorch's
  /// order, from a generator seeded with `seed`. Padding stays zero.
  template <class Init>
  void initialize(const Init& init, std::uint64_t seed) {
    rng gen(seed);
    std::fill(params_.begin(), params_.end(), T(0));
    detail::for_each_index<stage_count>(
        [&](auto s) { stage<s>::initialize(params_.data() + lowered::offsets[s], init, gen); });
  }

  /// The topology fingerprint stored in weight files: the scalar type, then one line per
  /// layer: "<index> <layer as written> -> <output shape>".
  static std::vector<std::string> fingerprint() {
    std::vector<std::string> lines{std::string("scalar ") + (sizeof(T) == 4 ? "float32" : "float64")};
    const auto names = Model::layer_names();
    for (std::size_t i = 0; i < names.size(); ++i)
      lines.push_back(std::to_string(i) + " " + names[i] + " -> " + to_string(Model::layer_output(i)));
    return lines;
  }

private:
  static constexpr std::size_t lanes = kernels::lanes<T>;

  /// What stage S's backward reads and writes in ws: its input (x for the first stage) and
  /// the input's row stride, what its forward kept (null if nothing), its output, the
  /// gradient w.r.t. its output and, but for the first stage, w.r.t. its input.
  struct stage_buffers {
    const T* in;
    std::size_t ld;
    T* z; ///< what the stage's forward kept (its own: backward may use it as scratch)
    const T* y;
    T *dy, *dx;
  };
  template <std::size_t S>
  static stage_buffers backward_buffers(workspace<T>& ws, const T* x) noexcept {
    constexpr std::size_t k = stage_count - 1 - S; // backward steps before this one
    T* base = ws.buffer_.data();
    const T* in = S == 0 ? x : base + ws.y_[S == 0 ? 0 : S - 1];
    return {in,
            S == 0 ? input_size : lowered::strides[S == 0 ? 0 : S - 1],
            stage<S>::kept_stride > 0 ? base + ws.z_[S] : nullptr,
            base + ws.y_[S],
            base + ws.grad_[k % 2],
            S == 0 ? nullptr : base + ws.grad_[(k + 1) % 2]};
  }

  const T* run_batch(workspace<T>& ws, const T* x, std::size_t n, bool keep_pre_activations) const noexcept {
    const T* src = x;
    std::size_t ld = input_size;
    T* base = ws.buffer_.data();
    detail::for_each_index<stage_count>([&](auto s) {
      T* z = stage<s>::kept_stride > 0 && keep_pre_activations ? base + ws.z_[s] : nullptr;
      T* y = base + ws.y_[s];
      const T* p = params_.data() + lowered::offsets[s];
      if constexpr (identity_at_inference<s> && s + 1 < stage_count) {
        if (!keep_pre_activations) return; // inference: the next stage reads this one's input
      }
      if constexpr (stochastic<s>) {
        if (keep_pre_activations)
          stage<s>::forward_batch(p, src, ld, z, y, n, noise{ws.noise_, noise_ids[s], 0}); // training: masks
        else
          stage<s>::forward_batch(p, src, ld, z, y, n);
      } else {
        stage<s>::forward_batch(p, src, ld, z, y, n);
      }
      src = y;
      ld = stage<s>::out_stride;
    });
    return src;
  }

  aligned_buffer<T> params_;
};

namespace detail {
/// Parameters compiled into the program (ctnn/interop/embedded.hpp) have their own make.
template <class Init>
struct is_embedded_parameters : std::false_type {};
} // namespace detail

/// A network of topology Model, parameters drawn from `init` with `seed`.
template <class Model, class T = float, class Init>
requires(ctnn::Model<Model> &&
         !detail::is_embedded_parameters<Init>::value) net<Model, T> make(const Init& init, std::uint64_t seed = 0) {
  net<Model, T> n;
  n.initialize(init, seed);
  return n;
}

} // namespace CTNN_NAMESPACE
