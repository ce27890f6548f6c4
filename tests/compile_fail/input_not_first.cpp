// expect: input_is_not_first<ctnn::diag::layer_index<2>, ctnn::input<ctnn::shape<4> ?>, ctnn::diag::fix_keep_one_input_at_index_0>
#include <ctnn/dsl/network.hpp>

#ifdef CTNN_PASSING_TWIN
using model = ctnn::network<ctnn::input<ctnn::shape<4>>, ctnn::dense<4>, ctnn::dense<2>>;
#else
using model = ctnn::network<ctnn::input<ctnn::shape<4>>, ctnn::dense<4>, ctnn::input<ctnn::shape<4>>, ctnn::dense<2>>;
#endif

constexpr bool checked = model::valid;
int main() { return checked ? 0 : 1; }
