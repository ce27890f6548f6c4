// expect: layer_rejects_input_shape<ctnn::diag::layer_index<1>, ctnn::dense<10>, ctnn::diag::expects<ctnn::diag::rank<1> ?>, ctnn::diag::receives<ctnn::shape<28, 28, 1> ?>, ctnn::diag::fix_insert_flatten_before_this_layer>
// A dense layer needs a vector; an image must be flattened first. The whole user program is
// here (make + call) to show that the one diagnostic is not followed by others.
#include <ctnn/ctnn.hpp>

#ifdef CTNN_PASSING_TWIN
using model = ctnn::network<ctnn::input<ctnn::shape<28, 28, 1>>, ctnn::flatten, ctnn::dense<10>>;
#else
using model = ctnn::network<ctnn::input<ctnn::shape<28, 28, 1>>, ctnn::dense<10>>;
#endif

int main() {
  auto net = ctnn::make<model>(ctnn::init::he_uniform{}, 1);
  ctnn::tensor<float, model::input_shape> x{};
  return static_cast<int>(net(x)[0]);
}
