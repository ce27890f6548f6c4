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

} // namespace bench
