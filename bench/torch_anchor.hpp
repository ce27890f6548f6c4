// The libtorch anchor, behind an interface so that only torch_anchor.cpp sees torch's headers
// (and so the benchmark builds, and says so, where libtorch is absent).
#pragma once

#include "layer_spec.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace bench {

class torch_model {
public:
  virtual ~torch_model() = default;
  /// n samples (row-major, n x in; for mnist_cnn n x 1 x 28 x 28) -> n x out, under NoGradGuard, one thread.
  virtual void infer(const float* x, float* y, int n) = 0;
  /// One training step (forward, cross-entropy on logits, backward, optimizer step); returns the loss.
  virtual float train_step(const float* x, const std::int64_t* labels, int n) = 0;
};

enum class torch_optimizer { sgd, adam };

/// nullptr if this build has no libtorch; `why` then says so.
std::unique_ptr<torch_model> make_torch_model(const spec& s, const std::vector<float>& params, torch_optimizer opt,
                                              std::string& why);
/// mnist_cnn (layer_spec.hpp, namespace cnn), parameters in PyTorch order.
std::unique_ptr<torch_model> make_torch_cnn(const std::vector<float>& params, torch_optimizer opt, std::string& why);
/// graph_cnn (graph_networks.hpp) with torch's functional ops, parameters in PyTorch order
/// (inference only: train_step is not used).
std::unique_ptr<torch_model> make_torch_graph(const std::vector<float>& params, std::string& why);

/// A recurrent network (an LSTM or GRU of 1 input and `hidden` units, then Linear(hidden, 1)) run
/// one time step per call with explicit state, as a streaming user runs libtorch.
class torch_stream_model {
public:
  virtual ~torch_stream_model() = default;
  /// Zero state for `streams` streams.
  virtual void reset(int streams) = 0;
  /// One step of every stream: x [streams] -> y [streams].
  virtual void step(const float* x, float* y, int streams) = 0;
  /// One training step on n windows [n, steps, 1] with targets [n] (MSE, Adam 1e-3).
  virtual float train_step(const float* x, const float* target, int n, int steps) = 0;
};

/// Parameters in PyTorch order (weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0, then the
/// Linear's weight and bias); nullptr if this build has no libtorch.
std::unique_ptr<torch_stream_model> make_torch_recurrent(bool lstm, int hidden, const std::vector<float>& params,
                                                         std::string& why);

/// wavenet8 (bench/README.md) stepped one sample per call as a streaming user writes it in
/// libtorch: per layer a buffer of its last (K - 1) d + 1 inputs ([1, C, R], shifted by one
/// each step) convolved by F::conv1d at its dilation into one output, tanh; then the Linear.
class torch_tcn_stream {
public:
  virtual ~torch_tcn_stream() = default;
  virtual void reset() = 0;
  virtual float step(float x) = 0;
};
/// Parameters in PyTorch order (each Conv1d's weight and bias, then the Linear's); `dilations`
/// of the kernel-3 layers (the first 1 -> channels, the rest channels -> channels).
std::unique_ptr<torch_tcn_stream> make_torch_tcn(int channels, const std::vector<int>& dilations,
                                                 const std::vector<float>& params, std::string& why);

} // namespace bench
