// A model trained in PyTorch, running in C++ (the README's "From PyTorch to C++ in three commands"):
// examples/pytorch/train_model.py trains it, examples/pytorch/ctnn_export.py writes the files in
// examples/pytorch/generated/ (committed, so this example builds without Python), and this program
// loads the weights into the generated type, checks every layer against PyTorch's own outputs,
// and uses the network, from the weight file and from the weights compiled into the binary.
//
//   pytorch_model [DIR]   (DIR: where wave_mlp.ctnn and wave_mlp.golden are; default: the
//                          source tree's examples/pytorch/generated)
#include "pytorch/generated/wave_mlp.hpp"
#include "pytorch/generated/wave_mlp_weights.hpp"

#include <ctnn/ctnn.hpp>
#include <ctnn/interop/embedded.hpp>
#include <ctnn/interop/golden.hpp>

#include <cmath>
#include <cstdio>
#include <exception>
#include <string>

#ifndef CTNN_EXAMPLE_PYTORCH_DIR
#define CTNN_EXAMPLE_PYTORCH_DIR "examples/pytorch/generated"
#endif

int run(const std::string& dir) {
  ctnn::net<wave_mlp::model> net;                      // the type the exporter wrote
  ctnn::load(net, dir + "/" + wave_mlp::weights_file); // fingerprint-checked against that type

  // Every layer against PyTorch's golden activations: names the first layer that differs.
  const auto report = ctnn::check_layers(net, ctnn::read_golden(dir + "/" + wave_mlp::golden_file));
  for (const auto& l : report.layers)
    std::printf("layer %zu %-10s max |ctnn - PyTorch| = %.2g\n", l.layer, l.name.c_str(), l.max_error);
  std::printf("%s\n", report.message().c_str());
  if (!report.ok()) return 1;

  // The same network with the weights inside the binary: no file system at all.
  const auto embedded = ctnn::make<wave_mlp::model>(wave_mlp::embedded_weights);

  double se = 0;
  int n = 0;
  for (float a = -0.9f; a <= 0.9f; a += 0.3f)
    for (float b = -0.9f; b <= 0.9f; b += 0.3f) {
      const float x[2] = {a, b};
      float y[1];
      net(x, y); // a caller's buffer: no tensor needed
      const double truth = std::sin(3 * a) * std::cos(2 * b);
      se += (y[0] - truth) * (y[0] - truth);
      ++n;
      if (embedded(ctnn::tensor<float, ctnn::shape<2>>{a, b})[0] != y[0]) return 1;
    }
  std::printf("f(x) = sin(3 x0) cos(2 x1): RMSE %.4f over a %d-point grid (embedded weights: the same outputs)\n",
              std::sqrt(se / n), n);
  return std::sqrt(se / n) < 0.1 ? 0 : 1;
}

int main(int argc, char** argv) {
  try {
    return run(argc > 1 ? argv[1] : CTNN_EXAMPLE_PYTORCH_DIR);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "pytorch_model: %s\n", e.what());
    return 1;
  }
}
