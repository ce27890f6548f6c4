// A convolutional network on Fashion-MNIST (Debian's dataset-fashion-mnist, fetched into the
// cache if it is not installed), trained in C++ on the official 60k/10k split.
//
//   build/<compiler>/examples/fashion_mnist_cnn [epochs]     (default 8; the README gives the figures)
//
// Two 3x3 convolutions with 'same' padding, each followed by ReLU (fused into the convolution's
// kernel) and 2x2 max pooling, then a hidden dense layer: the classic small CNN the dataset's
// benchmark lists at about 0.916.
#include <ctnn/ctnn.hpp>
#include <ctnn/data/datasets.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>

namespace nn = ctnn;

using model = nn::network<nn::input<nn::shape<1, 28, 28>>,                   // 0
                          nn::conv2d<32, nn::kernel<3>, nn::same>, nn::relu, // 1, 2: [32, 28, 28]
                          nn::max_pool2d<nn::window<2>>,                     // 3: [32, 14, 14]
                          nn::conv2d<64, nn::kernel<3>, nn::same>, nn::relu, // 4, 5: [64, 14, 14]
                          nn::max_pool2d<nn::window<2>>,                     // 6: [64, 7, 7]
                          nn::flatten,                                       // 7: [3136]
                          nn::dense<128>, nn::relu,                          // 8, 9
                          nn::dense<10>>;                                    // 10: logits

int run(int argc, char** argv) {
  const std::size_t epochs = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 8;
  const auto [train, test] = nn::datasets::fashion_mnist();
  std::printf("Fashion-MNIST: %zu training and %zu test images; %zu parameters\n", train.size(), test.size(),
              model::param_count);

  auto net = nn::make<model>(nn::init::pytorch_default{}, 1);
  nn::trainer fit{net, nn::loss::softmax_cross_entropy{}, nn::optim::adam{.lr = 1e-3}};
  fit.set_threads(2); // both cores share each batch (by samples for convolutions); falls back if slower
  const auto start = std::chrono::steady_clock::now();
  const auto report =
      fit.train(train, {.epochs = epochs, .batch = 64, .validation = test, .seed = 1, .log = &std::cout});
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const auto result = fit.evaluate(test);
  std::printf("test accuracy %.4f (loss %.4f) after %zu epochs, %.0f s of training (%.1f s per epoch)\n", result.metric,
              result.loss, report.history.size(), seconds, seconds / double(report.history.size()));
  return result.metric >= 0.91 || epochs < 8 ? 0 : 1;
}

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fashion_mnist_cnn: %s\n", e.what());
    return 1;
  }
}
