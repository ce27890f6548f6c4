// net<Model, T>: the network object users hold. Parameters live in one aligned array; each stage
// runs on its slice. One sample runs on stack buffers sized at compile time (here); the rest is in
// rooms of its own, which net<> opens to its users:
//   runtime/layout.hpp     what is known at compile time: stages, offsets, capabilities
//   runtime/workspace.hpp  the buffers of batched passes
//   runtime/passes.hpp     batched forward, backward, backward to the input, buffer updates
//   runtime/stream.hpp     one time step at a time (make_state, step)
//   runtime/two_cores.hpp  one training batch split over two cores (the trainer's)
// Nothing here allocates, throws or dispatches virtually on the hot path.
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/core/aligned_buffer.hpp>
#include <ctnn/core/frame.hpp>
#include <ctnn/core/random.hpp>
#include <ctnn/core/tensor.hpp>
#include <ctnn/dsl/type_list.hpp>
#include <ctnn/runtime/layout.hpp>
#include <ctnn/runtime/lower.hpp>
#include <ctnn/runtime/outputs.hpp>
#include <ctnn/runtime/passes.hpp>
#include <ctnn/runtime/stream.hpp>
#include <ctnn/runtime/workspace.hpp>

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
#include <utility>
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
  using layout = detail::network_layout<Model, T>; // runtime/layout.hpp
  using passes = detail::batch_passes<Model, T>;   // runtime/passes.hpp
  using streams = detail::stream_passes<Model, T>; // runtime/stream.hpp

