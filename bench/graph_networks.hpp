// graph_cnn of bench/README.md: a CIFAR-sized residual CNN with an Inception module, as a ctnn
// type; its parameters in PyTorch order are what the libtorch anchor reads.
#pragma once

#include "standard_networks.hpp"

namespace bench {

using graph_cnn = nn::network<
    nn::input<nn::shape<3, 32, 32>>, nn::conv2d<16, nn::kernel<3>, nn::padding<1>>, nn::relu, // [16, 32, 32]
    nn::residual<nn::conv2d<16, nn::kernel<3>, nn::padding<1>>, nn::relu,
                 nn::conv2d<16, nn::kernel<3>, nn::padding<1>>>,
    nn::relu, nn::max_pool2d<nn::window<2>>, // [16, 16, 16]
    nn::parallel<
        nn::concat, nn::branch<nn::conv2d<16, nn::kernel<1>>>,
        nn::branch<nn::conv2d<16, nn::kernel<1>>, nn::relu, nn::conv2d<16, nn::kernel<3>, nn::padding<1>>>,
        nn::branch<nn::max_pool2d<nn::window<3>, nn::stride<1>, nn::padding<1>>, nn::conv2d<16, nn::kernel<1>>>>,
    nn::relu, nn::global_avg_pool, nn::dense<10>>; // [48, 16, 16] -> [48] -> [10]

namespace graph {
inline constexpr int in = 3 * 32 * 32, classes = 10;
inline constexpr double multiply_adds = double(graph_cnn::macs);
} // namespace graph

} // namespace bench
