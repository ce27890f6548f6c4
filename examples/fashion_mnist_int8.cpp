// Two Fashion-MNIST networks trained in float, then made integer networks by ctnn::quantize
// (post-training, calibrated on the training inputs): test accuracy and single-sample latency of
// both, side by side; then one more epoch of quantization-aware training (the passes see the
// weights as the integer network will) and the integer network again. Last, the MLP with its
// activations fake-quantized in training too (fake_quantize layers, PyTorch's FakeQuantize):
// quantize adopts the ranges they observed, so the integer network codes the activations as
// training rounded them.
//
//   build/<compiler>/examples/fashion_mnist_int8 [mlp epochs] [cnn epochs]   (default 5 and 2)
//
// The MLP (784-128-10, Adam 1e-3, batch 64) trains on all 60,000 images; the CNN (c8-pool-c16-
// pool-fc10, SGD 0.1 momentum 0.9, batch 64) on the first 10,000, the "quick" split of
// tests/README.md. Both are tested on the 10,000 test images.
#include <ctnn/ctnn.hpp>
#include <ctnn/data/datasets.hpp>
#include <ctnn/runtime/bf16.hpp>
#include <ctnn/runtime/quantize.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <vector>

namespace nn = ctnn;

using mlp = nn::network<nn::input<nn::shape<1, 28, 28>>, nn::flatten, nn::dense<128>, nn::relu, nn::dense<10>>;
/// The MLP with its input and hidden activations fake-quantized in training.
using mlp_fake_quantized = nn::network<nn::input<nn::shape<1, 28, 28>>, nn::flatten, nn::fake_quantize, nn::dense<128>,
                                       nn::relu, nn::fake_quantize, nn::dense<10>>;
using cnn =
    nn::network<nn::input<nn::shape<1, 28, 28>>, nn::conv2d<8, nn::kernel<3>>, nn::relu, nn::max_pool2d<nn::window<2>>,
                nn::conv2d<16, nn::kernel<3>>, nn::relu, nn::max_pool2d<nn::window<2>>, nn::flatten, nn::dense<10>>;

/// Median ns of one call, each input depending on the last output (latency).
template <class F>
double latency(F&& f) {
  std::vector<double> rounds;
  for (int r = 0; r < 31; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    for (int k = 0; k < 500; ++k) f();
    rounds.push_back(std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count() / 500);
  }
  std::nth_element(rounds.begin(), rounds.begin() + 15, rounds.end());
  return rounds[15];
}

template <class Model, class Test>
double int8_accuracy(const nn::quantized<Model>& q, const Test& test) {
  std::size_t correct = 0;
  for (std::size_t i = 0; i < test.size(); ++i) {
    const auto y = q(test.input_tensor(i));
    correct += std::max_element(y.begin(), y.end()) - y.begin() == static_cast<std::ptrdiff_t>(test.target(i)[0]);
  }
  return double(correct) / double(test.size());
}

