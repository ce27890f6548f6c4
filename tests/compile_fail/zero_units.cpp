// expect: layer_has_zero_size<ctnn::diag::layer_index<2>, ctnn::dense<0>, ctnn::diag::fix_give_the_layer_at_least_one_unit>
#include <ctnn/dsl/network.hpp>

#ifdef CTNN_PASSING_TWIN
using model = ctnn::network<ctnn::input<ctnn::shape<3>>, ctnn::dense<4>, ctnn::dense<1>>;
#else
using model = ctnn::network<ctnn::input<ctnn::shape<3>>, ctnn::dense<4>, ctnn::dense<0>>;
#endif

constexpr bool checked = model::valid;
int main() { return checked ? 0 : 1; }
