// The network the weight-file fuzz target loads into, shared with the seed generator.
#pragma once

#include <ctnn/ctnn.hpp>

namespace ctnn::fuzz {
using model = network<input<shape<3>>, dense<4>, relu, dense<2>>;
using other = network<input<shape<3>>, dense<5>, relu, dense<2>>;
} // namespace ctnn::fuzz
