// expect: input_shape_is_empty<ctnn::diag::layer_index<0>, ctnn::input<ctnn::shape<0, 4> ?>, ctnn::diag::fix_give_every_dimension_a_positive_extent>
#include <ctnn/dsl/network.hpp>

#ifdef CTNN_PASSING_TWIN
using model = ctnn::network<ctnn::input<ctnn::shape<2, 4>>, ctnn::flatten, ctnn::dense<1>>;
#else
using model = ctnn::network<ctnn::input<ctnn::shape<0, 4>>, ctnn::flatten, ctnn::dense<1>>;
#endif

constexpr bool checked = model::valid;
int main() { return checked ? 0 : 1; }
