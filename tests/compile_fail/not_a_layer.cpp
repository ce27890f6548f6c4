// expect: not_a_layer<ctnn::diag::layer_index<2>, int, ctnn::diag::fix_use_a_ctnn_layer_like_dense_or_relu>
#include <ctnn/dsl/network.hpp>

#ifdef CTNN_PASSING_TWIN
using model = ctnn::network<ctnn::input<ctnn::shape<3>>, ctnn::dense<4>, ctnn::relu>;
#else
using model = ctnn::network<ctnn::input<ctnn::shape<3>>, ctnn::dense<4>, int>;
#endif

constexpr bool checked = model::valid;
int main() { return checked ? 0 : 1; }
