// The oneDNN anchor for mnist_cnn, behind an interface so that only onednn_anchor.cpp sees
// oneDNN's headers (and the benchmark builds, and says so, where libdnnl-dev is absent).
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace bench {

class onednn_model {
public:
  virtual ~onednn_model() = default;
  /// batch samples [batch, 1, 28, 28] -> logits [batch, 10].
  virtual void infer(const float* x, float* y) = 0;
  /// What oneDNN chose (ISA and implementation of each primitive), for the report.
  virtual std::string configuration() const = 0;
};

/// mnist_cnn (cnn_networks.hpp) for a fixed batch, parameters in PyTorch order; nullptr if this
/// build has no oneDNN (`why` then says so).
std::unique_ptr<onednn_model> make_onednn_cnn(const std::vector<float>& params, int batch, std::string& why);
/// graph_cnn (graph_networks.hpp) for a fixed batch ([batch, 3, 32, 32] -> [batch, 10]),
/// parameters in PyTorch order; nullptr if this build has no oneDNN.
std::unique_ptr<onednn_model> make_onednn_graph(const std::vector<float>& params, int batch, std::string& why);

} // namespace bench
