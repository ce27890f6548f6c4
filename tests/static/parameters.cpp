// Parameter counts (as PyTorch counts them) and the stored layout of the flat parameter array.
#include <ctnn/ctnn.hpp>

namespace {
using namespace ctnn;

using mlp_small = network<input<shape<8>>, dense<16>, ctnn::tanh, dense<16>, ctnn::tanh, dense<1>>;
using mlp_trading = network<input<shape<32>>, dense<64>, relu, dense<64>, relu, dense<1>>;
using mnist_mlp = network<input<shape<28, 28>>, flatten, dense<128>, relu, dense<10>>;

static_assert(mlp_small::param_count == (8 * 16 + 16) + (16 * 16 + 16) + (16 + 1));
static_assert(mlp_trading::param_count == 2112 + 4160 + 65);
static_assert(mnist_mlp::param_count == 784 * 128 + 128 + 128 * 10 + 10);
static_assert(network<input<shape<4>>, relu, softmax>::param_count == 0);

// stored layout: padded rows, one contiguous array, a compile-time size
constexpr std::size_t L = kernels::lanes<float>;
static_assert(net<mlp_trading>::param_count == mlp_trading::param_count);
static_assert(net<mlp_trading>::param_size == (32 * kernels::round_up(64, L) + kernels::round_up(64, L)) +
                                                  (64 * kernels::round_up(64, L) + kernels::round_up(64, L)) +
                                                  (64 * L + L));
static_assert(net<mlp_trading>::param_size % L == 0);
static_assert(net<mlp_small, double>::param_size % kernels::lanes<double> == 0);
static_assert(net<mnist_mlp>::input_size == 784 && net<mnist_mlp>::output_size == 10);
static_assert(kernels::dense_layout<float, 3, 5>::param_count == 20);

// multiply-adds and activation counts, per layer and in total: a budget can be a static_assert
using small_cnn = network<input<shape<1, 28, 28>>, conv2d<8, kernel<3, 3>>, relu, max_pool2d<window<2>>,
                          conv2d<16, kernel<3, 3>>, relu, max_pool2d<window<2>>, flatten, dense<10>>;
static_assert(small_cnn::layer_macs(1) == 26 * 26 * 8 * 9 && small_cnn::layer_macs(4) == 11 * 11 * 16 * 8 * 9);
static_assert(small_cnn::layer_macs(2) == 0 && small_cnn::layer_macs(0) == 0);
static_assert(small_cnn::macs == 48672 + 139392 + 4000);
static_assert(small_cnn::layer_params(4) == 16 * 8 * 9 + 16 && small_cnn::layer_params(3) == 0);
static_assert(small_cnn::activation_count == 2 * 5408 + 1352 + 2 * 1936 + 400 + 400 + 10);
static_assert(network<input<sequence<5, 3>>, lstm<4>, last, dense<1>>::macs == 5 * 4 * 4 * (3 + 4) + 4);
static_assert(network<input<shape<4, 6, 6>>, residual<project, conv2d<8, kernel<3, 3>, same>>>::macs ==
              8 * 36 * 4 * 9 + 8 * 36 * 4);
static_assert(mlp_trading::macs <= 32 * 64 + 64 * 64 + 64); // e.g. a latency budget

// make<M> takes network types only (the Model concept), so a wrong argument fails at the call
template <class M>
concept makeable = requires {
  ctnn::make<M>(init::he_uniform{}, 1);
};
static_assert(makeable<mlp_trading> && !makeable<int> && !makeable<shape<3>>);
} // namespace
