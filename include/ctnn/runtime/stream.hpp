// Streams: a network on sequence<Steps, F> inputs run one time step per call. The stages that
// step (capability::steps) carry their state in a stream's state, the stage that ends the
// sequence (capability::ends_sequence) passes the current step through, and the stages after it
// run their forward on that step's vector as in net(x). The same parameters serve any number of
// streams, each with its own state. net::make_state and net::step are the doors; this names no
// layer kind.
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/core/index.hpp>
#include <ctnn/dsl/diag.hpp>
#include <ctnn/runtime/layout.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <type_traits>

namespace CTNN_NAMESPACE::detail {

template <class Model, class T>
struct stream_passes {
  using L = network_layout<Model, T>;
  template <std::size_t S>
  using stage = typename L::template stage<S>;
  using input_shape = typename Model::input_shape;
  static constexpr std::size_t stage_count = L::stage_count;

  /// diag::no_error for a sequence network, else what step(...) reports.
  using no_time_steps =
      std::conditional_t<input_shape::dims.sequence || !Model::valid, diag::no_error,
                         diag::network_has_no_time_steps<diag::network_input<input_shape>,
                                                         diag::fix_declare_the_input_as_sequence_steps_features>>;

  /// The state of one stream: every stepping layer's state (an LSTM's h and c, ...), zero at the
  /// start. Copyable, sized at compile time; one per instrument, voice or agent.
  struct state {
    alignas(alignment) std::array<T, std::max<std::size_t>(L::state_offsets[stage_count], 1)> values{};
    void reset() noexcept { values.fill(T(0)); }
  };

  /// One time step of n <= Chunk streams (state s at first_state + s * ld_state), inputs and
  /// outputs compact rows.
  template <std::size_t Chunk>
  static void advance(const T* params, T* first_state, std::size_t ld_state, const T* x, T* y,
                      std::size_t streams) noexcept {
    static_assert(no_time_steps::ok, "net::step: the network's input is not a sequence<Steps, Features>; the failed "
                                     "condition names its input and the fix");
    constexpr std::size_t step_stride = L::step_stride, sequence_end = L::sequence_end;
    const std::size_t n = Chunk == 1 ? 1 : streams; // one stream: every loop below folds away
    alignas(alignment) T buf[2][Chunk * step_stride];
    const T* src = x;
    std::size_t ld = L::step_features;
    unsigned next = 0;
    for_each_index<stage_count>([&](auto s) {
      if constexpr (!L::template identity_at_inference<s>) { // dropout and its kind: nothing at inference
        const T* p = params + L::template offset<s>;
        T* dst = buf[next];
        if constexpr (s < sequence_end && !L::template steps<s>) {
          static_assert(diag::stage_cannot_step<diag::stage_index<s>, stage<s>,
                                                diag::fix_make_the_layers_before_last_recurrent_causal_or_per_step>::ok,
                        "ctnn::net::step: a stage before the one that ends the sequence cannot run one time "
                        "step at a time (it declares no state_size, step and step_streams; layers/stage.hpp); the "
                        "failed condition names it");
          return;
        } else if constexpr (s < sequence_end) {
          if constexpr (Chunk == 1)
            stage<s>::step(p, first_state + L::state_offsets[s], src, dst);
          else
            capability::step_streams<stage<s>>(p, first_state + L::state_offsets[s], ld_state, src, ld, dst,
                                               step_stride, n);
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
    for (std::size_t r = 0; r < n; ++r) std::copy_n(src + r * ld, L::step_output_size, y + r * L::step_output_size);
  }
};

} // namespace CTNN_NAMESPACE::detail
