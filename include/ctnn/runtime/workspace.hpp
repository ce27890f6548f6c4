// workspace<T>: the buffers of batched passes (training and batched inference) of up to
// capacity() samples, allocated once by net::make_workspace or make_inference_workspace and reused
// by every step, so that training steps never allocate. Its layout is the batched passes' own
// (runtime/passes.hpp).
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/core/aligned_buffer.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace CTNN_NAMESPACE {

namespace detail {
template <class Model, class T>
struct batch_passes;
template <class Model, class T>
struct two_core_passes;
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
  /// Whether it came from make_inference_workspace (forward_batch and predict only).
  bool inference_only() const noexcept { return inference_only_; }
  /// Bytes its buffers hold.
  std::size_t bytes() const noexcept { return (buffer_.size() + discarded_.size()) * sizeof(T); }

private:
  template <class, class>
  friend struct detail::batch_passes;
  template <class, class>
  friend struct detail::two_core_passes;
  aligned_buffer<T> buffer_;
  std::size_t capacity_ = 0, input_ = 0;
  std::vector<std::size_t> z_, y_;      ///< where each stage keeps what backward needs, and its output
  std::array<std::size_t, 2> grad_{};   ///< two gradient buffers the backward stages write in turn
  std::array<std::size_t, 2> own_dz_{}; ///< per-core scratch of a split step (runtime/two_cores.hpp)
  std::uint64_t noise_ = 0;
  bool inference_only_ = false; ///< from make_inference_workspace: no room for training
  aligned_buffer<T> discarded_; ///< parameter gradients backward_input computes and drops
};

} // namespace CTNN_NAMESPACE