template <class Model, class Fit, class Train, class Test>
bool compare(const char* name, nn::net<Model, float>& net, Fit& fit, const Train& train, const Test& test) {
  const auto q = nn::quantize(net, train);
  std::size_t float_correct = 0, int8_correct = 0, agree = 0;
  for (std::size_t i = 0; i < test.size(); ++i) {
    const auto x = test.input_tensor(i);
    const auto yf = net(x);
    const auto yq = q(x);
    const auto af = std::max_element(yf.begin(), yf.end()) - yf.begin();
    const auto aq = std::max_element(yq.begin(), yq.end()) - yq.begin();
    const auto label = static_cast<std::ptrdiff_t>(test.target(i)[0]);
    float_correct += af == label;
    int8_correct += aq == label;
    agree += af == aq;
  }
  auto x = test.input_tensor(0);
  float sink = 0;
  const double tf = latency([&] {
    const auto y = net(x);
    x[0] += y[0] * 1e-30f;
    sink += y[1];
  });
  const double tq = latency([&] {
    const auto y = q(x);
    x[0] += y[0] * 1e-30f;
    sink += y[1];
  });
  const double n = double(test.size()), fa = double(float_correct) / n, qa = double(int8_correct) / n;
  std::printf("%s: test accuracy float %.4f, int8 %.4f (%zu of %zu decisions as in float); latency float %.0f ns, "
              "int8 %.0f ns (checksum %g)\n",
              name, fa, qa, agree, test.size(), tf, tq, double(sink));
  if constexpr (nn::has_bf16_form<Model>) { // to_bf16: dense networks
    const auto b = nn::to_bf16(net);
    std::size_t bf16_correct = 0;
    for (std::size_t i = 0; i < test.size(); ++i) {
      const auto y = b(test.input_tensor(i));
      bf16_correct +=
          std::max_element(y.begin(), y.end()) - y.begin() == static_cast<std::ptrdiff_t>(test.target(i)[0]);
    }
    const double tb = latency([&] {
      const auto y = b(x);
      x[0] += y[0] * 1e-30f;
      sink += y[1];
    });
    std::printf("%s in bf16 (no calibration): test accuracy %.4f, latency %.0f ns\n", name, double(bf16_correct) / n,
                tb);
  }
  // one more epoch, quantization-aware, then the integer network of the result
  std::ostringstream quiet;
  fit.train(train, {.epochs = 1, .batch = 64, .seed = 2, .quantization_aware = true, .log = &quiet});
  const double float_after = fit.evaluate(test).metric, qat = int8_accuracy(nn::quantize(net, train), test);
  std::printf("%s after one quantization-aware epoch: float %.4f, int8 %.4f\n", name, float_after, qat);
  return qa >= fa - 0.01 && qat >= float_after - 0.01; // within a point of float
}

int run(int argc, char** argv) {
  const std::size_t mlp_epochs = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 5;
  const std::size_t cnn_epochs = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 2;
  std::ostringstream quiet;
  bool ok = true;
  {
    const auto [train, test] = nn::datasets::fashion_mnist();
    auto net = nn::make<mlp>(nn::init::pytorch_default{}, 1);
    nn::trainer fit{net, nn::loss::softmax_cross_entropy{}, nn::optim::adam{.lr = 1e-3f}};
    fit.train(train, {.epochs = mlp_epochs, .batch = 64, .seed = 1, .log = &quiet});
    ok = compare("MLP 784-128-10", net, fit, train, test) && ok;
  }
  {
    const auto [train, test] = nn::datasets::fashion_mnist();
    auto net = nn::make<mlp_fake_quantized>(nn::init::pytorch_default{}, 1);
    nn::trainer fit{net, nn::loss::softmax_cross_entropy{}, nn::optim::adam{.lr = 1e-3f}};
    fit.train(train, {.epochs = mlp_epochs, .batch = 64, .seed = 1, .log = &quiet});
    fit.train(train, {.epochs = 1, .batch = 64, .seed = 2, .quantization_aware = true, .log = &quiet});
    const auto q = nn::quantize(net, train);
    std::size_t agree = 0;
    for (std::size_t i = 0; i < test.size(); ++i) {
      const auto yf = net(test.input_tensor(i)), yq = q(test.input_tensor(i));
      agree +=
          std::max_element(yf.begin(), yf.end()) - yf.begin() == std::max_element(yq.begin(), yq.end()) - yq.begin();
    }
    const double fa = fit.evaluate(test).metric, qa = int8_accuracy(q, test);
    std::printf("MLP with fake_quantize activations, after one more quantization-aware epoch: float %.4f, int8 %.4f "
                "(%zu of %zu decisions as in float)\n",
                fa, qa, agree, test.size());
    ok = qa >= fa - 0.01 && ok;
  }
  {
    const auto [train, test] = nn::datasets::fashion_mnist(10000);
    auto net = nn::make<cnn>(nn::init::pytorch_default{}, 1);
    nn::trainer fit{net, nn::loss::softmax_cross_entropy{}, nn::optim::sgd{.lr = 0.1f, .momentum = 0.9f}};
    fit.train(train, {.epochs = cnn_epochs, .batch = 64, .seed = 1, .log = &quiet});
    ok = compare("CNN c8-pool-c16-pool-fc10", net, fit, train, test) && ok;
  }
  std::printf("%s\n", ok ? "int8 within a point of float: OK" : "FAILED: int8 more than a point below float");
  return ok ? 0 : 1;
}

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fashion_mnist_int8: %s\n", e.what());
    return 1;
  }
}
