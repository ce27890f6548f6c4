// The network the weight-file and checkpoint fuzz targets load into, and the checkpoint target's
// dataset, shared with the seed generator.
#pragma once

#include <ctnn/ctnn.hpp>

namespace ctnn::fuzz {
using model = network<input<shape<3>>, dense<4>, relu, dense<2>>;
using other = network<input<shape<3>>, dense<5>, relu, dense<2>>;
/// The 8 samples the checkpoints of the seed corpus were trained on (resume checks the count).
inline dataset<float, shape<3>, shape<2>> checkpoint_data() {
  dataset<float, shape<3>, shape<2>> d;
  for (int i = 0; i < 8; ++i)
    d.push_back(tensor<float, shape<3>>{float(i) / 8, 1 - float(i) / 8, 0.5f},
                tensor<float, shape<2>>{float(i % 2), float(i % 3) / 3});
  return d;
}
} // namespace ctnn::fuzz
