// The networks the dispatch benchmark compiles once per instruction set (ctnn_add_dispatch in
// bench/CMakeLists.txt). A dispatched model's header holds its type only.
#pragma once

#include <ctnn/ctnn.hpp>

namespace bench_models {
using mlp_small = ctnn::network<ctnn::input<ctnn::shape<8>>, ctnn::dense<16>, ctnn::tanh, ctnn::dense<16>, ctnn::tanh,
                                ctnn::dense<1>>;
using mnist_mlp = ctnn::network<ctnn::input<ctnn::shape<784>>, ctnn::dense<128>, ctnn::relu, ctnn::dense<10>>;
} // namespace bench_models
