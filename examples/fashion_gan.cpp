// A GAN on Fashion-MNIST: an MLP generator (64-value noise -> 28 x 28 image, tanh) against an MLP
// discriminator (image -> one logit), ctnn::gan_trainer with Adam (lr 2e-4, beta1 0.5) for both.
// Every `every` epochs it writes an 8 x 8 grid of samples for the same 64 noise vectors, so
// the grids show the same generator inputs maturing.
//
//   fashion_gan [PNG prefix] [epochs] [every] [train_limit]
//     (defaults: fashion_gan, 20 epochs, every 5, all 60,000 training images; writes
//      PREFIX_epoch_<N>.png and PREFIX.png for the last epoch)
#include <ctnn/ctnn.hpp>
#include <ctnn/data/datasets.hpp>
#include <ctnn/plot/plot.hpp>

#include <chrono>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

namespace nn = ctnn;

using leaky = nn::leaky_relu_slope<1, 5>; // slope 0.2
using generator =
    nn::network<nn::input<nn::shape<64>>, nn::dense<256>, leaky, nn::dense<512>, leaky, nn::dense<784>, nn::tanh>;
using discriminator =
    nn::network<nn::input<nn::shape<784>>, nn::dense<512>, leaky, nn::dense<256>, leaky, nn::dense<1>>;

int main(int argc, char** argv) try {
  const std::string prefix = argc > 1 ? argv[1] : "fashion_gan";
  const std::size_t epochs = argc > 2 ? std::stoul(argv[2]) : 20;
  const std::size_t every = argc > 3 ? std::stoul(argv[3]) : 5;
  const std::size_t train_limit = argc > 4 ? std::stoul(argv[4]) : 60000;
  const auto train = nn::datasets::fashion_mnist(train_limit, 1).train;
  // pixels in [-1, 1], the generator's tanh range
  std::vector<float> real(train.size() * 784);
  for (std::size_t i = 0; i < train.size(); ++i)
    for (std::size_t k = 0; k < 784; ++k) real[i * 784 + k] = 2 * train.input(i)[k] - 1;
  std::printf("Fashion-MNIST GAN: %zu training images; generator %zu, discriminator %zu parameters\n", train.size(),
              generator::param_count, discriminator::param_count);

  auto g = nn::make<generator>(nn::init::pytorch_default{}, 1);
  auto d = nn::make<discriminator>(nn::init::pytorch_default{}, 2);
  constexpr std::size_t batch = 64;
  nn::gan_trainer gan{g,
                      d,
                      nn::optim::adam{.lr = 2e-4, .beta1 = 0.5},
                      nn::optim::adam{.lr = 2e-4, .beta1 = 0.5},
                      {.batch = batch, .d_steps = 1, .seed = 3}};
  // the same 64 noise vectors for every grid
  nn::rng noise_gen(7);
  std::vector<float> z(64 * 64);
  for (auto& v : z) v = float(noise_gen.normal());
  auto ws = g.make_workspace(64);
  auto draw = [&](const std::string& path, const std::string& title) {
    nn::plot::image_grid grid{.height = 28,
                              .width = 28,
                              .columns = 8,
                              .pixels = std::vector<float>(64 * 784),
                              .lo = -1,
                              .hi = 1,
                              .scale = 2,
                              .title = title};
    g.predict(ws, z.data(), grid.pixels.data(), 64);
    nn::plot::save_png(path, grid);
    std::printf("samples written to %s\n", path.c_str());
  };

  const std::size_t rounds_per_epoch = std::max<std::size_t>(1, train.size() / batch);
  const auto start = std::chrono::steady_clock::now();
  for (std::size_t epoch = 1; epoch <= epochs; ++epoch) {
    double d_loss = 0, g_loss = 0, fooled = 0;
    for (std::size_t r = 0; r < rounds_per_epoch; ++r) {
      const auto s = gan.round(real);
      d_loss += s.d_loss;
      g_loss += s.g_loss;
      fooled += s.d_fake;
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("epoch %2zu/%zu  d_loss %.3f  g_loss %.3f  D(G(z)) %.2f  %.1f s\n", epoch, epochs,
                d_loss / double(rounds_per_epoch), g_loss / double(rounds_per_epoch), fooled / double(rounds_per_epoch),
                seconds);
    if (epoch % every == 0 || epoch == epochs)
      draw(prefix + "_epoch_" + std::to_string(epoch) + ".png", "generated after epoch " + std::to_string(epoch));
  }
  draw(prefix + ".png", "Fashion-MNIST GAN: 64 samples after " + std::to_string(epochs) + " epochs");
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "fashion_gan: %s\n", e.what());
  return 1;
}
