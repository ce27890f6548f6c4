// A layer of your own, outside namespace ctnn: PReLU, y = x for x > 0 and a_c x otherwise, with
// one learnable slope a_c per channel (PyTorch's nn.PReLU(num_parameters=C), slopes starting at
// 0.25). Nothing in ctnn is edited: the descriptor tells the front end its shape rule and its
// stage; the stage follows the stage protocol (ctnn/layers/stage.hpp). ctnn then checks,
// lowers, trains, saves and loads it like its own layers, and tests/gradcheck/custom_layer.cpp
// checks its gradients by finite differences.
#include <ctnn/ctnn.hpp>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <string>

namespace my {

/// The back end: in [C, S] (S positions per channel; a vector [C] is S = 1) -> out [C, S].
template <class T, std::size_t C, std::size_t S>
struct prelu_stage {
  static constexpr std::size_t in_size = C * S, out_size = C * S;
  static constexpr std::size_t out_stride = ctnn::kernels::padded<T>(out_size);
  static constexpr std::size_t param_size = C, param_count = C; // one slope per channel
  static constexpr std::size_t kept_stride = 0;                 // backward reads x

  static void forward(const T* a, const T* x, T* y) noexcept {
    for (std::size_t c = 0; c < C; ++c)
      for (std::size_t s = 0; s < S; ++s) {
        const T v = x[c * S + s];
        y[c * S + s] = v > T(0) ? v : a[c] * v;
      }
    std::fill(y + out_size, y + out_stride, T(0));
  }
  static void forward_batch(const T* a, const T* x, std::size_t ldx, T*, T* y, std::size_t n) noexcept {
    for (std::size_t r = 0; r < n; ++r) forward(a, x + r * ldx, y + r * out_stride);
  }
  /// dx = dy (x > 0 ? 1 : a_c); da_c = sum of dy x over x <= 0.
  static void backward(const T* a, T* g, const T* x, std::size_t ldx, const T*, const T*, T* dy, T* dx, std::size_t n,
                       ctnn::kernels::store_mode mode) noexcept {
    if (mode == ctnn::kernels::store_mode::overwrite) std::fill(g, g + C, T(0));
    for (std::size_t r = 0; r < n; ++r)
      for (std::size_t c = 0; c < C; ++c)
        for (std::size_t s = 0; s < S; ++s) {
          const T v = x[r * ldx + c * S + s], d = dy[r * out_stride + c * S + s];
          if (v <= T(0)) g[c] += d * v;
          if (dx) dx[r * ldx + c * S + s] = v > T(0) ? d : a[c] * d;
        }
    if (dx)
      for (std::size_t r = 0; r < n; ++r) std::fill(dx + r * ldx + in_size, dx + (r + 1) * ldx, T(0));
  }
  static void import_params(const T* logical, T* a) noexcept { std::copy_n(logical, C, a); }
  static void export_params(const T* a, T* logical) noexcept { std::copy_n(a, C, logical); }
  /// PyTorch's PReLU starts every slope at 0.25, whatever the initializer.
  template <class Init>
  static void initialize(T* a, const Init&, ctnn::rng&) noexcept {
    std::fill(a, a + C, T(0.25));
  }
};

/// The front end: PReLU keeps the shape; channels are the first dimension.
struct prelu {
  static constexpr ctnn::layer_role role = ctnn::layer_role::stage;
  static constexpr ctnn::layer_shape infer(const ctnn::dims& in) noexcept { return {0, in}; }
  static constexpr std::size_t param_count(const ctnn::dims& in) noexcept { return in.extent[0]; }
  template <class T, class In, class Out, class Fused>
  using stage = prelu_stage<T, In::dims.extent[0], In::size / In::dims.extent[0]>;
  static std::string name() { return "prelu"; }
};

} // namespace my

#ifndef CTNN_CUSTOM_LAYER_NO_MAIN
namespace nn = ctnn;

// The user's layer sits in a network like any other: after a convolution (one slope per
// filter) and after a dense layer (one per unit).
using model = nn::network<nn::input<nn::shape<1, 16>>, nn::conv1d<4, 3, nn::same>, my::prelu, nn::flatten, nn::dense<8>,
                          my::prelu, nn::dense<1>>;

int run() {
  // Learn the energy of the second half of a signal: mean(x[8..15]^2) (a sign-blind target, so
  // PReLU must learn slopes far from 0.25).
  nn::dataset<float, nn::shape<1, 16>, nn::shape<1>> train, test;
  nn::rng gen(3);
  for (int i = 0; i < 1200; ++i) {
    nn::tensor<float, nn::shape<1, 16>> x;
    float e = 0;
    for (std::size_t k = 0; k < 16; ++k) {
      x[k] = float(gen.uniform(-1, 1));
      if (k >= 8) e += x[k] * x[k] / 8;
    }
    (i < 1000 ? train : test).push_back(x, nn::tensor<float, nn::shape<1>>{e});
  }
  auto net = nn::make<model>(nn::init::he_uniform{}, 5);
  nn::trainer fit{net, nn::loss::mse{}, nn::optim::adam{.lr = 3e-3}};
  const double before = fit.evaluate(test).metric;
  fit.train(train, {.epochs = 60, .batch = 32, .log = nullptr});
  const double after = fit.evaluate(test).metric;
  const auto slopes = net.export_parameters(); // conv weights and bias (16), then the 4 conv slopes
  std::printf("test RMSE %.4f before training, %.4f after; learned slopes of the conv channels:", before, after);
  for (std::size_t c = 0; c < 4; ++c) std::printf(" %.3f", double(slopes[16 + c]));
  std::printf("\n");
  return after < 0.5 * before ? 0 : 1;
}

int main() {
  try {
    return run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "custom_layer: %s\n", e.what());
    return 1;
  }
}
#endif
