// expect: layer_has_no_integer_form<ctnn::diag::layer_index<4>, ctnn::relu, ctnn::diag::fix_quantize_sparse_dense_64n_then_dense_and_hardtanh_range_0_1_pairs_then_dense>
// ctnn::quantize_sparse takes clipped ReLUs (hardtanh_range<0, 1>) after its dense layers: they
// bound every activation, so no calibration is needed. A relu is one error naming it, when the
// network is trained and then quantized as a program does.
#include "program.hpp" // and the network used as a program uses it: still one error

#include <ctnn/runtime/quantize_sparse.hpp>

#include <array>
#include <cstdint>

#ifdef CTNN_PASSING_TWIN
using activation = ctnn::hardtanh_range<0, 1>;
#else
using activation = ctnn::relu;
#endif
using model = ctnn::network<ctnn::input<ctnn::shape<100>>, ctnn::dense<64>, ctnn::hardtanh_range<0, 1>, ctnn::dense<8>,
                            activation, ctnn::dense<1>>;

int main() {
  const int used = program::use<model, ctnn::shape<100>, ctnn::shape<1>>();
  auto net = ctnn::make<model>(ctnn::init::pytorch_default{}, 1);
  const auto q = ctnn::quantize_sparse<8>(net);
  const std::array<std::uint32_t, 2> active{3, 7};
  return used + static_cast<int>(q(active)[0]);
}
