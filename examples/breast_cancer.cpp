// The main demo: binary classification of breast tumours (Wisconsin diagnostic data, shipped by
// Debian's python3-sklearn) with a typed network, trained in C++, saved, reloaded and timed.
//
//   bash .ci/demo        (installs what is missing, builds, runs this program)
#include <ctnn/ctnn.hpp>
#include <ctnn/data/datasets.hpp>
#include <ctnn/runtime/bf16.hpp>     // ctnn::to_bf16: bf16 weights and activations
#include <ctnn/runtime/quantize.hpp> // ctnn::quantize: the integer network

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include <unistd.h>

namespace nn = ctnn;

// The topology is a type: 30 features -> 32 ReLU units -> 1 logit. Shapes are checked when the
// type is used; dense<32> and relu are fused into one SIMD stage.
using model = nn::network<nn::input<nn::shape<30>>, nn::dense<32>, nn::relu, nn::dense<1>>;

int run() {
  // 1. Data: 569 tumours, 30 features each; label 1 = benign. The fixed split of tests/README.md:
  //    every fifth row (index % 5 == 4) is the test set. Features are z-scored with the
  //    training set's statistics only (datasets::breast_cancer_split does both; written out it
  //    is load_breast_cancer(), dataset::subset(...) twice, standardizer::fit(train).apply(...)).
  const auto [train, test] = nn::datasets::breast_cancer_split();
  std::printf("data: %zu training and %zu test samples, 30 features\n", train.size(), test.size());

  // 2. Train: binary cross-entropy on the logit, Adam lr 0.01, 300 full-batch steps.
  auto net = nn::make<model>(nn::init::pytorch_default{}, 42);
  nn::trainer fit{net, nn::loss::bce_with_logits{}, nn::optim::adam{.lr = 0.01f}};
  const auto report = fit.train(train, {.epochs = 300, .batch = train.size(), .log = &std::cout, .log_every = 100});
  const auto result = fit.evaluate(test);
  std::printf("test accuracy: %.4f (loss %.4f) after %zu epochs\n", result.metric, result.loss, report.history.size());

  // 3. Save, reload into a network with other weights, and check every prediction is identical.
  //    (In a folder of this process's own, made by mkdtemp: runs by two users on one machine do not
  //    collide, and no one else can plant a file or a link where the weights go.)
  std::string dir = (std::filesystem::temp_directory_path() / "ctnn-breast_cancer-XXXXXX").string();
  if (!::mkdtemp(dir.data())) throw std::runtime_error("breast_cancer: cannot create a folder in " + dir);
  const auto path = dir + "/model.ctnn";
  nn::save(net, path);
  auto reloaded = nn::make<model>(nn::init::he_uniform{}, 7);
  nn::load(reloaded, path);
  std::size_t identical = 0;
  for (std::size_t i = 0; i < test.size(); ++i)
    identical += net(test.input_tensor(i))[0] == reloaded(test.input_tensor(i))[0];
  std::printf("reloaded from %s: %zu/%zu test predictions identical\n", path.c_str(), identical, test.size());
  std::filesystem::remove_all(dir);

  // 4. Latency of one inference (single sample, stack buffers, no allocation): the median over
  //    201 rounds of 2000 back-to-back calls, each input depending on the previous output.
  auto x = test.input_tensor(0);
  std::vector<double> per_call;
  float sink = 0;
  for (int round = 0; round < 201; ++round) {
    const auto start = std::chrono::steady_clock::now();
    for (int k = 0; k < 2000; ++k) {
      const float y = net(x)[0];
      x[0] += y * 1e-30f; // a data dependency the compiler cannot remove; numerically a no-op
      sink += y;
    }
    per_call.push_back(std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count() /
                       2000);
  }
  std::nth_element(per_call.begin(), per_call.begin() + 100, per_call.end());
  std::printf("single-sample inference latency: %.1f ns (median; checksum %g)\n", per_call[100], double(sink));

  // 5. The same network in integers (int8 weights, uint8 activations, int32 sums, calibrated on the
  //    training inputs: post-training quantization) and in bf16 (no calibration); float in and out.
  const auto& test_set = test; // clang 14 cannot capture a structured binding in a lambda
  const auto compare = [&](const char* name, const auto& other) {
    const auto& test = test_set;
    std::size_t correct = 0, agree = 0;
    for (std::size_t i = 0; i < test.size(); ++i) {
      const float yf = net(test.input_tensor(i))[0], yo = other(test.input_tensor(i))[0];
      correct += (yo > 0) == (test.target(i)[0] > 0.5f);
      agree += (yo > 0) == (yf > 0);
    }
    per_call.clear();
    for (int round = 0; round < 201; ++round) {
      const auto start = std::chrono::steady_clock::now();
      for (int k = 0; k < 2000; ++k) {
        const float y = other(x)[0];
        x[0] += y * 1e-30f;
        sink += y;
      }
      per_call.push_back(std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count() /
                         2000);
    }
    std::nth_element(per_call.begin(), per_call.begin() + 100, per_call.end());
    const double accuracy = double(correct) / double(test.size());
    std::printf("%s: test accuracy %.4f (%zu/%zu decisions as in float), latency %.1f ns (median; checksum %g)\n", name,
                accuracy, agree, test.size(), per_call[100], double(sink));
    return accuracy;
  };
  const double int8_accuracy = compare("int8", nn::quantize(net, train));
  const double bf16_accuracy = compare("bf16", nn::to_bf16(net));

  const bool ok = result.metric >= 0.97 && identical == test.size() && int8_accuracy >= 0.97 && bf16_accuracy >= 0.97;
  std::printf("%s\n", ok ? "demo OK" : "demo FAILED: accuracy below 0.97 (float, int8 or bf16) or reload mismatch");
  return ok ? 0 : 1;
}

int main() {
  try {
    return run();
  } catch (const std::exception& e) { // e.g. the dataset could not be fetched: the message says why
    std::fprintf(stderr, "breast_cancer: %s\n", e.what());
    return 1;
  }
}
