// expect: layer_rejects_input_shape<ctnn::diag::layer_index<1>, ctnn::reshape<1, 27, 27>, ctnn::diag::expects<ctnn::diag::size<729> ?>, ctnn::diag::receives<ctnn::shape<784> ?>, ctnn::diag::fix_reshape_to_as_many_elements>
#include <ctnn/ctnn.hpp>

#ifdef CTNN_PASSING_TWIN
using model = ctnn::network<ctnn::input<ctnn::shape<784>>, ctnn::reshape<1, 28, 28>>;
#else
using model = ctnn::network<ctnn::input<ctnn::shape<784>>, ctnn::reshape<1, 27, 27>>;
#endif

int main() { return static_cast<int>(ctnn::make<model>(ctnn::init::he_uniform{}, 1).parameters().size()); }
