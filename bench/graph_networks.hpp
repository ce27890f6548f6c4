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

/// graph_cnn's layers as chains of their own, without the merges: what the graph must cost no more
/// than, plus the merges' own memory traffic.
namespace graph_parts {
using stem = nn::network<nn::input<nn::shape<3, 32, 32>>, nn::conv2d<16, nn::kernel<3>, nn::padding<1>>, nn::relu>;
using residual_body = nn::network<nn::input<nn::shape<16, 32, 32>>, nn::conv2d<16, nn::kernel<3>, nn::padding<1>>,
                                  nn::relu, nn::conv2d<16, nn::kernel<3>, nn::padding<1>>>;
using pool = nn::network<nn::input<nn::shape<16, 32, 32>>, nn::relu, nn::max_pool2d<nn::window<2>>>;
using branch0 = nn::network<nn::input<nn::shape<16, 16, 16>>, nn::conv2d<16, nn::kernel<1>>>;
using branch1 = nn::network<nn::input<nn::shape<16, 16, 16>>, nn::conv2d<16, nn::kernel<1>>, nn::relu,
                            nn::conv2d<16, nn::kernel<3>, nn::padding<1>>>;
using branch2 =
    nn::network<nn::input<nn::shape<16, 16, 16>>, nn::max_pool2d<nn::window<3>, nn::stride<1>, nn::padding<1>>,
                nn::conv2d<16, nn::kernel<1>>>;
using head = nn::network<nn::input<nn::shape<48, 16, 16>>, nn::relu, nn::global_avg_pool, nn::dense<10>>;
/// Bytes the merges move per sample: the residual sum (read two maps, write one) and the
/// concatenation (read and write the three branch outputs).
inline constexpr double merge_bytes = 4.0 * (3 * 16 * 32 * 32 + 2 * 48 * 16 * 16);
} // namespace graph_parts

namespace graph {
inline constexpr int in = 3 * 32 * 32, classes = 10;
inline constexpr double multiply_adds = double(graph_cnn::macs);
} // namespace graph

} // namespace bench
