// expect: layer_index_out_of_range<ctnn::diag::layer_index<3>, ctnn::diag::valid_layer_indices<0, 2> ?>
// net.layer<I>() past the last layer names the valid range (it once printed 2^64 - 1 twice).
#include <ctnn/ctnn.hpp>

using model = ctnn::network<ctnn::input<ctnn::shape<3>>, ctnn::dense<2>, ctnn::relu>;

int main() {
  auto net = ctnn::make<model>(ctnn::init::glorot_uniform{}, 1);
#ifdef CTNN_PASSING_TWIN
  return static_cast<int>(net.layer<1>().weight(0, 0) > 1.0f);
#else
  return static_cast<int>(net.layer<3>().weight(0, 0) > 1.0f);
#endif
}
