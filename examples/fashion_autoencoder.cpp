// A convolutional autoencoder on Fashion-MNIST: an encoder (two strided convolutions, then a
// 32-value code) and a decoder (dense, then two transposed convolutions back to 28 x 28), trained
// as one network, chain<encoder, decoder>, to reproduce its input under MSE; then split into its
// two halves, which run apart. Reports the test reconstruction MSE and writes test images beside
// their reconstructions. examples/pytorch/fashion_autoencoder.py trains the same network in
// PyTorch for the same epochs (the README compares the two).
//
//   fashion_autoencoder [PNG] [epochs] [train_limit] [test_limit]
//     (defaults: fashion_autoencoder.png, 3 epochs, all 60,000 training and 10,000 test images)
#include <ctnn/ctnn.hpp>
#include <ctnn/data/datasets.hpp>
#include <ctnn/plot/plot.hpp>

#include <chrono>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

namespace nn = ctnn;

using encoder = nn::network<nn::input<nn::shape<1, 28, 28>>,
                            nn::conv2d<16, nn::kernel<3>, nn::stride<2>, nn::padding<1>>, nn::relu, // [16, 14, 14]
                            nn::conv2d<32, nn::kernel<3>, nn::stride<2>, nn::padding<1>>, nn::relu, // [32, 7, 7]
                            nn::flatten, nn::dense<32>>;                                            // the code
using decoder =
    nn::network<nn::input<nn::shape<32>>, nn::dense<32 * 7 * 7>, nn::relu, nn::reshape<32, 7, 7>,
                nn::conv_transpose2d<16, nn::kernel<3>, nn::stride<2>, nn::padding<1>, nn::output_padding<1>>,
                nn::relu, // [16, 14, 14]
                nn::conv_transpose2d<1, nn::kernel<3>, nn::stride<2>, nn::padding<1>, nn::output_padding<1>>,
                nn::sigmoid>; // [1, 28, 28]
using autoencoder = nn::chain<encoder, decoder>;

using images = nn::dataset<float, nn::shape<1, 28, 28>, nn::shape<1, 28, 28>>;

static images as_reconstruction_task(const nn::dataset<float, nn::shape<1, 28, 28>, nn::shape<1>>& labelled) {
  images d;
  for (std::size_t i = 0; i < labelled.size(); ++i) {
    const std::span<const float, 784> x(labelled.input(i), 784);
    d.push_back(x, x);
  }
  return d;
}

int main(int argc, char** argv) try {
  const std::string png = argc > 1 ? argv[1] : "fashion_autoencoder.png";
  const std::size_t epochs = argc > 2 ? std::stoul(argv[2]) : 3;
  const std::size_t train_limit = argc > 3 ? std::stoul(argv[3]) : 60000;
  const std::size_t test_limit = argc > 4 ? std::stoul(argv[4]) : 10000;
  const auto [labelled_train, labelled_test] = nn::datasets::fashion_mnist(train_limit, test_limit);
  const images train = as_reconstruction_task(labelled_train), test = as_reconstruction_task(labelled_test);
  std::printf(
      "Fashion-MNIST autoencoder: %zu training and %zu test images; %zu parameters (encoder %zu, decoder %zu)\n",
      train.size(), test.size(), autoencoder::param_count, encoder::param_count, decoder::param_count);

  auto net = nn::make<autoencoder>(nn::init::pytorch_default{}, 1);
  nn::trainer fit{net, nn::loss::mse{}, nn::optim::adam{.lr = 1e-3}};
  fit.set_threads(2);
  const auto start = std::chrono::steady_clock::now();
  fit.train(train, {.epochs = epochs, .batch = 64, .seed = 1, .log = &std::cout});
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double mse = fit.evaluate(test).loss;
  std::printf("test reconstruction MSE: %.5f (%zu epochs, %.1f s of training)\n", mse, epochs, seconds);

  // the halves, apart: the code of a test image, and the image the decoder makes of it
  const auto [enc, dec] = nn::split_chain<encoder, decoder>(net);
  nn::plot::image_grid grid{.height = 28,
                            .width = 28,
                            .columns = 8,
                            .title = "Fashion-MNIST test images (rows 1, 3) and their reconstructions (rows 2, 4)"};
  for (std::size_t half = 0; half < 2; ++half) {
    for (std::size_t k = 0; k < 8; ++k)
      grid.pixels.insert(grid.pixels.end(), test.input(half * 8 + k), test.input(half * 8 + k) + 784);
    for (std::size_t k = 0; k < 8; ++k) {
      nn::tensor<float, nn::shape<1, 28, 28>> x;
      std::copy_n(test.input(half * 8 + k), 784, x.data());
      const auto y = dec(enc(x));
      grid.pixels.insert(grid.pixels.end(), y.begin(), y.end());
    }
  }
  nn::plot::save_png(png, grid);
  std::printf("images written to %s\n", png.c_str());
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "fashion_autoencoder: %s\n", e.what());
  return 1;
}
