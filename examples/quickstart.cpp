// The README's example, compiled and run in CI: declare, make, infer, train, save, load.
#include <ctnn/ctnn.hpp>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <stdexcept>
#include <string>

#include <unistd.h>

namespace nn = ctnn;

// A topology is a type. Shapes flow left to right and are checked when the type is used.
using model = nn::network<nn::input<nn::shape<4>>, nn::dense<16>, nn::relu, // fused into one SIMD stage
                          nn::dense<16>, nn::tanh, nn::dense<1>>;

int run() {
  auto net = nn::make<model>(nn::init::he_uniform{}, /*seed=*/42);

  nn::tensor<float, nn::shape<4>> x{0.5f, -0.5f, 0.25f, 0.8f};
  auto y = net(x); // tensor<float, shape<1>>: no heap, no virtual call, noexcept

  // Learn y = x0 - 2 x1 + x2 x3 from 1000 samples.
  nn::dataset<float, nn::shape<4>, nn::shape<1>> train, val;
  nn::rng gen(1);
  for (int i = 0; i < 1200; ++i) {
    nn::tensor<float, nn::shape<4>> s;
    for (auto& v : s) v = float(gen.uniform(-1, 1));
    const nn::tensor<float, nn::shape<1>> t{s[0] - 2 * s[1] + s[2] * s[3]};
    (i < 1000 ? train : val).push_back(s, t);
  }
  nn::trainer fit{net, nn::loss::mse{}, nn::optim::adam{.lr = 1e-2}};
  auto report = fit.train(
      train, {.epochs = 100, .batch = 32, .validation = val, .early_stopping = {.patience = 10}, .log_every = 20});

  // a folder of this process's own (mkdtemp: a unique name, mode 0700): no one else can plant a
  // file or a link where the weights go
  std::string dir = (std::filesystem::temp_directory_path() / "ctnn-quickstart-XXXXXX").string();
  if (!::mkdtemp(dir.data())) throw std::runtime_error("quickstart: cannot create a folder in " + dir);
  const auto file = dir + "/model.ctnn";
  nn::save(net, file); // fingerprinted, checksummed weights
  auto copy = nn::make<model>(nn::init::he_uniform{}, 7);
  nn::load(copy, file); // throws ctnn::file_error, leaving `copy` untouched, on any mismatch

  std::printf("f(x) before training %.3f, after %.3f, target %.3f; validation RMSE %.4f (best epoch %zu)\n",
              double(y[0]), double(copy(x)[0]), double(x[0] - 2 * x[1] + x[2] * x[3]), fit.evaluate(val).metric,
              report.best_epoch);
  std::filesystem::remove_all(dir);
  return fit.evaluate(val).metric < 0.1 ? 0 : 1;
}

int main() {
  try {
    return run();
  } catch (const std::exception& e) { // e.g. a ctnn::file_error naming the file and the place
    std::fprintf(stderr, "quickstart: %s\n", e.what());
    return 1;
  }
}