public:
  using model = Model;
  using value_type = T;
  using input_shape = typename Model::input_shape;
  using output_shape = typename Model::output_shape;
  using input_type = tensor<T, input_shape>;
  /// The shape of each output: type_list<output_shape>, or one per head (heads<...>).
  using output_parts = typename Model::output_parts;
  /// What net(x) returns: tensor<T, output_shape>, or for heads<...> a std::tuple of one tensor
  /// per head (output_shape is then every head's values, one head after the other).
  using output_type = typename detail::outputs<T, output_parts>::type;
  static constexpr std::size_t head_count = output_parts::size;

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
  /// Bytes one sample's net(x) uses for activations, planned at compile time: its two buffers
  /// (the widest stage output each) and the largest frames a stage holds inside (a block's
  /// branch buffers, a convolution's padded input). Past 64 KiB a frame comes from the calling
  /// thread's frame arena instead of the stack (core/frame.hpp), so large image networks run in
  /// any thread.
  static constexpr std::size_t peak_activation_bytes = [] {
    std::size_t m = 0;
    detail::for_each_index<stage_count>([&](auto s) { m = std::max(m, capability::frame_bytes<stage<s>>); });
    return 2 * lowered::max_stride * sizeof(T) + m;
  }();
  /// Row stride of batched outputs (output_size padded to whole registers).
  static constexpr std::size_t output_stride = lowered::output_stride;

  /// All parameters zero. Use make<Model>(init, seed) for an initialized network.
  net() : params_(param_size) {}
  /// With the parameters `logical` in PyTorch's order and layout (state_dict order, as
  /// export_parameters returns them: value_count values): ctnn::net<model> n(values). Throws
  /// std::invalid_argument if the count differs.
  explicit net(std::span<const T> logical) : net() { import_parameters(logical); }

  /// One sample. noexcept, allocation-free; activations live in two stack buffers.
  output_type operator()(const input_type& x) const noexcept { return run_one(x.data()); }
  /// One sample of a network over inputs<S...>: one tensor per input, in the declared order
  /// (`net(prices, features)`).
  template <class... Parts>
  requires(sizeof...(Parts) >= 2 && std::is_same_v<inputs<Parts...>, input_shape>) output_type
  operator()(const tensor<T, Parts>&... xs) const noexcept {
    detail::frame<T, input_size> x;
    std::size_t at = 0;
    ((std::copy_n(xs.data(), Parts::size, x.data() + at), at += Parts::size), ...);
    return run_one(x);
  }
  /// One sample from a caller's buffer of input_size values (an array, a vector, a frame of
  /// audio), into a new tensor. Viewing such a buffer as a tensor would be undefined behaviour.
  output_type operator()(std::span<const T, input_size> x) const noexcept { return run_one(x.data()); }
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
    return run_one(x.data());
  }
  /// One sample: x points to input_size values, y to room for output_size. They may overlap only
  /// if they are the same buffer.
  void operator()(const T* x, T* y) const noexcept {
    if constexpr (stage_count == 0) {
      if (x != y) std::copy_n(x, output_size, y);
    } else {
      // two buffers, on the stack or, for large activations, from the thread's frames (core/frame.hpp)
      detail::frame<T, lowered::max_stride> first, second;
      T* const buf[2] = {first, second};
      const T* src = x;
      unsigned next = 0;
      detail::for_each_index<stage_count>([&](auto s) {
        if constexpr (!layout::template identity_at_inference<s>) {
          T* dst = buf[next];
          next ^= 1u;
          stage<s>::forward(params_.data() + lowered::offsets[s], src, dst);
          src = dst;
        }
      });
      std::copy_n(src, output_size, y);
    }
  }

  // ---- streams: sequence networks one time step at a time (runtime/stream.hpp) ----

  /// The state of one stream: every stepping layer's state (an LSTM's h and c, ...), zero at the
  /// start. Copyable, sized at compile time; one per instrument, voice or agent.
  using stream_state = typename streams::state;
  /// One time step's features, and what one step produces (the output after the sequence's
  /// end, or one step of the output sequence).
  using step_input_type = tensor<T, shape<layout::step_features>>;
  using step_output_type = tensor<T, shape<layout::step_output_size>>;

  stream_state make_state() const noexcept { return {}; }

  /// step(...) on a network whose input is not a sequence: its one diagnostic, whatever the
  /// arguments (diag::network_has_no_time_steps).
  template <class State, class X>
  requires(!input_shape::dims.sequence) step_output_type step(State&, const X&)
  const noexcept {
    static_assert(streams::no_time_steps::ok, "net::step: the network's input is not a sequence<Steps, Features>; "
                                              "the failed condition names its input and the fix");
    return {};
  }

  /// Advances one stream by one time step: the same outputs, step by step, as net(x) gives for
  /// the whole sequence (at its last step after `last`). noexcept, allocation-free.
  step_output_type step(stream_state& state, const step_input_type& x) const noexcept {
    step_output_type y;
    streams::template advance<1>(params_.data(), state.values.data(), 0, x.data(), y.data(), 1);
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
      streams::template advance<chunk>(params_.data(), states[s0].values.data(), ld_state,
                                       x + s0 * layout::step_features, y + s0 * layout::step_output_size,
                                       std::min(chunk, states.size() - s0));
  }

  /// N streams, one step each, with their inputs and outputs as tensors: noexcept and
  /// allocation-free (the buffers are on the stack).
  template <std::size_t N>
  std::array<step_output_type, N> step(std::array<stream_state, N>& states,
                                       const std::array<step_input_type, N>& xs) const noexcept {
    std::array<T, N * layout::step_features> x;
    std::array<T, N * layout::step_output_size> y;
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
    std::vector<T> x(xs.size() * layout::step_features), y(xs.size() * layout::step_output_size);
    std::vector<step_output_type> out(xs.size());
    step_tensors(states, xs, x.data(), y.data(), out.data());
    return out;
  }

  // ---- batches (runtime/passes.hpp): training loops of your own, batched inference ----

  /// A workspace for batches of up to `capacity` samples (allocates; call once).
  workspace<T> make_workspace(std::size_t capacity) const { return passes::make_workspace(capacity); }

  /// A workspace for batched inference only (forward_batch, predict) of up to `capacity`
  /// samples: the input rows and two output buffers the stages write in turn, none of what
  /// training keeps (allocates; call once). What evaluation and prediction use: for a CNN on
  /// 28x28 images this is a small fraction of make_workspace's (tests/unit/memory.cpp).
  workspace<T> make_inference_workspace(std::size_t capacity) const {
    return passes::make_inference_workspace(capacity);
  }

  /// Batched forward keeping what backward needs. x: n rows of input_size (n <= capacity).
  /// Returns the outputs: n rows with stride output_stride.
  const T* forward_train(workspace<T>& ws, const T* x, std::size_t n) const noexcept {
    assert(!ws.inference_only() && "ctnn::net::forward_train: an inference workspace has no room for training");
    return passes::run_batch(params_.data(), ws, x, n, true);
  }

  /// Batched inference: like forward_train but writes no pre-activations (backward is not
  /// possible afterwards). Returns n rows with stride output_stride.
  const T* forward_batch(workspace<T>& ws, const T* x, std::size_t n) const noexcept {
    return passes::run_batch(params_.data(), ws, x, n, false);
  }

  /// Batched inference: y receives n rows of output_size (compact). Uses ws's buffers and, unlike
  /// forward_train, writes no pre-activations.
  void predict(workspace<T>& ws, const T* x, T* y, std::size_t n) const noexcept {
    const T* out = passes::run_batch(params_.data(), ws, x, n, false);
    for (std::size_t r = 0; r < n; ++r) std::copy_n(out + r * output_stride, output_size, y + r * output_size);
  }

  /// Backward after forward_train(ws, x, n): reads dL/dy from ws.output_gradient() (which it
  /// overwrites) and ADDS dL/dparameters into grads: param_size elements in the stored layout,
  /// aligned to CTNN_ALIGNMENT (an aligned_buffer<T>, as the trainer uses). With
  /// store_mode::overwrite it writes them instead (elements between layers' slices, if any,
  /// are left alone).
  void backward(workspace<T>& ws, const T* x, std::size_t n, T* grads,
                kernels::store_mode mode = kernels::store_mode::add) const noexcept {
    passes::backward(params_.data(), ws, x, n, grads, mode);
  }

  /// Backward to the input after forward_train(ws, x, n), leaving every parameter gradient
  /// alone: reads dL/dy from ws.output_gradient() (which it overwrites) and writes dL/dx into
  /// dx (n rows of input_size). What a GAN's generator learns through: the discriminator's input
  /// gradient, its weights fixed. The stages' parameter gradients go to scratch in ws, allocated
  /// by the first call (none after it).
  void backward_input(workspace<T>& ws, const T* x, std::size_t n, T* dx) const {
    passes::backward_input(params_.data(), param_size, ws, x, n, dx);
  }

  /// After a training step (forward_train, backward, the update): stages that keep statistics of
  /// the batch (batch_norm) fold them into their buffers (running mean and variance). The
  /// trainer calls it after each step it applies; call it yourself in a loop of your own.
  void update_buffers(const workspace<T>& ws, std::size_t n) noexcept { passes::update_buffers(params_.data(), ws, n); }

  // ---- parameters ----

  /// The stage that runs layer `layer` (its position in network<...>), or detail::npos for
  /// layers without one (input<>, views, activations fused into the stage before them).
  static constexpr std::size_t stage_of_layer(std::size_t layer) noexcept { return lowered::stage_of_layer(layer); }
  /// Calls f(stage, begin, end) for each range of trainable parameters, stage by stage: where
  /// they lie in the stored parameters, what optimizers and penalties update (buffers excluded:
  /// a stage holding buffers, or a block holding such stages, may have several ranges).
  template <class F>
  static void for_each_trainable_stage(F&& f) {
    layout::for_each_trainable_stage(std::forward<F>(f));
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
  static void to_logical(const T* stored, T* logical) noexcept { layout::to_logical(stored, logical); }
  static void from_logical(const T* logical, T* stored) noexcept { layout::from_logical(logical, stored); }

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
  /// One sample into what net(x) returns.
  output_type run_one(const T* x) const noexcept {
    if constexpr (head_count == 1) {
      output_type y;
      (*this)(x, y.data());
      return y;
    } else {
      detail::frame<T, output_size> y;
      (*this)(x, y);
      return detail::outputs<T, output_parts>::split(y);
    }
  }
  /// step(states, x, y) for tensors: gathers the inputs into x, scatters y into out.
  template <class States, class Inputs>
  void step_tensors(States& states, const Inputs& xs, T* x, T* y, step_output_type* out) const noexcept {
    constexpr std::size_t F = layout::step_features, O = layout::step_output_size;
    for (std::size_t s = 0; s < xs.size(); ++s) std::copy_n(xs[s].data(), F, x + s * F);
    step(std::span<stream_state>(states), x, y);
    for (std::size_t s = 0; s < xs.size(); ++s) std::copy_n(y + s * O, O, out[s].data());
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
